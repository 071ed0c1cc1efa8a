#include "config.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_error.h"
#include "idm_escape.h"
#include "idm_exception.h"
#include "idm_mods.h"
#include "idm_random.h"
#include "idm_request.h"
#include "idm_time.h"
#include "idm_uid.h"

static const char *const exception_attrs[] = {
	"idmRequestId", "idmSubject", "idmRule", "idmReason", "idmUntil", "idmTime", "idmActor",
	"idmRevokedTime", "idmEmergency", "idmAcknowledgedBy", NULL,
};

static int exceptions_dn(const struct idm_config *cfg, char **out)
{
	return idm_dn_child(out, "ou", "exceptions", cfg->ldap.idmgr_dn);
}

const char *idm_exception_state(const struct idm_exception *e, time_t now)
{
	if (e->revoked)
		return "revoked";
	if (now >= e->until)
		return "expired";
	if (e->emergency && !e->acknowledged_by)
		return "unacknowledged";
	return "active";
}

static time_t time_attr(LDAP *ld, LDAPMessage *m, const char *attr)
{
	char *v = idm_entry_value(ld, m, attr);
	time_t t = 0;

	if (v && idm_time_parse(v, &t) < 0)
		t = 0;
	free(v);
	return t;
}

static int from_entry(LDAP *ld, LDAPMessage *m, struct idm_exception **out)
{
	struct idm_exception *e = calloc(1, sizeof(*e));
	char *v;

	*out = NULL;
	if (!e)
		return IDM_ENOMEM;
	e->id = idm_entry_value(ld, m, "idmRequestId");
	e->subject = idm_entry_value(ld, m, "idmSubject");
	e->rule = idm_entry_value(ld, m, "idmRule");
	e->reason = idm_entry_value(ld, m, "idmReason");
	e->granted_by = idm_entry_value(ld, m, "idmActor");
	e->acknowledged_by = idm_entry_value(ld, m, "idmAcknowledgedBy");
	e->time = time_attr(ld, m, "idmTime");
	e->until = time_attr(ld, m, "idmUntil");
	e->revoked = time_attr(ld, m, "idmRevokedTime");
	v = idm_entry_value(ld, m, "idmEmergency");
	e->emergency = v && strcmp(v, "TRUE") == 0;
	free(v);
	if (!e->id || !e->subject || !e->rule || !e->until) {
		idm_exception_free(e);
		return IDM_EINVAL;
	}
	*out = e;
	return IDM_OK;
}

void idm_exception_free(struct idm_exception *e)
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

/* A rule name: what the sweep and the login path call it ("inactive",
 * "never-used", "valid-until", "lockout", ...): 1..64 of [a-z0-9-]. */
static bool valid_rule(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

int idm_exception_add(struct idm_operator *op, const struct idm_config *cfg,
		      const struct idm_log *log, const char *subject, const char *rule,
		      const char *reason, time_t until, bool emergency, char **id)
{
	unsigned roles = 1u << IDM_ROLE_CISO;
	struct idm_mods *m = NULL;
	unsigned char rnd[4];
	char eid[32], now[IDM_GENTIME_LEN], end[IDM_GENTIME_LEN], *base = NULL, *dn = NULL;
	int r;

	*id = NULL;
	if (emergency) /* R-EXC-2: taken first, reported to the CISO after */
		roles |= (1u << IDM_ROLE_SECURITY_CHIEF) | (1u << IDM_ROLE_SYSTEM_ADMIN);
	if (idm_uid_check(cfg, subject) < 0 || !valid_rule(rule) || !reason || !*reason ||
	    strlen(reason) > 1024 || until <= time(NULL)) {
		idm_logf(log, LOG_ERR, "exception: needs a valid subject uid, a rule of [a-z0-9-], "
				       "a reason, and an expiry in the future");
		return IDM_EINVAL;
	}
	r = idm_operator_require(op, log, roles, emergency ? "exception add --emergency"
							   : "exception add");
	if (r < 0) {
		idm_operator_audit(op, cfg, log, "exception-add", subject, NULL,
				   "refused: R-EXC-1: exceptions need the CISO", rule);
		return r;
	}
	r = idm_random_bytes(rnd, sizeof(rnd));
	if (r < 0)
		return r;
	idm_time_format(time(NULL), now);
	idm_time_format(until, end);
	snprintf(eid, sizeof(eid), "X%.8s-%02x%02x%02x%02x", now, rnd[0], rnd[1], rnd[2], rnd[3]);
	r = exceptions_dn(cfg, &base);
	if (r == IDM_OK)
		r = idm_dn_child(&dn, "idmRequestId", eid, base);
	if (r < 0)
		goto out;
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
	r = idm_mods_array(m) ? idm_dir_add(op->d, dn, idm_mods_array(m)) : IDM_ENOMEM;
	if (r == IDM_OK) {
		idm_operator_audit(op, cfg, log, emergency ? "exception-emergency" : "exception-add",
				   subject, eid, "done", rule);
		*id = strdup(eid);
		r = *id ? IDM_OK : IDM_ENOMEM;
	}
out:
	idm_mods_free(m);
	free(base);
	free(dn);
	return r;
}

int idm_exception_revoke(struct idm_operator *op, const struct idm_config *cfg,
			 const struct idm_log *log, const char *id)
{
	struct idm_mods *m = NULL;
	char now[IDM_GENTIME_LEN], *base = NULL, *dn = NULL;
	int r = idm_operator_require(op, log, 1u << IDM_ROLE_CISO, "exception revoke");

	if (r < 0) {
		idm_operator_audit(op, cfg, log, "exception-revoke", NULL, id,
				   "refused: R-EXC-1: exceptions need the CISO", NULL);
		return r;
	}
	r = exceptions_dn(cfg, &base);
	if (r == IDM_OK)
		r = idm_dn_child(&dn, "idmRequestId", id, base);
	if (r < 0)
		goto out;
	idm_time_format(time(NULL), now);
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_ADD, "idmRevokedTime", now);
	r = idm_mods_array(m) ? idm_dir_modify(op->d, dn, idm_mods_array(m)) : IDM_ENOMEM;
	if (r < 0 && idm_dir_last_result(op->d) == LDAP_TYPE_OR_VALUE_EXISTS) {
		idm_logf(log, LOG_ERR, "exception %s is revoked already", id);
		r = IDM_ESTATE;
	} else if (r == IDM_ENOENT) {
		idm_logf(log, LOG_ERR, "no exception %s", id);
	}
	if (r == IDM_OK)
		idm_operator_audit(op, cfg, log, "exception-revoke", NULL, id, "done", NULL);
out:
	idm_mods_free(m);
	free(base);
	free(dn);
	return r;
}

int idm_exception_acknowledge(struct idm_operator *op, const struct idm_config *cfg,
			      const struct idm_log *log, const char *id)
{
	struct idm_mods *m = NULL;
	char *base = NULL, *dn = NULL;
	int r = idm_operator_require(op, log, 1u << IDM_ROLE_CISO, "exception acknowledge");

	if (r < 0)
		return r;
	r = exceptions_dn(cfg, &base);
	if (r == IDM_OK)
		r = idm_dn_child(&dn, "idmRequestId", id, base);
	if (r == IDM_OK) {
		m = idm_mods_new();
		idm_mods_add(m, LDAP_MOD_ADD, "idmAcknowledgedBy", op->dn);
		r = idm_mods_array(m) ? idm_dir_modify(op->d, dn, idm_mods_array(m)) : IDM_ENOMEM;
		if (r < 0 && idm_dir_last_result(op->d) == LDAP_TYPE_OR_VALUE_EXISTS) {
			idm_logf(log, LOG_ERR, "exception %s is acknowledged already", id);
			r = IDM_ESTATE;
		}
	}
	if (r == IDM_OK)
		idm_operator_audit(op, cfg, log, "exception-acknowledge", NULL, id, "done", NULL);
	idm_mods_free(m);
	free(base);
	free(dn);
	return r;
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
	idm_exception_free(e);
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
		r = subject ? idm_filter_fmt(&filter, "(&(objectClass=idmException)(idmSubject=%s))",
					     subject)
			    : idm_filter_fmt(&filter, "(objectClass=idmException)");
	if (r == IDM_OK)
		r = idm_dir_search_sorted(d, base, LDAP_SCOPE_ONELEVEL, filter, exception_attrs, &l);
	free(base);
	free(filter);
	return r;
}

struct applies {
	const char *rule;
	time_t now;
	bool yes;
};

static int check_one(void *ctx, const struct idm_exception *e)
{
	struct applies *a = ctx;
	const char *state = idm_exception_state(e, a->now);

	if (strcmp(e->rule, a->rule) == 0 &&
	    (strcmp(state, "active") == 0 || strcmp(state, "unacknowledged") == 0))
		a->yes = true;
	return IDM_OK;
}

bool idm_exception_applies(struct idm_dir *d, const struct idm_config *cfg, const char *subject,
			   const char *rule, time_t now)
{
	struct applies a = { rule, now, false };

	if (idm_exception_list(d, cfg, subject, check_one, &a) < 0)
		return false;
	return a.yes;
}
