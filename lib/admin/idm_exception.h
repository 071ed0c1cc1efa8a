/* idm_exception.h -- exceptions to a rule (R-EXC-1..3): granted by the CISO
 * with a subject, a rule, a reason and an expiry, or taken in an emergency
 * and acknowledged by the CISO afterwards.  They live under
 * ou=exceptions,<idmgr_dn>; an exception past its expiry, or revoked, stops
 * applying by itself -- nothing has to remove it, and it stays for review. */
#ifndef IDM_EXCEPTION_H
#define IDM_EXCEPTION_H

#include <stdbool.h>
#include <time.h>

#include "idm_config.h"
#include "idm_dir.h"
#include "idm_log.h"
#include "idm_operator.h"

struct idm_exception {
	char *id, *subject, *rule, *reason, *granted_by, *acknowledged_by;
	time_t time, until, revoked;
	bool emergency;
};

/* "active", "expired", "revoked" or "unacknowledged" (an emergency the
 * CISO has not acknowledged yet, which applies). */
const char *idm_exception_state(const struct idm_exception *e, time_t now);
/* The one "exception in force" rule: active, or an emergency not yet
 * acknowledged (which applies until the CISO decides). */
bool idm_exception_in_force(const struct idm_exception *e, time_t now);

/* ciso only (emergency: also system_admin and security_chief, R-EXC-2).
 * *id is the new exception's ID. */
int idm_exception_add(struct idm_operator *op, const struct idm_config *cfg,
		      const struct idm_log *log, const char *subject, const char *rule,
		      const char *reason, time_t until, bool emergency, char **id);
/* The same with the ID given (an action's own, idm_action_object_id()):
 * an earlier run that made it is completed, not repeated. */
int idm_exception_add_as(struct idm_operator *op, const struct idm_config *cfg,
			 const struct idm_log *log, const char *subject, const char *rule,
			 const char *reason, time_t until, bool emergency, const char *id);
int idm_exception_revoke(struct idm_operator *op, const struct idm_config *cfg,
			 const struct idm_log *log, const char *id);
/* ciso: acknowledges an emergency exception (R-EXC-2). */
int idm_exception_acknowledge(struct idm_operator *op, const struct idm_config *cfg,
			      const struct idm_log *log, const char *id);
/* Every exception (subject NULL) or those of one subject, oldest first. */
int idm_exception_list(struct idm_dir *d, const struct idm_config *cfg, const char *subject,
		       int (*each)(void *ctx, const struct idm_exception *e), void *ctx);

#endif
