#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_approval.h"
#include "idm_error.h"
#include "idm_i18n.h"
#include "idm_time.h"

static const struct idm_approval_rule rules[] = {
	{ IDM_REQ_REGISTER, { IDM_ROLE_SECURITY_CHIEF, IDM_ROLE_SYSTEM_ADMIN } },
	{ IDM_REQ_MODIFY, { IDM_ROLE_SECURITY_CHIEF, IDM_ROLE_SYSTEM_ADMIN } },
	{ IDM_REQ_TRANSFER, { IDM_ROLE_SECURITY_CHIEF, IDM_ROLE_SYSTEM_ADMIN } },
	{ IDM_REQ_SECONDMENT, { IDM_ROLE_SECURITY_CHIEF, IDM_ROLE_SYSTEM_ADMIN } },
	{ IDM_REQ_RETURN, { IDM_ROLE_SECURITY_CHIEF, IDM_ROLE_SYSTEM_ADMIN } },
	{ IDM_REQ_RETIRE, { IDM_ROLE_SECURITY_CHIEF, IDM_ROLE_SYSTEM_ADMIN } },
	{ IDM_REQ_DELETE, { IDM_ROLE_SECURITY_CHIEF, IDM_ROLE_SYSTEM_ADMIN } },
	{ IDM_REQ_GRANT_PRIVILEGE, { IDM_ROLE_CISO, IDM_ROLE_SYSTEM_ADMIN } },
	{ IDM_REQ_REVOKE_PRIVILEGE, { IDM_ROLE_SECURITY_CHIEF, IDM_ROLE_SYSTEM_ADMIN } },
};

const struct idm_approval_rule *idm_approval_rule(enum idm_request_type type)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].type == type)
			return &rules[i];
	return NULL;
}

int idm_approval_parse(const char *value, struct idm_approval *out)
{
	char role[32], stamp[IDM_GENTIME_LEN];
	const char *p = value, *sp;
	int r;

	memset(out, 0, sizeof(*out));
	sp = strchr(p, ' ');
	if (!sp || (size_t)(sp - p) >= sizeof(role))
		return IDM_EINVAL;
	memcpy(role, p, (size_t)(sp - p));
	role[sp - p] = '\0';
	p = sp + 1;
	sp = strchr(p, ' ');
	if (!sp || (size_t)(sp - p) != IDM_GENTIME_LEN - 1)
		return IDM_EINVAL;
	memcpy(stamp, p, IDM_GENTIME_LEN - 1);
	stamp[IDM_GENTIME_LEN - 1] = '\0';
	r = idm_role_from_name(role);
	if (r < 0 || idm_time_parse(stamp, &out->time) < 0 || strlen(sp + 1) >= sizeof(out->dn) ||
	    !sp[1])
		return IDM_EINVAL;
	out->role = (enum idm_role)r;
	snprintf(out->dn, sizeof(out->dn), "%s", sp + 1);
	return IDM_OK;
}

void idm_approval_format(const struct idm_approval *a, char *buf, size_t size)
{
	char stamp[IDM_GENTIME_LEN];

	idm_time_format(a->time, stamp);
	snprintf(buf, size, "%s %s %s", idm_role_name(a->role), stamp, a->dn);
}

static bool given(const struct idm_request_facts *f, enum idm_role role)
{
	for (size_t i = 0; i < f->n_approvals; i++)
		if (f->approvals[i].role == role)
			return true;
	return false;
}

static bool approved_by(const struct idm_request_facts *f, const char *dn)
{
	for (size_t i = 0; i < f->n_approvals; i++)
		if (strcasecmp(f->approvals[i].dn, dn) == 0)
			return true;
	return false;
}

bool idm_approvals_complete(const struct idm_request_facts *f)
{
	const struct idm_approval_rule *rule = idm_approval_rule(f->type);

	return rule && given(f, rule->roles[0]) && given(f, rule->roles[1]);
}

int idm_sod_approve(const struct idm_config *cfg, const struct idm_request_facts *f,
		    const struct idm_actor *actor, enum idm_role *role, const char **rule)
{
	const struct idm_approval_rule *r = idm_approval_rule(f->type);
	bool holds_needed = false;

	*rule = NULL;
	if (!r) {
		*rule = N_("unknown request type");
		return IDM_EINVAL;
	}
	if (f->submitter_dn && strcasecmp(f->submitter_dn, actor->dn) == 0) {
		*rule = N_("R-SOD-1: whoever submitted a request may not approve it");
		return IDM_EDENIED;
	}
	if (f->applicant_uid && strcmp(f->applicant_uid, actor->uid) == 0) {
		*rule = N_("R-SOD-1: the applicant may not approve their own request");
		return IDM_EDENIED;
	}
	if (f->subject_uid && strcmp(f->subject_uid, actor->uid) == 0) {
		*rule = N_("R-SOD-1: nobody approves a change to their own ID");
		return IDM_EDENIED;
	}
	if ((*rule = idm_sod_privileged(actor->roles, f->touches_privileged)))
		return IDM_EDENIED;
	for (int i = 0; i < 2; i++) {
		if (!(actor->roles & (1u << r->roles[i])))
			continue;
		holds_needed = true;
		if (given(f, r->roles[i]))
			continue;
		if (approved_by(f, actor->dn) && !cfg->roles.same_person_both_approvals) {
			*rule = N_("R-SOD-2: the two approvals must come from two different people "
				   "(same_person_both_approvals = false)");
			return IDM_EDENIED;
		}
		*role = r->roles[i];
		return IDM_OK;
	}
	if (!holds_needed) {
		static _Thread_local char why[160];
		snprintf(why, sizeof(why), "R-REG-1: a %s request is approved by %s and %s",
			 idm_request_type_name(f->type), idm_role_name(r->roles[0]),
			 idm_role_name(r->roles[1]));
		*rule = why;
		return IDM_EDENIED;
	}
	*rule = approved_by(f, actor->dn)
			? N_("R-SOD-2: this operator has approved already")
			: N_("the approval under this operator's role is given already");
	return IDM_EDENIED;
}

int idm_sod_apply(const struct idm_request_facts *f, const struct idm_actor *actor,
		  const char **rule)
{
	*rule = NULL;
	if (!(actor->roles & (1u << IDM_ROLE_SYSTEM_ADMIN))) {
		*rule = N_("contract: only a system_admin applies requests");
		return IDM_EDENIED;
	}
	if ((*rule = idm_sod_privileged(actor->roles, f->touches_privileged)))
		return IDM_EDENIED;
	if (!idm_approvals_complete(f)) {
		*rule = N_("R-REG-1: the request lacks an approval");
		return IDM_ESTATE;
	}
	return IDM_OK;
}

const char *idm_sod_privileged(unsigned roles, bool privileged)
{
	return privileged && (roles & (1u << IDM_ROLE_CONTRACTOR)) ? IDM_RULE_PRIV3 : NULL;
}

int idm_sod_reject(const struct idm_request_facts *f, const struct idm_actor *actor,
		   const char **rule)
{
	const struct idm_approval_rule *r = idm_approval_rule(f->type);

	*rule = NULL;
	if (!r || !(actor->roles & ((1u << r->roles[0]) | (1u << r->roles[1])))) {
		*rule = N_("only the roles that approve this type may reject it");
		return IDM_EDENIED;
	}
	if ((*rule = idm_sod_privileged(actor->roles, f->touches_privileged)))
		return IDM_EDENIED;
	return IDM_OK;
}
