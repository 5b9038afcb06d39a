/*
 * test_address.c - normalization, subaddressing and catch-all mappings.
 */
#include "config.h"

#include <string.h>

#include "sd_address.h"
#include "sd_check.h"

static void
assert_normalizes(const char *in, const char *want)
{
    GError *error = NULL;
    char *got = sd_address_normalize(in, &error);
    ck_assert_msg(got != NULL, "%s: %s", in, error ? error->message : "?");
    ck_assert_str_eq(got, want);
    g_free(got);
}

static void
assert_refused(const char *in)
{
    GError *error = NULL;
    char *got = sd_address_normalize(in, &error);
    ck_assert_msg(got == NULL, "'%s' was accepted as '%s'", in, got);
    ck_assert_ptr_nonnull(error);
    g_error_free(error);
}

START_TEST(test_normalize_case)
{
    assert_normalizes("Alice@Example.ORG", "alice@example.org");
    assert_normalizes("ÄLICE@example.org", "älice@example.org");
    assert_normalizes("@Example.org", "@example.org");
    assert_normalizes("alice@example.org.", "alice@example.org");
    /* The domain is after the last '@'. */
    assert_normalizes("\"a@b\"@Example.org", "\"a@b\"@example.org");
}
END_TEST

START_TEST(test_normalize_idn)
{
    assert_normalizes("hans@Bücher.example", "hans@xn--bcher-kva.example");
    assert_normalizes("hans@xn--bcher-kva.example",
                      "hans@xn--bcher-kva.example");
    char *domain = sd_domain_normalize("BÜCHER.example", NULL);
    ck_assert_str_eq(domain, "xn--bcher-kva.example");
    g_free(domain);
}
END_TEST

/* ASCII input takes a path without IDN conversion, the rest goes through
 * GLib's IDNA: each pair gives the result the single path gave before
 * (checked against it on 300 000 generated names when the fast path was
 * added). */
START_TEST(test_normalize_ascii_and_idn_alike)
{
    assert_normalizes("Al.I_ce+Tag@Sub.EXAMPLE.org.",
                      "al.i_ce+tag@sub.example.org");
    assert_normalizes("x@A-B_c.9", "x@a-b_c.9");
    assert_normalizes("x@XN--BCHER-KVA.Example", "x@xn--bcher-kva.example");
    assert_normalizes("ÄlI@Bücher.Example.", "äli@xn--bcher-kva.example");
    assert_normalizes("AlI@BÜCHER.example", "ali@xn--bcher-kva.example");
    assert_normalizes("ÄLICE@EXAMPLE.ORG", "älice@example.org");
    char *label63 = g_strnfill(63, 'A');
    char *ok = g_strconcat("x@", label63, ".org", NULL);
    char *want = g_ascii_strdown(ok, -1);
    assert_normalizes(ok, want);
    char *label64 = g_strconcat("x@a", label63, ".org", NULL);
    assert_refused(label64);
    g_free(label63);
    g_free(ok);
    g_free(want);
    g_free(label64);
    assert_refused("x@example.org..");
    assert_refused("x@.example.org");
    assert_refused("x@exa!mple.org");
    assert_refused("x@bücher..example");
    char *d = sd_domain_normalize("EXAMPLE.Org.", NULL);
    ck_assert_str_eq(d, "example.org");
    g_free(d);
    ck_assert_ptr_null(sd_domain_normalize(".", NULL));
}
END_TEST

START_TEST(test_normalize_refuses)
{
    assert_refused("");
    assert_refused("no-at-sign");
    assert_refused("alice@");
    assert_refused("alice@exa mple.org");
    assert_refused("al\tice@example.org");
    assert_refused("alice@example..org");
    assert_refused("alice@-bad.org\x7f");
    assert_refused("\xff\xfe@example.org");
    char *long_address = g_strnfill(SD_ADDRESS_MAX + 1, 'a');
    long_address[10] = '@';
    assert_refused(long_address);
    g_free(long_address);
    ck_assert_ptr_null(sd_domain_normalize("", NULL));
}
END_TEST

START_TEST(test_subaddressing_on_off)
{
    sd_address_mapping *on = sd_address_mapping_new_enabled(true);
    sd_address_mapping *off = sd_address_mapping_new_enabled(false);
    char *s = sd_address_mapping_subaddress(on, "alice+tag@example.org");
    ck_assert_str_eq(s, "alice@example.org");
    g_free(s);
    /* Only the first '+' starts the tag. */
    s = sd_address_mapping_subaddress(on, "alice+a+b@example.org");
    ck_assert_str_eq(s, "alice@example.org");
    g_free(s);
    s = sd_address_mapping_subaddress(on, "alice@ex+ample.org");
    ck_assert_str_eq(s, "alice@ex+ample.org");
    g_free(s);
    s = sd_address_mapping_subaddress(off, "alice+tag@example.org");
    ck_assert_str_eq(s, "alice+tag@example.org");
    g_free(s);
    ck_assert_str_eq(sd_address_mapping_describe(on), "on");
    ck_assert_str_eq(sd_address_mapping_describe(off), "off");
    sd_address_mapping_free(on);
    sd_address_mapping_free(off);
}
END_TEST

START_TEST(test_catch_all_on_off)
{
    sd_address_mapping *on = sd_address_mapping_new_enabled(true);
    sd_address_mapping *off = sd_address_mapping_new_enabled(false);
    char *s = sd_address_mapping_catch_all(on, "who@example.org");
    ck_assert_str_eq(s, "@example.org");
    g_free(s);
    ck_assert_ptr_null(sd_address_mapping_catch_all(off, "who@example.org"));
    sd_address_mapping_free(on);
    sd_address_mapping_free(off);
}
END_TEST

START_TEST(test_custom_mapping)
{
    GError *error = NULL;
    sd_address_mapping *m = sd_address_mapping_new_custom(
        "^([^.]+)\\.([^.]+)@(.+)$", "${2}@${3}", &error);
    ck_assert_msg(m != NULL, "%s", error ? error->message : "");
    char *s = sd_address_mapping_subaddress(m, "tag.john@example.org");
    ck_assert_str_eq(s, "john@example.org");
    g_free(s);
    /* No match: unchanged for subaddressing, nothing for catch-all. */
    s = sd_address_mapping_subaddress(m, "john@example.org");
    ck_assert_str_eq(s, "john@example.org");
    g_free(s);
    ck_assert_ptr_null(sd_address_mapping_catch_all(m, "john@example.org"));
    s = sd_address_mapping_catch_all(m, "a.b@example.org");
    ck_assert_str_eq(s, "b@example.org");
    g_free(s);
    ck_assert_str_eq(sd_address_mapping_describe(m), "map");
    sd_address_mapping_free(m);
}
END_TEST

START_TEST(test_custom_mapping_normalizes_result)
{
    sd_address_mapping *m = sd_address_mapping_new_custom(
        "^(.+)@(.+)$", "Info@${2}", NULL);
    ck_assert_ptr_nonnull(m);
    char *s = sd_address_mapping_catch_all(m, "x@example.org");
    ck_assert_str_eq(s, "info@example.org");
    g_free(s);
    sd_address_mapping_free(m);

    m = sd_address_mapping_new_custom("@(.+)$", "@${1}", NULL);
    s = sd_address_mapping_catch_all(m, "anyone@example.org");
    ck_assert_str_eq(s, "@example.org");
    g_free(s);
    sd_address_mapping_free(m);
}
END_TEST

START_TEST(test_custom_mapping_whole_match_and_literals)
{
    sd_address_mapping *m = sd_address_mapping_new_custom(
        "[a-z]+@", "$x-${0}catch.example", NULL);
    ck_assert_ptr_nonnull(m);
    char *s = sd_address_mapping_catch_all(m, "bob@example.org");
    ck_assert_str_eq(s, "$x-bob@catch.example");
    g_free(s);
    sd_address_mapping_free(m);
}
END_TEST

static void
assert_mapping_refused(const char *regex, const char *template_text,
                       const char *needle)
{
    GError *error = NULL;
    sd_address_mapping *m = sd_address_mapping_new_custom(regex,
                                                          template_text,
                                                          &error);
    ck_assert_ptr_null(m);
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(strstr(error->message, needle) != NULL,
                  "'%s' does not mention '%s'", error->message, needle);
    g_error_free(error);
}

START_TEST(test_custom_mapping_errors)
{
    assert_mapping_refused("([a-z", "${1}", "regular expression");
    assert_mapping_refused("^(.+)@(.+)$", "${3}@x", "only 2 capture groups");
    assert_mapping_refused("^(.+)$", "${x}", "group number");
    assert_mapping_refused("^(.+)$", "${1", "group number");
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("address");
    TCase *tc = tcase_create("address");
    tcase_add_test(tc, test_normalize_case);
    tcase_add_test(tc, test_normalize_idn);
    tcase_add_test(tc, test_normalize_ascii_and_idn_alike);
    tcase_add_test(tc, test_normalize_refuses);
    tcase_add_test(tc, test_subaddressing_on_off);
    tcase_add_test(tc, test_catch_all_on_off);
    tcase_add_test(tc, test_custom_mapping);
    tcase_add_test(tc, test_custom_mapping_normalizes_result);
    tcase_add_test(tc, test_custom_mapping_whole_match_and_literals);
    tcase_add_test(tc, test_custom_mapping_errors);
    suite_add_tcase(suite, tc);
    return sd_check_run(suite);
}
