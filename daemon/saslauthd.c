/*
 * saslauthd.c - the answer to one saslauthd request (see saslauthd.h).
 */
#include "config.h"

#include <string.h>

#include "saslauthd.h"
#include "saslauthd_frame.h"
#include "sd_realm.h"
#include "sd_server.h"

/* A copy of TEXT fit for a log line: control characters become '?', so
 * a client cannot forge log lines with a name holding a newline. */
static char *
printable(const char *text)
{
    char *copy = g_strdup(text);
    for (char *p = copy; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return copy;
}

/* The directory for REALM and the name to authenticate there. */
static sd_directory *
choose_directory(sd_registry *registry, const char *login, const char *realm,
                 char **name, const char **rule_realm)
{
    const sd_server_settings *settings = sd_registry_server_settings(registry);
    *rule_realm = NULL;
    if (*realm == '\0') {
        *name = g_strdup(login);
        return sd_registry_default(registry);
    }
    char *key = g_utf8_strdown(realm, -1);
    const char *mapped = g_hash_table_lookup(settings->realm_directory, key);
    g_free(key);
    if (mapped != NULL) {
        *name = g_strdup(login);
        return sd_registry_get(registry, mapped);
    }
    *name = g_strconcat(login, "@", realm, NULL);
    *rule_realm = realm;
    return sd_registry_default(registry);
}

static char *
reply_for(sd_result result, const char *directory)
{
    switch (result) {
    case SD_OK:
        return g_strdup("OK");
    case SD_NOTFOUND:
    case SD_MISMATCH:
        /* The same words for both: the client must not learn which
         * names exist. */
        return g_strdup("NO authentication failed");
    case SD_TEMPFAIL:
        return g_strdup_printf("NO temporary failure: directory %s did not "
                               "answer, try again later", directory);
    case SD_ERROR:
    default:
        return g_strdup_printf("NO error in directory %s", directory);
    }
}

/* TEMPFAIL and ERROR in capitals, so they stand out from wrong
 * passwords in the log. */
static const char *
log_word(sd_result result)
{
    switch (result) {
    case SD_OK: return "auth ok";
    case SD_MISMATCH: return "auth failed (wrong password)";
    case SD_NOTFOUND: return "auth failed (no such user)";
    case SD_TEMPFAIL: return "auth TEMPFAIL";
    case SD_ERROR:
    default: return "auth ERROR";
    }
}

/* The log line and reply of OUTCOME, from its result and ERROR. */
static void
finish(const char *const *fields, GError *error, saslauthd_outcome *outcome)
{
    char *shown_name = printable(fields[SASLAUTHD_LOGIN]);
    char *shown_service = printable(fields[SASLAUTHD_SERVICE]);
    char *shown_realm = printable(fields[SASLAUTHD_REALM]);
    char *shown_address = printable(fields[SASLAUTHD_CLIENT_ADDR]);
    outcome->reply = outcome->directory != NULL
        ? reply_for(outcome->result, outcome->directory)
        : g_strdup("NO no directory for this realm");
    outcome->log = g_strdup_printf(
        "%s: user=%s service=%s realm=%s%s%s directory=%s%s",
        log_word(outcome->result), shown_name, shown_service, shown_realm,
        *shown_address != '\0' ? " client=" : "", shown_address,
        outcome->directory != NULL ? outcome->directory : "(none)",
        outcome->cached ? " (cached)" : "");
    if (error != NULL)
        outcome->detail = g_strdup(error->message);
    g_free(shown_name);
    g_free(shown_service);
    g_free(shown_realm);
    g_free(shown_address);
}

void
saslauthd_answer(sd_registry *registry, const char *const *fields,
                 saslauthd_outcome *outcome)
{
    char *name;
    const char *rule_realm;
    sd_directory *directory = choose_directory(
        registry, fields[SASLAUTHD_LOGIN], fields[SASLAUTHD_REALM], &name,
        &rule_realm);
    GError *error = NULL;

    memset(outcome, 0, sizeof *outcome);
    if (directory == NULL) {
        /* Cannot happen: realm-directory names are checked on load. */
        outcome->result = SD_ERROR;
    } else {
        outcome->directory = sd_directory_name(directory);
        outcome->result = sd_realm_authenticate(
            directory, name, rule_realm, NULL, fields[SASLAUTHD_PASSWORD],
            NULL, &error);
    }
    finish(fields, error, outcome);
    g_clear_error(&error);
    g_free(name);
}

bool
saslauthd_answer_cached(sd_registry *registry, const char *const *fields,
                        saslauthd_outcome *outcome)
{
    char *name;
    const char *rule_realm;
    const char *password = fields[SASLAUTHD_PASSWORD];
    sd_directory *directory = choose_directory(
        registry, fields[SASLAUTHD_LOGIN], fields[SASLAUTHD_REALM], &name,
        &rule_realm);
    GError *error = NULL;
    sd_result result;

    memset(outcome, 0, sizeof *outcome);
    bool hit = directory != NULL
        && sd_directory_authenticate_cached(directory, name, password,
                                            &result, &error);
    /* The realm rule: only "no such name" tries the bare login. */
    char *stripped = hit && result == SD_NOTFOUND
        ? sd_realm_strip(name, rule_realm, NULL) : NULL;
    if (stripped != NULL) {
        g_clear_error(&error);
        hit = sd_directory_authenticate_cached(directory, stripped, password,
                                               &result, &error);
        g_free(stripped);
    }
    if (hit) {
        outcome->result = result;
        outcome->directory = sd_directory_name(directory);
        outcome->cached = true;
        finish(fields, error, outcome);
    }
    g_clear_error(&error);
    g_free(name);
    return hit;
}

void
saslauthd_outcome_clear(saslauthd_outcome *outcome)
{
    g_free(outcome->reply);
    g_free(outcome->log);
    g_free(outcome->detail);
    memset(outcome, 0, sizeof *outcome);
}
