/*
 * sd_shared.h - one libsasldir instance per process, shared by every
 * part of that process that asks for it.
 *
 * Offers: sd_registry_shared(), which returns the registry loaded from
 * a configuration file, loading it on the first call for that path and
 * handing the same registry (one cache, one set of pools) to every later
 * caller, and sd_registry_shared_release() to give a reference back.
 * The SASL auxprop plugin and the server plugin loaded into one daemon
 * both call it, so they share one configuration, cache and pools.
 *
 * Inputs: a configuration path (NULL: the built-in default).  Results:
 * a registry reference, or NULL with *ERROR (from sd_registry_load) for
 * a configuration that cannot be loaded; a failed load is not
 * remembered, so the next call tries again.
 *
 * Threads and processes: the table is guarded by one mutex, which is
 * held across fork() (pthread_atfork), so a child never inherits it
 * locked.  A child keeps using the registries its parent loaded: their
 * pools never reuse a parent's connection (sd_pool), and their caches
 * are the child's own copy.
 */
#ifndef SD_SHARED_H
#define SD_SHARED_H

#include <stdbool.h>
#include <glib.h>

#include "sd_directory.h"

G_BEGIN_DECLS

sd_registry *sd_registry_shared(const char *path, GError **error);
/* Gives back one reference from sd_registry_shared(); the registry is
 * unloaded when the last user releases it. */
void sd_registry_shared_release(sd_registry *registry);
/* True only the first time this process asks about KEY: lets modules
 * loaded separately (the two SASL plugins) do a one-time job once, such
 * as reporting an application's unknown options. */
bool sd_shared_once(const char *key);

/* How many users share the registry of PATH (0: not loaded); for tests. */
unsigned sd_registry_shared_users(const char *path);

G_END_DECLS

#endif
