/* idm_policy.h -- the password policy of contract §4 applied to a new
 * password (R-PW-1, R-PW-3, R-PRIV-4: the privileged policy is the same
 * engine with stricter values).
 *
 * idm_policy_check() reports every rule a candidate breaks, each with one
 * plain-English message for the user, so that a user fixes everything in one
 * try; messages name limits and counts, never the password.  A rule whose
 * value is 0 (or an empty blocklist_file) is off.
 *
 * Lengths are Unicode code points of UTF-8, which is what a user counts;
 * bytes that are not UTF-8 (overlongs, surrogates, beyond U+10FFFF, cut
 * sequences) or a NUL break IDM_RULE_ENCODING, since the password would not
 * type the same way elsewhere.  Classes: lower-case ASCII, upper-case ASCII,
 * digits, and everything else (punctuation, space, any non-ASCII).
 *
 * Names (reject_user_name): the uid, the given name and the surname, each as
 * a whole and split into parts at spaces, '.', '_', '-', '\'' and ',', may
 * not appear in the password forwards or backwards, ASCII case folded.  A
 * name or part of fewer than 3 characters ("Li", "de") is ignored: refusing
 * every password with those two letters in it would refuse too much.
 *
 * Costly work is bounded: when the candidate breaks max_length, the cheap
 * rules are still all reported but the blocklist is not read and no Argon2
 * verification runs.  History entries are verified with
 * idm_hash_bounds() of the configured parameters, with lanes capped at the
 * configured parallelism so that a planted entry never makes libargon2
 * start threads inside the host program; an entry beyond the bounds, or
 * malformed, is logged (without its hash) and skipped.  The reuse rule
 * refuses the current password plus the newest p->history stored entries,
 * which hold the passwords before it (see idm_history_next()). */
#ifndef IDM_POLICY_H
#define IDM_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "idm_config.h"
#include "idm_log.h"
#include "idm_passhash.h"

enum idm_rule {
	IDM_RULE_LENGTH_MIN,
	IDM_RULE_LENGTH_MAX,
	IDM_RULE_CLASSES,
	IDM_RULE_USER_NAME,
	IDM_RULE_BLOCKLIST,
	IDM_RULE_REUSED,
	IDM_RULE_MIN_AGE,
	IDM_RULE_ENCODING,
	IDM_RULE_SERVER, /* a refusal by slapd that names no rule of ours */
};

#define IDM_VIOLATION_MAX 16

struct idm_violation {
	enum idm_rule rule;
	char message[512]; /* one sentence for the user (UTF-8), no password */
};

/* At most one entry per rule. */
struct idm_violations {
	struct idm_violation v[IDM_VIOLATION_MAX];
	size_t n;
};

/* Adds one message for rule (at most IDM_VIOLATION_MAX; more are dropped). */
void idm_violations_add(struct idm_violations *out, enum idm_rule rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* What the caller knows about the account; any pointer may be NULL. */
struct idm_pw_facts {
	const char *uid, *given_name, *surname;
	/* The password the user just authenticated with (old or temporary):
	 * the stored history does not hold it yet. */
	const char *current_password;
	/* History entries "YYYYMMDDHHMMSSZ#{ARGON2}$argon2..." (the form of
	 * an older release's idmPasswordHistory); the change path passes
	 * none: slapd keeps and checks the history itself (pwdHistory).
	 * In any order. */
	const char *const *history;
	size_t n_history;
	time_t changed; /* slapd's pwdChangedTime; 0 when unknown */
	bool forced;    /* temporary, expired or forced by an operator:
			 * min_age_days must not stop the change */
	time_t now;
};

/* Checks candidate (len bytes, any bytes) against every rule of p and fills
 * out with every rule broken.  IDM_OK when none, IDM_EPOLICY when some; on
 * any other error (IDM_ENOMEM, an unreadable blocklist: IDM_EIO or
 * IDM_ECONFIG) out may be incomplete and the candidate must be refused. */
int idm_policy_check(const struct idm_policy *p, const struct idm_argon2_params *argon2,
		     const struct idm_pw_facts *f, const char *candidate, size_t len,
		     struct idm_violations *out, const struct idm_log *log);

/* When min_age_days forbids a change now, the first moment it allows one;
 * else 0.  Lets a caller refuse before asking for a new password. */
time_t idm_policy_next_change(const struct idm_policy *p, const struct idm_pw_facts *f);

/* The history to store with a change away from the password whose hash was
 * old_hash (the userPassword value; NULL adds nothing): old_hash stamped
 * with now, then the entries of history, newest first, cut to p->history
 * (0: none).  Entries whose stamp cannot be read sort as oldest, so they go
 * first without being destroyed while there is room.  *out is a malloc'ed
 * NULL-terminated array of *n malloc'ed strings, never NULL on success. */
int idm_history_next(const struct idm_policy *p, const char *const *history, size_t n_history,
		     const char *old_hash, time_t now, char ***out, size_t *n);
void idm_history_free(char **h, size_t n);

#endif
