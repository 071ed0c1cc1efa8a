/* idm_ratelimit.h -- refusals counted per key (an operator's uid, a peer),
 * for idmgrd: after max refusals within window seconds a key is refused
 * at once, without a bind, until the window has passed.  The directory's
 * own lockout still counts every bind that is tried; this keeps one
 * client from making the service do a slow bind per guess.
 *
 * Bounded memory: a fixed table; when it is full the entry refused least
 * recently is reused (an attacker cycling through keys can only forget his
 * own older keys faster).  Thread-safe (one mutex). */
#ifndef IDM_RATELIMIT_H
#define IDM_RATELIMIT_H

#include <stdbool.h>
#include <time.h>

#define IDM_RATELIMIT_KEYS 1024
#define IDM_RATELIMIT_KEY_MAX 96

struct idm_ratelimit;

struct idm_ratelimit *idm_ratelimit_new(long max, long window);
void idm_ratelimit_free(struct idm_ratelimit *rl);
/* Is key refused at now? */
bool idm_ratelimit_blocked(struct idm_ratelimit *rl, const char *key, time_t now);
/* Counts one refusal of key at now. */
void idm_ratelimit_refused(struct idm_ratelimit *rl, const char *key, time_t now);

#endif
