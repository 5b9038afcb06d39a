/*
 * import.c - "sasldir import" and "sasldir export".
 *
 * import --format F [--dry-run] [--strict] [--batch N] FILE|-
 *   reads FILE with the parsers of sd_import.h and creates or updates
 *   principals (and local domains): a record replaces the fields its
 *   format carries and keeps the others, read in the transaction that
 *   writes it (so a concurrent change to another field is not lost);
 *   stored secrets are written unchanged.  Principals are written in
 *   batches of --batch, each one transaction (sd_directory_store_batch);
 *   a batch the store refuses is retried one principal at a time so
 *   only the offending ones are left out, each reported with FILE:LINE.
 *   A malformed record is reported with FILE:LINE and skipped; --strict
 *   reads the whole file first and writes nothing unless every record is
 *   well-formed, then writes everything, local domains included, in one
 *   transaction (sd_directory_store_batch): a record the store refuses is
 *   named with FILE:LINE and nothing is left behind.  --dry-run writes
 *   nothing.
 *   On a terminal, standard error shows a progress bar (records, rate,
 *   ETA); the summary goes to standard output.
 *
 * export --format ldif|csv [--with-secrets]
 *   writes every domain and principal to standard output, in the form
 *   import reads back.
 *
 * Exit status: 0 everything imported; 2 some records were malformed or
 * refused (the others are imported, the summary counts them), a usage
 * or configuration error, or with --strict nothing written; 75 a
 * temporary failure (what was written before it is reported).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "sd_import.h"

#define BATCH_DEFAULT 1000
#define BATCH_MAX 1000000

typedef struct import_state {
    cli_state *cli;
    const char *filename;
    bool dry_run;
    bool strict;
    guint batch_size;
    GPtrArray *batch;           /* sd_principal *, to write */
    GArray *batch_lines;        /* unsigned: each one's line */
    GArray *batch_fields;       /* unsigned: the SD_IMPORT_* it sets */
    GHashTable *pending;        /* casefolded name -> index in batch */
    GHashTable *domains;        /* normalized domains already there */
    GHashTable *existing;       /* casefolded names already there */
    GPtrArray *new_domains;     /* char *, to add */
    /* counts */
    guint64 records, created, updated, stored, malformed, refused,
            skipped, domains_added;
    /* progress */
    bool progress;
    gint64 started_us, shown_us;
    off_t total_bytes;
    FILE *in;
    sd_result fatal;
} import_state;

/* ------------------------------------------------------------------ */
/* Progress                                                            */
/* ------------------------------------------------------------------ */

static void
show_progress(import_state *s, bool last)
{
    gint64 now = g_get_monotonic_time();
    if (!s->progress || (!last && now - s->shown_us < 200000))
        return;
    s->shown_us = now;
    double seconds = (double)(now - s->started_us) / 1e6;
    double rate = seconds > 0 ? (double)s->records / seconds : 0;
    char eta[32] = "";
    int bar = -1;
    if (s->total_bytes > 0) {
        off_t at = ftello(s->in);
        if (at > 0) {
            double done = (double)at / (double)s->total_bytes;
            bar = (int)(done * 30);
            if (done > 0 && done < 1)
                g_snprintf(eta, sizeof eta, ", ETA %.0f s",
                           seconds / done - seconds);
        }
    }
    fputc('\r', stderr);
    if (bar >= 0) {
        char cells[31];
        for (int i = 0; i < 30; i++)
            cells[i] = i < bar ? '#' : '.';
        cells[30] = '\0';
        fprintf(stderr, "[%s] ", cells);
    }
    fprintf(stderr, "%" G_GUINT64_FORMAT " records, %.0f/s%s   ", s->records,
            rate, eta);
    if (last)
        fputc('\n', stderr);
    fflush(stderr);
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

static void
clear_batch(import_state *s)
{
    g_ptr_array_set_size(s->batch, 0);
    g_array_set_size(s->batch_lines, 0);
    g_array_set_size(s->batch_fields, 0);
    g_hash_table_remove_all(s->pending);
}

static void
refused(import_state *s, unsigned line, const char *name, GError *error)
{
    if (s->progress)
        fputc('\n', stderr);
    complain("%s:%u: %s not imported: %s", s->filename, line, name,
             error->message);
    g_error_free(error);
    s->refused++;
}

/* Adds the new local domains read so far (before the principals that
 * follow them in the file). */
static bool
write_domains(import_state *s)
{
    for (guint i = 0; i < s->new_domains->len && !s->dry_run; i++) {
        const char *domain = g_ptr_array_index(s->new_domains, i);
        GError *error = NULL;
        sd_result result = sd_directory_add_domain(s->cli->directory, domain,
                                                   &error);
        if (result == SD_TEMPFAIL) {
            s->fatal = result;
            report(result, error);
            return false;
        }
        if (result != SD_OK) {
            complain("%s: domain %s not added: %s", s->filename, domain,
                     error->message);
            g_error_free(error);
            s->refused++;
            continue;
        }
        s->domains_added++;
    }
    if (s->dry_run)
        s->domains_added += s->new_domains->len;
    g_ptr_array_set_size(s->new_domains, 0);
    return true;
}

/* The batch's principals from OFFSET on, for merge_stored. */
typedef struct batch_merge {
    import_state *s;
    guint offset;
} batch_merge;

/* A record for a name already stored changes only the fields it sets;
 * the store reads the rest in the writing transaction (so a concurrent
 * "alias add" or "passwd" on a field the record does not carry is kept)
 * and calls this. */
static sd_principal *
merge_stored(void *context, guint index, const sd_principal *stored,
             const sd_principal *given)
{
    const batch_merge *m = context;
    return sd_import_merge_fields(stored, given,
                                  g_array_index(m->s->batch_fields, unsigned,
                                                m->offset + index));
}

/*
 * --strict: the new domains and every principal in one transaction, so
 * that a refusal leaves nothing behind; the refused record is named
 * with FILE:LINE.  False when it failed.
 */
static bool
write_all(import_state *s)
{
    GError *error = NULL;
    guint failed = 0;
    batch_merge whole = { s, 0 };
    sd_result result = sd_directory_store_batch(
        s->cli->directory, s->new_domains, s->batch, SD_STORE_UPSERT,
        merge_stored, &whole, &failed, &error);
    if (result == SD_OK) {
        s->stored += s->batch->len;
        s->domains_added += s->new_domains->len;
    } else {
        s->fatal = result;
        if (result != SD_TEMPFAIL && failed < s->batch->len)
            refused(s, g_array_index(s->batch_lines, unsigned, failed),
                    ((sd_principal *)g_ptr_array_index(s->batch,
                                                       failed))->name,
                    error);
        else
            report(result, error);
        complain("%s: nothing imported (--strict)", s->filename);
    }
    g_ptr_array_set_size(s->new_domains, 0);
    clear_batch(s);
    return result == SD_OK;
}

/* Writes the batch; false when the import must stop. */
static bool
flush_batch(import_state *s)
{
    if (s->strict && !s->dry_run)
        return write_all(s);
    if (!write_domains(s)) {
        clear_batch(s);
        return false;
    }
    if (s->batch->len == 0 || s->dry_run) {
        s->stored += s->dry_run ? 0 : s->batch->len;
        clear_batch(s);
        return true;
    }
    GError *error = NULL;
    batch_merge whole = { s, 0 };
    sd_result result = sd_directory_store_batch(
        s->cli->directory, NULL, s->batch, SD_STORE_UPSERT, merge_stored,
        &whole, NULL, &error);
    if (result == SD_OK) {
        s->stored += s->batch->len;
        clear_batch(s);
        return true;
    }
    if (result == SD_TEMPFAIL) {
        s->fatal = result;
        report(result, error);
        clear_batch(s);
        return false;
    }
    /* One principal spoilt the batch: find it (them), keep the rest. */
    g_clear_error(&error);
    GPtrArray *one = g_ptr_array_new();
    for (guint i = 0; i < s->batch->len; i++) {
        const sd_principal *p = g_ptr_array_index(s->batch, i);
        batch_merge single = { s, i };
        g_ptr_array_set_size(one, 0);
        g_ptr_array_add(one, (gpointer)p);
        result = sd_directory_store_batch(s->cli->directory, NULL, one,
                                          SD_STORE_UPSERT, merge_stored,
                                          &single, NULL, &error);
        if (result == SD_OK) {
            s->stored++;
        } else if (result == SD_TEMPFAIL) {
            s->fatal = result;
            report(result, error);
            break;
        } else {
            refused(s, g_array_index(s->batch_lines, unsigned, i), p->name,
                    error);
            error = NULL;
        }
    }
    g_ptr_array_unref(one);
    clear_batch(s);
    return result != SD_TEMPFAIL;
}

static bool
add_domain(import_state *s, const char *domain)
{
    char *normal = sd_domain_normalize(domain, NULL);
    if (normal == NULL || g_hash_table_contains(s->domains, normal)) {
        g_free(normal);
        return true;
    }
    g_hash_table_add(s->domains, normal);
    g_ptr_array_add(s->new_domains, g_strdup(domain));
    return true;
}

/* Adds RECORD's principal to the batch; what is stored of it is merged
 * in when the batch is written (merge_stored). */
static bool
take_principal(import_state *s, sd_import_record *record)
{
    char *key = g_utf8_casefold(record->principal->name, -1);
    gpointer at;
    if (g_hash_table_lookup_extended(s->pending, key, NULL, &at)) {
        /* The same name earlier in this batch: build on that. */
        guint index = GPOINTER_TO_UINT(at);
        sd_principal *earlier = g_ptr_array_index(s->batch, index);
        g_ptr_array_index(s->batch, index) = sd_import_merge(earlier, record);
        g_array_index(s->batch_fields, unsigned, index) |= record->fields;
        sd_principal_free(earlier);
        g_free(key);
        return true;
    }
    /* Counted by the names there when the import began; another
     * process's concurrent changes are merged all the same. */
    if (g_hash_table_contains(s->existing, key))
        s->updated++;
    else
        s->created++;
    g_hash_table_insert(s->pending, key, GUINT_TO_POINTER(s->batch->len));
    g_ptr_array_add(s->batch, record->principal);
    record->principal = NULL;
    g_array_append_val(s->batch_lines, record->line);
    g_array_append_val(s->batch_fields, record->fields);
    if (!s->strict && s->batch->len >= s->batch_size)
        return flush_batch(s);
    return true;
}

/* ------------------------------------------------------------------ */
/* import                                                              */
/* ------------------------------------------------------------------ */

static const command import_command = {
    "import", "FILE|-", "create or update principals from FILE (- for "
    "standard input): --format passwd-file, shadow, htpasswd, ldif or csv",
    NULL
};

/* The names the directory holds now, casefolded, into S->existing. */
static bool
load_names(import_state *s)
{
    GPtrArray *principals = NULL;
    GError *error = NULL;
    sd_result result = sd_directory_list_principals(s->cli->directory,
                                                    &principals, &error);
    if (result != SD_OK) {
        s->fatal = result;
        report(result, error);
        return false;
    }
    for (guint i = 0; i < principals->len; i++) {
        const sd_principal *p = g_ptr_array_index(principals, i);
        g_hash_table_add(s->existing, g_utf8_casefold(p->name, -1));
    }
    g_ptr_array_unref(principals);
    return true;
}

static bool
load_domains(import_state *s)
{
    GPtrArray *domains = NULL;
    GError *error = NULL;
    sd_result result = sd_directory_list_domains(s->cli->directory, &domains,
                                                 &error);
    if (result != SD_OK) {
        s->fatal = result;
        report(result, error);
        return false;
    }
    for (guint i = 0; i < domains->len; i++) {
        char *normal = sd_domain_normalize(g_ptr_array_index(domains, i),
                                           NULL);
        if (normal != NULL)
            g_hash_table_add(s->domains, normal);
    }
    g_ptr_array_unref(domains);
    return true;
}

static void
print_summary(import_state *s, sd_import_format format)
{
    double seconds = (double)(g_get_monotonic_time() - s->started_us) / 1e6;
    printf("import of %s (%s)%s: %" G_GUINT64_FORMAT " records read\n",
           s->filename, sd_import_format_name(format),
           s->dry_run ? ", dry run: nothing written" : "", s->records);
    printf("  principals: %" G_GUINT64_FORMAT " %s, %" G_GUINT64_FORMAT
           " %s; %" G_GUINT64_FORMAT " stored\n", s->created,
           s->dry_run ? "to create" : "created", s->updated,
           s->dry_run ? "to update" : "updated", s->stored);
    printf("  domains:    %" G_GUINT64_FORMAT " %s\n", s->domains_added,
           s->dry_run ? "to add" : "added");
    printf("  skipped:    %" G_GUINT64_FORMAT " malformed, %" G_GUINT64_FORMAT
           " refused by the directory, %" G_GUINT64_FORMAT " with nothing "
           "to import (no password, no uid or cn)\n", s->malformed,
           s->refused, s->skipped);
    printf("  time:       %.2f s (%.0f records/s)\n", seconds,
           seconds > 0 ? (double)s->records / seconds : 0.0);
}

static int
run_import(import_state *s, sd_import_format format)
{
    if (!load_domains(s) || !load_names(s))
        return sd_result_exit_status(s->fatal);
    sd_import_reader *reader = sd_import_reader_new(format, s->in,
                                                    s->filename);
    bool going = true;
    while (going) {
        sd_import_record *record = NULL;
        GError *error = NULL;
        sd_result result = sd_import_reader_next(reader, &record, &error);
        if (result == SD_NOTFOUND)
            break;
        if (result != SD_OK) {
            if (s->progress)
                fputc('\n', stderr);
            complain("%s%s", error->message,
                     sd_import_reader_failed(reader) ? ""
                     : s->strict ? "" : " (skipped)");
            g_error_free(error);
            if (sd_import_reader_failed(reader)) {
                s->fatal = SD_ERROR;
                break;
            }
            s->malformed++;
            continue;
        }
        s->records++;
        if (record->skipped != NULL)
            s->skipped++;
        else if (record->domain != NULL)
            going = add_domain(s, record->domain);
        else if (!s->strict || s->malformed == 0)
            going = take_principal(s, record);
        sd_import_record_free(record);
        show_progress(s, false);
    }
    sd_import_reader_free(reader);
    if (s->fatal == SD_OK && s->strict && s->malformed + s->refused > 0) {
        complain("%s: %" G_GUINT64_FORMAT " malformed or refused records: "
                 "nothing imported (--strict)", s->filename,
                 s->malformed + s->refused);
        clear_batch(s);
        s->created = s->updated = 0;
        s->fatal = SD_ERROR;
    }
    if (s->fatal == SD_OK)
        flush_batch(s);
    show_progress(s, true);
    if (s->fatal != SD_OK && s->strict)
        s->created = s->updated = s->stored = s->domains_added = 0;
    print_summary(s, format);
    if (s->fatal != SD_OK)
        return sd_result_exit_status(s->fatal);
    return s->malformed + s->refused > 0 ? EXIT_USAGE : 0;
}

int
cmd_import(cli_state *cli, int argc, char **argv)
{
    g_autofree char *format_name = NULL;
    gboolean dry_run = FALSE, strict = FALSE;
    gint batch = BATCH_DEFAULT;
    GOptionEntry entries[] = {
        { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name,
          "passwd-file (Dovecot), shadow, htpasswd, ldif or csv", "F" },
        { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
          "read and check everything, write nothing", NULL },
        { "strict", 0, 0, G_OPTION_ARG_NONE, &strict,
          "import nothing unless every record is well-formed (one "
          "transaction)", NULL },
        { "batch", 0, 0, G_OPTION_ARG_INT, &batch,
          "principals per transaction (default "
          G_STRINGIFY(BATCH_DEFAULT) ")", "N" },
        G_OPTION_ENTRY_NULL
    };
    if (!parse_command_options(&import_command, entries, &argc, &argv, 1))
        return EXIT_USAGE;
    sd_import_format format;
    if (format_name == NULL || !sd_import_format_parse(format_name, &format)) {
        complain("import: --format: expected passwd-file, shadow, htpasswd, "
                 "ldif or csv%s%s%s", format_name != NULL ? " (not '" : "",
                 format_name != NULL ? format_name : "",
                 format_name != NULL ? "')" : "");
        return EXIT_USAGE;
    }
    if (batch < 1 || batch > BATCH_MAX) {
        complain("import: --batch: expected 1 to %d", BATCH_MAX);
        return EXIT_USAGE;
    }
    int status = open_directory(cli);
    if (status != 0)
        return status;
    import_state s = { .cli = cli, .dry_run = dry_run, .strict = strict,
                       .batch_size = (guint)batch, .fatal = SD_OK };
    bool from_stdin = strcmp(argv[1], "-") == 0;
    s.filename = from_stdin ? "<stdin>" : argv[1];
    s.in = from_stdin ? stdin : fopen(argv[1], "r");
    if (s.in == NULL) {
        complain("import: cannot open %s: %s", argv[1], g_strerror(errno));
        return EXIT_USAGE;
    }
    struct stat st;
    if (fstat(fileno(s.in), &st) == 0 && S_ISREG(st.st_mode))
        s.total_bytes = st.st_size;
    s.progress = isatty(STDERR_FILENO);
    s.started_us = g_get_monotonic_time();
    s.batch = g_ptr_array_new_with_free_func(
        (GDestroyNotify)sd_principal_free);
    s.batch_lines = g_array_new(FALSE, FALSE, sizeof(unsigned));
    s.batch_fields = g_array_new(FALSE, FALSE, sizeof(unsigned));
    s.pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    s.domains = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    s.existing = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    s.new_domains = g_ptr_array_new_with_free_func(g_free);
    status = run_import(&s, format);
    g_ptr_array_unref(s.batch);
    g_array_unref(s.batch_lines);
    g_array_unref(s.batch_fields);
    g_hash_table_unref(s.pending);
    g_hash_table_unref(s.domains);
    g_hash_table_unref(s.existing);
    g_ptr_array_unref(s.new_domains);
    if (!from_stdin)
        fclose(s.in);
    return status;
}

/* ------------------------------------------------------------------ */
/* export                                                              */
/* ------------------------------------------------------------------ */

static const command export_command = {
    "export", "", "write every domain and principal of the directory to "
    "standard output as --format ldif or csv (secrets only with "
    "--with-secrets)", NULL
};

int
cmd_export(cli_state *cli, int argc, char **argv)
{
    g_autofree char *format_name = NULL;
    gboolean with_secrets = FALSE;
    GOptionEntry entries[] = {
        { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name,
          "ldif or csv", "F" },
        { "with-secrets", 0, 0, G_OPTION_ARG_NONE, &with_secrets,
          "include the stored secrets and SCRAM credentials", NULL },
        G_OPTION_ENTRY_NULL
    };
    if (!parse_command_options(&export_command, entries, &argc, &argv, 0))
        return EXIT_USAGE;
    sd_import_format format;
    if (format_name == NULL || !sd_import_format_parse(format_name, &format)
        || (format != SD_IMPORT_LDIF && format != SD_IMPORT_CSV)) {
        complain("export: --format: expected ldif or csv");
        return EXIT_USAGE;
    }
    int status = open_directory(cli);
    if (status != 0)
        return status;
    GPtrArray *domains = NULL, *principals = NULL;
    GError *error = NULL;
    sd_result result = sd_directory_list_domains(cli->directory, &domains,
                                                 &error);
    if (result == SD_OK)
        result = sd_directory_list_principals(cli->directory, &principals,
                                              &error);
    if (result != SD_OK) {
        if (domains != NULL)
            g_ptr_array_unref(domains);
        return report(result, error);
    }
    GString *out = g_string_new(NULL);
    bool csv = format == SD_IMPORT_CSV;
    if (csv)
        sd_export_csv_header(out, with_secrets);
    else
        g_string_append_printf(out, "version: 1\n# sasldir export of "
                               "directory %s\n\n",
                               sd_directory_name(cli->directory));
    for (guint i = 0; i < domains->len; i++) {
        const char *domain = g_ptr_array_index(domains, i);
        if (csv)
            sd_export_csv_domain(out, domain, with_secrets);
        else
            sd_export_ldif_domain(out, domain);
    }
    bool ok = true;
    for (guint i = 0; i < principals->len && ok; i++) {
        const sd_principal *p = g_ptr_array_index(principals, i);
        if (csv)
            sd_export_csv_principal(out, p, with_secrets);
        else
            sd_export_ldif_principal(out, p, with_secrets);
        if (out->len > 1 << 20 || i + 1 == principals->len) {
            ok = fwrite(out->str, 1, out->len, stdout) == out->len;
            sd_memwipe(out->str, out->len);
            g_string_truncate(out, 0);
        }
    }
    if (ok && out->len > 0)
        ok = fwrite(out->str, 1, out->len, stdout) == out->len;
    ok = fflush(stdout) == 0 && ok;
    sd_memwipe(out->str, out->len);
    g_string_free(out, TRUE);
    g_ptr_array_unref(domains);
    g_ptr_array_unref(principals);
    if (!ok) {
        complain("export: cannot write to standard output: %s",
                 g_strerror(errno));
        return EXIT_USAGE;
    }
    return 0;
}
