/* idm_account.h -- a managed account as the login path sees it, and the
 * checks of the auth and account phases (pam_idmgr(8)).
 *
 * Accounts are found with the hosts' service identity (escaped filter,
 * validated uid).  The login path itself is in idm_login.h. */
#ifndef IDM_ACCOUNT_H
#define IDM_ACCOUNT_H

#include <stdbool.h>
#include <time.h>

#include "idm_config.h"
#include "idm_dir.h"
#include "idm_log.h"

/* idmLastLoginHost holds at most this many characters (its schema's bound). */
#define IDM_HOST_MAX 256

struct idm_account {
	char *dn, *uid, *status, *policy;
	bool privileged;
	bool must_change;   /* pwdReset: the server restricts the user to a change */
	time_t pwd_changed; /* pwdChangedTime, else createTimestamp; 0 when absent */
	time_t valid_until; /* 0 when absent */
	long login_count;   /* logins since the password changed (idmLoginTime) */
	long failure_count; /* failed logins since the last success */
	time_t locked_time; /* the latest lock mark, 0: never locked (idm_lockout.h) */
	/* The lock state as stored (idm_lockout.h decides what it means). */
	char **failure_values, **lock_values; /* idmFailureTime, idmLockedTime */
	size_t n_failure_values, n_lock_values;
	bool hard_locked;    /* idmHardLockTime, or the obsolete idmFailureCount at the limit */
	time_t last_success; /* authTimestamp: the server's time of the last successful bind */
	time_t last_login, last_logout;
	char *last_host;  /* as stored: printable unless written around idmgr */
	char *prev_login; /* idmPreviousLogin, as stored (idm_login.c reads it) */
};

/* IDM_ENOENT when uid is invalid or not a managed account. */
int idm_account_lookup(struct idm_dir *d, const struct idm_config *cfg, const char *uid,
		       struct idm_account **out);
void idm_account_free(struct idm_account *a);
/* The DN to bind as uid: the entry found by the subtree search under
 * people_dn (an account may sit in any sub-OU), searched with the hosts'
 * service identity where this host holds it, else anonymously where the
 * directory allows that; only when neither can search, the entry directly
 * below people_dn.  IDM_ENOENT: no such account. */
int idm_account_bind_dn(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
			char **dn);
/* The attributes idm_account_from_entry() reads, for searches. */
extern const char *const idm_account_attrs[];
/* idm_account_attrs, then extra (NULL-terminated), into out (cap pointers
 * with the final NULL; IDM_ACCOUNT_ATTRS_MAX is enough for a few extras).
 * IDM_ERANGE when they do not fit. */
#define IDM_ACCOUNT_ATTRS_MAX 40
int idm_account_attrs_with(const char *const *extra, const char **out, size_t cap);
int idm_account_from_entry(LDAP *ld, LDAPMessage *e, struct idm_account **out);

/* Of idmLoginTime values, those newer than the password's change time
 * changed: the logins max_logins counts (R-PW-3). */
long idm_account_logins_since(char *const *values, size_t n, time_t changed);

/* The policy governing the account (contract §4). */
const struct idm_policy *idm_account_policy(const struct idm_config *cfg,
					    const struct idm_account *a);

/* Why the account may not be used at now: IDM_OK, IDM_EDENIED (suspended,
 * seconded, retired), IDM_ERANGE (past valid_until). */
int idm_account_usable(const struct idm_account *a, time_t now);

/* Why the password must be changed before the account is used at now
 * (R-PW-3, R-PW-4): the one rule for the account phase, the password
 * change (a change that is due is never "too soon") and an operator's
 * login.  In this order: IDM_CHANGE_MAX_LOGINS the password has been used
 * for max_logins logins (this_login_counted: the login now being decided
 * is among a->login_count, as auth records it before the account phase
 * asks), IDM_CHANGE_RESET the server's pwdReset (a temporary or reset
 * password, or ppolicy_reset: the bind's control said so), IDM_CHANGE_EXPIRED
 * older than max_age_days (or never changed).  p NULL (no policy): the
 * reset alone. */
enum idm_change_due {
	IDM_CHANGE_NONE,
	IDM_CHANGE_MAX_LOGINS,
	IDM_CHANGE_RESET,
	IDM_CHANGE_EXPIRED,
};
enum idm_change_due idm_account_change_due(const struct idm_policy *p, const struct idm_account *a,
					   bool ppolicy_reset, bool this_login_counted, time_t now);

#endif
