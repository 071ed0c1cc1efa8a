/* idm_apply.h -- carrying out a fully approved request (contract §7).
 *
 * Apply is idempotent: each effect either checks the directory before
 * writing (an account created by this very request is found, not created
 * twice; a group membership already there is no error) or marks its step
 * done on the request (idmDone), so a run interrupted after some writes is
 * completed by the next run and nothing is half-applied silently.  Each
 * request type's effect is one function, in one table. */
#ifndef IDM_APPLY_H
#define IDM_APPLY_H

#include "idm_request.h"

struct idm_apply_result {
	char *uid;
	char *temp_password; /* shown once, then wiped; NULL when none issued */
	char *summary;       /* what was done, for people */
};

int idm_request_apply(struct idm_operator *op, const struct idm_config *cfg,
		      const struct idm_log *log, const char *id, struct idm_apply_result *res);
void idm_apply_result_clear(struct idm_apply_result *res);

#endif
