/*
 * sd_totp_code.h - the TOTP code of now for a base32 key, computed by
 * liboath in the test itself, for tests that log in with "password$code".
 */
#ifndef SD_TOTP_CODE_H
#define SD_TOTP_CODE_H

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <check.h>
#include <glib.h>
#include <liboath/oath.h>

/* The 6-digit, 30-second code for KEY_BASE32 at this moment (free it). */
static inline char *
sd_test_totp_code(const char *key_base32)
{
    char *key = NULL;
    size_t key_len = 0;
    char code[10];
    ck_assert_int_eq(oath_init(), OATH_OK);
    ck_assert_int_eq(oath_base32_decode(key_base32, strlen(key_base32), &key,
                                        &key_len), OATH_OK);
    ck_assert_int_eq(oath_totp_generate(key, key_len, time(NULL), 30, 0, 6,
                                        code), OATH_OK);
    free(key);
    oath_done();
    return g_strdup(code);
}

#endif
