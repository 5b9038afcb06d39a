/*
 * sd_shared.c - the process-wide table of shared registries (see
 * sd_shared.h).
 */
#include "config.h"

#include <pthread.h>

#include "sd_shared.h"

typedef struct shared_entry {
    sd_registry *registry;      /* the table's reference */
    unsigned users;
} shared_entry;

static GMutex shared_lock;
static GHashTable *shared_table;   /* path -> shared_entry* */
static GHashTable *shared_seen;    /* keys of sd_shared_once() */

static void
shared_prepare(void)
{
    g_mutex_lock(&shared_lock);
}

static void
shared_after(void)
{
    g_mutex_unlock(&shared_lock);
}

static void
shared_entry_free(gpointer data)
{
    shared_entry *entry = data;

    sd_registry_unref(entry->registry);
    g_free(entry);
}

/* Creates the table once and registers the fork handlers once. */
static void
shared_init(void)
{
    static gsize once;

    if (g_once_init_enter(&once)) {
        shared_table = g_hash_table_new_full(g_str_hash, g_str_equal,
                                             g_free, shared_entry_free);
        shared_seen = g_hash_table_new_full(g_str_hash, g_str_equal,
                                            g_free, NULL);
        pthread_atfork(shared_prepare, shared_after, shared_after);
        g_once_init_leave(&once, 1);
    }
}

static const char *
shared_key(const char *path)
{
    return path != NULL && *path != '\0' ? path : SD_DEFAULT_CONFIG;
}

sd_registry *
sd_registry_shared(const char *path, GError **error)
{
    const char *key = shared_key(path);
    shared_entry *entry;
    sd_registry *registry = NULL;

    shared_init();
    g_mutex_lock(&shared_lock);
    entry = g_hash_table_lookup(shared_table, key);
    if (entry == NULL) {
        /* Loading under the lock: a second caller waits for this load
         * rather than loading the same file twice. */
        sd_registry *loaded = sd_registry_load(key, error);

        if (loaded != NULL) {
            entry = g_new0(shared_entry, 1);
            entry->registry = loaded;
            g_hash_table_insert(shared_table, g_strdup(key), entry);
        }
    }
    if (entry != NULL) {
        entry->users++;
        registry = sd_registry_ref(entry->registry);
    }
    g_mutex_unlock(&shared_lock);
    return registry;
}

static gboolean
entry_holds(gpointer key, gpointer value, gpointer registry)
{
    (void) key;
    return ((shared_entry *) value)->registry == registry;
}

void
sd_registry_shared_release(sd_registry *registry)
{
    shared_entry *entry;
    const char *key = NULL;

    if (registry == NULL)
        return;
    shared_init();
    g_mutex_lock(&shared_lock);
    entry = g_hash_table_find(shared_table, entry_holds, registry);
    if (entry != NULL && --entry->users == 0) {
        GHashTableIter iter;
        gpointer k, v;

        g_hash_table_iter_init(&iter, shared_table);
        while (g_hash_table_iter_next(&iter, &k, &v))
            if (v == entry)
                key = k;
        g_hash_table_remove(shared_table, key);
    }
    g_mutex_unlock(&shared_lock);
    sd_registry_unref(registry);
}

unsigned
sd_registry_shared_users(const char *path)
{
    shared_entry *entry;
    unsigned users = 0;

    shared_init();
    g_mutex_lock(&shared_lock);
    entry = g_hash_table_lookup(shared_table, shared_key(path));
    if (entry != NULL)
        users = entry->users;
    g_mutex_unlock(&shared_lock);
    return users;
}

bool
sd_shared_once(const char *key)
{
    bool first;

    shared_init();
    g_mutex_lock(&shared_lock);
    first = g_hash_table_add(shared_seen, g_strdup(key));
    g_mutex_unlock(&shared_lock);
    return first;
}
