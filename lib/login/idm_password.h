/* idm_password.h -- a user's own password change, the one path shared by
 * the PAM password phase and "idmgr passwd" (R-PW-1, R-PW-3, R-PW-4, R-PW-5).
 *
 * Binds as the user with the old (or temporary) password, pre-checks the
 * new one with the policy engine (every rule this side can see, for one
 * dialog), then sends it in clear in a modify of userPassword alone: slapd
 * decides (idmgr_pwcheck.so, history, minimum age), hashes it with
 * Argon2id and keeps pwdHistory, pwdChangedTime and pwdReset itself
 * (contract §5, idmgr-schema(5)).  A refusal by the server comes back as
 * one violation per rule, like the pre-check's. */
#ifndef IDM_PASSWORD_H
#define IDM_PASSWORD_H

#include <stddef.h>

#include "idm_config.h"
#include "idm_log.h"
#include "idm_policy.h"

/* IDM_OK; IDM_EPOLICY with v filled (one message per broken rule; a rule
 * IDM_RULE_MIN_AGE means asking again is pointless);
 * IDM_EAUTH wrong old password; IDM_ESTATE the account is locked (said
 * only when the old password proved right: to anyone else a locked
 * account answers as a wrong password does); IDM_ENOENT not a managed account;
 * IDM_EDENIED account not active; IDM_EUNAVAIL; IDM_ECONFIG. */
int idm_password_change(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
			const char *old_password, const char *new_password, size_t new_len,
			struct idm_violations *v);

#endif
