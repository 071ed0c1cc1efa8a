/* idm_apply_effects.h -- what applying each request type does to the
 * directory (internal to idm_apply.c, which checks and records, and
 * idm_apply_effects.c, which makes the changes). */
#ifndef IDM_APPLY_EFFECTS_H
#define IDM_APPLY_EFFECTS_H

#include "idm_action.h"
#include "idm_apply.h"
#include "idm_form.h"

struct apply {
	struct idm_operator *op;
	const struct idm_config *cfg;
	const struct idm_log *log;
	struct idm_request *req;
	struct idm_form *form;
	struct idm_apply_result *res;
	struct idm_action x; /* apply and its record as one unit */
};

/* The effect of a request type, or NULL when this version cannot apply
 * it. */
int (*idm_apply_effect_of(enum idm_request_type type))(struct apply *a);

#endif
