/* idm_request.h -- written requests in the directory (contract §7,
 * R-REG-1, R-SOD-1, R-SOD-2, R-AUD-1).
 *
 * Requests live under ou=requests,<idmgr_dn>, so every officer's host sees
 * the same state: pending -> approved -> applied, or rejected.  Every state
 * change is a compare-and-swap on idmRequestState (one modify deleting the
 * expected value and adding the new one), so two officers acting at once
 * can never both win.  Every action, done or refused, is appended to the
 * audit trail. */
#ifndef IDM_REQUEST_H
#define IDM_REQUEST_H

#include <stdbool.h>
#include <time.h>

#include "idm_approval.h"
#include "idm_audit.h"
#include "idm_config.h"
#include "idm_form.h"
#include "idm_log.h"
#include "idm_operator.h"

struct idm_request {
	char *id, *dn, *state, *submitter, *applicant, *subject, *form_ref, *reason, *form_text;
	char *detail; /* rejection reason, or what apply did */
	enum idm_request_type type;
	time_t time;
	struct idm_approval *approvals;
	size_t n_approvals;
	char **done; /* apply steps already carried out */
	size_t n_done;
};

/* Validates the form against the directory (register: uid free; others:
 * subject exists; applicant exists; groups exist), stores it, audits it.
 * *id is the new request's ID. */
int idm_request_submit(struct idm_operator *op, const struct idm_config *cfg,
		       const struct idm_log *log, const struct idm_form *form, char **id);
int idm_request_get(struct idm_dir *d, const struct idm_config *cfg, const char *id,
		    struct idm_request **out);
/* Every request, or those in state (NULL: all), oldest first. */
int idm_request_list(struct idm_dir *d, const struct idm_config *cfg, const char *state,
		     int (*each)(void *ctx, const struct idm_request *r), void *ctx);
/* Records one approval under the role the operator holds; the request
 * becomes approved when both needed roles have approved. */
int idm_request_approve(struct idm_operator *op, const struct idm_config *cfg,
			const struct idm_log *log, const char *id, enum idm_role *role,
			char **new_state);
int idm_request_reject(struct idm_operator *op, const struct idm_config *cfg,
		       const struct idm_log *log, const char *id, const char *reason);

/* What an approval approves: hex SHA-256 of "idmgr-request-1:" then the
 * type, the subject, the submitter's DN and the canonical form text, each
 * as in idm_audit.h.  Submit and approve records carry it in their detail
 * ("TYPE HASH", "ROLE HASH"); apply accepts an approval only when its
 * record names the request's hash now, so any change to the request after
 * an approval voids it (R-REG-1, R-SOD-2). */
int idm_request_hash(const struct idm_request *r, char out[IDM_AUDIT_HASH_LEN + 1]);

/* The facts the separation-of-duties rules look at. */
int idm_request_facts(struct idm_dir *d, const struct idm_config *cfg, const struct idm_request *r,
		      struct idm_request_facts *f);
void idm_request_free(struct idm_request *r);

/* Internal to the request machinery (idm_apply.c): step marks. */
int idm_request_mark_done(struct idm_dir *d, const struct idm_request *r, const char *step);
bool idm_request_is_done(const struct idm_request *r, const char *step);

#endif
