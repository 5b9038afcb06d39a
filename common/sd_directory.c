/*
 * sd_directory.c - the registry of directories and the generic layer
 * around the drivers (see sd_directory.h).
 */
#include "config.h"

#include <string.h>

#include "sd_address.h"
#include "sd_backend.h"
#include "sd_cache.h"
#include "sd_config.h"
#include "sd_directory.h"
#include "sd_log.h"
#include "sd_secret.h"
#include "sd_server.h"

struct sd_directory {
    char *name;
    const sd_backend_ops *ops;
    void *state;
    char *superuser_group;
    sd_address_mapping *subaddressing;
    sd_address_mapping *catch_all;
    sd_cache_settings cache;
    sd_cache *lookup_cache;     /* NULL without a cache section */
    const sd_secret_policy *secret_policy;  /* the registry's */
    bool rehash;                /* options.rehash (writable types only) */
};

struct sd_registry {
    gint refcount;
    char *path;
    GPtrArray *directories;     /* sd_directory*, owned */
    sd_directory *default_directory;
    sd_secret_policy *secret_policy;        /* [secret] */
    sd_server_settings *server;             /* [server] */
};

/* The drivers built into this library. */
static const sd_backend_ops *const backends[] = {
    &sd_backend_memory,
    &sd_backend_sql,
#ifdef HAVE_SQLITE
    &sd_backend_internal,
#endif
};

/* Types Stalwart has that this version does not build yet: named
 * separately so the error says so instead of "unknown type". */
static const char *const types_not_built[] = {
#ifndef HAVE_SQLITE
    "internal",
#endif
    "ldap", "smtp", "lmtp", "imap",
};

/* Stalwart's defaults for [directory.X.cache]. */
#define DEFAULT_CACHE_ENTRIES 1024
#define DEFAULT_TTL_POSITIVE_MS (24u * 3600u * 1000u)
#define DEFAULT_TTL_NEGATIVE_MS (3600u * 1000u)

/* ------------------------------------------------------------------ */
/* Directories                                                         */
/* ------------------------------------------------------------------ */

static void
directory_free(sd_directory *directory)
{
    if (directory == NULL)
        return;
    if (directory->ops != NULL && directory->state != NULL)
        directory->ops->close(directory->state);
    sd_cache_free(directory->lookup_cache);
    sd_address_mapping_free(directory->subaddressing);
    sd_address_mapping_free(directory->catch_all);
    g_free(directory->superuser_group);
    g_free(directory->name);
    g_free(directory);
}

const char *
sd_directory_name(const sd_directory *directory)
{
    return directory->name;
}

const char *
sd_directory_type(const sd_directory *directory)
{
    return directory->ops->type;
}

const char *
sd_directory_superuser_group(const sd_directory *directory)
{
    return directory->superuser_group;
}

const sd_cache_settings *
sd_directory_cache_settings(const sd_directory *directory)
{
    return &directory->cache;
}

struct sd_pool *
sd_directory_pool(const sd_directory *directory)
{
    return directory->ops->pool != NULL
        ? directory->ops->pool(directory->state) : NULL;
}

char *
sd_directory_describe(const sd_directory *directory)
{
    char *backend = directory->ops->describe(directory->state);
    char *line = g_strdup_printf(
        "%s (%s): %s; subaddressing %s, catch-all %s, superuser group %s",
        directory->name, directory->ops->type, backend,
        sd_address_mapping_describe(directory->subaddressing),
        sd_address_mapping_describe(directory->catch_all),
        *directory->superuser_group != '\0' ? directory->superuser_group
                                             : "(none)");
    g_free(backend);
    return line;
}

/* ------------------------------------------------------------------ */
/* Reading one [directory."<name>"] section                            */
/* ------------------------------------------------------------------ */

static const sd_backend_ops *
find_backend(sd_cfg_table *section, const char *type)
{
    for (size_t i = 0; i < G_N_ELEMENTS(backends); i++)
        if (strcmp(backends[i]->type, type) == 0)
            return backends[i];
    for (size_t i = 0; i < G_N_ELEMENTS(types_not_built); i++) {
        if (strcmp(types_not_built[i], type) == 0) {
            sd_cfg_error(section, "type", 0,
                         "directories of type '%s' are not available in "
                         "sasldir %s (available: memory, sql%s)", type,
                         PACKAGE_VERSION,
#ifdef HAVE_SQLITE
                         ", internal"
#else
                         ""
#endif
                         );
            return NULL;
        }
    }
    sd_cfg_error(section, "type", 0,
                 "unknown directory type '%s' (Stalwart's types are "
                 "internal, memory, sql, ldap, smtp, lmtp, imap)", type);
    return NULL;
}

/* options.subaddressing / options.catch-all: true, false, or
 * { map = "<regex>", to = "<template>" }. */
static sd_address_mapping *
read_mapping(sd_cfg_table *options, const char *key)
{
    sd_toml_value *value = sd_cfg_get_value(options, key);
    if (value == NULL)
        return sd_address_mapping_new_enabled(false);
    if (value->type == SD_TOML_BOOLEAN)
        return sd_address_mapping_new_enabled(value->u.boolean);
    if (value->type != SD_TOML_TABLE) {
        sd_cfg_error(options, key, 0,
                     "expected true, false or { map = \"<regex>\", to = "
                     "\"<template>\" }, found %s %s",
                     value->type == SD_TOML_INTEGER ? "an" : "a",
                     sd_toml_type_name(value->type));
        return NULL;
    }
    sd_cfg_table mapping_table;
    sd_cfg_get_table(options, key, &mapping_table);
    const char *regex = NULL, *template_text = NULL;
    sd_cfg_status have_regex = sd_cfg_get_string(&mapping_table, "map",
                                                 &regex);
    sd_cfg_status have_template = sd_cfg_get_string(&mapping_table, "to",
                                                    &template_text);
    sd_address_mapping *mapping = NULL;
    if (have_regex == SD_CFG_ABSENT || have_template == SD_CFG_ABSENT) {
        sd_cfg_error(options, key, 0, "a custom mapping needs both 'map' "
                     "(a regular expression) and 'to' (a template)");
    } else if (have_regex == SD_CFG_FOUND && have_template == SD_CFG_FOUND) {
        GError *error = NULL;
        mapping = sd_address_mapping_new_custom(regex, template_text, &error);
        if (mapping == NULL) {
            sd_cfg_error(options, key, 0, "%s", error->message);
            g_error_free(error);
        }
    }
    sd_cfg_table_clear(&mapping_table);
    return mapping;
}

static void
read_options(sd_directory *directory, sd_cfg_table *section)
{
    const char *superuser_group = "superusers";
    sd_cfg_table options = { 0 };
    if (sd_cfg_get_table(section, "options", &options) == SD_CFG_FOUND) {
        sd_cfg_get_string(&options, "superuser-group", &superuser_group);
        directory->subaddressing = read_mapping(&options, "subaddressing");
        directory->catch_all = read_mapping(&options, "catch-all");
        if (sd_cfg_get_bool(&options, "rehash", &directory->rehash)
            == SD_CFG_FOUND && directory->rehash
            && !sd_directory_is_writable(directory))
            sd_cfg_error(&options, "rehash", 0, "only a writable directory "
                         "(type internal) can rehash secrets; this one is "
                         "of type %s", directory->ops->type);
        sd_cfg_table_clear(&options);
    }
    directory->superuser_group = g_strdup(superuser_group);
    if (directory->subaddressing == NULL)
        directory->subaddressing = sd_address_mapping_new_enabled(false);
    if (directory->catch_all == NULL)
        directory->catch_all = sd_address_mapping_new_enabled(false);
}

static void
read_cache(sd_directory *directory, sd_cfg_table *section)
{
    sd_cfg_table cache;
    if (sd_cfg_get_table(section, "cache", &cache) != SD_CFG_FOUND)
        return;
    sd_cache_settings *settings = &directory->cache;
    settings->configured = true;
    settings->ttl_positive_ms = DEFAULT_TTL_POSITIVE_MS;
    settings->ttl_negative_ms = DEFAULT_TTL_NEGATIVE_MS;
    int64_t entries = DEFAULT_CACHE_ENTRIES;
    sd_cfg_get_int(&cache, "entries", 1, 100000000, &entries);
    settings->entries = (uint64_t)entries;
    sd_cfg_table ttl;
    if (sd_cfg_get_table(&cache, "ttl", &ttl) == SD_CFG_FOUND) {
        sd_cfg_get_duration(&ttl, "positive", &settings->ttl_positive_ms);
        sd_cfg_get_duration(&ttl, "negative", &settings->ttl_negative_ms);
        sd_cfg_table_clear(&ttl);
    }
    sd_cfg_table_clear(&cache);
    directory->lookup_cache = sd_cache_new(&(sd_cache_config){
        .entries = settings->entries,
        .ttl_positive_ms = settings->ttl_positive_ms,
        .ttl_negative_ms = settings->ttl_negative_ms,
    });
}

/*
 * Reads one directory section.  Returns NULL when the directory is
 * disabled or has errors (recorded in the configuration).
 */
static sd_directory *
open_directory(const char *name, sd_cfg_table *section)
{
    bool disabled = false;
    sd_cfg_get_bool(section, "disable", &disabled);
    if (disabled) {
        sd_cfg_take_all(section);
        return NULL;
    }
    const char *type = NULL;
    sd_cfg_status status = sd_cfg_get_string(section, "type", &type);
    if (status == SD_CFG_ABSENT)
        sd_cfg_error(section, NULL, 0, "missing required key 'type' (one "
                     "of memory, internal, sql, ldap, smtp, lmtp, imap)");
    const sd_backend_ops *ops = status == SD_CFG_FOUND
        ? find_backend(section, type) : NULL;
    if (ops == NULL) {
        /* Its other keys mean nothing without a driver: one error about
         * the type says it all. */
        sd_cfg_take_all(section);
        return NULL;
    }

    sd_directory *directory = g_new0(sd_directory, 1);
    directory->name = g_strdup(name);
    directory->ops = ops;
    read_options(directory, section);
    read_cache(directory, section);

    GError *error = NULL;
    if (ops->open(directory, section, &directory->state, &error) != SD_OK) {
        if (error != NULL) {
            sd_cfg_error(section, NULL, 0, "%s", error->message);
            g_error_free(error);
        }
        directory->state = NULL;
        directory_free(directory);
        return NULL;
    }
    return directory;
}

/* ------------------------------------------------------------------ */
/* The registry                                                        */
/* ------------------------------------------------------------------ */

static void
registry_free(sd_registry *registry)
{
    g_ptr_array_unref(registry->directories);
    sd_secret_policy_free(registry->secret_policy);
    sd_server_settings_free(registry->server);
    g_free(registry->path);
    g_free(registry);
}

sd_registry *
sd_registry_ref(sd_registry *registry)
{
    g_atomic_int_inc(&registry->refcount);
    return registry;
}

void
sd_registry_unref(sd_registry *registry)
{
    if (registry != NULL && g_atomic_int_dec_and_test(&registry->refcount))
        registry_free(registry);
}

const char *
sd_registry_config_path(const sd_registry *registry)
{
    return registry->path;
}

const sd_secret_policy *
sd_registry_secret_policy(const sd_registry *registry)
{
    return registry->secret_policy;
}

const sd_server_settings *
sd_registry_server_settings(const sd_registry *registry)
{
    return registry->server;
}

sd_directory *
sd_registry_default(sd_registry *registry)
{
    return registry->default_directory;
}

sd_directory *
sd_registry_get(sd_registry *registry, const char *name)
{
    for (guint i = 0; i < registry->directories->len; i++) {
        sd_directory *directory = g_ptr_array_index(registry->directories, i);
        if (strcmp(directory->name, name) == 0)
            return directory;
    }
    return NULL;
}

const GPtrArray *
sd_registry_directories(const sd_registry *registry)
{
    return registry->directories;
}

/* Opens every section of [directory]; NAMES collects all names written,
 * enabled or not, for the [storage] check. */
static void
open_directories(sd_registry *registry, sd_cfg_table *root, GPtrArray *names)
{
    sd_cfg_table all;
    if (sd_cfg_get_table(root, "directory", &all) != SD_CFG_FOUND) {
        sd_cfg_error(root, NULL, 1, "no directory is configured: add a "
                     "[directory.\"<name>\"] section with a type");
        return;
    }
    const sd_toml_value *table = all.table;
    for (size_t i = 0; i < table->u.table.count; i++) {
        sd_toml_entry *entry = &table->u.table.entries[i];
        if (strlen(entry->key) != entry->key_len) {
            sd_cfg_error(&all, NULL, entry->line,
                         "a directory name contains a NUL character");
            entry->used = true;
            continue;
        }
        g_ptr_array_add(names, entry->key);
        sd_cfg_table section;
        if (sd_cfg_get_table(&all, entry->key, &section) != SD_CFG_FOUND)
            continue;
        sd_directory *directory = open_directory(entry->key, &section);
        if (directory != NULL) {
            directory->secret_policy = registry->secret_policy;
            g_ptr_array_add(registry->directories, directory);
        }
        sd_cfg_table_clear(&section);
    }
    if (table->u.table.count == 0)
        sd_cfg_error(&all, NULL, 0, "no directory is configured: add a "
                     "[directory.\"<name>\"] section with a type");
    sd_cfg_table_clear(&all);
}

static char *
join_names(const GPtrArray *names)
{
    GString *out = g_string_new("");
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(out, "%s'%s'", i > 0 ? ", " : "",
                               (const char *)g_ptr_array_index(names, i));
    return g_string_free(out, FALSE);
}

/* [storage] directory = "<name>": which directory authenticates. */
static void
choose_default(sd_registry *registry, sd_cfg_table *root,
               const GPtrArray *names)
{
    const char *wanted = NULL;
    sd_cfg_table storage;
    bool have_storage = sd_cfg_get_table(root, "storage", &storage)
                        == SD_CFG_FOUND;
    sd_cfg_status status = have_storage
        ? sd_cfg_get_string(&storage, "directory", &wanted) : SD_CFG_ABSENT;

    char *known = join_names(names);
    if (status == SD_CFG_FOUND) {
        registry->default_directory = sd_registry_get(registry, wanted);
        bool written = false;
        for (guint i = 0; i < names->len; i++)
            written = written || strcmp(g_ptr_array_index(names, i),
                                        wanted) == 0;
        if (!written)
            sd_cfg_error(&storage, "directory", 0,
                         "there is no [directory.\"%s\"] section (the "
                         "configured directories are: %s)", wanted,
                         *known != '\0' ? known : "none");
        else if (registry->default_directory == NULL)
            sd_cfg_error(&storage, "directory", 0,
                         "directory '%s' is disabled or could not be "
                         "opened", wanted);
    } else if (status == SD_CFG_ABSENT) {
        /* With a single directory there is nothing to choose. */
        if (names->len == 1 && registry->directories->len == 1)
            registry->default_directory =
                g_ptr_array_index(registry->directories, 0);
        else if (names->len > 1)
            sd_cfg_error(root, NULL, 1,
                         "several directories are configured (%s): say "
                         "which one authenticates with [storage] "
                         "directory = \"<name>\"", known);
    }
    g_free(known);
    if (have_storage)
        sd_cfg_table_clear(&storage);
}

static sd_registry *
registry_from_cfg(sd_cfg *cfg, GError **error)
{
    sd_registry *registry = g_new0(sd_registry, 1);
    registry->refcount = 1;
    registry->path = g_strdup(sd_cfg_filename(cfg));
    registry->directories = g_ptr_array_new_with_free_func(
        (GDestroyNotify)directory_free);

    sd_cfg_table root;
    sd_cfg_root(cfg, &root);
    registry->secret_policy = sd_secret_policy_new();
    sd_cfg_table secret;
    if (sd_cfg_get_table(&root, "secret", &secret) == SD_CFG_FOUND) {
        sd_secret_policy_configure(registry->secret_policy, &secret);
        sd_cfg_table_clear(&secret);
    }
    GPtrArray *names = g_ptr_array_new();
    open_directories(registry, &root, names);
    sd_cfg_skip_unused_stores(cfg);
    choose_default(registry, &root, names);
    registry->server = sd_server_settings_read(&root, registry);
    if (registry->default_directory == NULL && sd_cfg_error_count(cfg) == 0)
        sd_cfg_error(&root, NULL, 1, "no enabled directory is left to "
                     "authenticate with");
    g_ptr_array_unref(names);
    sd_cfg_table_clear(&root);

    bool ok = sd_cfg_finish(cfg, error);
    sd_cfg_free(cfg);
    if (!ok) {
        registry_free(registry);
        return NULL;
    }
    return registry;
}

sd_registry *
sd_registry_load(const char *path, GError **error)
{
    sd_cfg *cfg = sd_cfg_load(path, error);
    return cfg != NULL ? registry_from_cfg(cfg, error) : NULL;
}

sd_registry *
sd_registry_load_data(const char *text, size_t len, const char *filename,
                      GError **error)
{
    sd_cfg *cfg = sd_cfg_parse(text, len, filename, error);
    return cfg != NULL ? registry_from_cfg(cfg, error) : NULL;
}

/* ------------------------------------------------------------------ */
/* Generic operations                                                  */
/* ------------------------------------------------------------------ */

static bool
is_valid_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > SD_NAME_MAX || !g_utf8_validate(name, (gssize)len,
                                                          NULL))
        return false;
    for (const char *p = name; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static sd_result
not_found(sd_directory *directory, const char *name, GError **error)
{
    if (is_valid_name(name))
        return sd_fail(error, SD_NOTFOUND, "directory '%s': no principal "
                       "named '%s'", directory->name, name);
    return sd_fail(error, SD_NOTFOUND, "directory '%s': not a valid "
                   "principal name (empty, longer than %d bytes, not UTF-8, "
                   "or holding control characters)", directory->name,
                   SD_NAME_MAX);
}

static sd_result
fetch_principal(sd_directory *directory, const char *name,
                sd_principal **principal, GError **error)
{
    if (!is_valid_name(name))
        return not_found(directory, name, error);
    sd_result result = directory->ops->lookup(directory->state, name,
                                              principal, error);
    if (result == SD_NOTFOUND)
        return not_found(directory, name, error);
    return result;
}

static sd_result
lookup_group(void *context, const char *name, sd_principal **group,
             GError **error)
{
    return fetch_principal(context, name, group, error);
}

static sd_result
resolve(sd_directory *directory, sd_principal *principal, GError **error)
{
    return sd_principal_resolve(principal, directory->superuser_group,
                                lookup_group, directory, error);
}

sd_result
sd_directory_lookup_uncached(sd_directory *directory, const char *name,
                             sd_principal **principal, GError **error)
{
    sd_principal *found = NULL;
    sd_result result = fetch_principal(directory, name, &found, error);
    if (result == SD_OK)
        result = resolve(directory, found, error);
    if (result != SD_OK) {
        sd_principal_free(found);
        return result;
    }
    if (principal != NULL)
        *principal = found;
    else
        sd_principal_free(found);
    return SD_OK;
}

static void rehash_after_login(sd_directory *directory,
                               const sd_principal *principal, guint index,
                               const char *password);

/* The rule for a principal's secrets is sd_secret_verify_any()'s; a
 * match may then upgrade the secret (options.rehash). */
static sd_result
verify_secrets(sd_directory *directory, const sd_principal *principal,
               const char *password, GError **error)
{
    guint matched = 0;
    sd_result result = sd_secret_verify_any_matched(
        directory->secret_policy, principal->secrets, password,
        directory->name, principal->name, &matched, error);
    if (result == SD_OK && directory->rehash
        && !sd_secret_is_one_time(principal->secrets))
        rehash_after_login(directory, principal, matched, password);
    return result;
}

/*
 * *ONE_TIME (may be NULL) tells whether the principal found holds a
 * one-time password, whose answers the cache must not keep.
 */
static sd_result
authenticate_uncached(sd_directory *directory, const char *name,
                      const char *password, sd_principal **principal,
                      bool *one_time, GError **error)
{
    if (password == NULL || strlen(password) > SD_PASSWORD_MAX) {
        sd_secret_verify_dummy(directory->secret_policy, "");
        return sd_fail(error, SD_MISMATCH, "directory '%s': the password "
                       "is longer than %d bytes", directory->name,
                       SD_PASSWORD_MAX);
    }
    sd_principal *found = NULL;
    sd_result result;
    if (!is_valid_name(name)) {
        /* As slow as a real check: the timing must not tell which names
         * could exist either. */
        sd_secret_verify_dummy(directory->secret_policy, password);
        result = not_found(directory, name, error);
    } else if (directory->ops->authenticate != NULL) {
        result = directory->ops->authenticate(directory->state, name,
                                              password, &found, error);
    } else {
        result = directory->ops->lookup(directory->state, name, &found,
                                        error);
        if (result == SD_NOTFOUND) {
            sd_secret_verify_dummy(directory->secret_policy, password);
            result = not_found(directory, name, error);
        } else if (result == SD_OK) {
            if (one_time != NULL)
                *one_time = sd_secret_is_one_time(found->secrets);
            result = verify_secrets(directory, found, password, error);
        }
    }
    if (result == SD_OK)
        result = resolve(directory, found, error);
    if (result == SD_OK && principal != NULL)
        *principal = found;
    else
        sd_principal_free(found);
    return result;
}

static sd_result
rcpt_exact(sd_directory *directory, const char *address, char **owner,
           char **matched, GError **error)
{
    sd_result result = directory->ops->rcpt(directory->state, address, owner,
                                            error);
    if (result == SD_OK && matched != NULL)
        *matched = g_strdup(address);
    if (result == SD_NOTFOUND)
        g_clear_error(error);
    return result;
}

static sd_result
rcpt_uncached(sd_directory *directory, const char *address, char **owner,
              char **matched, GError **error)
{
    if (owner != NULL)
        *owner = NULL;
    if (matched != NULL)
        *matched = NULL;
    char *normalized = sd_address_normalize(address, error);
    if (normalized == NULL)
        return SD_NOTFOUND;

    /* The address as written, then without its tag, then the catch-all
     * form: the first that exists answers. */
    sd_result result = rcpt_exact(directory, normalized, owner, matched,
                                  error);
    if (result == SD_NOTFOUND) {
        char *stripped = sd_address_mapping_subaddress(
            directory->subaddressing, normalized);
        if (strcmp(stripped, normalized) != 0)
            result = rcpt_exact(directory, stripped, owner, matched, error);
        g_free(stripped);
    }
    if (result == SD_NOTFOUND) {
        char *catch_all = sd_address_mapping_catch_all(directory->catch_all,
                                                       normalized);
        if (catch_all != NULL)
            result = rcpt_exact(directory, catch_all, owner, matched, error);
        g_free(catch_all);
    }
    if (result == SD_NOTFOUND)
        sd_fail(error, SD_NOTFOUND, "directory '%s': no mailbox, alias or "
                "list '%s'", directory->name, normalized);
    g_free(normalized);
    return result;
}

static sd_result
local_domain_uncached(sd_directory *directory, const char *domain,
                      GError **error)
{
    char *normalized = sd_domain_normalize(domain, error);
    if (normalized == NULL)
        return SD_NOTFOUND;
    sd_result result = directory->ops->is_local_domain(directory->state,
                                                       normalized, error);
    if (result == SD_NOTFOUND)
        sd_fail(error, SD_NOTFOUND, "directory '%s': '%s' is not a local "
                "domain", directory->name, normalized);
    g_free(normalized);
    return result;
}

sd_result
sd_directory_expand(sd_directory *directory, const char *address,
                    GPtrArray **members, GError **error)
{
    char *normalized = sd_address_normalize(address, error);
    if (normalized == NULL)
        return SD_NOTFOUND;
    GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
    sd_result result = directory->ops->expand(directory->state, normalized,
                                              found, error);
    if (result == SD_NOTFOUND) {
        char *stripped = sd_address_mapping_subaddress(
            directory->subaddressing, normalized);
        g_clear_error(error);
        if (strcmp(stripped, normalized) != 0)
            result = directory->ops->expand(directory->state, stripped,
                                            found, error);
        g_free(stripped);
    }
    if (result == SD_NOTFOUND)
        sd_fail(error, SD_NOTFOUND, "directory '%s': '%s' is not a list",
                directory->name, normalized);
    g_free(normalized);
    if (result != SD_OK) {
        g_ptr_array_unref(found);
        return result;
    }
    *members = found;
    return SD_OK;
}

sd_result
sd_directory_verify(sd_directory *directory, const char *partial,
                    GPtrArray **matches, GError **error)
{
    size_t len = strlen(partial);
    if (len == 0 || len > SD_ADDRESS_MAX
        || !g_utf8_validate(partial, (gssize)len, NULL))
        return sd_fail(error, SD_NOTFOUND, "directory '%s': nothing to "
                       "search for (empty, too long or not UTF-8)",
                       directory->name);
    char *lower = g_utf8_strdown(partial, (gssize)len);
    GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
    sd_result result = directory->ops->verify(directory->state, lower, found,
                                              error);
    if (result == SD_OK && found->len == 0)
        result = sd_fail(error, SD_NOTFOUND, "directory '%s': no address "
                         "contains '%s'", directory->name, lower);
    g_free(lower);
    if (result != SD_OK) {
        g_ptr_array_unref(found);
        return result;
    }
    *matches = found;
    return SD_OK;
}

/* ------------------------------------------------------------------ */
/* The cache around lookup, authenticate, rcpt and is_local_domain     */
/* ------------------------------------------------------------------ */

/*
 * Every cached operation has the same shape: make the key, answer from
 * the cache on a hit, otherwise ask the uncached operation (no cache
 * lock is held meanwhile) and store its answer; sd_cache_put() keeps
 * only definite answers, never SD_TEMPFAIL or SD_ERROR.
 *
 * What is kept of a principal, for both the principal and the
 * credentials kinds, is everything but its secrets: a credential entry
 * needs none, and a principal served with secrets from the cache would
 * keep handing out a replaced plaintext password (for auxprop's
 * userPassword) or hash until its entry expired, and would keep secrets
 * in long-lived memory.  Callers that need secrets use
 * sd_directory_lookup_uncached().
 */

sd_cache *
sd_directory_cache(sd_directory *directory)
{
    return directory->lookup_cache;
}

/* NAME casefolded, as names match.  ASCII names (the usual ones) fold
 * to the same bytes with g_ascii_strdown, at a tenth of the cost. */
static char *
name_fold(const char *name)
{
    for (const char *p = name; *p != '\0'; p++)
        if ((unsigned char)*p >= 0x80)
            return g_utf8_casefold(name, -1);
    return g_ascii_strdown(name, -1);
}

/*
 * The form TEXT takes in KIND's keys: a principal name casefolded (as
 * names match), an address or a domain normalized.  NULL when TEXT can
 * have no entry of that kind.
 */
static char *
cache_key_text(sd_cache_kind kind, const char *text)
{
    switch (kind) {
    case SD_CACHE_RCPT:
        return sd_address_normalize(text, NULL);
    case SD_CACHE_DOMAIN:
        return sd_domain_normalize(text, NULL);
    default:
        return is_valid_name(text) ? name_fold(text) : NULL;
    }
}

/* The key of NAME (casefolded, as names match) or of TEXT as it is. */
static bool
cache_key(sd_directory *directory, sd_cache_kind kind, const char *text,
          const char *password, sd_cache_key *key)
{
    if (directory->lookup_cache == NULL)
        return false;
    if (kind != SD_CACHE_PRINCIPAL && kind != SD_CACHE_CREDENTIALS)
        return sd_cache_key_init(key, kind, text, NULL);
    char *folded = cache_key_text(kind, text);
    bool ok = folded != NULL
              && sd_cache_key_init(key, kind, folded, password);
    g_free(folded);
    return ok;
}

/*
 * Makes KEY from NORMALIZED (an address or domain the caller normalized,
 * or NULL when that failed) and returns it, or frees it and returns NULL
 * when it cannot be cached: the caller then asks the directory.
 */
static char *
keyed(sd_directory *directory, sd_cache_kind kind, char *normalized,
      sd_cache_key *key)
{
    if (normalized != NULL
        && cache_key(directory, kind, normalized, NULL, key))
        return normalized;
    g_free(normalized);
    return NULL;
}

uint64_t
sd_directory_cache_flush(sd_directory *directory, sd_cache_kind kind,
                         const char *name)
{
    if (directory->lookup_cache == NULL)
        return 0;
    if (name == NULL)
        return sd_cache_flush(directory->lookup_cache, kind, NULL);
    uint64_t dropped = 0;
    for (int k = 0; k < SD_CACHE_KINDS; k++) {
        if (kind != SD_CACHE_ANY_KIND && kind != (sd_cache_kind)k)
            continue;
        char *text = cache_key_text((sd_cache_kind)k, name);
        if (text != NULL)
            dropped += sd_cache_flush(directory->lookup_cache,
                                      (sd_cache_kind)k, text);
        g_free(text);
    }
    return dropped;
}

uint64_t
sd_directory_cache_flush_name(sd_directory *directory, const char *name)
{
    return sd_directory_cache_flush(directory, SD_CACHE_PRINCIPAL, name)
        + sd_directory_cache_flush(directory, SD_CACHE_CREDENTIALS, name);
}

/* Stores PRINCIPAL (SD_OK) or the failure RESULT under KEY. */
static void
cache_put_principal(sd_directory *directory, const sd_cache_key *key,
                    sd_result result, const sd_principal *principal)
{
    if (result != SD_OK) {
        sd_cache_put(directory->lookup_cache, key, result, NULL, 0);
        return;
    }
    size_t len = 0;
    void *packed = sd_principal_pack(principal, &len);
    sd_cache_put(directory->lookup_cache, key, SD_OK, packed, len);
    g_free(packed);
}

/* The principal of a positive entry, into *PRINCIPAL (when wanted). */
static sd_result
cached_principal(sd_directory *directory, const char *name, void *packed,
                 size_t len, sd_principal **principal, GError **error)
{
    if (principal == NULL) {
        g_free(packed);
        return SD_OK;
    }
    *principal = sd_principal_unpack(packed, len);
    g_free(packed);
    if (*principal == NULL)
        return sd_fail(error, SD_ERROR, "directory '%s': the cached entry "
                       "of '%s' is damaged", directory->name, name);
    return SD_OK;
}

sd_result
sd_directory_lookup(sd_directory *directory, const char *name,
                    sd_principal **principal, GError **error)
{
    sd_cache_key key;
    if (!cache_key(directory, SD_CACHE_PRINCIPAL, name, NULL, &key))
        return sd_directory_lookup_uncached(directory, name, principal,
                                            error);
    sd_result result;
    void *packed = NULL;
    size_t len = 0;
    if (sd_cache_get(directory->lookup_cache, &key, &result, &packed, &len))
        return result == SD_OK
            ? cached_principal(directory, name, packed, len, principal, error)
            : not_found(directory, name, error);

    sd_principal *found = NULL;
    result = sd_directory_lookup_uncached(directory, name, &found, error);
    if (result == SD_OK) {
        /* Hit or miss, a directory with a cache answers the same. */
        g_ptr_array_set_size(found->secrets, 0);
        g_ptr_array_set_size(found->auth_passwords, 0);
    }
    cache_put_principal(directory, &key, result, found);
    if (result == SD_OK && principal != NULL)
        *principal = found;
    else
        sd_principal_free(found);
    return result;
}

sd_result
sd_directory_authenticate(sd_directory *directory, const char *name,
                          const char *password, sd_principal **principal,
                          GError **error)
{
    sd_cache_key key;
    if (password == NULL || strlen(password) > SD_PASSWORD_MAX
        || !cache_key(directory, SD_CACHE_CREDENTIALS, name, password, &key))
        return authenticate_uncached(directory, name, password, principal,
                                     NULL, error);
    sd_result result;
    void *packed = NULL;
    size_t len = 0;
    if (sd_cache_get(directory->lookup_cache, &key, &result,
                     principal != NULL ? &packed : NULL, &len)) {
        if (result == SD_OK)
            return cached_principal(directory, name, packed, len, principal,
                                    error);
        if (result == SD_NOTFOUND)
            return not_found(directory, name, error);
        return sd_fail(error, SD_MISMATCH, "directory '%s': wrong password "
                       "for '%s'", directory->name, name);
    }

    sd_principal *found = NULL;
    bool one_time = false;
    result = authenticate_uncached(directory, name, password, &found,
                                   &one_time, error);
    if (!one_time)
        cache_put_principal(directory, &key, result, found);
    if (result == SD_OK && principal != NULL) {
        g_ptr_array_set_size(found->secrets, 0);
        g_ptr_array_set_size(found->auth_passwords, 0);
        *principal = found;
    } else {
        sd_principal_free(found);
    }
    return result;
}

bool
sd_directory_authenticate_cached(sd_directory *directory, const char *name,
                                 const char *password, sd_result *result,
                                 GError **error)
{
    sd_cache_key key;
    if (password == NULL || strlen(password) > SD_PASSWORD_MAX
        || !cache_key(directory, SD_CACHE_CREDENTIALS, name, password, &key)
        || !sd_cache_peek(directory->lookup_cache, &key, result))
        return false;
    if (*result == SD_NOTFOUND)
        not_found(directory, name, error);
    else if (*result == SD_MISMATCH)
        sd_fail(error, SD_MISMATCH, "directory '%s': wrong password for "
                "'%s'", directory->name, name);
    return true;
}

/* A positive rcpt entry: "M" owner NUL matched, or "L" matched (a list). */
static char *
pack_rcpt(const char *owner, const char *matched, size_t *len)
{
    GString *packed = g_string_new(owner != NULL ? "M" : "L");
    if (owner != NULL)
        g_string_append_len(packed, owner, (gssize)strlen(owner) + 1);
    g_string_append(packed, matched);
    *len = packed->len + 1;
    return g_string_free(packed, FALSE);
}

static void
unpack_rcpt(const char *packed, char **owner, char **matched)
{
    const char *rest = packed + 1;
    char *found_owner = NULL;
    if (packed[0] == 'M') {
        found_owner = g_strdup(rest);
        rest += strlen(rest) + 1;
    }
    if (owner != NULL)
        *owner = found_owner;
    else
        g_free(found_owner);
    if (matched != NULL)
        *matched = g_strdup(rest);
}

sd_result
sd_directory_rcpt(sd_directory *directory, const char *address, char **owner,
                  char **matched, GError **error)
{
    sd_cache_key key;
    char *normalized = keyed(directory, SD_CACHE_RCPT,
                             directory->lookup_cache != NULL
                             ? sd_address_normalize(address, NULL) : NULL,
                             &key);
    if (normalized == NULL)
        return rcpt_uncached(directory, address, owner, matched, error);
    sd_result result;
    void *packed = NULL;
    size_t len = 0;
    if (sd_cache_get(directory->lookup_cache, &key, &result, &packed, &len)) {
        if (owner != NULL)
            *owner = NULL;
        if (matched != NULL)
            *matched = NULL;
        if (result == SD_OK && packed != NULL)
            unpack_rcpt(packed, owner, matched);
        else
            sd_fail(error, SD_NOTFOUND, "directory '%s': no mailbox, alias "
                    "or list '%s'", directory->name, normalized);
        g_free(packed);
        g_free(normalized);
        return result;
    }

    char *found_owner = NULL, *found_matched = NULL;
    result = rcpt_uncached(directory, address, &found_owner, &found_matched,
                           error);
    if (result == SD_OK) {
        packed = pack_rcpt(found_owner, found_matched, &len);
        sd_cache_put(directory->lookup_cache, &key, result, packed, len);
        g_free(packed);
    } else {
        sd_cache_put(directory->lookup_cache, &key, result, NULL, 0);
    }
    if (owner != NULL)
        *owner = found_owner;
    else
        g_free(found_owner);
    if (matched != NULL)
        *matched = found_matched;
    else
        g_free(found_matched);
    g_free(normalized);
    return result;
}

sd_result
sd_directory_is_local_domain(sd_directory *directory, const char *domain,
                             GError **error)
{
    sd_cache_key key;
    char *normalized = keyed(directory, SD_CACHE_DOMAIN,
                             directory->lookup_cache != NULL
                             ? sd_domain_normalize(domain, NULL) : NULL,
                             &key);
    if (normalized == NULL)
        return local_domain_uncached(directory, domain, error);
    sd_result result;
    if (sd_cache_get(directory->lookup_cache, &key, &result, NULL, NULL)) {
        if (result != SD_OK)
            sd_fail(error, result, "directory '%s': '%s' is not a local "
                    "domain", directory->name, normalized);
    } else {
        result = local_domain_uncached(directory, normalized, error);
        sd_cache_put(directory->lookup_cache, &key, result, NULL, 0);
    }
    g_free(normalized);
    return result;
}

/* ------------------------------------------------------------------ */
/* Writes (see sd_directory.h)                                         */
/* ------------------------------------------------------------------ */

/*
 * The generic half of every write: the names, addresses and secrets are
 * checked and normalized here, once for every writable driver; secrets
 * are hashed here, before the driver's transaction, so the store's lock
 * is never held while argon2 runs; and after a successful write the
 * cache entries the write touched are dropped in this process.  The
 * driver's half (sd_backend.h store_*) is the transaction and the
 * uniqueness of names and addresses.
 */

bool
sd_directory_is_writable(const sd_directory *directory)
{
    return directory->ops->store_update != NULL;
}

static sd_result
require_writable(sd_directory *directory, GError **error)
{
    if (sd_directory_is_writable(directory))
        return SD_OK;
    return sd_fail(error, SD_ERROR, "directory '%s' (type %s) is read-only",
                   directory->name, directory->ops->type);
}

static sd_result
invalid_name(sd_directory *directory, const char *what, const char *name,
             GError **error)
{
    if (name != NULL && g_utf8_validate(name, -1, NULL)
        && strlen(name) <= SD_NAME_MAX)
        return sd_fail(error, SD_ERROR, "directory '%s': %s '%s' is not a "
                       "valid principal name (empty, or holding control "
                       "characters)", directory->name, what, name);
    return sd_fail(error, SD_ERROR, "directory '%s': %s is not a valid "
                   "principal name (empty, longer than %d bytes, not UTF-8, "
                   "or holding control characters)", directory->name, what,
                   SD_NAME_MAX);
}

/* Normalizes every address of ADDRESSES (strings freed with g_free) in
 * place, dropping repeats; SD_ERROR naming the first that is not one.
 * In place: a bulk import does this a million times. */
static sd_result
normalize_addresses(sd_directory *directory, const char *name,
                    const char *what, GPtrArray *addresses, GError **error)
{
    guint kept = 0;
    for (guint i = 0; i < addresses->len; i++) {
        char *address = g_ptr_array_index(addresses, i);
        GError *cause = NULL;
        char *one = sd_address_normalize(address, &cause);
        if (one == NULL) {
            sd_result result = sd_fail(error, SD_ERROR, "directory '%s': "
                                       "principal %s: %s '%s': %s",
                                       directory->name, name, what, address,
                                       cause->message);
            g_error_free(cause);
            return result;
        }
        /* Slot I is emptied before slot KEPT (<= I) is filled, so that
         * every slot owns its string or is NULL at any return. */
        g_free(address);
        addresses->pdata[i] = NULL;
        const GPtrArray earlier = { .pdata = addresses->pdata, .len = kept };
        if (sd_string_list_contains(&earlier, one))
            g_free(one);
        else
            addresses->pdata[kept++] = one;
    }
    g_ptr_array_set_size(addresses, kept);
    return SD_OK;
}

/* Checks a secret to store as is: one sd_secret can verify. */
static sd_result
check_secret(sd_directory *directory, const char *name, guint index,
             const char *secret, GError **error)
{
    if (*secret == '\0' || !g_utf8_validate(secret, -1, NULL)
        || strcmp(sd_secret_scheme_name(secret), "unknown") == 0)
        return sd_fail(error, SD_ERROR, "directory '%s': principal %s: "
                       "secret #%u is empty, not UTF-8 or of an unknown "
                       "scheme (%s)", directory->name, name, index + 1,
                       *secret == '\0' ? "empty"
                       : sd_secret_scheme_name(secret));
    return SD_OK;
}

static sd_result add_scram_for_plaintext(sd_directory *directory,
                                         sd_principal *principal,
                                         GError **error);

/*
 * A copy of PRINCIPAL fit to store: a valid name, a known type, secrets
 * of known schemes, well-formed authPassword values, addresses and list
 * addresses normalized, groups valid names; repeats dropped; SCRAM
 * credentials added for a plaintext main password (see
 * add_scram_for_plaintext).
 */
static sd_result
prepare_principal(sd_directory *directory, const sd_principal *principal,
                  sd_principal **out, GError **error)
{
    if (principal == NULL || principal->name == NULL
        || !is_valid_name(principal->name))
        return invalid_name(directory, "name",
                            principal != NULL ? principal->name : NULL,
                            error);
    const char *name = principal->name;
    if (principal->type > SD_PRINCIPAL_ADMIN)
        return sd_fail(error, SD_ERROR, "directory '%s': principal %s has "
                       "an unknown type", directory->name, name);
    if (principal->description != NULL
        && !g_utf8_validate(principal->description, -1, NULL))
        return sd_fail(error, SD_ERROR, "directory '%s': principal %s: the "
                       "description is not UTF-8", directory->name, name);
    sd_result result = SD_OK;
    for (guint i = 0; result == SD_OK && i < principal->secrets->len; i++)
        result = check_secret(directory, name, i,
                              g_ptr_array_index(principal->secrets, i),
                              error);
    for (guint i = 0; result == SD_OK && i < principal->auth_passwords->len;
         i++) {
        GError *cause = NULL;
        if (sd_secret_scram_check(g_ptr_array_index(
                principal->auth_passwords, i), &cause) != SD_OK) {
            result = sd_fail(error, SD_ERROR, "directory '%s': principal "
                             "%s: authPassword #%u: %s", directory->name,
                             name, i + 1, cause->message);
            g_error_free(cause);
        }
    }
    for (guint i = 0; result == SD_OK && i < principal->member_of->len; i++) {
        const char *group = g_ptr_array_index(principal->member_of, i);
        if (!is_valid_name(group))
            result = invalid_name(directory, "group", group, error);
        else if (sd_string_list_contains(
                     &(GPtrArray){ .pdata = (gpointer *)&name, .len = 1 },
                     group))
            result = sd_fail(error, SD_ERROR, "directory '%s': principal "
                             "%s cannot be a member of itself",
                             directory->name, name);
    }
    if (result != SD_OK)
        return result;
    sd_principal *copy = sd_principal_copy(principal);
    result = normalize_addresses(directory, name, "address", copy->emails,
                                 error);
    if (result == SD_OK)
        result = normalize_addresses(directory, name, "list address",
                                     copy->lists, error);
    if (result == SD_OK)
        result = add_scram_for_plaintext(directory, copy, error);
    if (result == SD_OK) {
        GPtrArray *groups = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < copy->member_of->len; i++)
            sd_string_list_add_unique(groups,
                                      g_ptr_array_index(copy->member_of, i));
        g_ptr_array_unref(copy->member_of);
        copy->member_of = groups;
        /* What resolution filled in is not stored. */
        copy->resolved = false;
        g_ptr_array_set_size(copy->groups, 0);
        copy->superuser = false;
        copy->effective_quota = 0;
        *out = copy;
        return SD_OK;
    }
    sd_principal_free(copy);
    return result;
}

/* A write that may change groups, addresses or names: what any cached
 * principal, credential or recipient says may be stale. */
static void
flush_resolved(sd_directory *directory)
{
    sd_directory_cache_flush(directory, SD_CACHE_PRINCIPAL, NULL);
    sd_directory_cache_flush(directory, SD_CACHE_CREDENTIALS, NULL);
    sd_directory_cache_flush(directory, SD_CACHE_RCPT, NULL);
}

/* The domains of ADDRESSES became local: drop their negative entries. */
static void
flush_domains_of(sd_directory *directory, const GPtrArray *addresses)
{
    for (guint i = 0; i < addresses->len; i++) {
        const char *at = strrchr(g_ptr_array_index(addresses, i), '@');
        if (at != NULL && at[1] != '\0')
            sd_directory_cache_flush(directory, SD_CACHE_DOMAIN, at + 1);
    }
}

/* Normalizes DOMAIN for a write; SD_ERROR naming it when it is none. */
static char *
write_domain(sd_directory *directory, const char *domain, GError **error)
{
    GError *cause = NULL;
    char *normalized = domain != NULL ? sd_domain_normalize(domain, &cause)
                                      : NULL;
    if (normalized == NULL) {
        sd_fail(error, SD_ERROR, "directory '%s': '%s' is not a domain: %s",
                directory->name, domain != NULL ? domain : "",
                cause != NULL ? cause->message : "none given");
        g_clear_error(&cause);
    }
    return normalized;
}

sd_result
sd_directory_store_batch(sd_directory *directory, GPtrArray *domains,
                         GPtrArray *principals, sd_store_mode mode,
                         sd_principal_merge_fn merge, void *merge_context,
                         guint *failed, GError **error)
{
    guint failed_at = principals->len;
    sd_result result = require_writable(directory, error);
    if (result == SD_OK && mode != SD_STORE_CREATE
        && mode != SD_STORE_REPLACE && mode != SD_STORE_UPSERT)
        result = sd_fail(error, SD_ERROR, "directory '%s': unknown store "
                         "mode", directory->name);
    if (result == SD_OK && merge != NULL && mode != SD_STORE_UPSERT)
        result = sd_fail(error, SD_ERROR, "directory '%s': a merge needs "
                         "the upsert store mode", directory->name);
    GPtrArray *normalized = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; result == SD_OK && domains != NULL && i < domains->len;
         i++) {
        char *domain = write_domain(directory,
                                    g_ptr_array_index(domains, i), error);
        if (domain == NULL)
            result = SD_ERROR;
        else
            g_ptr_array_add(normalized, domain);
    }
    GPtrArray *prepared = g_ptr_array_new_full(principals->len,
                                               (GDestroyNotify)
                                               sd_principal_free);
    for (guint i = 0; result == SD_OK && i < principals->len; i++) {
        sd_principal *one = NULL;
        result = prepare_principal(directory,
                                   g_ptr_array_index(principals, i), &one,
                                   error);
        if (result == SD_OK)
            g_ptr_array_add(prepared, one);
        else
            failed_at = i;
    }
    bool anything = prepared->len > 0 || normalized->len > 0;
    if (result == SD_OK && anything)
        result = directory->ops->store_principals(directory->state,
                                                  normalized, prepared, mode,
                                                  merge, merge_context,
                                                  &failed_at, error);
    if (result == SD_OK && anything) {
        flush_resolved(directory);
        for (guint i = 0; i < normalized->len; i++)
            sd_directory_cache_flush(directory, SD_CACHE_DOMAIN,
                                     g_ptr_array_index(normalized, i));
        for (guint i = 0; i < prepared->len; i++) {
            sd_principal *p = g_ptr_array_index(prepared, i);
            flush_domains_of(directory, p->emails);
            flush_domains_of(directory, p->lists);
        }
    }
    g_ptr_array_unref(prepared);
    g_ptr_array_unref(normalized);
    if (failed != NULL)
        *failed = failed_at;
    return result;
}

sd_result
sd_directory_store_principals(sd_directory *directory, GPtrArray *principals,
                              sd_store_mode mode, GError **error)
{
    return sd_directory_store_batch(directory, NULL, principals, mode, NULL,
                                    NULL, NULL, error);
}

sd_result
sd_directory_store_principal(sd_directory *directory,
                             const sd_principal *principal,
                             sd_store_mode mode, GError **error)
{
    GPtrArray *one = g_ptr_array_new();
    g_ptr_array_add(one, (gpointer)principal);
    sd_result result = sd_directory_store_principals(directory, one, mode,
                                                     error);
    g_ptr_array_unref(one);
    return result;
}

sd_result
sd_directory_delete_principal(sd_directory *directory, const char *name,
                              GError **error)
{
    sd_result result = require_writable(directory, error);
    if (result != SD_OK)
        return result;
    if (name == NULL || !is_valid_name(name))
        return not_found(directory, name != NULL ? name : "", error);
    result = directory->ops->store_delete(directory->state, name, error);
    if (result == SD_OK)
        flush_resolved(directory);
    return result;
}

/* Runs EDIT on NAME in one transaction of the driver. */
static sd_result
update(sd_directory *directory, const char *name,
       sd_result (*edit)(void *context, sd_principal *principal,
                         GError **error),
       void *context, GError **error)
{
    sd_result result = require_writable(directory, error);
    if (result != SD_OK)
        return result;
    if (name == NULL || !is_valid_name(name))
        return not_found(directory, name != NULL ? name : "", error);
    return directory->ops->store_update(directory->state, name, edit,
                                        context, false, error);
}

/* sd_directory_edit_principal: the caller's edit, then the checks and
 * normalization every store gets. */
typedef struct checked_edit {
    sd_directory *directory;
    sd_principal_edit_fn edit;
    void *context;
    sd_principal *written;      /* a copy of what the driver writes */
} checked_edit;

static sd_result
edit_checked(void *context, sd_principal *principal, GError **error)
{
    checked_edit *checked = context;
    sd_result result = checked->edit(checked->context, principal, error);
    sd_principal *prepared = NULL;
    if (result == SD_OK)
        result = prepare_principal(checked->directory, principal, &prepared,
                                   error);
    if (result != SD_OK)
        return result;
    /* The driver writes PRINCIPAL: give it the prepared fields (the old
     * ones go with PREPARED). */
    sd_principal edited = *principal;
    *principal = *prepared;
    *prepared = edited;
    sd_principal_free(prepared);
    sd_principal_free(checked->written);
    checked->written = sd_principal_copy(principal);
    return SD_OK;
}

sd_result
sd_directory_edit_principal(sd_directory *directory, const char *name,
                            sd_principal_edit_fn edit, void *context,
                            sd_principal **stored, GError **error)
{
    checked_edit checked = { directory, edit, context, NULL };
    sd_result result = update(directory, name, edit_checked, &checked,
                              error);
    if (result == SD_OK) {
        flush_resolved(directory);
        flush_domains_of(directory, checked.written->emails);
        flush_domains_of(directory, checked.written->lists);
    }
    if (result == SD_OK && stored != NULL)
        *stored = checked.written;
    else
        sd_principal_free(checked.written);
    return result;
}

/* ---- passwords ---------------------------------------------------- */

/* Is STORED an app password labelled LABEL (any label when NULL)? */
static bool
is_app_password(const char *stored, const char *label)
{
    if (!g_str_has_prefix(stored, "$app$"))
        return false;
    if (label == NULL)
        return true;
    const char *at = stored + strlen("$app$");
    size_t len = strlen(label);
    return strncmp(at, label, len) == 0 && at[len] == '$';
}

/* Secrets that are not passwords: they stay when the password changes. */
static bool
is_marker(const char *stored)
{
    return g_str_has_prefix(stored, "$disabled$")
        || g_str_has_prefix(stored, "otpauth://");
}

typedef struct password_edit {
    sd_directory *directory;
    const char *label;
    bool keep_others;
    char *stored;               /* the new secret, app form if labelled */
    GPtrArray *auth_passwords;  /* new SCRAM credentials, or NULL */
    const char *remove_label;   /* sd_directory_remove_secret */
} password_edit;

/* Removes the secrets KEEP says no to; returns how many. */
static guint
remove_secrets(GPtrArray *secrets, bool (*drop)(const char *stored,
                                                const char *label),
               const char *label)
{
    guint removed = 0;
    for (guint i = secrets->len; i-- > 0;) {
        if (drop(g_ptr_array_index(secrets, i), label)) {
            g_ptr_array_remove_index(secrets, i);
            removed++;
        }
    }
    return removed;
}

static bool
is_main_password(const char *stored, const char *label)
{
    (void)label;
    return !is_app_password(stored, NULL) && !is_marker(stored);
}

static sd_result
edit_password(void *context, sd_principal *principal, GError **error)
{
    (void)error;
    password_edit *edit = context;
    if (edit->label != NULL) {
        remove_secrets(principal->secrets, is_app_password, edit->label);
        g_ptr_array_add(principal->secrets, g_strdup(edit->stored));
        return SD_OK;
    }
    if (!edit->keep_others)
        remove_secrets(principal->secrets, is_main_password, NULL);
    g_ptr_array_insert(principal->secrets, 0, g_strdup(edit->stored));
    g_ptr_array_set_size(principal->auth_passwords, 0);
    for (guint i = 0; i < edit->auth_passwords->len; i++)
        g_ptr_array_add(principal->auth_passwords,
                        g_strdup(g_ptr_array_index(edit->auth_passwords, i)));
    return SD_OK;
}

/* An app password's label: printable, no '$' (it ends the label). */
static bool
is_valid_label(const char *label)
{
    size_t len = strlen(label);
    if (len == 0 || len > 64 || !g_utf8_validate(label, (gssize)len, NULL))
        return false;
    for (const char *p = label; *p != '\0'; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '$')
            return false;
    return true;
}

/* The SCRAM-SHA-1 and SCRAM-SHA-256 credentials of PASSWORD. */
static GPtrArray *
make_scram(sd_directory *directory, const char *password, GError **error)
{
    static const char *const mechanisms[] = { "SCRAM-SHA-1",
                                              "SCRAM-SHA-256" };
    GPtrArray *out = g_ptr_array_new_with_free_func(
        (GDestroyNotify)sd_secret_free);
    for (size_t i = 0; i < G_N_ELEMENTS(mechanisms); i++) {
        char *value = sd_secret_scram_make(directory->secret_policy,
                                           mechanisms[i], password, error);
        if (value == NULL) {
            g_ptr_array_unref(out);
            return NULL;
        }
        g_ptr_array_add(out, value);
    }
    return out;
}

/*
 * A principal stored with a plaintext main password (an import of a
 * passwd file, "principal add" with a {PLAIN} secret) and no SCRAM
 * credentials gets them, as if its password had been set: SCRAM then
 * works through the auxprop plugin without publishing the plaintext.
 * Hashed secrets are stored as they are, and credentials given with the
 * principal are kept.
 */
static sd_result
add_scram_for_plaintext(sd_directory *directory, sd_principal *principal,
                        GError **error)
{
    if (principal->auth_passwords->len > 0)
        return SD_OK;
    for (guint i = 0; i < principal->secrets->len; i++) {
        const char *stored = g_ptr_array_index(principal->secrets, i);
        if (!is_main_password(stored, NULL))
            continue;
        const char *password = sd_secret_plaintext(stored);
        if (password == NULL || *password == '\0')
            return SD_OK;   /* the main password is a hash */
        GError *cause = NULL;
        GPtrArray *scram = make_scram(directory, password, &cause);
        if (scram == NULL) {
            sd_result result = sd_fail(error, SD_ERROR, "directory '%s': "
                                       "principal %s: SCRAM credentials "
                                       "for its plaintext password: %s",
                                       directory->name, principal->name,
                                       cause->message);
            g_error_free(cause);
            return result;
        }
        g_ptr_array_unref(principal->auth_passwords);
        principal->auth_passwords = scram;
        return SD_OK;
    }
    return SD_OK;
}

sd_result
sd_directory_set_password(sd_directory *directory, const char *name,
                          const char *password, const char *scheme,
                          const char *label, bool keep_others,
                          GError **error)
{
    sd_result result = require_writable(directory, error);
    if (result != SD_OK)
        return result;
    size_t len = password != NULL ? strlen(password) : 0;
    if (len == 0 || len > SD_PASSWORD_MAX
        || !g_utf8_validate(password, (gssize)len, NULL))
        return sd_fail(error, SD_ERROR, "directory '%s': the new password "
                       "is empty, longer than %d bytes or not UTF-8",
                       directory->name, SD_PASSWORD_MAX);
    if (label != NULL && !is_valid_label(label))
        return sd_fail(error, SD_ERROR, "directory '%s': app password "
                       "label '%s' must be 1 to 64 printable characters "
                       "without spaces or '$'", directory->name, label);
    char *hash = sd_secret_hash(directory->secret_policy, scheme, password,
                                error);
    if (hash == NULL)
        return SD_ERROR;
    password_edit edit = {
        .directory = directory, .label = label, .keep_others = keep_others,
    };
    if (label != NULL) {
        edit.stored = g_strdup_printf("$app$%s$%s", label, hash);
    } else {
        edit.stored = g_strdup(hash);
        edit.auth_passwords = make_scram(directory, password, error);
    }
    sd_secret_free(hash);
    if (label == NULL && edit.auth_passwords == NULL)
        result = SD_ERROR;
    else
        result = update(directory, name, edit_password, &edit, error);
    sd_secret_free(edit.stored);
    if (edit.auth_passwords != NULL)
        g_ptr_array_unref(edit.auth_passwords);
    if (result == SD_OK)
        sd_directory_cache_flush_name(directory, name);
    return result;
}

static sd_result
edit_remove_secret(void *context, sd_principal *principal, GError **error)
{
    password_edit *edit = context;
    if (remove_secrets(principal->secrets, is_app_password,
                       edit->remove_label) == 0)
        return sd_fail(error, SD_NOTFOUND, "directory '%s': principal %s "
                       "has no app password labelled '%s'",
                       edit->directory->name, principal->name,
                       edit->remove_label);
    return SD_OK;
}

sd_result
sd_directory_remove_secret(sd_directory *directory, const char *name,
                           const char *label, GError **error)
{
    if (label == NULL || !is_valid_label(label))
        return sd_fail(error, SD_NOTFOUND, "directory '%s': '%s' is not an "
                       "app password label", directory->name,
                       label != NULL ? label : "");
    password_edit edit = { .directory = directory, .remove_label = label };
    sd_result result = update(directory, name, edit_remove_secret, &edit,
                              error);
    if (result == SD_OK)
        sd_directory_cache_flush_name(directory, name);
    return result;
}

/* ---- groups, addresses, lists ------------------------------------- */

typedef struct list_edit {
    sd_directory *directory;
    const char *value;      /* a group name or a normalized address */
    const char *what;       /* for messages: "group", "address", "list" */
    bool add;
    GPtrArray *(*field)(sd_principal *principal);
} list_edit;

static GPtrArray *
field_member_of(sd_principal *p)
{
    return p->member_of;
}

static GPtrArray *
field_emails(sd_principal *p)
{
    return p->emails;
}

static GPtrArray *
field_lists(sd_principal *p)
{
    return p->lists;
}

static sd_result
edit_list(void *context, sd_principal *principal, GError **error)
{
    list_edit *edit = context;
    GPtrArray *values = edit->field(principal);
    bool present = sd_string_list_contains(values, edit->value);
    if (edit->add) {
        if (!present)
            g_ptr_array_add(values, g_strdup(edit->value));
        return SD_OK;
    }
    if (!present)
        return sd_fail(error, SD_NOTFOUND, "directory '%s': principal %s "
                       "has no %s %s", edit->directory->name,
                       principal->name, edit->what, edit->value);
    for (guint i = values->len; i-- > 0;) {
        GPtrArray one = { .pdata = &values->pdata[i], .len = 1 };
        if (sd_string_list_contains(&one, edit->value))
            g_ptr_array_remove_index(values, i);
    }
    return SD_OK;
}

static sd_result
change_list(sd_directory *directory, const char *name, list_edit *edit,
            GError **error)
{
    return update(directory, name, edit_list, edit, error);
}

sd_result
sd_directory_add_member(sd_directory *directory, const char *group,
                        const char *member, GError **error)
{
    sd_result result = require_writable(directory, error);
    if (result != SD_OK)
        return result;
    if (group == NULL || !is_valid_name(group))
        return not_found(directory, group != NULL ? group : "", error);
    sd_principal *found = NULL;
    result = fetch_principal(directory, group, &found, error);
    if (result == SD_OK && found->type != SD_PRINCIPAL_GROUP)
        result = sd_fail(error, SD_ERROR, "directory '%s': principal %s is "
                         "of type %s, not a group", directory->name,
                         found->name, sd_principal_type_name(found->type));
    else if (result == SD_OK && member != NULL
             && sd_string_list_contains(
                 &(GPtrArray){ .pdata = (gpointer *)&member, .len = 1 },
                 found->name))
        result = sd_fail(error, SD_ERROR, "directory '%s': group %s cannot "
                         "be a member of itself", directory->name,
                         found->name);
    if (result == SD_OK) {
        list_edit edit = { directory, found->name, "group", true,
                           field_member_of };
        result = change_list(directory, member, &edit, error);
    }
    sd_principal_free(found);
    if (result == SD_OK)
        flush_resolved(directory);
    return result;
}

sd_result
sd_directory_remove_member(sd_directory *directory, const char *group,
                           const char *member, GError **error)
{
    if (group == NULL || !is_valid_name(group))
        return not_found(directory, group != NULL ? group : "", error);
    list_edit edit = { directory, group, "group", false, field_member_of };
    sd_result result = change_list(directory, member, &edit, error);
    if (result == SD_OK)
        flush_resolved(directory);
    return result;
}

/* Normalizes ADDRESS for a write; SD_ERROR naming it when it is none. */
static char *
write_address(sd_directory *directory, const char *address, GError **error)
{
    GError *cause = NULL;
    char *normalized = address != NULL ? sd_address_normalize(address,
                                                              &cause)
                                       : NULL;
    if (normalized == NULL) {
        sd_fail(error, SD_ERROR, "directory '%s': '%s' is not an address: "
                "%s", directory->name, address != NULL ? address : "",
                cause != NULL ? cause->message : "none given");
        g_clear_error(&cause);
    }
    return normalized;
}

static sd_result
change_address(sd_directory *directory, const char *name,
               const char *address, const char *what, bool add,
               GPtrArray *(*field)(sd_principal *), GError **error)
{
    sd_result result = require_writable(directory, error);
    if (result != SD_OK)
        return result;
    char *normalized = write_address(directory, address, error);
    if (normalized == NULL)
        return SD_ERROR;
    list_edit edit = { directory, normalized, what, add, field };
    result = change_list(directory, name, &edit, error);
    if (result == SD_OK) {
        flush_resolved(directory);
        GPtrArray one = { .pdata = (gpointer *)&normalized, .len = 1 };
        flush_domains_of(directory, &one);
    }
    g_free(normalized);
    return result;
}

sd_result
sd_directory_add_email(sd_directory *directory, const char *name,
                       const char *address, GError **error)
{
    return change_address(directory, name, address, "address", true,
                          field_emails, error);
}

sd_result
sd_directory_remove_email(sd_directory *directory, const char *name,
                          const char *address, GError **error)
{
    return change_address(directory, name, address, "address", false,
                          field_emails, error);
}

sd_result
sd_directory_add_list_member(sd_directory *directory, const char *address,
                             const char *member, GError **error)
{
    return change_address(directory, member, address, "list", true,
                          field_lists, error);
}

sd_result
sd_directory_remove_list_member(sd_directory *directory, const char *address,
                                const char *member, GError **error)
{
    return change_address(directory, member, address, "list", false,
                          field_lists, error);
}

/* ---- domains ------------------------------------------------------ */

static sd_result
change_domain(sd_directory *directory, const char *domain, bool add,
              GError **error)
{
    sd_result result = require_writable(directory, error);
    if (result != SD_OK)
        return result;
    char *normalized = write_domain(directory, domain, error);
    if (normalized == NULL)
        return SD_ERROR;
    result = directory->ops->store_domain(directory->state, normalized, add,
                                          error);
    if (result == SD_OK)
        sd_directory_cache_flush(directory, SD_CACHE_DOMAIN, normalized);
    g_free(normalized);
    return result;
}

sd_result
sd_directory_add_domain(sd_directory *directory, const char *domain,
                        GError **error)
{
    return change_domain(directory, domain, true, error);
}

sd_result
sd_directory_remove_domain(sd_directory *directory, const char *domain,
                           GError **error)
{
    return change_domain(directory, domain, false, error);
}

/* ---- enumeration -------------------------------------------------- */

sd_result
sd_directory_list_domains(sd_directory *directory, GPtrArray **domains,
                          GError **error)
{
    if (directory->ops->list_domains == NULL)
        return sd_fail(error, SD_ERROR, "directory '%s' (type %s) cannot "
                       "enumerate its domains", directory->name,
                       directory->ops->type);
    GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
    sd_result result = directory->ops->list_domains(directory->state, found,
                                                    error);
    if (result != SD_OK) {
        g_ptr_array_unref(found);
        return result;
    }
    *domains = found;
    return SD_OK;
}

sd_result
sd_directory_list_principals(sd_directory *directory, GPtrArray **principals,
                             GError **error)
{
    if (directory->ops->list_principals == NULL)
        return sd_fail(error, SD_ERROR, "directory '%s' (type %s) cannot "
                       "enumerate its principals", directory->name,
                       directory->ops->type);
    GPtrArray *found = g_ptr_array_new_with_free_func(
        (GDestroyNotify)sd_principal_free);
    sd_result result = directory->ops->list_principals(directory->state,
                                                       found, error);
    if (result != SD_OK) {
        g_ptr_array_unref(found);
        return result;
    }
    *principals = found;
    return SD_OK;
}

/* ---- options.rehash ----------------------------------------------- */

typedef struct rehash_edit {
    const char *old_secret;     /* as stored when the login matched it */
    const char *new_secret;
    GPtrArray *auth_passwords;  /* set when the principal had none */
} rehash_edit;

static sd_result
edit_rehash(void *context, sd_principal *principal, GError **error)
{
    (void)error;
    rehash_edit *edit = context;
    for (guint i = 0; i < principal->secrets->len; i++) {
        char **slot = (char **)&principal->secrets->pdata[i];
        if (strcmp(*slot, edit->old_secret) == 0) {
            sd_secret_free(*slot);
            *slot = g_strdup(edit->new_secret);
            if (edit->auth_passwords != NULL
                && principal->auth_passwords->len == 0)
                for (guint k = 0; k < edit->auth_passwords->len; k++)
                    g_ptr_array_add(principal->auth_passwords,
                                    g_strdup(g_ptr_array_index(
                                        edit->auth_passwords, k)));
            return SD_OK;
        }
    }
    /* Changed since the login read it: nothing to upgrade any more. */
    return SD_OK;
}

/*
 * After a login matched secret INDEX of PRINCIPAL with PASSWORD: when
 * options.rehash is on and that secret is weaker than the policy's
 * default (sd_secret_is_weaker), replaces it with a fresh hash (an app
 * password keeps its label) in a transaction of its own that does not
 * wait for a busy store.  Never fails the login: problems are logged.
 */
static void
rehash_after_login(sd_directory *directory, const sd_principal *principal,
                   guint index, const char *password)
{
    if (!directory->rehash || index >= principal->secrets->len)
        return;
    const char *stored = g_ptr_array_index(principal->secrets, index);
    if (!sd_secret_is_weaker(directory->secret_policy, stored))
        return;
    GError *error = NULL;
    char *hash = sd_secret_hash(directory->secret_policy, NULL, password,
                                &error);
    rehash_edit edit = { .old_secret = stored };
    char *label = NULL;
    if (hash != NULL && is_app_password(stored, NULL)) {
        const char *start = stored + strlen("$app$");
        label = g_strndup(start, (gsize)(strchr(start, '$') - start));
        edit.new_secret = g_strdup_printf("$app$%s$%s", label, hash);
    } else if (hash != NULL) {
        edit.new_secret = g_strdup(hash);
        if (principal->auth_passwords->len == 0)
            edit.auth_passwords = make_scram(directory, password, NULL);
    }
    sd_result result = hash != NULL
        ? directory->ops->store_update(directory->state, principal->name,
                                       edit_rehash, &edit, true, &error)
        : SD_ERROR;
    if (result == SD_OK)
        sd_log(SD_LOG_INFO, "directory '%s': principal '%s': secret #%u "
               "(%s) rehashed as %s", directory->name, principal->name,
               index + 1, sd_secret_scheme_name(stored),
               sd_secret_policy_default_scheme(directory->secret_policy));
    else
        sd_log(result == SD_TEMPFAIL ? SD_LOG_DEBUG : SD_LOG_WARNING,
               "directory '%s': principal '%s': rehash of secret #%u "
               "skipped: %s", directory->name, principal->name, index + 1,
               error != NULL ? error->message : "failed");
    g_clear_error(&error);
    g_free(label);
    sd_secret_free(hash);
    sd_secret_free((char *)edit.new_secret);
    if (edit.auth_passwords != NULL)
        g_ptr_array_unref(edit.auth_passwords);
}
