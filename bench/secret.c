/*
 * secret.c - what sd_secret_verify() costs beyond the library call that
 * does the work.
 *
 * For each scheme: the median time of sd_secret_verify_policy() on a
 * stored secret, divided by the median time of the bare library call on
 * the same input (crypt_rn, argon2_verify, PKCS5_PBKDF2_HMAC,
 * EVP_PBE_scrypt, EVP_Digest), both measured in this process, the two
 * alternating so that drift in the machine's speed hits both alike.
 * Output: one line per scheme, "scheme  sd_ms  bare_ms  ratio".
 *
 * usage: bench/secret [REPEATS [SCHEME]]   (default 21 samples per scheme,
 * every scheme; fast schemes take BATCH calls per sample so a sample is
 * well above the clock's resolution).  One SCHEME at a time is for
 * valgrind --tool=callgrind, which counts instructions where timing is
 * noisy: compare the inclusive counts of sd_secret_verify_policy and
 * of the bare_* function.
 */
#include "config.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sd_secret.h"

static const char password[] = "correct horse battery staple";

typedef struct bench_case {
    const char *name;
    char *stored;
    int batch;                  /* calls per sample */
    /* the bare call; a nonzero return means it did not match */
    int (*bare)(const struct bench_case *);
    /* inputs of the bare call, decoded once */
    unsigned char salt[64];
    size_t salt_len;
    unsigned char key[64];
    size_t key_len;
    unsigned rounds;
} bench_case;

static struct crypt_data crypt_buffer;

static int
bare_crypt(const bench_case *c)
{
    const char *out = crypt_rn(password, c->stored, &crypt_buffer,
                               sizeof crypt_buffer);
    return out == NULL || strcmp(out, c->stored) != 0;
}

static int
bare_argon2(const bench_case *c)
{
    return argon2_verify(c->stored, password, strlen(password), Argon2_id)
        != ARGON2_OK;
}

static int
bare_pbkdf2(const bench_case *c)
{
    unsigned char out[64];
    const EVP_MD *md = c->key_len == 64 ? EVP_sha512() : EVP_sha256();
    PKCS5_PBKDF2_HMAC(password, (int)strlen(password), c->salt,
                      (int)c->salt_len, (int)c->rounds, md,
                      (int)c->key_len, out);
    return CRYPTO_memcmp(out, c->key, c->key_len) != 0;
}

static int
bare_scrypt(const bench_case *c)
{
    unsigned char out[32];
    EVP_PBE_scrypt(password, strlen(password), c->salt, c->salt_len,
                   UINT64_C(1) << c->rounds, 8, 1, 64u << 20, out,
                   sizeof out);
    return CRYPTO_memcmp(out, c->key, sizeof out) != 0;
}

static int
bare_digest(const bench_case *c)
{
    unsigned char buffer[128], out[64];
    unsigned int len = 0;
    size_t pw_len = strlen(password);
    memcpy(buffer, password, pw_len);
    memcpy(buffer + pw_len, c->salt, c->salt_len);
    EVP_Digest(buffer, pw_len + c->salt_len, out, &len, EVP_sha512(), NULL);
    return CRYPTO_memcmp(out, c->key, 64) != 0;
}

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double
median(double *samples, int n)
{
    qsort(samples, (size_t)n, sizeof *samples, compare_doubles);
    return samples[n / 2];
}

static void
run_case(const sd_secret_policy *policy, bench_case *c, int repeats)
{
    double *sd = calloc((size_t)repeats, sizeof *sd);
    double *bare = calloc((size_t)repeats, sizeof *bare);
    if (sd_secret_verify_policy(policy, c->stored, password, NULL) != SD_OK
        || c->bare(c) != 0) {
        fprintf(stderr, "bench: %s does not verify\n", c->name);
        exit(1);
    }
    for (int r = 0; r < repeats; r++) {
        double t0 = now_ms();
        for (int i = 0; i < c->batch; i++)
            (void)sd_secret_verify_policy(policy, c->stored, password, NULL);
        double t1 = now_ms();
        for (int i = 0; i < c->batch; i++)
            (void)c->bare(c);
        double t2 = now_ms();
        sd[r] = (t1 - t0) / c->batch;
        bare[r] = (t2 - t1) / c->batch;
    }
    double m_sd = median(sd, repeats), m_bare = median(bare, repeats);
    printf("%-16s %12.4f %12.4f %8.3f\n", c->name, m_sd, m_bare,
           m_sd / m_bare);
    free(sd);
    free(bare);
}

/* Decodes the salt and key of "$pbkdf2-shaN$i=R,l=L$SALT$KEY". */
static void
decode_phc(bench_case *c, unsigned rounds)
{
    char **parts = g_strsplit(c->stored, "$", -1);
    for (int i = 3; i <= 4; i++) {
        GString *b64 = g_string_new(parts[i]);
        while (b64->len % 4 != 0)
            g_string_append_c(b64, '=');
        gsize len = 0;
        guchar *raw = g_base64_decode(b64->str, &len);
        memcpy(i == 3 ? c->salt : c->key, raw, len);
        *(i == 3 ? &c->salt_len : &c->key_len) = len;
        g_free(raw);
        g_string_free(b64, TRUE);
    }
    c->rounds = rounds;
    g_strfreev(parts);
}

static char *
make_scrypt(bench_case *c, unsigned log_n)
{
    memcpy(c->salt, "0123456789abcdef", 16);
    c->salt_len = 16;
    c->rounds = log_n;
    EVP_PBE_scrypt(password, strlen(password), c->salt, 16,
                   UINT64_C(1) << log_n, 8, 1, 64u << 20, c->key, 32);
    char *salt = g_base64_encode(c->salt, 16), *key = g_base64_encode(c->key,
                                                                     32);
    *strchr(salt, '=') = '\0';
    *strchr(key, '=') = '\0';
    char *out = g_strdup_printf("$scrypt$ln=%u,r=8,p=1$%s$%s", log_n, salt,
                                key);
    g_free(salt);
    g_free(key);
    return out;
}

static char *
make_ssha512(bench_case *c)
{
    memcpy(c->salt, "saltsaltsaltsalt", 16);
    c->salt_len = 16;
    unsigned char buffer[128];
    unsigned int len = 0;
    size_t pw_len = strlen(password);
    memcpy(buffer, password, pw_len);
    memcpy(buffer + pw_len, c->salt, 16);
    EVP_Digest(buffer, pw_len + 16, c->key, &len, EVP_sha512(), NULL);
    memcpy(buffer, c->key, 64);
    memcpy(buffer + 64, c->salt, 16);
    char *b64 = g_base64_encode(buffer, 80);
    char *out = g_strconcat("{SSHA512}", b64, NULL);
    g_free(b64);
    return out;
}

int
main(int argc, char **argv)
{
    int repeats = argc > 1 ? atoi(argv[1]) : 21;
    if (repeats < 3)
        repeats = 3;
    sd_secret_policy *gen = sd_secret_policy_new();
    const sd_secret_policy *policy = sd_secret_policy_default();
    sd_secret_policy_set_param(gen, "bcrypt", "cost", "10", NULL);
    sd_secret_policy_set_param(gen, "pbkdf2-sha256", "rounds", "60000",
                               NULL);
    sd_secret_policy_set_param(gen, "pbkdf2-sha512", "rounds", "20000",
                               NULL);
    bench_case cases[] = {
        { .name = "argon2id", .batch = 1, .bare = bare_argon2 },
        { .name = "bcrypt", .batch = 1, .bare = bare_crypt },
        { .name = "yescrypt", .batch = 1, .bare = bare_crypt },
        { .name = "sha512-crypt", .batch = 5, .bare = bare_crypt },
        { .name = "md5-crypt", .batch = 50, .bare = bare_crypt },
        { .name = "pbkdf2-sha256", .batch = 1, .bare = bare_pbkdf2 },
        { .name = "pbkdf2-sha512", .batch = 1, .bare = bare_pbkdf2 },
        { .name = "scrypt", .batch = 1, .bare = bare_scrypt },
        { .name = "ssha512", .batch = 2000, .bare = bare_digest },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        bench_case *c = &cases[i];
        if (strcmp(c->name, "md5-crypt") == 0)
            c->stored = g_strdup(crypt_rn(password, "$1$saltsalt$",
                                          &crypt_buffer,
                                          sizeof crypt_buffer));
        else if (strcmp(c->name, "scrypt") == 0)
            c->stored = make_scrypt(c, 14);
        else if (strcmp(c->name, "ssha512") == 0)
            c->stored = make_ssha512(c);
        else
            c->stored = sd_secret_hash(gen, c->name, password, NULL);
        if (strncmp(c->name, "pbkdf2", 6) == 0)
            decode_phc(c, strcmp(c->name, "pbkdf2-sha256") == 0 ? 60000
                                                                 : 20000);
    }
    printf("%-16s %12s %12s %8s\n", "scheme", "sd_ms", "bare_ms", "ratio");
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        if (argc <= 2 || strcmp(argv[2], cases[i].name) == 0)
            run_case(policy, &cases[i], repeats);
        g_free(cases[i].stored);
    }
    sd_secret_policy_free(gen);
    return 0;
}
