/*
 * internal-hammer.c - drives an internal directory from several
 * processes, for tests/integration/internal-concurrency.test and
 * internal-durability.test.
 *
 *   internal-hammer writer CONFIG ID SECONDS
 *       for SECONDS, creates principals "wID-N" (N = 0, 1, ...) each
 *       with the address wID-N@example.org, and gives every tenth one an
 *       alias aID-N@example.org in a second write.  Prints, at the end,
 *       "created=N aliases=N tempfail=N error=N"; each acknowledged
 *       write is counted, a TEMPFAIL is retried, anything else is an
 *       error (its message on standard error).  Exit 0 without errors.
 *
 *   internal-hammer reader CONFIG SECONDS
 *       for SECONDS, looks up random "wI-N" names and their addresses
 *       (I in 0..3, N below 10000); prints
 *       "ok=N notfound=N tempfail=N error=N"; exit 0 without errors.
 *
 *   internal-hammer count CONFIG ID
 *       counts what writer ID left: prints "created=N aliases=N", and
 *       checks that the numbers are contiguous from 0 (a gap is a lost
 *       write: exit 1).
 *
 *   internal-hammer numbered CONFIG PREFIX
 *       creates principals "PREFIX-0", "PREFIX-1", ... forever, printing
 *       each number on its own line (flushed) once its write returned
 *       SD_OK: the durability test kills it with SIGKILL.
 *
 *   internal-hammer present CONFIG PREFIX FILE
 *       exit 0 when every number listed in FILE names an existing
 *       principal "PREFIX-NUMBER"; prints the missing ones otherwise.
 *
 *   internal-hammer scram CONFIG NAME PASSWORD
 *       creates NAME, sets its password to PASSWORD (a test password)
 *       and prints its authPassword values, one a line, for
 *       internal-scram.test to check with Python's hashlib and hmac.
 *
 * Messages that say "database is locked" may only come with SD_TEMPFAIL:
 * any such text under another result counts as an error.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd_directory.h"

static sd_directory *
open_directory(const char *config, sd_registry **registry)
{
    GError *error = NULL;
    *registry = sd_registry_load(config, &error);
    if (*registry == NULL) {
        fprintf(stderr, "internal-hammer: %s\n", error->message);
        exit(2);
    }
    return sd_registry_default(*registry);
}

/* Counts RESULT; a failure other than TEMPFAIL is reported. */
static void
note(sd_result result, GError **error, int *tempfail, int *errors)
{
    if (result == SD_TEMPFAIL)
        (*tempfail)++;
    if (result == SD_ERROR || (result != SD_TEMPFAIL && *error != NULL
        && strstr((*error)->message, "database is locked") != NULL)) {
        (*errors)++;
        fprintf(stderr, "internal-hammer: %s: %s\n", sd_result_name(result),
                *error != NULL ? (*error)->message : "(no message)");
    }
    g_clear_error(error);
}

static int
writer(sd_directory *directory, int id, int seconds)
{
    gint64 end = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
    int created = 0, aliases = 0, tempfail = 0, errors = 0;
    while (g_get_monotonic_time() < end && errors == 0) {
        char *name = g_strdup_printf("w%d-%d", id, created);
        char *address = g_strdup_printf("%s@example.org", name);
        sd_principal *p = sd_principal_new(name, SD_PRINCIPAL_INDIVIDUAL);
        g_ptr_array_add(p->emails, g_strdup(address));
        g_ptr_array_add(p->secrets, g_strdup("{PLAIN}pw"));
        GError *error = NULL;
        sd_result result = sd_directory_store_principal(directory, p,
                                                        SD_STORE_CREATE,
                                                        &error);
        note(result, &error, &tempfail, &errors);
        bool stored = result == SD_OK;
        if (stored && created % 10 == 0) {
            char *alias = g_strdup_printf("a%d-%d@example.org", id, created);
            do {
                result = sd_directory_add_email(directory, name, alias,
                                                &error);
                note(result, &error, &tempfail, &errors);
            } while (result == SD_TEMPFAIL && g_get_monotonic_time() < end);
            if (result == SD_OK)
                aliases++;
            g_free(alias);
        }
        if (stored)
            created++;
        sd_principal_free(p);
        g_free(name);
        g_free(address);
    }
    printf("created=%d aliases=%d tempfail=%d error=%d\n", created, aliases,
           tempfail, errors);
    return errors == 0 ? 0 : 1;
}

static int
reader(sd_directory *directory, int seconds)
{
    gint64 end = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
    int by_result[SD_ERROR + 1] = { 0 };
    int tempfail = 0, errors = 0;
    GRand *rand = g_rand_new();
    while (g_get_monotonic_time() < end) {
        char *name = g_strdup_printf("w%d-%d", g_rand_int_range(rand, 0, 4),
                                     g_rand_int_range(rand, 0, 10000));
        char *address = g_strdup_printf("%s@example.org", name);
        sd_principal *p = NULL;
        GError *error = NULL;
        sd_result result = sd_directory_lookup_uncached(directory, name, &p,
                                                        &error);
        by_result[result]++;
        note(result, &error, &tempfail, &errors);
        if (result == SD_OK && (p->emails->len == 0
            || strcmp(g_ptr_array_index(p->emails, 0), address) != 0)) {
            errors++;
            fprintf(stderr, "internal-hammer: %s read without its "
                    "address\n", name);
        }
        sd_principal_free(p);
        result = sd_directory_rcpt(directory, address, NULL, NULL, &error);
        by_result[result]++;
        note(result, &error, &tempfail, &errors);
        g_free(name);
        g_free(address);
    }
    g_rand_free(rand);
    printf("ok=%d notfound=%d tempfail=%d error=%d\n", by_result[SD_OK],
           by_result[SD_NOTFOUND], tempfail, errors);
    return errors == 0 ? 0 : 1;
}

static int
count(sd_directory *directory, int id)
{
    GPtrArray *all = NULL;
    GError *error = NULL;
    if (sd_directory_list_principals(directory, &all, &error) != SD_OK) {
        fprintf(stderr, "internal-hammer: %s\n", error->message);
        return 2;
    }
    char *prefix = g_strdup_printf("w%d-", id);
    char *alias_prefix = g_strdup_printf("a%d-", id);
    GHashTable *numbers = g_hash_table_new(g_direct_hash, g_direct_equal);
    int created = 0, aliases = 0, max = -1;
    for (guint i = 0; i < all->len; i++) {
        sd_principal *p = g_ptr_array_index(all, i);
        if (!g_str_has_prefix(p->name, prefix))
            continue;
        int n = atoi(p->name + strlen(prefix));
        g_hash_table_add(numbers, GINT_TO_POINTER(n));
        created++;
        max = MAX(max, n);
        for (guint k = 0; k < p->emails->len; k++)
            if (g_str_has_prefix(g_ptr_array_index(p->emails, k),
                                 alias_prefix))
                aliases++;
    }
    printf("created=%d aliases=%d\n", created, aliases);
    int status = max + 1 == created ? 0 : 1;
    for (int n = 0; n <= max; n++)
        if (!g_hash_table_contains(numbers, GINT_TO_POINTER(n)))
            printf("missing w%d-%d\n", id, n);
    g_hash_table_unref(numbers);
    g_free(prefix);
    g_free(alias_prefix);
    g_ptr_array_unref(all);
    return status;
}

static int
numbered(sd_directory *directory, const char *prefix)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (long n = 0;; n++) {
        char *name = g_strdup_printf("%s-%ld", prefix, n);
        sd_principal *p = sd_principal_new(name, SD_PRINCIPAL_INDIVIDUAL);
        GError *error = NULL;
        sd_result result = sd_directory_store_principal(directory, p,
                                                        SD_STORE_CREATE,
                                                        &error);
        if (result != SD_OK) {
            fprintf(stderr, "internal-hammer: %s\n", error->message);
            return 1;
        }
        /* Acknowledged: only now may the number be printed. */
        printf("%ld\n", n);
        sd_principal_free(p);
        g_free(name);
    }
}

static int
present(sd_directory *directory, const char *prefix, const char *file)
{
    char *text = NULL;
    if (!g_file_get_contents(file, &text, NULL, NULL))
        return 2;
    gchar **lines = g_strsplit(text, "\n", -1);
    int missing = 0, checked = 0;
    for (gchar **line = lines; *line != NULL; line++) {
        if (**line == '\0')
            continue;
        char *name = g_strdup_printf("%s-%s", prefix, *line);
        sd_principal *p = NULL;
        if (sd_directory_lookup_uncached(directory, name, &p, NULL)
            != SD_OK) {
            printf("missing %s\n", name);
            missing++;
        }
        checked++;
        sd_principal_free(p);
        g_free(name);
    }
    printf("checked=%d missing=%d\n", checked, missing);
    g_strfreev(lines);
    g_free(text);
    return missing == 0 ? 0 : 1;
}

static int
scram(sd_directory *directory, const char *name, const char *password)
{
    GError *error = NULL;
    sd_principal *p = sd_principal_new(name, SD_PRINCIPAL_INDIVIDUAL);
    sd_result result = sd_directory_store_principal(directory, p,
                                                    SD_STORE_UPSERT, &error);
    sd_principal_free(p);
    p = NULL;
    if (result == SD_OK)
        result = sd_directory_set_password(directory, name, password, NULL,
                                           NULL, false, &error);
    if (result == SD_OK)
        result = sd_directory_lookup_uncached(directory, name, &p, &error);
    if (result != SD_OK) {
        fprintf(stderr, "internal-hammer: %s\n", error->message);
        g_error_free(error);
        return 1;
    }
    for (guint i = 0; i < p->auth_passwords->len; i++)
        printf("%s\n", (const char *)g_ptr_array_index(p->auth_passwords, i));
    sd_principal_free(p);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: internal-hammer writer|reader|count|"
                "numbered|present|scram CONFIG ...\n");
        return 2;
    }
    sd_registry *registry = NULL;
    sd_directory *directory = open_directory(argv[2], &registry);
    int status = 2;
    if (strcmp(argv[1], "writer") == 0 && argc == 5)
        status = writer(directory, atoi(argv[3]), atoi(argv[4]));
    else if (strcmp(argv[1], "reader") == 0 && argc == 4)
        status = reader(directory, atoi(argv[3]));
    else if (strcmp(argv[1], "count") == 0 && argc == 4)
        status = count(directory, atoi(argv[3]));
    else if (strcmp(argv[1], "numbered") == 0 && argc == 4)
        status = numbered(directory, argv[3]);
    else if (strcmp(argv[1], "scram") == 0 && argc == 5)
        status = scram(directory, argv[3], argv[4]);
    else if (strcmp(argv[1], "present") == 0 && argc == 5)
        status = present(directory, argv[3], argv[4]);
    else
        fprintf(stderr, "internal-hammer: bad arguments\n");
    sd_registry_unref(registry);
    return status;
}
