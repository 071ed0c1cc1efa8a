#include "config.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_action.h"
#include "idm_effect.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_exception.h"
#include "idm_mods.h"
#include "idm_request.h"
#include "idm_text.h"
#include "idm_time.h"
#include "idm_uid.h"
#include "idm_i18n.h"

static const char *const exception_attrs[] = {
	"idmRequestId", "idmSubject",        "idmRule",  "idmReason",
	"idmUntil",     "idmTime",           "idmActor", "idmRevokedTime",
	"idmEmergency", "idmAcknowledgedBy", NULL,
};

static int exceptions_dn(const struct idm_config *cfg, char **out)
{
	return idm_dn_child(out, "ou", "exceptions", cfg->ldap.idmgr_dn);
}

const char *idm_exception_state(const struct idm_exception *e, time_t now)
{
	if (e->revoked)
		return NC_("exception state", "revoked");
	if (now >= e->until)
		return NC_("exception state", "expired");
	if (e->emergency && !e->acknowledged_by)
		return NC_("exception state", "unacknowledged");
	return NC_("exception state", "active");
}

static void exception_free(struct idm_exception *e)
{
	if (!e)
		return;
	free(e->id);
	free(e->subject);
	free(e->rule);
	free(e->reason);
	free(e->granted_by);
	free(e->acknowledged_by);
	free(e);
}

static int from_entry(LDAP *ld, LDAPMessage *m, struct idm_exception **out)
{
	struct idm_exception *e = calloc(1, sizeof(*e));

	*out = NULL;
	if (!e)
		return IDM_ENOMEM;
	e->id = idm_entry_value(ld, m, "idmRequestId");
	e->subject = idm_entry_value(ld, m, "idmSubject");
	e->rule = idm_entry_value(ld, m, "idmRule");
	e->reason = idm_entry_value(ld, m, "idmReason");
	e->granted_by = idm_entry_value(ld, m, "idmActor");
	e->acknowledged_by = idm_entry_value(ld, m, "idmAcknowledgedBy");
	e->time = idm_entry_time(ld, m, "idmTime");
	e->until = idm_entry_time(ld, m, "idmUntil");
	e->revoked = idm_entry_time(ld, m, "idmRevokedTime");
	e->emergency = idm_entry_true(ld, m, "idmEmergency");
	if (!e->id || !e->subject || !e->rule || !e->until) {
		exception_free(e);
		return IDM_EINVAL;
	}
	*out = e;
	return IDM_OK;
}

bool idm_exception_in_force(const struct idm_exception *e, time_t now)
{
	const char *state = idm_exception_state(e, now);

	return strcmp(state, "active") == 0 || strcmp(state, "unacknowledged") == 0;
}

static int exception_dn(const struct idm_config *cfg, const char *id, char **dn)
{
	return idm_dn_grandchild(dn, "idmRequestId", id, "exceptions", cfg->ldap.idmgr_dn);
}

/* An earlier run of this very add (same actor, subject and rule) whose
 * record is owed: *x resumed and eid its exception, or IDM_ENOENT. */
static int owed_add(struct idm_operator *op, const struct idm_config *cfg,
		    const struct idm_audit_event *ev, const char *rule, struct idm_action *x,
		    char eid[IDM_OBJECT_ID_LEN])
{
	static const char *const attrs[] = { "idmRequestId", NULL };
	LDAPMessage *res = NULL, *e;
	char *base = NULL, *filter = NULL, *id = NULL, *dn = NULL;
	int r = exceptions_dn(cfg, &base);

	if (r == IDM_OK)
		r = idm_filter_fmt(&filter,
				   "(&(objectClass=idmException)(idmActor=%s)(idmSubject=%s)"
				   "(idmRule=%s)(idmAuditPending=*))",
				   op->dn, ev->subject, rule);
	if (r == IDM_OK)
		r = idm_dir_search(op->d, base, LDAP_SCOPE_ONELEVEL, filter, attrs, 0, &res);
	e = r == IDM_OK ? ldap_first_entry(idm_dir_ldap(op->d), res) : NULL;
	if (r == IDM_OK)
		r = IDM_ENOENT;
	for (; e && r == IDM_ENOENT; e = ldap_next_entry(idm_dir_ldap(op->d), e)) {
		free(id);
		free(dn);
		dn = NULL;
		id = idm_entry_value(idm_dir_ldap(op->d), e, "idmRequestId");
		if (!id || exception_dn(cfg, id, &dn) < 0)
			continue;
		r = idm_action_start(op, dn, ev, x);
		if (r == IDM_OK && !x->resumed) {
			idm_action_clear(x);
			r = IDM_ENOENT;
		}
		if (r == IDM_OK)
			snprintf(eid, IDM_OBJECT_ID_LEN, "%s", id);
	}
	ldap_msgfree(res);
	free(id);
	free(dn);
	free(base);
	free(filter);
	return r;
}

/* Adds an exception with the ID fixed (NULL: a new one), its record
 * owed until written (idm_action.h); eid is the exception's ID. */
/* R-EXC-2: an exception taken in an emergency is reported to the CISO at
 * once: a notice whose ID follows the exception's, so a rerun finds it. */
static int emergency_notice(struct idm_operator *op, const struct idm_config *cfg,
			    const struct idm_log *log, const char *eid, const char *subject,
			    const char *rule, const char *reason)
{
	char nid[IDM_OBJECT_ID_LEN], text[1400];
	int r;

	snprintf(nid, sizeof(nid), "N%s", eid + 1);
	snprintf(text, sizeof(text),
		 "Emergency exception %s taken by %s for %s (rule %s): %s. The CISO must "
		 "acknowledge it: idmgr exception acknowledge %s (R-EXC-2)",
		 eid, op->uid, subject, rule, reason, eid);
	r = idm_effect_notice_as(op->d, cfg, op->dn, nid, "exception-emergency", subject, text);
	if (r == IDM_EEXIST)
		r = IDM_OK; /* made by the earlier run */
	if (r == IDM_OK)
		idm_logf(log, LOG_NOTICE, "notice: %s", text);
	return r;
}

static int exception_add(struct idm_operator *op, const struct idm_config *cfg,
			 const struct idm_log *log, const char *subject, const char *rule,
			 const char *reason, time_t until, bool emergency, const char *fixed,
			 char eid[IDM_OBJECT_ID_LEN])
{
	unsigned roles = 1u << IDM_ROLE_CISO;
	struct idm_audit_event ev = {
		.action = emergency ? "exception-emergency" : "exception-add",
		.subject = subject,
		.outcome = "done",
		.detail = rule,
	};
	struct idm_action x = { 0 };
	struct idm_mods *m = NULL;
	char now[IDM_GENTIME_LEN], end[IDM_GENTIME_LEN], *dn = NULL;
	int r;

	eid[0] = '\0';
	if (emergency) /* R-EXC-2: taken first, reported to the CISO after */
		roles |= (1u << IDM_ROLE_SECURITY_CHIEF) | (1u << IDM_ROLE_SYSTEM_ADMIN);
	if (idm_uid_check(cfg, subject) < 0 || !idm_short_name(rule) || !reason || !*reason ||
	    strlen(reason) > 1024 || until <= time(NULL)) {
		idm_logf(log, LOG_ERR,
			 N_("exception: needs a valid subject uid, a rule of [a-z0-9-], "
			    "a reason, and an expiry in the future"));
		return IDM_EINVAL;
	}
	r = idm_operator_require(op, log, roles,
				 emergency ? "exception add --emergency" : "exception add");
	if (r < 0)
		return idm_operator_refuse(op, cfg, log, "exception-add", subject, NULL, r,
					   "R-EXC-1: exceptions need the CISO", rule);
	if (fixed) {
		snprintf(eid, IDM_OBJECT_ID_LEN, "%s", fixed);
		ev.request_id = eid;
		r = exception_dn(cfg, eid, &dn);
		if (r == IDM_OK)
			r = idm_action_start(op, dn, &ev, &x);
	} else {
		r = owed_add(op, cfg, &ev, rule, &x, eid);
		if (r == IDM_OK)
			r = exception_dn(cfg, eid, &dn);
		if (r == IDM_ENOENT) {
			r = idm_object_id_new('X', eid);
			ev.request_id = eid;
			if (r == IDM_OK)
				r = exception_dn(cfg, eid, &dn);
			if (r == IDM_OK)
				r = idm_action_start(op, NULL, &ev, &x);
		}
	}
	if (r < 0 || x.resumed)
		goto finish;
	idm_time_format(time(NULL), now);
	idm_time_format(until, end);
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "idmException");
	idm_mods_add(m, LDAP_MOD_ADD, "idmRequestId", eid);
	idm_mods_add(m, LDAP_MOD_ADD, "idmSubject", subject);
	idm_mods_add(m, LDAP_MOD_ADD, "idmRule", rule);
	idm_mods_add(m, LDAP_MOD_ADD, "idmReason", reason);
	idm_mods_add(m, LDAP_MOD_ADD, "idmUntil", end);
	idm_mods_add(m, LDAP_MOD_ADD, "idmTime", now);
	idm_mods_add(m, LDAP_MOD_ADD, "idmActor", op->dn);
	if (emergency) {
		idm_mods_add(m, LDAP_MOD_ADD, "idmEmergency", "TRUE");
		if (idm_operator_has(op, IDM_ROLE_CISO))
			idm_mods_add(m, LDAP_MOD_ADD, "idmAcknowledgedBy", op->dn);
	}
	idm_action_mark(&x, m);
	r = idm_dir_apply_add(op->d, dn, m);
	if (r == IDM_EEXIST && fixed) {
		r = IDM_OK; /* an earlier run made it and recorded it */
		goto out;
	}
finish:
	/* one taken inside another action (fixed: a suspension) is named by
	 * that action's own notice to the CISO */
	if (r == IDM_OK && emergency && !fixed && !idm_operator_has(op, IDM_ROLE_CISO))
		r = emergency_notice(op, cfg, log, eid, subject, rule, reason);
	if (r == IDM_OK)
		r = idm_action_finish(op, cfg, log, dn, &x);
out:
	if (r < 0)
		eid[0] = '\0';
	idm_action_clear(&x);
	free(dn);
	return r;
}

int idm_exception_add(struct idm_operator *op, const struct idm_config *cfg,
		      const struct idm_log *log, const char *subject, const char *rule,
		      const char *reason, time_t until, bool emergency, char **id)
{
	char eid[IDM_OBJECT_ID_LEN];
	int r = exception_add(op, cfg, log, subject, rule, reason, until, emergency, NULL, eid);

	*id = NULL;
	if (r == IDM_OK && !(*id = strdup(eid)))
		r = IDM_ENOMEM;
	return r;
}

int idm_exception_add_as(struct idm_operator *op, const struct idm_config *cfg,
			 const struct idm_log *log, const char *subject, const char *rule,
			 const char *reason, time_t until, bool emergency, const char *id)
{
	char eid[IDM_OBJECT_ID_LEN];

	return exception_add(op, cfg, log, subject, rule, reason, until, emergency, id, eid);
}

/* One CISO change to exception id: m (with the action's mark) unless an
 * earlier run made it; "already" names the state that refuses it. */
static int change(struct idm_operator *op, const struct idm_config *cfg, const struct idm_log *log,
		  const char *action, const char *id, struct idm_mods *m, const char *already)
{
	struct idm_audit_event ev = { .action = action, .request_id = id, .outcome = "done" };
	struct idm_action x = { 0 };
	char *dn = NULL, what[64];
	int r;

	snprintf(what, sizeof(what), "exception %s", action + strlen("exception-"));
	r = idm_operator_require(op, log, 1u << IDM_ROLE_CISO, what);
	if (r < 0) {
		idm_mods_free(m);
		return idm_operator_refuse(op, cfg, log, action, NULL, id, r,
					   "R-EXC-1: exceptions need the CISO", NULL);
	}
	r = exception_dn(cfg, id, &dn);
	if (r == IDM_OK)
		r = idm_action_start(op, dn, &ev, &x);
	if (r == IDM_OK && !x.resumed) {
		idm_action_mark(&x, m);
		r = idm_dir_apply(op->d, dn, m);
		m = NULL;
		/* single-valued: a second value is a constraint violation */
		if (r == IDM_EEXIST || r == IDM_ESCHEMA) {
			idm_logf(log, LOG_ERR, N_("exception %s is %s already"), id, already);
			r = IDM_ESTATE;
		} else if (r == IDM_ENOENT) {
			idm_logf(log, LOG_ERR, N_("no exception %s"), id);
		}
	}
	idm_mods_free(m);
	if (r == IDM_OK)
		r = idm_action_finish(op, cfg, log, dn, &x);
	idm_action_clear(&x);
	free(dn);
	return r;
}

int idm_exception_revoke(struct idm_operator *op, const struct idm_config *cfg,
			 const struct idm_log *log, const char *id)
{
	struct idm_mods *m = idm_mods_new();
	char now[IDM_GENTIME_LEN];

	idm_time_format(time(NULL), now);
	idm_mods_add(m, LDAP_MOD_ADD, "idmRevokedTime", now);
	return change(op, cfg, log, "exception-revoke", id, m, "revoked");
}

int idm_exception_acknowledge(struct idm_operator *op, const struct idm_config *cfg,
			      const struct idm_log *log, const char *id)
{
	struct idm_mods *m = idm_mods_new();

	idm_mods_add(m, LDAP_MOD_ADD, "idmAcknowledgedBy", op->dn);
	return change(op, cfg, log, "exception-acknowledge", id, m, "acknowledged");
}

static void *decode(LDAP *ld, LDAPMessage *m)
{
	struct idm_exception *e = NULL;

	return from_entry(ld, m, &e) == IDM_OK ? e : NULL;
}

/* The caller's each(), called with the right type. */
struct visit {
	int (*each)(void *ctx, const struct idm_exception *e);
	void *ctx;
};

static int visit(void *ctx, const void *object)
{
	struct visit *v = ctx;

	return v->each(v->ctx, object);
}

static void release(void *e)
{
	exception_free(e);
}

static int by_time(const void *a, const void *b)
{
	const struct idm_exception *x = *(const struct idm_exception *const *)a;
	const struct idm_exception *y = *(const struct idm_exception *const *)b;

	return x->time < y->time ? -1 : x->time > y->time ? 1 : strcmp(x->id, y->id);
}

int idm_exception_list(struct idm_dir *d, const struct idm_config *cfg, const char *subject,
		       int (*each)(void *ctx, const struct idm_exception *e), void *ctx)
{
	struct visit v = { each, ctx };
	struct idm_sorted_listing l = { decode, by_time, release, visit, &v };
	char *base = NULL, *filter = NULL;
	int r = exceptions_dn(cfg, &base);

	if (r == IDM_OK)
		r = subject ? idm_filter_fmt(&filter,
					     "(&(objectClass=idmException)(idmSubject=%s))", subject)
			    : idm_filter_fmt(&filter, "(objectClass=idmException)");
	if (r == IDM_OK)
		r = idm_dir_search_sorted(d, base, LDAP_SCOPE_ONELEVEL, filter, exception_attrs, &l);
	free(base);
	free(filter);
	return r;
}
