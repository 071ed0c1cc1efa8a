/* idm_lockout.h -- failed-login counting in the directory (contract §6,
 * R-PW, R-PRIV-4, R-AUD-3, threat model item 2).
 *
 * Every attempt is recorded *before* the password is checked, in one modify
 * that adds a unique idmFailureTime value ("time#nonce") and reads the entry
 * back as it was right after that change (post-read control).  The values
 * present then are exactly the attempts recorded up to and including this
 * one, so of any number of concurrent attempts from any number of hosts at
 * most lockout_threshold get their password checked, and none is lost.
 *
 * Recording can only make an account more locked: the hosts' service
 * identity may add attempt values, lock marks (idmLockedTime) and the
 * hard-limit mark (idmHardLockTime), and the ACLs let it delete or replace
 * none of them.  A success is not written by the host at all: an attempt
 * counts as a failure unless it is older than the account's last successful
 * bind, authTimestamp, which slapd itself keeps (lastbind overlay); the
 * user's own connection deletes the values a successful login saw.  A lock
 * mark is in force for lockout_duration from its value (0: until an
 * officer's unlock, idm_lockout_unlock, removes it); the failures before a
 * lock that has run out are spent.  At IDM_LOCKOUT_HARD_LIMIT consecutive
 * failures (NIST SP 800-63B) the hard-limit mark is added: no timer and no
 * success lifts it, only an officer.
 *
 * Time is the directory server's: the modifyTimestamp of the change.  A
 * host whose clock is off adds a second value with the same nonce stamped
 * with the server's time; of the values of one attempt the latest counts,
 * so a forged correction can only make an account more locked.  Deleting
 * after a success (idm_lockout_tidy) also keeps an entry from growing with
 * every login. */
#ifndef IDM_LOCKOUT_H
#define IDM_LOCKOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "idm_account.h"
#include "idm_config.h"
#include "idm_dir.h"
#include "idm_time.h"

#define IDM_LOCKOUT_HARD_LIMIT 100

enum idm_lock_verdict {
	IDM_LOCK_CHECK,  /* the password may be checked */
	IDM_LOCK_LOCKED, /* locked for lockout_duration (or until unlocked) */
	IDM_LOCK_HARD,   /* IDM_LOCKOUT_HARD_LIMIT consecutive failures */
};

/* The lock state read from an entry's values: lock_values (idmLockedTime),
 * failure_values (idmFailureTime), hard (idmHardLockTime present, or the
 * obsolete idmFailureCount at the limit), last_success (authTimestamp). */
struct idm_lock_values {
	char *const *failure_values;
	size_t n_failures;
	char *const *lock_values;
	size_t n_locks;
	bool hard;
	time_t last_success;
};

struct idm_attempt {
	enum idm_lock_verdict verdict;
	time_t server_now;
	long in_window;                 /* failures counted in the window, this attempt included */
	long consecutive;               /* failures since the last success, this attempt included */
	bool lock_active;               /* a lock is in force: it is not extended */
	bool hard_marked;               /* the hard-limit mark is there already */
	char own[IDM_GENTIME_LEN + 18]; /* this attempt's value */
	char own_fixed[IDM_GENTIME_LEN + 18]; /* and its server-stamped twin, or "" */
	char **spent;                         /* the values the record saw, for idm_lockout_tidy */
	size_t n_spent;
};

/* Whether an attempt on a is refused as IDM_LOCK_HARD whatever it adds,
 * so that it is not recorded: the hard-limit mark is there, or the entry
 * as read holds IDM_LOCKOUT_HARD_LIMIT attempts since the last success
 * already (refused unchecked attempts reach it without a mark).  So an
 * account under a sustained guessing attack holds at most that many
 * attempts since its last success, and those in flight at the same moment
 * (one value each, two where a host's clock is off); the hosts cannot
 * delete values (threat model item 2), so none is pruned: the limit is
 * reached by not adding. */
bool idm_lockout_full(const struct idm_account *a);
/* Records an attempt on dn under policy p (service identity).  Release
 * *out with idm_attempt_release(). */
int idm_lockout_record(struct idm_dir *svc, const struct idm_policy *p, const char *dn,
		       struct idm_attempt *out);
void idm_attempt_release(struct idm_attempt *a);
/* After a failed check: adds the lock mark when this failure reached the
 * threshold, and the hard-limit mark at IDM_LOCKOUT_HARD_LIMIT.  Only a
 * wrong password locks: attempts refused unchecked (a burst of concurrent
 * logins beyond the threshold) are counted but do not lock by themselves. */
int idm_lockout_failed(struct idm_dir *svc, const struct idm_policy *p, const char *dn,
		       const struct idm_attempt *a);
/* After a successful check, on the user's own connection: deletes the
 * values the record saw, this attempt's among them (a success resets the
 * count; the user proved the password, and lock marks it cannot touch).
 * A failure here never fails a login.  Not called for a session slapd
 * restricts to a password change (it cannot delete): the values then count
 * until the next success's bind moves authTimestamp past them. */
void idm_lockout_tidy(struct idm_dir *user, const char *dn, const struct idm_attempt *a);
/* The same in two steps, so that the caller's own write on another
 * connection (the login's record) proceeds meanwhile: the deletion sent,
 * then its answer awaited (and the fallback to this attempt's own values
 * made).  Every send is followed by its wait. */
struct idm_tidy {
	int msgid;
	bool sent, all;
};
void idm_lockout_tidy_send(struct idm_dir *user, const char *dn, const struct idm_attempt *a,
			   struct idm_tidy *t);
void idm_lockout_tidy_wait(struct idm_dir *user, const char *dn, const struct idm_attempt *a,
			   struct idm_tidy *t);
/* The changes of an operator's unlock into a builder (so that the unlock
 * makes them in one modify with its audit mark): every attempt value, lock
 * mark, the hard-limit mark and the obsolete counter removed. */
struct idm_mods;
void idm_lockout_clear_changes(struct idm_mods *m);
/* The server's own ppolicy lock (pwdAccountLockedTime) cleared too, part
 * of an operator's unlock; a directory without the overlay is no error.
 * Never a status (pwdStartTime). */
int idm_lockout_clear_server_lock(struct idm_dir *d, const char *dn);
/* An operator's unlock: both of the above. */
int idm_lockout_unlock(struct idm_dir *d, const char *dn);

/* The one "lock in force" rule on a lock mark: consecutive failures at the
 * hard limit, or a lock set at locked_time (0: none) that lockout_duration
 * has not ended by now, which must be the directory server's clock. */
bool idm_lockout_in_force(const struct idm_policy *p, time_t locked_time, long consecutive,
			  time_t now);

/* The lock values of an account as looked up (idm_account_attrs). */
void idm_lockout_values_of(const struct idm_account *a, struct idm_lock_values *v);

/* The verdict of values at time now, no attempt added: the one "lock in
 * force" rule (account phase, operators, reports). */
enum idm_lock_verdict idm_lockout_verdict(const struct idm_policy *p,
					  const struct idm_lock_values *v, time_t now);
/* What "locked since" shows for a (user show, list): the latest lock mark
 * while a lock or the hard limit is in force at now (host time: a display),
 * else 0 (lock marks that ran out stay in the entry). */
time_t idm_lockout_locked_since(const struct idm_policy *p, const struct idm_account *a, time_t now);
/* Consecutive failures since the last success. */
long idm_lockout_failures(const struct idm_lock_values *v);
/* The latest lock mark, 0 when none. */
time_t idm_lockout_latest_lock(const struct idm_lock_values *v);

/* The server's time, without writing any account: the service identity
 * replaces its own description and reads modifyTimestamp back. */
int idm_lockout_probe(struct idm_dir *svc, const struct idm_config *cfg, time_t *now);

/* Lock state without recording anything (account phase): the verdict on
 * the server's clock, asked for only when a lock could be in force. */
int idm_lockout_state(struct idm_dir *svc, const struct idm_config *cfg, const struct idm_policy *p,
		      const struct idm_account *a, enum idm_lock_verdict *out);
/* The same for an identity that may write attr of dn (an officer: their own
 * entry's idmAuditPending), whose clock is read by idm_dir_server_time(). */
int idm_lockout_state_as(struct idm_dir *d, const struct idm_policy *p, const struct idm_account *a,
			 const char *dn, const char *attr, enum idm_lock_verdict *out);

#endif
