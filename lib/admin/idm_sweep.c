#include "config.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_dir.h"
#include "idm_error.h"
#include "idm_action.h"
#include "idm_sweep.h"
#include "idm_sweep_rules.h"
#include "idm_sweep_run.h"
#include "idm_text.h"
#include "idm_time.h"
#include "idm_i18n.h"

#define DEFAULT_PAGE 1000
/* Groups per page when reading memberships: a page holds the values of
 * every group in it, and a group may hold every account. */
#define GROUP_PAGE 10
/* idmPrivilegeRequest of the officers idmgr init made (idm_bootstrap.c) */
#define INIT_GRANT "init"

/* ------------------------------------------------------------ state */

const char *const idm_sweep_account_attrs[] = {
	"uid",
	"idmStatus",
	"idmStatusReason",
	"idmStatusTime",
	"idmPrivileged",
	"idmLastLoginTime",
	"authTimestamp",
	"createTimestamp",
	"creatorsName",
	"idmValidUntil",
	"idmUntil",
	"idmRequestId",
	"idmPrivilegeRequest",
	"idmAuditPending",
	NULL,
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

bool idm_sweep_is_status(const char *status, const char *what)
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
	if (!(a->dn = idm_bv_strdup(&bv))) {
		ber_free(ber, 0);
		return IDM_ENOMEM;
	}
	for (rc = ldap_get_attribute_ber(ld, e, ber, &bv, &vals); rc == LDAP_SUCCESS && bv.bv_val;
	     rc = ldap_get_attribute_ber(ld, e, ber, &bv, &vals)) {
		const struct berval *v = vals && vals[0].bv_val ? &vals[0] : NULL;

		if (!v)
			;
		else if (bv_is(&bv, "uid"))
			a->uid = idm_bv_strdup(v);
		else if (bv_is(&bv, "idmStatus"))
			a->status = idm_bv_strdup(v);
		else if (bv_is(&bv, "idmStatusReason"))
			a->reason = idm_bv_strdup(v);
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
			a->creator = idm_bv_strdup(v);
		else if (bv_is(&bv, "idmValidUntil"))
			a->valid_until = bv_time(v);
		else if (bv_is(&bv, "idmUntil"))
			a->until = bv_time(v);
		else if (bv_is(&bv, "idmRequestId"))
			a->request_id = idm_bv_strdup(v);
		else if (bv_is(&bv, "idmPrivilegeRequest"))
			a->grant_id = idm_bv_strdup(v);
		else if (bv_is(&bv, "idmAuditPending"))
			for (size_t i = 0; vals[i].bv_val && !a->pending; i++) {
				char *mark = idm_bv_strdup(&vals[i]);
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

int idm_sweep_emit(struct sweep *s, const struct acct *a, enum idm_sweep_class cls,
		   enum idm_sweep_class rule_class, enum idm_sweep_action action,
		   const struct idm_sweep_said *said)
{
	char *detail;
	int r;
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
		.detail = NULL,
		.said = said,
	};

	/* the English, from the clauses; a retired account's groups have no
	 * bound */
	if (!(detail = idm_sweep_detail_dup(&f, false)))
		return IDM_ENOMEM;
	f.detail = detail;
	s->sum->classes[cls]++;
	s->sum->actions[action]++;
	if (action == IDM_SWEEP_REFUSED)
		s->refused = true;
	r = s->o->finding ? s->o->finding(s->o->ctx, &f) : IDM_OK;
	free(detail);
	return r;
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
		const struct exc *x = idm_sweep_find_exception(s, a->uid, rule);
		struct idm_sweep_said said = { .c = { cand[i].said }, .n = 1 };
		struct idm_sweep_clause *c;
		char until[IDM_DATE_LEN];

		if (!x)
			return idm_sweep_disable(s, a, &cand[i]);
		idm_date_format(x->until, until);
		/* the class lifted goes before it (idm_sweep_detail) */
		c = idm_sweep_say(&said, N_("exception %s (rule %s) until %s"));
		idm_sweep_arg(c, NULL, x->id);
		idm_sweep_arg(c, NULL, rule);
		idm_sweep_arg(c, NULL, until);
		r = idm_sweep_emit(s, a, IDM_SWEEP_EXEMPT, cand[i].cls, IDM_SWEEP_LISTED, &said);
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
	struct idm_sweep_said said = { .n = 0 };

	if (a->grant_id &&
	    (by_init ? idm_sweep_made_by_init(s, a) : idm_sweep_granted(s, a->uid, a->grant_id)))
		return IDM_OK;
	if (!a->grant_id)
		idm_sweep_say(&said, N_("privileged without a grant-privilege request"));
	else if (by_init)
		idm_sweep_arg(idm_sweep_say(&said, N_("idmPrivilegeRequest says %s, but idmgr "
						      "init did not make this account")),
			      NULL, INIT_GRANT);
	else
		idm_sweep_arg(idm_sweep_say(&said, N_("idmPrivilegeRequest names %s, which is no "
						      "applied grant-privilege request for this "
						      "ID")),
			      NULL, a->grant_id);
	return idm_sweep_emit(s, a, IDM_SWEEP_PRIVILEGE_DRIFT, IDM_SWEEP_PRIVILEGE_DRIFT,
			      IDM_SWEEP_LISTED, &said);
}

static int seconded(struct sweep *s, const struct acct *a)
{
	struct idm_sweep_candidate why;
	struct idm_sweep_said said = { .n = 1 };

	if (!idm_sweep_seconded_overdue(a->until, s->o->now, &why))
		return IDM_OK;
	said.c[0] = why.said;
	return idm_sweep_emit(s, a, IDM_SWEEP_SECONDED_OVERDUE, IDM_SWEEP_SECONDED_OVERDUE,
			      IDM_SWEEP_LISTED, &said);
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
		*out = idm_bv_strdup(&parts[0][0]->la_value);
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
		struct idm_sweep_said said = { .n = 0 };

		if (!t->groups)
			continue;
		idm_sweep_arg(idm_sweep_say(&said, N_("retired, still a member of %s")), NULL,
			      t->groups);
		r = idm_sweep_emit(s, &a, IDM_SWEEP_RETIRED_IN_GROUPS, IDM_SWEEP_RETIRED_IN_GROUPS,
				   IDM_SWEEP_LISTED, &said);
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
		idm_logf(s->log, LOG_WARNING, N_("sweep: %s has no uid; skipped"), a.dn);
		goto out;
	}
	if (a.privileged)
		r = drift(s, &a);
	if (r < 0)
		goto out;
	if (idm_sweep_is_status(a.status, "active"))
		r = inactivity(s, &a);
	else if (idm_sweep_is_status(a.status, "suspended") && a.pending &&
		 (cls = idm_sweep_disabled_class(a.reason)) >= 0)
		r = idm_sweep_resume(s, &a, (enum idm_sweep_class)cls);
	else if (idm_sweep_is_status(a.status, "seconded"))
		r = seconded(s, &a);
	else if (idm_sweep_is_status(a.status, "retired"))
		r = retired_add(s, &a);
out:
	acct_clear(&a);
	return r;
}

static int walk(struct sweep *s, const char *filter)
{
	return idm_dir_search_paged(s->op->d, s->cfg->ldap.people_dn, LDAP_SCOPE_SUBTREE, filter,
				    idm_sweep_account_attrs, s->page_size, account, s);
}

static int role_findings(struct sweep *s)
{
	int r = IDM_OK;

	for (size_t i = 0; r == IDM_OK && i < s->n_members; i++) {
		struct member *m = &s->members[i];
		struct acct a = {
			.dn = m->dn, .uid = m->uid, .status = m->status, .privileged = m->privileged
		};
		char roles[128] = "";
		struct idm_sweep_said said = { .n = 0 };
		struct idm_sweep_clause *c;

		if (!m->problem)
			continue;
		for (int k = 0; k < IDM_ROLE_COUNT; k++)
			if (m->roles & (1u << k)) {
				if (*roles)
					strncat(roles, ", ", sizeof(roles) - strlen(roles) - 1);
				strncat(roles, idm_role_name(k), sizeof(roles) - strlen(roles) - 1);
			}
		/* the roles' names as configured; the problem is a msgid */
		c = idm_sweep_say(&said, N_("member of role %s: %s"));
		idm_sweep_arg(c, NULL, roles);
		idm_sweep_arg(c, "", m->problem);
		if (m->status)
			idm_sweep_arg(idm_sweep_say(&said, N_("status %s")), "account status",
				      m->status);
		r = idm_sweep_emit(s, &a, IDM_SWEEP_ROLE_NOT_ACTIVE, IDM_SWEEP_ROLE_NOT_ACTIVE,
				   IDM_SWEEP_LISTED, &said);
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
	idm_strv_free(s->creators, s->n_creators);
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
			 N_("sweep: inactive_days and never_used_days must be 1 to 3650"));
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
	r = idm_sweep_load_roles(&s);
	if (r == IDM_OK)
		r = idm_sweep_load_grants(&s);
	if (r == IDM_OK)
		r = idm_sweep_load_exceptions(&s);
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
