/* idm_approval.h -- who must approve what, and who may not (contract §7,
 * R-REG-1, R-SOD-1, R-SOD-2, R-PRIV-2, R-PRIV-3).
 *
 * The approvals table is data in one place (idm_approval_rule); the
 * separation-of-duties decisions are functions of the request's facts and
 * the operator, so the command, the tests and any future front end get the
 * same answers.  A refusal names the rule that refused. */
#ifndef IDM_APPROVAL_H
#define IDM_APPROVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "idm_config.h"
#include "idm_form.h"
#include "idm_role.h"

/* The two roles whose approvals a request type needs before apply. */
struct idm_approval_rule {
	enum idm_request_type type;
	enum idm_role roles[2];
};
const struct idm_approval_rule *idm_approval_rule(enum idm_request_type type);

/* One approval as stored in idmApproval: "ROLE YYYYMMDDHHMMSSZ DN". */
struct idm_approval {
	enum idm_role role;
	time_t time;
	char dn[512];
};
int idm_approval_parse(const char *value, struct idm_approval *out);
void idm_approval_format(const struct idm_approval *a, char *buf, size_t size);

/* What the rules look at. */
struct idm_request_facts {
	enum idm_request_type type;
	const char *submitter_dn;  /* who entered the request */
	const char *applicant_uid; /* who signed the paper form */
	const char *subject_uid;   /* whom it is about */
	bool touches_privileged;   /* the subject is privileged, or the type makes it so */
	const struct idm_approval *approvals;
	size_t n_approvals;
};

struct idm_actor {
	const char *dn, *uid;
	unsigned roles; /* bit (1u << enum idm_role) */
};

/* R-PRIV-3, the one rule for every action (approve, reject, apply, user
 * actions, the sweep): the rule's text when an operator holding roles may
 * not act on an ID, privileged or about to be made so; NULL when allowed. */
#define IDM_RULE_PRIV3 "R-PRIV-3: a contractor never touches a privileged ID"
const char *idm_sod_privileged(unsigned roles, bool privileged);

/* May actor approve now?  IDM_OK with *role the role the approval is
 * given under, or IDM_EDENIED with *rule naming the rule. */
int idm_sod_approve(const struct idm_config *cfg, const struct idm_request_facts *f,
		    const struct idm_actor *actor, enum idm_role *role, const char **rule);
/* May actor apply (the request being fully approved)? */
int idm_sod_apply(const struct idm_request_facts *f, const struct idm_actor *actor,
		  const char **rule);
/* May actor reject?  Only the roles that approve the type, and R-PRIV-3. */
int idm_sod_reject(const struct idm_request_facts *f, const struct idm_actor *actor,
		   const char **rule);
/* Do the approvals cover both roles the type needs? */
bool idm_approvals_complete(const struct idm_request_facts *f);

#endif
