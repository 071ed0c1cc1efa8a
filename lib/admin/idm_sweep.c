#include "config.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "idm_dir.h"
#include "idm_effect.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_exception.h"
#include "idm_mods.h"
#include "idm_action.h"
#include "idm_approval.h"
#include "idm_sweep.h"
#include "idm_sweep_rules.h"
#include "idm_time.h"
#include "idm_uid.h"

#define DEFAULT_PAGE 1000
/* Groups per page when reading memberships: a page holds the values of
 * every group in it, and a group may hold every account. */
#define GROUP_PAGE 10
#define REASON_PREFIX "sweep: "
/* idmPrivilegeRequest of the officers idmgr init made (idm_bootstrap.c) */
#define INIT_GRANT "init"

/* ------------------------------------------------------------ state */

/* An account as the sweep reads it. */
struct acct {
	char *dn, *uid, *status, *reason, *creator, *request_id, *grant_id;
	char *pending; /* this operator's sweep mark whose record is owed */
	bool privileged;
	time_t pam_login, auth_login, created, valid_until, until, status_time;
};

static const char *const account_attrs[] = {
	"uid",		 "idmStatus",	     "idmStatusReason", "idmStatusTime",
	"idmPrivileged", "idmLastLoginTime", "authTimestamp",	"createTimestamp",
	"creatorsName",	 "idmValidUntil",    "idmUntil",	"idmRequestId",
	"idmPrivilegeRequest", "idmAuditPending", NULL,
};

/* An exception that applies at now (idm_exception_in_force()).  They are
 * read once, before the walk: listing them is a paged search, and a
 * paged search inside the walk's would end the walk's
 * (slapd keeps one per connection); an exception revoked during the run
 * still exempts in it, which errs on the side of not disabling. */
struct exc {
	char *subject, *rule, *id;
	time_t until;
};

/* An applied grant-privilege request. */
struct grant {
	char *subject, *id;
};

/* A member of a role group, and what is wrong with it (NULL: nothing). */
struct member {
	char *dn, *uid, *status, *problem;
	unsigned roles;
	bool privileged;
};

/* A retired account waiting for the groups lookup. */
struct retired {
	char *uid, *dn, *groups;
	bool privileged;
	time_t last_login, created;
};

struct sweep {
	struct idm_operator *op;
	const struct idm_config *cfg;
	const struct idm_log *log;
	const struct idm_sweep_options *o;
	struct idm_sweep_summary *sum;
	int page_size;
	struct exc *exc;
	size_t n_exc;
	struct grant *grants;
	size_t n_grants;
	char **creators; /* creatorsName of the role groups: who ran idmgr init */
	size_t n_creators;
	struct member *members;
	size_t n_members;
	struct retired *retired; /* sorted by uid once the walk is over */
	size_t n_retired, cap_retired;
	bool refused;
};

static void acct_clear(struct acct *a)
{
	free(a->dn);
	free(a->uid);
	free(a->status);
	free(a->reason);
	free(a->creator);
	free(a->request_id);
	free(a->grant_id);
	free(a->pending);
	memset(a, 0, sizeof(*a));
}

static char *bv_dup(const struct berval *bv)
{
	char *s;

	if (!bv || !bv->bv_val || memchr(bv->bv_val, '\0', bv->bv_len))
		return NULL;
	s = malloc(bv->bv_len + 1);
	if (s) {
		memcpy(s, bv->bv_val, bv->bv_len);
		s[bv->bv_len] = '\0';
	}
	return s;
}

static time_t bv_time(const struct berval *bv)
{
	char buf[40];
	time_t t;

	if (!bv || !bv->bv_val || bv->bv_len >= sizeof(buf))
		return 0;
	memcpy(buf, bv->bv_val, bv->bv_len);
	buf[bv->bv_len] = '\0';
	return idm_time_parse(buf, &t) == IDM_OK ? t : 0;
}

static bool bv_is(const struct berval *bv, const char *name)
{
	size_t n = strlen(name);

	return bv->bv_len == n && strncasecmp(bv->bv_val, name, n) == 0;
}

static bool is_status(const char *status, const char *what)
{
	return status && strcasecmp(status, what) == 0;
}

/* Reads the entry in one walk over its attributes (not one scan per
 * attribute: this runs for every account of the directory). */
static int parse_account(LDAP *ld, LDAPMessage *e, const char *actor, struct acct *a)
{
	BerElement *ber = NULL;
	struct berval bv = { 0, NULL }, *vals = NULL;
	int rc;

	memset(a, 0, sizeof(*a));
	rc = ldap_get_dn_ber(ld, e, &ber, &bv);
	if (rc != LDAP_SUCCESS)
		return IDM_EINVAL;
	if (!(a->dn = bv_dup(&bv))) {
		ber_free(ber, 0);
		return IDM_ENOMEM;
	}
	for (rc = ldap_get_attribute_ber(ld, e, ber, &bv, &vals); rc == LDAP_SUCCESS && bv.bv_val;
	     rc = ldap_get_attribute_ber(ld, e, ber, &bv, &vals)) {
		const struct berval *v = vals && vals[0].bv_val ? &vals[0] : NULL;

		if (!v)
			;
		else if (bv_is(&bv, "uid"))
			a->uid = bv_dup(v);
		else if (bv_is(&bv, "idmStatus"))
			a->status = bv_dup(v);
		else if (bv_is(&bv, "idmStatusReason"))
			a->reason = bv_dup(v);
		else if (bv_is(&bv, "idmStatusTime"))
			a->status_time = bv_time(v);
		else if (bv_is(&bv, "idmPrivileged"))
			a->privileged = v->bv_len == 4 && memcmp(v->bv_val, "TRUE", 4) == 0;
		else if (bv_is(&bv, "idmLastLoginTime"))
			a->pam_login = bv_time(v);
		else if (bv_is(&bv, "authTimestamp"))
			a->auth_login = bv_time(v);
		else if (bv_is(&bv, "createTimestamp"))
			a->created = bv_time(v);
		else if (bv_is(&bv, "creatorsName"))
			a->creator = bv_dup(v);
		else if (bv_is(&bv, "idmValidUntil"))
			a->valid_until = bv_time(v);
		else if (bv_is(&bv, "idmUntil"))
			a->until = bv_time(v);
		else if (bv_is(&bv, "idmRequestId"))
			a->request_id = bv_dup(v);
		else if (bv_is(&bv, "idmPrivilegeRequest"))
			a->grant_id = bv_dup(v);
		else if (bv_is(&bv, "idmAuditPending"))
			for (size_t i = 0; vals[i].bv_val && !a->pending; i++) {
				char *mark = bv_dup(&vals[i]);
				if (mark && idm_action_find_mark(&mark, 1, actor, "sweep"))
					a->pending = mark;
				else
					free(mark);
			}
		ber_memfree(vals);
		vals = NULL;
	}
	ber_free(ber, 0);
	return IDM_OK;
}

static time_t last_login(const struct acct *a)
{
	return idm_sweep_last_login(a->pam_login, a->auth_login);
}

/* ------------------------------------------------------------ findings */

static int emit(struct sweep *s, const struct acct *a, enum idm_sweep_class cls,
		enum idm_sweep_class rule_class, enum idm_sweep_action action, const char *detail)
{
	struct idm_sweep_finding f = {
		.cls = cls,
		.rule_class = rule_class,
		.action = action,
		.uid = a->uid,
		.dn = a->dn,
		.status = a->status,
		.privileged = a->privileged,
		.last_login = last_login(a),
		.created = a->created,
		.valid_until = a->valid_until,
		.until = a->until,
		.detail = detail,
	};

	s->sum->classes[cls]++;
	s->sum->actions[action]++;
	if (action == IDM_SWEEP_REFUSED)
		s->refused = true;
	return s->o->finding ? s->o->finding(s->o->ctx, &f) : IDM_OK;
}

/* ------------------------------------------------------------ preload */

static int keep_exception(void *ctx, const struct idm_exception *e)
{
	struct sweep *s = ctx;
	struct exc *grown, *x;

	if (!idm_exception_in_force(e, s->o->now))
		return IDM_OK; /* expired and revoked ones stay for review, not here */
	grown = realloc(s->exc, (s->n_exc + 1) * sizeof(*grown));
	if (!grown)
		return IDM_ENOMEM;
	s->exc = grown;
	x = &grown[s->n_exc];
	x->subject = strdup(e->subject);
	x->rule = strdup(e->rule);
	x->id = strdup(e->id);
	x->until = e->until;
	s->n_exc++;
	return x->subject && x->rule && x->id ? IDM_OK : IDM_ENOMEM;
}

static int by_subject_rule(const void *a, const void *b)
{
	const struct exc *x = a, *y = b;
	int c = strcmp(x->subject, y->subject);

	return c ? c : strcmp(x->rule, y->rule);
}

static int load_exceptions(struct sweep *s)
{
	int r = idm_exception_list(s->op->d, s->cfg, NULL, keep_exception, s);

	if (r == IDM_ENOENT) /* no ou=exceptions: none */
		r = IDM_OK;
	if (r == IDM_OK && s->n_exc > 1)
		qsort(s->exc, s->n_exc, sizeof(*s->exc), by_subject_rule);
	return r;
}

static const struct exc *find_exception(const struct sweep *s, const char *uid, const char *rule)
{
	struct exc key = { .subject = (char *)uid, .rule = (char *)rule };

	return s->n_exc ? bsearch(&key, s->exc, s->n_exc, sizeof(*s->exc), by_subject_rule) : NULL;
}

static int keep_grant(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct sweep *s = ctx;
	struct grant g = { idm_entry_value(ld, e, "idmSubject"),
			   idm_entry_value(ld, e, "idmRequestId") },
		     *grown;
	int r = IDM_OK;

	if (g.subject && g.id) {
		grown = realloc(s->grants, (s->n_grants + 1) * sizeof(*grown));
		if (grown) {
			s->grants = grown;
			grown[s->n_grants++] = g;
			g.subject = g.id = NULL;
		} else {
			r = IDM_ENOMEM;
		}
	}
	free(g.subject);
	free(g.id);
	return r;
}

static int by_subject_id(const void *a, const void *b)
{
	const struct grant *x = a, *y = b;
	int c = strcmp(x->subject, y->subject);

	return c ? c : strcmp(x->id, y->id);
}

/* The applied grant-privilege requests: an idmPrivilegeRequest on an
 * account must name one of them, for that very uid. */
static int load_grants(struct sweep *s)
{
	static const char *const attrs[] = { "idmRequestId", "idmSubject", NULL };
	static const char filter[] = "(&(objectClass=idmRequest)(idmRequestState=applied)"
				     "(idmRequestType=grant-privilege))";
	char *base = NULL;
	int r = idm_dn_child(&base, "ou", "requests", s->cfg->ldap.idmgr_dn);

	if (r == IDM_OK)
		r = idm_dir_search_paged(s->op->d, base, LDAP_SCOPE_ONELEVEL, filter, attrs,
					 s->page_size, keep_grant, s);
	if (r == IDM_ENOENT)
		r = IDM_OK;
	free(base);
	if (r == IDM_OK && s->n_grants > 1)
		qsort(s->grants, s->n_grants, sizeof(*s->grants), by_subject_id);
	return r;
}

static bool granted(const struct sweep *s, const char *uid, const char *id)
{
	struct grant key = { (char *)uid, (char *)id };

	return s->n_grants &&
	       bsearch(&key, s->grants, s->n_grants, sizeof(*s->grants), by_subject_id);
}

static bool has_value(struct berval **vals, const char *v)
{
	for (size_t i = 0; vals && vals[i]; i++)
		if (vals[i]->bv_len == strlen(v) &&
		    strncasecmp(vals[i]->bv_val, v, vals[i]->bv_len) == 0)
			return true;
	return false;
}

/* What is wrong with one role member: read its entry. */
static int check_member(struct sweep *s, struct member *m)
{
	static const char *const attrs[] = { "uid", "idmStatus", "idmPrivileged", "objectClass",
					     NULL };
	LDAPMessage *res = NULL, *e = NULL;
	LDAP *ld;
	struct berval **oc = NULL;
	char *priv = NULL;
	int r = idm_dir_search(s->op->d, m->dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res);
	const char *problem = NULL;

	ld = idm_dir_ldap(s->op->d);
	if (r == IDM_OK && ld)
		e = ldap_first_entry(ld, res);
	if (r == IDM_ENOENT || (r == IDM_OK && !e)) {
		problem = "no such entry";
		r = IDM_OK;
	} else if (r == IDM_OK) {
		oc = ldap_get_values_len(ld, e, "objectClass");
		m->uid = idm_entry_value(ld, e, "uid");
		m->status = idm_entry_value(ld, e, "idmStatus");
		priv = idm_entry_value(ld, e, "idmPrivileged");
		m->privileged = priv && strcmp(priv, "TRUE") == 0;
		if (!has_value(oc, "idmAccount"))
			problem = "not an account idmgr manages";
		else if (!is_status(m->status, "active"))
			problem = "the account is not active";
	}
	if (problem && !(m->problem = strdup(problem)))
		r = IDM_ENOMEM;
	ldap_value_free_len(oc);
	ldap_msgfree(res);
	free(priv);
	return r;
}

static int add_member(struct sweep *s, const struct berval *dn, int role)
{
	struct member *grown;

	if (dn->bv_len == 0)
		return IDM_OK; /* the empty DN stands for "nobody" in an empty role */
	for (size_t i = 0; i < s->n_members; i++)
		if (strlen(s->members[i].dn) == dn->bv_len &&
		    strncasecmp(s->members[i].dn, dn->bv_val, dn->bv_len) == 0) {
			s->members[i].roles |= 1u << role;
			return IDM_OK;
		}
	grown = realloc(s->members, (s->n_members + 1) * sizeof(*grown));
	if (!grown)
		return IDM_ENOMEM;
	s->members = grown;
	memset(&grown[s->n_members], 0, sizeof(*grown));
	grown[s->n_members].roles = 1u << role;
	if (!(grown[s->n_members].dn = bv_dup(dn)))
		return IDM_ENOMEM;
	s->n_members++;
	return IDM_OK;
}

/* The role groups: their members (each looked up once) and who created
 * them (the identity that ran idmgr init). */
static int load_roles(struct sweep *s)
{
	static const char *const attrs[] = { "member", "creatorsName", NULL };
	int r = IDM_OK;

	for (int i = 0; r == IDM_OK && i < IDM_ROLE_COUNT; i++) {
		LDAPMessage *res = NULL, *e;
		struct berval **vals = NULL;
		char *creator = NULL;
		LDAP *ld;

		r = idm_dir_search(s->op->d, s->cfg->roles.dn[i], LDAP_SCOPE_BASE,
				   "(objectClass=*)", attrs, 1, &res);
		ld = idm_dir_ldap(s->op->d);
		if (r == IDM_ENOENT) { /* a role nobody holds */
			ldap_msgfree(res);
			r = IDM_OK;
			continue;
		}
		e = r == IDM_OK && ld ? ldap_first_entry(ld, res) : NULL;
		if (e) {
			vals = ldap_get_values_len(ld, e, "member");
			creator = idm_entry_value(ld, e, "creatorsName");
		}
		for (size_t k = 0; r == IDM_OK && vals && vals[k]; k++)
			r = add_member(s, vals[k], i);
		if (r == IDM_OK && creator) {
			bool known = false;
			for (size_t k = 0; k < s->n_creators; k++)
				known = known || strcasecmp(s->creators[k], creator) == 0;
			if (!known) {
				char **grown =
					realloc(s->creators, (s->n_creators + 1) * sizeof(*grown));
				if (grown) {
					s->creators = grown;
					grown[s->n_creators++] = creator;
					creator = NULL;
				} else {
					r = IDM_ENOMEM;
				}
			}
		}
		free(creator);
		ldap_value_free_len(vals);
		ldap_msgfree(res);
	}
	for (size_t k = 0; r == IDM_OK && k < s->n_members; k++)
		r = check_member(s, &s->members[k]);
	return r;
}

/* One of the first officers idmgr init made: no register request made the
 * account, and whoever created the role groups (the directory
 * administrator, at the bootstrap) created it. */
static bool made_by_init(const struct sweep *s, const struct acct *a)
{
	if (a->request_id || !a->creator)
		return false;
	for (size_t k = 0; k < s->n_creators; k++)
		if (strcasecmp(s->creators[k], a->creator) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------ disabling */

static int reason_for(enum idm_sweep_class cls, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s%s", REASON_PREFIX, idm_sweep_class_name(cls));

	return n > 0 && (size_t)n < size ? IDM_OK : IDM_ERANGE;
}

/* The class a sweep disabled for ("sweep: CLASS"); -1 for any other
 * reason. */
static int disabled_class(const char *reason)
{
	size_t plen = strlen(REASON_PREFIX);

	if (!reason || strncmp(reason, REASON_PREFIX, plen) != 0)
		return -1;
	for (int c = 0; c < IDM_SWEEP_CLASS_COUNT; c++)
		if (idm_sweep_rule_of((enum idm_sweep_class)c) &&
		    strcmp(reason + plen, idm_sweep_class_name((enum idm_sweep_class)c)) == 0)
			return c;
	return -1;
}

/* Why this operator may not disable this account, or NULL. */
static const char *refusal(const struct sweep *s, const struct acct *a)
{
	const char *rule;

	if (strcasecmp(a->uid, s->op->uid) == 0)
		return "the sweep never disables the operator running it";
	if ((rule = idm_sod_privileged(s->op->roles, a->privileged)))
		return rule;
	if (idm_uid_check(s->cfg, a->uid) < 0)
		return "the uid does not match registration.uid_pattern";
	return NULL;
}

static int refuse(struct sweep *s, const struct acct *a, enum idm_sweep_class cls, const char *why,
		  const char *rule)
{
	char detail[512];

	snprintf(detail, sizeof(detail), "%s: %s", idm_sweep_class_name(cls), why);
	if (idm_uid_check(s->cfg, a->uid) == IDM_OK) /* logged when it fails */
		idm_operator_refuse(s->op, s->cfg, s->log, "sweep", a->uid, NULL, IDM_EDENIED, rule,
				    detail);
	else
		idm_logf(s->log, LOG_WARNING, "sweep %s refused: %s", a->uid, rule);
	snprintf(detail, sizeof(detail), "%s; not disabled: %s", why, rule);
	return emit(s, a, cls, cls, IDM_SWEEP_REFUSED, detail);
}

/* Disables one account and records it as one unit (idm_action.h): the
 * compare-and-swap active -> suspended carries the pending mark, then the
 * record, then the mark goes. */
static int disable(struct sweep *s, const struct acct *a, enum idm_sweep_class cls, const char *why)
{
	char reason[64], now[IDM_GENTIME_LEN], detail[512], as_of[11];
	struct idm_audit_event ev = { .action = "sweep", .subject = a->uid, .outcome = "done" };
	struct idm_action x = { 0 };
	const char *rule;
	struct idm_mods *m = NULL;
	int r;

	if (!s->o->apply)
		return emit(s, a, cls, cls, IDM_SWEEP_WOULD_DISABLE, why);
	if ((rule = refusal(s, a)))
		return refuse(s, a, cls, why, rule);
	r = reason_for(cls, reason, sizeof(reason));
	if (r < 0)
		return r;
	idm_sweep_day(s->o->now, as_of);
	snprintf(detail, sizeof(detail),
		 "disabled: %s; %s (sweep as of %s, inactive_days %ld, "
		 "never_used_days %ld)",
		 idm_sweep_class_name(cls), why, as_of, s->o->inactive_days, s->o->never_used_days);
	ev.detail = detail;
	r = idm_action_start(s->op, NULL, &ev, &x);
	if (r < 0)
		return r;
	idm_time_format(time(NULL), now);
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_DELETE, "idmStatus", "active");
	idm_mods_add(m, LDAP_MOD_ADD, "idmStatus", "suspended");
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmStatusReason", reason);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmStatusTime", now);
	idm_effect_status_lock(m, "suspended");
	idm_action_mark(&x, m);
	r = idm_dir_apply(s->op->d, a->dn, m);
	if (r == IDM_ENOVALUE) {
		idm_action_clear(&x);
		snprintf(detail, sizeof(detail), "%s; no longer active when disabling: left alone",
			 why);
		return emit(s, a, cls, cls, IDM_SWEEP_CHANGED, detail);
	}
	if (r == IDM_EDENIED) {
		idm_action_clear(&x);
		idm_logf(s->log, LOG_ERR, "sweep: the directory refused to disable %s", a->uid);
		return refuse(s, a, cls, why, "the directory refused the change");
	}
	if (r == IDM_OK)
		r = idm_action_finish(s->op, s->cfg, s->log, a->dn, &x);
	idm_action_clear(&x);
	if (r < 0)
		return r; /* the mark stays: the next run completes it */
	return emit(s, a, cls, cls, IDM_SWEEP_DISABLED, why);
}

/* A disable an interrupted run left marked: write the audit record it
 * owes (once: the trail knows its token), then remove the mark. */
static int resume(struct sweep *s, struct acct *a, enum idm_sweep_class cls)
{
	struct idm_action x;
	char detail[512], when[11];
	const char *rule;
	int r;

	idm_sweep_day(a->status_time, when);
	snprintf(detail, sizeof(detail),
		 "disabled by a sweep on %s that was interrupted before "
		 "its audit record",
		 when);
	if (!s->o->apply)
		return emit(s, a, cls, cls, IDM_SWEEP_PENDING, detail);
	if ((rule = refusal(s, a)))
		return refuse(s, a, cls, detail, rule);
	r = idm_action_parse(a->pending, &x);
	if (r == IDM_OK)
		r = idm_action_finish(s->op, s->cfg, s->log, a->dn, &x);
	idm_action_clear(&x);
	if (r < 0)
		return r;
	return emit(s, a, cls, cls, IDM_SWEEP_COMPLETED, detail);
}

/* ------------------------------------------------------------ classes */

/* Stale, never used, expired: the first of them no exception lifts is
 * disabled; those lifted are listed as exempt. */
static int inactivity(struct sweep *s, struct acct *a)
{
	const struct idm_sweep_dates dates = {
		.last_login = last_login(a),
		.created = a->created,
		.valid_until = a->valid_until,
		.status_time = a->status_time,
	};
	struct idm_sweep_candidate cand[2];
	size_t n = idm_sweep_inactivity(&dates, s->o->now, s->o->inactive_days,
					s->o->never_used_days, cand);
	int r = IDM_OK;

	for (size_t i = 0; r == IDM_OK && i < n; i++) {
		const char *rule = idm_sweep_rule_of(cand[i].cls);
		const struct exc *x = find_exception(s, a->uid, rule);
		char detail[640], until[11];

		if (!x)
			return disable(s, a, cand[i].cls, cand[i].why);
		idm_sweep_day(x->until, until);
		snprintf(detail, sizeof(detail), "%s %s; exception %s (rule %s) until %s",
			 idm_sweep_class_name(cand[i].cls), cand[i].why, x->id, rule, until);
		r = emit(s, a, IDM_SWEEP_EXEMPT, cand[i].cls, IDM_SWEEP_LISTED, detail);
	}
	return r;
}

/* Drift: a privileged ID that no applied grant-privilege request made so
 * (R-PRIV-1, R-PRIV-2).  idmPrivilegeRequest names the request; "init"
 * stands for the bootstrap, and is believed only of the officers idmgr
 * init made. */
static int drift(struct sweep *s, const struct acct *a)
{
	bool by_init = a->grant_id && strcmp(a->grant_id, INIT_GRANT) == 0;
	char detail[300];

	if (a->grant_id && (by_init ? made_by_init(s, a) : granted(s, a->uid, a->grant_id)))
		return IDM_OK;
	if (!a->grant_id)
		snprintf(detail, sizeof(detail), "privileged without a grant-privilege request");
	else if (by_init)
		snprintf(detail, sizeof(detail),
			 "idmPrivilegeRequest says %s, but idmgr init did not "
			 "make this account",
			 INIT_GRANT);
	else
		snprintf(detail, sizeof(detail),
			 "idmPrivilegeRequest names %s, which is no applied "
			 "grant-privilege request for this ID",
			 a->grant_id);
	return emit(s, a, IDM_SWEEP_PRIVILEGE_DRIFT, IDM_SWEEP_PRIVILEGE_DRIFT, IDM_SWEEP_LISTED,
		    detail);
}

static int seconded(struct sweep *s, const struct acct *a)
{
	char detail[200];

	if (!idm_sweep_seconded_overdue(a->until, s->o->now, detail, sizeof(detail)))
		return IDM_OK;
	return emit(s, a, IDM_SWEEP_SECONDED_OVERDUE, IDM_SWEEP_SECONDED_OVERDUE, IDM_SWEEP_LISTED,
		    detail);
}

/* ------------------------------------------------------------ retired */

static void retired_clear(struct sweep *s)
{
	for (size_t i = 0; i < s->n_retired; i++) {
		free(s->retired[i].uid);
		free(s->retired[i].dn);
		free(s->retired[i].groups);
	}
	free(s->retired);
	s->retired = NULL;
	s->n_retired = s->cap_retired = 0;
}

static int append_group(struct retired *t, const struct berval *cn)
{
	size_t old = t->groups ? strlen(t->groups) : 0;
	char *grown = realloc(t->groups, old + cn->bv_len + 3);

	if (!grown)
		return IDM_ENOMEM;
	t->groups = grown;
	if (old)
		memcpy(grown + old, ", ", 2), old += 2;
	memcpy(grown + old, cn->bv_val, cn->bv_len);
	grown[old + cn->bv_len] = '\0';
	return IDM_OK;
}

static int by_uid(const void *a, const void *b)
{
	return strcmp(((const struct retired *)a)->uid, ((const struct retired *)b)->uid);
}

/* bsearch key: a memberUid value as sent (not NUL-terminated). */
static int bv_vs_retired(const void *key, const void *elem)
{
	const struct berval *v = key;
	const char *uid = ((const struct retired *)elem)->uid;
	size_t n = strlen(uid);
	int c = memcmp(v->bv_val, uid, v->bv_len < n ? v->bv_len : n);

	return c ? c : v->bv_len < n ? -1 : v->bv_len > n ? 1 : 0;
}

/* The value of the first RDN of dn (a group's cn), in *out (malloc'ed). */
static int first_rdn_value(const struct berval *dn, char **out)
{
	LDAPDN parts = NULL;
	int r = IDM_EINVAL;

	*out = NULL;
	if (ldap_bv2dn((struct berval *)dn, &parts, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
	    parts && parts[0] && parts[0][0]) {
		*out = bv_dup(&parts[0][0]->la_value);
		r = *out ? IDM_OK : IDM_ENOMEM;
	}
	ldap_dnfree(parts);
	return r;
}

/* One group: each memberUid value looked up among the retired uids.  The
 * values are read in place from the answer, one by one: a group may hold
 * every account of the directory, and a copy or an array of them would
 * make the sweep's memory grow with it.  Only memberUid is asked for; the
 * group's name is its RDN. */
static int group_members(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct sweep *s = ctx;
	BerElement *ber = NULL;
	struct berval dn = { 0, NULL }, type = { 0, NULL }, v, name;
	ber_len_t len;
	ber_tag_t tag;
	char *last = NULL, *cn = NULL;
	int r = IDM_OK;

	if (ldap_get_dn_ber(ld, e, &ber, &dn) != LDAP_SUCCESS)
		return IDM_EINVAL;
	r = first_rdn_value(&dn, &cn);
	if (r < 0 || ber_scanf(ber, "{m", &type) == LBER_ERROR || !bv_is(&type, "memberUid"))
		goto out; /* no values (or no name): nothing to match */
	name.bv_val = cn;
	name.bv_len = strlen(cn);
	for (tag = ber_first_element(ber, &len, &last); tag != LBER_DEFAULT && r == IDM_OK;
	     tag = ber_next_element(ber, &len, last)) {
		struct retired *t;

		if (ber_get_stringbv(ber, &v, LBER_BV_NOTERM) == LBER_ERROR) {
			r = IDM_EINVAL;
			break;
		}
		t = bsearch(&v, s->retired, s->n_retired, sizeof(*s->retired), bv_vs_retired);
		if (t)
			r = append_group(t, &name);
	}
out:
	ber_free(ber, 0);
	free(cn);
	return r;
}

/* R-REG-5: retired accounts still in groups.  One paged search of the
 * groups after the walk (not one search per account), intersected with the
 * retired uids the walk collected. */
static int retired_in_groups(struct sweep *s)
{
	static const char *const attrs[] = { "memberUid", NULL };
	int r = IDM_OK;

	if (s->n_retired == 0)
		return IDM_OK;
	qsort(s->retired, s->n_retired, sizeof(*s->retired), by_uid);
	r = idm_dir_search_paged(s->op->d, s->cfg->ldap.groups_dn, LDAP_SCOPE_SUBTREE,
				 "(&(objectClass=posixGroup)(memberUid=*))", attrs, GROUP_PAGE,
				 group_members, s);
	if (r == IDM_ENOENT) /* no groups_dn: no groups */
		r = IDM_OK;
	for (size_t i = 0; r == IDM_OK && i < s->n_retired; i++) {
		struct retired *t = &s->retired[i];
		struct acct a = { .dn = t->dn,
				  .uid = t->uid,
				  .status = (char *)"retired",
				  .privileged = t->privileged,
				  .pam_login = t->last_login,
				  .created = t->created };
		char *detail = NULL;

		if (!t->groups)
			continue;
		if (asprintf(&detail, "retired, still a member of %s", t->groups) < 0) {
			r = IDM_ENOMEM;
			break;
		}
		r = emit(s, &a, IDM_SWEEP_RETIRED_IN_GROUPS, IDM_SWEEP_RETIRED_IN_GROUPS,
			 IDM_SWEEP_LISTED, detail);
		free(detail);
	}
	return r;
}

static int retired_add(struct sweep *s, struct acct *a)
{
	struct retired *t;

	if (s->n_retired == s->cap_retired) {
		size_t cap = s->cap_retired ? 2 * s->cap_retired : 64;
		struct retired *grown = realloc(s->retired, cap * sizeof(*grown));
		if (!grown)
			return IDM_ENOMEM;
		s->retired = grown;
		s->cap_retired = cap;
	}
	t = &s->retired[s->n_retired++];
	memset(t, 0, sizeof(*t));
	t->uid = a->uid;
	t->dn = a->dn;
	a->uid = a->dn = NULL; /* the list owns them now */
	t->privileged = a->privileged;
	t->last_login = last_login(a);
	t->created = a->created;
	return IDM_OK;
}

/* ------------------------------------------------------------ the walk */

static int account(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct sweep *s = ctx;
	struct acct a;
	int cls, r = parse_account(ld, e, s->op->dn, &a);

	if (r < 0)
		goto out;
	s->sum->accounts++;
	if (s->o->progress)
		s->o->progress(s->o->ctx, s->sum->accounts);
	if (!a.uid) {
		idm_logf(s->log, LOG_WARNING, "sweep: %s has no uid; skipped", a.dn);
		goto out;
	}
	if (a.privileged)
		r = drift(s, &a);
	if (r < 0)
		goto out;
	if (is_status(a.status, "active"))
		r = inactivity(s, &a);
	else if (is_status(a.status, "suspended") && a.pending && (cls = disabled_class(a.reason)) >= 0)
		r = resume(s, &a, (enum idm_sweep_class)cls);
	else if (is_status(a.status, "seconded"))
		r = seconded(s, &a);
	else if (is_status(a.status, "retired"))
		r = retired_add(s, &a);
out:
	acct_clear(&a);
	return r;
}

static int walk(struct sweep *s, const char *filter)
{
	return idm_dir_search_paged(s->op->d, s->cfg->ldap.people_dn, LDAP_SCOPE_SUBTREE, filter,
				    account_attrs, s->page_size, account, s);
}

static int role_findings(struct sweep *s)
{
	int r = IDM_OK;

	for (size_t i = 0; r == IDM_OK && i < s->n_members; i++) {
		struct member *m = &s->members[i];
		struct acct a = {
			.dn = m->dn, .uid = m->uid, .status = m->status, .privileged = m->privileged
		};
		char roles[128] = "", detail[400];

		if (!m->problem)
			continue;
		for (int k = 0; k < IDM_ROLE_COUNT; k++)
			if (m->roles & (1u << k)) {
				if (*roles)
					strncat(roles, ", ", sizeof(roles) - strlen(roles) - 1);
				strncat(roles, idm_role_name(k), sizeof(roles) - strlen(roles) - 1);
			}
		snprintf(detail, sizeof(detail), "member of role %s: %s%s%s", roles, m->problem,
			 m->status ? "; status " : "", m->status ? m->status : "");
		r = emit(s, &a, IDM_SWEEP_ROLE_NOT_ACTIVE, IDM_SWEEP_ROLE_NOT_ACTIVE,
			 IDM_SWEEP_LISTED, detail);
	}
	return r;
}

static void sweep_free(struct sweep *s)
{
	for (size_t i = 0; i < s->n_exc; i++) {
		free(s->exc[i].subject);
		free(s->exc[i].rule);
		free(s->exc[i].id);
	}
	free(s->exc);
	for (size_t i = 0; i < s->n_grants; i++) {
		free(s->grants[i].subject);
		free(s->grants[i].id);
	}
	free(s->grants);
	for (size_t i = 0; i < s->n_creators; i++)
		free(s->creators[i]);
	free(s->creators);
	for (size_t i = 0; i < s->n_members; i++) {
		free(s->members[i].dn);
		free(s->members[i].uid);
		free(s->members[i].status);
		free(s->members[i].problem);
	}
	free(s->members);
	retired_clear(s);
}

int idm_sweep_run(struct idm_operator *op, const struct idm_config *cfg, const struct idm_log *log,
		  const struct idm_sweep_options *o, struct idm_sweep_summary *sum)
{
	struct idm_sweep_summary unused;
	struct sweep s = { .op = op, .cfg = cfg, .log = log, .o = o };
	int r;

	s.sum = sum ? sum : &unused;
	memset(s.sum, 0, sizeof(*s.sum));
	s.page_size = o->page_size ? o->page_size : DEFAULT_PAGE;
	if (o->inactive_days < 1 || o->inactive_days > 3650 || o->never_used_days < 1 ||
	    o->never_used_days > 3650 || s.page_size < 1 || s.page_size > 100000 || o->now <= 0) {
		idm_logf(log, LOG_ERR,
			 "sweep: inactive_days and never_used_days must be 1 to 3650");
		return IDM_EINVAL;
	}
	if (o->apply) {
		r = idm_operator_require(op, log, 1u << IDM_ROLE_SYSTEM_ADMIN, "sweep --apply");
		if (r < 0)
			return idm_operator_refuse(op, s.cfg, log, "sweep", NULL, NULL, r,
						   "sweep --apply needs system_admin", NULL);
	} else if ((r = idm_operator_officer(op, log, "the sweep")) < 0) {
		return r;
	}
	r = load_roles(&s);
	if (r == IDM_OK)
		r = load_grants(&s);
	if (r == IDM_OK)
		r = load_exceptions(&s);
	/* Privileged IDs first: their findings lead the report. */
	if (r == IDM_OK)
		r = walk(&s, "(&(objectClass=idmAccount)(idmPrivileged=TRUE))");
	if (r == IDM_OK)
		r = walk(&s, "(&(objectClass=idmAccount)(!(idmPrivileged=TRUE)))");
	if (r == IDM_OK)
		r = retired_in_groups(&s);
	if (r == IDM_OK)
		r = role_findings(&s);
	if (r == IDM_OK && s.refused)
		r = IDM_EDENIED;
	sweep_free(&s);
	return r;
}
