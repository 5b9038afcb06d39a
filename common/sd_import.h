/*
 * sd_import.h - reading principals from other systems' files, and
 * writing a directory out again.
 *
 * Offers: sd_import_reader, which turns a file in one of five formats
 * into records, one principal (or one local domain) each:
 *   passwd-file  Dovecot's "user:{SCHEME}hash:uid:gid:gecos:home:shell:extra"
 *   shadow       /etc/shadow lines
 *   htpasswd     Apache "user:hash" lines
 *   ldif         RFC 2849 entries (uid/cn, userPassword, mail, ...)
 *   csv          RFC 4180 with a header row naming the columns
 * and the writers sd_export_ldif_*() and sd_export_csv_*(), whose output
 * the same reader takes back unchanged (export, then import, reproduces
 * the directory).  The column and attribute mappings are in README.md
 * ("Import and export") and sasldir(8).
 *
 * Inputs: untrusted files.  Stored secrets are kept exactly as written
 * (only Dovecot's bare crypt strings get the {CRYPT} prefix Dovecot
 * implies, and a locked shadow hash "!HASH" becomes "$disabled$HASH");
 * a secret whose scheme sd_secret does not know is refused.
 *
 * Results: sd_import_reader_next() gives SD_OK and a record, SD_NOTFOUND
 * at the end, or SD_ERROR for a malformed record, with a message
 * "FILE:LINE: what is wrong"; the reader has then skipped the whole
 * record and may be asked for the next one, unless
 * sd_import_reader_failed() says it cannot go on (a read error, a CSV
 * header it cannot use).  A record never holds part of a malformed one.
 * Lines are limited to SD_IMPORT_LINE_MAX bytes and records to
 * SD_IMPORT_RECORD_MAX.
 */
#ifndef SD_IMPORT_H
#define SD_IMPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <glib.h>

#include "sd_principal.h"
#include "sd_result.h"

G_BEGIN_DECLS

#define SD_IMPORT_LINE_MAX (64 * 1024)
#define SD_IMPORT_RECORD_MAX (1024 * 1024)

typedef enum sd_import_format {
    SD_IMPORT_PASSWD_FILE,
    SD_IMPORT_SHADOW,
    SD_IMPORT_HTPASSWD,
    SD_IMPORT_LDIF,
    SD_IMPORT_CSV,
} sd_import_format;

/* "passwd-file", "shadow", "htpasswd", "ldif", "csv". */
bool sd_import_format_parse(const char *text, sd_import_format *format);
const char *sd_import_format_name(sd_import_format format);

/* The fields of a principal a record sets (the others are kept). */
enum {
    SD_IMPORT_TYPE = 1u << 0,
    SD_IMPORT_DESCRIPTION = 1u << 1,
    SD_IMPORT_SECRETS = 1u << 2,
    SD_IMPORT_EMAILS = 1u << 3,
    SD_IMPORT_LISTS = 1u << 4,
    SD_IMPORT_MEMBER_OF = 1u << 5,
    SD_IMPORT_QUOTA = 1u << 6,
    SD_IMPORT_AUTH_PASSWORDS = 1u << 7,
    SD_IMPORT_ALL = (1u << 8) - 1,
};

typedef struct sd_import_record {
    unsigned line;              /* where the record starts */
    sd_principal *principal;    /* NULL for a domain record */
    unsigned fields;            /* SD_IMPORT_*: what PRINCIPAL sets */
    char *domain;               /* a local domain (ldif, csv), or NULL */
    /* Well-formed but nothing to import (a shadow account without a
     * password); a static string saying why, or NULL. */
    const char *skipped;
} sd_import_record;

void sd_import_record_free(sd_import_record *record);

typedef struct sd_import_reader sd_import_reader;

/* Reads IN (not closed) in FORMAT; FILENAME names it in messages. */
sd_import_reader *sd_import_reader_new(sd_import_format format, FILE *in,
                                       const char *filename);
void sd_import_reader_free(sd_import_reader *reader);
sd_result sd_import_reader_next(sd_import_reader *reader,
                                sd_import_record **record, GError **error);
/* True after an error that ends the file (the last SD_ERROR's). */
bool sd_import_reader_failed(const sd_import_reader *reader);

/*
 * A new principal: EXISTING (may be NULL: a new one) with the fields
 * RECORD sets replaced by RECORD's.  Unresolved.  New secrets take the
 * record's SCRAM credentials with them (none when it gives none), never
 * keeping those of the old password.
 */
sd_principal *sd_import_merge(const sd_principal *existing,
                              const sd_import_record *record);
/* The same with the fields (SD_IMPORT_*) FROM sets given apart: for
 * sd_directory_store_batch's merge, where FROM is the record's principal
 * as prepared for storing. */
sd_principal *sd_import_merge_fields(const sd_principal *existing,
                                     const sd_principal *from,
                                     unsigned fields);

/*
 * Export.  LDIF: one entry per domain and principal under o=sasldir;
 * secrets (userPassword, authPassword) only when WITH_SECRETS.  CSV: the
 * header, then one row per domain and principal; the secret columns only
 * when WITH_SECRETS.
 */
void sd_export_ldif_domain(GString *out, const char *domain);
void sd_export_ldif_principal(GString *out, const sd_principal *principal,
                              bool with_secrets);
void sd_export_csv_header(GString *out, bool with_secrets);
void sd_export_csv_domain(GString *out, const char *domain,
                          bool with_secrets);
void sd_export_csv_principal(GString *out, const sd_principal *principal,
                             bool with_secrets);

G_END_DECLS

#endif
