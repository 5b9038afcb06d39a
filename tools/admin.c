/*
 * admin.c - the administration commands of the internal directory:
 * principal add|set|delete|list, passwd, group add-member|remove-member,
 * alias add|remove, list add|remove, domain add|remove|list.
 *
 * Inputs: names, addresses and options on the command line; a new
 * password only on standard input (prompted for twice, without echo, on
 * a terminal).  Every write goes through the write API of libsasldir
 * (sd_directory.h), one transaction each, and prints what it changed;
 * "principal set" edits inside that transaction, so it loses no write
 * made meanwhile.  --member-of must name existing groups (imports may
 * name one before creating it; these commands may not).
 *
 * Results: the exit status of every sasldir command: 0 done, 1 a named
 * principal, address or domain does not exist, 2 usage, configuration,
 * a conflict or a read-only directory, 75 temporary failure (the store
 * stayed locked past its busy timeout).  With several names, the
 * command stops at the first failure; what was done before is printed.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define ARGS_MAX 100000

/*
 * Parses a subcommand's options (ARGV[0] is the subcommand) and checks
 * that MIN to MAX arguments remain.
 */
static bool
parse_sub(const command *sub, GOptionEntry *entries, int *argc, char ***argv,
          int min, int max)
{
    if (!parse_command_options(sub, entries, argc, argv, -ARGS_MAX))
        return false;
    int n = *argc - 1;
    if (n < min || n > max) {
        complain("%s: expected %s (see 'sasldir %s --help')", sub->name,
                 sub->arguments, sub->name);
        return false;
    }
    return true;
}

/* Runs the entry of SUBS named by ARGV[1]; GROUP names the command. */
static int
dispatch(cli_state *cli, const char *group, const command *subs, size_t n,
         int argc, char **argv)
{
    if (argc >= 2) {
        for (size_t i = 0; i < n; i++) {
            const char *space = strchr(subs[i].name, ' ');
            if (strcmp(space != NULL ? space + 1 : subs[i].name,
                       argv[1]) == 0)
                return subs[i].run(cli, argc - 1, argv + 1);
        }
    }
    bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0
                              || strcmp(argv[1], "-h") == 0);
    FILE *out = help ? stdout : stderr;
    if (!help)
        fprintf(stderr, "sasldir: %s: %s\n", group,
                argc >= 2 ? "unknown subcommand" : "a subcommand is needed");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s sasldir %s %s\n       %s\n",
                i == 0 ? "Usage:" : "      ", subs[i].name,
                subs[i].arguments, subs[i].summary);
    fprintf(out, "'sasldir %s SUBCOMMAND --help' lists its options.\n",
            group);
    return help ? 0 : EXIT_USAGE;
}

static bool
parse_type(const char *text, sd_principal_type *type)
{
    if (sd_principal_type_parse(text, type))
        return true;
    complain("--type: unknown type '%s' (individual, group or admin)", text);
    return false;
}

static bool
parse_quota(const char *text, uint64_t *quota)
{
    if (sd_parse_size(text, quota))
        return true;
    complain("--quota: '%s' is not a size (bytes, or e.g. 512M, 2G)", text);
    return false;
}

static void
set_strings(GPtrArray *to, char **values)
{
    g_ptr_array_set_size(to, 0);
    for (size_t i = 0; values != NULL && values[i] != NULL; i++)
        sd_string_list_add_unique(to, values[i]);
}

static char *
joined(const GPtrArray *items)
{
    if (items->len == 0)
        return g_strdup("(none)");
    GString *text = g_string_new(NULL);
    for (guint i = 0; i < items->len; i++)
        g_string_append_printf(text, "%s%s", i > 0 ? ", " : "",
                               (const char *)g_ptr_array_index(items, i));
    return g_string_free(text, FALSE);
}

/* The stored fields of P, one "key: value" line each, indented. */
static void
print_fields(const sd_principal *p)
{
    printf("  type:        %s\n", sd_principal_type_name(p->type));
    if (p->description != NULL)
        printf("  description: %s\n", p->description);
    char *emails = joined(p->emails);
    char *groups = joined(p->member_of);
    printf("  addresses:   %s\n", emails);
    if (p->lists->len > 0) {
        char *lists = joined(p->lists);
        printf("  lists:       %s\n", lists);
        g_free(lists);
    }
    printf("  member of:   %s\n", groups);
    if (p->quota != 0)
        printf("  quota:       %" G_GUINT64_FORMAT " bytes\n", p->quota);
    else
        printf("  quota:       none\n");
    g_free(emails);
    g_free(groups);
}

/* ------------------------------------------------------------------ */
/* principal                                                           */
/* ------------------------------------------------------------------ */

static int principal_add(cli_state *, int, char **);
static int principal_set(cli_state *, int, char **);
static int principal_delete(cli_state *, int, char **);
static int principal_list(cli_state *, int, char **);

static const command principal_commands[] = {
    { "principal add", "NAME", "create a principal", principal_add },
    { "principal set", "NAME", "change the fields given of a principal "
      "(lists given replace the stored ones)", principal_set },
    { "principal delete", "NAME...", "delete principals", principal_delete },
    { "principal list", "", "list every principal (secrets only with "
      "--show-secret)", principal_list },
};

int
cmd_principal(cli_state *cli, int argc, char **argv)
{
    return dispatch(cli, "principal", principal_commands,
                    G_N_ELEMENTS(principal_commands), argc, argv);
}

typedef struct principal_options {
    char *type;
    char *description;
    char **emails;
    char *quota;
    char **member_of;
    gboolean no_description;
} principal_options;

static void
principal_options_clear(principal_options *o)
{
    g_free(o->type);
    g_free(o->description);
    g_strfreev(o->emails);
    g_free(o->quota);
    g_strfreev(o->member_of);
}

/* The options given, parsed: what principal add and set write. */
typedef struct principal_fields {
    const principal_options *options;
    sd_principal_type type;
    uint64_t quota;
} principal_fields;

/* Parses the options of O that need it; false after saying why not. */
static bool
parse_fields(const principal_options *o, principal_fields *fields)
{
    fields->options = o;
    fields->type = SD_PRINCIPAL_INDIVIDUAL;
    fields->quota = 0;
    return (o->type == NULL || parse_type(o->type, &fields->type))
        && (o->quota == NULL || parse_quota(o->quota, &fields->quota));
}

/* Sets the fields given on P (an sd_principal_edit_fn for principal
 * set). */
static sd_result
apply_fields(void *context, sd_principal *p, GError **error)
{
    (void)error;
    const principal_fields *fields = context;
    const principal_options *o = fields->options;
    if (o->type != NULL)
        p->type = fields->type;
    if (o->quota != NULL)
        p->quota = fields->quota;
    if (o->description != NULL || o->no_description) {
        g_free(p->description);
        p->description = o->description != NULL && *o->description != '\0'
            ? g_strdup(o->description) : NULL;
    }
    if (o->emails != NULL)
        set_strings(p->emails, o->emails);
    if (o->member_of != NULL)
        set_strings(p->member_of, o->member_of);
    return SD_OK;
}

/*
 * --member-of names existing groups: a typo would otherwise make a
 * membership of a group nobody has (imports, which may name a group
 * before the file creates it, do not check).  0, or the exit status
 * after saying why not: 1 no such principal, 2 not a group.
 */
static int
check_groups(cli_state *cli, char **groups)
{
    for (size_t i = 0; groups != NULL && groups[i] != NULL; i++) {
        sd_principal *group = NULL;
        GError *error = NULL;
        sd_result result = sd_directory_lookup_uncached(cli->directory,
                                                        groups[i], &group,
                                                        &error);
        if (result == SD_NOTFOUND) {
            g_error_free(error);
            complain("--member-of %s: there is no such group in directory "
                     "%s (create it first: 'sasldir principal add %s "
                     "--type group')", groups[i],
                     sd_directory_name(cli->directory), groups[i]);
            return EXIT_NO;
        }
        if (result != SD_OK)
            return report(result, error);
        sd_principal_type type = group->type;
        sd_principal_free(group);
        if (type != SD_PRINCIPAL_GROUP) {
            complain("--member-of %s: principal %s of directory %s is of "
                     "type %s, not a group", groups[i], groups[i],
                     sd_directory_name(cli->directory),
                     sd_principal_type_name(type));
            return EXIT_USAGE;
        }
    }
    return 0;
}

#define PRINCIPAL_ENTRIES(o)                                                \
    { "type", 't', 0, G_OPTION_ARG_STRING, &(o).type,                       \
      "individual (default), group or admin", "TYPE" },                     \
    { "description", 0, 0, G_OPTION_ARG_STRING, &(o).description,           \
      "a description", "TEXT" },                                            \
    { "email", 'e', 0, G_OPTION_ARG_STRING_ARRAY, &(o).emails,              \
      "an address (repeatable; the first is the primary one)", "ADDR" },    \
    { "quota", 'q', 0, G_OPTION_ARG_STRING, &(o).quota,                     \
      "bytes, or e.g. 512M, 2G (0: none)", "SIZE" },                        \
    { "member-of", 'm', 0, G_OPTION_ARG_STRING_ARRAY, &(o).member_of,       \
      "a group it belongs to (repeatable)", "GROUP" }

static int
principal_add(cli_state *cli, int argc, char **argv)
{
    principal_options o = { 0 };
    GOptionEntry entries[] = { PRINCIPAL_ENTRIES(o), G_OPTION_ENTRY_NULL };
    principal_fields fields;
    int status = EXIT_USAGE;
    if (!parse_sub(&principal_commands[0], entries, &argc, &argv, 1, 1)
        || !parse_fields(&o, &fields))
        goto out;
    if ((status = open_directory(cli)) != 0
        || (status = check_groups(cli, o.member_of)) != 0)
        goto out;
    sd_principal *p = sd_principal_new(argv[1], SD_PRINCIPAL_INDIVIDUAL);
    apply_fields(&fields, p, NULL);
    GError *error = NULL;
    sd_result result = sd_directory_store_principal(cli->directory, p,
                                                    SD_STORE_CREATE, &error);
    if (result == SD_OK) {
        printf("created principal %s in directory %s\n", p->name,
               sd_directory_name(cli->directory));
        print_fields(p);
        printf("  (no password yet: 'sasldir passwd %s' sets one)\n",
               p->name);
    }
    sd_principal_free(p);
    status = result == SD_OK ? 0 : report(result, error);
out:
    principal_options_clear(&o);
    return status;
}

/*
 * The fields given replace the stored ones in one transaction
 * (sd_directory_edit_principal): a password or address another process
 * writes meanwhile is kept, not overwritten with what was read before.
 */
static int
principal_set(cli_state *cli, int argc, char **argv)
{
    principal_options o = { 0 };
    GOptionEntry entries[] = {
        PRINCIPAL_ENTRIES(o),
        { "no-description", 0, 0, G_OPTION_ARG_NONE, &o.no_description,
          "remove the description", NULL },
        G_OPTION_ENTRY_NULL
    };
    principal_fields fields;
    int status = EXIT_USAGE;
    if (!parse_sub(&principal_commands[1], entries, &argc, &argv, 1, 1)
        || !parse_fields(&o, &fields))
        goto out;
    if ((status = open_directory(cli)) != 0
        || (status = check_groups(cli, o.member_of)) != 0)
        goto out;
    sd_principal *p = NULL;
    GError *error = NULL;
    sd_result result = sd_directory_edit_principal(cli->directory, argv[1],
                                                   apply_fields, &fields, &p,
                                                   &error);
    if (result == SD_OK) {
        printf("changed principal %s in directory %s; now:\n", p->name,
               sd_directory_name(cli->directory));
        print_fields(p);
        sd_principal_free(p);
    }
    status = result == SD_OK ? 0 : report(result, error);
out:
    principal_options_clear(&o);
    return status;
}

static int
principal_delete(cli_state *cli, int argc, char **argv)
{
    if (!parse_sub(&principal_commands[2], NULL, &argc, &argv, 1, ARGS_MAX))
        return EXIT_USAGE;
    int status = open_directory(cli);
    for (int i = 1; i < argc && status == 0; i++) {
        GError *error = NULL;
        sd_result result = sd_directory_delete_principal(cli->directory,
                                                         argv[i], &error);
        if (result == SD_OK)
            printf("deleted principal %s from directory %s\n", argv[i],
                   sd_directory_name(cli->directory));
        else
            status = report(result, error);
    }
    return status;
}

static int
principal_list(cli_state *cli, int argc, char **argv)
{
    gboolean json = FALSE, show_secret = FALSE;
    GOptionEntry entries[] = {
        { "json", 'j', 0, G_OPTION_ARG_NONE, &json,
          "print one JSON array of the principals as stored", NULL },
        { "show-secret", 0, 0, G_OPTION_ARG_NONE, &show_secret,
          "also print the stored secrets and SCRAM credentials", NULL },
        G_OPTION_ENTRY_NULL
    };
    if (!parse_sub(&principal_commands[3], entries, &argc, &argv, 0, 0))
        return EXIT_USAGE;
    int status = open_directory(cli);
    if (status != 0)
        return status;
    GPtrArray *principals = NULL;
    GError *error = NULL;
    sd_result result = sd_directory_list_principals(cli->directory,
                                                    &principals, &error);
    if (result != SD_OK)
        return report(result, error);
    GString *out = g_string_new(json ? "[" : "");
    for (guint i = 0; i < principals->len; i++) {
        const sd_principal *p = g_ptr_array_index(principals, i);
        if (json) {
            if (i > 0)
                g_string_append(out, ",\n ");
            sd_principal_to_json(p, show_secret, out);
            continue;
        }
        char *emails = joined(p->emails);
        g_string_append_printf(out, "%-20s %-10s %s", p->name,
                               sd_principal_type_name(p->type), emails);
        g_free(emails);
        if (show_secret) {
            for (guint k = 0; k < p->secrets->len; k++)
                g_string_append_printf(out, "\n  secret: %s",
                    (const char *)g_ptr_array_index(p->secrets, k));
            for (guint k = 0; k < p->auth_passwords->len; k++)
                g_string_append_printf(out, "\n  authPassword: %s",
                    (const char *)g_ptr_array_index(p->auth_passwords, k));
        }
        g_string_append_c(out, '\n');
    }
    if (json)
        g_string_append(out, "]\n");
    fputs(out->str, stdout);
    sd_memwipe(out->str, out->len);
    g_string_free(out, TRUE);
    g_ptr_array_unref(principals);
    return 0;
}

/* ------------------------------------------------------------------ */
/* passwd                                                              */
/* ------------------------------------------------------------------ */

/* The new password: standard input, or twice from the terminal. */
static char *
read_new_password(void)
{
    if (!isatty(STDIN_FILENO))
        return read_password();
    char *first = read_password_prompt("New password: ");
    if (first == NULL)
        return NULL;
    char *second = read_password_prompt("Retype the new password: ");
    if (second == NULL) {
        sd_secret_free(first);
        return NULL;
    }
    bool same = strcmp(first, second) == 0;
    sd_secret_free(second);
    if (!same) {
        complain("passwd: the two passwords differ; nothing was changed");
        sd_secret_free(first);
        return NULL;
    }
    return first;
}

static const command passwd_command = {
    "passwd", "NAME", "set NAME's password to the one read from standard "
    "input (prompted for twice on a terminal), hashed with --scheme "
    "(default: [secret] default-scheme, argon2id); --label makes it an app "
    "password, --add keeps the other passwords, --remove-label removes an "
    "app password", NULL
};

int
cmd_passwd(cli_state *cli, int argc, char **argv)
{
    g_autofree char *scheme = NULL, *label = NULL, *remove_label = NULL;
    gboolean add = FALSE;
    GOptionEntry entries[] = {
        { "scheme", 's', 0, G_OPTION_ARG_STRING, &scheme,
          "the hash scheme (see 'sasldir hash --list')", "S" },
        { "label", 'L', 0, G_OPTION_ARG_STRING, &label,
          "store an app password with this label (replacing one with the "
          "same label)", "L" },
        { "add", 'a', 0, G_OPTION_ARG_NONE, &add,
          "keep the other passwords", NULL },
        { "remove-label", 'r', 0, G_OPTION_ARG_STRING, &remove_label,
          "remove the app password with this label (reads no password)",
          "L" },
        G_OPTION_ENTRY_NULL
    };
    if (!parse_sub(&passwd_command, entries, &argc, &argv, 1, 1))
        return EXIT_USAGE;
    if (remove_label != NULL && (label != NULL || add || scheme != NULL)) {
        complain("passwd: --remove-label goes alone");
        return EXIT_USAGE;
    }
    if (label != NULL && (*label == '\0' || strchr(label, '$') != NULL)) {
        complain("passwd: --label: a label is not empty and holds no '$'");
        return EXIT_USAGE;
    }
    int status = open_directory(cli);
    if (status != 0)
        return status;
    const char *name = argv[1];
    GError *error = NULL;
    if (remove_label != NULL) {
        sd_result result = sd_directory_remove_secret(cli->directory, name,
                                                      remove_label, &error);
        if (result != SD_OK)
            return report(result, error);
        printf("removed app password '%s' of %s\n", remove_label, name);
        return 0;
    }
    char *password = read_new_password();
    if (password == NULL)
        return EXIT_USAGE;
    if (*password == '\0') {
        sd_secret_free(password);
        complain("passwd: the password is empty; nothing was changed");
        return EXIT_USAGE;
    }
    sd_result result = sd_directory_set_password(cli->directory, name,
                                                 password, scheme, label,
                                                 add, &error);
    sd_secret_free(password);
    if (result != SD_OK)
        return report(result, error);
    const char *shown = scheme != NULL ? scheme
        : sd_secret_policy_default_scheme(
              sd_registry_secret_policy(cli->registry));
    if (label != NULL)
        printf("set app password '%s' of %s (%s)\n", label, name, shown);
    else if (add)
        printf("added a password to %s (%s); the others are kept\n", name,
               shown);
    else
        printf("set the password of %s (%s); its other passwords and "
               "SCRAM credentials are replaced, app passwords kept\n", name,
               shown);
    return 0;
}

/* ------------------------------------------------------------------ */
/* group, alias, list                                                  */
/* ------------------------------------------------------------------ */

typedef sd_result (*pair_write)(sd_directory *, const char *, const char *,
                                GError **);

/*
 * "SUB FIRST SECOND..." for each SECOND: WRITE(FIRST, SECOND), printing
 * "VERB SECOND PREPOSITION FIRST" after each success.
 */
static int
pair_command(cli_state *cli, const command *sub, int argc, char **argv,
             int max, pair_write write, const char *verb,
             const char *preposition)
{
    if (!parse_sub(sub, NULL, &argc, &argv, 2, max))
        return EXIT_USAGE;
    int status = open_directory(cli);
    for (int i = 2; i < argc && status == 0; i++) {
        GError *error = NULL;
        sd_result result = write(cli->directory, argv[1], argv[i], &error);
        if (result != SD_OK) {
            status = report(result, error);
            break;
        }
        printf("%s %s %s %s\n", verb, argv[i], preposition, argv[1]);
    }
    return status;
}

static int group_add(cli_state *, int, char **);
static int group_remove(cli_state *, int, char **);

static const command group_commands[] = {
    { "group add-member", "GROUP NAME...", "make principals members of "
      "GROUP", group_add },
    { "group remove-member", "GROUP NAME...", "remove principals from "
      "GROUP", group_remove },
};

static int
group_add(cli_state *cli, int argc, char **argv)
{
    return pair_command(cli, &group_commands[0], argc, argv, ARGS_MAX,
                        sd_directory_add_member,
                        "added", "to group");
}

static int
group_remove(cli_state *cli, int argc, char **argv)
{
    return pair_command(cli, &group_commands[1], argc, argv, ARGS_MAX,
                        sd_directory_remove_member,
                        "removed", "from group");
}

int
cmd_group(cli_state *cli, int argc, char **argv)
{
    return dispatch(cli, "group", group_commands,
                    G_N_ELEMENTS(group_commands), argc, argv);
}

static int alias_add(cli_state *, int, char **);
static int alias_remove(cli_state *, int, char **);

static const command alias_commands[] = {
    { "alias add", "NAME ADDRESS", "give NAME another address (the first "
      "one it has is its primary)", alias_add },
    { "alias remove", "NAME ADDRESS", "take an address from NAME",
      alias_remove },
};

static int
alias_add(cli_state *cli, int argc, char **argv)
{
    return pair_command(cli, &alias_commands[0], argc, argv, 2,
                        sd_directory_add_email,
                        "added address", "to");
}

static int
alias_remove(cli_state *cli, int argc, char **argv)
{
    return pair_command(cli, &alias_commands[1], argc, argv, 2,
                        sd_directory_remove_email,
                        "removed address", "from");
}

int
cmd_alias(cli_state *cli, int argc, char **argv)
{
    return dispatch(cli, "alias", alias_commands,
                    G_N_ELEMENTS(alias_commands), argc, argv);
}

static int list_add(cli_state *, int, char **);
static int list_remove(cli_state *, int, char **);

static const command list_commands[] = {
    { "list add", "LIST-ADDRESS MEMBER...", "let principals receive the "
      "mail of the list LIST-ADDRESS", list_add },
    { "list remove", "LIST-ADDRESS MEMBER...", "take principals off the "
      "list LIST-ADDRESS", list_remove },
};

static int
list_add(cli_state *cli, int argc, char **argv)
{
    return pair_command(cli, &list_commands[0], argc, argv, ARGS_MAX,
                        sd_directory_add_list_member,
                        "added", "to list");
}

static int
list_remove(cli_state *cli, int argc, char **argv)
{
    return pair_command(cli, &list_commands[1], argc, argv, ARGS_MAX,
                        sd_directory_remove_list_member,
                        "removed", "from list");
}

int
cmd_list(cli_state *cli, int argc, char **argv)
{
    return dispatch(cli, "list", list_commands, G_N_ELEMENTS(list_commands),
                    argc, argv);
}

/* ------------------------------------------------------------------ */
/* domain add|remove|list                                              */
/* ------------------------------------------------------------------ */

static int domain_add(cli_state *, int, char **);
static int domain_remove(cli_state *, int, char **);
static int domain_list(cli_state *, int, char **);

static const command domain_commands[] = {
    { "domain add", "DOMAIN...", "make domains local", domain_add },
    { "domain remove", "DOMAIN...", "remove local domains", domain_remove },
    { "domain list", "", "list the local domains", domain_list },
};

bool
cli_domain_is_admin(int argc, char **argv)
{
    return argc >= 2 && (strcmp(argv[1], "add") == 0
                         || strcmp(argv[1], "remove") == 0
                         || strcmp(argv[1], "list") == 0);
}

int
cmd_domain_admin(cli_state *cli, int argc, char **argv)
{
    return dispatch(cli, "domain", domain_commands,
                    G_N_ELEMENTS(domain_commands), argc, argv);
}

typedef sd_result (*domain_write)(sd_directory *, const char *, GError **);

static int
domain_change(cli_state *cli, const command *sub, int argc, char **argv,
              domain_write write, const char *verb, const char *preposition)
{
    if (!parse_sub(sub, NULL, &argc, &argv, 1, ARGS_MAX))
        return EXIT_USAGE;
    int status = open_directory(cli);
    for (int i = 1; i < argc && status == 0; i++) {
        GError *error = NULL;
        sd_result result = write(cli->directory, argv[i], &error);
        if (result != SD_OK)
            return report(result, error);
        printf("%s %s %s %s\n", verb, argv[i], preposition,
               sd_directory_name(cli->directory));
    }
    return status;
}

/* Is DOMAIN (normalized) among the directory's domains?  The store
 * accepts a domain it has, so "domain add" says itself that nothing
 * changed. */
static bool
domain_known(cli_state *cli, const char *domain)
{
    GPtrArray *domains = NULL;
    char *normal = sd_domain_normalize(domain, NULL);
    bool known = false;
    if (normal != NULL && sd_directory_list_domains(cli->directory, &domains,
                                                    NULL) == SD_OK) {
        for (guint i = 0; i < domains->len && !known; i++) {
            char *other = sd_domain_normalize(g_ptr_array_index(domains, i),
                                              NULL);
            known = other != NULL && strcmp(other, normal) == 0;
            g_free(other);
        }
        g_ptr_array_unref(domains);
    }
    g_free(normal);
    return known;
}

static int
domain_add(cli_state *cli, int argc, char **argv)
{
    if (!parse_sub(&domain_commands[0], NULL, &argc, &argv, 1, ARGS_MAX))
        return EXIT_USAGE;
    int status = open_directory(cli);
    for (int i = 1; i < argc && status == 0; i++) {
        if (domain_known(cli, argv[i])) {
            printf("%s is already a local domain of directory %s: nothing "
                   "changed\n", argv[i], sd_directory_name(cli->directory));
            continue;
        }
        GError *error = NULL;
        sd_result result = sd_directory_add_domain(cli->directory, argv[i],
                                                   &error);
        if (result != SD_OK)
            return report(result, error);
        printf("added local domain %s to directory %s\n", argv[i],
               sd_directory_name(cli->directory));
    }
    return status;
}

static int
domain_remove(cli_state *cli, int argc, char **argv)
{
    return domain_change(cli, &domain_commands[1], argc, argv,
                         sd_directory_remove_domain,
                         "removed local domain", "from directory");
}

static int
domain_list(cli_state *cli, int argc, char **argv)
{
    if (!parse_sub(&domain_commands[2], NULL, &argc, &argv, 0, 0))
        return EXIT_USAGE;
    int status = open_directory(cli);
    if (status != 0)
        return status;
    GPtrArray *domains = NULL;
    GError *error = NULL;
    sd_result result = sd_directory_list_domains(cli->directory, &domains,
                                                 &error);
    if (result != SD_OK)
        return report(result, error);
    for (guint i = 0; i < domains->len; i++)
        puts(g_ptr_array_index(domains, i));
    g_ptr_array_unref(domains);
    return 0;
}
