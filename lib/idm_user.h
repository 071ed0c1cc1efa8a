/* idm_user.h -- direct operator actions on an account (contract §7):
 * audited, role-checked in the core, no request needed. */
#ifndef IDM_USER_H
#define IDM_USER_H

#include "idm_config.h"
#include "idm_log.h"
#include "idm_operator.h"

/* system_admin: clears the module's lockout, the hard limit and the
 * server's ppolicy lock. */
int idm_user_unlock(struct idm_operator *op, const struct idm_config *cfg,
		    const struct idm_log *log, const char *uid);

#endif
