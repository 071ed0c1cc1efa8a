/* idm_user.h -- direct operator actions on an account (contract §7):
 * audited, role-checked in the core, no request needed. */
#ifndef IDM_USER_H
#define IDM_USER_H

#include <stdbool.h>

#include "idm_account.h"
#include "idm_action.h"
#include "idm_config.h"
#include "idm_log.h"
#include "idm_operator.h"

/* system_admin: clears the module's lockout, the hard limit and the
 * server's ppolicy lock. */
int idm_user_unlock(struct idm_operator *op, const struct idm_config *cfg,
		    const struct idm_log *log, const char *uid);

/* system_admin (a contractor never for a privileged ID, R-PRIV-3): a new
 * temporary password, must change at next login (R-PW-4); *pw shown once. */
int idm_user_reset_password(struct idm_operator *op, const struct idm_config *cfg,
			    const struct idm_log *log, const char *uid, char **pw);
/* system_admin or security_manager: force a change at next login (R-PW-2). */
int idm_user_expire_password(struct idm_operator *op, const struct idm_config *cfg,
			     const struct idm_log *log, const char *uid);
/* security_chief (R-VIO-1): logins refused at once; a notice to the CISO
 * and the user's manager is recorded.  emergency (R-EXC-2): a system_admin
 * may do it when no security_chief is reachable; recorded as an emergency
 * exception the CISO must acknowledge, whose ID is put in exception_id
 * (may be NULL; "" when none was recorded: a security_chief needs none,
 * emergency or not).  Lifting it is a "return" request. */
int idm_user_suspend(struct idm_operator *op, const struct idm_config *cfg,
		     const struct idm_log *log, const char *uid, const char *reason,
		     const char *manager, bool emergency, char exception_id[IDM_OBJECT_ID_LEN]);

/* What user show prints of an account (R-ID-1, R-PW-3, contract §6): the
 * account, its unit (departmentNumber) and employee type (NULL: not set);
 * the end of a lock in force at now, from the server's time of the lock
 * mark and the policy's lockout_duration (locked_until 0: none in force;
 * until_unlocked: in force until an officer's unlock, lockout_duration 0
 * or the hard limit); the password's age in whole days at now (-1: its
 * change time is unknown) and when max_age_days ends it (0: never, no
 * max_age_days, or unknown). */
struct idm_user_view {
	struct idm_account *a;
	char *unit, *employee_type;
	time_t locked_until;
	bool until_unlocked;
	long pwd_age_days;
	time_t pwd_expires;
};
/* IDM_ENOENT when uid is invalid or no managed account. */
int idm_user_view(struct idm_dir *d, const struct idm_config *cfg, const char *uid, time_t now,
		  struct idm_user_view *out);
void idm_user_view_clear(struct idm_user_view *v);

/* The accounts matching every criterion given (status, unit: NULL for
 * any; privileged: only privileged IDs), each passed to each(); values
 * are escaped into the filter here. */
int idm_user_list(struct idm_operator *op, const struct idm_config *cfg, const char *status,
		  const char *unit, bool privileged,
		  int (*each)(void *ctx, const struct idm_account *a), void *ctx);

#endif
