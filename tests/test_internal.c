/*
 * test_internal.c - the internal directory (backend_internal.c) through
 * the public API: every write, uniqueness, groups, lists, domains,
 * quotas, app passwords, SCRAM credentials, rehash, schema migration,
 * newer databases, the [store] form, busy stores and fork.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sd_backend.h"
#include "sd_check.h"
#include "sd_directory.h"
#include "sd_secret.h"

/* Cheap argon2id so the suite stays fast (and under sanitizers). */
#define SECRET_CONFIG \
    "[secret.argon2id]\nmemory = \"64K\"\ntime = 1\n"

static char *tmpdir;
static char *db_path;
static sd_registry *registry;
static sd_directory *dir;

static void
remove_tree(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    const char *entry;
    while (d != NULL && (entry = g_dir_read_name(d)) != NULL) {
        char *child = g_build_filename(path, entry, NULL);
        if (g_file_test(child, G_FILE_TEST_IS_DIR))
            remove_tree(child);
        else
            unlink(child);
        g_free(child);
    }
    if (d != NULL)
        g_dir_close(d);
    rmdir(path);
}

static const char *timeout = "300ms";

static char *
config_text(const char *extra_options)
{
    return g_strdup_printf(
        "[directory.d]\ntype = \"internal\"\nstore = \"%s\"\n"
        "timeout = \"%s\"\n"
        "[directory.d.options]\n%s\n"
        "[directory.d.cache]\nentries = 100\n"
        SECRET_CONFIG, db_path, timeout,
        extra_options != NULL ? extra_options : "");
}

static sd_registry *
load(const char *text, GError **error)
{
    return sd_registry_load_data(text, strlen(text), "i.toml", error);
}

static void
open_with(const char *options)
{
    char *text = config_text(options);
    GError *error = NULL;
    registry = load(text, &error);
    ck_assert_msg(registry != NULL, "%s", error ? error->message : "");
    dir = sd_registry_default(registry);
    g_free(text);
}

static void
setup(void)
{
    tmpdir = g_dir_make_tmp("sd-internal-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
    db_path = g_build_filename(tmpdir, "directory.db", NULL);
    open_with(NULL);
}

static void
setup_files_only(void)
{
    tmpdir = g_dir_make_tmp("sd-internal-XXXXXX", NULL);
    db_path = g_build_filename(tmpdir, "directory.db", NULL);
}

static void
teardown(void)
{
    sd_registry_unref(registry);
    registry = NULL;
    dir = NULL;
    remove_tree(tmpdir);
    g_free(tmpdir);
    g_free(db_path);
}

/* A principal with the given name, type and (NULL-ended) addresses. */
static sd_principal *
make(const char *name, sd_principal_type type, ...)
{
    sd_principal *p = sd_principal_new(name, type);
    va_list ap;
    va_start(ap, type);
    const char *address;
    while ((address = va_arg(ap, const char *)) != NULL)
        g_ptr_array_add(p->emails, g_strdup(address));
    va_end(ap);
    return p;
}

static void
store_ok(sd_principal *p, sd_store_mode mode)
{
    GError *error = NULL;
    sd_result r = sd_directory_store_principal(dir, p, mode, &error);
    ck_assert_msg(r == SD_OK, "%s", error ? error->message : "");
    sd_principal_free(p);
}

/* ERROR is a pointer: the call that sets it is an argument too, and
 * arguments have no order of evaluation. */
#define expect(got, wanted, errorp, text) \
    expect_at(__LINE__, got, wanted, errorp, text)
static void
expect_at(int line, sd_result got, sd_result wanted, GError **errorp,
          const char *text)
{
    GError *error = *errorp;
    ck_assert_msg(got == wanted, "line %d: result %s, wanted %s: %s", line,
                  sd_result_name(got), sd_result_name(wanted),
                  error != NULL ? error->message : "(no message)");
    if (text != NULL) {
        ck_assert_ptr_nonnull(error);
        ck_assert_msg(strstr(error->message, text) != NULL,
                      "wanted '%s' in: %s", text, error->message);
    }
}

static sd_result
auth(const char *name, const char *password)
{
    return sd_directory_authenticate(dir, name, password, NULL, NULL);
}

static void
set_password(const char *name, const char *password, const char *label,
             bool keep)
{
    GError *error = NULL;
    sd_result r = sd_directory_set_password(dir, name, password, NULL, label,
                                            keep, &error);
    ck_assert_msg(r == SD_OK, "%s", error ? error->message : "");
}

static sd_principal *
stored(const char *name)
{
    sd_principal *p = NULL;
    GError *error = NULL;
    sd_result r = sd_directory_lookup_uncached(dir, name, &p, &error);
    ck_assert_msg(r == SD_OK, "%s", error ? error->message : "");
    return p;
}

/* ------------------------------------------------------------------ */

START_TEST(create_and_read_back)
{
    struct stat st;
    ck_assert_int_eq(stat(db_path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert(sd_directory_is_writable(dir));

    sd_principal *p = make("Alice", SD_PRINCIPAL_INDIVIDUAL,
                           "Alice@Example.ORG", "ali@example.org", NULL);
    p->description = g_strdup("Alice Liddell");
    p->quota = 1024;
    g_ptr_array_add(p->secrets, g_strdup("{PLAIN}wonderland"));
    g_ptr_array_add(p->lists, g_strdup("All@Example.org"));
    store_ok(p, SD_STORE_CREATE);

    sd_principal *got = stored("alice");
    ck_assert_str_eq(got->name, "Alice");
    ck_assert_str_eq(got->description, "Alice Liddell");
    ck_assert_uint_eq(got->quota, 1024);
    ck_assert_uint_eq(got->emails->len, 2);
    ck_assert_str_eq(g_ptr_array_index(got->emails, 0), "alice@example.org");
    ck_assert_str_eq(g_ptr_array_index(got->emails, 1), "ali@example.org");
    ck_assert_str_eq(g_ptr_array_index(got->lists, 0), "all@example.org");
    ck_assert_str_eq(g_ptr_array_index(got->secrets, 0), "{PLAIN}wonderland");
    sd_principal_free(got);

    ck_assert_int_eq(auth("ALICE", "wonderland"), SD_OK);
    ck_assert_int_eq(auth("alice", "wrong"), SD_MISMATCH);
    ck_assert_int_eq(auth("nobody", "x"), SD_NOTFOUND);

    char *owner = NULL, *matched = NULL;
    ck_assert_int_eq(sd_directory_rcpt(dir, "ALI@example.org", &owner,
                                       &matched, NULL), SD_OK);
    ck_assert_str_eq(owner, "Alice");
    g_free(owner);
    g_free(matched);
    ck_assert_int_eq(sd_directory_rcpt(dir, "all@example.org", &owner, NULL,
                                       NULL), SD_OK);
    ck_assert_ptr_null(owner);
    ck_assert_int_eq(sd_directory_rcpt(dir, "zed@example.org", NULL, NULL,
                                       NULL), SD_NOTFOUND);
    ck_assert_int_eq(sd_directory_is_local_domain(dir, "EXAMPLE.org", NULL),
                     SD_OK);
    ck_assert_int_eq(sd_directory_is_local_domain(dir, "example.net", NULL),
                     SD_NOTFOUND);

    GPtrArray *matches = NULL;
    ck_assert_int_eq(sd_directory_verify(dir, "lic", &matches, NULL), SD_OK);
    ck_assert_uint_eq(matches->len, 1);
    ck_assert_str_eq(g_ptr_array_index(matches, 0), "alice@example.org");
    g_ptr_array_unref(matches);
    /* Only primary addresses are verified. */
    ck_assert_int_eq(sd_directory_verify(dir, "ali@", &matches, NULL),
                     SD_NOTFOUND);
}
END_TEST

/* Addresses are normalized in place: repeats (after normalization) are
 * dropped keeping the first's position, and a bad one after good ones
 * fails the store without leaking or freeing twice (ASan run). */
START_TEST(repeated_addresses_dropped)
{
    sd_principal *p = make("dup", SD_PRINCIPAL_INDIVIDUAL,
                           "Dup@Example.org", "a@example.org",
                           "dup@EXAMPLE.org.", "A@Example.Org", "b@example.org",
                           NULL);
    store_ok(p, SD_STORE_CREATE);
    sd_principal *got = stored("dup");
    ck_assert_uint_eq(got->emails->len, 3);
    ck_assert_str_eq(g_ptr_array_index(got->emails, 0), "dup@example.org");
    ck_assert_str_eq(g_ptr_array_index(got->emails, 1), "a@example.org");
    ck_assert_str_eq(g_ptr_array_index(got->emails, 2), "b@example.org");
    sd_principal_free(got);

    GError *error = NULL;
    p = make("bad", SD_PRINCIPAL_INDIVIDUAL, "X@example.org",
             "x@example.org", "not an address", "y@example.org", NULL);
    expect(sd_directory_store_principal(dir, p, SD_STORE_CREATE, &error),
           SD_ERROR, &error, "principal bad: address 'not an address'");
    g_clear_error(&error);
    sd_principal_free(p);
    ck_assert_int_eq(sd_directory_rcpt(dir, "x@example.org", NULL, NULL,
                                       NULL), SD_NOTFOUND);
}
END_TEST

START_TEST(names_unique_case_insensitively)
{
    store_ok(make("bob", SD_PRINCIPAL_INDIVIDUAL, NULL), SD_STORE_CREATE);
    GError *error = NULL;
    sd_principal *p = make("BOB", SD_PRINCIPAL_INDIVIDUAL, NULL);
    expect(sd_directory_store_principal(dir, p, SD_STORE_CREATE, &error),
           SD_ERROR, &error, "principal BOB already exists (as bob)");
    g_clear_error(&error);
    /* Non-ASCII names fold too. */
    sd_principal_free(p);
    store_ok(make("Ärger", SD_PRINCIPAL_INDIVIDUAL, NULL), SD_STORE_CREATE);
    p = make("äRGER", SD_PRINCIPAL_INDIVIDUAL, NULL);
    expect(sd_directory_store_principal(dir, p, SD_STORE_CREATE, &error),
           SD_ERROR, &error, "already exists");
    g_clear_error(&error);
    sd_principal_free(p);
    sd_principal *got = stored("ärger");
    ck_assert_str_eq(got->name, "Ärger");
    sd_principal_free(got);
}
END_TEST

START_TEST(addresses_unique_case_insensitively)
{
    store_ok(make("robert", SD_PRINCIPAL_INDIVIDUAL, "bob@example.org",
                  NULL), SD_STORE_CREATE);
    GError *error = NULL;
    sd_principal *p = make("bobby", SD_PRINCIPAL_INDIVIDUAL,
                           "BOB@EXAMPLE.org", NULL);
    expect(sd_directory_store_principal(dir, p, SD_STORE_CREATE, &error),
           SD_ERROR, &error,
           "address bob@example.org already belongs to principal robert");
    g_clear_error(&error);
    sd_principal_free(p);
    ck_assert_int_eq(sd_directory_lookup(dir, "bobby", NULL, NULL),
                     SD_NOTFOUND);

    store_ok(make("carol", SD_PRINCIPAL_INDIVIDUAL, NULL), SD_STORE_CREATE);
    expect(sd_directory_add_email(dir, "carol", "Bob@Example.Org", &error),
           SD_ERROR, &error, "already belongs to principal robert");
    g_clear_error(&error);
    /* A mailbox cannot be a list, nor a list a mailbox. */
    expect(sd_directory_add_list_member(dir, "bob@example.org", "carol",
                                        &error),
           SD_ERROR, &error, "already belongs to principal robert");
    g_clear_error(&error);
    ck_assert_int_eq(sd_directory_add_list_member(dir, "team@example.org",
                                                  "carol", NULL), SD_OK);
    expect(sd_directory_add_email(dir, "carol", "TEAM@example.org", &error),
           SD_ERROR, &error, "already a mailing list");
    g_clear_error(&error);
    /* Storing one's own address again is no conflict. */
    sd_principal *again = stored("robert");
    g_ptr_array_add(again->secrets, g_strdup("{PLAIN}x"));
    store_ok(again, SD_STORE_REPLACE);
}
END_TEST

START_TEST(modes_and_atomic_batches)
{
    GError *error = NULL;
    sd_principal *p = make("dave", SD_PRINCIPAL_INDIVIDUAL, NULL);
    expect(sd_directory_store_principal(dir, p, SD_STORE_REPLACE, &error),
           SD_NOTFOUND, &error, "dave");
    g_clear_error(&error);
    store_ok(p, SD_STORE_UPSERT);
    p = make("Dave", SD_PRINCIPAL_ADMIN, "dave@example.org", NULL);
    p->quota = 7;
    store_ok(p, SD_STORE_UPSERT);
    sd_principal *got = stored("dave");
    ck_assert_str_eq(got->name, "Dave");
    ck_assert_int_eq(got->type, SD_PRINCIPAL_ADMIN);
    ck_assert_uint_eq(got->quota, 7);
    ck_assert(got->superuser);
    sd_principal_free(got);

    /* A batch whose last member conflicts writes nothing. */
    GPtrArray *batch = g_ptr_array_new_with_free_func(
        (GDestroyNotify)sd_principal_free);
    for (int i = 0; i < 100; i++) {
        char *name = g_strdup_printf("user%03d", i);
        char *address = g_strdup_printf("user%03d@example.org", i);
        g_ptr_array_add(batch, make(name, SD_PRINCIPAL_INDIVIDUAL, address,
                                    NULL));
        g_free(name);
        g_free(address);
    }
    g_ptr_array_add(batch, make("eve", SD_PRINCIPAL_INDIVIDUAL,
                                "Dave@example.org", NULL));
    expect(sd_directory_store_principals(dir, batch, SD_STORE_CREATE,
                                         &error),
           SD_ERROR, &error, "already belongs to principal Dave");
    g_clear_error(&error);
    ck_assert_int_eq(sd_directory_lookup(dir, "user000", NULL, NULL),
                     SD_NOTFOUND);
    g_ptr_array_remove_index(batch, batch->len - 1);
    ck_assert_int_eq(sd_directory_store_principals(dir, batch,
                                                   SD_STORE_CREATE, NULL),
                     SD_OK);
    g_ptr_array_unref(batch);
    GPtrArray *all = NULL;
    ck_assert_int_eq(sd_directory_list_principals(dir, &all, NULL), SD_OK);
    ck_assert_uint_eq(all->len, 101);
    ck_assert_str_eq(((sd_principal *)g_ptr_array_index(all, 0))->name,
                     "Dave");
    ck_assert_str_eq(((sd_principal *)g_ptr_array_index(all, 100))->name,
                     "user099");
    g_ptr_array_unref(all);

    /* Invalid input is refused before the store sees it. */
    p = make("frank", SD_PRINCIPAL_INDIVIDUAL, "not an address", NULL);
    expect(sd_directory_store_principal(dir, p, SD_STORE_CREATE, &error),
           SD_ERROR, &error, "not an address");
    g_clear_error(&error);
    sd_principal_free(p);
    p = make("frank", SD_PRINCIPAL_INDIVIDUAL, NULL);
    g_ptr_array_add(p->secrets, g_strdup("{NOSUCH}abc"));
    expect(sd_directory_store_principal(dir, p, SD_STORE_CREATE, &error),
           SD_ERROR, &error, "unknown scheme");
    g_clear_error(&error);
    sd_principal_free(p);
    p = make("frank", SD_PRINCIPAL_INDIVIDUAL, NULL);
    g_ptr_array_add(p->auth_passwords, g_strdup("SCRAM-SHA-256$x"));
    expect(sd_directory_store_principal(dir, p, SD_STORE_CREATE, &error),
           SD_ERROR, &error, "authPassword #1");
    g_clear_error(&error);
    sd_principal_free(p);
}
END_TEST

START_TEST(delete_principal)
{
    store_ok(make("staff", SD_PRINCIPAL_GROUP, NULL), SD_STORE_CREATE);
    sd_principal *p = make("gina", SD_PRINCIPAL_INDIVIDUAL,
                           "gina@example.org", NULL);
    g_ptr_array_add(p->secrets, g_strdup("{PLAIN}pw"));
    store_ok(p, SD_STORE_CREATE);
    ck_assert_int_eq(sd_directory_add_member(dir, "staff", "gina", NULL),
                     SD_OK);
    ck_assert_int_eq(auth("gina", "pw"), SD_OK);    /* now cached */
    ck_assert_int_eq(sd_directory_delete_principal(dir, "staff", NULL),
                     SD_OK);
    sd_principal *got = stored("gina");
    ck_assert_uint_eq(got->member_of->len, 0);
    sd_principal_free(got);
    ck_assert_int_eq(sd_directory_delete_principal(dir, "GINA", NULL), SD_OK);
    ck_assert_int_eq(auth("gina", "pw"), SD_NOTFOUND);
    ck_assert_int_eq(sd_directory_rcpt(dir, "gina@example.org", NULL, NULL,
                                       NULL), SD_NOTFOUND);
    GError *error = NULL;
    expect(sd_directory_delete_principal(dir, "gina", &error), SD_NOTFOUND,
           &error, "gina");
    g_clear_error(&error);
}
END_TEST

START_TEST(passwords_and_scram)
{
    store_ok(make("hank", SD_PRINCIPAL_INDIVIDUAL, NULL), SD_STORE_CREATE);
    ck_assert_int_eq(auth("hank", "first"), SD_MISMATCH);
    set_password("hank", "first", NULL, false);
    ck_assert_int_eq(auth("hank", "first"), SD_OK);
    set_password("hank", "second", NULL, false);
    ck_assert_int_eq(auth("hank", "first"), SD_MISMATCH);
    ck_assert_int_eq(auth("hank", "second"), SD_OK);

    sd_principal *got = stored("hank");
    ck_assert_uint_eq(got->secrets->len, 1);
    ck_assert(g_str_has_prefix(g_ptr_array_index(got->secrets, 0),
                               "$argon2id$"));
    ck_assert_uint_eq(got->auth_passwords->len, 2);
    const char *sha1 = g_ptr_array_index(got->auth_passwords, 0);
    const char *sha256 = g_ptr_array_index(got->auth_passwords, 1);
    ck_assert(g_str_has_prefix(sha1, "SCRAM-SHA-1$4096:"));
    ck_assert(g_str_has_prefix(sha256, "SCRAM-SHA-256$4096:"));
    ck_assert_int_eq(sd_secret_scram_check(sha256, NULL), SD_OK);
    ck_assert_int_eq(sd_secret_scram_verify(NULL, sha256, "second", NULL),
                     SD_OK);
    ck_assert_int_eq(sd_secret_scram_verify(NULL, sha1, "second", NULL),
                     SD_OK);
    ck_assert_int_eq(sd_secret_scram_verify(NULL, sha256, "first", NULL),
                     SD_MISMATCH);
    sd_principal_free(got);

    /* The cached lookup never carries secrets or credentials. */
    sd_principal *cached = NULL;
    ck_assert_int_eq(sd_directory_lookup(dir, "hank", &cached, NULL), SD_OK);
    ck_assert_uint_eq(cached->secrets->len, 0);
    ck_assert_uint_eq(cached->auth_passwords->len, 0);
    sd_principal_free(cached);

    /* KEEP_OTHERS adds a second main password. */
    set_password("hank", "third", NULL, true);
    ck_assert_int_eq(auth("hank", "second"), SD_OK);
    ck_assert_int_eq(auth("hank", "third"), SD_OK);

    /* Another scheme on request; an unknown one is refused. */
    GError *error = NULL;
    ck_assert_int_eq(sd_directory_set_password(dir, "hank", "fourth",
                                               "ssha512", NULL, false, NULL),
                     SD_OK);
    got = stored("hank");
    ck_assert(g_str_has_prefix(g_ptr_array_index(got->secrets, 0),
                               "{SSHA512}"));
    sd_principal_free(got);
    expect(sd_directory_set_password(dir, "hank", "x", "nosuch", NULL, false,
                                     &error), SD_ERROR, &error, "nosuch");
    g_clear_error(&error);
    expect(sd_directory_set_password(dir, "nobody", "x", NULL, NULL, false,
                                     &error), SD_NOTFOUND, &error, "nobody");
    g_clear_error(&error);
    expect(sd_directory_set_password(dir, "hank", "", NULL, NULL, false,
                                     &error), SD_ERROR, &error, "empty");
    g_clear_error(&error);
}
END_TEST

/* A principal stored with a plaintext main password (an import, a
 * {PLAIN} secret given to "principal add") gets SCRAM credentials of
 * [secret.scram] iterations; hashes and given credentials stay as
 * they are. */
START_TEST(plaintext_store_makes_scram)
{
    sd_registry_unref(registry);
    open_with("[secret.scram]\niterations = 5000\n");
    const char *plain[] = { "{PLAIN}Imp0rted", "Imp0rted", "{CLEARTEXT}Imp0rted" };
    for (size_t n = 0; n < G_N_ELEMENTS(plain); n++) {
        sd_principal *p = make("ivy", SD_PRINCIPAL_INDIVIDUAL, NULL);
        /* An app password first: the main password is what counts. */
        g_ptr_array_add(p->secrets, g_strdup("$app$phone${PLAIN}other"));
        g_ptr_array_add(p->secrets, g_strdup(plain[n]));
        store_ok(p, SD_STORE_UPSERT);
        sd_principal *got = stored("ivy");
        ck_assert_uint_eq(got->secrets->len, 2);
        ck_assert_str_eq(g_ptr_array_index(got->secrets, 1), plain[n]);
        ck_assert_uint_eq(got->auth_passwords->len, 2);
        const char *sha1 = g_ptr_array_index(got->auth_passwords, 0);
        const char *sha256 = g_ptr_array_index(got->auth_passwords, 1);
        ck_assert_msg(g_str_has_prefix(sha1, "SCRAM-SHA-1$5000:"), "%s", sha1);
        ck_assert_msg(g_str_has_prefix(sha256, "SCRAM-SHA-256$5000:"), "%s",
                      sha256);
        ck_assert_int_eq(sd_secret_scram_verify(NULL, sha256, "Imp0rted",
                                                NULL), SD_OK);
        ck_assert_int_eq(sd_secret_scram_verify(NULL, sha1, "Imp0rted",
                                                NULL), SD_OK);
        ck_assert_int_eq(sd_secret_scram_verify(NULL, sha256, "other",
                                                NULL), SD_MISMATCH);
        sd_principal_free(got);
        ck_assert_int_eq(sd_directory_delete_principal(dir, "ivy", NULL),
                         SD_OK);
    }

    /* A fresh salt each time: two principals, one password, two keys. */
    sd_principal *a = make("ivy", SD_PRINCIPAL_INDIVIDUAL, NULL);
    g_ptr_array_add(a->secrets, g_strdup("{PLAIN}same"));
    store_ok(a, SD_STORE_CREATE);
    sd_principal *b = make("jay", SD_PRINCIPAL_INDIVIDUAL, NULL);
    g_ptr_array_add(b->secrets, g_strdup("{PLAIN}same"));
    store_ok(b, SD_STORE_CREATE);
    a = stored("ivy");
    b = stored("jay");
    ck_assert_str_ne(g_ptr_array_index(a->auth_passwords, 1),
                     g_ptr_array_index(b->auth_passwords, 1));
    sd_principal_free(a);
    sd_principal_free(b);

    /* A hash is stored unchanged, with no credentials. */
    char *hash = sd_secret_hash(NULL, "ssha512", "hashed", NULL);
    sd_principal *h = make("kit", SD_PRINCIPAL_INDIVIDUAL, NULL);
    g_ptr_array_add(h->secrets, g_strdup(hash));
    store_ok(h, SD_STORE_CREATE);
    h = stored("kit");
    ck_assert_str_eq(g_ptr_array_index(h->secrets, 0), hash);
    ck_assert_uint_eq(h->auth_passwords->len, 0);
    sd_principal_free(h);
    sd_secret_free(hash);

    /* Credentials that come with the principal are kept as given. */
    char *given = sd_secret_scram_make(NULL, "SCRAM-SHA-256", "given", NULL);
    sd_principal *g = make("lou", SD_PRINCIPAL_INDIVIDUAL, NULL);
    g_ptr_array_add(g->secrets, g_strdup("{PLAIN}given"));
    g_ptr_array_add(g->auth_passwords, g_strdup(given));
    store_ok(g, SD_STORE_CREATE);
    g = stored("lou");
    ck_assert_uint_eq(g->auth_passwords->len, 1);
    ck_assert_str_eq(g_ptr_array_index(g->auth_passwords, 0), given);
    sd_principal_free(g);
    sd_secret_free(given);
}
END_TEST

START_TEST(app_passwords)
{
    store_ok(make("ivy", SD_PRINCIPAL_INDIVIDUAL, NULL), SD_STORE_CREATE);
    set_password("ivy", "main-pw", NULL, false);
    set_password("ivy", "phone-pw", "phone", false);
    set_password("ivy", "laptop-pw", "laptop", false);
    ck_assert_int_eq(auth("ivy", "main-pw"), SD_OK);
    ck_assert_int_eq(auth("ivy", "phone-pw"), SD_OK);
    ck_assert_int_eq(auth("ivy", "laptop-pw"), SD_OK);
    /* A new main password keeps the app passwords. */
    set_password("ivy", "main-2", NULL, false);
    ck_assert_int_eq(auth("ivy", "main-pw"), SD_MISMATCH);
    ck_assert_int_eq(auth("ivy", "phone-pw"), SD_OK);
    /* Removing one stops it at once, though its success is cached. */
    ck_assert_int_eq(sd_directory_remove_secret(dir, "ivy", "phone", NULL),
                     SD_OK);
    ck_assert_int_eq(auth("ivy", "phone-pw"), SD_MISMATCH);
    ck_assert_int_eq(auth("ivy", "laptop-pw"), SD_OK);
    ck_assert_int_eq(auth("ivy", "main-2"), SD_OK);
    /* Setting a label again replaces it. */
    set_password("ivy", "laptop-2", "laptop", false);
    ck_assert_int_eq(auth("ivy", "laptop-pw"), SD_MISMATCH);
    ck_assert_int_eq(auth("ivy", "laptop-2"), SD_OK);
    sd_principal *got = stored("ivy");
    ck_assert_uint_eq(got->secrets->len, 2);
    ck_assert(g_str_has_prefix(g_ptr_array_index(got->secrets, 1),
                               "$app$laptop$$argon2id$"));
    sd_principal_free(got);
    GError *error = NULL;
    expect(sd_directory_remove_secret(dir, "ivy", "phone", &error),
           SD_NOTFOUND, &error, "no app password labelled 'phone'");
    g_clear_error(&error);
    expect(sd_directory_set_password(dir, "ivy", "x", NULL, "a$b", false,
                                     &error), SD_ERROR, &error, "label");
    g_clear_error(&error);
}
END_TEST

START_TEST(nested_groups_and_quotas)
{
    sd_principal *g = make("all", SD_PRINCIPAL_GROUP, NULL);
    g->quota = 5000;
    store_ok(g, SD_STORE_CREATE);
    store_ok(make("sales", SD_PRINCIPAL_GROUP, NULL), SD_STORE_CREATE);
    store_ok(make("superusers", SD_PRINCIPAL_GROUP, NULL), SD_STORE_CREATE);
    store_ok(make("jack", SD_PRINCIPAL_INDIVIDUAL, NULL), SD_STORE_CREATE);
    ck_assert_int_eq(sd_directory_add_member(dir, "Sales", "jack", NULL),
                     SD_OK);
    sd_principal *p = NULL;
    ck_assert_int_eq(sd_directory_lookup(dir, "jack", &p, NULL), SD_OK);
    ck_assert_uint_eq(p->groups->len, 1);
    ck_assert_uint_eq(p->effective_quota, 0);
    sd_principal_free(p);
    /* The group joins another: jack's cached entry must follow. */
    ck_assert_int_eq(sd_directory_add_member(dir, "all", "sales", NULL),
                     SD_OK);
    ck_assert_int_eq(sd_directory_add_member(dir, "superusers", "all", NULL),
                     SD_OK);
    ck_assert_int_eq(sd_directory_lookup(dir, "jack", &p, NULL), SD_OK);
    ck_assert_uint_eq(p->groups->len, 3);
    ck_assert_str_eq(g_ptr_array_index(p->groups, 0), "sales");
    ck_assert_str_eq(g_ptr_array_index(p->groups, 1), "all");
    ck_assert_str_eq(g_ptr_array_index(p->groups, 2), "superusers");
    ck_assert_uint_eq(p->effective_quota, 5000);
    ck_assert(p->superuser);
    sd_principal_free(p);

    GError *error = NULL;
    expect(sd_directory_add_member(dir, "jack", "sales", &error), SD_ERROR,
           &error, "not a group");
    g_clear_error(&error);
    expect(sd_directory_add_member(dir, "nosuch", "jack", &error),
           SD_NOTFOUND, &error, "nosuch");
    g_clear_error(&error);
    expect(sd_directory_add_member(dir, "sales", "sales", &error), SD_ERROR,
           &error, "itself");
    g_clear_error(&error);
    ck_assert_int_eq(sd_directory_remove_member(dir, "all", "sales", NULL),
                     SD_OK);
    ck_assert_int_eq(sd_directory_lookup(dir, "jack", &p, NULL), SD_OK);
    ck_assert_uint_eq(p->groups->len, 1);
    ck_assert(!p->superuser);
    sd_principal_free(p);
    expect(sd_directory_remove_member(dir, "all", "jack", &error),
           SD_NOTFOUND, &error, "has no group all");
    g_clear_error(&error);
}
END_TEST

START_TEST(lists_and_aliases)
{
    store_ok(make("kim", SD_PRINCIPAL_INDIVIDUAL, "kim@example.org", NULL),
             SD_STORE_CREATE);
    store_ok(make("lee", SD_PRINCIPAL_INDIVIDUAL, "lee@example.com", NULL),
             SD_STORE_CREATE);
    store_ok(make("noaddr", SD_PRINCIPAL_INDIVIDUAL, NULL), SD_STORE_CREATE);
    ck_assert_int_eq(sd_directory_rcpt(dir, "news@example.org", NULL, NULL,
                                       NULL), SD_NOTFOUND);   /* cached */
    ck_assert_int_eq(sd_directory_add_list_member(dir, "News@example.org",
                                                  "kim", NULL), SD_OK);
    ck_assert_int_eq(sd_directory_add_list_member(dir, "news@example.org",
                                                  "lee", NULL), SD_OK);
    ck_assert_int_eq(sd_directory_add_list_member(dir, "news@example.org",
                                                  "noaddr", NULL), SD_OK);
    ck_assert_int_eq(sd_directory_rcpt(dir, "news@example.org", NULL, NULL,
                                       NULL), SD_OK);
    GPtrArray *members = NULL;
    ck_assert_int_eq(sd_directory_expand(dir, "news@example.org", &members,
                                         NULL), SD_OK);
    ck_assert_uint_eq(members->len, 2);
    ck_assert_str_eq(g_ptr_array_index(members, 0), "kim@example.org");
    ck_assert_str_eq(g_ptr_array_index(members, 1), "lee@example.com");
    g_ptr_array_unref(members);
    ck_assert_int_eq(sd_directory_remove_list_member(dir, "news@example.org",
                                                     "kim", NULL), SD_OK);
    ck_assert_int_eq(sd_directory_expand(dir, "news@example.org", &members,
                                         NULL), SD_OK);
    ck_assert_uint_eq(members->len, 1);
    g_ptr_array_unref(members);
    ck_assert_int_eq(sd_directory_expand(dir, "kim@example.org", &members,
                                         NULL), SD_NOTFOUND);

    /* Aliases. */
    ck_assert_int_eq(sd_directory_rcpt(dir, "k@example.org", NULL, NULL,
                                       NULL), SD_NOTFOUND);   /* cached */
    ck_assert_int_eq(sd_directory_add_email(dir, "kim", "K@example.org",
                                            NULL), SD_OK);
    char *owner = NULL;
    ck_assert_int_eq(sd_directory_rcpt(dir, "k@example.org", &owner, NULL,
                                       NULL), SD_OK);
    ck_assert_str_eq(owner, "kim");
    g_free(owner);
    ck_assert_int_eq(sd_directory_remove_email(dir, "kim", "k@EXAMPLE.org",
                                               NULL), SD_OK);
    ck_assert_int_eq(sd_directory_rcpt(dir, "k@example.org", NULL, NULL,
                                       NULL), SD_NOTFOUND);
    GError *error = NULL;
    expect(sd_directory_remove_email(dir, "kim", "k@example.org", &error),
           SD_NOTFOUND, &error, "has no address k@example.org");
    g_clear_error(&error);
    expect(sd_directory_add_email(dir, "kim", "bad address", &error),
           SD_ERROR, &error, "not an address");
    g_clear_error(&error);
}
END_TEST

START_TEST(domains)
{
    GError *error = NULL;
    ck_assert_int_eq(sd_directory_is_local_domain(dir, "example.net", NULL),
                     SD_NOTFOUND);  /* and cached so */
    ck_assert_int_eq(sd_directory_add_domain(dir, "Example.NET", NULL),
                     SD_OK);
    ck_assert_int_eq(sd_directory_is_local_domain(dir, "example.net", NULL),
                     SD_OK);
    ck_assert_int_eq(sd_directory_add_domain(dir, "bücher.example", NULL),
                     SD_OK);
    store_ok(make("max", SD_PRINCIPAL_INDIVIDUAL, "max@example.com", NULL),
             SD_STORE_CREATE);
    GPtrArray *all = NULL;
    ck_assert_int_eq(sd_directory_list_domains(dir, &all, NULL), SD_OK);
    ck_assert_uint_eq(all->len, 3);
    ck_assert_str_eq(g_ptr_array_index(all, 0), "example.com");
    ck_assert_str_eq(g_ptr_array_index(all, 1), "example.net");
    ck_assert_str_eq(g_ptr_array_index(all, 2), "xn--bcher-kva.example");
    g_ptr_array_unref(all);
    expect(sd_directory_remove_domain(dir, "example.com", &error), SD_ERROR,
           &error, "still in use (address max@example.com)");
    g_clear_error(&error);
    ck_assert_int_eq(sd_directory_remove_domain(dir, "example.net", NULL),
                     SD_OK);
    ck_assert_int_eq(sd_directory_is_local_domain(dir, "example.net", NULL),
                     SD_NOTFOUND);
    expect(sd_directory_remove_domain(dir, "example.net", &error),
           SD_NOTFOUND, &error, "not a local domain");
    g_clear_error(&error);
    expect(sd_directory_add_domain(dir, "bad domain", &error), SD_ERROR,
           &error, "not a domain");
    g_clear_error(&error);
}
END_TEST

/* A secret of a weaker scheme for PASSWORD (SSHA512). */
static char *
weak_secret(const char *password)
{
    return sd_secret_hash(NULL, "ssha512", password, NULL);
}

START_TEST(rehash_off)
{
    sd_principal *p = make("nina", SD_PRINCIPAL_INDIVIDUAL, NULL);
    g_ptr_array_add(p->secrets, weak_secret("pw"));
    store_ok(p, SD_STORE_CREATE);
    ck_assert_int_eq(auth("nina", "pw"), SD_OK);
    sd_principal *got = stored("nina");
    ck_assert(g_str_has_prefix(g_ptr_array_index(got->secrets, 0),
                               "{SSHA512}"));
    sd_principal_free(got);
}
END_TEST

START_TEST(rehash_on)
{
    sd_registry_unref(registry);
    open_with("rehash = true");
    sd_principal *p = make("oscar", SD_PRINCIPAL_INDIVIDUAL, NULL);
    g_ptr_array_add(p->secrets, g_strdup("{PLAIN}pw"));
    char *weak = weak_secret("app");
    g_ptr_array_add(p->secrets, g_strdup_printf("$app$mail$%s", weak));
    g_free(weak);
    store_ok(p, SD_STORE_CREATE);

    ck_assert_int_eq(auth("oscar", "wrong"), SD_MISMATCH);
    sd_principal *got = stored("oscar");
    ck_assert_str_eq(g_ptr_array_index(got->secrets, 0), "{PLAIN}pw");
    sd_principal_free(got);

    ck_assert_int_eq(auth("oscar", "pw"), SD_OK);
    got = stored("oscar");
    ck_assert(g_str_has_prefix(g_ptr_array_index(got->secrets, 0),
                               "$argon2id$"));
    ck_assert(g_str_has_prefix(g_ptr_array_index(got->secrets, 1),
                               "$app$mail${SSHA512}"));
    /* A principal without SCRAM credentials gets them. */
    ck_assert_uint_eq(got->auth_passwords->len, 2);
    ck_assert_int_eq(sd_secret_scram_verify(NULL, g_ptr_array_index(
        got->auth_passwords, 1), "pw", NULL), SD_OK);
    char *upgraded = g_strdup(g_ptr_array_index(got->secrets, 0));
    sd_principal_free(got);

    ck_assert_int_eq(auth("oscar", "app"), SD_OK);
    got = stored("oscar");
    ck_assert_str_eq(g_ptr_array_index(got->secrets, 0), upgraded);
    ck_assert(g_str_has_prefix(g_ptr_array_index(got->secrets, 1),
                               "$app$mail$$argon2id$"));
    sd_principal_free(got);
    g_free(upgraded);
    /* Both still log in, through the cache and without it. */
    sd_directory_cache_flush(dir, SD_CACHE_ANY_KIND, NULL);
    ck_assert_int_eq(auth("oscar", "pw"), SD_OK);
    ck_assert_int_eq(auth("oscar", "app"), SD_OK);
}
END_TEST

START_TEST(rehash_never_blocks_login)
{
    sd_registry_unref(registry);
    timeout = "10s";
    open_with("rehash = true");
    timeout = "300ms";
    sd_principal *p = make("paul", SD_PRINCIPAL_INDIVIDUAL, NULL);
    g_ptr_array_add(p->secrets, g_strdup("{PLAIN}pw"));
    store_ok(p, SD_STORE_CREATE);
    /* Another process holds the write lock. */
    sqlite3 *other = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &other), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
                                  NULL), SQLITE_OK);
    gint64 start = g_get_monotonic_time();
    ck_assert_int_eq(auth("paul", "pw"), SD_OK);
    /* No wait for the 10 s busy timeout (the hash itself takes a few
     * milliseconds, more under sanitizers on a loaded machine). */
    ck_assert_int_lt(g_get_monotonic_time() - start, 5000 * 1000);
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    sd_principal *got = stored("paul");
    ck_assert_str_eq(g_ptr_array_index(got->secrets, 0), "{PLAIN}pw");
    sd_principal_free(got);
}
END_TEST

START_TEST(weaker_rule)
{
    sd_secret_policy *policy = sd_secret_policy_new();
    char *strong = sd_secret_hash(policy, NULL, "pw", NULL);
    ck_assert(!sd_secret_is_weaker(policy, strong));
    char *app = g_strdup_printf("$app$x$%s", strong);
    ck_assert(!sd_secret_is_weaker(policy, app));
    g_free(app);
    ck_assert(sd_secret_is_weaker(policy, "pw"));
    ck_assert(sd_secret_is_weaker(policy, "{PLAIN}pw"));
    ck_assert(sd_secret_is_weaker(policy,
                                  "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"));
    ck_assert(sd_secret_is_weaker(policy, "$app$x${PLAIN}pw"));
    ck_assert(!sd_secret_is_weaker(policy, "$disabled$"));
    ck_assert(!sd_secret_is_weaker(policy, "{NOSUCH}x"));
    /* The default scheme at a lower cost than the policy's. */
    ck_assert(sd_secret_is_weaker(policy,
        "$argon2id$v=19$m=4096,t=1,p=1$c29tZXNhbHQ$"
        "1ZxAE5MzsMg1hlzkMo6NtTm42Tke3uRf7yJfSZdzyuU"));
    ck_assert_int_eq(sd_secret_policy_set_param(policy, "argon2id", "memory",
                                                "64M", NULL), SD_OK);
    ck_assert(sd_secret_is_weaker(policy, strong));
    sd_secret_free(strong);
    sd_secret_policy_free(policy);
}
END_TEST

START_TEST(read_only_directories)
{
    const char *text = "[directory.m]\ntype = \"memory\"\n"
                       "[[directory.m.principals]]\nname = \"a\"\n"
                       "secret = \"x\"\n";
    sd_registry *m = load(text, NULL);
    ck_assert_ptr_nonnull(m);
    sd_directory *md = sd_registry_default(m);
    ck_assert(!sd_directory_is_writable(md));
    GError *error = NULL;
    expect(sd_directory_set_password(md, "a", "y", NULL, NULL, false,
                                     &error), SD_ERROR, &error,
           "directory 'm' (type memory) is read-only");
    g_clear_error(&error);
    expect(sd_directory_add_domain(md, "example.org", &error), SD_ERROR,
           &error, "read-only");
    g_clear_error(&error);
    /* A memory directory can be listed, though not written. */
    GPtrArray *all = NULL;
    ck_assert_int_eq(sd_directory_list_principals(md, &all, NULL), SD_OK);
    ck_assert_uint_eq(all->len, 1);
    ck_assert_str_eq(((sd_principal *)g_ptr_array_index(all, 0))->secrets
                     ->pdata[0], "x");
    g_ptr_array_unref(all);
    sd_registry_unref(m);
    text = "[directory.m]\ntype = \"memory\"\noptions.rehash = true\n";
    ck_assert_ptr_null(load(text, &error));
    ck_assert_msg(strstr(error->message, "options.rehash: only a writable "
                         "directory") != NULL, "%s", error->message);
    g_clear_error(&error);
}
END_TEST

/* Makes a version-1 database at db_path holding principal "old". */
static void
make_v1_database(void)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, sd_internal_schema_sql(1), NULL, NULL,
                                  NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db,
        "INSERT INTO principals (id, name, name_key, type) "
        "VALUES (1, 'Old', 'old', 0);"
        "INSERT INTO secrets VALUES (1, 0, '{PLAIN}pw');"
        "INSERT INTO emails VALUES ('old@example.org', 1, 0);"
        "INSERT INTO domains VALUES ('example.org');"
        "PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static int
database_version(void)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s,
                                        NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    int version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return version;
}

START_TEST(migration_from_version_1)
{
    make_v1_database();
    ck_assert_int_eq(database_version(), 1);
    open_with(NULL);
    ck_assert_int_eq(database_version(), sd_internal_schema_version());
    ck_assert_int_eq(sd_internal_schema_version(), 2);
    ck_assert_int_eq(auth("old", "pw"), SD_OK);
    char *owner = NULL;
    ck_assert_int_eq(sd_directory_rcpt(dir, "old@example.org", &owner, NULL,
                                       NULL), SD_OK);
    ck_assert_str_eq(owner, "Old");
    g_free(owner);
    /* Version 2's SCRAM credentials work on the migrated data. */
    set_password("old", "new", NULL, false);
    sd_principal *got = stored("old");
    ck_assert_uint_eq(got->auth_passwords->len, 2);
    sd_principal_free(got);
}
END_TEST

START_TEST(newer_database_refused)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(db);
    char *text = config_text(NULL);
    GError *error = NULL;
    ck_assert_ptr_null(load(text, &error));
    char *wanted = g_strdup_printf("database %s has schema version 99, but "
                                   "this sasldir (%s) knows versions up to "
                                   "2", db_path, PACKAGE_VERSION);
    ck_assert_msg(strstr(error->message, wanted) != NULL, "%s",
                  error->message);
    g_free(wanted);
    g_error_free(error);
    g_free(text);
    ck_assert_int_eq(database_version(), 99);
}
END_TEST

/* Ends DB's write transaction a moment later, from another thread. */
static gpointer
end_write_later(gpointer db)
{
    g_usleep(200 * 1000);
    return GINT_TO_POINTER(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL));
}

START_TEST(first_open_waits_for_a_writer)
{
    /* A database file still in SQLite's default rollback-journal mode
     * (as when another process is switching it to WAL too), which
     * another process is writing when sasldir first opens it: the switch
     * to WAL must wait for that write, and SQLite does not wait on its
     * own (the switch upgrades a read lock: "database is locked" at
     * once). */
    sqlite3 *other = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &other), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(other, "CREATE TABLE unrelated (x);"
                                  "BEGIN IMMEDIATE;"
                                  "INSERT INTO unrelated VALUES (1)",
                                  NULL, NULL, NULL), SQLITE_OK);
    GThread *writer = g_thread_new("writer", end_write_later, other);
    timeout = "5s";
    gint64 start = g_get_monotonic_time();
    char *text = config_text(NULL);
    GError *error = NULL;
    registry = load(text, &error);
    timeout = "300ms";
    gint64 waited = g_get_monotonic_time() - start;
    ck_assert_int_eq(GPOINTER_TO_INT(g_thread_join(writer)), SQLITE_OK);
    sqlite3_close(other);
    ck_assert_msg(registry != NULL, "%s", error != NULL ? error->message : "");
    /* It did wait for the writer; far less than the timeout. */
    ck_assert_int_ge(waited, 150 * 1000);
    ck_assert_int_lt(waited, 4000 * 1000);
    dir = sd_registry_default(registry);
    ck_assert_int_eq(sd_directory_add_domain(dir, "example.org", NULL),
                     SD_OK);
    sqlite3 *check = NULL;
    sqlite3_stmt *mode = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &check), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(check, "PRAGMA journal_mode", -1,
                                        &mode, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(mode), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(mode, 0), "wal");
    sqlite3_finalize(mode);
    sqlite3_close(check);
    g_free(text);
}
END_TEST

START_TEST(store_section_form)
{
    char *text = g_strdup_printf(
        "[directory.d]\ntype = \"internal\"\nstore = \"users\"\n"
        "[store.users]\ntype = \"sqlite\"\npath = \"%s\"\n"
        "[store.blobs]\ntype = \"fs\"\npath = \"/x\"\n", db_path);
    GError *error = NULL;
    registry = load(text, &error);
    ck_assert_msg(registry != NULL, "%s", error ? error->message : "");
    g_free(text);
    dir = sd_registry_default(registry);
    ck_assert_int_eq(sd_directory_add_domain(dir, "example.org", NULL),
                     SD_OK);
    char *described = sd_directory_describe(dir);
    ck_assert_msg(strstr(described, db_path) != NULL, "%s", described);
    g_free(described);

    text = g_strdup_printf("[directory.d]\ntype = \"internal\"\n"
                           "store = \"users\"\n"
                           "[store.users]\ntype = \"postgresql\"\n"
                           "host = \"db\"\n");
    ck_assert_ptr_null(load(text, &error));
    ck_assert_msg(strstr(error->message, "store.users.type: store type "
                         "'postgresql' cannot hold an internal directory "
                         "(supported: sqlite)") != NULL, "%s",
                  error->message);
    g_clear_error(&error);
    g_free(text);

    text = g_strdup("[directory.d]\ntype = \"internal\"\nstore = \"nope\"\n");
    ck_assert_ptr_null(load(text, &error));
    ck_assert_msg(strstr(error->message, "neither an absolute path nor the "
                         "name of a [store.\"nope\"] section") != NULL, "%s",
                  error->message);
    g_clear_error(&error);
    g_free(text);

    text = g_strdup("[directory.d]\ntype = \"internal\"\n"
                    "store = \"/nonexistent-dir/x.db\"\n");
    ck_assert_ptr_null(load(text, &error));
    ck_assert_msg(strstr(error->message, "cannot create database "
                         "/nonexistent-dir/x.db") != NULL, "%s",
                  error->message);
    g_clear_error(&error);
    g_free(text);
}
END_TEST

/* One thread's share of threads_share_the_store. */
static gpointer
thread_work(gpointer data)
{
    int id = GPOINTER_TO_INT(data);
    int failures = 0;
    for (int i = 0; i < 40; i++) {
        char *name = g_strdup_printf("t%d-%d", id, i);
        char *address = g_strdup_printf("%s@example.org", name);
        sd_principal *p = make(name, SD_PRINCIPAL_INDIVIDUAL, address, NULL);
        sd_result result;
        /* The fixture's 300 ms timeout may run out on a loaded machine:
         * a temporary failure is retried, anything else counts. */
        while ((result = sd_directory_store_principal(dir, p,
                                                      SD_STORE_CREATE,
                                                      NULL)) == SD_TEMPFAIL)
            ;
        if (result != SD_OK) {
            fprintf(stderr, "store %s: %s\n", name, sd_result_name(result));
            failures++;
        }
        sd_principal_free(p);
        p = NULL;
        result = sd_directory_lookup_uncached(dir, name, &p, NULL);
        if (result != SD_OK
            || strcmp(g_ptr_array_index(p->emails, 0), address) != 0) {
            fprintf(stderr, "lookup %s: %s\n", name, sd_result_name(result));
            failures++;
        }
        sd_principal_free(p);
        result = sd_directory_rcpt(dir, address, NULL, NULL, NULL);
        if (result != SD_OK) {
            fprintf(stderr, "rcpt %s: %s\n", address, sd_result_name(result));
            failures++;
        }
        g_free(name);
        g_free(address);
    }
    return GINT_TO_POINTER(failures);
}

START_TEST(threads_share_the_store)
{
    GThread *threads[4];
    for (int i = 0; i < 4; i++)
        threads[i] = g_thread_new("writer", thread_work, GINT_TO_POINTER(i));
    int failures = 0;
    for (int i = 0; i < 4; i++)
        failures += GPOINTER_TO_INT(g_thread_join(threads[i]));
    ck_assert_int_eq(failures, 0);
    GPtrArray *all = NULL;
    ck_assert_int_eq(sd_directory_list_principals(dir, &all, NULL), SD_OK);
    ck_assert_uint_eq(all->len, 160);
    g_ptr_array_unref(all);
}
END_TEST

START_TEST(vanished_database_is_tempfail)
{
    store_ok(make("sam", SD_PRINCIPAL_INDIVIDUAL, NULL), SD_STORE_CREATE);
    /* Another process forks off: this one's idle connections close. */
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    char *away = g_strconcat(db_path, ".away", NULL);
    ck_assert_int_eq(rename(db_path, away), 0);
    GError *error = NULL;
    sd_principal *p = NULL;
    expect(sd_directory_lookup_uncached(dir, "sam", &p, &error), SD_TEMPFAIL,
           &error, db_path);
    g_clear_error(&error);
    ck_assert_int_eq(access(db_path, F_OK), -1);
    ck_assert_int_eq(rename(away, db_path), 0);
    g_free(away);
    p = stored("sam");
    sd_principal_free(p);
}
END_TEST

START_TEST(busy_store_is_tempfail)
{
    sd_registry_unref(registry);
    timeout = "1500ms";
    open_with(NULL);
    timeout = "300ms";
    store_ok(make("quinn", SD_PRINCIPAL_INDIVIDUAL, NULL), SD_STORE_CREATE);
    sqlite3 *other = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &other), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO "
                                  "domains VALUES ('held.example')", NULL,
                                  NULL, NULL), SQLITE_OK);
    GError *error = NULL;
    gint64 start = g_get_monotonic_time();
    expect(sd_directory_add_domain(dir, "example.org", &error), SD_TEMPFAIL,
           &error, "locked by another writer for longer than the timeout "
           "(1500 ms)");
    g_clear_error(&error);
    gint64 waited = g_get_monotonic_time() - start;
    ck_assert_int_ge(waited, 1500 * 1000);
    /* Reads do not wait for the writer, and do not see its work. */
    start = g_get_monotonic_time();
    sd_principal_free(stored("quinn"));
    ck_assert_int_eq(sd_directory_is_local_domain(dir, "held.example", NULL),
                     SD_NOTFOUND);
    /* Far below the timeout: the reads did not wait for the lock. */
    ck_assert_int_lt(g_get_monotonic_time() - start, 1000 * 1000);
    sqlite3_exec(other, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(other);
    ck_assert_int_eq(sd_directory_add_domain(dir, "example.org", NULL),
                     SD_OK);
}
END_TEST

START_TEST(fork_uses_own_connection)
{
    store_ok(make("ruth", SD_PRINCIPAL_INDIVIDUAL, NULL), SD_STORE_CREATE);
    sd_principal_free(stored("ruth"));
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int status = 0;
        sd_principal *p = NULL;
        if (sd_directory_lookup_uncached(dir, "ruth", &p, NULL) != SD_OK)
            status |= 1;
        sd_principal_free(p);
        if (sd_directory_add_email(dir, "ruth", "ruth@example.org", NULL)
            != SD_OK)
            status |= 2;
        _exit(status);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    /* The parent still works, and sees the child's write. */
    sd_principal *got = stored("ruth");
    ck_assert_uint_eq(got->emails->len, 1);
    sd_principal_free(got);
    ck_assert_int_eq(sd_directory_add_domain(dir, "example.net", NULL),
                     SD_OK);
}
END_TEST

/* ---- sd_directory_store_batch and sd_directory_edit_principal ---- */

/* A strict import's batch: domains and principals in one transaction. */
START_TEST(batch_with_domains_is_atomic)
{
    store_ok(make("holder", SD_PRINCIPAL_INDIVIDUAL, "taken@example.org",
                  NULL), SD_STORE_CREATE);
    GPtrArray *new_domains = g_ptr_array_new();
    g_ptr_array_add(new_domains, "Batch.EXAMPLE");
    g_ptr_array_add(new_domains, "other.example");
    GPtrArray *batch = g_ptr_array_new_with_free_func(
        (GDestroyNotify)sd_principal_free);
    g_ptr_array_add(batch, make("first", SD_PRINCIPAL_INDIVIDUAL,
                                "first@batch.example", NULL));
    g_ptr_array_add(batch, make("clash", SD_PRINCIPAL_INDIVIDUAL,
                                "Taken@example.org", NULL));
    g_ptr_array_add(batch, make("third", SD_PRINCIPAL_INDIVIDUAL, NULL));
    GError *error = NULL;
    guint failed = 99;
    expect(sd_directory_store_batch(dir, new_domains, batch, SD_STORE_UPSERT,
                                    NULL, NULL, &failed, &error),
           SD_ERROR, &error, "already belongs to principal holder");
    g_clear_error(&error);
    ck_assert_uint_eq(failed, 1);
    /* Neither the domains nor the principals before the clash stay. */
    ck_assert_int_eq(sd_directory_is_local_domain(dir, "other.example",
                                                  NULL), SD_NOTFOUND);
    ck_assert_int_eq(sd_directory_is_local_domain(dir, "batch.example",
                                                  NULL), SD_NOTFOUND);
    ck_assert_int_eq(sd_directory_lookup(dir, "first", NULL, NULL),
                     SD_NOTFOUND);

    /* Invalid input is blamed on the principal, or on nobody. */
    sd_principal *bad = make("bad", SD_PRINCIPAL_INDIVIDUAL, "no address",
                             NULL);
    GPtrArray *one = g_ptr_array_new();
    g_ptr_array_add(one, bad);
    expect(sd_directory_store_batch(dir, NULL, one, SD_STORE_UPSERT, NULL,
                                    NULL, &failed, &error),
           SD_ERROR, &error, "not an e-mail address");
    g_clear_error(&error);
    ck_assert_uint_eq(failed, 0);
    g_ptr_array_add(new_domains, "bad domain");
    g_ptr_array_remove_index(batch, 1);
    expect(sd_directory_store_batch(dir, new_domains, batch, SD_STORE_UPSERT,
                                    NULL, NULL, &failed, &error),
           SD_ERROR, &error, "'bad domain' is not a domain");
    g_clear_error(&error);
    ck_assert_uint_eq(failed, batch->len);
    ck_assert_int_eq(sd_directory_lookup(dir, "first", NULL, NULL),
                     SD_NOTFOUND);

    /* Without the bad ones everything is written, domains first. */
    g_ptr_array_remove_index(new_domains, 2);
    ck_assert_int_eq(sd_directory_store_batch(dir, new_domains, batch,
                                              SD_STORE_UPSERT, NULL, NULL,
                                              &failed, NULL), SD_OK);
    ck_assert_int_eq(sd_directory_is_local_domain(dir, "other.example",
                                                  NULL), SD_OK);
    sd_principal_free(stored("third"));
    sd_principal_free(bad);
    g_ptr_array_unref(one);
    g_ptr_array_unref(batch);
    g_ptr_array_unref(new_domains);
}
END_TEST

/* What edit_racing() saw and did. */
typedef struct racing_edit {
    sd_directory *other;        /* the same store, another handle */
    sd_result other_result;     /* its write while the edit ran */
    int calls;
} racing_edit;

/*
 * An edit during which another writer (a second handle on the store,
 * as another process would be) adds an alias to the same principal: the
 * write of a read-modify-write that comes between a read and a separate
 * store, and that such a store then silently overwrote.
 */
static sd_result
edit_racing(void *context, sd_principal *p, GError **error)
{
    (void)error;
    racing_edit *race = context;
    race->calls++;
    race->other_result = sd_directory_add_email(race->other, p->name,
                                                "late@example.org", NULL);
    p->quota = 12345;
    g_ptr_array_add(p->emails, g_strdup("Edit@EXAMPLE.org"));
    return SD_OK;
}

START_TEST(edit_principal_loses_no_write)
{
    store_ok(make("tess", SD_PRINCIPAL_INDIVIDUAL, "tess@example.org", NULL),
             SD_STORE_CREATE);
    set_password("tess", "pw", NULL, false);
    char *text = config_text(NULL);
    sd_registry *other = load(text, NULL);
    g_free(text);
    ck_assert_ptr_nonnull(other);
    racing_edit race = { .other = sd_registry_default(other) };
    sd_principal *written = NULL;
    GError *error = NULL;
    sd_result r = sd_directory_edit_principal(dir, "TESS", edit_racing,
                                              &race, &written, &error);
    ck_assert_msg(r == SD_OK, "%s", error ? error->message : "");
    ck_assert_int_eq(race.calls, 1);
    sd_principal *got = stored("tess");
    ck_assert_uint_eq(got->quota, 12345);
    ck_assert(sd_string_list_contains(got->emails, "edit@example.org"));
    /* The other writer either waited for the edit's transaction and
     * failed (the caller retries), or its alias is kept: never lost. */
    ck_assert_msg(race.other_result == SD_TEMPFAIL
                  || sd_string_list_contains(got->emails,
                                             "late@example.org"),
                  "the concurrent write answered %s but its alias is gone",
                  sd_result_name(race.other_result));
    /* The edit started from the stored principal: its password stays. */
    ck_assert_uint_eq(got->secrets->len, 1);
    ck_assert_int_eq(auth("tess", "pw"), SD_OK);
    /* *STORED is what was written, normalized. */
    ck_assert_str_eq(g_ptr_array_index(written->emails, 1),
                     "edit@example.org");
    ck_assert_uint_eq(written->quota, 12345);
    sd_principal_free(written);
    sd_principal_free(got);
    /* After the edit the other handle writes again, and both stay. */
    ck_assert_int_eq(sd_directory_add_email(race.other, "tess",
                                            "later@example.org", NULL),
                     SD_OK);
    got = stored("tess");
    ck_assert_uint_eq(got->quota, 12345);
    ck_assert(sd_string_list_contains(got->emails, "later@example.org"));
    sd_principal_free(got);
    sd_registry_unref(other);
}
END_TEST

/* What merge_keep_emails() was called with. */
typedef struct merge_calls {
    int calls;
    guint index;
    char *stored_emails;        /* the stored principal's, comma-joined */
} merge_calls;

/* Takes the given secrets and quota, keeps the stored addresses. */
static sd_principal *
merge_keep_emails(void *context, guint index, const sd_principal *stored,
                  const sd_principal *given)
{
    merge_calls *seen = context;
    seen->calls++;
    seen->index = index;
    GString *emails = g_string_new(NULL);
    for (guint i = 0; i < stored->emails->len; i++)
        g_string_append_printf(emails, "%s%s", i > 0 ? "," : "",
                               (const char *)g_ptr_array_index(stored->emails,
                                                               i));
    g_free(seen->stored_emails);
    seen->stored_emails = g_string_free(emails, FALSE);
    sd_principal *p = sd_principal_copy(stored);
    g_ptr_array_unref(p->secrets);
    p->secrets = g_ptr_array_ref(given->secrets);
    p->quota = given->quota;
    return p;
}

/*
 * A batch with a merge (import): a name already stored is read in the
 * writing transaction and merged, so an address added after the batch
 * was put together (by another handle, as another process would) is
 * kept; a new name is written as given, without a call.
 */
START_TEST(store_batch_merges_in_the_transaction)
{
    store_ok(make("mira", SD_PRINCIPAL_INDIVIDUAL, "mira@example.org", NULL),
             SD_STORE_CREATE);
    set_password("mira", "old", NULL, false);
    GPtrArray *batch = g_ptr_array_new_with_free_func(
        (GDestroyNotify)sd_principal_free);
    g_ptr_array_add(batch, make("newcomer", SD_PRINCIPAL_INDIVIDUAL,
                                "newcomer@example.org", NULL));
    sd_principal *update = make("Mira", SD_PRINCIPAL_INDIVIDUAL, NULL);
    g_ptr_array_add(update->secrets, g_strdup("{PLAIN}new"));
    update->quota = 777;
    g_ptr_array_add(batch, update);

    char *text = config_text(NULL);
    sd_registry *other = load(text, NULL);
    g_free(text);
    ck_assert_ptr_nonnull(other);
    ck_assert_int_eq(sd_directory_add_email(sd_registry_default(other),
                                            "mira", "late@example.org",
                                            NULL), SD_OK);

    merge_calls seen = { 0 };
    GError *error = NULL;
    guint failed = 99;
    sd_result r = sd_directory_store_batch(dir, NULL, batch, SD_STORE_UPSERT,
                                           merge_keep_emails, &seen,
                                           &failed, &error);
    ck_assert_msg(r == SD_OK, "%s", error ? error->message : "");
    ck_assert_int_eq(seen.calls, 1);
    ck_assert_uint_eq(seen.index, 1);
    ck_assert_str_eq(seen.stored_emails, "mira@example.org,late@example.org");
    sd_principal *got = stored("mira");
    ck_assert(sd_string_list_contains(got->emails, "late@example.org"));
    ck_assert_uint_eq(got->quota, 777);
    sd_principal_free(got);
    ck_assert_int_eq(auth("mira", "new"), SD_OK);
    ck_assert_int_eq(auth("mira", "old"), SD_MISMATCH);
    got = stored("newcomer");
    ck_assert(sd_string_list_contains(got->emails, "newcomer@example.org"));
    sd_principal_free(got);

    /* A merge needs the upsert mode. */
    expect(sd_directory_store_batch(dir, NULL, batch, SD_STORE_REPLACE,
                                    merge_keep_emails, &seen, NULL, &error),
           SD_ERROR, &error, "a merge needs the upsert store mode");
    g_clear_error(&error);
    g_free(seen.stored_emails);
    g_ptr_array_unref(batch);
    sd_registry_unref(other);
}
END_TEST

static sd_result
edit_rename(void *context, sd_principal *p, GError **error)
{
    (void)context;
    (void)error;
    g_free(p->name);
    p->name = g_strdup("someone-else");
    return SD_OK;
}

static sd_result
edit_bad_address(void *context, sd_principal *p, GError **error)
{
    (void)context;
    (void)error;
    p->quota = 1;
    g_ptr_array_add(p->emails, g_strdup("not an address"));
    return SD_OK;
}

static sd_result
edit_refuse(void *context, sd_principal *p, GError **error)
{
    (void)context;
    p->quota = 1;
    return sd_fail(error, SD_NOTFOUND, "refused by the edit");
}

static sd_result
edit_quota(void *context, sd_principal *p, GError **error)
{
    (void)error;
    p->quota = *(const uint64_t *)context;
    return SD_OK;
}

START_TEST(edit_principal_checks_and_flushes)
{
    store_ok(make("uma", SD_PRINCIPAL_INDIVIDUAL, "uma@example.org", NULL),
             SD_STORE_CREATE);
    GError *error = NULL;
    expect(sd_directory_edit_principal(dir, "uma", edit_rename, NULL, NULL,
                                       &error),
           SD_ERROR, &error, "cannot rename");
    g_clear_error(&error);
    expect(sd_directory_edit_principal(dir, "uma", edit_bad_address, NULL,
                                       NULL, &error),
           SD_ERROR, &error, "not an e-mail address");
    g_clear_error(&error);
    expect(sd_directory_edit_principal(dir, "uma", edit_refuse, NULL, NULL,
                                       &error),
           SD_NOTFOUND, &error, "refused by the edit");
    g_clear_error(&error);
    expect(sd_directory_edit_principal(dir, "nobody", edit_refuse, NULL,
                                       NULL, &error),
           SD_NOTFOUND, &error, "no principal named 'nobody'");
    g_clear_error(&error);
    sd_principal *got = stored("uma");
    ck_assert_uint_eq(got->quota, 0);
    ck_assert_uint_eq(got->emails->len, 1);
    sd_principal_free(got);

    /* A cached lookup sees the edit at once. */
    sd_principal *cached = NULL;
    ck_assert_int_eq(sd_directory_lookup(dir, "uma", &cached, NULL), SD_OK);
    ck_assert_uint_eq(cached->quota, 0);
    sd_principal_free(cached);
    uint64_t quota = 4096;
    ck_assert_int_eq(sd_directory_edit_principal(dir, "uma", edit_quota,
                                                 &quota, NULL, NULL), SD_OK);
    ck_assert_int_eq(sd_directory_lookup(dir, "uma", &cached, NULL), SD_OK);
    ck_assert_uint_eq(cached->quota, 4096);
    sd_principal_free(cached);
}
END_TEST

static Suite *
internal_suite(void)
{
    Suite *s = suite_create("internal");
    TCase *tc = tcase_create("store");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, create_and_read_back);
    tcase_add_test(tc, repeated_addresses_dropped);
    tcase_add_test(tc, names_unique_case_insensitively);
    tcase_add_test(tc, addresses_unique_case_insensitively);
    tcase_add_test(tc, modes_and_atomic_batches);
    tcase_add_test(tc, delete_principal);
    tcase_add_test(tc, passwords_and_scram);
    tcase_add_test(tc, plaintext_store_makes_scram);
    tcase_add_test(tc, app_passwords);
    tcase_add_test(tc, nested_groups_and_quotas);
    tcase_add_test(tc, lists_and_aliases);
    tcase_add_test(tc, domains);
    tcase_add_test(tc, rehash_off);
    tcase_add_test(tc, rehash_on);
    tcase_add_test(tc, rehash_never_blocks_login);
    tcase_add_test(tc, busy_store_is_tempfail);
    tcase_add_test(tc, vanished_database_is_tempfail);
    tcase_add_test(tc, threads_share_the_store);
    tcase_add_test(tc, fork_uses_own_connection);
    tcase_add_test(tc, batch_with_domains_is_atomic);
    tcase_add_test(tc, edit_principal_loses_no_write);
    tcase_add_test(tc, store_batch_merges_in_the_transaction);
    tcase_add_test(tc, edit_principal_checks_and_flushes);
    suite_add_tcase(s, tc);

    TCase *files = tcase_create("files");
    tcase_add_checked_fixture(files, setup_files_only, teardown);
    tcase_set_timeout(files, 30);
    tcase_add_test(files, migration_from_version_1);
    tcase_add_test(files, newer_database_refused);
    tcase_add_test(files, store_section_form);
    tcase_add_test(files, first_open_waits_for_a_writer);
    suite_add_tcase(s, files);

    TCase *plain = tcase_create("rules");
    tcase_add_test(plain, weaker_rule);
    tcase_add_test(plain, read_only_directories);
    suite_add_tcase(s, plain);
    return s;
}

int
main(void)
{
    return sd_check_run(internal_suite());
}
