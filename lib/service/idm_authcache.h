/* idm_authcache.h -- idmgrd's memory of officers' recent binds
 * (service.cached_auth_timeout; what SSSD calls cached_auth_timeout).
 *
 * Each request to idmgrd carries the officer's uid and password.  After a
 * bind as officer X with password P succeeded, idmgrd keeps, in memory
 * only, HMAC-SHA256(K, uid NUL dn NUL P) under a key K drawn from
 * getrandom at start, with the state of X's entry the bind saw: a hash of
 * the values a bind and the account checks depend on (idm_authcache_state)
 * and the roles.  For timeout seconds a request from X with the same P
 * is verified against it (constant-time) instead of a bind -- slapd's
 * Argon2 verification is most of a request's cost -- but the entry is
 * still read for every request and every check of a login made on it
 * (idm_operator_accept); a state or roles that differ from the ones kept
 * drop the cache entry and the request binds.  A password that does not
 * match never touches the cache: it is a real bind, which the directory's
 * lockout counts.  Entries are wiped (explicit_bzero) when they expire
 * (a thread of the cache's own), when dropped and when the cache is freed.
 *
 * Bounded: IDM_AUTHCACHE_SLOTS entries; when full, the one expiring first
 * makes room.  Thread-safe (one mutex). */
#ifndef IDM_AUTHCACHE_H
#define IDM_AUTHCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "idm_dir.h"

#define IDM_AUTHCACHE_SLOTS 256
#define IDM_AUTHCACHE_STATE_LEN 32

struct idm_authcache;

/* timeout in seconds; 0: a cache that keeps nothing (every request binds).
 * NULL when out of memory or without randomness or a thread. */
struct idm_authcache *idm_authcache_new(long timeout);
/* Stops the expiry thread and wipes every entry and the key. */
void idm_authcache_free(struct idm_authcache *c);

/* Keeps entries at all (a timeout over 0). */
bool idm_authcache_on(const struct idm_authcache *c);

/* What a cache entry was made with, returned by a match. */
struct idm_authcache_hit {
	char *dn; /* the entry bound as (malloc'ed) */
	uint8_t state[IDM_AUTHCACHE_STATE_LEN];
	unsigned roles;
	long age; /* seconds since the bind */
};
/* uid's entry, unexpired, made with this password: true and *hit filled
 * (free hit->dn).  False otherwise; nothing changes. */
bool idm_authcache_match(struct idm_authcache *c, const char *uid, const char *password,
			 struct idm_authcache_hit *hit);
/* Keeps (or replaces) uid's entry: a bind as dn with password succeeded on
 * an entry in state, holding roles.  Nothing when the timeout is 0. */
void idm_authcache_put(struct idm_authcache *c, const char *uid, const char *dn,
		       const char *password, const uint8_t state[IDM_AUTHCACHE_STATE_LEN],
		       unsigned roles);
/* Forgets uid's entry, if any. */
void idm_authcache_drop(struct idm_authcache *c, const char *uid);
/* Entries kept now (tests). */
int idm_authcache_count(struct idm_authcache *c);

/* The state of the entry dn read on d: SHA-256 over the values of the
 * attributes that decide whether a bind as dn succeeds and what a login
 * allows (status, validity, ppolicy's lock, start, end, reset and change
 * time, idmgr's lock marks, policy, privilege).  IDM_ENOENT, IDM_EUNAVAIL,
 * ... as idm_dir_search. */
int idm_authcache_state(struct idm_dir *d, const char *dn, uint8_t out[IDM_AUTHCACHE_STATE_LEN]);

#endif
