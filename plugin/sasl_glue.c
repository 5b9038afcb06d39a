/*
 * sasl_glue.c - options, directory and logging for the SASL plugins
 * (see sasl_glue.h).
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "sasl_glue.h"
#include "sd_log.h"
#include "sd_shared.h"

struct sd_glue {
    const sasl_utils_t *utils;  /* the plugin's global utils */
    char *plugin;               /* for log lines */
    char *config_path;          /* sasldir_config */
    char *directory_name;       /* sasldir_directory; NULL: the default */
    char *bad_level;            /* a sasldir_log_level not understood */
    GMutex lock;                /* guards registry and options_checked */
    sd_registry *registry;      /* from sd_registry_shared, lazily */
    bool options_checked;
};

/* The options this plugin knows; anything else named sasldir_* is an
 * error in the application's configuration. */
static const char *const known_options[] = {
    "sasldir_config", "sasldir_directory", "sasldir_log_level", NULL,
};

void
sd_glue_log(const sasl_utils_t *utils, int level, const char *format, ...)
{
    va_list args;
    g_autofree char *message = NULL;

    if (utils == NULL || utils->log == NULL)
        return;
    va_start(args, format);
    message = g_strdup_vprintf(format, args);
    va_end(args);
    utils->log(utils->conn, level, "sasldir: %s", message);
}

static int
sasl_level(sd_log_level level)
{
    switch (level) {
    case SD_LOG_ERROR:
        return SASL_LOG_ERR;
    case SD_LOG_WARNING:
        return SASL_LOG_WARN;
    case SD_LOG_NOTICE:
        return SASL_LOG_NOTE;
    case SD_LOG_INFO:
        return SASL_LOG_DEBUG;
    case SD_LOG_DEBUG:
        return SASL_LOG_TRACE;
    }
    return SASL_LOG_ERR;
}

/* libsasldir's log sink: the application's SASL log callback. */
static void
log_sink(sd_log_level level, const char *message, void *user_data)
{
    const sasl_utils_t *utils = user_data;

    if (utils != NULL && utils->log != NULL)
        utils->log(utils->conn, sasl_level(level), "sasldir: %s", message);
}

static char *
get_option(const sasl_utils_t *utils, const char *plugin, const char *name)
{
    const char *value = NULL;
    unsigned len = 0;

    if (utils->getopt == NULL
        || utils->getopt(utils->getopt_context, plugin, name, &value, &len)
           != SASL_OK
        || value == NULL)
        return NULL;
    return g_strndup(value, len != 0 ? len : strlen(value));
}

sd_glue *
sd_glue_new(const sasl_utils_t *utils, const char *plugin)
{
    sd_glue *glue = g_new0(sd_glue, 1);
    g_autofree char *level = NULL;

    glue->utils = utils;
    glue->plugin = g_strdup(plugin);
    g_mutex_init(&glue->lock);
    glue->config_path = get_option(utils, plugin, "sasldir_config");
    if (glue->config_path == NULL || *glue->config_path == '\0') {
        g_free(glue->config_path);
        glue->config_path = g_strdup(SD_DEFAULT_CONFIG);
    }
    glue->directory_name = get_option(utils, plugin, "sasldir_directory");
    if (glue->directory_name != NULL && *glue->directory_name == '\0')
        g_clear_pointer(&glue->directory_name, g_free);
    sd_log_set_sink(log_sink, (void *) utils);
    level = get_option(utils, plugin, "sasldir_log_level");
    if (level != NULL) {
        sd_log_level parsed;

        /* Reported with the other option errors (check_options): at
         * plugin start there is no connection, and libsasl2 would send
         * the line to syslog instead of the application's log. */
        if (sd_log_parse_level(level, &parsed))
            sd_log_set_level(parsed);
        else
            glue->bad_level = g_steal_pointer(&level);
    }
    return glue;
}

void
sd_glue_free(sd_glue *glue)
{
    if (glue == NULL)
        return;
    sd_registry_shared_release(glue->registry);
    /* The sink points at UTILS, which libsasl2 frees after this. */
    sd_log_set_sink(NULL, NULL);
    g_mutex_clear(&glue->lock);
    g_free(glue->plugin);
    g_free(glue->config_path);
    g_free(glue->directory_name);
    g_free(glue->bad_level);
    g_free(glue);
}

static bool
known_option(const char *name)
{
    for (size_t i = 0; known_options[i] != NULL; i++)
        if (strcmp(name, known_options[i]) == 0)
            return true;
    return false;
}

/* Reports every unknown sasldir_* key of FILE; true if FILE was read. */
static bool
check_conf_file(const sasl_utils_t *utils, const char *file)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!g_file_get_contents(file, &text, NULL, NULL))
        return false;
    lines = g_strsplit(text, "\n", -1);
    for (size_t i = 0; lines[i] != NULL; i++) {
        const char *line = lines[i];
        const char *colon;
        g_autofree char *key = NULL;

        while (g_ascii_isspace(*line))
            line++;
        colon = strchr(line, ':');
        if (*line == '#' || colon == NULL)
            continue;
        key = g_strstrip(g_strndup(line, (gsize) (colon - line)));
        if (g_str_has_prefix(key, "sasldir_") && !known_option(key))
            sd_glue_log(utils, SASL_LOG_ERR,
                        "%s:%zu: unknown option %s (known: sasldir_config, "
                        "sasldir_directory, sasldir_log_level)",
                        file, i + 1, key);
    }
    return true;
}

/*
 * Reports, once per process and application, what is wrong with the
 * options: a sasldir_log_level not understood (GLUE's), and unknown
 * sasldir_* keys.  libsasl2 offers no way to list the options it read,
 * so the application's <app>.conf is found the way libsasl2 finds it
 * (the first <dir>/<app>.conf along the configuration path) and
 * scanned.  Options an application supplies itself (imapd.conf) cannot
 * be seen.
 */
static void
check_options(const sd_glue *glue, sasl_server_params_t *sparams)
{
    sasl_getconfpath_t *getconfpath = NULL;
    void *context = NULL;
    char *path = NULL;
    g_auto(GStrv) dirs = NULL;

    if (sparams == NULL || sparams->appname == NULL)
        return;
    {
        g_autofree char *key = g_strconcat("sasl-options:",
                                           sparams->appname, NULL);

        if (!sd_shared_once(key))
            return;     /* the other plugin of this process did it */
    }
    if (glue->bad_level != NULL)
        sd_glue_log(sparams->utils, SASL_LOG_ERR,
                    "option sasldir_log_level: '%s' is not one of error, "
                    "warning, notice, info, debug (the level stays %s)",
                    glue->bad_level, sd_log_level_name(sd_log_get_level()));
    if (sparams->utils->getcallback == NULL
        || sparams->utils->getcallback(sparams->utils->conn,
                                       SASL_CB_GETCONFPATH,
                                       (sasl_callback_ft *) &getconfpath,
                                       &context) != SASL_OK
        || getconfpath == NULL
        || getconfpath(context, &path) != SASL_OK || path == NULL)
        return;
    dirs = g_strsplit(path, ":", -1);
    for (size_t i = 0; dirs[i] != NULL; i++) {
        g_autofree char *file = g_strdup_printf("%s/%s.conf", dirs[i],
                                                sparams->appname);

        if (check_conf_file(sparams->utils, file))
            break;
    }
}

sd_directory *
sd_glue_directory(sd_glue *glue, sasl_server_params_t *sparams, int *result)
{
    sd_directory *directory = NULL;
    GError *error = NULL;
    const sasl_utils_t *utils = sparams != NULL ? sparams->utils
                                                : glue->utils;

    /* Until sd_glue_done(), libsasldir's messages from this thread go to
     * the connection's log callback. */
    sd_log_set_thread_sink(log_sink, (void *) utils);
    g_mutex_lock(&glue->lock);
    if (!glue->options_checked && sparams != NULL) {
        glue->options_checked = true;
        check_options(glue, sparams);
    }
    if (glue->registry == NULL) {
        glue->registry = sd_registry_shared(glue->config_path, &error);
        if (glue->registry == NULL) {
            sd_glue_log(utils, SASL_LOG_ERR,
                        "%s: cannot load configuration %s: %s",
                        glue->plugin, glue->config_path, error->message);
            g_clear_error(&error);
        }
    }
    if (glue->registry != NULL) {
        directory = glue->directory_name != NULL
            ? sd_registry_get(glue->registry, glue->directory_name)
            : sd_registry_default(glue->registry);
        if (directory == NULL)
            sd_glue_log(utils, SASL_LOG_ERR,
                        "%s: option sasldir_directory: %s names no enabled "
                        "directory in %s", glue->plugin,
                        glue->directory_name != NULL
                            ? glue->directory_name : "(storage.directory)",
                        glue->config_path);
    }
    g_mutex_unlock(&glue->lock);
    *result = directory != NULL ? SASL_OK : SASL_FAIL;
    return directory;
}

void
sd_glue_done(void)
{
    sd_log_set_thread_sink(NULL, NULL);
}

const char *
sd_glue_realm(const sasl_server_params_t *sparams)
{
    return sparams != NULL ? sparams->user_realm : NULL;
}

const char *
sd_glue_fqdn(const sasl_server_params_t *sparams)
{
    return sparams != NULL ? sparams->serverFQDN : NULL;
}
