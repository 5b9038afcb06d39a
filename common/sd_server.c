/*
 * sd_server.c - the [server] section (see sd_server.h).
 *
 * Read by the registry like every other section, so a typo in [server]
 * is reported by "sasldir check-config" and refused by a reload.  Only
 * values are checked here; whether the user and groups exist is checked
 * by sasldird when it starts, since SASL applications that load the same
 * file may run chrooted without a passwd database.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sd_config.h"
#include "sd_directory.h"
#include "sd_log.h"
#include "sd_server.h"

#define DEFAULT_SASLAUTHD_SOCKET "/run/sasldir/mux"
#define DEFAULT_SOCKETMAP_SOCKET "/run/sasldir/socketmap"
#define DEFAULT_CONTROL_SOCKET "/run/sasldir/control"

static void
set_defaults(sd_server_settings *settings)
{
    settings->saslauthd_socket = g_strdup(DEFAULT_SASLAUTHD_SOCKET);
    settings->socketmap_socket = g_strdup(DEFAULT_SOCKETMAP_SOCKET);
    settings->control_socket = g_strdup(DEFAULT_CONTROL_SOCKET);
    settings->socket_mode = 0660;
    settings->workers = 0;
    settings->max_clients = 1024;
    settings->queue = 4096;
    settings->request_timeout_ms = 10 * 1000;
    settings->idle_timeout_ms = 60 * 1000;
    settings->max_field = 4096;
    settings->log_syslog = true;
    settings->log_level = SD_LOG_INFO;
    settings->realm_directory = g_hash_table_new_full(g_str_hash,
                                                      g_str_equal,
                                                      g_free, g_free);
    settings->penalty.enable = true;
    settings->penalty.threshold = 3;
    settings->penalty.initial_ms = 1000;
    settings->penalty.max_delay_ms = 15 * 1000;
    settings->penalty.forget_ms = 15 * 60 * 1000;
}

sd_server_settings *
sd_server_settings_new(void)
{
    sd_server_settings *settings = g_new0(sd_server_settings, 1);
    set_defaults(settings);
    return settings;
}

void
sd_server_settings_free(sd_server_settings *settings)
{
    if (settings == NULL)
        return;
    g_free(settings->saslauthd_socket);
    g_free(settings->socketmap_socket);
    g_free(settings->control_socket);
    g_free(settings->socket_group);
    g_free(settings->control_group);
    g_free(settings->user);
    g_free(settings->group);
    g_free(settings->pid_file);
    g_free(settings->metrics_listen);
    g_free(settings->socketmap_directory);
    g_hash_table_unref(settings->realm_directory);
    g_free(settings);
}

/* A socket path: absolute, or "" for off (NULL). */
static void
read_socket(sd_cfg_table *table, const char *key, char **slot)
{
    const char *value;
    if (sd_cfg_get_string(table, key, &value) != SD_CFG_FOUND)
        return;
    g_free(*slot);
    *slot = NULL;
    if (*value == '\0')
        return;
    if (*value != '/') {
        sd_cfg_error(table, key, 0, "'%s' is not an absolute path (\"\" "
                     "turns the socket off)", value);
        return;
    }
    *slot = g_strdup(value);
}

static void
read_name(sd_cfg_table *table, const char *key, char **slot)
{
    const char *value;
    if (sd_cfg_get_string(table, key, &value) != SD_CFG_FOUND)
        return;
    if (*value == '\0' || strchr(value, ':') != NULL
        || strchr(value, '/') != NULL) {
        sd_cfg_error(table, key, 0, "'%s' is not a user or group name",
                     value);
        return;
    }
    g_free(*slot);
    *slot = g_strdup(value);
}

static void
read_unsigned(sd_cfg_table *table, const char *key, int64_t min, int64_t max,
              unsigned *slot)
{
    int64_t value;
    if (sd_cfg_get_int(table, key, min, max, &value) == SD_CFG_FOUND)
        *slot = (unsigned)value;
}

/* A duration of at least 1 ms. */
static void
read_duration(sd_cfg_table *table, const char *key, int64_t *slot)
{
    uint64_t value;
    if (sd_cfg_get_duration(table, key, &value) != SD_CFG_FOUND)
        return;
    if (value == 0 || value > (uint64_t)24 * 3600 * 1000) {
        sd_cfg_error(table, key, 0, "must be more than 0 and at most 1d");
        return;
    }
    *slot = (int64_t)value;
}

/* "HOST:PORT" or "[V6]:PORT" with a port from 1 to 65535. */
static bool
listen_address_valid(const char *value)
{
    const char *port;
    if (*value == '[') {
        const char *end = strchr(value, ']');
        if (end == NULL || end == value + 1 || end[1] != ':')
            return false;
        port = end + 2;
    } else {
        const char *colon = strrchr(value, ':');
        if (colon == NULL || colon == value
            || memchr(value, ':', (size_t)(colon - value)) != NULL)
            return false;
        port = colon + 1;
    }
    if (*port == '\0' || strspn(port, "0123456789") != strlen(port)
        || strlen(port) > 5)
        return false;
    long number = strtol(port, NULL, 10);
    return number >= 1 && number <= 65535;
}

/* A directory name that must be an enabled directory of REGISTRY. */
static bool
directory_known(sd_cfg_table *table, const char *key, const char *name,
                sd_registry *registry)
{
    if (registry == NULL || sd_registry_get(registry, name) != NULL)
        return true;
    sd_cfg_error(table, key, 0, "there is no enabled directory '%s'", name);
    return false;
}

static void
read_realm_directory(sd_cfg_table *server, sd_registry *registry,
                     sd_server_settings *settings)
{
    sd_cfg_table realms;
    if (sd_cfg_get_table(server, "realm-directory", &realms) != SD_CFG_FOUND)
        return;
    const sd_toml_value *table = realms.table;
    for (size_t i = 0; i < table->u.table.count; i++) {
        const sd_toml_entry *entry = &table->u.table.entries[i];
        const char *name;
        if (sd_cfg_get_string(&realms, entry->key, &name) != SD_CFG_FOUND)
            continue;
        if (strlen(entry->key) != entry->key_len || *entry->key == '\0') {
            sd_cfg_error(&realms, entry->key, 0, "not a realm name");
            continue;
        }
        if (!directory_known(&realms, entry->key, name, registry))
            continue;
        g_hash_table_replace(settings->realm_directory,
                             g_utf8_strdown(entry->key, -1), g_strdup(name));
    }
    sd_cfg_table_clear(&realms);
}

static void
read_penalty(sd_cfg_table *server, sd_penalty_settings *penalty)
{
    sd_cfg_table table;
    if (sd_cfg_get_table(server, "penalty", &table) != SD_CFG_FOUND)
        return;
    sd_cfg_get_bool(&table, "enable", &penalty->enable);
    read_unsigned(&table, "threshold", 1, 1000, &penalty->threshold);
    read_duration(&table, "initial", &penalty->initial_ms);
    read_duration(&table, "max-delay", &penalty->max_delay_ms);
    read_duration(&table, "forget", &penalty->forget_ms);
    if (penalty->initial_ms > penalty->max_delay_ms)
        sd_cfg_error(&table, "initial", 0, "is longer than max-delay");
    sd_cfg_table_clear(&table);
}

static void
read_logging(sd_cfg_table *server, sd_server_settings *settings)
{
    const char *value;
    if (sd_cfg_get_string(server, "log", &value) == SD_CFG_FOUND) {
        if (strcmp(value, "syslog") == 0)
            settings->log_syslog = true;
        else if (strcmp(value, "stderr") == 0)
            settings->log_syslog = false;
        else
            sd_cfg_error(server, "log", 0, "'%s' is neither \"syslog\" nor "
                         "\"stderr\"", value);
    }
    if (sd_cfg_get_string(server, "log-level", &value) == SD_CFG_FOUND) {
        sd_log_level level;
        if (sd_log_parse_level(value, &level))
            settings->log_level = level;
        else
            sd_cfg_error(server, "log-level", 0, "'%s' is not one of error, "
                         "warning, notice, info, debug", value);
    }
}

sd_server_settings *
sd_server_settings_read(struct sd_cfg_table *root, sd_registry *registry)
{
    sd_server_settings *settings = sd_server_settings_new();
    sd_cfg_table server;
    if (sd_cfg_get_table(root, "server", &server) != SD_CFG_FOUND)
        return settings;

    read_socket(&server, "saslauthd-socket", &settings->saslauthd_socket);
    read_socket(&server, "socketmap-socket", &settings->socketmap_socket);
    read_socket(&server, "control-socket", &settings->control_socket);
    read_unsigned(&server, "socket-mode", 0, 0777, &settings->socket_mode);
    read_name(&server, "socket-group", &settings->socket_group);
    read_name(&server, "control-group", &settings->control_group);
    read_name(&server, "user", &settings->user);
    read_name(&server, "group", &settings->group);
    const char *value;
    if (sd_cfg_get_string(&server, "pid-file", &value) == SD_CFG_FOUND) {
        if (*value != '/')
            sd_cfg_error(&server, "pid-file", 0, "'%s' is not an absolute "
                         "path", value);
        else
            settings->pid_file = g_strdup(value);
    }
    read_unsigned(&server, "workers", 0, 1024, &settings->workers);
    read_unsigned(&server, "max-clients", 1, 1000000,
                  &settings->max_clients);
    read_unsigned(&server, "queue", 1, 10000000, &settings->queue);
    read_duration(&server, "request-timeout",
                  &settings->request_timeout_ms);
    read_duration(&server, "idle-timeout", &settings->idle_timeout_ms);
    /* 65535: the most a 16-bit length can say. */
    read_unsigned(&server, "max-field", 256, 65535, &settings->max_field);
    read_logging(&server, settings);
    if (sd_cfg_get_string(&server, "metrics-listen", &value)
        == SD_CFG_FOUND) {
        if (listen_address_valid(value))
            settings->metrics_listen = g_strdup(value);
        else
            sd_cfg_error(&server, "metrics-listen", 0, "'%s' is not "
                         "HOST:PORT or [IPV6]:PORT with a port from 1 to "
                         "65535", value);
    }
    if (sd_cfg_get_string(&server, "socketmap-directory", &value)
        == SD_CFG_FOUND
        && directory_known(&server, "socketmap-directory", value, registry))
        settings->socketmap_directory = g_strdup(value);
    read_realm_directory(&server, registry, settings);
    read_penalty(&server, &settings->penalty);
    sd_cfg_table_clear(&server);
    return settings;
}

char *
sd_server_control_socket_of(const char *config_path)
{
    GError *error = NULL;
    sd_cfg *cfg = sd_cfg_load(config_path, &error);
    if (cfg == NULL) {
        g_clear_error(&error);
        return NULL;
    }
    char *path = g_strdup(DEFAULT_CONTROL_SOCKET);
    sd_cfg_table root, server;
    sd_cfg_root(cfg, &root);
    if (sd_cfg_get_table(&root, "server", &server) == SD_CFG_FOUND) {
        read_socket(&server, "control-socket", &path);
        sd_cfg_table_clear(&server);
    }
    /* An error here means the key is not a usable path: no socket. */
    if (sd_cfg_error_count(cfg) > 0)
        g_clear_pointer(&path, g_free);
    sd_cfg_table_clear(&root);
    sd_cfg_free(cfg);
    return path;
}
