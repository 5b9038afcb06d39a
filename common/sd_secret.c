/*
 * sd_secret.c - the one table of password schemes, the selection of a
 * scheme from a stored secret, the plaintext, digest and crypt(3)
 * verifiers, Stalwart's markers, and the rule for a list of secrets (see
 * sd_secret.h).  The KDF families live in sd_secret_kdf.c, TOTP in
 * sd_secret_totp.c; all are named in the table below and nowhere else.
 *
 * Every derived value is compared with CRYPTO_memcmp, and plaintext is
 * compared through SHA-256 digests of both sides, so neither the content
 * nor the length of a stored plaintext secret leaks through timing.
 * Every buffer that held the password or a value derived from it is
 * wiped before it is freed.
 */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sd_log.h"
#include "sd_secret.h"
#include "sd_secret_impl.h"

static sd_result verify_plain(const sd_secret_policy *,
                              const password_scheme *, const char *,
                              const char *, GError **);
static sd_result verify_digest(const sd_secret_policy *,
                               const password_scheme *, const char *,
                               const char *, GError **);
static sd_result verify_crypt(const sd_secret_policy *,
                              const password_scheme *, const char *,
                              const char *, GError **);
static sd_result verify_apr1(const sd_secret_policy *,
                             const password_scheme *, const char *,
                             const char *, GError **);
static sd_result verify_unsupported(const sd_secret_policy *,
                                    const password_scheme *, const char *,
                                    const char *, GError **);
static sd_result verify_disabled(const sd_secret_policy *,
                                 const password_scheme *, const char *,
                                 const char *, GError **);
static sd_result verify_app(const sd_secret_policy *,
                            const password_scheme *, const char *,
                            const char *, GError **);

#define B64 SD_ENC_BASE64
#define HEX SD_ENC_HEX

/*
 * The schemes.  "{NAME}" entries are matched inside braces without
 * regard to case, as slapd and Dovecot do, and may carry Dovecot's
 * ".HEX"/".B64" suffix when they are digests; the others are prefixes
 * matched exactly at the start of the stored secret, in order.
 */
static const password_scheme schemes[] = {
    /* Plaintext. */
    { "{PLAIN}",        verify_plain,  NULL,     false, true,  B64 },
    { "{CLEAR}",        verify_plain,  NULL,     false, true,  B64 },
    { "{CLEARTEXT}",    verify_plain,  NULL,     false, true,  B64 },
    /* RFC 2307 and Dovecot digests: digest(password + salt) + salt. */
    { "{SHA}",          verify_digest, "SHA1",   false, false, B64 },
    { "{SHA1}",         verify_digest, "SHA1",   false, false, B64 },
    { "{SSHA}",         verify_digest, "SHA1",   true,  false, B64 },
    { "{SHA256}",       verify_digest, "SHA256", false, false, B64 },
    { "{SSHA256}",      verify_digest, "SHA256", true,  false, B64 },
    { "{SHA512}",       verify_digest, "SHA512", false, false, B64 },
    { "{SSHA512}",      verify_digest, "SHA512", true,  false, B64 },
    { "{MD5}",          verify_digest, "MD5",    false, false, B64 },
    { "{SMD5}",         verify_digest, "MD5",    true,  false, B64 },
    { "{LDAP-MD5}",     verify_digest, "MD5",    false, false, B64 },
    { "{PLAIN-MD5}",    verify_digest, "MD5",    false, false, HEX },
    /* crypt(3) under the names slapd and Dovecot give it. */
    { "{CRYPT}",        verify_crypt,  NULL,     false, false, B64 },
    { "{BLF-CRYPT}",    verify_crypt,  NULL,     false, false, B64 },
    { "{SHA512-CRYPT}", verify_crypt,  NULL,     false, false, B64 },
    { "{SHA256-CRYPT}", verify_crypt,  NULL,     false, false, B64 },
    { "{MD5-CRYPT}",    verify_crypt,  NULL,     false, false, B64 },
    { "{DES-CRYPT}",    verify_crypt,  NULL,     false, false, B64 },
    /* Key derivation functions (sd_secret_kdf.c). */
    { "{ARGON2}",       sd_verify_argon2, NULL,  false, false, B64 },
    { "{ARGON2I}",      sd_verify_argon2, NULL,  false, false, B64 },
    { "{ARGON2ID}",     sd_verify_argon2, NULL,  false, false, B64 },
    { "{PBKDF2}",       sd_verify_pbkdf2_ldap, "SHA1",   false, false, B64 },
    { "{PBKDF2-SHA1}",  sd_verify_pbkdf2_ldap, "SHA1",   false, false, B64 },
    { "{PBKDF2-SHA256}", sd_verify_pbkdf2_ldap, "SHA256", false, false, B64 },
    { "{PBKDF2-SHA512}", sd_verify_pbkdf2_ldap, "SHA512", false, false, B64 },
    { "{SCRAM-SHA-1}",  sd_verify_scram, "SHA1",   false, false, B64 },
    { "{SCRAM-SHA-256}", sd_verify_scram, "SHA256", false, false, B64 },
    /* Dovecot schemes that cannot be checked against a plain password
     * with the libraries here, named so the error says so. */
    { "{CRAM-MD5}",     verify_unsupported, NULL, false, false, B64 },
    { "{HMAC-MD5}",     verify_unsupported, NULL, false, false, B64 },
    { "{DIGEST-MD5}",   verify_unsupported, NULL, false, false, B64 },
    { "{PLAIN-MD4}",    verify_unsupported, NULL, false, false, B64 },
    { "{NTLM}",         verify_unsupported, NULL, false, false, B64 },
    { "{LANMAN}",       verify_unsupported, NULL, false, false, B64 },
    { "{RPA}",          verify_unsupported, NULL, false, false, B64 },
    { "{OTP}",          verify_unsupported, NULL, false, false, B64 },
    { "{SKEY}",         verify_unsupported, NULL, false, false, B64 },
    { "{PLAIN-TRUNC}",  verify_unsupported, NULL, false, false, B64 },
    /* PHC strings and Stalwart's markers, matched as prefixes. */
    { "$argon2id$",     sd_verify_argon2, NULL,  false, false, B64 },
    { "$argon2i$",      sd_verify_argon2, NULL,  false, false, B64 },
    { "$argon2d$",      sd_verify_argon2, NULL,  false, false, B64 },
    { "$pbkdf2$",       sd_verify_pbkdf2_phc, "SHA1",   false, false, B64 },
    { "$pbkdf2-sha256$", sd_verify_pbkdf2_phc, "SHA256", false, false, B64 },
    { "$pbkdf2-sha512$", sd_verify_pbkdf2_phc, "SHA512", false, false, B64 },
    { "$scrypt$",       sd_verify_scrypt, NULL,  false, false, B64 },
    { "$apr1$",         verify_apr1,    "MD5",   false, false, B64 },
    { "$disabled$",     verify_disabled, NULL,   false, false, B64 },
    { "$app$",          verify_app,     NULL,    false, false, B64 },
    { "otpauth://totp/", sd_verify_totp, NULL,   false, false, B64 },
};

/* Secrets no entry names: crypt(3) strings and plaintext. */
static const password_scheme crypt_scheme =
    { "crypt", verify_crypt, NULL, false, false, B64 };
static const password_scheme plain_scheme =
    { "plain", verify_plain, NULL, false, true, B64 };

/* Longest scheme name accepted between braces. */
#define MAX_SCHEME_NAME 32

void
sd_memwipe(void *p, size_t len)
{
    if (p != NULL && len > 0)
        OPENSSL_cleanse(p, len);
}

void
sd_secret_free(char *secret)
{
    if (secret == NULL)
        return;
    sd_memwipe(secret, strlen(secret));
    g_free(secret);
}

void
sd_random_bytes(void *out, size_t len)
{
    if (RAND_bytes(out, (int)len) != 1)
        abort(); /* no entropy source: nothing sensible is possible */
}

/* ------------------------------------------------------------------ */
/* Selection                                                           */
/* ------------------------------------------------------------------ */

/* Reads Dovecot's encoding suffix ("HEX", "B64", "BASE64"). */
static bool
parse_encoding(const char *suffix, size_t len, int *encoding)
{
    if (len == 3 && g_ascii_strncasecmp(suffix, "HEX", 3) == 0)
        *encoding = SD_ENC_HEX;
    else if ((len == 3 && g_ascii_strncasecmp(suffix, "B64", 3) == 0)
             || (len == 6 && g_ascii_strncasecmp(suffix, "BASE64", 6) == 0))
        *encoding = SD_ENC_BASE64;
    else
        return false;
    return true;
}

/* C's ASCII upper case, inline: g_ascii_strncasecmp() costs more than
 * the rest of selecting a scheme. */
static inline unsigned char
ascii_upper(unsigned char c)
{
    return c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
}

/* Whether table entry ENTRY ("{NAME}") names NAME (LEN bytes, no '}' or
 * NUL in them, so a shorter entry stops at a mismatch before its end). */
static bool
brace_name_is(const char *entry, const char *name, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (ascii_upper((unsigned char)entry[i + 1])
            != ascii_upper((unsigned char)name[i]))
            return false;
    return entry[len + 1] == '}' && entry[len + 2] == '\0';
}

/* The entry for "{NAME}" (LEN bytes of NAME), or NULL. */
static const password_scheme *
find_brace_scheme(const char *name, size_t len)
{
    for (size_t i = 0; i < G_N_ELEMENTS(schemes); i++)
        if (schemes[i].name[0] == '{'
            && brace_name_is(schemes[i].name, name, len))
            return &schemes[i];
    return NULL;
}

static const password_scheme *
select_brace(const char *stored, const char **encoded, int *encoding,
             GError **error)
{
    const char *close = strchr(stored, '}');
    if (close == NULL || close - stored - 1 > MAX_SCHEME_NAME) {
        sd_fail(error, SD_ERROR, "malformed stored secret: '{' without a "
                "closing '}' after the scheme name");
        return NULL;
    }
    size_t len = (size_t)(close - stored - 1);
    const char *dot = memchr(stored + 1, '.', len);
    size_t base_len = dot != NULL ? (size_t)(dot - stored - 1) : len;
    const password_scheme *scheme = find_brace_scheme(stored + 1, base_len);
    if (scheme == NULL) {
        sd_fail(error, SD_ERROR, "unsupported password scheme {%.*s}",
                (int)len, stored + 1);
        return NULL;
    }
    *encoding = scheme->encoding;
    if (dot != NULL
        && (scheme->verify != verify_digest
            || !parse_encoding(dot + 1, len - base_len - 1, encoding))) {
        sd_fail(error, SD_ERROR, "unsupported encoding in password scheme "
                "{%.*s}", (int)len, stored + 1);
        return NULL;
    }
    *encoded = close + 1;
    return scheme;
}

/*
 * Splits STORED into its scheme and the encoded part the verifier reads
 * (after the braces; the whole string for prefixes).  Returns NULL with
 * *ERROR set for a brace scheme nobody knows or a missing '}'.
 */
static const password_scheme *
select_scheme(const char *stored, const char **encoded, int *encoding,
              GError **error)
{
    if (stored[0] == '{')
        return select_brace(stored, encoded, encoding, error);
    *encoded = stored;
    *encoding = SD_ENC_BASE64;
    for (size_t i = 0; i < G_N_ELEMENTS(schemes); i++)
        if (schemes[i].name[0] != '{'
            && g_str_has_prefix(stored, schemes[i].name))
            return &schemes[i];
    if (stored[0] == '$' || stored[0] == '_')
        return &crypt_scheme;
    return &plain_scheme;
}

/* The encoding a digest verifier must use, passed through the scheme
 * entry so the verifier signature stays the same for every family. */
static password_scheme
with_encoding(const password_scheme *scheme, int encoding)
{
    password_scheme copy = *scheme;
    copy.encoding = encoding;
    return copy;
}

sd_result
sd_secret_verify_policy(const sd_secret_policy *policy, const char *stored,
                        const char *password, GError **error)
{
    if (stored == NULL || *stored == '\0' || password == NULL)
        return SD_MISMATCH;
    if (policy == NULL)
        policy = sd_secret_policy_default();
    const char *encoded;
    int encoding;
    const password_scheme *scheme = select_scheme(stored, &encoded,
                                                  &encoding, error);
    if (scheme == NULL)
        return SD_ERROR;
    password_scheme chosen = with_encoding(scheme, encoding);
    return scheme->verify(policy, &chosen, encoded, password, error);
}

sd_result
sd_secret_verify(const char *stored, const char *password, GError **error)
{
    return sd_secret_verify_policy(NULL, stored, password, error);
}

bool
sd_secret_is_plaintext(const char *stored)
{
    return sd_secret_plaintext(stored) != NULL;
}

const char *
sd_secret_plaintext(const char *stored)
{
    const char *encoded;
    int encoding;
    const password_scheme *scheme = select_scheme(stored, &encoded,
                                                  &encoding, NULL);
    return scheme != NULL && scheme->plaintext ? encoded : NULL;
}

/* ------------------------------------------------------------------ */
/* Decoders                                                            */
/* ------------------------------------------------------------------ */

/* The value of each base64 character (passlib's '.' counts as '+') plus
 * one; 0 for a character that is not base64.  Checked here rather than
 * by g_base64_decode(), which skips invalid characters silently and
 * needs a padded, allocated copy. */
static const unsigned char base64_values[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,
    ['G'] = 7,  ['H'] = 8,  ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12,
    ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,
    ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
    ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
    ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
    ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54,
    ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60,
    ['8'] = 61, ['9'] = 62, ['+'] = 63, ['.'] = 63, ['/'] = 64,
};

/* The number of bytes LEN base64 characters (padding removed) decode to. */
static size_t
base64_decoded_len(size_t len)
{
    return len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
}

/*
 * Decodes LEN characters of unpadded base64 into OUT (room for
 * base64_decoded_len(LEN) bytes).  False at the first invalid character,
 * with OUT partly written.  Leftover low bits of the last character are
 * ignored, as g_base64_decode() ignores them.
 */
static bool
base64_decode_into(const char *text, size_t len, unsigned char *out)
{
    const unsigned char *in = (const unsigned char *)text;
    size_t whole = len / 4 * 4;
    for (size_t i = 0; i < whole; i += 4) {
        /* a character that is not base64 has value 0, so 0u - 1 sets
         * bits above the low 6 and one test checks all four */
        uint32_t a = base64_values[in[i]] - 1u,
                 b = base64_values[in[i + 1]] - 1u,
                 c = base64_values[in[i + 2]] - 1u,
                 d = base64_values[in[i + 3]] - 1u;
        if (((a | b | c | d) & ~UINT32_C(63)) != 0)
            return false;
        uint32_t group = a << 18 | b << 12 | c << 6 | d;
        *out++ = (unsigned char)(group >> 16);
        *out++ = (unsigned char)(group >> 8);
        *out++ = (unsigned char)group;
    }
    uint32_t bits = 0;
    int nbits = 0;
    for (size_t i = whole; i < len; i++) {
        unsigned v = base64_values[in[i]];
        if (v == 0)
            return false;
        bits = bits << 6 | (v - 1);
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            *out++ = (unsigned char)(bits >> nbits);
        }
    }
    return true;
}

/* The base64 body of TEXT (LEN bytes) without trailing '=', or (size_t)-1
 * when it cannot be base64 at all. */
static size_t
base64_body_len(const char *text, size_t len)
{
    while (len > 0 && text[len - 1] == '=')
        len--;
    return len == 0 || len % 4 == 1 ? (size_t)-1 : len;
}

unsigned char *
sd_decode_base64(const char *text, size_t len, size_t *out_len)
{
    len = base64_body_len(text, len);
    if (len == (size_t)-1)
        return NULL;
    unsigned char *decoded = g_malloc(base64_decoded_len(len));
    if (!base64_decode_into(text, len, decoded)) {
        g_free(decoded);
        return NULL;
    }
    *out_len = base64_decoded_len(len);
    return decoded;
}

/* The length of the base64 body of TEXT (LEN bytes) in RFC 4648's padded
 * form: a multiple of 4 with at most two '=' and no passlib '.'; or
 * (size_t)-1.  Other characters are left to the decoder. */
static size_t
padded_body_len(const char *text, size_t len)
{
    if (len == 0 || len % 4 != 0 || memchr(text, '.', len) != NULL)
        return (size_t)-1;
    size_t body = base64_body_len(text, len);
    return body != (size_t)-1 && len - body <= 2 ? body : (size_t)-1;
}

unsigned char *
sd_decode_base64_padded(const char *text, size_t *out_len)
{
    size_t len = strlen(text);
    return padded_body_len(text, len) == (size_t)-1
        ? NULL : sd_decode_base64(text, len, out_len);
}

bool
sd_decode_base64_padded_into(const char *text, size_t len,
                             unsigned char *out, size_t room,
                             size_t *out_len)
{
    size_t body = padded_body_len(text, len);
    if (body == (size_t)-1 || base64_decoded_len(body) > room
        || !base64_decode_into(text, body, out))
        return false;
    *out_len = base64_decoded_len(body);
    return true;
}

bool
sd_decode_hex_into(const char *text, size_t len, unsigned char *out,
                   size_t room, size_t *out_len)
{
    if (len == 0 || len % 2 != 0 || len / 2 > room)
        return false;
    for (size_t i = 0; i < len; i += 2) {
        int high = g_ascii_xdigit_value(text[i]);
        int low = g_ascii_xdigit_value(text[i + 1]);
        if (high < 0 || low < 0)
            return false;
        out[i / 2] = (unsigned char)(high << 4 | low);
    }
    *out_len = len / 2;
    return true;
}

unsigned char *
sd_decode_hex(const char *text, size_t len, size_t *out_len)
{
    if (len == 0 || len % 2 != 0)
        return NULL;
    unsigned char *out = g_malloc(len / 2);
    if (!sd_decode_hex_into(text, len, out, len / 2, out_len)) {
        g_free(out);
        return NULL;
    }
    return out;
}

/* ------------------------------------------------------------------ */
/* Plaintext                                                           */
/* ------------------------------------------------------------------ */

static void
sha256(const char *data, size_t len, unsigned char out[32])
{
    unsigned int out_len = 0;
    if (!EVP_Digest(data, len, out, &out_len, EVP_sha256(), NULL))
        abort(); /* only on memory exhaustion inside OpenSSL */
}

static sd_result
verify_plain(const sd_secret_policy *policy, const password_scheme *scheme,
             const char *encoded, const char *password, GError **error)
{
    (void)policy;
    (void)scheme;
    (void)error;
    if (*encoded == '\0')
        return SD_MISMATCH;
    unsigned char a[32], b[32];
    sha256(encoded, strlen(encoded), a);
    sha256(password, strlen(password), b);
    bool equal = CRYPTO_memcmp(a, b, sizeof a) == 0;
    sd_memwipe(a, sizeof a);
    sd_memwipe(b, sizeof b);
    return equal ? SD_OK : SD_MISMATCH;
}

/* ------------------------------------------------------------------ */
/* {SHA}, {SSHA}, ... : encode(digest(password [+ salt]) [+ salt])      */
/* ------------------------------------------------------------------ */

/* The digest named in the table.  EVP_get_digestbyname() searches
 * OpenSSL 3's name map on every call, which costs as much as hashing a
 * short password, so the four names are resolved here. */
static const EVP_MD *
digest_by_name(const char *name)
{
    if (strcmp(name, "SHA1") == 0)
        return EVP_sha1();
    if (strcmp(name, "SHA256") == 0)
        return EVP_sha256();
    if (strcmp(name, "SHA512") == 0)
        return EVP_sha512();
    if (strcmp(name, "MD5") == 0)
        return EVP_md5();
    return EVP_get_digestbyname(name);
}

/*
 * A stored digest secret is the digest (64 bytes at most) and a salt that
 * the tools keep short (4 to 16 bytes): decoded into a buffer on the
 * stack, so the common case costs no allocation; a longer salt (the
 * format allows any length) goes to the heap.
 */
#define DIGEST_STACK_ROOM (EVP_MAX_MD_SIZE + 128)

/* Decodes ENCODED (LEN characters) into STACK when it fits, else into a
 * new buffer; NULL when it is not valid in ENCODING. */
static unsigned char *
decode_digest_value(const char *encoded, size_t len, int encoding,
                    unsigned char stack[DIGEST_STACK_ROOM], size_t *out_len)
{
    size_t room = encoding == SD_ENC_HEX ? len / 2 : len / 4 * 3;
    unsigned char *out = room <= DIGEST_STACK_ROOM ? stack : g_malloc(room);
    bool ok = encoding == SD_ENC_HEX
        ? sd_decode_hex_into(encoded, len, out, room, out_len)
        : sd_decode_base64_padded_into(encoded, len, out, room, out_len);
    if (!ok && out != stack)
        g_free(out);
    return ok ? out : NULL;
}

static sd_result
verify_digest(const sd_secret_policy *policy, const password_scheme *scheme,
              const char *encoded, const char *password, GError **error)
{
    /* Dovecot's {MD5} is MD5-crypt; RFC 2307's is a base64 digest. */
    if (g_str_has_prefix(encoded, "$1$"))
        return verify_crypt(policy, scheme, encoded, password, error);
    const EVP_MD *md = digest_by_name(scheme->digest);
    if (md == NULL)
        return sd_fail(error, SD_ERROR, "%s: digest %s is not available in "
                       "this OpenSSL", scheme->name, scheme->digest);
    size_t digest_len = (size_t)EVP_MD_get_size(md);

    unsigned char stack[DIGEST_STACK_ROOM];
    size_t decoded_len = 0;
    unsigned char *decoded = decode_digest_value(encoded, strlen(encoded),
                                                 scheme->encoding, stack,
                                                 &decoded_len);
    if (decoded == NULL
        || (scheme->salted ? decoded_len < digest_len
                           : decoded_len != digest_len)) {
        if (decoded != stack)
            g_free(decoded);
        return sd_fail(error, SD_ERROR, "malformed %s secret: expected %s "
                       "of a %zu-byte digest%s", scheme->name,
                       scheme->encoding == SD_ENC_HEX ? "hex" : "base64",
                       digest_len,
                       scheme->salted ? " followed by the salt" : "");
    }

    unsigned char computed[EVP_MAX_MD_SIZE];
    unsigned int computed_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL)
        && EVP_DigestUpdate(ctx, password, strlen(password))
        && EVP_DigestUpdate(ctx, decoded + digest_len,
                            decoded_len - digest_len)
        && EVP_DigestFinal_ex(ctx, computed, &computed_len);
    EVP_MD_CTX_free(ctx);

    sd_result result;
    if (!ok)
        result = sd_fail(error, SD_ERROR, "%s: OpenSSL digest failed",
                         scheme->name);
    else
        result = CRYPTO_memcmp(computed, decoded, digest_len) == 0
            ? SD_OK : SD_MISMATCH;
    sd_memwipe(computed, digest_len);
    if (decoded != stack)
        g_free(decoded);
    return result;
}

/* ------------------------------------------------------------------ */
/* crypt(3) strings, through libxcrypt                                 */
/* ------------------------------------------------------------------ */

/* The method a crypt string names, for messages and logs. */
static const char *
crypt_method_name(const char *setting)
{
    static const struct { const char *prefix; const char *name; } methods[] = {
        { "$1$", "md5-crypt" },     { "$2a$", "bcrypt" },
        { "$2b$", "bcrypt" },       { "$2x$", "bcrypt" },
        { "$2y$", "bcrypt" },       { "$5$", "sha256-crypt" },
        { "$6$", "sha512-crypt" },  { "$y$", "yescrypt" },
        { "$gy$", "gost-yescrypt" }, { "$7$", "scrypt-crypt" },
        { "$sha1$", "sha1-crypt" }, { "$md5", "sun-md5-crypt" },
        { "$3$", "nt-hash" },       { "_", "bsdi-crypt" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(methods); i++)
        if (g_str_has_prefix(setting, methods[i].prefix))
            return methods[i].name;
    return setting[0] == '$' ? "crypt" : "des-crypt";
}

/* Value of one character of crypt's "./0-9A-Za-z" alphabet, or -1. */
static int
itoa64_value(char c)
{
    static const char itoa64[] =
        "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const char *at = c != '\0' ? strchr(itoa64, c) : NULL;
    return at != NULL ? (int)(at - itoa64) : -1;
}

/* "$7$" N r p: N = 2^value(c), r is 30 bits in 5 characters, low first. */
static sd_result
check_scrypt_crypt_cost(const sd_secret_policy *policy, const char *setting,
                        GError **error)
{
    if (strlen(setting) < 14)
        return SD_OK; /* libxcrypt refuses it as malformed */
    int log_n = itoa64_value(setting[3]);
    uint64_t r = 0;
    for (int i = 0; i < 5; i++) {
        int v = itoa64_value(setting[4 + i]);
        if (v < 0 || log_n < 0)
            return SD_OK;
        r |= (uint64_t)v << (6 * i);
    }
    /* 128 * r * N bytes, computed so it cannot overflow. */
    if (log_n > 40 || r > (UINT64_C(1) << 30)
        || (r << log_n) > policy->limits.scrypt_memory / 128)
        return sd_fail(error, SD_ERROR, "scrypt-crypt N=2^%d r=%" PRIu64
                       " needs more memory than the limit of %" PRIu64
                       " bytes", log_n, r, policy->limits.scrypt_memory);
    return SD_OK;
}

/*
 * Refuses costs that would let one stored value occupy a CPU for
 * minutes.  The bounds accept every default of the common tools.
 */
static sd_result
check_crypt_cost(const sd_secret_policy *policy, const char *setting,
                 GError **error)
{
    if (g_str_has_prefix(setting, "$2") && strlen(setting) >= 7
        && setting[3] == '$') {
        int cost = g_ascii_digit_value(setting[4]) * 10
                   + g_ascii_digit_value(setting[5]);
        if (cost > 0 && (uint64_t)cost > policy->limits.bcrypt_cost)
            return sd_fail(error, SD_ERROR, "bcrypt cost %d is above the "
                           "limit of %" PRIu64, cost,
                           policy->limits.bcrypt_cost);
    }
    if ((g_str_has_prefix(setting, "$5$rounds=")
         || g_str_has_prefix(setting, "$6$rounds="))) {
        char *end = NULL;
        errno = 0;
        unsigned long long rounds = g_ascii_strtoull(setting + 10, &end, 10);
        if (end != setting + 10
            && (errno != 0 || rounds > policy->limits.sha_crypt_rounds))
            return sd_fail(error, SD_ERROR, "%s rounds=%llu is above the "
                           "limit of %" PRIu64, crypt_method_name(setting),
                           rounds, policy->limits.sha_crypt_rounds);
    }
    if (g_str_has_prefix(setting, "$7$"))
        return check_scrypt_crypt_cost(policy, setting, error);
    return SD_OK;
}

static sd_result
verify_crypt(const sd_secret_policy *policy, const password_scheme *scheme,
             const char *encoded, const char *password, GError **error)
{
    (void)scheme;
    const char *method = crypt_method_name(encoded);
    switch (crypt_checksalt(encoded)) {
    case CRYPT_SALT_OK:
    case CRYPT_SALT_METHOD_LEGACY:
    case CRYPT_SALT_TOO_CHEAP:
        break;
    case CRYPT_SALT_METHOD_DISABLED:
        return sd_fail(error, SD_ERROR, "%s hashes are disabled in this "
                       "system's libxcrypt", method);
    default:
        return sd_fail(error, SD_ERROR, "malformed or unsupported crypt "
                       "hash (%s)", method);
    }
    if (check_crypt_cost(policy, encoded, error) != SD_OK)
        return SD_ERROR;

    struct crypt_data *data = g_malloc0(sizeof *data);
    const char *computed = crypt_rn(password, encoded, data, sizeof *data);
    sd_result result;
    if (computed == NULL || computed[0] == '*') {
        result = sd_fail(error, SD_ERROR, "malformed crypt hash (%s)",
                         method);
    } else {
        size_t len = strlen(computed);
        result = len == strlen(encoded)
                 && CRYPTO_memcmp(computed, encoded, len) == 0
            ? SD_OK : SD_MISMATCH;
    }
    sd_memwipe(data, sizeof *data);
    g_free(data);
    return result;
}

/* ------------------------------------------------------------------ */
/* Apache's "$apr1$" MD5-crypt (htpasswd's default)                    */
/* ------------------------------------------------------------------ */

/*
 * libxcrypt reads "$1$" but not Apache's variant, which differs only in
 * its magic string, and no library offers it; so this is the
 * FreeBSD md5crypt algorithm over OpenSSL's MD5, as Apache's APR does.
 */
static void
md5_update(EVP_MD_CTX *ctx, const void *data, size_t len)
{
    if (EVP_DigestUpdate(ctx, data, len) != 1)
        abort(); /* only on memory exhaustion inside OpenSSL */
}

static void
md5_final(EVP_MD_CTX *ctx, unsigned char out[16])
{
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx, out, &len) != 1
        || EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1)
        abort();
}

static void
apr1_digest(const char *password, const char *salt, size_t salt_len,
            unsigned char final[16])
{
    static const char magic[] = "$apr1$";
    size_t pw_len = strlen(password);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new(), *alt = EVP_MD_CTX_new();
    if (ctx == NULL || alt == NULL
        || EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1
        || EVP_DigestInit_ex(alt, EVP_md5(), NULL) != 1)
        abort();
    md5_update(alt, password, pw_len);
    md5_update(alt, salt, salt_len);
    md5_update(alt, password, pw_len);
    md5_final(alt, final);
    md5_update(ctx, password, pw_len);
    md5_update(ctx, magic, strlen(magic));
    md5_update(ctx, salt, salt_len);
    for (size_t left = pw_len; left > 0; left -= left > 16 ? 16 : left)
        md5_update(ctx, final, left > 16 ? 16 : left);
    for (size_t i = pw_len; i != 0; i >>= 1)
        md5_update(ctx, (i & 1) ? "" : password, 1);
    md5_final(ctx, final);
    /* 1000 rounds, to slow down an attacker (PHK's words). */
    for (int i = 0; i < 1000; i++) {
        if (i & 1)
            md5_update(ctx, password, pw_len);
        else
            md5_update(ctx, final, 16);
        if (i % 3)
            md5_update(ctx, salt, salt_len);
        if (i % 7)
            md5_update(ctx, password, pw_len);
        if (i & 1)
            md5_update(ctx, final, 16);
        else
            md5_update(ctx, password, pw_len);
        md5_final(ctx, final);
    }
    EVP_MD_CTX_free(ctx);
    EVP_MD_CTX_free(alt);
}

/* The 22 characters of crypt's base64 for an md5crypt digest. */
static void
apr1_encode(const unsigned char f[16], char out[23])
{
    static const char itoa64[] =
        "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    static const int order[5][3] = {
        { 0, 6, 12 }, { 1, 7, 13 }, { 2, 8, 14 }, { 3, 9, 15 }, { 4, 10, 5 },
    };
    char *p = out;
    for (int g = 0; g < 5; g++) {
        unsigned long v = (unsigned long)f[order[g][0]] << 16
            | (unsigned long)f[order[g][1]] << 8 | f[order[g][2]];
        for (int n = 0; n < 4; n++, v >>= 6)
            *p++ = itoa64[v & 0x3f];
    }
    unsigned long v = f[11];
    for (int n = 0; n < 2; n++, v >>= 6)
        *p++ = itoa64[v & 0x3f];
    *p = '\0';
}

static sd_result
verify_apr1(const sd_secret_policy *policy, const password_scheme *scheme,
            const char *encoded, const char *password, GError **error)
{
    (void)policy;
    (void)scheme;
    const char *salt = encoded + strlen("$apr1$");
    const char *dollar = strchr(salt, '$');
    if (dollar == NULL || dollar - salt > 8 || strlen(dollar + 1) != 22)
        return sd_fail(error, SD_ERROR, "malformed $apr1$ secret: expected "
                       "$apr1$SALT$ and 22 characters");
    unsigned char final[16];
    char computed[23];
    apr1_digest(password, salt, (size_t)(dollar - salt), final);
    apr1_encode(final, computed);
    bool equal = CRYPTO_memcmp(computed, dollar + 1, 22) == 0;
    sd_memwipe(final, sizeof final);
    sd_memwipe(computed, sizeof computed);
    return equal ? SD_OK : SD_MISMATCH;
}

/* ------------------------------------------------------------------ */
/* Schemes named only to refuse them, and Stalwart's markers           */
/* ------------------------------------------------------------------ */

static sd_result
verify_unsupported(const sd_secret_policy *policy,
                   const password_scheme *scheme, const char *encoded,
                   const char *password, GError **error)
{
    (void)policy;
    (void)encoded;
    (void)password;
    return sd_fail(error, SD_ERROR, "password scheme %s is not supported: "
                   "it is a challenge-response or legacy (MD4/DES) format "
                   "that cannot be checked here; store the password in "
                   "another scheme", scheme->name);
}

static sd_result
verify_disabled(const sd_secret_policy *policy, const password_scheme *scheme,
                const char *encoded, const char *password, GError **error)
{
    (void)policy;
    (void)scheme;
    (void)encoded;
    (void)password;
    return sd_fail(error, SD_MISMATCH, "the secret is disabled ($disabled$)");
}

/* "$app$LABEL$SECRET": SECRET is any stored secret but another app one. */
static sd_result
verify_app(const sd_secret_policy *policy, const password_scheme *scheme,
           const char *encoded, const char *password, GError **error)
{
    (void)scheme;
    const char *label = encoded + strlen("$app$");
    const char *inner = strchr(label, '$');
    if (inner == NULL || inner == label || inner[1] == '\0')
        return sd_fail(error, SD_ERROR, "malformed app password: expected "
                       "$app$LABEL$SECRET");
    inner++;
    if (g_str_has_prefix(inner, "$app$") || g_str_has_prefix(inner,
                                                             "otpauth:"))
        return sd_fail(error, SD_ERROR, "malformed app password: its "
                       "secret is itself an app password or a TOTP key");
    return sd_secret_verify_policy(policy, inner, password, error);
}

/* ------------------------------------------------------------------ */
/* A principal's list of secrets                                       */
/* ------------------------------------------------------------------ */

typedef struct any_state {
    const char *directory;
    const char *name;
    guint malformed;
    char *last_reason;
} any_state;

/* Verifies one secret; logs and counts it when it is malformed. */
static sd_result
verify_one(const sd_secret_policy *policy, any_state *state, guint index,
           const char *stored, const char *password)
{
    GError *error = NULL;
    sd_result result = sd_secret_verify_policy(policy, stored, password,
                                               &error);
    if (result == SD_ERROR) {
        state->malformed++;
        const char *reason = error != NULL ? error->message
                                           : "malformed secret";
        sd_log(SD_LOG_ERROR, "directory '%s': principal '%s': secret #%u: "
               "%s", state->directory, state->name, index + 1, reason);
        g_free(state->last_reason);
        state->last_reason = g_strdup(reason);
    }
    g_clear_error(&error);
    return result;
}

static bool
has_secret_prefix(const GPtrArray *secrets, const char *prefix)
{
    for (guint i = 0; i < secrets->len; i++)
        if (g_str_has_prefix(g_ptr_array_index(secrets, i), prefix))
            return true;
    return false;
}

bool
sd_secret_is_one_time(const GPtrArray *secrets)
{
    return secrets != NULL && has_secret_prefix(secrets, "otpauth://");
}

bool
sd_secret_is_disabled(const GPtrArray *secrets)
{
    return secrets != NULL && has_secret_prefix(secrets, "$disabled$");
}

/*
 * The TOTP rule: PASSWORD is "BASE$CODE"; BASE must match a secret that
 * is neither an app password nor a TOTP key, and CODE a TOTP key.
 * *NEEDS_CODE is set when the whole password matched without a code.
 */
static bool
verify_with_totp(const sd_secret_policy *policy, any_state *state,
                 const GPtrArray *secrets, const char *password,
                 bool *needs_code, guint *base_index)
{
    const char *dollar = strrchr(password, '$');
    bool split = dollar != NULL && dollar != password && dollar[1] != '\0';
    char *base = split ? g_strndup(password, (gsize)(dollar - password))
                       : NULL;
    bool base_ok = false, code_ok = false;
    for (guint i = 0; i < secrets->len; i++) {
        const char *stored = g_ptr_array_index(secrets, i);
        if (g_str_has_prefix(stored, "$app$"))
            continue;
        if (g_str_has_prefix(stored, "otpauth://")) {
            if (split && !code_ok)
                code_ok = verify_one(policy, state, i, stored, dollar + 1)
                    == SD_OK;
        } else if (split) {
            if (!base_ok) {
                base_ok = verify_one(policy, state, i, stored, base)
                    == SD_OK;
                if (base_ok)
                    *base_index = i;
            }
        } else if (!*needs_code) {
            *needs_code = verify_one(policy, state, i, stored, password)
                == SD_OK;
        }
    }
    sd_secret_free(base);
    return base_ok && code_ok;
}

sd_result
sd_secret_verify_any(const sd_secret_policy *policy, const GPtrArray *secrets,
                     const char *password, const char *directory,
                     const char *name, GError **error)
{
    return sd_secret_verify_any_matched(policy, secrets, password, directory,
                                        name, NULL, error);
}

sd_result
sd_secret_verify_any_matched(const sd_secret_policy *policy,
                             const GPtrArray *secrets, const char *password,
                             const char *directory, const char *name,
                             guint *matched_index, GError **error)
{
    if (secrets->len == 0) {
        sd_secret_verify_dummy(policy, password);
        return sd_fail(error, SD_MISMATCH, "directory '%s': principal '%s' "
                       "has no secret and cannot log in", directory, name);
    }
    if (sd_secret_is_disabled(secrets)) {
        sd_secret_verify_dummy(policy, password);
        sd_log(SD_LOG_INFO, "directory '%s': principal '%s' is disabled",
               directory, name);
        return sd_fail(error, SD_MISMATCH, "directory '%s': principal '%s' "
                       "is disabled and cannot log in", directory, name);
    }
    any_state state = { directory, name, 0, NULL };
    bool matched = false, needs_code = false;
    guint index = 0;
    /* App passwords first: they log in whether or not TOTP is on. */
    for (guint i = 0; i < secrets->len && !matched; i++) {
        const char *stored = g_ptr_array_index(secrets, i);
        if (g_str_has_prefix(stored, "$app$"))
            matched = verify_one(policy, &state, i, stored, password)
                == SD_OK;
        if (matched)
            index = i;
    }
    if (!matched && has_secret_prefix(secrets, "otpauth://")) {
        matched = verify_with_totp(policy, &state, secrets, password,
                                   &needs_code, &index);
    } else {
        for (guint i = 0; i < secrets->len && !matched; i++) {
            const char *stored = g_ptr_array_index(secrets, i);
            if (!g_str_has_prefix(stored, "$app$"))
                matched = verify_one(policy, &state, i, stored, password)
                    == SD_OK;
            if (matched)
                index = i;
        }
    }
    if (matched && matched_index != NULL)
        *matched_index = index;
    sd_result result;
    if (matched)
        result = SD_OK;
    else if (needs_code)
        result = sd_fail(error, SD_MISMATCH, "directory '%s': '%s' must add "
                         "a one-time code to the password (PASSWORD$CODE)",
                         directory, name);
    else if (state.malformed == secrets->len)
        result = sd_fail(error, SD_ERROR, "directory '%s': principal '%s': "
                         "%s", directory, name, state.last_reason);
    else
        result = sd_fail(error, SD_MISMATCH, "directory '%s': wrong "
                         "password for '%s'", directory, name);
    g_free(state.last_reason);
    return result;
}

/* ------------------------------------------------------------------ */
/* Names and the dummy verification                                    */
/* ------------------------------------------------------------------ */

const char *
sd_secret_scheme_name(const char *stored)
{
    static const struct { const char *prefix; const char *name; } shown[] = {
        { "$argon2id$", "argon2id" }, { "$argon2i$", "argon2i" },
        { "$argon2d$", "argon2d" },   { "$pbkdf2$", "pbkdf2-sha1" },
        { "$pbkdf2-sha256$", "pbkdf2-sha256" },
        { "$pbkdf2-sha512$", "pbkdf2-sha512" }, { "$scrypt$", "scrypt" },
        { "$apr1$", "apr1-md5-crypt" },
        { "$disabled$", "disabled" }, { "$app$", "app password" },
        { "otpauth://totp/", "totp" },
    };
    const char *encoded;
    int encoding;
    const password_scheme *scheme = select_scheme(stored, &encoded,
                                                  &encoding, NULL);
    if (scheme == NULL)
        return "unknown";
    if (scheme->verify == verify_crypt)
        return crypt_method_name(encoded);
    for (size_t i = 0; i < G_N_ELEMENTS(shown); i++)
        if (strcmp(scheme->name, shown[i].prefix) == 0)
            return shown[i].name;
    if (scheme->name[0] == '{') {
        /* "{SSHA512}" -> "SSHA512": the entry's name without braces. */
        static GHashTable *names; /* built once, read-only afterwards */
        static gsize once;
        if (g_once_init_enter(&once)) {
            names = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                          g_free);
            for (size_t i = 0; i < G_N_ELEMENTS(schemes); i++)
                if (schemes[i].name[0] == '{')
                    g_hash_table_insert(names, (gpointer)schemes[i].name,
                        g_strndup(schemes[i].name + 1,
                                  strlen(schemes[i].name) - 2));
            g_once_init_leave(&once, 1);
        }
        return g_hash_table_lookup(names, scheme->name);
    }
    return scheme->name;
}

const char *const *
sd_secret_scheme_names(void)
{
    static const char *const names[] = {
        "plain ({PLAIN}, {CLEAR}, {CLEARTEXT}, or no prefix)",
        "{SHA} {SHA1} {SSHA} {SHA256} {SSHA256} {SHA512} {SSHA512} {MD5} "
            "{SMD5} {LDAP-MD5} {PLAIN-MD5} (with .HEX/.B64 suffixes)",
        "{CRYPT} {BLF-CRYPT} {SHA512-CRYPT} {SHA256-CRYPT} {MD5-CRYPT} "
            "{DES-CRYPT} + a crypt(3) string",
        "$1$ md5-crypt", "$2a$ $2b$ $2x$ $2y$ bcrypt", "$5$ sha256-crypt",
        "$6$ sha512-crypt", "$y$ yescrypt", "$gy$ gost-yescrypt",
        "$7$ scrypt-crypt", "$sha1$ sha1-crypt", "$md5 sun-md5-crypt",
        "_ bsdi-crypt", "des-crypt (13 characters, in {CRYPT})",
        "$argon2i$ $argon2d$ $argon2id$ {ARGON2} {ARGON2I} {ARGON2ID}",
        "$pbkdf2$ $pbkdf2-sha256$ $pbkdf2-sha512$ (PHC and passlib forms)",
        "{PBKDF2} {PBKDF2-SHA1} {PBKDF2-SHA256} {PBKDF2-SHA512} "
            "(passlib/OpenLDAP; Dovecot's {PBKDF2}$1$)",
        "$scrypt$ (PHC/passlib)", "$apr1$ (Apache MD5-crypt)",
        "{SCRAM-SHA-1} {SCRAM-SHA-256} (Dovecot)",
        "$disabled$ (account disabled)",
        "$app$LABEL$SECRET (app password)",
        "otpauth://totp/... (TOTP, RFC 6238)",
        NULL,
    };
    return names;
}

void
sd_secret_verify_dummy(const sd_secret_policy *policy, const char *password)
{
    if (policy == NULL)
        policy = sd_secret_policy_default();
    /* The policy is immutable but for this one field, set once. */
    gsize *slot = (gsize *)&policy->dummy;
    if (g_once_init_enter(slot)) {
        unsigned char random_bytes[24];
        sd_random_bytes(random_bytes, sizeof random_bytes);
        char *random_text = g_base64_encode(random_bytes,
                                            sizeof random_bytes);
        char *hash = sd_secret_hash(policy, NULL, random_text, NULL);
        g_free(random_text);
        if (hash == NULL)
            abort(); /* the policy's scheme was checked when configured */
        g_once_init_leave(slot, (gsize)hash);
    }
    (void)sd_secret_verify_policy(policy, (const char *)*slot,
                                  password != NULL ? password : "", NULL);
}
