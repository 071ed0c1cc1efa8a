/* idm_password.h -- a user's own password change, the one path shared by
 * the PAM password phase and "idmgr passwd" (R-PW-1, R-PW-3, R-PW-4, R-PW-5).
 *
 * Binds as the user with the old (or temporary) password, reads the user's
 * own history, applies the account's policy, and writes the new {ARGON2}
 * hash, the history, the change time, the login count reset and the
 * must-change flag cleared in ONE modify, as the user: no state mixes old
 * and new, whatever runs concurrently. */
#ifndef IDM_PASSWORD_H
#define IDM_PASSWORD_H

#include <stddef.h>

#include "idm_config.h"
#include "idm_log.h"
#include "idm_policy.h"

/* IDM_OK; IDM_EPOLICY with v filled (one message per broken rule);
 * IDM_EAUTH wrong old password; IDM_ENOENT not a managed account;
 * IDM_EDENIED account not active; IDM_EUNAVAIL; IDM_ECONFIG. */
int idm_password_change(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
			const char *old_password, const char *new_password, size_t new_len,
			struct idm_violations *v);

#endif
