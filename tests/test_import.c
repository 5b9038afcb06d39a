/*
 * test_import.c - the import parsers (passwd-file, shadow, htpasswd,
 * LDIF, CSV), their errors with line numbers, merging, and export
 * writers read back by the parsers.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sd_check.h"
#include "sd_import.h"
#include "sd_secret.h"

/* Every record of TEXT in FORMAT; malformed ones as their messages. */
typedef struct parsed {
    GPtrArray *records;     /* sd_import_record * */
    GPtrArray *errors;      /* char * */
    bool failed;
} parsed;

static parsed
parse(sd_import_format format, const char *text)
{
    parsed out = {
        g_ptr_array_new_with_free_func((GDestroyNotify)sd_import_record_free),
        g_ptr_array_new_with_free_func(g_free), false
    };
    FILE *in = fmemopen((void *)text, strlen(text), "r");
    ck_assert_ptr_nonnull(in);
    sd_import_reader *reader = sd_import_reader_new(format, in, "in");
    for (;;) {
        sd_import_record *record = NULL;
        GError *error = NULL;
        sd_result result = sd_import_reader_next(reader, &record, &error);
        if (result == SD_NOTFOUND)
            break;
        if (result == SD_OK) {
            ck_assert_ptr_nonnull(record);
            g_ptr_array_add(out.records, record);
            continue;
        }
        ck_assert_int_eq(result, SD_ERROR);
        ck_assert_ptr_null(record);
        g_ptr_array_add(out.errors, g_strdup(error->message));
        g_error_free(error);
        if (sd_import_reader_failed(reader)) {
            out.failed = true;
            break;
        }
    }
    sd_import_reader_free(reader);
    fclose(in);
    return out;
}

static void
parsed_clear(parsed *p)
{
    g_ptr_array_unref(p->records);
    g_ptr_array_unref(p->errors);
}

static sd_principal *
principal_at(parsed *p, guint i)
{
    ck_assert_uint_gt(p->records->len, i);
    sd_import_record *r = g_ptr_array_index(p->records, i);
    ck_assert_ptr_nonnull(r->principal);
    return r->principal;
}

#define STR(array, i) ((const char *)g_ptr_array_index((array), (i)))

START_TEST(test_format_names)
{
    sd_import_format f;
    ck_assert(sd_import_format_parse("passwd-file", &f));
    ck_assert_int_eq(f, SD_IMPORT_PASSWD_FILE);
    ck_assert(sd_import_format_parse("LDIF", &f));
    ck_assert_int_eq(f, SD_IMPORT_LDIF);
    ck_assert(!sd_import_format_parse("xml", &f));
    ck_assert_str_eq(sd_import_format_name(SD_IMPORT_CSV), "csv");
}
END_TEST

START_TEST(test_htpasswd)
{
    parsed p = parse(SD_IMPORT_HTPASSWD,
        "# comment\n"
        "alice:$apr1$9hbk8tn9$8ph3x3s8VfaZHyy8GEA5Y/\n"
        "\n"
        "bob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\r\n"
        "broken line\n"
        "carol:{NOPE}abc\n"
        ":nohash\n"
        "dave:\n");
    ck_assert_uint_eq(p.records->len, 2);
    sd_principal *alice = principal_at(&p, 0);
    ck_assert_str_eq(alice->name, "alice");
    ck_assert_uint_eq(alice->secrets->len, 1);
    ck_assert_str_eq(STR(alice->secrets, 0),
                     "$apr1$9hbk8tn9$8ph3x3s8VfaZHyy8GEA5Y/");
    sd_import_record *r = g_ptr_array_index(p.records, 0);
    ck_assert_uint_eq(r->line, 2);
    ck_assert_uint_eq(r->fields, SD_IMPORT_SECRETS);
    ck_assert_str_eq(STR(principal_at(&p, 1)->secrets, 0),
                     "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=");
    ck_assert_uint_eq(p.errors->len, 4);
    ck_assert_str_eq(STR(p.errors, 0), "in:5: expected NAME:HASH");
    ck_assert_str_eq(STR(p.errors, 1),
                     "in:6: carol: unknown password scheme {NOPE}");
    ck_assert_str_eq(STR(p.errors, 2), "in:7: the name is empty");
    ck_assert_ptr_nonnull(strstr(STR(p.errors, 3), "in:8: dave: an empty"));
    parsed_clear(&p);
}
END_TEST

START_TEST(test_shadow)
{
    parsed p = parse(SD_IMPORT_SHADOW,
        "root:*:19000:0:99999:7:::\n"
        "alice:$6$salt$hash:19000:0:99999:7:::\n"
        "bob:!$y$j9T$abc$def:19000:0:99999:7:::\n"
        "carol:!:19000::::::\n"
        "short:$6$a$b:1\n"
        "bad:$6$a$b:x:0:99999:7:::\n");
    ck_assert_uint_eq(p.records->len, 4);
    sd_import_record *root = g_ptr_array_index(p.records, 0);
    ck_assert_str_eq(root->skipped, "no password");
    ck_assert_str_eq(STR(principal_at(&p, 1)->secrets, 0), "$6$salt$hash");
    /* A locked account stays locked, with its hash kept. */
    ck_assert_str_eq(STR(principal_at(&p, 2)->secrets, 0),
                     "$disabled$$y$j9T$abc$def");
    ck_assert_str_eq(((sd_import_record *)g_ptr_array_index(p.records, 3))
                     ->skipped, "no password");
    ck_assert_uint_eq(p.errors->len, 2);
    ck_assert_str_eq(STR(p.errors, 0),
                     "in:5: expected the 9 fields of a shadow line, found 3");
    ck_assert_str_eq(STR(p.errors, 1), "in:6: bad: field 3 is not a number");
    parsed_clear(&p);
}
END_TEST

START_TEST(test_passwd_file)
{
    parsed p = parse(SD_IMPORT_PASSWD_FILE,
        "alice@example.org:{SHA512-CRYPT}$6$s$h:1000:1000:Alice L:/home/a:"
        "/bin/sh:userdb_quota_rule=*:storage=1G\n"
        "bob:{PLAIN}secret::::::quota_rule=*:storage=2048\n"
        "carol:abCDefGHijKLm\n"
        "dave::1000\n"
        "eve:{SCRAM-SHA-1}x:::::: userdb_quota_rule=*:storage=lots\n");
    ck_assert_uint_eq(p.records->len, 4);
    sd_principal *alice = principal_at(&p, 0);
    ck_assert_str_eq(alice->name, "alice@example.org");
    ck_assert_str_eq(STR(alice->secrets, 0), "{SHA512-CRYPT}$6$s$h");
    ck_assert_str_eq(alice->description, "Alice L");
    ck_assert_uint_eq(alice->quota, 1024ULL * 1024 * 1024);
    sd_import_record *r = g_ptr_array_index(p.records, 0);
    ck_assert_uint_eq(r->fields, SD_IMPORT_SECRETS | SD_IMPORT_DESCRIPTION
                                 | SD_IMPORT_QUOTA);
    /* Dovecot's storage= without a unit is in kilobytes. */
    ck_assert_uint_eq(principal_at(&p, 1)->quota, 2048ULL * 1024);
    /* A bare value is Dovecot's default scheme, CRYPT. */
    ck_assert_str_eq(STR(principal_at(&p, 2)->secrets, 0),
                     "{CRYPT}abCDefGHijKLm");
    /* No password: the record sets no secret (a userdb-only line). */
    r = g_ptr_array_index(p.records, 3);
    ck_assert_uint_eq(r->fields, 0);
    ck_assert_uint_eq(p.errors->len, 1);
    ck_assert_str_eq(STR(p.errors, 0),
                     "in:5: eve: quota rule '*:storage=lots' is not a size");
    parsed_clear(&p);
}
END_TEST

START_TEST(test_ldif)
{
    parsed p = parse(SD_IMPORT_LDIF,
        "version: 1\n"
        "\n"
        "# the base\n"
        "dn: dc=example,dc=org\n"
        "objectClass: dcObject\n"
        "\n"
        "dn: uid=alice,ou=people,dc=example,dc=org\n"
        "objectClass: inetOrgPerson\n"
        "uid: alice\n"
        "cn: Alice Liddell\n"
        "userPassword:: e1NTSEF9VEhJU0lTTk9UQVJFQUxIQVNISEhISEg=\n"
        "mail: alice@example.org\n"
        "mailAlternateAddress: a.liddell@exa\n"
        " mple.org\n"
        "memberOf: cn=staff,ou=groups,dc=example,dc=org\n"
        "memberOf: cn=a\\2cb\\,c ,ou=groups,dc=example,dc=org\n"
        "\n"
        "dn: cn=staff,ou=groups,dc=example,dc=org\n"
        "objectClass: groupOfNames\n"
        "cn: staff\n"
        "description: the staff\n"
        "sasldirQuota: 2G\n"
        "\n"
        "dn: uid=bad,dc=example,dc=org\n"
        "uid: bad\n"
        "userPassword:: not*base64\n"
        "mail: bad@example.org\n"
        "\n"
        "dn: associatedDomain=example.org,ou=domains,o=sasldir\n"
        "associatedDomain: example.org\n"
        "\n"
        "uid: nodn\n");
    ck_assert_uint_eq(p.records->len, 4);
    sd_import_record *base = g_ptr_array_index(p.records, 0);
    ck_assert_str_eq(base->skipped, "no uid or cn");
    sd_principal *alice = principal_at(&p, 1);
    ck_assert_str_eq(alice->name, "alice");
    ck_assert_uint_eq(alice->type, SD_PRINCIPAL_INDIVIDUAL);
    ck_assert_str_eq(STR(alice->secrets, 0),
                     "{SSHA}THISISNOTAREALHASHHHHHH");
    ck_assert_uint_eq(alice->emails->len, 2);
    ck_assert_str_eq(STR(alice->emails, 0), "alice@example.org");
    ck_assert_str_eq(STR(alice->emails, 1), "a.liddell@example.org");
    ck_assert_uint_eq(alice->member_of->len, 2);
    ck_assert_str_eq(STR(alice->member_of, 0), "staff");
    ck_assert_str_eq(STR(alice->member_of, 1), "a,b,c");
    sd_import_record *r = g_ptr_array_index(p.records, 1);
    ck_assert_uint_eq(r->line, 7);
    ck_assert_uint_eq(r->fields, SD_IMPORT_ALL & ~SD_IMPORT_AUTH_PASSWORDS);
    sd_principal *staff = principal_at(&p, 2);
    ck_assert_uint_eq(staff->type, SD_PRINCIPAL_GROUP);
    ck_assert_str_eq(staff->description, "the staff");
    ck_assert_uint_eq(staff->quota, 2ULL << 30);
    /* Without userPassword an entry keeps the stored secrets. */
    r = g_ptr_array_index(p.records, 2);
    ck_assert_uint_eq(r->fields & SD_IMPORT_SECRETS, 0);
    r = g_ptr_array_index(p.records, 3);
    ck_assert_str_eq(r->domain, "example.org");
    ck_assert_uint_eq(p.errors->len, 2);
    ck_assert_str_eq(STR(p.errors, 0), "in:26: userPassword: not valid "
                     "base64");
    ck_assert_str_eq(STR(p.errors, 1), "in:32: an entry must begin with dn:");
    parsed_clear(&p);
}
END_TEST

START_TEST(test_ldif_errors)
{
    parsed p = parse(SD_IMPORT_LDIF,
        " continuation first\n"
        "dn: uid=x\n"
        "\n"
        "dn: uid=y\n"
        "uid: y\n"
        "changetype: delete\n"
        "\n"
        "dn: uid=z\n"
        "uid: z\n"
        "jpegPhoto:< file:///etc/passwd\n"
        "\n"
        "dn: uid=w\n"
        "uid: w\n"
        "sasldirType: wizard\n");
    ck_assert_uint_eq(p.records->len, 0);
    ck_assert_uint_eq(p.errors->len, 4);
    ck_assert_str_eq(STR(p.errors, 0), "in:1: a continuation line with "
                     "nothing to continue");
    ck_assert_str_eq(STR(p.errors, 1), "in:4: changetype 'delete' is not "
                     "supported (only entries and 'add')");
    ck_assert_str_eq(STR(p.errors, 2), "in:10: jpegPhoto: values read from "
                     "a URL are not supported");
    ck_assert_str_eq(STR(p.errors, 3), "in:14: w: unknown sasldirType "
                     "'wizard'");
    parsed_clear(&p);
}
END_TEST

START_TEST(test_csv)
{
    parsed p = parse(SD_IMPORT_CSV,
        "Name,Secret,Email,Quota\r\n"
        "alice,{SSHA}AAAA,\"alice@example.org\na@example.org\",512M\r\n"
        "\"bob, jr\",\"{PLAIN}say \"\"hi\"\"\",,\r\n"
        "carol,x,y\r\n"
        "dave,\"unterminated\n"
        "still,quoted\"x,,\n"
        "eve,plain,eve@example.org,2G\n");
    ck_assert_uint_eq(p.records->len, 3);
    sd_principal *alice = principal_at(&p, 0);
    ck_assert_str_eq(STR(alice->secrets, 0), "{SSHA}AAAA");
    ck_assert_uint_eq(alice->emails->len, 2);
    ck_assert_str_eq(STR(alice->emails, 1), "a@example.org");
    ck_assert_uint_eq(alice->quota, 512ULL << 20);
    sd_import_record *r = g_ptr_array_index(p.records, 0);
    ck_assert_uint_eq(r->fields, SD_IMPORT_SECRETS | SD_IMPORT_EMAILS
                                 | SD_IMPORT_QUOTA);
    sd_principal *bob = principal_at(&p, 1);
    ck_assert_str_eq(bob->name, "bob, jr");
    ck_assert_str_eq(STR(bob->secrets, 0), "{PLAIN}say \"hi\"");
    ck_assert_uint_eq(principal_at(&p, 2)->quota, 2ULL << 30);
    ck_assert_uint_eq(((sd_import_record *)g_ptr_array_index(p.records, 2))
                      ->line, 8);
    ck_assert_uint_eq(p.errors->len, 2);
    ck_assert_str_eq(STR(p.errors, 0), "in:5: expected 4 fields as in the "
                     "header, found 3");
    ck_assert_str_eq(STR(p.errors, 1), "in:7: a closing quote must end the "
                     "field");
    parsed_clear(&p);
}
END_TEST

START_TEST(test_csv_header)
{
    parsed p = parse(SD_IMPORT_CSV, "name,password\nalice,x\n");
    ck_assert(p.failed);
    ck_assert_uint_eq(p.records->len, 0);
    ck_assert_str_eq(STR(p.errors, 0), "in:1: header: unknown column "
                     "'password' (name, type, description, secret, email, "
                     "list, member-of, quota, auth-password)");
    parsed_clear(&p);
    p = parse(SD_IMPORT_CSV, "secret\nx\n");
    ck_assert(p.failed);
    ck_assert_str_eq(STR(p.errors, 0), "in:1: header: there is no 'name' "
                     "column");
    parsed_clear(&p);
    p = parse(SD_IMPORT_CSV, "");
    ck_assert(!p.failed);
    ck_assert_uint_eq(p.records->len + p.errors->len, 0);
    parsed_clear(&p);
}
END_TEST

START_TEST(test_merge)
{
    sd_principal *existing = sd_principal_new("alice", SD_PRINCIPAL_ADMIN);
    g_ptr_array_add(existing->secrets, g_strdup("{PLAIN}old"));
    g_ptr_array_add(existing->auth_passwords, sd_secret_scram_make(
        NULL, "SCRAM-SHA-256", "old", NULL));
    g_ptr_array_add(existing->emails, g_strdup("alice@example.org"));
    existing->quota = 5;
    parsed p = parse(SD_IMPORT_HTPASSWD, "ALICE:{PLAIN}new\n");
    sd_import_record *r = g_ptr_array_index(p.records, 0);
    sd_principal *merged = sd_import_merge(existing, r);
    ck_assert_str_eq(merged->name, "ALICE");
    ck_assert_uint_eq(merged->type, SD_PRINCIPAL_ADMIN);
    ck_assert_uint_eq(merged->secrets->len, 1);
    ck_assert_str_eq(STR(merged->secrets, 0), "{PLAIN}new");
    /* The old password's SCRAM credentials go with it. */
    ck_assert_uint_eq(merged->auth_passwords->len, 0);
    ck_assert_str_eq(STR(merged->emails, 0), "alice@example.org");
    ck_assert_uint_eq(merged->quota, 5);
    sd_principal_free(merged);
    merged = sd_import_merge(NULL, r);
    ck_assert_uint_eq(merged->type, SD_PRINCIPAL_INDIVIDUAL);
    ck_assert_uint_eq(merged->emails->len, 0);
    sd_principal_free(merged);
    sd_principal_free(existing);
    parsed_clear(&p);
}
END_TEST

/* A principal with every field set, awkward values included. */
static sd_principal *
awkward_principal(const char *name, sd_principal_type type)
{
    sd_principal *p = sd_principal_new(name, type);
    p->description = g_strdup(" Ünïcode, \"quoted\": with\ttab? no: colon ");
    g_ptr_array_add(p->secrets, g_strdup("{PLAIN} spaces, commas \"q\" "));
    g_ptr_array_add(p->secrets, g_strdup("$app$phone$$6$salt$hash"));
    g_ptr_array_add(p->auth_passwords, g_strdup("SCRAM-SHA-256$4096:c2FsdA==$"
                                                "a2V5:c2Vydg=="));
    g_ptr_array_add(p->emails, g_strdup("first@example.org"));
    g_ptr_array_add(p->emails, g_strdup("second@bücher.example"));
    g_ptr_array_add(p->lists, g_strdup("staff@example.org"));
    g_ptr_array_add(p->member_of, g_strdup("a,b+c=d\\e"));
    g_ptr_array_add(p->member_of, g_strdup(" staff#"));
    p->quota = 1234567890123ULL;
    return p;
}

static void
assert_same(const sd_principal *a, const sd_principal *b)
{
    GString *ja = g_string_new(NULL), *jb = g_string_new(NULL);
    sd_principal_to_json(a, true, ja);
    sd_principal_to_json(b, true, jb);
    ck_assert_str_eq(ja->str, jb->str);
    g_string_free(ja, TRUE);
    g_string_free(jb, TRUE);
}

static void
round_trip(sd_import_format format)
{
    sd_principal *p1 = awkward_principal("bob ,x", SD_PRINCIPAL_ADMIN);
    sd_principal *p2 = awkward_principal("staff", SD_PRINCIPAL_GROUP);
    sd_principal *p3 = sd_principal_new("plain", SD_PRINCIPAL_INDIVIDUAL);
    GString *out = g_string_new(NULL);
    if (format == SD_IMPORT_CSV) {
        sd_export_csv_header(out, true);
        sd_export_csv_domain(out, "example.org", true);
        sd_export_csv_principal(out, p1, true);
        sd_export_csv_principal(out, p2, true);
        sd_export_csv_principal(out, p3, true);
    } else {
        sd_export_ldif_domain(out, "example.org");
        sd_export_ldif_principal(out, p1, true);
        sd_export_ldif_principal(out, p2, true);
        sd_export_ldif_principal(out, p3, true);
    }
    parsed p = parse(format, out->str);
    for (guint i = 0; i < p.errors->len; i++)
        ck_abort_msg("%s", STR(p.errors, i));
    ck_assert_uint_eq(p.records->len, 4);
    sd_import_record *d = g_ptr_array_index(p.records, 0);
    ck_assert_str_eq(d->domain, "example.org");
    const sd_principal *want[] = { p1, p2, p3 };
    for (guint i = 0; i < 3; i++) {
        sd_import_record *r = g_ptr_array_index(p.records, i + 1);
        sd_principal *got = sd_import_merge(NULL, r);
        assert_same(want[i], got);
        sd_principal_free(got);
    }
    /* Without secrets, the secret fields are left alone on import. */
    g_string_truncate(out, 0);
    if (format == SD_IMPORT_CSV) {
        sd_export_csv_header(out, false);
        sd_export_csv_principal(out, p1, false);
    } else {
        sd_export_ldif_principal(out, p1, false);
    }
    ck_assert_ptr_null(strstr(out->str, "spaces"));
    parsed q = parse(format, out->str);
    ck_assert_uint_eq(q.records->len, 1);
    sd_import_record *r = g_ptr_array_index(q.records, 0);
    ck_assert_uint_eq(r->fields & (SD_IMPORT_SECRETS
                                   | SD_IMPORT_AUTH_PASSWORDS), 0);
    sd_principal *merged = sd_import_merge(p1, r);
    assert_same(p1, merged);
    sd_principal_free(merged);
    parsed_clear(&q);
    parsed_clear(&p);
    g_string_free(out, TRUE);
    sd_principal_free(p1);
    sd_principal_free(p2);
    sd_principal_free(p3);
}

START_TEST(test_round_trip_ldif)
{
    round_trip(SD_IMPORT_LDIF);
}
END_TEST

START_TEST(test_round_trip_csv)
{
    round_trip(SD_IMPORT_CSV);
}
END_TEST

START_TEST(test_ldif_folding)
{
    sd_principal *p = sd_principal_new("long", SD_PRINCIPAL_INDIVIDUAL);
    p->description = g_strnfill(300, 'x');
    GString *out = g_string_new(NULL);
    sd_export_ldif_principal(out, p, true);
    char **lines = g_strsplit(out->str, "\n", -1);
    for (char **l = lines; *l != NULL; l++)
        ck_assert_uint_le(strlen(*l), 76);
    g_strfreev(lines);
    parsed back = parse(SD_IMPORT_LDIF, out->str);
    ck_assert_uint_eq(back.records->len, 1);
    ck_assert_str_eq(principal_at(&back, 0)->description, p->description);
    parsed_clear(&back);
    g_string_free(out, TRUE);
    sd_principal_free(p);
}
END_TEST

START_TEST(test_limits)
{
    GString *text = g_string_new("alice:");
    for (int i = 0; i < SD_IMPORT_LINE_MAX; i++)
        g_string_append_c(text, 'x');
    g_string_append(text, "\nbob:{PLAIN}x\n");
    parsed p = parse(SD_IMPORT_HTPASSWD, text->str);
    ck_assert_uint_eq(p.records->len, 1);
    ck_assert_str_eq(principal_at(&p, 0)->name, "bob");
    ck_assert_ptr_nonnull(strstr(STR(p.errors, 0), "in:1: the line is longer"));
    parsed_clear(&p);
    g_string_free(text, TRUE);
    /* A NUL byte in a line. */
    static const char nul[] = "a\0b:{PLAIN}x\nc:{PLAIN}y\n";
    FILE *in = fmemopen((void *)nul, sizeof nul - 1, "r");
    sd_import_reader *reader = sd_import_reader_new(SD_IMPORT_HTPASSWD, in,
                                                    "in");
    sd_import_record *record = NULL;
    GError *error = NULL;
    ck_assert_int_eq(sd_import_reader_next(reader, &record, &error),
                     SD_ERROR);
    ck_assert_str_eq(error->message, "in:1: the line contains a NUL byte");
    g_clear_error(&error);
    ck_assert_int_eq(sd_import_reader_next(reader, &record, &error), SD_OK);
    ck_assert_str_eq(record->principal->name, "c");
    sd_import_record_free(record);
    sd_import_reader_free(reader);
    fclose(in);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("import");
    TCase *tc = tcase_create("import");
    tcase_add_test(tc, test_format_names);
    tcase_add_test(tc, test_htpasswd);
    tcase_add_test(tc, test_shadow);
    tcase_add_test(tc, test_passwd_file);
    tcase_add_test(tc, test_ldif);
    tcase_add_test(tc, test_ldif_errors);
    tcase_add_test(tc, test_csv);
    tcase_add_test(tc, test_csv_header);
    tcase_add_test(tc, test_merge);
    tcase_add_test(tc, test_round_trip_ldif);
    tcase_add_test(tc, test_round_trip_csv);
    tcase_add_test(tc, test_ldif_folding);
    tcase_add_test(tc, test_limits);
    suite_add_tcase(suite, tc);
    return sd_check_run(suite);
}
