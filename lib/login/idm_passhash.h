/* idm_passhash.h -- Argon2id password hashes in the {ARGON2} form that
 * slapd's argon2 module verifies (R-PW-5):
 *     {ARGON2}$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
 * libargon2 trusts the costs written in a stored hash, so verification
 * parses them first and refuses costs beyond the caller's bounds. */
#ifndef IDM_PASSHASH_H
#define IDM_PASSHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDM_HASH_SCHEME "{ARGON2}"

enum idm_argon2_type { IDM_ARGON2_D = 0, IDM_ARGON2_I = 1, IDM_ARGON2_ID = 2 };

struct idm_argon2_params {
	uint32_t memory_kib;
	uint32_t iterations;
	uint32_t parallelism;
};

/* Hashes pw (pwlen bytes) with a random 16-byte salt; *out is
 * "{ARGON2}$argon2id$...", malloc'ed. */
int idm_hash_password(const struct idm_argon2_params *p, const char *pw, size_t pwlen, char **out);

/* Reads type and costs of a stored hash, with or without the {ARGON2}
 * prefix.  IDM_EINVAL when it is not an Argon2 hash. */
int idm_hash_params(const char *stored, enum idm_argon2_type *type, struct idm_argon2_params *p);

/* Verifies pw against stored: IDM_OK on a match, IDM_EAUTH on a mismatch,
 * IDM_EINVAL for a malformed hash, IDM_ERANGE when its costs exceed max. */
int idm_hash_verify(const char *stored, const char *pw, size_t pwlen,
		    const struct idm_argon2_params *max);

/* A stored userPassword value (len bytes, not NUL-terminated) as a C
 * string in *out (malloc'ed).  slapd 2.5.13's own argon2 module ends its
 * values in a NUL and one stray byte (ITS#9827): a NUL among the last two
 * bytes ends the value, what follows it is dropped; a NUL anywhere else is
 * IDM_EINVAL. */
int idm_hash_from_stored(const char *val, size_t len, char **out);

/* Bounds for stored hashes: four times the configured costs, at least
 * 64 MiB and 10 iterations, at most 16 lanes. */
void idm_hash_bounds(const struct idm_argon2_params *configured, struct idm_argon2_params *max);

/* True when stored is weaker than p (another variant or lower costs). */
bool idm_hash_weaker(const char *stored, const struct idm_argon2_params *p);

#endif
