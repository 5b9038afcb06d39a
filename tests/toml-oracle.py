#!/usr/bin/python3
"""toml-oracle.py - compares sd_toml with tomli on the TOML corpus.

Offers: one TAP test per document in $top_srcdir/tests/toml/{valid,
invalid,range}/*.toml.  Each document is read by tomli (the oracle,
python3-tomli) and by $TOML_TO_JSON (tests/toml-to-json, which prints
what sd_toml read as type-tagged JSON), and the two must agree:

  * tomli accepts, no date-time, every integer fits in 64 bits: the
    dumper must succeed and print the same tree, type for type (floats
    by value, nan equal to nan, the sign of zero compared too);
  * tomli accepts but the tree holds a date-time: the dumper must refuse
    the document saying that dates are not supported;
  * tomli accepts but an integer does not fit in 64 bits (tomli does not
    enforce the specification's range): the dumper must refuse it;
  * tomli refuses (or the bytes are not UTF-8): the dumper must refuse.

A refusal must be a "FILE:LINE:COLUMN: what" message and exit status 1;
anything else (a crash, a signal) fails the test.  The corpus is checked
too: valid/ holds documents tomli accepts with 64-bit integers, range/
documents tomli accepts with a larger integer, invalid/ documents tomli
refuses.

Inputs: the environment variables TOML_TO_JSON (the dumper, possibly a
libtool wrapper script) and top_srcdir (the source tree).

Results: TAP on standard output; exit status 0 when every test passed,
1 otherwise.  A missing tomli is a failure, never a skip: without the
oracle the test would prove nothing.
"""

import datetime
import json
import math
import os
import re
import subprocess
import sys

INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1
MESSAGE_RE = re.compile(r"^.+:\d+:\d+: \S")
UNSUPPORTED = "not supported"


def bail_out(reason):
    print("1..1")
    print("not ok 1 - %s" % reason)
    print("Bail out! %s" % reason)
    sys.exit(1)


try:
    import tomli
except ImportError as e:
    bail_out("python3-tomli is missing, so the TOML reader cannot be "
             "checked (install python3-tomli): %s" % e)


def walk(value):
    """Yields every scalar of a tomli result."""
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)
    else:
        yield value


def has_datetime(value):
    return any(isinstance(v, (datetime.date, datetime.time))
               for v in walk(value))


def has_big_int(value):
    return any(isinstance(v, int) and not isinstance(v, bool)
               and not INT64_MIN <= v <= INT64_MAX for v in walk(value))


def run_tomli(data):
    """Returns (accepted, result or reason)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return False, "not UTF-8: %s" % e
    try:
        return True, tomli.loads(text)
    except tomli.TOMLDecodeError as e:
        return False, str(e)


def is_scalar(node):
    return (isinstance(node, dict) and set(node) == {"type", "value"}
            and all(isinstance(v, str) for v in node.values()))


def same_float(want, text):
    try:
        got = float(text)
    except ValueError:
        return False
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    return want == got and math.copysign(1, want) == math.copysign(1, got)


def scalar_difference(want, got, path):
    if isinstance(want, bool):
        kind, ok = "bool", got["value"] == ("true" if want else "false")
    elif isinstance(want, int):
        kind, ok = "integer", got["value"] == str(want)
    elif isinstance(want, float):
        kind, ok = "float", same_float(want, got["value"])
    elif isinstance(want, str):
        kind, ok = "string", got["value"] == want
    else:
        return "%s: tomli gave an unexpected %s" % (path, type(want).__name__)
    if got["type"] != kind:
        return "%s: type %s, tomli says %s" % (path, got["type"], kind)
    if not ok:
        return "%s: value %r, tomli says %r" % (path, got["value"], want)
    return None


def difference(want, got, path="root"):
    """Returns None when GOT (dumper JSON) is WANT (tomli), else why not."""
    if isinstance(want, dict):
        if not isinstance(got, dict) or is_scalar(got):
            return "%s: expected a table" % path
        if set(want) != set(got):
            return "%s: keys %s, tomli says %s" % (path, sorted(got),
                                                   sorted(want))
        for key in want:
            why = difference(want[key], got[key], "%s.%r" % (path, key))
            if why:
                return why
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return "%s: expected an array of %d items" % (path, len(want))
        for i, (w, g) in enumerate(zip(want, got)):
            why = difference(w, g, "%s[%d]" % (path, i))
            if why:
                return why
        return None
    if not is_scalar(got):
        return "%s: expected a scalar" % path
    return scalar_difference(want, got, path)


def corpus_problem(kind, accepted, result):
    """Checks that the file sits in the right directory."""
    if kind == "invalid" and accepted:
        return "corpus: tomli accepts a document in invalid/"
    if kind != "invalid" and not accepted:
        return "corpus: tomli refuses a document in %s/: %s" % (kind, result)
    if kind == "valid" and has_big_int(result):
        return "corpus: a document in valid/ has a >64-bit integer " \
               "(it belongs in range/)"
    if kind == "range" and not has_big_int(result):
        return "corpus: a document in range/ has no >64-bit integer"
    return None


def run_dumper(dumper, path):
    proc = subprocess.run([dumper, path], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60)
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), \
        proc.stderr.decode("utf-8", "replace")


def check_refusal(status, err, want_unsupported):
    if status != 1:
        return "expected a refusal (exit 1), got exit %d" % status
    first = err.splitlines()[0] if err else ""
    if not MESSAGE_RE.match(first):
        return "refusal message not FILE:LINE:COLUMN: %r" % first
    if want_unsupported and UNSUPPORTED not in first:
        return "expected a 'not supported' refusal, got %r" % first
    return None


def check_file(dumper, kind, path):
    """Returns None when the file passes, else the reason it does not."""
    with open(path, "rb") as f:
        data = f.read()
    accepted, result = run_tomli(data)
    why = corpus_problem(kind, accepted, result)
    if why:
        return why
    status, out, err = run_dumper(dumper, path)
    if status < 0 or status > 1:
        return "dumper exit status %d: %s" % (status, err.strip())
    if not accepted:
        return check_refusal(status, err, False)
    big, dated = has_big_int(result), has_datetime(result)
    if big or dated:
        # With both, either refusal is right: the first one found wins.
        return check_refusal(status, err, dated and not big)
    if status != 0:
        return "refused what tomli accepts: %s" % err.strip()
    try:
        got = json.loads(out)
    except ValueError as e:
        return "dumper printed invalid JSON: %s" % e
    return difference(result, got)


def corpus(top_srcdir):
    files = []
    for kind in ("valid", "invalid", "range"):
        directory = os.path.join(top_srcdir, "tests", "toml", kind)
        for name in sorted(os.listdir(directory)):
            if name.endswith(".toml"):
                files.append((kind, name, os.path.join(directory, name)))
    return files


def main():
    dumper = os.environ.get("TOML_TO_JSON")
    top_srcdir = os.environ.get("top_srcdir")
    if not dumper or not top_srcdir:
        bail_out("TOML_TO_JSON and top_srcdir must be set in the "
                 "environment")
    try:
        files = corpus(top_srcdir)
    except OSError as e:
        bail_out("cannot list the corpus: %s" % e)
    print("1..%d" % len(files))
    failed = 0
    for number, (kind, name, path) in enumerate(files, 1):
        try:
            why = check_file(dumper, kind, path)
        except (OSError, subprocess.SubprocessError) as e:
            why = "cannot run: %s" % e
        label = "%s/%s" % (kind, name)
        if why is None:
            print("ok %d - %s" % (number, label))
        else:
            failed += 1
            # A '#' would start a TAP directive: escape it.
            why = why.replace("\n", " ").replace("#", "\\#")
            print("not ok %d - %s: %s" % (number, label, why))
        sys.stdout.flush()
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
