/* idm_sweep_rules.c -- the sweep's classification rules, no directory
 * (idm_sweep_rules.h).  Split from idm_sweep.c. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "idm_sweep.h"
#include "idm_sweep_rules.h"
#include "idm_text.h"
#include "idm_time.h"

#define DAY IDM_DAY

static const char *const class_names[IDM_SWEEP_CLASS_COUNT] = {
	[IDM_SWEEP_STALE] = "stale",
	[IDM_SWEEP_NEVER_USED] = "never-used",
	[IDM_SWEEP_EXPIRED] = "expired",
	[IDM_SWEEP_SECONDED_OVERDUE] = "seconded-overdue",
	[IDM_SWEEP_RETIRED_IN_GROUPS] = "retired-in-groups",
	[IDM_SWEEP_PRIVILEGE_DRIFT] = "privilege-drift",
	[IDM_SWEEP_ROLE_NOT_ACTIVE] = "role-not-active",
	[IDM_SWEEP_EXEMPT] = "exempt",
};

static const char *const action_names[IDM_SWEEP_ACTION_COUNT] = {
	[IDM_SWEEP_LISTED] = "listed",       [IDM_SWEEP_WOULD_DISABLE] = "would-disable",
	[IDM_SWEEP_DISABLED] = "disabled",   [IDM_SWEEP_PENDING] = "pending",
	[IDM_SWEEP_COMPLETED] = "completed", [IDM_SWEEP_REFUSED] = "refused",
	[IDM_SWEEP_CHANGED] = "changed",
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

size_t idm_sweep_inactivity(const struct idm_sweep_dates *a, time_t now, long inactive_days,
			    long never_used_days, struct idm_sweep_candidate cand[2])
{
	char d1[IDM_DATE_LEN], d2[IDM_DATE_LEN];
	time_t last = a->last_login, today = midnight(now);
	size_t n = 0;

	idm_date_format(now, d2);
	if (a->valid_until && now >= a->valid_until) {
		idm_date_format(a->valid_until, d1);
		cand[n].cls = IDM_SWEEP_EXPIRED;
		snprintf(cand[n++].why, sizeof(cand[0].why), "valid until %s, still active on %s",
			 d1, d2);
	}
	/* Made active again (a return request) after the last use: the clock
	 * starts there, or a return from a long secondment would be swept
	 * before its first login. */
	if (a->status_time > (last ? last : a->created)) {
		idm_date_format(a->status_time, d1);
		if (midnight(a->status_time) <
		    today - (last ? inactive_days : never_used_days) * DAY) {
			cand[n].cls = last ? IDM_SWEEP_STALE : IDM_SWEEP_NEVER_USED;
			snprintf(cand[n++].why, sizeof(cand[0].why),
				 "%s; active again since %s, %ld days before %s",
				 last ? "no login since" : "never logged in", d1,
				 (long)((today - midnight(a->status_time)) / DAY), d2);
		}
	} else if (last && midnight(last) < today - inactive_days * DAY) {
		idm_date_format(last, d1);
		cand[n].cls = IDM_SWEEP_STALE;
		snprintf(cand[n++].why, sizeof(cand[0].why), "last login %s, %ld days before %s",
			 d1, (long)((today - midnight(last)) / DAY), d2);
	} else if (!last && a->created && midnight(a->created) < today - never_used_days * DAY) {
		idm_date_format(a->created, d1);
		cand[n].cls = IDM_SWEEP_NEVER_USED;
		snprintf(cand[n++].why, sizeof(cand[0].why),
			 "never logged in; created %s, %ld days before %s", d1,
			 (long)((today - midnight(a->created)) / DAY), d2);
	}
	return n;
}

bool idm_sweep_seconded_overdue(time_t until, time_t now, char *why, size_t size)
{
	char d1[IDM_DATE_LEN], d2[IDM_DATE_LEN];

	if (!until || until >= now)
		return false;
	idm_date_format(until, d1);
	idm_date_format(now, d2);
	snprintf(why, size,
		 "seconded until %s, %ld days before %s; no return request "
		 "applied",
		 d1, (long)((now - until) / DAY), d2);
	return true;
}
