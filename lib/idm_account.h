/* idm_account.h -- a managed account as the login path sees it, and the
 * checks of the auth and account phases (pam_idmgr(8)).
 *
 * Accounts are found with the hosts' service identity (escaped filter,
 * validated uid); passwords are checked by binding as the user on a
 * connection of its own.  No hash is ever read.  An unknown user, a refused
 * account and a wrong password cost the same Argon2 work. */
#ifndef IDM_ACCOUNT_H
#define IDM_ACCOUNT_H

#include <stdbool.h>
#include <time.h>

#include "idm_config.h"
#include "idm_dir.h"
#include "idm_log.h"

struct idm_account {
	char *dn, *uid, *status, *policy;
	bool privileged, must_change;
	time_t pwd_changed, valid_until; /* 0 when absent */
	long login_count;
};

/* IDM_ENOENT when uid is invalid or not a managed account. */
int idm_account_lookup(struct idm_dir *d, const struct idm_config *cfg, const char *uid,
		       struct idm_account **out);
void idm_account_free(struct idm_account *a);

/* The policy governing the account (contract §4). */
const struct idm_policy *idm_account_policy(const struct idm_config *cfg,
					    const struct idm_account *a);

/* Why the account may not be used at now: IDM_OK, IDM_EDENIED (suspended,
 * seconded, retired), IDM_ERANGE (past valid_until). */
int idm_account_usable(const struct idm_account *a, time_t now);

/* auth: IDM_OK, IDM_EAUTH (wrong password or refused account), IDM_ENOENT,
 * IDM_EUNAVAIL, IDM_ECONFIG. */
int idm_account_authenticate(const struct idm_config *cfg, const struct idm_log *log,
			     const char *uid, const char *password);

/* account: IDM_OK, IDM_ESTATE (a new password is required), IDM_EDENIED,
 * IDM_ERANGE (expired), IDM_ENOENT, IDM_EUNAVAIL. */
int idm_account_check(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
		      time_t now);

#endif
