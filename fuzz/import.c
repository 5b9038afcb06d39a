/*
 * import.c - libFuzzer target for the import parsers (common/sd_import.c).
 *
 * Offers: LLVMFuzzerTestOneInput().  Inputs: arbitrary bytes; the first
 * byte picks the format (passwd-file, shadow, htpasswd, ldif, csv), the
 * rest is the file.  Every record is read; each principal is then
 * written out again as LDIF and as CSV and read back, and must come back
 * exactly (the promise "import of an export reproduces the directory").
 *
 * Results: nothing; the sanitizers report what goes wrong.  Failure
 * modes: abort() when a result breaks the module's promises (SD_ERROR
 * without a message, a record and an error at once, a round trip that
 * changes a principal).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
json_of(const sd_principal *p)
{
    GString *out = g_string_new(NULL);
    sd_principal_to_json(p, true, out);
    return g_string_free(out, FALSE);
}

/* Reads TEXT in FORMAT; the records' principals go to PRINCIPALS. */
static void
read_all(sd_import_format format, const char *text, size_t len,
         GPtrArray *principals, unsigned *errors)
{
    if (len == 0)
        return;
    FILE *in = fmemopen((void *)text, len, "r");
    if (in == NULL)
        abort();
    sd_import_reader *reader = sd_import_reader_new(format, in, "fuzz");
    for (unsigned n = 0; n < 100000; n++) {
        sd_import_record *record = NULL;
        GError *error = NULL;
        sd_result result = sd_import_reader_next(reader, &record, &error);
        if (result == SD_NOTFOUND) {
            if (record != NULL || error != NULL)
                abort();
            break;
        }
        if (result == SD_OK) {
            if (record == NULL || error != NULL)
                abort();
            if (record->principal != NULL && record->skipped == NULL
                && principals != NULL)
                g_ptr_array_add(principals,
                                sd_import_merge(NULL, record));
            sd_import_record_free(record);
            continue;
        }
        if (result != SD_ERROR || record != NULL || error == NULL
            || error->message[0] == '\0')
            abort();
        g_error_free(error);
        (*errors)++;
        if (sd_import_reader_failed(reader))
            break;
    }
    sd_import_reader_free(reader);
    fclose(in);
}

static void
check_round_trip(const sd_principal *p, sd_import_format format)
{
    GString *out = g_string_new(NULL);
    if (format == SD_IMPORT_CSV) {
        sd_export_csv_header(out, true);
        sd_export_csv_principal(out, p, true);
    } else {
        sd_export_ldif_principal(out, p, true);
    }
    GPtrArray *back = g_ptr_array_new_with_free_func(
        (GDestroyNotify)sd_principal_free);
    unsigned errors = 0;
    read_all(format, out->str, out->len, back, &errors);
    if (errors != 0 || back->len != 1)
        abort();
    char *want = json_of(p);
    char *got = json_of(g_ptr_array_index(back, 0));
    if (strcmp(want, got) != 0)
        abort();
    g_free(want);
    g_free(got);
    g_ptr_array_unref(back);
    g_string_free(out, TRUE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    sd_import_format format = (sd_import_format)(data[0] % 5);
    GPtrArray *principals = g_ptr_array_new_with_free_func(
        (GDestroyNotify)sd_principal_free);
    unsigned errors = 0;
    read_all(format, (const char *)data + 1, size - 1, principals, &errors);
    for (guint i = 0; i < principals->len; i++) {
        const sd_principal *p = g_ptr_array_index(principals, i);
        check_round_trip(p, SD_IMPORT_LDIF);
        check_round_trip(p, SD_IMPORT_CSV);
    }
    g_ptr_array_unref(principals);
    return 0;
}
