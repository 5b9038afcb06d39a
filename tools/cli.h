/*
 * cli.h - what the files of the sasldir tool share.
 *
 * Offers: the tool's state (configuration path, chosen directory), the
 * command table's entry type, and the helpers every command uses:
 * complain() (a message on standard error), report() (a failed
 * operation's message and exit status), parse_command_options() (GLib
 * option parsing of one command), open_directory() (-c and -d), and
 * read_password() (standard input, or a prompt without echo).
 * tools/sasldir.c holds the command table and main(); tools/admin.c the
 * administration of the internal directory; tools/import.c import and
 * export; tools/control.c sasldird's control socket.
 */
#ifndef SD_TOOLS_CLI_H
#define SD_TOOLS_CLI_H

#include <stdbool.h>
#include <glib.h>

#include "sasldir.h"

#define EXIT_NO 1
#define EXIT_USAGE 2
#define EXIT_TEMPFAIL 75

typedef struct cli {
    const char *config_path;
    const char *directory_name;
    sd_registry *registry;
    sd_directory *directory;
} cli_state;

typedef int (*command_fn)(cli_state *cli, int argc, char **argv);

typedef struct command {
    const char *name;
    const char *arguments;
    const char *summary;
    command_fn run;
} command;

void complain(const char *format, ...) G_GNUC_PRINTF(1, 2);
int report(sd_result result, GError *error);
/* ARGV[0] is the command's name; WANTED_ARGUMENTS < 0: at most -N. */
bool parse_command_options(const command *cmd, GOptionEntry *entries,
                           int *argc, char ***argv, int wanted_arguments);
const command *command_named(const char *name);
int open_directory(cli_state *cli);
/* Free the result with sd_secret_free(). */
char *read_password(void);
char *read_password_prompt(const char *prompt);

/* tools/admin.c */
int cmd_principal(cli_state *cli, int argc, char **argv);
int cmd_passwd(cli_state *cli, int argc, char **argv);
int cmd_group(cli_state *cli, int argc, char **argv);
int cmd_alias(cli_state *cli, int argc, char **argv);
int cmd_list(cli_state *cli, int argc, char **argv);
/* "domain add|remove|list ..." rather than "domain DOMAIN"? */
bool cli_domain_is_admin(int argc, char **argv);
int cmd_domain_admin(cli_state *cli, int argc, char **argv);

/* tools/import.c */
int cmd_import(cli_state *cli, int argc, char **argv);
int cmd_export(cli_state *cli, int argc, char **argv);

/* tools/control.c */
/* control_ask()'s answer when no sasldird answers at the control socket
 * (none configured, no socket file, nobody listening). */
#define CONTROL_NO_DAEMON (-1)
typedef enum control_announce {
    CONTROL_ANNOUNCE_NONE,      /* the body alone */
    CONTROL_ANNOUNCE_STDOUT,    /* "from sasldird at PATH" first */
    CONTROL_ANNOUNCE_STDERR,    /* the same on standard error (--json) */
} control_announce;
/* Sends REQUEST (one line, see daemon/control.h) to the sasldird of
 * CLI's configuration and prints the answer; its exit status, or
 * CONTROL_NO_DAEMON before printing anything. */
int control_ask(cli_state *cli, const char *request,
                control_announce announce);
/* May WORD be sent as one word of a request? */
bool control_word_ok(const char *word);
int cmd_reload(cli_state *cli, int argc, char **argv);
int cmd_status(cli_state *cli, int argc, char **argv);
int cmd_metrics(cli_state *cli, int argc, char **argv);

#endif
