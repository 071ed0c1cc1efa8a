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
	bool must_change;    /* pwdReset: the server restricts the user to a change */
	time_t pwd_changed;  /* pwdChangedTime, else createTimestamp; 0 when absent */
	time_t valid_until;  /* 0 when absent */
	long login_count;
	long failure_count;  /* consecutive failed logins */
	time_t locked_time;  /* 0: not locked */
	time_t last_login, last_logout;
	char *last_host; /* as stored: printable unless written around idmgr */
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
int idm_account_from_entry(LDAP *ld, LDAPMessage *e, struct idm_account **out);

/* The policy governing the account (contract §4). */
const struct idm_policy *idm_account_policy(const struct idm_config *cfg,
					    const struct idm_account *a);

/* Why the account may not be used at now: IDM_OK, IDM_EDENIED (suspended,
 * seconded, retired), IDM_ERANGE (past valid_until). */
int idm_account_usable(const struct idm_account *a, time_t now);

#endif
