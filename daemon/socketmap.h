/*
 * socketmap.h - answers of the socketmap maps, from a directory.
 *
 * Input: one request payload "NAME KEY" (the netstring's contents).
 * Result: the reply payload, which the caller wraps in a netstring:
 *   "OK value"   found
 *   "NOTFOUND "  not found (Postfix wants the space)
 *   "TEMP why"   the directory is down or timed out (never NOTFOUND)
 *   "PERM why"   malformed request, unknown map, key too long
 * Maps: domains (KEY is a local domain; value = the domain), mailboxes
 * (KEY is deliverable after subaddressing and catch-all; value = the
 * canonical address), aliases and lists (expansion, members joined by
 * ','), quota (KEY is a principal name or address; value = bytes),
 * login-owner (KEY an address; value = the principal names that may
 * send as it, joined by ','; for smtpd_sender_login_maps).
 * Never blocks on anything but the directory; safe from several threads.
 */
#ifndef SOCKETMAP_H
#define SOCKETMAP_H

#include <stddef.h>
#include "sd_directory.h"

/* Free the result with g_free.  DIRECTORY: the one configured for
 * socketmaps ([server] socketmap-directory, else the default). */
char *socketmap_answer(sd_directory *directory, const char *request,
                       size_t len, sd_result *result);

#endif
