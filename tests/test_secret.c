/*
 * test_secret.c - scheme selection, malformed and hostile stored secrets,
 * and the plaintext rules.  Hashes made by independent tools are checked
 * by secret-vectors.test; the fixed vectors here are published values.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "sd_check.h"
#include "sd_directory.h"
#include "sd_secret.h"
#include "sd_totp_code.h"

/* Asserts that STORED gives SD_ERROR with a message containing NEEDLE. */
static void
assert_error(const char *stored, const char *needle)
{
    GError *error = NULL;
    ck_assert_int_eq(sd_secret_verify(stored, "canary-8b1f", &error),
                     SD_ERROR);
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(strstr(error->message, needle) != NULL,
                  "'%s' does not mention '%s'", error->message, needle);
    ck_assert_ptr_null(strstr(error->message, "canary"));
    g_error_free(error);
}

START_TEST(test_plaintext)
{
    ck_assert_int_eq(sd_secret_verify("s3cret", "s3cret", NULL), SD_OK);
    ck_assert_int_eq(sd_secret_verify("s3cret", "s3cre", NULL), SD_MISMATCH);
    ck_assert_int_eq(sd_secret_verify("s3cret", "s3crett", NULL),
                     SD_MISMATCH);
    ck_assert_int_eq(sd_secret_verify("{PLAIN}s3cret", "s3cret", NULL),
                     SD_OK);
    ck_assert_int_eq(sd_secret_verify("{plain}s3cret", "s3cret", NULL),
                     SD_OK);
    ck_assert_int_eq(sd_secret_verify("{CLEAR}s3cret", "s3cret", NULL),
                     SD_OK);
    ck_assert_int_eq(sd_secret_verify("{CLEARTEXT}s3cret", "s3cret", NULL),
                     SD_OK);
    /* The prefix is not part of the password. */
    ck_assert_int_eq(sd_secret_verify("{PLAIN}s3cret", "{PLAIN}s3cret",
                                      NULL), SD_MISMATCH);
}
END_TEST

START_TEST(test_empty_never_matches)
{
    ck_assert_int_eq(sd_secret_verify("", "", NULL), SD_MISMATCH);
    ck_assert_int_eq(sd_secret_verify("", "x", NULL), SD_MISMATCH);
    ck_assert_int_eq(sd_secret_verify("{PLAIN}", "", NULL), SD_MISMATCH);
    ck_assert_int_eq(sd_secret_verify(NULL, "x", NULL), SD_MISMATCH);
    ck_assert_int_eq(sd_secret_verify("x", NULL, NULL), SD_MISMATCH);
}
END_TEST

START_TEST(test_published_digest_vectors)
{
    /* SHA-1("password") and MD5("password"), base64: RFC 2307 style. */
    ck_assert_int_eq(sd_secret_verify("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
                                      "password", NULL), SD_OK);
    ck_assert_int_eq(sd_secret_verify("{sha}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
                                      "Password", NULL), SD_MISMATCH);
    ck_assert_int_eq(sd_secret_verify("{MD5}X03MO1qnZdYdgyfeuILPmQ==",
                                      "password", NULL), SD_OK);
}
END_TEST

START_TEST(test_unknown_scheme_is_error)
{
    assert_error("{NOSUCH}abc", "{NOSUCH}");
    assert_error("{SSHA", "closing '}'");
    assert_error("{AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA}x", "closing '}'");
}
END_TEST

START_TEST(test_malformed_digests)
{
    assert_error("{SHA}not*base64", "malformed {SHA}");
    assert_error("{SHA}AAAA", "20-byte digest");        /* too short */
    assert_error("{SSHA}AAAA", "followed by the salt");  /* shorter than SHA-1 */
    assert_error("{SHA256}", "32-byte digest");
    assert_error("{SSHA512}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "{SSHA512}");
}
END_TEST

START_TEST(test_crypt_limits)
{
    /* Refused before any work: a cost of 2^31 would take days. */
    assert_error("$2b$31$abcdefghijklmnopqrstuu5Yb5X1lQ5ZGZJcm0ytSd8qy2FjYo6W",
                 "bcrypt cost 31");
    assert_error("$6$rounds=999999999$salt$x", "rounds=999999999");
    assert_error("$5$rounds=20000000$salt$x", "above the limit");
}
END_TEST

START_TEST(test_crypt_unsupported)
{
    assert_error("$nosuch$abc", "crypt");
    assert_error("_bad", "bsdi-crypt");
}
END_TEST

START_TEST(test_is_plaintext)
{
    ck_assert(sd_secret_is_plaintext("word"));
    ck_assert(sd_secret_is_plaintext("{PLAIN}word"));
    ck_assert(sd_secret_is_plaintext("{clear}word"));
    ck_assert(!sd_secret_is_plaintext("{SSHA}abcd"));
    ck_assert(!sd_secret_is_plaintext("$6$salt$hash"));
    ck_assert(!sd_secret_is_plaintext("{UNKNOWN}word"));
}
END_TEST

START_TEST(test_scheme_names)
{
    ck_assert_str_eq(sd_secret_scheme_name("$2b$05$x"), "bcrypt");
    ck_assert_str_eq(sd_secret_scheme_name("$y$j9T$x"), "yescrypt");
    ck_assert_str_eq(sd_secret_scheme_name("{ssha512}x"), "SSHA512");
    ck_assert_str_eq(sd_secret_scheme_name("{CRYPT}$6$x"), "sha512-crypt");
    ck_assert_str_eq(sd_secret_scheme_name("{CRYPT}abcdefghijklm"),
                     "des-crypt");
    ck_assert_str_eq(sd_secret_scheme_name("hello"), "plain");
    ck_assert_str_eq(sd_secret_scheme_name("{WHAT}x"), "unknown");
    ck_assert_str_eq(sd_secret_scheme_name("$argon2id$v=19$x"), "argon2id");
    ck_assert_str_eq(sd_secret_scheme_name("$pbkdf2-sha512$x"),
                     "pbkdf2-sha512");
    ck_assert_str_eq(sd_secret_scheme_name("{pbkdf2-sha256}x"),
                     "PBKDF2-SHA256");
    ck_assert_str_eq(sd_secret_scheme_name("otpauth://totp/x"), "totp");
    ck_assert_str_eq(sd_secret_scheme_name("$apr1$x"), "apr1-md5-crypt");
    ck_assert_ptr_nonnull(sd_secret_scheme_names()[0]);
}
END_TEST

START_TEST(test_dummy_never_crashes)
{
    sd_secret_verify_dummy(NULL, "anything");
    sd_secret_verify_dummy(NULL, "");
    sd_secret_verify_dummy(NULL, NULL);
}
END_TEST

START_TEST(test_wipe)
{
    char buffer[16];
    memset(buffer, 'x', sizeof buffer);
    sd_memwipe(buffer, sizeof buffer);
    for (size_t i = 0; i < sizeof buffer; i++)
        ck_assert_int_eq(buffer[i], 0);
    sd_secret_free(NULL);
    sd_secret_free(g_strdup("secret"));
}
END_TEST


/* Published vectors: the argon2 reference implementation's test suite
 * (v=19 and v=16) and RustCrypto's pbkdf2 PHC test (RFC 6070 inputs). */
START_TEST(test_published_kdf_vectors)
{
    static const char *const argon2[] = {
        "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$"
            "wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA",
        "$argon2i$m=65536,t=2,p=1$c29tZXNhbHQ$"
            "9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ",
        "{ARGON2I}$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$"
            "wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(argon2); i++) {
        ck_assert_int_eq(sd_secret_verify(argon2[i], "password", NULL),
                         SD_OK);
        ck_assert_int_eq(sd_secret_verify(argon2[i], "passwore", NULL),
                         SD_MISMATCH);
    }
    const char *phc = "$pbkdf2-sha256$i=4096,l=40$"
        "c2FsdFNBTFRzYWx0U0FMVHNhbHRTQUxUc2FsdFNBTFRzYWx0$"
        "NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU+HGNVGMfaxH6Q";
    ck_assert_int_eq(sd_secret_verify(phc, "passwordPASSWORDpassword",
                                      NULL), SD_OK);
    ck_assert_int_eq(sd_secret_verify(phc, "passwordPASSWORDpasswore",
                                      NULL), SD_MISMATCH);
}
END_TEST

/* Hostile costs are refused, naming the limit, before any work. */
START_TEST(test_kdf_limits)
{
    assert_error("$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$"
                 "wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA",
                 "argon2 memory m=4194304 KiB is above the limit of "
                 "262144 KiB");
    assert_error("$argon2id$v=19$m=8,t=4000000000,p=1$c29tZXNhbHQ$AAAA",
                 "argon2 time");
    assert_error("$argon2id$v=19$m=4096,t=1,p=255$c29tZXNhbHQ$AAAA",
                 "argon2 parallelism");
    assert_error("$pbkdf2-sha256$i=2000000000,l=32$c2FsdA$"
                 "NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU+E",
                 "rounds 2000000000 is above the limit of 5000000");
    assert_error("$pbkdf2-sha512$900000000$c2FsdA$"
                 "NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU+E",
                 "above the limit");
    assert_error("{PBKDF2-SHA256}900000000$c2FsdA$"
                 "NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU+E",
                 "above the limit");
    assert_error("{PBKDF2}$1$salt$900000000$"
                 "bbd48e7472414b1e7d1a9805377e1dc6d4a37ce5",
                 "above the limit");
    assert_error("$scrypt$ln=30,r=8,p=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
                 "needs more memory than the limit");
    /* $7$: N = 2^31 ('T'), r = 8. */
    assert_error("$7$T6....1....$salt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                 "scrypt-crypt");
    assert_error("{SCRAM-SHA-256}900000000,c2FsdA==,"
                 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,AAAA",
                 "above the limit");
}
END_TEST

START_TEST(test_malformed_kdf)
{
    assert_error("$argon2id$v=19$m=65536,t=2$c29tZXNhbHQ$AAAA",
                 "malformed argon2");
    assert_error("$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ", "malformed");
    assert_error("$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$***", "argon2");
    assert_error("{ARGON2}plain", "{ARGON2}");
    assert_error("$pbkdf2-sha256$i=1000,l=32$c2FsdA$AAAA", "l=32");
    assert_error("$pbkdf2-sha256$i=1000$c2F*dA$AAAA", "malformed");
    assert_error("$pbkdf2-sha256$x=1000$c2FsdA$AAAA", "malformed");
    assert_error("$pbkdf2-sha256$i=0$c2FsdA$AAAA", "malformed");
    assert_error("$pbkdf2$1000$c2FsdA", "ROUNDS$SALT$HASH");
    assert_error("{PBKDF2}$1$salt$x$00", "$1$SALT$ROUNDS$HEX");
    assert_error("{PBKDF2}$1$salt$1000$zz", "malformed");
    assert_error("$scrypt$ln=4,r=1$c2FsdA$AAAA", "malformed scrypt");
    assert_error("$scrypt$ln=0,r=1,p=1$c2FsdA$AAAA", "malformed scrypt");
    assert_error("{SCRAM-SHA-1}4096,c2FsdA==", "ITERATIONS,SALT");
    assert_error("{SHA256.HEX}abcd", "hex of a 32-byte digest");
    assert_error("{CRYPT.HEX}abcd", "unsupported encoding");
    assert_error("{SHA.ROT13}abcd", "unsupported encoding");
    assert_error("{CRAM-MD5}abcd", "CRAM-MD5");
    assert_error("$app$nolabel", "malformed app password");
    assert_error("$app$a$$app$b$x", "app password");
    assert_error("otpauth://totp/x", "malformed totp");
    assert_error("otpauth://totp/x?secret=!!!", "malformed totp");
    assert_error("otpauth://totp/x?secret=JBSWY3DP&algorithm=MD5",
                 "malformed totp");
    assert_error("otpauth://totp/x?secret=JBSWY3DP&digits=9",
                 "malformed totp");
    assert_error("$apr1$toolongsalt$abc", "$apr1$");
}
END_TEST

/* Dovecot's own names and encodings. */
START_TEST(test_dovecot_forms)
{
    /* MD5("password"), SHA-256("password") in hex and base64. */
    ck_assert_int_eq(sd_secret_verify("{PLAIN-MD5}"
        "5f4dcc3b5aa765d61d8327deb882cf99", "password", NULL), SD_OK);
    ck_assert_int_eq(sd_secret_verify("{LDAP-MD5}X03MO1qnZdYdgyfeuILPmQ==",
                                      "password", NULL), SD_OK);
    ck_assert_int_eq(sd_secret_verify("{sha256.hex}5e884898da28047151d0e56f"
        "8dc6292773603d0d6aabbdd62a11ef721d1542d8", "password", NULL), SD_OK);
    ck_assert_int_eq(sd_secret_verify("{SHA256.HEX}5E884898DA28047151D0E56F"
        "8DC6292773603D0D6AABBDD62A11EF721D1542D8", "passwore", NULL),
        SD_MISMATCH);
    /* Dovecot's {MD5} is MD5-crypt. */
    ck_assert_int_eq(sd_secret_verify("{MD5}$1$saltsalt$qjXMvbEw8oaL."
        "CzflDtaK/", "password", NULL), SD_OK);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A principal's secrets                                               */
/* ------------------------------------------------------------------ */

static const char totp_key_b32[] = "JBSWY3DPEHPK3PXP";
static const char totp_uri[] =
    "otpauth://totp/test:alice?secret=JBSWY3DPEHPK3PXP&issuer=test";

static char *
current_code(void)
{
    return sd_test_totp_code(totp_key_b32);
}

static sd_result
any(const char *const *secrets, const char *password, char **message)
{
    GPtrArray *list = g_ptr_array_new();
    for (size_t i = 0; secrets[i] != NULL; i++)
        g_ptr_array_add(list, (gpointer)secrets[i]);
    GError *error = NULL;
    sd_result result = sd_secret_verify_any(NULL, list, password, "dir",
                                            "alice", &error);
    g_ptr_array_unref(list);
    if (message != NULL)
        *message = error != NULL ? g_strdup(error->message) : NULL;
    g_clear_error(&error);
    return result;
}

START_TEST(test_any_basic)
{
    const char *const secrets[] = { "{NOSUCH}x", "{PLAIN}one", "two", NULL };
    char *message = NULL;
    ck_assert_int_eq(any(secrets, "one", NULL), SD_OK);
    ck_assert_int_eq(any(secrets, "two", NULL), SD_OK);
    ck_assert_int_eq(any(secrets, "three", &message), SD_MISMATCH);
    ck_assert_str_eq(message, "directory 'dir': wrong password for 'alice'");
    g_free(message);
    const char *const broken[] = { "{NOSUCH}x", "{SHA}AAAA", NULL };
    ck_assert_int_eq(any(broken, "x", &message), SD_ERROR);
    ck_assert_ptr_nonnull(strstr(message, "principal 'alice'"));
    g_free(message);
    const char *const none[] = { NULL };
    ck_assert_int_eq(any(none, "x", &message), SD_MISMATCH);
    ck_assert_ptr_nonnull(strstr(message, "has no secret"));
    g_free(message);
}
END_TEST

START_TEST(test_any_disabled)
{
    const char *const secrets[] = { "{PLAIN}one", "$disabled$", NULL };
    char *message = NULL;
    ck_assert_int_eq(any(secrets, "one", &message), SD_MISMATCH);
    ck_assert_ptr_nonnull(strstr(message, "disabled"));
    g_free(message);
    ck_assert_int_eq(sd_secret_verify("$disabled$", "", NULL), SD_MISMATCH);
}
END_TEST

START_TEST(test_any_app_password)
{
    const char *const secrets[] = {
        "{PLAIN}main", "$app$phone${SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
        "$app$laptop$apppw", NULL,
    };
    ck_assert_int_eq(any(secrets, "main", NULL), SD_OK);
    ck_assert_int_eq(any(secrets, "apppw", NULL), SD_OK);
    ck_assert_int_eq(any(secrets, "laptop", NULL), SD_MISMATCH);
    ck_assert_int_eq(sd_secret_verify("$app$x$", "y", NULL),
                     SD_ERROR);
}
END_TEST

START_TEST(test_any_totp)
{
    const char *const secrets[] = {
        "{PLAIN}pass$word", totp_uri, "$app$mail$apppw", NULL,
    };
    char *code = current_code();
    char *with_code = g_strconcat("pass$word$", code, NULL);
    char *wrong_code = g_strdup_printf("pass$word$%06d",
                                       (atoi(code) + 500000) % 1000000);
    char *wrong_base = g_strconcat("pass$worx$", code, NULL);
    char *message = NULL;
    ck_assert_int_eq(any(secrets, with_code, NULL), SD_OK);
    ck_assert_int_eq(any(secrets, wrong_code, NULL), SD_MISMATCH);
    ck_assert_int_eq(any(secrets, wrong_base, NULL), SD_MISMATCH);
    /* The right password alone is not enough, and the error says so. */
    ck_assert_int_eq(any(secrets, "pass$word", NULL), SD_MISMATCH);
    const char *const simple[] = { totp_uri, "{PLAIN}password", NULL };
    ck_assert_int_eq(any(simple, "password", &message), SD_MISMATCH);
    ck_assert_ptr_nonnull(strstr(message, "one-time code"));
    g_free(message);
    /* App passwords bypass TOTP. */
    ck_assert_int_eq(any(secrets, "apppw", NULL), SD_OK);
    /* The URI alone checks a bare code. */
    ck_assert_int_eq(sd_secret_verify(totp_uri, code, NULL), SD_OK);
    ck_assert_int_eq(sd_secret_verify(totp_uri, "12345", NULL),
                     SD_MISMATCH);
    g_free(code);
    g_free(with_code);
    g_free(wrong_code);
    g_free(wrong_base);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Generation and the policy                                           */
/* ------------------------------------------------------------------ */

START_TEST(test_hash_round_trip)
{
    sd_secret_policy *policy = sd_secret_policy_new();
    ck_assert_int_eq(sd_secret_policy_set_param(policy, "pbkdf2-sha256",
                                                "rounds", "1000", NULL),
                     SD_OK);
    ck_assert_int_eq(sd_secret_policy_set_param(policy, "pbkdf2-sha512",
                                                "rounds", "1000", NULL),
                     SD_OK);
    ck_assert_int_eq(sd_secret_policy_set_param(policy, "bcrypt", "cost",
                                                "4", NULL), SD_OK);
    for (const char *const *s = sd_secret_hash_schemes(); *s != NULL; s++) {
        char *stored = sd_secret_hash(policy, *s, "pässwörd ✓", NULL);
        ck_assert_ptr_nonnull(stored);
        ck_assert_int_eq(sd_secret_verify(stored, "pässwörd ✓", NULL),
                         SD_OK);
        ck_assert_int_eq(sd_secret_verify(stored, "passwörd ✓", NULL),
                         SD_MISMATCH);
        /* A new salt every time. */
        char *again = sd_secret_hash(policy, *s, "pässwörd ✓", NULL);
        ck_assert_str_ne(stored, again);
        sd_secret_free(stored);
        sd_secret_free(again);
    }
    GError *error = NULL;
    ck_assert_ptr_null(sd_secret_hash(policy, "md5", "x", &error));
    ck_assert_ptr_nonnull(strstr(error->message, "'md5'"));
    g_clear_error(&error);
    sd_secret_policy_free(policy);
}
END_TEST

START_TEST(test_set_param_errors)
{
    sd_secret_policy *policy = sd_secret_policy_new();
    GError *error = NULL;
    ck_assert_int_eq(sd_secret_policy_set_param(policy, "bcrypt", "rounds",
                                                "5", &error), SD_ERROR);
    ck_assert_ptr_nonnull(strstr(error->message, "no parameter 'rounds'"));
    g_clear_error(&error);
    ck_assert_int_eq(sd_secret_policy_set_param(policy, "bcrypt", "cost",
                                                "x", &error), SD_ERROR);
    g_clear_error(&error);
    ck_assert_int_eq(sd_secret_policy_set_param(policy, "bcrypt", "cost",
                                                "17", &error), SD_ERROR);
    ck_assert_ptr_nonnull(strstr(error->message, "limit of 16"));
    g_clear_error(&error);
    ck_assert_int_eq(sd_secret_policy_set_param(policy, "argon2id",
                                                "memory", "300M", &error),
                     SD_ERROR);
    g_clear_error(&error);
    ck_assert_int_eq(sd_secret_policy_set_param(policy, "argon2id",
                                                "memory", "64M", NULL),
                     SD_OK);
    sd_secret_policy_free(policy);
}
END_TEST

static sd_registry *
load(const char *secret_toml, GError **error)
{
    char *text = g_strconcat(secret_toml, "\n[directory.\"d\"]\n"
                             "type = \"memory\"\n", NULL);
    sd_registry *registry = sd_registry_load_data(text, strlen(text),
                                                  "test.toml", error);
    g_free(text);
    return registry;
}

static void
assert_config_error(const char *secret_toml, const char *needle)
{
    GError *error = NULL;
    sd_registry *registry = load(secret_toml, &error);
    ck_assert_ptr_null(registry);
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(strstr(error->message, needle) != NULL,
                  "'%s' does not mention '%s'", error->message, needle);
    g_error_free(error);
}

START_TEST(test_policy_config)
{
    GError *error = NULL;
    sd_registry *registry = load(
        "[secret]\ndefault-scheme = \"sha512-crypt\"\nsalt-length = 12\n"
        "[secret.sha512-crypt]\nrounds = 6000\n"
        "[secret.bcrypt]\ncost = 10\n"
        "[secret.limits]\nbcrypt-cost = 10\nargon2-memory = \"64M\"\n",
        &error);
    ck_assert_msg(registry != NULL, "%s", error ? error->message : "");
    const sd_secret_policy *policy = sd_registry_secret_policy(registry);
    ck_assert_str_eq(sd_secret_policy_default_scheme(policy),
                     "sha512-crypt");
    char *stored = sd_secret_hash(policy, NULL, "pw", NULL);
    ck_assert(g_str_has_prefix(stored, "$6$rounds=6000$"));
    sd_secret_free(stored);
    /* The lowered limits apply to verification under this policy. */
    GError *verify_error = NULL;
    ck_assert_int_eq(sd_secret_verify_policy(policy,
        "$2b$12$zbadxtq08RPWfykneVPw7uh2.TcZyUkpBiePE6KiBLHHaGqmVAAty",
        "pw", &verify_error), SD_ERROR);
    ck_assert_ptr_nonnull(strstr(verify_error->message, "limit of 10"));
    g_clear_error(&verify_error);
    ck_assert_int_eq(sd_secret_verify_policy(policy,
        "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$"
        "wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA", "password", NULL),
        SD_OK);
    sd_secret_verify_dummy(policy, "pw");
    sd_registry_unref(registry);
}
END_TEST

START_TEST(test_policy_config_errors)
{
    assert_config_error("[secret]\nsurprise = 1\n",
                        "test.toml:2: secret.surprise");
    assert_config_error("[secret]\ndefault-scheme = \"md4\"\n",
                        "test.toml:2: secret.default-scheme: 'md4'");
    assert_config_error("[secret.limits]\nbcrypt-cost = 40\n",
                        "secret.limits.bcrypt-cost");
    assert_config_error("[secret.limits]\nscrypt-memory = \"lots\"\n",
                        "secret.limits.scrypt-memory");
    assert_config_error("[secret.limits]\npbkdf2-rounds = 100000\n",
                        "pbkdf2-sha256 rounds 600000 is above the limit");
    assert_config_error("[secret.argon2id]\nmemory = \"1G\"\n",
                        "argon2id memory");
    assert_config_error("[secret.bcrypt]\ncost = 12\nrounds = 3\n",
                        "secret.bcrypt.rounds");
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("secret");
    TCase *tc = tcase_create("secret");
    tcase_add_test(tc, test_plaintext);
    tcase_add_test(tc, test_empty_never_matches);
    tcase_add_test(tc, test_published_digest_vectors);
    tcase_add_test(tc, test_unknown_scheme_is_error);
    tcase_add_test(tc, test_malformed_digests);
    tcase_add_test(tc, test_crypt_limits);
    tcase_add_test(tc, test_crypt_unsupported);
    tcase_add_test(tc, test_is_plaintext);
    tcase_add_test(tc, test_scheme_names);
    tcase_add_test(tc, test_dummy_never_crashes);
    tcase_add_test(tc, test_wipe);
    tcase_add_test(tc, test_published_kdf_vectors);
    tcase_add_test(tc, test_kdf_limits);
    tcase_add_test(tc, test_malformed_kdf);
    tcase_add_test(tc, test_dovecot_forms);
    tcase_add_test(tc, test_any_basic);
    tcase_add_test(tc, test_any_disabled);
    tcase_add_test(tc, test_any_app_password);
    tcase_add_test(tc, test_any_totp);
    tcase_add_test(tc, test_hash_round_trip);
    tcase_add_test(tc, test_set_param_errors);
    tcase_add_test(tc, test_policy_config);
    tcase_add_test(tc, test_policy_config_errors);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(suite, tc);
    return sd_check_run(suite);
}
