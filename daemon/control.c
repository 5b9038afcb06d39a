/*
 * control.c - the control socket's commands, server side (see
 * control.h for the wire format and the commands).
 *
 * Input: one request line, already read by the server; the daemon's
 * state reached only through the control_context callbacks, so this
 * module holds no global state and is tested without a running daemon.
 * Output: the body and the exit status the sasldir tool exits with.
 * The cache and pool texts come from sd_stats (the same code the tool
 * uses in-process), so both print alike.  Who may connect is decided by
 * control_peer_allowed() on the kernel's SO_PEERCRED and SO_PEERGROUPS
 * credentials and the group database, never on anything the client
 * says.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control.h"
#include "metrics.h"
#include "sd_stats.h"

#define STATUS_OK 0
#define STATUS_NOTFOUND 1
#define STATUS_USAGE 2
#define STATUS_TEMPFAIL 75

/* Whose cache the texts name. */
#define OWNER "sasldird"

/* One parsed request: the words after the command, options apart. */
typedef struct request {
    char **words;               /* the line split at single spaces */
    guint count;
    guint next;                 /* the first word not yet taken */
} request;

static char *
fail(int *status, int code, const char *format, ...) G_GNUC_PRINTF(3, 4);

static char *
fail(int *status, int code, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    char *text = g_strdup_vprintf(format, ap);
    va_end(ap);
    *status = code;
    char *body = g_strconcat(text, "\n", NULL);
    g_free(text);
    return body;
}

/* Takes the option "--NAME" or "--NAME=VALUE" if it is the next word;
 * *VALUE the value (borrowed), or NULL for a bare flag. */
static bool
take_option(request *r, const char *name, const char **value)
{
    if (r->next >= r->count)
        return false;
    const char *word = r->words[r->next];
    size_t len = strlen(name);
    if (strncmp(word, "--", 2) != 0 || strncmp(word + 2, name, len) != 0)
        return false;
    const char *rest = word + 2 + len;
    if (*rest != '\0' && *rest != '=')
        return false;
    *value = *rest == '=' ? rest + 1 : NULL;
    r->next++;
    return true;
}

static const char *
take_word(request *r)
{
    return r->next < r->count ? r->words[r->next++] : NULL;
}

/*
 * The directories DIRECTORY names: that one, or all of them when it is
 * NULL or "*".  NULL with *BODY and *STATUS set when there is no such
 * directory.
 */
static GPtrArray *
directories_named(sd_registry *registry, const char *directory,
                  char **body, int *status)
{
    GPtrArray *chosen = g_ptr_array_new();
    if (directory != NULL && strcmp(directory, "*") != 0) {
        sd_directory *one = sd_registry_get(registry, directory);
        if (one == NULL) {
            g_ptr_array_unref(chosen);
            *body = fail(status, STATUS_NOTFOUND, "no enabled directory "
                         "named '%s' in %s", directory,
                         sd_registry_config_path(registry));
            return NULL;
        }
        g_ptr_array_add(chosen, one);
        return chosen;
    }
    const GPtrArray *all = sd_registry_directories(registry);
    for (guint i = 0; i < all->len; i++)
        g_ptr_array_add(chosen, g_ptr_array_index(all, i));
    return chosen;
}

/* cache stats [--json] [DIRECTORY] */
static char *
cache_stats(sd_registry *registry, request *r, int *status)
{
    const char *unused;
    bool json = take_option(r, "json", &unused);
    const char *directory = take_word(r);
    if (take_word(r) != NULL)
        return fail(status, STATUS_USAGE, "usage: cache stats [--json] "
                    "[DIRECTORY]");
    char *body = NULL;
    GPtrArray *directories = directories_named(registry, directory, &body,
                                               status);
    if (directories == NULL)
        return body;
    GString *out = g_string_new(json ? "{\"directories\":[" : NULL);
    for (guint i = 0; i < directories->len; i++) {
        sd_directory *d = g_ptr_array_index(directories, i);
        if (!json) {
            sd_stats_cache_text(d, OWNER, out);
            continue;
        }
        if (i > 0)
            g_string_append_c(out, ',');
        sd_stats_cache_json(d, OWNER, out);
    }
    if (json)
        g_string_append(out, "]}\n");
    g_ptr_array_unref(directories);
    *status = STATUS_OK;
    return g_string_free(out, FALSE);
}

/* cache flush [--kind=KIND] [DIRECTORY|* [NAME]] */
static char *
cache_flush(sd_registry *registry, request *r, int *status)
{
    const char *kind_name = NULL;
    sd_cache_kind kind = SD_CACHE_ANY_KIND;
    if (take_option(r, "kind", &kind_name)
        && (kind_name == NULL || !sd_cache_kind_parse(kind_name, &kind)))
        return fail(status, STATUS_USAGE, "cache flush: unknown kind '%s' "
                    "(principal, credentials, rcpt, domain)",
                    kind_name != NULL ? kind_name : "");
    const char *directory = take_word(r);
    const char *name = take_word(r);
    if (take_word(r) != NULL)
        return fail(status, STATUS_USAGE, "usage: cache flush [--kind=KIND] "
                    "[DIRECTORY|* [NAME]]");
    char *body = NULL;
    GPtrArray *directories = directories_named(registry, directory, &body,
                                               status);
    if (directories == NULL)
        return body;
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < directories->len; i++)
        sd_stats_cache_flush(g_ptr_array_index(directories, i), kind, name,
                             OWNER, out);
    g_ptr_array_unref(directories);
    *status = STATUS_OK;
    return g_string_free(out, FALSE);
}

/* pool stats [DIRECTORY] */
static char *
pool_stats(sd_registry *registry, request *r, int *status)
{
    const char *directory = take_word(r);
    if (take_word(r) != NULL)
        return fail(status, STATUS_USAGE, "usage: pool stats [DIRECTORY]");
    char *body = NULL;
    GPtrArray *directories = directories_named(registry, directory, &body,
                                               status);
    if (directories == NULL)
        return body;
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < directories->len; i++)
        sd_stats_pool_text(g_ptr_array_index(directories, i), out);
    if (out->len == 0)
        g_string_append(out, "no directory of sasldird uses a connection "
                        "pool\n");
    g_ptr_array_unref(directories);
    *status = STATUS_OK;
    return g_string_free(out, FALSE);
}

static char *
reload(const control_context *context, int *status)
{
    if (context->reload == NULL)
        return fail(status, STATUS_TEMPFAIL, "reload: not available");
    GError *error = NULL;
    if (!context->reload(context->self, &error)) {
        char *body = fail(status, STATUS_USAGE, "reload refused, the "
                          "previous configuration stays in force:\n%s",
                          error != NULL ? error->message : "unknown error");
        g_clear_error(&error);
        return body;
    }
    sd_registry *registry = context->registry(context->self);
    char *body = fail(status, STATUS_OK, "reloaded %s",
                      registry != NULL ? sd_registry_config_path(registry)
                                       : "the configuration");
    if (registry != NULL)
        sd_registry_unref(registry);
    return body;
}

static char *
answer_status(const control_context *context, int *status)
{
    GString *out = g_string_new(NULL);
    if (context->status != NULL)
        context->status(context->self, out);
    else
        g_string_append(out, "status: not available\n");
    *status = STATUS_OK;
    return g_string_free(out, FALSE);
}

/* The commands that need the registry. */
static char *
registry_command(const control_context *context, const char *command,
                 const char *sub, request *r, int *status)
{
    sd_registry *registry = context->registry(context->self);
    if (registry == NULL)
        return fail(status, STATUS_TEMPFAIL, "no configuration loaded");
    char *body;
    if (strcmp(command, "metrics") == 0) {
        GString *out = g_string_new(NULL);
        metrics_render(registry, out);
        *status = STATUS_OK;
        body = g_string_free(out, FALSE);
    } else if (strcmp(command, "pool") == 0) {
        body = pool_stats(registry, r, status);
    } else if (strcmp(sub, "stats") == 0) {
        body = cache_stats(registry, r, status);
    } else {
        body = cache_flush(registry, r, status);
    }
    sd_registry_unref(registry);
    return body;
}

static char *
dispatch(const control_context *context, request *r, int *status)
{
    const char *command = take_word(r);
    if (command == NULL)
        return fail(status, STATUS_USAGE, "empty request (commands: status, "
                    "cache stats, cache flush, pool stats, reload, metrics)");
    if (strcmp(command, "status") == 0 && r->next == r->count)
        return answer_status(context, status);
    if (strcmp(command, "reload") == 0 && r->next == r->count)
        return reload(context, status);
    if (strcmp(command, "metrics") == 0 && r->next == r->count)
        return registry_command(context, command, NULL, r, status);
    const char *sub = take_word(r);
    if (sub != NULL
        && ((strcmp(command, "cache") == 0
             && (strcmp(sub, "stats") == 0 || strcmp(sub, "flush") == 0))
            || (strcmp(command, "pool") == 0 && strcmp(sub, "stats") == 0)))
        return registry_command(context, command, sub, r, status);
    return fail(status, STATUS_USAGE, "unknown control request '%s%s%s' "
                "(commands: status, cache stats [--json] [DIRECTORY], cache "
                "flush [--kind=KIND] [DIRECTORY|* [NAME]], pool stats "
                "[DIRECTORY], reload, metrics)", command,
                sub != NULL ? " " : "", sub != NULL ? sub : "");
}

static sd_result
status_result(int status)
{
    switch (status) {
    case STATUS_OK:       return SD_OK;
    case STATUS_NOTFOUND: return SD_NOTFOUND;
    case STATUS_TEMPFAIL: return SD_TEMPFAIL;
    default:              return SD_ERROR;
    }
}

char *
control_answer(const control_context *context, const char *line,
               int *status)
{
    request r = { 0 };
    char *body;
    if (line == NULL || strlen(line) > CONTROL_LINE_MAX) {
        body = fail(status, STATUS_USAGE, "request longer than %d bytes",
                    CONTROL_LINE_MAX);
    } else if (strchr(line, '\n') != NULL || strchr(line, '\r') != NULL) {
        body = fail(status, STATUS_USAGE, "one request line, without a "
                    "newline inside");
    } else {
        r.words = g_strsplit(line, " ", -1);
        r.count = g_strv_length(r.words);
        bool empty_word = false;
        for (guint i = 0; i < r.count; i++)
            empty_word |= *r.words[i] == '\0';
        if (empty_word && r.count > 1)
            body = fail(status, STATUS_USAGE, "words are separated by "
                        "single spaces, with none at either end");
        else
            body = dispatch(context, &r, status);
        g_strfreev(r.words);
    }
    metrics_count_request("control", status_result(*status));
    return body;
}

char *
control_refusal(const char *why, int *status)
{
    metrics_count_refused("not-allowed");
    metrics_count_request("control", SD_ERROR);
    return fail(status, CONTROL_STATUS_NOT_ALLOWED, "not allowed: %s", why);
}

/* "uid 1000 (bob)" or "uid 1000". */
static char *
describe_uid(uid_t uid, struct passwd *pw)
{
    return pw != NULL ? g_strdup_printf("uid %u (%s)", (unsigned)uid,
                                        pw->pw_name)
                      : g_strdup_printf("uid %u", (unsigned)uid);
}

/* Is the user PW (primary group or supplementary) a member of GID? */
static bool
in_group(struct passwd *pw, gid_t gid)
{
    if (pw->pw_gid == gid)
        return true;
    int count = 64;
    for (int attempt = 0; attempt < 8; attempt++) {
        gid_t *groups = g_new(gid_t, count);
        int n = count;
        int found = getgrouplist(pw->pw_name, pw->pw_gid, groups, &n);
        if (found >= 0) {
            bool member = false;
            for (int i = 0; i < n && !member; i++)
                member = groups[i] == gid;
            g_free(groups);
            return member;
        }
        g_free(groups);
        /* N now holds the number needed. */
        count = MAX(n, count * 2);
    }
    return false;
}

/* Did the peer on FD hold GID among its supplementary groups when it
 * connected?  SO_PEERGROUPS (Linux 4.13) gives the groups the kernel
 * checked the socket's mode against, which the group database cannot
 * know of when they were given directly (setgroups, setpriv --groups). */
static bool
peer_holds_group(int fd, gid_t gid)
{
#ifdef SO_PEERGROUPS
    socklen_t len = 64 * sizeof(gid_t);
    for (int attempt = 0; attempt < 4; attempt++) {
        gid_t *groups = g_malloc(len);
        socklen_t got = len;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &got) == 0) {
            bool held = false;
            for (size_t i = 0; i < got / sizeof(gid_t) && !held; i++)
                held = groups[i] == gid;
            g_free(groups);
            return held;
        }
        g_free(groups);
        /* ERANGE: GOT now holds the size needed. */
        if (errno != ERANGE || got <= len)
            return false;
        len = got;
    }
#else
    (void)fd;
    (void)gid;
#endif
    return false;
}

static char *
group_name(gid_t gid)
{
    long size = sysconf(_SC_GETGR_R_SIZE_MAX);
    size_t len = size > 0 ? (size_t)size : 16384;
    char *buffer = g_malloc(len);
    struct group grp, *found = NULL;
    char *name = getgrgid_r(gid, &grp, buffer, len, &found) == 0
                 && found != NULL
                 ? g_strdup_printf("'%s'", found->gr_name)
                 : g_strdup_printf("%u", (unsigned)gid);
    g_free(buffer);
    return name;
}

bool
control_peer_allowed(int fd, gid_t allowed_group, char **why)
{
    struct ucred peer;
    socklen_t len = sizeof peer;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0) {
        *why = g_strdup_printf("cannot read the peer's credentials "
                               "(SO_PEERCRED): %s", g_strerror(errno));
        return false;
    }
    if (peer.uid == 0 || peer.uid == geteuid())
        return true;

    long size = sysconf(_SC_GETPW_R_SIZE_MAX);
    size_t buffer_len = size > 0 ? (size_t)size : 16384;
    char *buffer = g_malloc(buffer_len);
    struct passwd pwd, *pw = NULL;
    if (getpwuid_r(peer.uid, &pwd, buffer, buffer_len, &pw) != 0)
        pw = NULL;
    bool allowed = allowed_group != (gid_t)-1
                   && (peer.gid == allowed_group
                       || peer_holds_group(fd, allowed_group)
                       || (pw != NULL && in_group(pw, allowed_group)));
    if (!allowed) {
        char *who = describe_uid(peer.uid, pw);
        if (allowed_group == (gid_t)-1) {
            *why = g_strdup_printf("%s is not root and not sasldird's own "
                                   "user (no [server] control-group)", who);
        } else {
            char *group = group_name(allowed_group);
            *why = g_strdup_printf("%s is not root and not in group %s",
                                   who, group);
            g_free(group);
        }
        g_free(who);
    }
    g_free(buffer);
    return allowed;
}
