/*
 * penalty.c - how long to hold back the reply to a name or a client
 * address that keeps failing (see penalty.h).
 *
 * One table, two kinds of key ("n:" + the lowercased name, "a:" + the
 * address) so one bound covers both.  Each entry counts failures and
 * remembers when the last one was; entries sit in a queue ordered by
 * that time, so the oldest is at the head: it is the first to be
 * forgotten (FORGET after its last failure) and the first to be dropped
 * when the table is full.  One mutex guards everything: the work under
 * it is a hash lookup and a few list moves, far shorter than the
 * verification every request makes anyway.
 */
#include "config.h"

#include <string.h>
#include <glib.h>

#include "penalty.h"

typedef struct entry {
    char *key;              /* owned; also the hash table's key */
    unsigned failures;
    int64_t last_ms;
    GList link;             /* in penalty.order; data = the entry */
} entry;

struct penalty {
    sd_penalty_settings settings;
    unsigned capacity;
    GMutex lock;
    GHashTable *entries;    /* key -> entry */
    GQueue order;           /* oldest last failure at the head */
};

/* Counts beyond this add nothing: the delay is at its maximum long
 * before, and the shift below must stay defined. */
#define FAILURES_MAX 64

static void
entry_free(gpointer data)
{
    entry *e = data;
    g_free(e->key);
    g_free(e);
}

penalty *
penalty_new(const sd_penalty_settings *settings, unsigned capacity)
{
    penalty *table = g_new0(penalty, 1);
    table->settings = *settings;
    table->capacity = capacity > 0 ? capacity : 1;
    g_mutex_init(&table->lock);
    table->entries = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                           entry_free);
    g_queue_init(&table->order);
    return table;
}

void
penalty_free(penalty *table)
{
    if (table == NULL)
        return;
    g_hash_table_destroy(table->entries);
    g_mutex_clear(&table->lock);
    g_free(table);
}

/* "n:" + NAME lowercased, or "a:" + ADDRESS; NULL for an empty one. */
static char *
make_key(char kind, const char *text)
{
    if (text == NULL || *text == '\0')
        return NULL;
    if (kind == 'n') {
        char *folded = g_utf8_validate(text, -1, NULL)
                       ? g_utf8_casefold(text, -1) : g_ascii_strdown(text, -1);
        char *key = g_strconcat("n:", folded, NULL);
        g_free(folded);
        return key;
    }
    return g_strconcat("a:", text, NULL);
}

static void
drop(penalty *table, entry *e)
{
    g_queue_unlink(&table->order, &e->link);
    g_hash_table_remove(table->entries, e->key);
}

/* Forgets the entries whose last failure is FORGET or more ago. */
static void
expire(penalty *table, int64_t now_ms)
{
    GList *head;
    while ((head = g_queue_peek_head_link(&table->order)) != NULL) {
        entry *e = head->data;
        if (now_ms - e->last_ms < table->settings.forget_ms)
            break;
        drop(table, e);
    }
}

/* The failures counted for KEY (0 when unknown or forgotten). */
static unsigned
failures_of(penalty *table, const char *key)
{
    if (key == NULL)
        return 0;
    entry *e = g_hash_table_lookup(table->entries, key);
    return e != NULL ? e->failures : 0;
}

int64_t
penalty_delay_ms(penalty *table, const char *name, const char *address,
                 int64_t now_ms)
{
    if (table == NULL || !table->settings.enable)
        return 0;
    char *name_key = make_key('n', name);
    char *address_key = make_key('a', address);
    g_mutex_lock(&table->lock);
    expire(table, now_ms);
    unsigned n = MAX(failures_of(table, name_key),
                     failures_of(table, address_key));
    g_mutex_unlock(&table->lock);
    g_free(name_key);
    g_free(address_key);

    const sd_penalty_settings *s = &table->settings;
    if (n == 0 || n < s->threshold)
        return 0;
    unsigned doublings = n - s->threshold;
    int64_t delay = s->initial_ms;
    /* Doubling stops at the maximum, so it cannot overflow. */
    for (unsigned i = 0; i < doublings && delay < s->max_delay_ms; i++)
        delay *= 2;
    return MIN(delay, s->max_delay_ms);
}

/* Adds one failure to KEY (taken over), making room if the table is
 * full. */
static void
add_failure(penalty *table, char *key, int64_t now_ms)
{
    entry *e = g_hash_table_lookup(table->entries, key);
    if (e != NULL) {
        g_free(key);
        g_queue_unlink(&table->order, &e->link);
    } else {
        while (g_hash_table_size(table->entries) >= table->capacity)
            drop(table, g_queue_peek_head(&table->order));
        e = g_new0(entry, 1);
        e->key = key;
        e->link.data = e;
        g_hash_table_insert(table->entries, e->key, e);
    }
    if (e->failures < FAILURES_MAX)
        e->failures++;
    e->last_ms = now_ms;
    g_queue_push_tail_link(&table->order, &e->link);
}

void
penalty_record(penalty *table, const char *name, const char *address,
               bool success, int64_t now_ms)
{
    if (table == NULL || !table->settings.enable)
        return;
    char *name_key = make_key('n', name);
    char *address_key = make_key('a', address);
    g_mutex_lock(&table->lock);
    expire(table, now_ms);
    if (success) {
        /* The name proved itself; the address may still be guessing
         * other names, so its count stays. */
        entry *e = name_key != NULL
                   ? g_hash_table_lookup(table->entries, name_key) : NULL;
        if (e != NULL)
            drop(table, e);
        g_free(name_key);
        g_free(address_key);
    } else {
        if (name_key != NULL)
            add_failure(table, name_key, now_ms);
        if (address_key != NULL)
            add_failure(table, address_key, now_ms);
    }
    g_mutex_unlock(&table->lock);
}
