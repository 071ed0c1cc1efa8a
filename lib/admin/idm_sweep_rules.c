/* idm_sweep_rules.c -- the sweep's classification rules, no directory
 * (idm_sweep_rules.h).  Split from idm_sweep.c. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_i18n.h"
#include "idm_log.h"
#include "idm_sweep.h"
#include "idm_sweep_rules.h"
#include "idm_text.h"
#include "idm_time.h"

#define DAY IDM_DAY

static const char *const class_names[IDM_SWEEP_CLASS_COUNT] = {
	[IDM_SWEEP_STALE] = NC_("sweep class", "stale"),
	[IDM_SWEEP_NEVER_USED] = NC_("sweep class", "never-used"),
	[IDM_SWEEP_EXPIRED] = NC_("sweep class", "expired"),
	[IDM_SWEEP_SECONDED_OVERDUE] = NC_("sweep class", "seconded-overdue"),
	[IDM_SWEEP_RETIRED_IN_GROUPS] = NC_("sweep class", "retired-in-groups"),
	[IDM_SWEEP_PRIVILEGE_DRIFT] = NC_("sweep class", "privilege-drift"),
	[IDM_SWEEP_ROLE_NOT_ACTIVE] = NC_("sweep class", "role-not-active"),
	[IDM_SWEEP_EXEMPT] = NC_("sweep class", "exempt"),
};

static const char *const action_names[IDM_SWEEP_ACTION_COUNT] = {
	[IDM_SWEEP_LISTED] = NC_("sweep action", "listed"),
	[IDM_SWEEP_WOULD_DISABLE] = NC_("sweep action", "would-disable"),
	[IDM_SWEEP_DISABLED] = NC_("sweep action", "disabled"),
	[IDM_SWEEP_PENDING] = NC_("sweep action", "pending"),
	[IDM_SWEEP_COMPLETED] = NC_("sweep action", "completed"),
	[IDM_SWEEP_REFUSED] = NC_("sweep action", "refused"),
	[IDM_SWEEP_CHANGED] = NC_("sweep action", "changed"),
};

/* The exception rule (idm_exception.h) that lifts each disabling class. */
const char *idm_sweep_rule_of(enum idm_sweep_class c)
{
	switch (c) {
	case IDM_SWEEP_STALE: return "inactive";
	case IDM_SWEEP_NEVER_USED: return "never-used";
	case IDM_SWEEP_EXPIRED: return "valid-until";
	default: return NULL;
	}
}

const char *idm_sweep_class_name(enum idm_sweep_class c)
{
	return idm_name_of(class_names, IDM_SWEEP_CLASS_COUNT, (unsigned)c);
}

const char *idm_sweep_action_name(enum idm_sweep_action a)
{
	return idm_name_of(action_names, IDM_SWEEP_ACTION_COUNT, (unsigned)a);
}

/* The start (00:00 UTC) of t's day: inactivity counts in days, as people
 * and auditors read it ("last login 2026-08-27, 91 days before ..."). */
static time_t midnight(time_t t)
{
	return t - t % DAY;
}

time_t idm_sweep_last_login(time_t pam_login, time_t auth_login)
{
	return pam_login > auth_login ? pam_login : auth_login;
}

struct idm_sweep_clause *idm_sweep_say(struct idm_sweep_said *d, const char *fmt)
{
	struct idm_sweep_clause *c;

	if (d->n >= IDM_SWEEP_CLAUSES)
		return NULL;
	c = &d->c[d->n++];
	memset(c, 0, sizeof(*c));
	c->fmt = fmt;
	return c;
}

void idm_sweep_arg(struct idm_sweep_clause *c, const char *ctx, const char *value)
{
	if (!c || c->nargs >= IDM_SWEEP_CLAUSE_ARGS)
		return;
	c->ctx[c->nargs] = ctx;
	c->args[c->nargs++] = value ? value : "";
}

/* One clause into out: translated, or when that does not fit, English. */
static int clause_text(const struct idm_sweep_clause *c, bool translate, char *out, size_t len)
{
	const char *said[IDM_SWEEP_CLAUSE_ARGS];

	if (c->nargs < 0 || c->nargs > IDM_SWEEP_CLAUSE_ARGS || !c->fmt)
		return -1;
	if (translate) {
		for (int i = 0; i < c->nargs; i++)
			said[i] = !c->ctx[i] || !*c->args[i] ? c->args[i]
				  : *c->ctx[i]               ? idm_trc(c->ctx[i], c->args[i])
							     : idm_tr(c->args[i]);
		if (idm_log_render(out, len, idm_tr(c->fmt), said, c->nargs) == 0)
			return 0;
	}
	return idm_log_render(out, len, c->fmt, c->args, c->nargs);
}

int idm_sweep_detail(const struct idm_sweep_finding *f, bool translate, char *out, size_t len)
{
	size_t o = 0;
	int n;

	if (!len)
		return -1;
	out[0] = '\0';
	if (!f->said || f->said->n < 1 || f->said->n > IDM_SWEEP_CLAUSES)
		goto english;
	if (f->cls == IDM_SWEEP_EXEMPT) {
		const char *name = idm_sweep_class_name(f->rule_class);
		if (!name)
			goto english;
		n = snprintf(out, len, "%s ", translate ? idm_trc("sweep class", name) : name);
		if (n < 0 || (size_t)n >= len)
			goto english;
		o = (size_t)n;
	}
	for (int i = 0; i < f->said->n; i++) {
		/* TRANSLATORS: between two clauses of a sweep finding's detail */
		const char *sep =
			translate ? idm_trc("clause separator", NC_("clause separator", "; "))
				  : "; ";
		size_t k = strlen(sep);

		if (i) {
			if (o + k >= len)
				goto english;
			memcpy(out + o, sep, k + 1);
			o += k;
		}
		if (clause_text(&f->said->c[i], translate, out + o, len - o) != 0)
			goto english;
		o += strlen(out + o);
	}
	return 0;
english:
	snprintf(out, len, "%s", f->detail ? f->detail : "");
	return f->detail && strlen(f->detail) >= len ? -1 : 0;
}

/* At least the bytes a rendering of fmt with args takes: each conversion
 * replaced by one argument at most (a position may repeat one). */
static size_t bound(const char *fmt, const char *const *args, int nargs)
{
	size_t longest = 0, n = strlen(fmt);

	for (int i = 0; i < nargs; i++)
		if (strlen(args[i]) > longest)
			longest = strlen(args[i]);
	for (const char *p = fmt; *p; p++)
		if (*p == '%')
			n += longest;
	return n;
}

char *idm_sweep_detail_dup(const struct idm_sweep_finding *f, bool translate)
{
	const char *said[IDM_SWEEP_CLAUSE_ARGS];
	size_t len = (f->detail ? strlen(f->detail) : 0) + 64;
	char *out;

	for (int i = 0; f->said && i < f->said->n && i < IDM_SWEEP_CLAUSES; i++) {
		const struct idm_sweep_clause *c = &f->said->c[i];
		if (!c->fmt || c->nargs < 0 || c->nargs > IDM_SWEEP_CLAUSE_ARGS)
			continue;
		for (int k = 0; k < c->nargs; k++)
			said[k] = translate && c->ctx[k] && *c->args[k]
					  ? *c->ctx[k] ? idm_trc(c->ctx[k], c->args[k])
						       : idm_tr(c->args[k])
					  : c->args[k];
		len += bound(c->fmt, c->args, c->nargs) +
		       (translate ? bound(idm_tr(c->fmt), said, c->nargs) : 0) + 16;
	}
	if (!(out = malloc(len)))
		return NULL;
	idm_sweep_detail(f, translate, out, len);
	return out;
}

/* A candidate's sentence: fmt with args (dates and a count of days kept
 * in the candidate), why its English. */
static void candidate(struct idm_sweep_candidate *c, enum idm_sweep_class cls, const char *fmt,
		      int nargs, const char *a0, const char *a1, const char *a2)
{
	const char *a[3] = { a0, a1, a2 };

	c->cls = cls;
	memset(&c->said, 0, sizeof(c->said));
	c->said.fmt = fmt;
	for (int i = 0; i < nargs; i++)
		idm_sweep_arg(&c->said, NULL, a[i]);
	if (idm_log_render(c->why, sizeof(c->why), fmt, c->said.args, c->said.nargs) != 0)
		c->why[0] = '\0';
}

static void days_between(char days[24], time_t from, time_t to)
{
	snprintf(days, 24, "%ld", (long)((to - from) / DAY));
}

size_t idm_sweep_inactivity(const struct idm_sweep_dates *a, time_t now, long inactive_days,
			    long never_used_days, struct idm_sweep_candidate cand[2])
{
	time_t last = a->last_login, today = midnight(now);
	size_t n = 0;

	if (a->valid_until && now >= a->valid_until) {
		struct idm_sweep_candidate *c = &cand[n++];
		idm_date_format(a->valid_until, c->d1);
		idm_date_format(now, c->d2);
		candidate(c, IDM_SWEEP_EXPIRED, N_("valid until %s, still active on %s"), 2, c->d1,
			  c->d2, NULL);
	}
	/* Made active again (a return request) after the last use: the clock
	 * starts there, or a return from a long secondment would be swept
	 * before its first login. */
	if (a->status_time > (last ? last : a->created)) {
		if (midnight(a->status_time) <
		    today - (last ? inactive_days : never_used_days) * DAY) {
			struct idm_sweep_candidate *c = &cand[n++];
			idm_date_format(a->status_time, c->d1);
			idm_date_format(now, c->d2);
			days_between(c->days, midnight(a->status_time), today);
			candidate(c, last ? IDM_SWEEP_STALE : IDM_SWEEP_NEVER_USED,
				  last ? N_("no login since; active again since %s, %ld days "
					    "before %s")
				       : N_("never logged in; active again since %s, %ld days "
					    "before %s"),
				  3, c->d1, c->days, c->d2);
		}
	} else if (last && midnight(last) < today - inactive_days * DAY) {
		struct idm_sweep_candidate *c = &cand[n++];
		idm_date_format(last, c->d1);
		idm_date_format(now, c->d2);
		days_between(c->days, midnight(last), today);
		candidate(c, IDM_SWEEP_STALE, N_("last login %s, %ld days before %s"), 3, c->d1,
			  c->days, c->d2);
	} else if (!last && a->created && midnight(a->created) < today - never_used_days * DAY) {
		struct idm_sweep_candidate *c = &cand[n++];
		idm_date_format(a->created, c->d1);
		idm_date_format(now, c->d2);
		days_between(c->days, midnight(a->created), today);
		candidate(c, IDM_SWEEP_NEVER_USED,
			  N_("never logged in; created %s, %ld days before %s"), 3, c->d1, c->days,
			  c->d2);
	}
	return n;
}

bool idm_sweep_seconded_overdue(time_t until, time_t now, struct idm_sweep_candidate *why)
{
	if (!until || until >= now)
		return false;
	idm_date_format(until, why->d1);
	idm_date_format(now, why->d2);
	days_between(why->days, until, now);
	candidate(why, IDM_SWEEP_SECONDED_OVERDUE,
		  N_("seconded until %s, %ld days before %s; no return request applied"), 3,
		  why->d1, why->days, why->d2);
	return true;
}
