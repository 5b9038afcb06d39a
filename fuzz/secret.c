/*
 * secret.c - libFuzzer target for the stored-secret parsers
 * (common/sd_secret*.c): scheme selection, every verifier's decoding of
 * its encoded form, the cost checks, and the rule for a list of secrets.
 *
 * Offers: LLVMFuzzerTestOneInput().  Inputs: arbitrary bytes; each line
 * is one stored secret.  Every line is verified alone, named and tested
 * for plaintext, then all lines together go through
 * sd_secret_verify_any() with a password that has a TOTP code.
 *
 * The policy's limits are set very low (through a [secret.limits] table,
 * as an administrator would) so the fuzzer spends its time on parsing,
 * not on hashing; a cost check that let a costly value through would
 * show up as a slow input.
 *
 * Results: nothing; the sanitizers report what goes wrong.  Failure
 * modes: abort() when a result breaks the module's promises (SD_ERROR
 * without a message, a result outside OK/MISMATCH/ERROR).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sd_config.h"
#include "sd_log.h"
#include "sd_secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char limits_toml[] =
    "[secret.argon2id]\nmemory = \"8K\"\ntime = 1\n"
    "[secret.bcrypt]\ncost = 4\n[secret.pbkdf2-sha256]\nrounds = 1000\n"
    "[secret.pbkdf2-sha512]\nrounds = 1000\n"
    "[secret.limits]\nargon2-memory = \"64K\"\nargon2-time = 2\n"
    "argon2-parallelism = 2\nbcrypt-cost = 5\npbkdf2-rounds = 2000\n"
    "scrypt-memory = \"1M\"\nsha-crypt-rounds = 5000\n";

/* The log of malformed secrets is not what is fuzzed: drop it. */
static void
drop_message(sd_log_level level, const char *message, void *user_data)
{
    (void)level;
    (void)message;
    (void)user_data;
}

static gpointer
make_policy(gpointer unused)
{
    (void)unused;
    sd_log_set_sink(drop_message, NULL);
    sd_cfg *cfg = sd_cfg_parse(limits_toml, sizeof limits_toml - 1,
                               "fuzz.toml", NULL);
    sd_cfg_table root, secret;
    sd_cfg_root(cfg, &root);
    sd_secret_policy *policy = sd_secret_policy_new();
    if (sd_cfg_get_table(&root, "secret", &secret) != SD_CFG_FOUND
        || !sd_secret_policy_configure(policy, &secret))
        abort();
    sd_cfg_table_clear(&secret);
    sd_cfg_table_clear(&root);
    if (!sd_cfg_finish(cfg, NULL))
        abort();
    sd_cfg_free(cfg);
    return policy;
}

static void
check_one(const sd_secret_policy *policy, const char *stored)
{
    GError *error = NULL;
    sd_result result = sd_secret_verify_policy(policy, stored, "password",
                                               &error);
    if (result != SD_OK && result != SD_MISMATCH && result != SD_ERROR)
        abort();
    if (result == SD_ERROR && (error == NULL || error->message[0] == '\0'))
        abort();
    g_clear_error(&error);
    (void)sd_secret_scheme_name(stored);
    (void)sd_secret_is_plaintext(stored);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static GOnce once = G_ONCE_INIT;
    const sd_secret_policy *policy = g_once(&once, make_policy, NULL);
    char *text = g_strndup((const char *)data, size);
    char **lines = g_strsplit(text, "\n", 16);
    GPtrArray *secrets = g_ptr_array_new();
    for (char **line = lines; *line != NULL; line++) {
        check_one(policy, *line);
        g_ptr_array_add(secrets, *line);
    }
    GError *error = NULL;
    sd_result result = sd_secret_verify_any(policy, secrets,
                                            "password$123456", "fuzz",
                                            "user", &error);
    if (result != SD_OK && error == NULL)
        abort();
    g_clear_error(&error);
    g_ptr_array_unref(secrets);
    g_strfreev(lines);
    g_free(text);
    return 0;
}
