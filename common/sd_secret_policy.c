/*
 * sd_secret_policy.c - the limits and generation parameters of the
 * secret module, and the [secret] table that sets them (see README,
 * "[secret]", and sasldir.toml(5)).
 *
 * Inputs: a [secret] table, or "KEY=VALUE" text from "sasldir hash
 * --param".  Both go through the tables below, so a parameter has one
 * name, one range and one check everywhere.  Results: errors in the
 * "FILE:LINE: KEY: ..." form of sd_config, or SD_ERROR with the reason.
 *
 * Defaults.  Generation: argon2id with OWASP's parameters (19 MiB, two
 * passes, one lane), bcrypt cost 12, yescrypt cost 5, sha512-crypt 5000
 * rounds (libxcrypt's default), PBKDF2-SHA256 600000 and PBKDF2-SHA512
 * 210000 rounds (OWASP), 16-byte salts, SCRAM credentials 4096
 * iterations (RFC 7677's minimum, what SCRAM clients expect).  Limits: argon2 256 MiB, 16
 * passes, 16 lanes; bcrypt cost 16; PBKDF2 5000000 rounds; scrypt 256
 * MiB; sha-crypt 10000000 rounds.  These accept the defaults of every
 * common tool and the recommendations of RFC 9106 and OWASP.
 */
#include "config.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "sd_secret_impl.h"

#define KIB UINT64_C(1024)
#define MIB (KIB * KIB)

static const sd_secret_policy builtin = {
    .default_scheme = (char *)"argon2id",
    .limits = {
        .argon2_memory_kib = 256 * KIB,
        .argon2_time = 16,
        .argon2_parallelism = 16,
        .bcrypt_cost = 16,
        .pbkdf2_rounds = 5000000,
        .scrypt_memory = 256 * MIB,
        .sha_crypt_rounds = 10000000,
    },
    .params = {
        .argon2_memory_kib = 19 * KIB,
        .argon2_time = 2,
        .argon2_parallelism = 1,
        .bcrypt_cost = 12,
        .yescrypt_cost = 5,
        .sha_crypt_rounds = 5000,
        .pbkdf2_sha256_rounds = 600000,
        .pbkdf2_sha512_rounds = 210000,
        .salt_length = 16,
        .scram_iterations = 4096,
    },
    .dummy = 0,
};

/* A generation parameter: [secret.SCHEME] KEY, or --param KEY=VALUE. */
typedef struct param_def {
    const char *scheme;     /* NULL: every scheme ([secret] itself) */
    const char *key;
    size_t offset;          /* in sd_secret_params */
    uint64_t min, max;
    bool size;              /* a size ("19M"), kept in KiB */
} param_def;

#define P(field) offsetof(sd_secret_params, field)
static const param_def param_defs[] = {
    { "argon2id", "memory", P(argon2_memory_kib), 8, UINT32_MAX, true },
    { "argon2id", "time", P(argon2_time), 1, UINT32_MAX, false },
    { "argon2id", "parallelism", P(argon2_parallelism), 1, 0xFFFFFF, false },
    { "bcrypt", "cost", P(bcrypt_cost), 4, 31, false },
    { "yescrypt", "cost", P(yescrypt_cost), 1, 11, false },
    { "sha512-crypt", "rounds", P(sha_crypt_rounds), 1000, 999999999,
      false },
    { "pbkdf2-sha256", "rounds", P(pbkdf2_sha256_rounds), 1000, INT32_MAX,
      false },
    { "pbkdf2-sha512", "rounds", P(pbkdf2_sha512_rounds), 1000, INT32_MAX,
      false },
    { NULL, "salt-length", P(salt_length), 8, 64, false },
    { "scram", "iterations", P(scram_iterations), 4096, INT32_MAX, false },
};
#undef P

/* A limit: [secret.limits] KEY. */
typedef struct limit_def {
    const char *key;
    size_t offset;          /* in sd_secret_limits */
    uint64_t min, max;
    bool size;
    bool kib;               /* kept in KiB rather than bytes */
} limit_def;

#define L(field) offsetof(sd_secret_limits, field)
static const limit_def limit_defs[] = {
    { "argon2-memory", L(argon2_memory_kib), 8, UINT32_MAX, true, true },
    { "argon2-time", L(argon2_time), 1, UINT32_MAX, false, false },
    { "argon2-parallelism", L(argon2_parallelism), 1, 0xFFFFFF, false,
      false },
    { "bcrypt-cost", L(bcrypt_cost), 4, 31, false, false },
    { "pbkdf2-rounds", L(pbkdf2_rounds), 1, INT32_MAX, false, false },
    { "scrypt-memory", L(scrypt_memory), MIB, UINT64_MAX / 2, true, false },
    { "sha-crypt-rounds", L(sha_crypt_rounds), 1000, 999999999, false,
      false },
};
#undef L

static uint64_t *
param_slot(sd_secret_params *params, const param_def *def)
{
    return (uint64_t *)((char *)params + def->offset);
}

static uint64_t *
limit_slot(sd_secret_limits *limits, const limit_def *def)
{
    return (uint64_t *)((char *)limits + def->offset);
}

/* Made once, never changed (but for its dummy hash) and never freed. */
static gpointer
make_default(gpointer unused)
{
    (void)unused;
    return sd_secret_policy_new();
}

const sd_secret_policy *
sd_secret_policy_default(void)
{
    static GOnce once = G_ONCE_INIT;
    return g_once(&once, make_default, NULL);
}

sd_secret_policy *
sd_secret_policy_new(void)
{
    sd_secret_policy *policy = g_new(sd_secret_policy, 1);
    *policy = builtin;
    policy->default_scheme = g_strdup(builtin.default_scheme);
    policy->dummy = 0;
    return policy;
}

sd_secret_policy *
sd_secret_policy_copy(const sd_secret_policy *policy)
{
    sd_secret_policy *copy = sd_secret_policy_new();
    g_free(copy->default_scheme);
    copy->default_scheme = g_strdup(policy->default_scheme);
    copy->limits = policy->limits;
    copy->params = policy->params;
    return copy;
}

void
sd_secret_policy_free(sd_secret_policy *policy)
{
    if (policy == NULL || policy == sd_secret_policy_default())
        return;
    g_free(policy->default_scheme);
    g_free((char *)policy->dummy);
    g_free(policy);
}

const char *
sd_secret_policy_default_scheme(const sd_secret_policy *policy)
{
    return (policy != NULL ? policy : &builtin)->default_scheme;
}

static bool
is_hash_scheme(const char *name)
{
    for (const char *const *s = sd_secret_hash_schemes(); *s != NULL; s++)
        if (strcmp(*s, name) == 0)
            return true;
    return false;
}

/*
 * The first generation parameter beyond a limit, as a message (free it),
 * or NULL: a server must not write hashes it would refuse to read.
 */
static char *
params_over_limits(const sd_secret_policy *policy)
{
    const sd_secret_params *p = &policy->params;
    const sd_secret_limits *l = &policy->limits;
    struct { const char *what; uint64_t value, limit; } checks[] = {
        { "argon2id memory (KiB)", p->argon2_memory_kib,
          l->argon2_memory_kib },
        { "argon2id time", p->argon2_time, l->argon2_time },
        { "argon2id parallelism", p->argon2_parallelism,
          l->argon2_parallelism },
        { "bcrypt cost", p->bcrypt_cost, l->bcrypt_cost },
        { "sha512-crypt rounds", p->sha_crypt_rounds, l->sha_crypt_rounds },
        { "pbkdf2-sha256 rounds", p->pbkdf2_sha256_rounds,
          l->pbkdf2_rounds },
        { "pbkdf2-sha512 rounds", p->pbkdf2_sha512_rounds,
          l->pbkdf2_rounds },
        { "scram iterations", p->scram_iterations, l->pbkdf2_rounds },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(checks); i++)
        if (checks[i].value > checks[i].limit)
            return g_strdup_printf("%s %" PRIu64 " is above the limit of %"
                                   PRIu64 " ([secret.limits])",
                                   checks[i].what, checks[i].value,
                                   checks[i].limit);
    if (p->argon2_memory_kib < 8 * p->argon2_parallelism)
        return g_strdup("argon2id memory must be at least 8 KiB per lane");
    return NULL;
}

/* ------------------------------------------------------------------ */
/* sasldir hash --param KEY=VALUE                                      */
/* ------------------------------------------------------------------ */

static bool
parse_value(const char *text, bool size, uint64_t *out)
{
    if (size) {
        uint64_t bytes = 0;
        if (!sd_parse_size(text, &bytes))
            return false;
        *out = bytes / KIB;
        return true;
    }
    guint64 value = 0;
    if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, &value, NULL))
        return false;
    *out = value;
    return true;
}

sd_result
sd_secret_policy_set_param(sd_secret_policy *policy, const char *scheme,
                           const char *key, const char *value,
                           GError **error)
{
    for (size_t i = 0; i < G_N_ELEMENTS(param_defs); i++) {
        const param_def *def = &param_defs[i];
        if (strcmp(def->key, key) != 0
            || (def->scheme != NULL && strcmp(def->scheme, scheme) != 0))
            continue;
        uint64_t parsed = 0;
        if (!parse_value(value, def->size, &parsed) || parsed < def->min
            || parsed > def->max)
            return sd_fail(error, SD_ERROR, "%s %s: '%s' is not %s from %"
                           PRIu64 " to %" PRIu64, scheme, key, value,
                           def->size ? "a size (KiB)" : "a number",
                           def->min, def->max);
        uint64_t saved = *param_slot(&policy->params, def);
        *param_slot(&policy->params, def) = parsed;
        char *over = params_over_limits(policy);
        if (over != NULL) {
            *param_slot(&policy->params, def) = saved;
            sd_fail(error, SD_ERROR, "%s %s: %s", scheme, key, over);
            g_free(over);
            return SD_ERROR;
        }
        return SD_OK;
    }
    return sd_fail(error, SD_ERROR, "scheme %s has no parameter '%s' (see "
                   "'sasldir hash --list')", scheme, key);
}

/* ------------------------------------------------------------------ */
/* [secret]                                                            */
/* ------------------------------------------------------------------ */

/* Reads KEY of TABLE into *SLOT: an integer, or a size kept in KiB. */
static void
read_number(sd_cfg_table *table, const char *key, bool size, bool kib,
            uint64_t min, uint64_t max, uint64_t *slot)
{
    if (!size) {
        int64_t value = 0;
        if (sd_cfg_get_int(table, key, (int64_t)min, (int64_t)max, &value)
            == SD_CFG_FOUND)
            *slot = (uint64_t)value;
        return;
    }
    uint64_t bytes = 0;
    if (sd_cfg_get_size(table, key, &bytes) != SD_CFG_FOUND)
        return;
    uint64_t value = kib ? bytes / KIB : bytes;
    if (value < min || value > max)
        sd_cfg_error(table, key, 0, "%" PRIu64 " bytes is out of range (%"
                     PRIu64 " to %" PRIu64 " %s)", bytes, min, max,
                     kib ? "KiB" : "bytes");
    else
        *slot = value;
}

static void
read_params(sd_secret_policy *policy, sd_cfg_table *section)
{
    for (size_t i = 0; i < G_N_ELEMENTS(param_defs); i++) {
        const param_def *def = &param_defs[i];
        sd_cfg_table sub;
        sd_cfg_table *table = section;
        if (def->scheme != NULL) {
            if (sd_cfg_get_table(section, def->scheme, &sub) != SD_CFG_FOUND)
                continue;
            table = &sub;
        }
        read_number(table, def->key, def->size, true, def->min, def->max,
                    param_slot(&policy->params, def));
        if (table == &sub)
            sd_cfg_table_clear(&sub);
    }
}

static void
read_limits(sd_secret_policy *policy, sd_cfg_table *section)
{
    sd_cfg_table limits;
    if (sd_cfg_get_table(section, "limits", &limits) != SD_CFG_FOUND)
        return;
    for (size_t i = 0; i < G_N_ELEMENTS(limit_defs); i++) {
        const limit_def *def = &limit_defs[i];
        read_number(&limits, def->key, def->size, def->kib, def->min,
                    def->max, limit_slot(&policy->limits, def));
    }
    sd_cfg_table_clear(&limits);
}

bool
sd_secret_policy_configure(sd_secret_policy *policy, sd_cfg_table *section)
{
    unsigned errors_before = sd_cfg_error_count(section->cfg);
    const char *scheme = NULL;
    if (sd_cfg_get_string(section, "default-scheme", &scheme)
        == SD_CFG_FOUND) {
        if (is_hash_scheme(scheme)) {
            g_free(policy->default_scheme);
            policy->default_scheme = g_strdup(scheme);
        } else {
            char *known = g_strjoinv(", ", (char **)sd_secret_hash_schemes());
            sd_cfg_error(section, "default-scheme", 0, "'%s' is not a "
                         "scheme sasldir can generate (%s)", scheme, known);
            g_free(known);
        }
    }
    read_params(policy, section);
    read_limits(policy, section);
    char *over = params_over_limits(policy);
    if (over != NULL) {
        sd_cfg_error(section, NULL, 0, "%s", over);
        g_free(over);
    }
    return sd_cfg_error_count(section->cfg) == errors_before;
}
