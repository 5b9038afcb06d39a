/*
 * backend_memory.c - the "memory" directory: principals listed in the
 * configuration file itself.
 *
 * Offers: the sd_backend_memory driver.  Reads, as Stalwart does,
 * [[directory."<name>".principals]] entries (name, type or class,
 * description, secret, email, email-list, member-of, quota) and also
 * Stalwart v0.4's [[...users]] and [[...groups]] arrays; lookup.domains
 * adds local domains to those of the configured addresses.
 *
 * Results: everything is held in hash tables built at open, so every
 * lookup is O(1) and needs no lock (nothing changes after open).
 *
 * Failure modes: a duplicate name or address, an invalid address or
 * domain, a member-of naming a principal that is not a group, or any bad
 * key or value is a configuration error naming file, line and key.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sd_address.h"
#include "sd_backend.h"
#include "sd_secret.h"

/* What an address is in this directory. */
typedef struct address_entry {
    sd_principal *owner;    /* mailbox or alias of this principal, or NULL */
    GPtrArray *members;     /* for a list: sd_principal* (borrowed) */
    unsigned line;          /* where it was first written */
} address_entry;

typedef struct memory_directory {
    GPtrArray *principals;  /* sd_principal*, in file order, owned */
    GHashTable *by_name;    /* casefolded name -> sd_principal* */
    GHashTable *lines;      /* sd_principal* -> GUINT line of its entry */
    GHashTable *addresses;  /* normalized address -> address_entry* */
    GHashTable *domains;    /* normalized domain (set) */
    guint individuals, groups, admins;
} memory_directory;

static void
address_entry_free(address_entry *entry)
{
    if (entry->members != NULL)
        g_ptr_array_unref(entry->members);
    g_free(entry);
}

static memory_directory *
memory_new(void)
{
    memory_directory *m = g_new0(memory_directory, 1);
    m->principals = g_ptr_array_new_with_free_func(
        (GDestroyNotify)sd_principal_free);
    m->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    m->lines = g_hash_table_new(g_direct_hash, g_direct_equal);
    m->addresses = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify)address_entry_free);
    m->domains = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return m;
}

static void
memory_close(void *state)
{
    memory_directory *m = state;
    if (m == NULL)
        return;
    g_hash_table_unref(m->addresses);
    g_hash_table_unref(m->domains);
    g_hash_table_unref(m->by_name);
    g_hash_table_unref(m->lines);
    g_ptr_array_unref(m->principals);
    g_free(m);
}

/* ------------------------------------------------------------------ */
/* Reading the configuration                                           */
/* ------------------------------------------------------------------ */

static void
add_domain_of(memory_directory *m, const char *address)
{
    const char *at = strrchr(address, '@');
    if (at != NULL)
        g_hash_table_add(m->domains, g_strdup(at + 1));
}

static char *
normalize_or_report(sd_cfg_table *entry, const char *key, unsigned line,
                    const char *address)
{
    GError *error = NULL;
    char *normalized = sd_address_normalize(address, &error);
    if (normalized == NULL) {
        sd_cfg_error(entry, key, line, "%s", error->message);
        g_error_free(error);
    }
    return normalized;
}

static const char *
owner_of(const address_entry *entry)
{
    return entry->owner != NULL ? entry->owner->name : "a mailing list";
}

/* Called for each valid address of a key; takes ADDRESS. */
typedef void (*address_fn)(memory_directory *m, sd_cfg_table *entry,
                           const char *key, unsigned line, char *address,
                           sd_principal *p);

/* Normalizes every address of KEY, reporting bad ones, and hands each
 * good one to ADD. */
static void
read_addresses(memory_directory *m, sd_cfg_table *entry, const char *key,
               sd_principal *p, address_fn add)
{
    GPtrArray *values = NULL;
    GArray *lines = NULL;
    if (sd_cfg_get_string_list(entry, key, &values, &lines) != SD_CFG_FOUND)
        return;
    for (guint i = 0; i < values->len; i++) {
        unsigned line = g_array_index(lines, unsigned, i);
        char *address = normalize_or_report(entry, key, line,
                                            g_ptr_array_index(values, i));
        if (address != NULL)
            add(m, entry, key, line, address, p);
    }
    g_ptr_array_unref(values);
    g_array_unref(lines);
}

/* email = [...]: the principal's own addresses, the first one primary. */
static void
add_email(memory_directory *m, sd_cfg_table *entry, const char *key,
          unsigned line, char *address, sd_principal *p)
{
    address_entry *existing = g_hash_table_lookup(m->addresses, address);
    if (existing != NULL) {
        sd_cfg_error(entry, key, line,
                     "address '%s' already belongs to %s (line %u); an "
                     "address may belong to one principal only",
                     address, owner_of(existing), existing->line);
        g_free(address);
        return;
    }
    address_entry *created = g_new0(address_entry, 1);
    created->owner = p;
    created->line = line;
    add_domain_of(m, address);
    g_ptr_array_add(p->emails, g_strdup(address));
    g_hash_table_insert(m->addresses, address, created);
}

/* email-list = [...]: lists this principal receives. */
static void
add_list_membership(memory_directory *m, sd_cfg_table *entry,
                    const char *key, unsigned line, char *address,
                    sd_principal *p)
{
    address_entry *list = g_hash_table_lookup(m->addresses, address);
    if (list != NULL && list->members == NULL) {
        sd_cfg_error(entry, key, line,
                     "address '%s' is already the address of '%s' (line "
                     "%u), so it cannot also be a list",
                     address, owner_of(list), list->line);
        g_free(address);
        return;
    }
    if (list == NULL) {
        list = g_new0(address_entry, 1);
        list->members = g_ptr_array_new();
        list->line = line;
        add_domain_of(m, address);
        g_hash_table_insert(m->addresses, g_strdup(address), list);
    }
    if (!sd_string_list_contains(p->lists, address)) {
        g_ptr_array_add(list->members, p);
        g_ptr_array_add(p->lists, address);
    } else {
        g_free(address);
    }
}

static void
read_strings_into(sd_cfg_table *entry, const char *key, GPtrArray *into)
{
    GPtrArray *values = NULL;
    if (sd_cfg_get_string_list(entry, key, &values, NULL) != SD_CFG_FOUND)
        return;
    for (guint i = 0; i < values->len; i++)
        g_ptr_array_add(into, g_strdup(g_ptr_array_index(values, i)));
    g_ptr_array_unref(values);
}

/*
 * Reads one principal entry.  ALLOW_CLASS: whether type/class may be
 * written (not in v0.4's users/groups arrays, whose array says it).
 */
static void
read_principal(memory_directory *m, sd_cfg_table *entry,
               sd_principal_type type, bool allow_class)
{
    const char *name = NULL;
    if (sd_cfg_get_string(entry, "name", &name) != SD_CFG_FOUND) {
        if (sd_cfg_get_value(entry, "name") == NULL)
            sd_cfg_error(entry, NULL, 0, "missing required key 'name'");
        sd_cfg_take_all(entry);
        return;
    }
    if (*name == '\0' || strlen(name) > SD_NAME_MAX) {
        sd_cfg_error(entry, "name", 0, "a name must have 1 to %d bytes",
                     SD_NAME_MAX);
        sd_cfg_take_all(entry);
        return;
    }
    const char *class_name = NULL, *class_key = NULL;
    if (allow_class
        && sd_cfg_get_string_alias(entry, "class", "type", &class_name,
                                   &class_key) == SD_CFG_FOUND
        && !sd_principal_type_parse(class_name, &type))
        sd_cfg_error(entry, class_key, 0,
                     "unknown %s '%s' (individual, person or user; group; "
                     "admin, superuser or administrator)", class_key,
                     class_name);

    char *folded = g_utf8_casefold(name, -1);
    sd_principal *previous = g_hash_table_lookup(m->by_name, folded);
    if (previous != NULL) {
        sd_cfg_error(entry, "name", 0,
                     "principal '%s' is already defined at line %u (names "
                     "are compared without regard to case)", name,
                     GPOINTER_TO_UINT(g_hash_table_lookup(m->lines,
                                                          previous)));
        g_free(folded);
        sd_cfg_take_all(entry);
        return;
    }

    sd_principal *p = sd_principal_new(name, type);
    g_ptr_array_add(m->principals, p);
    g_hash_table_insert(m->by_name, folded, p);
    g_hash_table_insert(m->lines, p,
                        GUINT_TO_POINTER(sd_cfg_line(entry, "name")));

    const char *description = NULL;
    if (sd_cfg_get_string(entry, "description", &description)
        == SD_CFG_FOUND)
        p->description = g_strdup(description);
    read_strings_into(entry, "secret", p->secrets);
    read_strings_into(entry, "member-of", p->member_of);
    read_addresses(m, entry, "email", p, add_email);
    read_addresses(m, entry, "email-list", p, add_list_membership);
    sd_cfg_get_size(entry, "quota", &p->quota);
}

static void
read_principal_array(memory_directory *m, sd_cfg_table *section,
                     const char *key, sd_principal_type type,
                     bool allow_class)
{
    GArray *entries = NULL;
    if (sd_cfg_get_table_array(section, key, &entries) != SD_CFG_FOUND)
        return;
    for (guint i = 0; i < entries->len; i++)
        read_principal(m, &g_array_index(entries, sd_cfg_table, i), type,
                       allow_class);
    sd_cfg_table_array_free(entries);
}

/* member-of must name groups when it names a principal at all; a name
 * nobody defines is a plain group label, as in Stalwart. */
static void
check_memberships(memory_directory *m, sd_cfg_table *section)
{
    for (guint i = 0; i < m->principals->len; i++) {
        sd_principal *p = g_ptr_array_index(m->principals, i);
        for (guint j = 0; j < p->member_of->len; j++) {
            const char *group = g_ptr_array_index(p->member_of, j);
            char *folded = g_utf8_casefold(group, -1);
            sd_principal *target = g_hash_table_lookup(m->by_name, folded);
            g_free(folded);
            if (target != NULL && target->type != SD_PRINCIPAL_GROUP)
                sd_cfg_error(section, "principals",
                             GPOINTER_TO_UINT(g_hash_table_lookup(m->lines,
                                                                  p)),
                             "'%s' is member-of '%s', which is an %s, not "
                             "a group", p->name, target->name,
                             sd_principal_type_name(target->type));
        }
        if (p->type == SD_PRINCIPAL_GROUP)
            m->groups++;
        else if (p->type == SD_PRINCIPAL_ADMIN)
            m->admins++;
        else
            m->individuals++;
    }
}

static void
read_domains(memory_directory *m, sd_cfg_table *section)
{
    sd_cfg_table lookup;
    if (sd_cfg_get_table(section, "lookup", &lookup) != SD_CFG_FOUND)
        return;
    GPtrArray *domains = NULL;
    GArray *lines = NULL;
    if (sd_cfg_get_string_list(&lookup, "domains", &domains, &lines)
        == SD_CFG_FOUND) {
        for (guint i = 0; i < domains->len; i++) {
            GError *error = NULL;
            char *domain = sd_domain_normalize(g_ptr_array_index(domains, i),
                                               &error);
            if (domain == NULL) {
                sd_cfg_error(&lookup, "domains",
                             g_array_index(lines, unsigned, i), "%s",
                             error->message);
                g_error_free(error);
                continue;
            }
            g_hash_table_add(m->domains, domain);
        }
        g_ptr_array_unref(domains);
        g_array_unref(lines);
    }
    sd_cfg_table_clear(&lookup);
}

static sd_result
memory_open(sd_directory *directory, sd_cfg_table *section, void **state,
            GError **error)
{
    (void)directory;
    (void)error;
    unsigned errors_before = sd_cfg_error_count(section->cfg);
    memory_directory *m = memory_new();

    read_principal_array(m, section, "principals", SD_PRINCIPAL_INDIVIDUAL,
                         true);
    read_principal_array(m, section, "users", SD_PRINCIPAL_INDIVIDUAL, false);
    read_principal_array(m, section, "groups", SD_PRINCIPAL_GROUP, false);
    check_memberships(m, section);
    read_domains(m, section);

    if (sd_cfg_error_count(section->cfg) != errors_before) {
        memory_close(m);
        return SD_ERROR;
    }
    *state = m;
    return SD_OK;
}

static char *
memory_describe(void *state)
{
    memory_directory *m = state;
    return g_strdup_printf("%u principals (%u individual, %u group, %u "
                           "admin), %u addresses, %u local domains",
                           m->principals->len, m->individuals, m->groups,
                           m->admins, g_hash_table_size(m->addresses),
                           g_hash_table_size(m->domains));
}

/* ------------------------------------------------------------------ */
/* Lookups                                                             */
/* ------------------------------------------------------------------ */

static sd_result
memory_lookup(void *state, const char *name, sd_principal **principal,
              GError **error)
{
    (void)error;
    memory_directory *m = state;
    char *folded = g_utf8_casefold(name, -1);
    sd_principal *found = g_hash_table_lookup(m->by_name, folded);
    g_free(folded);
    if (found == NULL)
        return SD_NOTFOUND;
    *principal = sd_principal_copy(found);
    return SD_OK;
}

static sd_result
memory_rcpt(void *state, const char *address, char **owner, GError **error)
{
    (void)error;
    memory_directory *m = state;
    address_entry *entry = g_hash_table_lookup(m->addresses, address);
    if (entry == NULL)
        return SD_NOTFOUND;
    if (owner != NULL)
        *owner = entry->owner != NULL ? g_strdup(entry->owner->name) : NULL;
    return SD_OK;
}

static sd_result
memory_is_local_domain(void *state, const char *domain, GError **error)
{
    (void)error;
    memory_directory *m = state;
    return g_hash_table_contains(m->domains, domain) ? SD_OK : SD_NOTFOUND;
}

static sd_result
memory_expand(void *state, const char *address, GPtrArray *members,
              GError **error)
{
    (void)error;
    memory_directory *m = state;
    address_entry *entry = g_hash_table_lookup(m->addresses, address);
    if (entry == NULL || entry->members == NULL)
        return SD_NOTFOUND;
    for (guint i = 0; i < entry->members->len; i++) {
        sd_principal *member = g_ptr_array_index(entry->members, i);
        if (member->emails->len > 0)
            g_ptr_array_add(members,
                            g_strdup(g_ptr_array_index(member->emails, 0)));
    }
    return SD_OK;
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static sd_result
memory_verify(void *state, const char *partial, GPtrArray *matches,
              GError **error)
{
    (void)error;
    memory_directory *m = state;
    for (guint i = 0; i < m->principals->len; i++) {
        sd_principal *p = g_ptr_array_index(m->principals, i);
        if (p->emails->len > 0
            && strstr(g_ptr_array_index(p->emails, 0), partial) != NULL)
            g_ptr_array_add(matches, g_strdup(g_ptr_array_index(p->emails,
                                                                0)));
    }
    g_ptr_array_sort(matches, compare_strings);
    return SD_OK;
}

static gint
compare_principal_names(gconstpointer a, gconstpointer b)
{
    const sd_principal *pa = *(const sd_principal *const *)a;
    const sd_principal *pb = *(const sd_principal *const *)b;
    char *fa = g_utf8_casefold(pa->name, -1);
    char *fb = g_utf8_casefold(pb->name, -1);
    gint order = strcmp(fa, fb);
    g_free(fa);
    g_free(fb);
    return order;
}

static sd_result
memory_list_principals(void *state, GPtrArray *principals, GError **error)
{
    (void)error;
    memory_directory *m = state;
    guint first = principals->len;
    for (guint i = 0; i < m->principals->len; i++)
        g_ptr_array_add(principals,
                        sd_principal_copy(g_ptr_array_index(m->principals,
                                                            i)));
    /* Sorted by name as the other drivers list them (the new ones only). */
    qsort(principals->pdata + first, principals->len - first,
          sizeof(gpointer), compare_principal_names);
    return SD_OK;
}

static sd_result
memory_list_domains(void *state, GPtrArray *domains, GError **error)
{
    (void)error;
    memory_directory *m = state;
    guint first = domains->len;
    GHashTableIter iter;
    gpointer key;
    g_hash_table_iter_init(&iter, m->domains);
    while (g_hash_table_iter_next(&iter, &key, NULL))
        g_ptr_array_add(domains, g_strdup(key));
    qsort(domains->pdata + first, domains->len - first, sizeof(gpointer),
          compare_strings);
    return SD_OK;
}

const sd_backend_ops sd_backend_memory = {
    .type = "memory",
    .open = memory_open,
    .close = memory_close,
    .describe = memory_describe,
    .lookup = memory_lookup,
    .authenticate = NULL,
    .rcpt = memory_rcpt,
    .is_local_domain = memory_is_local_domain,
    .expand = memory_expand,
    .verify = memory_verify,
    .list_principals = memory_list_principals,
    .list_domains = memory_list_domains,
};
