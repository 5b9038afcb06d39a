# daemon-hostile.py - hostile saslauthd clients for
# daemon-badinput.test.  usage: python3 daemon-hostile.py SOCKET CASE
# Prints one line per check: "ok WHAT" or "fail WHAT: why".
import os
import random
import socket
import struct
import sys
import time

path = sys.argv[1]


def field(data):
    return struct.pack(">H", len(data)) + data


def request(login=b"alice", password=b"pw", service=b"imap", realm=b""):
    return field(login) + field(password) + field(service) + field(realm)


def connect():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    return s


def read_reply(s):
    """The reply's text, or None when the daemon closed without one."""
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    if len(data) < 2:
        return None
    (n,) = struct.unpack(">H", data[:2])
    return data[2:2 + n].decode(errors="replace")


def check(ok, what, why=""):
    print(("ok " if ok else "fail ") + what + ("" if ok else ": " + why))
    sys.stdout.flush()


def send_and_read(payload, shut=True):
    s = connect()
    try:
        s.sendall(payload)
        if shut:
            s.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError):
        pass
    reply = read_reply(s)
    s.close()
    return reply


def malformed():
    cases = [
        ("a 64 KiB field (length 65535 and its bytes)",
         struct.pack(">H", 65535) + b"a" * 65535),
        ("a field over max-field (5000 bytes)",
         field(b"b" * 5000) + field(b"pw") + field(b"imap") + field(b"")),
        ("a NUL byte in the login", request(login=b"ali\0ce")),
        ("bytes after five fields", request() + field(b"addr") + b"junk"),
    ]
    for what, payload in cases:
        reply = send_and_read(payload)
        check(reply == "NO bad request", what + ": NO bad request",
              repr(reply))
    # A length past the end of what is sent, then end of input.
    reply = send_and_read(struct.pack(">H", 10) + b"abc")
    check(reply is None, "a length past the end: closed without a reply",
          repr(reply))
    # A length field cut in half.
    reply = send_and_read(b"\x00")
    check(reply is None, "half a length: closed without a reply", repr(reply))
    # Nothing at all.
    reply = send_and_read(b"")
    check(reply is None, "an empty request: closed without a reply",
          repr(reply))


def exchange(payload, limit):
    """Sends PAYLOAD, shuts the writing side and reads to the end, for
    at most LIMIT seconds.  Returns ("reply", text) for one well-formed
    reply frame followed by the end of the connection, ("closed", None)
    for the end alone, ("hang", bytes) when the connection was still
    open after LIMIT, ("garbage", bytes) for anything else."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(limit)
    s.connect(path)
    deadline = time.monotonic() + limit
    data = b""
    try:
        try:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the daemon stopped reading: its answer is still there
        while True:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        return "hang", data
    except ConnectionResetError:
        pass
    finally:
        s.close()
    if not data:
        return "closed", None
    if len(data) >= 2 and len(data) == 2 + struct.unpack(">H", data[:2])[0]:
        return "reply", data[2:].decode(errors="replace")
    return "garbage", data


def fuzz(count, limit):
    """COUNT random requests: each is answered with one well-formed NO
    frame, or the connection is closed, within LIMIT seconds; never a
    hang, an OK or bytes that are not one frame."""
    rng = random.Random(1234)
    outcomes = {"reply": 0, "closed": 0}
    wrong = []
    for i in range(count):
        n = rng.randrange(0, 400)
        payload = bytes(rng.randrange(256) for _ in range(n))
        if rng.random() < 0.5:
            # Plausible frames with random lengths and contents.
            payload = b"".join(
                struct.pack(">H", rng.randrange(0, 300))
                + bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
                for _ in range(rng.randrange(1, 7)))
        kind, detail = exchange(payload, limit)
        if kind == "reply" and detail.startswith("NO "):
            outcomes["reply"] += 1
        elif kind == "closed":
            outcomes["closed"] += 1
        else:
            wrong.append("request %d (%r...): %s %r"
                         % (i, payload[:16], kind, detail))
    check(not wrong,
          "%d random requests: each got one NO frame (%d) or the end of "
          "the connection (%d) within %g s"
          % (count, outcomes["reply"], outcomes["closed"], limit),
          "%d did not; the first: %s" % (len(wrong), "; ".join(wrong[:3])))


def pieces():
    """Well-formed requests that are not there whole when the daemon
    accepts: answered all the same (the daemon reads what is there at
    once and waits for the rest)."""
    whole = request(login=b"alice", password=b"right")
    for what, cuts in (("nothing at the accept, then the whole request",
                        [0]),
                       ("the request in three pieces", [0, 3, 9]),
                       ("the first field, then the rest", [7])):
        s = connect()
        at = 0
        for cut in cuts:
            s.sendall(whole[at:cut])
            at = cut
            time.sleep(0.3)
        s.sendall(whole[at:])
        got = read_reply(s)
        s.close()
        check(got == "OK", "a request sent as %s is answered OK" % what,
              repr(got))


def stall(timeout):
    """Half a frame, then silence: dropped after the request timeout,
    while a well-formed client is answered at once."""
    s = connect()
    s.sendall(field(b"alice") + b"\x00\x10pass")
    t0 = time.monotonic()
    s.settimeout(timeout + 5)
    try:
        data = s.recv(100)
    except socket.timeout:
        data = None
    waited = time.monotonic() - t0
    check(data == b"" and timeout - 0.5 <= waited <= timeout + 2,
          "a stalled client is dropped after the request timeout",
          "recv %r after %.1f s" % (data, waited))


def hold(count, seconds, marker):
    """COUNT idle connections held for SECONDS (or until dropped)."""
    held = []
    for _ in range(count):
        held.append(connect())
    with open(marker, "w") as f:
        f.write("%d\n" % len(held))
    deadline = time.monotonic() + seconds
    dropped = 0
    for s in held:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            if s.recv(1) == b"":
                dropped += 1
        except socket.timeout:
            pass
        except ConnectionResetError:
            dropped += 1
    print("held %d dropped %d" % (count, dropped))


def over(count, fill=0):
    """COUNT more clients when the daemon is full: each gets a refusal.
    FILL idle connections are opened first, in this process, so the
    daemon is full however slowly the machine runs (idle connections of
    another process may already have met the request timeout)."""
    held = [connect() for _ in range(fill)]
    refused = 0
    for _ in range(count):
        reply = send_and_read(request(password=b"whatever"))
        if reply is not None and reply.startswith(
                "NO temporary failure: too many clients"):
            refused += 1
    print("refused %d of %d" % (refused, count))
    for s in held:
        s.close()


def netstring(text):
    data = text.encode()
    return b"%d:%s," % (len(data), data)


def read_netstrings(s, count):
    """COUNT netstrings from S, or fewer when the connection ends."""
    data, out = b"", []
    while len(out) < count:
        while b":" in data:
            length, rest = data.split(b":", 1)
            n = int(length)
            if len(rest) < n + 1:
                break
            out.append(rest[:n].decode())
            data = rest[n + 1:]
            if len(out) == count:
                return out
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return out


def socketmap(idle):
    """Several requests on one connection, pipelined requests, a broken
    netstring, and the idle timeout."""
    s = connect()
    s.sendall(netstring("domains example.org"))
    check(read_netstrings(s, 1) == ["OK example.org"],
          "socketmap: a first request is answered")
    s.sendall(netstring("domains example.org") + netstring("domains nope.test"))
    got = read_netstrings(s, 2)
    check(got == ["OK example.org", "NOTFOUND "],
          "socketmap: two pipelined requests get two replies in order",
          repr(got))
    # Half a request, the rest a moment later.
    s.sendall(b"19:domains exa")
    time.sleep(0.3)
    s.sendall(b"mple.org,")
    got = read_netstrings(s, 1)
    check(got == ["OK example.org"], "socketmap: a request in two pieces",
          repr(got))
    s.sendall(b"abc")
    got = read_netstrings(s, 2)
    check(got == ["PERM bad request"],
          "socketmap: a broken netstring gets PERM and the connection ends",
          repr(got))
    s.close()
    s = connect()
    s.sendall(netstring("domains example.org"))
    read_netstrings(s, 1)
    t0 = time.monotonic()
    s.settimeout(idle + 5)
    data = s.recv(10)
    waited = time.monotonic() - t0
    check(data == b"" and idle - 0.5 <= waited <= idle + 2,
          "socketmap: an idle connection is closed after idle-timeout",
          "recv %r after %.1f s" % (data, waited))


case = sys.argv[2]
if case == "malformed":
    malformed()
elif case == "pieces":
    pieces()
elif case == "fuzz":
    fuzz(int(sys.argv[3]), float(sys.argv[4]))
elif case == "stall":
    stall(float(sys.argv[3]))
elif case == "hold":
    hold(int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
elif case == "socketmap":
    socketmap(float(sys.argv[3]))
elif case == "over":
    over(int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 0)
