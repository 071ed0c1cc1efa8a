/* The self-inspection report (R-REV-1); see idm_compliance.h. */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_account.h"
#include "idm_audit.h"
#include "idm_compliance.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_exception.h"
#include "idm_notice.h"
#include "idm_ppolicy.h"
#include "idm_report.h"
#include "idm_sweep.h"
#include "idm_i18n.h"
#include "idm_time.h"

#define DAY 86400L
#define MAX_HOSTS 64

const char *idm_verdict_name(enum idm_verdict v)
{
	return v == IDM_VERDICT_HOLDS      ? "holds"
	       : v == IDM_VERDICT_FINDINGS ? "findings"
					   : "not checked";
}

/* The titles are English msgids (N_): JSON and CSV keep them, the text
 * report says them in the reader's language. */
static const struct {
	const char *clause, *title;
} clause_names[IDM_CLAUSE_COUNT] = {
	[IDM_CLAUSE_PW1] = { "R-PW-1", N_("passwords long enough and hard to guess") },
	[IDM_CLAUSE_PW3] = { "R-PW-3",
			     N_("passwords changed periodically or after a number of uses") },
	[IDM_CLAUSE_PW4] = { "R-PW-4", N_("temporary passwords changed at the first login") },
	[IDM_CLAUSE_PRIV1] = { "R-PRIV-1", N_("privileged IDs kept to the minimum, each granted") },
	[IDM_CLAUSE_REG4] = { "R-REG-4", N_("IDs not in use are not left behind (the sweep)") },
	[IDM_CLAUSE_AUD1] = { "R-AUD-1", N_("the audit trail is complete and untampered") },
	[IDM_CLAUSE_EXC3] = { "R-EXC-3", N_("exceptions reviewed") },
	[IDM_CLAUSE_NOTICES] = { "R-PRIV-2, R-VIO-1, R-EXC-2",
				 N_("notices delivered to the officers") },
	[IDM_CLAUSE_LOGIN3] = { "R-LOGIN-3", N_("access records kept: hosts that logged in") },
};

struct run {
	struct idm_compliance *c;
	struct idm_operator *op;
	const struct idm_config *cfg;
	time_t as_of;
	int err; /* the first allocation failure */
	long active, temp, privileged, logins, exceptions;
	struct {
		char *name;
		long n;
		time_t last;
	} hosts[MAX_HOSTS];
	size_t n_hosts;
	long more_hosts;
};

/* The place of a new line in clause's findings (is_finding, the verdict
 * following) or evidence, keeping at most IDM_COMPLIANCE_LISTED: NULL when
 * it is only counted, or out of memory (r->err).  The caller fills it and
 * then counts it with line_kept(). */
static struct idm_log_kept *line_slot(struct run *r, int clause, bool is_finding)
{
	struct idm_clause_report *cr = &r->c->clauses[clause];
	struct idm_lines *l = is_finding ? &cr->findings : &cr->evidence;
	struct idm_log_kept *v;

	if (is_finding && cr->verdict == IDM_VERDICT_HOLDS)
		cr->verdict = IDM_VERDICT_FINDINGS;
	if (l->n >= IDM_COMPLIANCE_LISTED) {
		l->more++;
		return NULL;
	}
	if (!(v = realloc(l->v, (l->n + 1) * sizeof(*v)))) {
		if (!r->err)
			r->err = IDM_ENOMEM;
		return NULL;
	}
	l->v = v;
	return &v[l->n];
}

static void line_kept(struct run *r, int clause, bool is_finding, int filled)
{
	struct idm_clause_report *cr = &r->c->clauses[clause];

	if (filled == 0)
		(is_finding ? &cr->findings : &cr->evidence)->n++;
	else if (!r->err)
		r->err = IDM_ENOMEM;
}

/* How many lines clause's findings (is_finding) or evidence keep. */
static size_t lines_of(const struct run *r, int clause, bool is_finding)
{
	const struct idm_clause_report *cr = &r->c->clauses[clause];

	return is_finding ? cr->findings.n : cr->evidence.n;
}

/* The line just appended to clause's findings or evidence (before: their
 * count until then; nothing when it was only counted) said also in the
 * reader's language: fmt's translation with args, words and sentences of
 * the data already translated (a status, a sweep finding's detail). */
static void said_too(struct run *r, int clause, bool is_finding, size_t before, const char *fmt,
		     const char *const *args, int nargs)
{
	struct idm_clause_report *cr = &r->c->clauses[clause];
	struct idm_lines *l = is_finding ? &cr->findings : &cr->evidence;

	if (l->n > before) /* a failure leaves the line rendered as kept */
		(void)idm_log_kept_show(&l->v[l->n - 1], idm_tr(fmt), args, nargs);
}

/* Appends one formatted line (line_slot()); fmt is a msgid (N_), kept
 * with the line for the text report. */
static void vline(struct run *r, int clause, bool is_finding, const char *fmt, va_list ap)
{
	struct idm_log_kept *k = line_slot(r, clause, is_finding);

	if (k)
		line_kept(r, clause, is_finding, idm_log_keep(k, fmt, ap));
}

__attribute__((format(printf, 3, 4))) static void evidence(struct run *r, int clause,
							   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(r, clause, false, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void finding(struct run *r, int clause,
							  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(r, clause, true, fmt, ap);
	va_end(ap);
}

/* The clause could not be checked: why, its arguments msgids. */
__attribute__((format(printf, 3, 4))) static void why_not(struct run *r, int clause,
							  const char *fmt, ...)
{
	struct idm_clause_report *cr = &r->c->clauses[clause];
	va_list ap;

	cr->verdict = IDM_VERDICT_NOT_CHECKED;
	idm_log_kept_clear(&cr->why_not_checked);
	va_start(ap, fmt);
	if (idm_log_keep(&cr->why_not_checked, fmt, ap) < 0)
		r->err = IDM_ENOMEM;
	va_end(ap);
}

/* The clause's evidence could not be read: says why (err's text). */
static void not_checked(struct run *r, int clause, const char *what, int err)
{
	if (err == IDM_EUNAVAIL && !r->err)
		r->err = err; /* no server answered: no report at all */
	why_not(r, clause, "%s: %s", what, idm_strerror(err));
}

/* R-PW-1: the rules of each policy section, and its entry in slapd. */
static void check_policies(struct run *r)
{
	static const char *const attrs[] = { "pwdCheckModule", "pwdInHistory", "pwdMaxAge",
					     "pwdMaxFailure", NULL };
	const struct idm_config *cfg = r->cfg;

	for (size_t i = 0; i < cfg->n_policies; i++) {
		const struct idm_policy *p = &cfg->policies[i];
		LDAPMessage *res = NULL, *e;
		char *dn = NULL, *module = NULL, *hist = NULL, *age = NULL;
		int rc;

		evidence(r, IDM_CLAUSE_PW1,
			 N_("policy %s: min_length %ld, max_length %ld, min_classes %ld, history %ld"),
			 p->name, p->min_length, p->max_length, p->min_classes, p->history);
		if (p->blocklist_file && *p->blocklist_file)
			evidence(r, IDM_CLAUSE_PW1, N_("policy %s: blocklist %s"), p->name,
				 p->blocklist_file);
		else
			evidence(r, IDM_CLAUSE_PW1, N_("policy %s: no blocklist"), p->name);
		if (p->reject_user_name)
			evidence(r, IDM_CLAUSE_PW1,
				 N_("policy %s: a password holding the user's name is refused"),
				 p->name);
		else
			evidence(r, IDM_CLAUSE_PW1,
				 N_("policy %s: a password holding the user's name is allowed"),
				 p->name);
		rc = idm_ppolicy_dn(cfg, p->name, &dn);
		if (rc == IDM_OK)
			rc = idm_dir_search(r->op->d, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs,
					    1, &res);
		if (rc == IDM_ENOENT) {
			finding(r, IDM_CLAUSE_PW1,
				N_("policy %s: slapd has no policy entry %s (run idmgr init)"),
				p->name, dn);
		} else if (rc < 0) {
			not_checked(r, IDM_CLAUSE_PW1, dn ? dn : p->name, rc);
		} else if ((e = ldap_first_entry(idm_dir_ldap(r->op->d), res))) {
			module = idm_entry_value(idm_dir_ldap(r->op->d), e, "pwdCheckModule");
			hist = idm_entry_value(idm_dir_ldap(r->op->d), e, "pwdInHistory");
			age = idm_entry_value(idm_dir_ldap(r->op->d), e, "pwdMaxAge");
			if (!module)
				finding(r, IDM_CLAUSE_PW1,
					N_("policy %s: %s names no pwdCheckModule: slapd does not "
					   "check the quality of a user's own change"),
					p->name, dn);
			else if (cfg->ppolicy.check_module &&
				 strcmp(module, cfg->ppolicy.check_module) != 0)
				finding(r, IDM_CLAUSE_PW1,
					N_("policy %s: %s names pwdCheckModule %s, not %s (run idmgr "
					   "init)"),
					p->name, dn, module, cfg->ppolicy.check_module);
			evidence(r, IDM_CLAUSE_PW1,
				 N_("slapd entry %s: pwdCheckModule %s, pwdInHistory %s, pwdMaxAge %s"),
				 dn, module ? module : "-", hist ? hist : "-", age ? age : "-");
		}
		free(module);
		free(hist);
		free(age);
		ldap_msgfree(res);
		free(dn);
	}
}

static void count_host(struct run *r, const char *host, time_t when)
{
	size_t i;

	for (i = 0; i < r->n_hosts; i++)
		if (strcmp(r->hosts[i].name, host) == 0)
			break;
	if (i == r->n_hosts) {
		if (r->n_hosts == MAX_HOSTS) {
			r->more_hosts++;
			return;
		}
		if (!(r->hosts[i].name = strdup(host))) {
			r->err = IDM_ENOMEM;
			return;
		}
		r->n_hosts++;
	}
	r->hosts[i].n++;
	if (when > r->hosts[i].last)
		r->hosts[i].last = when;
}

/* One account: R-PW-3, R-PW-4, R-PRIV-1's evidence, R-LOGIN-3. */
static int account_one(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct run *r = ctx;
	struct idm_account *a = NULL;
	const struct idm_policy *p;
	char day[IDM_DATE_LEN];

	if (idm_account_from_entry(ld, e, &a) < 0)
		return IDM_OK;
	p = idm_account_policy(r->cfg, a);
	if (a->privileged) {
		char *grant = idm_entry_value(ld, e, "idmPrivilegeRequest");
		r->privileged++;
		const char *status = a->status ? a->status : "-";
		const char *said = a->status ? idm_trc("account status", a->status) : "-";
		size_t before = lines_of(r, IDM_CLAUSE_PRIV1, false);
		if (!grant) {
			evidence(r, IDM_CLAUSE_PRIV1, N_("%s (%s): no grant"), a->uid, status);
			said_too(r, IDM_CLAUSE_PRIV1, false, before, N_("%s (%s): no grant"),
				 (const char *[]){ a->uid, said }, 2);
		} else if (strcmp(grant, "init") == 0) {
			evidence(r, IDM_CLAUSE_PRIV1, N_("%s (%s): grant init (a first officer)"),
				 a->uid, status);
			said_too(r, IDM_CLAUSE_PRIV1, false, before,
				 N_("%s (%s): grant init (a first officer)"),
				 (const char *[]){ a->uid, said }, 2);
		} else {
			evidence(r, IDM_CLAUSE_PRIV1, N_("%s (%s): grant %s"), a->uid, status,
				 grant);
			said_too(r, IDM_CLAUSE_PRIV1, false, before, N_("%s (%s): grant %s"),
				 (const char *[]){ a->uid, said, grant }, 3);
		}
		free(grant);
	}
	if (a->last_login && a->last_login <= r->as_of &&
	    a->last_login > r->as_of - IDM_COMPLIANCE_PERIOD_DAYS * DAY) {
		r->logins++;
		count_host(r, a->last_host ? a->last_host : "", a->last_login); /* "": unknown */
	}
	if (!a->status || strcmp(a->status, "active") != 0)
		goto out;
	r->active++;
	idm_date_format(a->pwd_changed, day);
	if (a->must_change) {
		r->temp++;
		if (a->pwd_changed && r->as_of - a->pwd_changed > IDM_COMPLIANCE_TEMP_DAYS * DAY)
			finding(r, IDM_CLAUSE_PW4,
				N_("%s: temporary password issued %s, not changed for %ld days"),
				a->uid, day, (long)((r->as_of - a->pwd_changed) / DAY));
		goto out;
	}
	if (p && p->max_age_days > 0 && a->pwd_changed &&
	    r->as_of >= a->pwd_changed + p->max_age_days * DAY)
		finding(r, IDM_CLAUSE_PW3,
			N_("%s: password changed %s, older than policy %s's max_age_days %ld"),
			a->uid, day, p->name, p->max_age_days);
	if (p && p->max_logins > 0 && a->login_count >= p->max_logins)
		finding(r, IDM_CLAUSE_PW3,
			N_("%s: password used for %ld logins, policy %s allows %ld"), a->uid,
			a->login_count, p->name, p->max_logins);
out:
	idm_account_free(a);
	return r->err;
}

static void check_accounts(struct run *r)
{
	const char *attrs[IDM_ACCOUNT_ATTRS_MAX];
	int rc = idm_report_attrs(attrs);

	if (rc == IDM_OK)
		rc = idm_dir_search_paged(r->op->d, r->cfg->ldap.people_dn, LDAP_SCOPE_SUBTREE,
					  "(objectClass=idmAccount)", attrs, 500, account_one, r);

	if (rc < 0 && rc != r->err) {
		not_checked(r, IDM_CLAUSE_PW3, N_("the accounts"), rc);
		not_checked(r, IDM_CLAUSE_PW4, N_("the accounts"), rc);
		not_checked(r, IDM_CLAUSE_LOGIN3, N_("the accounts"), rc);
		return;
	}
	for (size_t i = 0; i < r->cfg->n_policies; i++)
		evidence(r, IDM_CLAUSE_PW3,
			 N_("policy %s: max_age_days %ld, max_logins %ld, history %ld"),
			 r->cfg->policies[i].name, r->cfg->policies[i].max_age_days,
			 r->cfg->policies[i].max_logins, r->cfg->policies[i].history);
	evidence(r, IDM_CLAUSE_PW3, N_("%ld active accounts checked"), r->active);
	evidence(r, IDM_CLAUSE_PW4,
		 N_("%ld active accounts hold a temporary password; at most %d days allowed"),
		 r->temp, IDM_COMPLIANCE_TEMP_DAYS);
	evidence(r, IDM_CLAUSE_PRIV1, N_("%ld privileged IDs"), r->privileged);
	for (size_t i = 0; i < r->n_hosts; i++) {
		char day[IDM_DATE_LEN];
		idm_date_format(r->hosts[i].last, day);
		if (*r->hosts[i].name)
			evidence(r, IDM_CLAUSE_LOGIN3,
				 N_("%s: last login of %ld accounts, newest %s"), r->hosts[i].name,
				 r->hosts[i].n, day);
		else
			evidence(r, IDM_CLAUSE_LOGIN3,
				 N_("(unknown host): last login of %ld accounts, newest %s"),
				 r->hosts[i].n, day);
	}
	if (r->more_hosts)
		evidence(r, IDM_CLAUSE_LOGIN3, N_("and %ld logins on further hosts"), r->more_hosts);
	if (r->logins == 0)
		why_not(r, IDM_CLAUSE_LOGIN3, "%s",
			N_("no login recorded in the period; the hosts' syslog (authpriv) is the "
			   "record"));
}

static int sweep_one(void *ctx, const struct idm_sweep_finding *f)
{
	struct run *r = ctx;
	const char *uid = f->uid ? f->uid : f->dn, *detail = f->detail ? f->detail : "";
	const char *cls = idm_sweep_class_name(f->cls),
		   *lifted = idm_sweep_class_name(f->rule_class);
	char *said = idm_sweep_detail_dup(f, true); /* NULL: the line shown as kept */
	bool priv = f->cls == IDM_SWEEP_PRIVILEGE_DRIFT || f->cls == IDM_SWEEP_ROLE_NOT_ACTIVE;
	int clause = priv ? IDM_CLAUSE_PRIV1 : IDM_CLAUSE_REG4;
	bool exempt = f->cls == IDM_SWEEP_EXEMPT;
	size_t before = lines_of(r, clause, !exempt);

	if (exempt)
		evidence(r, clause, N_("%s: exempt from %s (%s)"), uid, lifted, detail);
	else
		finding(r, clause, "%s: %s: %s", uid, cls, detail);
	if (said)
		said_too(r, clause, !exempt, before,
			 exempt ? N_("%s: exempt from %s (%s)") : "%s: %s: %s",
			 (const char *[]){ uid, idm_trc("sweep class", exempt ? lifted : cls), said },
			 3);
	free(said);
	return r->err;
}

static int newest_sweep(void *ctx, LDAP *ld, LDAPMessage *e)
{
	time_t *newest = ctx, t;
	char *v = idm_entry_value(ld, e, "idmTime");

	if (v && idm_time_parse(v, &t) == IDM_OK && t > *newest)
		*newest = t;
	free(v);
	return IDM_OK;
}

/* R-REG-4: the sweep as it would run at as_of, and the last one audited. */
static void check_sweep(struct run *r, const struct idm_log *log)
{
	static const char *const attrs[] = { "idmTime", NULL };
	struct idm_sweep_options o = { 0 };
	struct idm_sweep_summary sum = { 0 };
	char *base = NULL, day[IDM_DATE_LEN];
	time_t newest = 0;
	int rc;

	o.now = r->as_of;
	o.inactive_days = r->cfg->sweep.inactive_days;
	o.never_used_days = r->cfg->sweep.never_used_days;
	o.finding = sweep_one;
	o.ctx = r;
	rc = idm_sweep_run(r->op, r->cfg, log, &o, &sum);
	if (rc < 0 && rc != r->err) {
		not_checked(r, IDM_CLAUSE_REG4, N_("the sweep"), rc);
		not_checked(r, IDM_CLAUSE_PRIV1, N_("the sweep"), rc);
		return;
	}
	evidence(r, IDM_CLAUSE_REG4,
		 N_("sweep at the report's date: %ld accounts, inactive_days %ld, never_used_days "
		    "%ld"),
		 sum.accounts, o.inactive_days, o.never_used_days);
	rc = idm_dn_child(&base, "ou", "audit", r->cfg->ldap.idmgr_dn);
	if (rc == IDM_OK)
		rc = idm_dir_search_paged(r->op->d, base, LDAP_SCOPE_ONELEVEL,
					  "(&(objectClass=idmAuditRecord)(idmAction=sweep))", attrs,
					  500, newest_sweep, &newest);
	free(base);
	idm_date_format(newest, day);
	if ((rc == IDM_OK || rc == IDM_ENOENT) && newest)
		evidence(r, IDM_CLAUSE_REG4, N_("last account a sweep disabled: %s"), day);
	else if (rc == IDM_OK || rc == IDM_ENOENT)
		evidence(r, IDM_CLAUSE_REG4, N_("last account a sweep disabled: never"));
}

/* A problem of the trail, a finding with its msgid and arguments. */
static void verify_problem(void *ctx, long seq, const struct idm_log_kept *problem)
{
	struct idm_log_kept *k = line_slot(ctx, IDM_CLAUSE_AUD1, true);

	(void)seq;
	if (k)
		line_kept(ctx, IDM_CLAUSE_AUD1, true, idm_log_kept_copy(k, problem));
}

static void check_audit(struct run *r)
{
	struct idm_audit_head h;
	long n = 0;
	int rc = idm_audit_verify(r->op->d, r->cfg, NULL, verify_problem, r, &n);

	if (rc == IDM_ENOENT)
		finding(r, IDM_CLAUSE_AUD1,
			N_("there is no audit trail (ou=audit): run idmgr init"));
	else if (rc < 0 && rc != IDM_ESTATE)
		not_checked(r, IDM_CLAUSE_AUD1, "audit verify", rc);
	evidence(r, IDM_CLAUSE_AUD1, N_("%ld records verified"), n);
	if (idm_audit_head(r->op->d, r->cfg, &h) == IDM_OK)
		evidence(r, IDM_CLAUSE_AUD1, N_("head: record %ld, hash %s (keep it as an anchor)"),
			 h.seq, h.hash);
}

static int exception_one(void *ctx, const struct idm_exception *e)
{
	struct run *r = ctx;
	const char *state = idm_exception_state(e, r->as_of);
	char until[IDM_DATE_LEN], since[IDM_DATE_LEN];

	r->exceptions++;
	idm_date_format(e->until, until);
	idm_date_format(e->time, since);
	if (strcmp(state, "unacknowledged") == 0)
		finding(r, IDM_CLAUSE_EXC3,
			N_("%s: emergency exception for %s (%s) taken %s, not acknowledged by the "
			   "CISO"),
			e->id, e->subject, e->rule, since);
	else if (strcmp(state, "active") == 0 &&
		 e->until <= r->as_of + IDM_COMPLIANCE_REVIEW_DAYS * DAY)
		finding(r, IDM_CLAUSE_EXC3, N_("%s: exception for %s (%s) expires %s: review it"),
			e->id, e->subject, e->rule, until);
	else {
		size_t before = lines_of(r, IDM_CLAUSE_EXC3, false);
		evidence(r, IDM_CLAUSE_EXC3, N_("%s: %s for %s (%s), until %s"), e->id, state,
			 e->subject, e->rule, until);
		said_too(r, IDM_CLAUSE_EXC3, false, before, N_("%s: %s for %s (%s), until %s"),
			 (const char *[]){ e->id, idm_trc("exception state", state), e->subject,
					   e->rule, until },
			 5);
	}
	return r->err;
}

static int notice_one(void *ctx, const struct idm_notice *n)
{
	struct run *r = ctx;
	char since[IDM_DATE_LEN];

	idm_date_format(n->time, since);
	if (n->error)
		finding(r, IDM_CLAUSE_NOTICES,
			N_("%s: %s notice about %s of %s not delivered (%ld attempts: %s)"), n->id,
			n->action, n->subject ? n->subject : "-", since, n->attempts, n->error);
	else
		finding(r, IDM_CLAUSE_NOTICES,
			N_("%s: %s notice about %s of %s not delivered (%ld attempts)"), n->id,
			n->action, n->subject ? n->subject : "-", since, n->attempts);
	return r->err;
}

void idm_compliance_free(struct idm_compliance *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < IDM_CLAUSE_COUNT; i++) {
		struct idm_clause_report *cr = &c->clauses[i];
		for (size_t j = 0; j < cr->evidence.n; j++)
			idm_log_kept_clear(&cr->evidence.v[j]);
		for (size_t j = 0; j < cr->findings.n; j++)
			idm_log_kept_clear(&cr->findings.v[j]);
		free(cr->evidence.v);
		free(cr->findings.v);
		idm_log_kept_clear(&cr->why_not_checked);
	}
	free(c);
}

int idm_compliance_add(struct idm_compliance *c, int clause, bool is_finding, const char *fmt, ...)
{
	struct run r = { .c = c };
	bool had = c->clauses[clause].verdict == IDM_VERDICT_FINDINGS;
	va_list ap;

	va_start(ap, fmt);
	vline(&r, clause, is_finding, fmt, ap);
	va_end(ap);
	if (!had && c->clauses[clause].verdict == IDM_VERDICT_FINDINGS)
		c->n_with_findings++;
	return r.err;
}

struct first {
	long seq;
	time_t time;
};

static int first_record(void *ctx, const struct idm_audit_record *rec)
{
	struct first *f = ctx;

	f->seq = rec->seq;
	f->time = rec->time;
	return IDM_ESTATE; /* the first is enough */
}

int idm_compliance_reconcile_since(struct idm_operator *op, const struct idm_config *cfg,
				   time_t as_of, time_t *since)
{
	struct idm_audit_head h;
	struct first f = { 0, 0 };
	time_t start = as_of - IDM_COMPLIANCE_PERIOD_DAYS * DAY;
	int rc = idm_audit_head(op->d, cfg, &h);

	*since = 0;
	if (rc < 0 || h.seq < 1)
		return rc < 0 ? rc : IDM_ENOENT;
	rc = idm_audit_list(op->d, cfg, start, first_record, &f);
	if (rc < 0 && rc != IDM_ESTATE)
		return rc;
	/* a trail younger than the period: from just after its first record */
	*since = f.seq == 1 && f.time + 1 > start ? f.time + 1 : start;
	return IDM_OK;
}

int idm_compliance_run(struct idm_operator *op, const struct idm_config *cfg,
		       const struct idm_log *log, time_t as_of, struct idm_compliance **out)
{
	struct run r = { 0 };
	int rc;

	*out = NULL;
	rc = idm_operator_require(op, log, (1u << IDM_ROLE_COUNT) - 1, "report compliance");
	if (rc < 0)
		return rc;
	if (!(r.c = calloc(1, sizeof(*r.c))))
		return IDM_ENOMEM;
	r.c->as_of = as_of;
	r.op = op;
	r.cfg = cfg;
	r.as_of = as_of;
	for (size_t i = 0; i < IDM_CLAUSE_COUNT; i++) {
		r.c->clauses[i].clause = clause_names[i].clause;
		r.c->clauses[i].title = clause_names[i].title;
	}
	check_policies(&r);
	check_accounts(&r);
	check_sweep(&r, log);
	check_audit(&r);
	rc = idm_exception_list(op->d, cfg, NULL, exception_one, &r);
	if (rc < 0 && rc != r.err)
		not_checked(&r, IDM_CLAUSE_EXC3, "the exceptions", rc);
	else
		evidence(&r, IDM_CLAUSE_EXC3,
			 "%ld exceptions on record; due for review: unacknowledged "
			 "emergencies and those expiring within %d days",
			 r.exceptions, IDM_COMPLIANCE_REVIEW_DAYS);
	rc = idm_notice_each(op->d, cfg, true, notice_one, &r);
	if (rc < 0 && rc != r.err)
		not_checked(&r, IDM_CLAUSE_NOTICES, "the notices", rc);
	else if (r.c->clauses[IDM_CLAUSE_NOTICES].findings.n == 0)
		evidence(&r, IDM_CLAUSE_NOTICES, "every stored notice was delivered");
	for (size_t i = 0; i < r.n_hosts; i++)
		free(r.hosts[i].name);
	for (size_t i = 0; i < IDM_CLAUSE_COUNT; i++)
		if (r.c->clauses[i].verdict == IDM_VERDICT_FINDINGS)
			r.c->n_with_findings++;
	if (r.err) {
		idm_compliance_free(r.c);
		return r.err;
	}
	*out = r.c;
	return IDM_OK;
}
