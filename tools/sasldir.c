/*
 * sasldir.c - the administrator's command-line tool.
 *
 * Offers: "sasldir [-c FILE] [-d NAME] COMMAND [ARGS]" with the commands
 * of the table below; each answers with the exit status every sasldir
 * tool uses: 0 yes, 1 no (not found, wrong password, no match), 2 usage,
 * configuration or malformed data, 75 temporary failure (and 77 when
 * sasldird's control socket refuses the user).
 *
 * Inputs: the configuration named by -c, else $SASLDIR_CONFIG, else the
 * built-in default; passwords only on standard input (one trailing
 * newline stripped; prompted for without echo on a terminal), never on
 * the command line where ps(1) would show them.
 *
 * Everything it answers comes from libsasldir through the same calls the
 * SASL plugins and the daemon make; the tool itself decides nothing.
 * The cache and pool commands ask sasldird over its control socket when
 * it runs (tools/control.c), and say so.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "sasldir.h"
#include "cli.h"
#include "sd_server.h"
#include "sd_stats.h"

static int cmd_check_config(cli_state *, int, char **);
static int cmd_lookup(cli_state *, int, char **);
static int cmd_auth(cli_state *, int, char **);
static int cmd_rcpt(cli_state *, int, char **);
static int cmd_domain(cli_state *, int, char **);
static int cmd_expand(cli_state *, int, char **);
static int cmd_vrfy(cli_state *, int, char **);
static int cmd_verify_secret(cli_state *, int, char **);
static int cmd_pool(cli_state *, int, char **);
static int cmd_cache(cli_state *, int, char **);
static int cmd_hash(cli_state *, int, char **);

static const command commands[] = {
    { "check-config", "", "parse the configuration, open every directory "
      "and report every problem", cmd_check_config },
    { "lookup", "NAME", "show a principal: type, addresses, groups, "
      "superuser flag, quota", cmd_lookup },
    { "auth", "NAME", "check the password read from standard input",
      cmd_auth },
    { "rcpt", "ADDRESS", "is ADDRESS a mailbox, alias or list here?",
      cmd_rcpt },
    { "domain", "DOMAIN|add|remove|list", "is DOMAIN a local domain?  "
      "add, remove or list local domains", cmd_domain },
    { "expand", "ADDRESS", "list the members of the mailing list ADDRESS",
      cmd_expand },
    { "vrfy", "TEXT", "list the primary addresses that contain TEXT",
      cmd_vrfy },
    { "verify-secret", "STORED", "check the password read from standard "
      "input against the stored secret STORED", cmd_verify_secret },
    { "pool", "stats", "show sasldird's pools when it runs, else open one "
      "pooled connection per directory and show its pool", cmd_pool },
    { "cache", "stats|flush", "show or flush sasldird's lookup cache when "
      "it runs, else this process's (see 'sasldir cache --help')",
      cmd_cache },
    { "hash", "", "print a new stored secret for the password read from "
      "standard input", cmd_hash },
    /* sasldird's control socket (tools/control.c). */
    { "status", "", "show the state of the running sasldird", cmd_status },
    { "reload", "", "make sasldird re-read its configuration (a bad one "
      "is refused and the old one kept)", cmd_reload },
    { "metrics", "", "print sasldird's counters in the Prometheus text "
      "format", cmd_metrics },
    /* The internal directory's administration (tools/admin.c). */
    { "principal", "add|set|delete|list", "create, change, delete or list "
      "principals (see 'sasldir principal --help')", cmd_principal },
    { "passwd", "NAME", "set a password read from standard input, add or "
      "remove an app password", cmd_passwd },
    { "group", "add-member|remove-member", "add or remove members of a "
      "group", cmd_group },
    { "alias", "add|remove", "add or remove an address of a principal",
      cmd_alias },
    { "list", "add|remove", "add or remove members of a mailing list",
      cmd_list },
    /* tools/import.c */
    { "import", "FILE|-", "create or update principals from a passwd-file, "
      "shadow, htpasswd, LDIF or CSV file", cmd_import },
    { "export", "", "write every principal and domain as LDIF or CSV",
      cmd_export },
};

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

void
complain(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    fputs("sasldir: ", stderr);
    vfprintf(stderr, format, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Reports a failed operation and turns it into the exit status. */
int
report(sd_result result, GError *error)
{
    if (error != NULL) {
        if (result == SD_TEMPFAIL)
            complain("temporary failure: %s", error->message);
        else
            complain("%s", error->message);
        g_error_free(error);
    }
    return sd_result_exit_status(result);
}

/*
 * Parses the command's own options; ARGV[0] is the command name, and
 * WANTED_ARGUMENTS < 0 means "at most -WANTED_ARGUMENTS".  Returns
 * false (after printing why) when the arguments are wrong.
 */
bool
parse_command_options(const command *cmd, GOptionEntry *entries, int *argc,
                      char ***argv, int wanted_arguments)
{
    /* "Usage: sasldir lookup [OPTION…] NAME" */
    char *program = g_strdup_printf("sasldir %s", cmd->name);
    g_set_prgname(program);
    g_free(program);
    GOptionContext *context = g_option_context_new(cmd->arguments);
    g_option_context_set_summary(context, cmd->summary);
    if (entries != NULL)
        g_option_context_add_main_entries(context, entries, NULL);
    GError *error = NULL;
    bool ok = g_option_context_parse(context, argc, argv, &error);
    if (!ok) {
        complain("%s: %s (see 'sasldir %s --help')", cmd->name,
                 error->message, cmd->name);
        g_error_free(error);
    } else if (wanted_arguments < 0 ? *argc - 1 > -wanted_arguments
                                    : *argc - 1 != wanted_arguments) {
        complain("%s: expected %s%s (see 'sasldir %s --help')", cmd->name,
                 wanted_arguments > 0 ? "the argument " : "no arguments",
                 cmd->arguments, cmd->name);
        ok = false;
    }
    g_option_context_free(context);
    return ok;
}

/* The entry of the main command table for NAME (which must be there). */
const command *
command_named(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    g_assert_not_reached();
}

/* Loads the configuration and picks the directory.  Exit status or 0. */
int
open_directory(cli_state *cli)
{
    GError *error = NULL;
    cli->registry = sd_registry_load(cli->config_path, &error);
    if (cli->registry == NULL) {
        complain("%s", error->message);
        g_error_free(error);
        return EXIT_USAGE;
    }
    if (cli->directory_name != NULL) {
        cli->directory = sd_registry_get(cli->registry, cli->directory_name);
        if (cli->directory == NULL) {
            complain("%s: no enabled directory named '%s'", cli->config_path,
                     cli->directory_name);
            return EXIT_USAGE;
        }
    } else {
        cli->directory = sd_registry_default(cli->registry);
    }
    return 0;
}

/* Turns off echo on the terminal at FD; returns whether it did. */
static bool
echo_off(int fd, struct termios *saved)
{
    if (tcgetattr(fd, saved) != 0)
        return false;
    struct termios quiet = *saved;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    return tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
}

/*
 * Reads the password from standard input: everything up to end of file,
 * less one trailing newline (or just the first line when prompting on a
 * terminal).  Returns a buffer the caller wipes with sd_secret_free(), or
 * NULL after saying why.
 */
char *
read_password(void)
{
    return read_password_prompt("Password: ");
}

/* The same with PROMPT on a terminal. */
char *
read_password_prompt(const char *prompt)
{
    bool terminal = isatty(STDIN_FILENO);
    struct termios saved;
    bool restore = false;
    if (terminal) {
        /* Echo goes off before the prompt shows, so nothing typed after
         * the prompt appears is echoed or flushed away. */
        restore = echo_off(STDIN_FILENO, &saved);
        fputs(prompt, stderr);
        fflush(stderr);
    }

    size_t capacity = SD_PASSWORD_MAX + 2;
    char *buffer = g_malloc0(capacity);
    size_t len = 0;
    bool too_long = false;
    for (;;) {
        if (len == capacity - 1) {
            too_long = true;
            break;
        }
        ssize_t got = read(STDIN_FILENO, buffer + len, capacity - 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        if (terminal && memchr(buffer + len, '\n', (size_t)got) != NULL) {
            len += (size_t)got;
            break;
        }
        len += (size_t)got;
    }
    if (restore) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        fputc('\n', stderr);
    }
    if (len > 0 && buffer[len - 1] == '\n')
        buffer[--len] = '\0';

    const char *problem = NULL;
    if (too_long || len > SD_PASSWORD_MAX)
        problem = "the password is longer than the limit of "
                  G_STRINGIFY(SD_PASSWORD_MAX) " bytes";
    else if (memchr(buffer, '\0', len) != NULL)
        problem = "the password contains a NUL byte";
    if (problem != NULL) {
        complain("%s", problem);
        sd_memwipe(buffer, capacity);
        g_free(buffer);
        return NULL;
    }
    return buffer;
}

static void
print_list(const char *label, const GPtrArray *items, const char *first_note)
{
    for (guint i = 0; i < items->len; i++)
        printf("%-13s %s%s\n", i == 0 ? label : "",
               (const char *)g_ptr_array_index(items, i),
               i == 0 && first_note != NULL ? first_note : "");
}

static void
print_joined(const char *label, const GPtrArray *items)
{
    printf("%-13s ", label);
    if (items->len == 0)
        fputs("(none)", stdout);
    for (guint i = 0; i < items->len; i++)
        printf("%s%s", i > 0 ? ", " : "",
               (const char *)g_ptr_array_index(items, i));
    putchar('\n');
}

static void
print_quota(const sd_principal *p)
{
    if (p->effective_quota == 0) {
        printf("%-13s none\n", "quota:");
        return;
    }
    char *formatted = g_format_size_full(p->effective_quota,
                                         G_FORMAT_SIZE_IEC_UNITS);
    GString *size = g_string_new(formatted);
    g_free(formatted);
    /* GLib separates number and unit with a no-break space; keep the
     * output plain ASCII for scripts. */
    g_string_replace(size, "\xc2\xa0", " ", 0);
    printf("%-13s %" G_GUINT64_FORMAT " bytes (%s%s)\n", "quota:",
           p->effective_quota, size->str,
           p->quota == 0 ? ", from its groups" : "");
    g_string_free(size, TRUE);
}

static void
print_principal(const sd_principal *p, bool show_secrets, bool cached)
{
    printf("%-13s %s\n", "name:", p->name);
    printf("%-13s %s\n", "type:", sd_principal_type_name(p->type));
    if (p->description != NULL)
        printf("%-13s %s\n", "description:", p->description);
    if (p->emails->len > 0)
        print_list("addresses:", p->emails, " (primary)");
    else
        printf("%-13s (none)\n", "addresses:");
    if (p->lists->len > 0)
        print_list("lists:", p->lists, NULL);
    print_joined("member of:", p->member_of);
    print_joined("all groups:", p->groups);
    printf("%-13s %s\n", "superuser:", p->superuser ? "yes" : "no");
    print_quota(p);
    if (!show_secrets && cached) {
        printf("%-13s not kept in the cache (--show-secret reads them from "
               "the directory)\n", "secrets:");
        return;
    }
    if (!show_secrets) {
        printf("%-13s %u (not shown; --show-secret prints them)\n",
               "secrets:", p->secrets->len);
        return;
    }
    for (guint i = 0; i < p->secrets->len; i++) {
        const char *secret = g_ptr_array_index(p->secrets, i);
        printf("%-13s [%s] %s\n", i == 0 ? "secrets:" : "",
               sd_secret_scheme_name(secret), secret);
    }
}

/* --repeat N: the same question N times in this process. */
#define REPEAT_MAX 1000000

static bool
repeat_is_valid(gint repeat)
{
    if (repeat >= 1 && repeat <= REPEAT_MAX)
        return true;
    complain("--repeat: expected a number from 1 to %d, got %d", REPEAT_MAX,
             repeat);
    return false;
}

/* The settings and statistics of DIRECTORY's cache, as text. */
static void
print_cache_stats(sd_directory *directory)
{
    GString *out = g_string_new(NULL);
    sd_stats_cache_text(directory, "this sasldir process", out);
    fputs(out->str, stdout);
    g_string_free(out, TRUE);
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

static int
cmd_check_config(cli_state *cli, int argc, char **argv)
{
    if (!parse_command_options(command_named("check-config"),
                               NULL, &argc, &argv, 0))
        return EXIT_USAGE;
    int status = open_directory(cli);
    if (status != 0)
        return status;
    printf("%s: OK\n", sd_registry_config_path(cli->registry));
    const GPtrArray *directories = sd_registry_directories(cli->registry);
    sd_directory *default_directory = sd_registry_default(cli->registry);
    for (guint i = 0; i < directories->len; i++) {
        sd_directory *directory = g_ptr_array_index(directories, i);
        char *line = sd_directory_describe(directory);
        printf("  directory %s%s\n", line,
               directory == default_directory ? " [default]" : "");
        g_free(line);
    }
    return 0;
}

static int
cmd_lookup(cli_state *cli, int argc, char **argv)
{
    gboolean json = FALSE, show_secret = FALSE;
    gint repeat = 1;
    GOptionEntry entries[] = {
        { "json", 'j', 0, G_OPTION_ARG_NONE, &json,
          "print the principal as one JSON object", NULL },
        { "show-secret", 0, 0, G_OPTION_ARG_NONE, &show_secret,
          "also print the stored secrets (hashes, or plaintext if stored "
          "so), read from the directory, never from the cache", NULL },
        { "repeat", 0, 0, G_OPTION_ARG_INT, &repeat,
          "ask N times (the cache answers all but the first)", "N" },
        G_OPTION_ENTRY_NULL
    };
    if (!parse_command_options(command_named("lookup"),
                               entries, &argc, &argv, 1))
        return EXIT_USAGE;
    int status = open_directory(cli);
    if (status != 0)
        return status;

    if (!repeat_is_valid(repeat))
        return EXIT_USAGE;

    sd_principal *principal = NULL;
    GError *error = NULL;
    sd_result result = SD_OK;
    for (gint i = 0; i < repeat && result == SD_OK; i++) {
        sd_principal_free(principal);
        principal = NULL;
        result = show_secret
            ? sd_directory_lookup_uncached(cli->directory, argv[1],
                                           &principal, &error)
            : sd_directory_lookup(cli->directory, argv[1], &principal,
                                  &error);
    }
    if (result != SD_OK)
        return report(result, error);
    if (json) {
        GString *out = g_string_new("");
        sd_principal_to_json(principal, show_secret, out);
        puts(out->str);
        g_string_free(out, TRUE);
    } else {
        print_principal(principal, show_secret,
                        sd_directory_cache(cli->directory) != NULL);
    }
    sd_principal_free(principal);
    return 0;
}

static int
cmd_auth(cli_state *cli, int argc, char **argv)
{
    gint repeat = 1;
    GOptionEntry entries[] = {
        { "repeat", 0, 0, G_OPTION_ARG_INT, &repeat,
          "check N times (the cache answers all but the first)", "N" },
        G_OPTION_ENTRY_NULL
    };
    if (!parse_command_options(command_named("auth"),
                               entries, &argc, &argv, 1))
        return EXIT_USAGE;
    if (!repeat_is_valid(repeat))
        return EXIT_USAGE;
    int status = open_directory(cli);
    if (status != 0)
        return status;
    char *password = read_password();
    if (password == NULL)
        return EXIT_USAGE;

    GError *error = NULL;
    sd_principal *principal = NULL;
    sd_result result = SD_OK;
    for (gint i = 0; i < repeat; i++) {
        sd_principal_free(principal);
        principal = NULL;
        g_clear_error(&error);
        result = sd_directory_authenticate(cli->directory, argv[1], password,
                                           &principal, &error);
    }
    sd_secret_free(password);
    if (result != SD_OK)
        return report(result, error);
    printf("OK: '%s' authenticated by directory '%s'%s\n", principal->name,
           sd_directory_name(cli->directory),
           principal->superuser ? " (superuser)" : "");
    sd_principal_free(principal);
    return 0;
}

static int
cmd_rcpt(cli_state *cli, int argc, char **argv)
{
    if (!parse_command_options(command_named("rcpt"), NULL, &argc, &argv, 1))
        return EXIT_USAGE;
    int status = open_directory(cli);
    if (status != 0)
        return status;
    char *owner = NULL, *matched = NULL;
    GError *error = NULL;
    sd_result result = sd_directory_rcpt(cli->directory, argv[1], &owner,
                                         &matched, &error);
    if (result != SD_OK)
        return report(result, error);
    if (owner != NULL)
        printf("%s: deliverable, mailbox of '%s' (matched %s)\n", argv[1],
               owner, matched);
    else
        printf("%s: deliverable, mailing list (matched %s)\n", argv[1],
               matched);
    g_free(owner);
    g_free(matched);
    return 0;
}

static int
cmd_domain(cli_state *cli, int argc, char **argv)
{
    if (cli_domain_is_admin(argc, argv))
        return cmd_domain_admin(cli, argc, argv);
    if (!parse_command_options(command_named("domain"), NULL, &argc, &argv, 1))
        return EXIT_USAGE;
    int status = open_directory(cli);
    if (status != 0)
        return status;
    GError *error = NULL;
    sd_result result = sd_directory_is_local_domain(cli->directory, argv[1],
                                                    &error);
    if (result != SD_OK)
        return report(result, error);
    printf("%s: local domain\n", argv[1]);
    return 0;
}

static int
print_addresses(sd_result result, GPtrArray *addresses, GError *error)
{
    if (result != SD_OK)
        return report(result, error);
    for (guint i = 0; i < addresses->len; i++)
        puts(g_ptr_array_index(addresses, i));
    g_ptr_array_unref(addresses);
    return 0;
}

static int
cmd_expand(cli_state *cli, int argc, char **argv)
{
    if (!parse_command_options(command_named("expand"), NULL, &argc, &argv, 1))
        return EXIT_USAGE;
    int status = open_directory(cli);
    if (status != 0)
        return status;
    GPtrArray *members = NULL;
    GError *error = NULL;
    sd_result result = sd_directory_expand(cli->directory, argv[1], &members,
                                           &error);
    return print_addresses(result, members, error);
}

static int
cmd_vrfy(cli_state *cli, int argc, char **argv)
{
    if (!parse_command_options(command_named("vrfy"), NULL, &argc, &argv, 1))
        return EXIT_USAGE;
    int status = open_directory(cli);
    if (status != 0)
        return status;
    GPtrArray *matches = NULL;
    GError *error = NULL;
    sd_result result = sd_directory_verify(cli->directory, argv[1], &matches,
                                           &error);
    return print_addresses(result, matches, error);
}

static int
cmd_verify_secret(cli_state *cli, int argc, char **argv)
{
    (void)cli;
    if (!parse_command_options(command_named("verify-secret"),
                               NULL, &argc, &argv, 1))
        return EXIT_USAGE;
    char *password = read_password();
    if (password == NULL)
        return EXIT_USAGE;
    GError *error = NULL;
    sd_result result = sd_secret_verify(argv[1], password, &error);
    sd_secret_free(password);
    switch (result) {
    case SD_OK:
        printf("match (%s)\n", sd_secret_scheme_name(argv[1]));
        return 0;
    case SD_MISMATCH:
        printf("no match (%s)\n", sd_secret_scheme_name(argv[1]));
        g_clear_error(&error);
        return EXIT_NO;
    default:
        return report(SD_ERROR, error);
    }
}

/*
 * Asks sasldird REQUEST, followed by -d's directory (else DEFAULT_WORD,
 * when given) and NAME (when given).  CONTROL_NO_DAEMON when no daemon
 * answers, else the exit status.
 */
static int
ask_daemon(cli_state *cli, const char *request, const char *default_word,
           const char *name, control_announce announce)
{
    const char *directory = cli->directory_name != NULL
                            ? cli->directory_name : default_word;
    if ((directory != NULL && !control_word_ok(directory))
        || (name != NULL && !control_word_ok(name))) {
        /* The control protocol separates words with spaces. */
        g_autofree char *path = sd_server_control_socket_of(cli->config_path);
        if (path == NULL)
            return CONTROL_NO_DAEMON;
        complain("names and directories with spaces cannot be sent to "
                 "sasldird");
        return EXIT_USAGE;
    }
    char *line = g_strjoin(" ", request, directory != NULL ? directory : name,
                           directory != NULL ? name : NULL, NULL);
    int status = control_ask(cli, line, announce);
    g_free(line);
    return status;
}

/* The directories a cache or pool command works on: -d's, else all. */
static GPtrArray *
selected_directories(cli_state *cli)
{
    GPtrArray *chosen = g_ptr_array_new();
    if (cli->directory_name != NULL) {
        g_ptr_array_add(chosen, cli->directory);
        return chosen;
    }
    const GPtrArray *all = sd_registry_directories(cli->registry);
    for (guint i = 0; i < all->len; i++)
        g_ptr_array_add(chosen, g_ptr_array_index(all, i));
    return chosen;
}

/* Borrows and returns one connection, then prints DIRECTORY's pool. */
static sd_result
probe_pool(sd_directory *directory, sd_pool *pool)
{
    void *connection = NULL;
    GError *error = NULL;
    sd_result result = sd_pool_acquire(pool, &connection, &error);
    if (result == SD_OK)
        sd_pool_release(pool, connection, false);
    GString *out = g_string_new(NULL);
    sd_stats_pool_text(directory, out);
    fputs(out->str, stdout);
    g_string_free(out, TRUE);
    if (result != SD_OK)
        report(result, error);
    return result;
}

/*
 * "pool stats".  When sasldird runs, its pools are the ones that matter:
 * the daemon shows them (without opening a connection).  Otherwise
 * every sasldir process has pools of its own; this one opens a
 * connection through each (which also proves the server can be
 * reached) and shows the counters that sd_pool_get_stats() gives any
 * program linked with libsasldir.
 */
static int
cmd_pool(cli_state *cli, int argc, char **argv)
{
    if (!parse_command_options(command_named("pool"), NULL, &argc,
                               &argv, 1))
        return EXIT_USAGE;
    if (strcmp(argv[1], "stats") != 0) {
        complain("pool: unknown subcommand '%s' (only 'stats')", argv[1]);
        return EXIT_USAGE;
    }
    int status = ask_daemon(cli, "pool stats", NULL, NULL,
                            CONTROL_ANNOUNCE_STDOUT);
    if (status != CONTROL_NO_DAEMON)
        return status;
    status = open_directory(cli);
    if (status != 0)
        return status;
    GPtrArray *directories = selected_directories(cli);
    sd_result worst = SD_OK;
    guint pools = 0;
    for (guint i = 0; i < directories->len; i++) {
        sd_directory *directory = g_ptr_array_index(directories, i);
        sd_pool *pool = sd_directory_pool(directory);
        if (pool == NULL)
            continue;
        pools++;
        sd_result result = probe_pool(directory, pool);
        if (result != SD_OK)
            worst = result;
    }
    g_ptr_array_unref(directories);
    if (pools == 0)
        printf("no directory here uses a connection pool\n");
    return sd_result_exit_status(worst);
}

static const command cache_commands[] = {
    { "stats", "", "print the settings and statistics of the lookup cache "
      "of sasldird, or of this process, per directory and kind", NULL },
    { "flush", "[NAME]", "empty the lookup cache of sasldird, or of this "
      "process (every kind, or --kind's; every entry, or NAME's)", NULL },
};

static int
cache_stats(cli_state *cli, int argc, char **argv)
{
    gboolean json = FALSE;
    GOptionEntry entries[] = {
        { "json", 'j', 0, G_OPTION_ARG_NONE, &json,
          "print one JSON object", NULL },
        G_OPTION_ENTRY_NULL
    };
    if (!parse_command_options(&cache_commands[0], entries, &argc, &argv, 0))
        return EXIT_USAGE;
    int status = ask_daemon(cli, json ? "cache stats --json" : "cache stats",
                            NULL, NULL, json ? CONTROL_ANNOUNCE_STDERR
                                             : CONTROL_ANNOUNCE_STDOUT);
    if (status != CONTROL_NO_DAEMON)
        return status;
    status = open_directory(cli);
    if (status != 0)
        return status;
    GPtrArray *directories = selected_directories(cli);
    GString *out = g_string_new("{\"directories\":[");
    for (guint i = 0; i < directories->len; i++) {
        if (json) {
            if (i > 0)
                g_string_append_c(out, ',');
            sd_stats_cache_json(g_ptr_array_index(directories, i),
                                "process", out);
        } else {
            print_cache_stats(g_ptr_array_index(directories, i));
        }
    }
    g_string_append(out, "]}");
    if (json)
        puts(out->str);
    g_string_free(out, TRUE);
    g_ptr_array_unref(directories);
    return 0;
}

static int
cache_flush(cli_state *cli, int argc, char **argv)
{
    g_autofree char *kind_name = NULL;
    GOptionEntry entries[] = {
        { "kind", 'k', 0, G_OPTION_ARG_STRING, &kind_name,
          "only this kind: principal, credentials, rcpt or domain", "KIND" },
        G_OPTION_ENTRY_NULL
    };
    if (!parse_command_options(&cache_commands[1], entries, &argc, &argv,
                               -1))
        return EXIT_USAGE;
    sd_cache_kind kind = SD_CACHE_ANY_KIND;
    if (kind_name != NULL && !sd_cache_kind_parse(kind_name, &kind)) {
        complain("cache flush: unknown kind '%s' (principal, credentials, "
                 "rcpt, domain)", kind_name);
        return EXIT_USAGE;
    }
    const char *name = argc > 1 ? argv[1] : NULL;
    char *request = kind_name != NULL
                    ? g_strdup_printf("cache flush --kind=%s", kind_name)
                    : g_strdup("cache flush");
    int status = ask_daemon(cli, request, name != NULL ? "*" : NULL, name,
                            CONTROL_ANNOUNCE_STDOUT);
    g_free(request);
    if (status != CONTROL_NO_DAEMON)
        return status;
    status = open_directory(cli);
    if (status != 0)
        return status;
    GPtrArray *directories = selected_directories(cli);
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < directories->len; i++)
        sd_stats_cache_flush(g_ptr_array_index(directories, i), kind, name,
                             "this process", out);
    fputs(out->str, stdout);
    g_string_free(out, TRUE);
    g_ptr_array_unref(directories);
    return 0;
}

/*
 * "cache stats" and "cache flush" act on sasldird's cache when the
 * daemon answers at its control socket (the cache every saslauthd
 * client on the host shares), and say so on their first line.
 * Otherwise they act on the cache of this process: a new sasldir
 * process starts with an empty one, so they matter after "auth
 * --repeat" or "lookup --repeat" (see --cache-stats).
 */
static int
cmd_cache(cli_state *cli, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "stats") == 0)
        return cache_stats(cli, argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "flush") == 0)
        return cache_flush(cli, argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0
                      || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: sasldir cache stats [--json]\n"
               "       sasldir cache flush [--kind KIND] [NAME]\n\n"
               "Both act on sasldird's lookup cache when the daemon answers "
               "at its control\nsocket (the first line says so: \"from "
               "sasldird at PATH\"), else on the cache\nof this sasldir "
               "process, which starts empty; use 'sasldir --cache-stats\n"
               "auth NAME --repeat N' to see that one at work.\n");
        return 0;
    }
    complain("cache: expected 'stats' or 'flush' (see 'sasldir cache "
             "--help')");
    return EXIT_USAGE;
}

static void
print_scheme_lists(void)
{
    printf("Generated by 'sasldir hash --scheme S' (parameters for "
           "--param):\n");
    static const char *const params[] = {
        "memory=SIZE time=N parallelism=N salt-length=N", "cost=4..31",
        "cost=1..11", "rounds=N", "rounds=N salt-length=N",
        "rounds=N salt-length=N", "salt-length=N",
    };
    const char *const *names = sd_secret_hash_schemes();
    for (size_t i = 0; names[i] != NULL; i++)
        printf("  %-14s %s\n", names[i],
               i < G_N_ELEMENTS(params) ? params[i] : "");
    printf("Verified:\n");
    for (const char *const *line = sd_secret_scheme_names(); *line != NULL;
         line++)
        printf("  %s\n", *line);
}

/*
 * The policy "hash" uses: the [secret] table of the configuration file
 * when there is one, else the built-in defaults; then --param.
 */
static sd_secret_policy *
hash_policy(cli_state *cli, const char *scheme, char **params)
{
    sd_secret_policy *policy;
    if (g_file_test(cli->config_path, G_FILE_TEST_EXISTS)) {
        if (open_directory(cli) != 0)
            return NULL;
        policy = sd_secret_policy_copy(
            sd_registry_secret_policy(cli->registry));
    } else {
        policy = sd_secret_policy_new();
    }
    if (scheme == NULL)
        scheme = sd_secret_policy_default_scheme(policy);
    for (size_t i = 0; params != NULL && params[i] != NULL; i++) {
        char *equals = strchr(params[i], '=');
        GError *error = NULL;
        if (equals == NULL) {
            complain("hash: --param '%s': expected KEY=VALUE", params[i]);
        } else {
            *equals = '\0';
            if (sd_secret_policy_set_param(policy, scheme, params[i],
                                           equals + 1, &error) == SD_OK)
                continue;
            complain("hash: --param: %s", error->message);
            g_error_free(error);
        }
        sd_secret_policy_free(policy);
        return NULL;
    }
    return policy;
}

static int
cmd_hash(cli_state *cli, int argc, char **argv)
{
    g_autofree char *scheme = NULL;
    g_auto(GStrv) params = NULL;
    gboolean list = FALSE;
    GOptionEntry entries[] = {
        { "scheme", 's', 0, G_OPTION_ARG_STRING, &scheme,
          "the scheme to generate (default: [secret] default-scheme, else "
          "argon2id)", "S" },
        { "param", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &params,
          "a parameter of the scheme, e.g. cost=12 (repeatable)", "K=V" },
        { "list", 'l', 0, G_OPTION_ARG_NONE, &list,
          "list the schemes generated and verified", NULL },
        G_OPTION_ENTRY_NULL
    };
    if (!parse_command_options(command_named("hash"), entries, &argc,
                               &argv, 0))
        return EXIT_USAGE;
    if (list) {
        print_scheme_lists();
        return 0;
    }
    sd_secret_policy *policy = hash_policy(cli, scheme, params);
    if (policy == NULL)
        return EXIT_USAGE;
    char *password = read_password();
    if (password == NULL) {
        sd_secret_policy_free(policy);
        return EXIT_USAGE;
    }
    GError *error = NULL;
    char *stored = sd_secret_hash(policy, scheme, password, &error);
    sd_secret_free(password);
    sd_secret_policy_free(policy);
    if (stored == NULL)
        return report(SD_ERROR, error);
    printf("%s\n", stored);
    sd_secret_free(stored);
    return 0;
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static char *
describe_commands(void)
{
    GString *text = g_string_new("Commands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        char *usage = g_strdup_printf("%s %s", commands[i].name,
                                      commands[i].arguments);
        g_string_append_printf(text, "  %-22s %s\n", usage,
                               commands[i].summary);
        g_free(usage);
    }
    g_string_append(text,
        "\n'sasldir COMMAND --help' describes a command's options.\n"
        "Exit status: 0 yes, 1 no, 2 usage or configuration error, "
        "75 temporary failure,\n77 not allowed to use sasldird's control "
        "socket.\n"
        "Passwords are read from standard input, never from the command "
        "line.");
    return g_string_free(text, FALSE);
}

int
main(int argc, char **argv)
{
    g_set_prgname("sasldir");
    cli_state cli = { 0 };
    g_autofree char *config_path = NULL;
    g_autofree char *directory_name = NULL;
    g_autofree char *log_level = NULL;
    gboolean version = FALSE, cache_stats_after = FALSE;
    GOptionEntry entries[] = {
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
          "configuration file (default: $SASLDIR_CONFIG, else "
          SD_DEFAULT_CONFIG ")", "FILE" },
        { "directory", 'd', 0, G_OPTION_ARG_STRING, &directory_name,
          "use this directory instead of [storage] directory", "NAME" },
        { "log-level", 'l', 0, G_OPTION_ARG_STRING, &log_level,
          "error, warning, notice (default), info or debug", "LEVEL" },
        { "version", 'V', 0, G_OPTION_ARG_NONE, &version,
          "print the version and exit", NULL },
        { "cache-stats", 's', 0, G_OPTION_ARG_NONE, &cache_stats_after,
          "after the command, print the cache statistics of the directory "
          "it used", NULL },
        G_OPTION_ENTRY_NULL
    };
    GOptionContext *context = g_option_context_new("COMMAND [ARGUMENTS]");
    g_option_context_set_summary(context, "Inspect and test sasldir "
                                 "directories.");
    char *description = describe_commands();
    g_option_context_set_description(context, description);
    g_free(description);
    g_option_context_add_main_entries(context, entries, NULL);
    /* Stop at the command name: what follows is the command's. */
    g_option_context_set_strict_posix(context, TRUE);
    GError *error = NULL;
    if (!g_option_context_parse(context, &argc, &argv, &error)) {
        complain("%s (see 'sasldir --help')", error->message);
        g_error_free(error);
        g_option_context_free(context);
        return EXIT_USAGE;
    }
    g_option_context_free(context);

    if (version) {
        printf("sasldir %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (log_level != NULL) {
        sd_log_level level;
        if (!sd_log_parse_level(log_level, &level)) {
            complain("unknown log level '%s' (error, warning, notice, info, "
                     "debug)", log_level);
            return EXIT_USAGE;
        }
        sd_log_set_level(level);
    }
    if (argc < 2) {
        complain("no command given (see 'sasldir --help')");
        return EXIT_USAGE;
    }

    cli.config_path = config_path;
    if (cli.config_path == NULL)
        cli.config_path = g_getenv("SASLDIR_CONFIG");
    if (cli.config_path == NULL || *cli.config_path == '\0')
        cli.config_path = SD_DEFAULT_CONFIG;
    cli.directory_name = directory_name;

    int status = -1;
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            status = commands[i].run(&cli, argc - 1, argv + 1);
            break;
        }
    }
    if (status < 0) {
        complain("unknown command '%s' (see 'sasldir --help')", argv[1]);
        status = EXIT_USAGE;
    }
    if (cache_stats_after && cli.directory != NULL)
        print_cache_stats(cli.directory);
    sd_registry_unref(cli.registry);
    return status;
}
