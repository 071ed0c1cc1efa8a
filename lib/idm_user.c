#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "idm_account.h"
#include "idm_error.h"
#include "idm_lockout.h"
#include "idm_request.h"
#include "idm_uid.h"
#include "idm_user.h"

int idm_user_unlock(struct idm_operator *op, const struct idm_config *cfg,
		    const struct idm_log *log, const char *uid)
{
	struct idm_account *a = NULL;
	int r;

	if (idm_uid_check(cfg, uid) < 0) {
		idm_logf(log, LOG_ERR, "\"%s\" is not a valid uid", uid);
		return IDM_EINVAL;
	}
	r = idm_operator_require(op, log, 1u << IDM_ROLE_SYSTEM_ADMIN, "user unlock");
	if (r < 0) {
		idm_request_audit(op, cfg, log, "unlock", uid, NULL,
				  "refused: only a system_admin unlocks", NULL);
		return r;
	}
	r = idm_account_lookup(op->d, cfg, uid, &a);
	if (r == IDM_ENOENT)
		idm_logf(log, LOG_ERR, "no account %s", uid);
	if (r == IDM_OK) {
		if (a->privileged && idm_operator_has(op, IDM_ROLE_CONTRACTOR)) {
			idm_request_audit(op, cfg, log, "unlock", uid, NULL,
					  "refused: R-PRIV-3: a contractor never touches a privileged ID",
					  NULL);
			idm_account_free(a);
			idm_logf(log, LOG_ERR, "R-PRIV-3: a contractor never touches a privileged ID");
			return IDM_EDENIED;
		}
		r = idm_lockout_unlock(op->d, a->dn);
	}
	if (r == IDM_OK)
		idm_request_audit(op, cfg, log, "unlock", uid, NULL, "done", NULL);
	idm_account_free(a);
	return r;
}
