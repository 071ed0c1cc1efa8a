/* idm_operator.h -- an officer acting through idmgr (contract §7).
 *
 * Operators act with their own directory identity: idmgr binds as the
 * operator, so the directory's ACLs apply too and the audit trail records
 * who was authenticated.  Roles are membership of the role groups, read at
 * login -- every command is one short process, so they are never cached
 * beyond the action.  An operator whose password is temporary or expired,
 * or who is locked, suspended or retired, can do nothing but change the
 * password (R-PW-4). */
#ifndef IDM_OPERATOR_H
#define IDM_OPERATOR_H

#include <stdbool.h>

#include "idm_account.h"
#include "idm_config.h"
#include "idm_dir.h"
#include "idm_log.h"
#include "idm_role.h"

struct idm_operator {
	char *uid, *dn;
	unsigned roles; /* bit (1u << enum idm_role) per role held */
	struct idm_account *account;
	struct idm_dir *d; /* bound as the operator */
};

enum idm_operator_mode {
	IDM_OPERATOR_ACT,    /* refuse a temporary or expired password */
	IDM_OPERATOR_PASSWD, /* only changing the password is intended */
};

/* Binds as uid with password and checks the account.  IDM_EAUTH wrong
 * password, IDM_ESTATE must change the password first, IDM_EDENIED locked
 * or not active, IDM_EUNAVAIL, IDM_EINVAL invalid uid.  Each refusal is
 * logged with its reason. */
int idm_operator_login(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
		       const char *password, enum idm_operator_mode mode, struct idm_operator **out);
/* For idmgrd only, which verified uid's password without a bind (its
 * cache of the officer's recent bind, idm_authcache.h): every check of
 * idm_operator_login() after its bind (IDM_OPERATOR_ACT), on the entry
 * read fresh on *d, which must be dn.  On success *d belongs to the
 * operator (op->d; *d set to NULL); on failure it stays the caller's. */
int idm_operator_accept(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
			const char *dn, struct idm_dir **d, struct idm_operator **out);
bool idm_operator_has(const struct idm_operator *op, enum idm_role role);
/* Logs "ROLE needed" and returns IDM_EDENIED unless op holds one of roles. */
int idm_operator_require(const struct idm_operator *op, const struct idm_log *log, unsigned roles,
			 const char *action);
/* Officers only: IDM_EDENIED, logged naming what, unless op holds a role. */
int idm_operator_officer(const struct idm_operator *op, const struct idm_log *log, const char *what);
void idm_operator_free(struct idm_operator *op);

/* Appends an audit record of an operator action (done or refused) as the
 * operator, and one syslog line naming the record's sequence number and
 * hash -- an anchor kept outside the directory (R-AUD-1).  A record that
 * cannot be written is logged; the result is returned for callers that
 * must not go on without it. */
int idm_operator_audit(struct idm_operator *op, const struct idm_config *cfg,
		       const struct idm_log *log, const char *action, const char *subject,
		       const char *request_id, const char *outcome, const char *detail);
/* A refusal, the one place its words are made: logged as "ACTION ABOUT
 * refused: RULE" and audited with the outcome "refused: RULE".  Returns
 * err (the refusal stands even when its record cannot be written). */
int idm_operator_refuse(struct idm_operator *op, const struct idm_config *cfg,
			const struct idm_log *log, const char *action, const char *subject,
			const char *request_id, int err, const char *rule, const char *detail);
/* The same for a whole event (with its token, idm_action.h). */
struct idm_audit_event;
int idm_operator_record(struct idm_operator *op, const struct idm_config *cfg,
			const struct idm_log *log, const struct idm_audit_event *ev);

#endif
