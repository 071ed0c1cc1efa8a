/* idm_lockout.h -- failed-login counting in the directory (contract §6,
 * R-PW, R-PRIV-4, R-AUD-3).
 *
 * Every attempt is recorded *before* the password is checked, in one modify
 * that adds a unique idmFailureTime value and increments idmFailureCount, and
 * that reads the entry back as it was right after that change (post-read
 * control).  The values present then are exactly the attempts recorded up
 * to and including this one, so of any number of concurrent attempts from
 * any number of hosts at most lockout_threshold get their password checked,
 * and none is lost (no read-modify-write of a counter).
 *
 * Time is the directory server's: the modifyTimestamp of that change.  A
 * host whose clock is off stamps its value with the server's time instead
 * (one more modify), so it can neither unlock an account early nor lock it
 * for ever.  idmFailureCount counts consecutive failures across windows: at
 * IDM_LOCKOUT_HARD_LIMIT (NIST SP 800-63B) no timer unlocks, only an
 * operator (idm_lockout_clear). */
#ifndef IDM_LOCKOUT_H
#define IDM_LOCKOUT_H

#include <stdbool.h>
#include <time.h>

#include "idm_config.h"
#include "idm_dir.h"

#define IDM_LOCKOUT_HARD_LIMIT 100

enum idm_lock_verdict {
	IDM_LOCK_CHECK,     /* the password may be checked */
	IDM_LOCK_LOCKED,    /* locked for lockout_duration (or until unlocked) */
	IDM_LOCK_HARD,      /* IDM_LOCKOUT_HARD_LIMIT consecutive failures */
};

struct idm_attempt {
	enum idm_lock_verdict verdict;
	time_t server_now;
	long in_window;   /* failures counted in the window, this attempt included */
	long consecutive; /* consecutive failures, this attempt included */
	bool lock_expired; /* an earlier lock has run out: clear it on success */
	bool lock_active;  /* a lock is in force: it is not extended */
};

/* Records an attempt on dn under policy p (service identity). */
int idm_lockout_record(struct idm_dir *svc, const struct idm_policy *p, const char *dn,
		       struct idm_attempt *out);
/* After a failed check: locks the account when this failure reached the
 * threshold.  Only a wrong password locks: attempts refused unchecked
 * (a burst of concurrent logins beyond the threshold) are counted but do
 * not lock by themselves. */
int idm_lockout_failed(struct idm_dir *svc, const struct idm_policy *p, const char *dn,
		       const struct idm_attempt *a);
/* After a successful check: no failures, no lock. */
int idm_lockout_clear(struct idm_dir *d, const char *dn);
/* The changes of idm_lockout_clear(), into a builder, so that an
 * operator's unlock makes them in one modify with its audit mark. */
struct idm_mods;
void idm_lockout_clear_changes(struct idm_mods *m);
/* The server's own ppolicy lock (pwdAccountLockedTime) cleared too, part
 * of an operator's unlock; a directory without the overlay is no error. */
int idm_lockout_clear_server_lock(struct idm_dir *d, const char *dn);
/* An operator's unlock: both of the above (the hard limit is lifted). */
int idm_lockout_unlock(struct idm_dir *d, const char *dn);

/* The one "lock in force" rule: consecutive failures at the hard limit, or
 * a lock set at locked_time (0: none) that lockout_duration has not ended
 * by now, which must be the directory server's clock. */
bool idm_lockout_in_force(const struct idm_policy *p, time_t locked_time, long consecutive,
			  time_t now);

/* Lock state without recording anything (account phase, reports): uses
 * the server's time when a lock is present, read by a write without net
 * change to attr of dn (the service identity: idmFailureTime; an officer:
 * idmAuditPending of their own entry). */
int idm_lockout_state(struct idm_dir *svc, const struct idm_policy *p, const char *dn,
		      time_t locked_time, long consecutive, enum idm_lock_verdict *out);
int idm_lockout_state_as(struct idm_dir *d, const struct idm_policy *p, const char *dn,
			 const char *attr, time_t locked_time, long consecutive,
			 enum idm_lock_verdict *out);

#endif
