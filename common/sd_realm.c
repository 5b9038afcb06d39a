/*
 * sd_realm.c - the realm rule of sd_realm.h.
 */
#include "config.h"

#include <string.h>

#include "sd_realm.h"

char *
sd_realm_strip(const char *name, const char *realm, const char *fqdn)
{
    const char *at = strrchr(name, '@');

    if (at == NULL || at == name)
        return NULL;
    if ((realm != NULL && *realm != '\0'
         && g_ascii_strcasecmp(at + 1, realm) == 0)
        || (fqdn != NULL && *fqdn != '\0'
            && g_ascii_strcasecmp(at + 1, fqdn) == 0))
        return g_strndup(name, (gsize) (at - name));
    return NULL;
}

char *
sd_realm_store_name(const char *name, const char *realm)
{
    if (realm == NULL || *realm == '\0' || strchr(name, '@') != NULL)
        return g_strdup(name);
    return g_strconcat(name, "@", realm, NULL);
}

/* The realm the rule compares with: the user realm, else the host. */
static const char *
rule_fqdn(const char *realm, const char *fqdn)
{
    return realm != NULL && *realm != '\0' ? NULL : fqdn;
}

sd_result
sd_realm_lookup(sd_directory *directory, const char *name, const char *realm,
                const char *fqdn, bool uncached, sd_principal **principal,
                GError **error)
{
    GError *first = NULL;
    g_autofree char *stripped = NULL;
    sd_result result;

    result = uncached
        ? sd_directory_lookup_uncached(directory, name, principal, &first)
        : sd_directory_lookup(directory, name, principal, &first);
    if (result != SD_NOTFOUND
        || (stripped = sd_realm_strip(name, realm,
                                      rule_fqdn(realm, fqdn))) == NULL) {
        if (first != NULL)
            g_propagate_error(error, first);
        return result;
    }
    g_clear_error(&first);
    return uncached
        ? sd_directory_lookup_uncached(directory, stripped, principal, error)
        : sd_directory_lookup(directory, stripped, principal, error);
}

sd_result
sd_realm_authenticate(sd_directory *directory, const char *name,
                      const char *realm, const char *fqdn,
                      const char *password, sd_principal **principal,
                      GError **error)
{
    GError *first = NULL;
    g_autofree char *stripped = NULL;
    sd_result result;

    result = sd_directory_authenticate(directory, name, password, principal,
                                       &first);
    if (result != SD_NOTFOUND
        || (stripped = sd_realm_strip(name, realm,
                                      rule_fqdn(realm, fqdn))) == NULL) {
        if (first != NULL)
            g_propagate_error(error, first);
        return result;
    }
    g_clear_error(&first);
    return sd_directory_authenticate(directory, stripped, password,
                                     principal, error);
}
