/* idm_sweep_rules.h -- the sweep's classification rules as plain functions
 * (R-REG-4, R-EXC-1..3; idm_sweep.h lists the classes): which class an
 * account's dates put it in as of a date, the exception rule that lifts
 * each disabling class, and the names.  Nothing here reads the directory;
 * tests/test_rules.c checks them without slapd. */
#ifndef IDM_SWEEP_RULES_H
#define IDM_SWEEP_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "idm_sweep.h"
#include "idm_time.h"

/* An active account's dates, as the sweep reads them. */
struct idm_sweep_dates {
	time_t last_login;  /* idm_sweep_last_login(); 0: never */
	time_t created;     /* createTimestamp; 0: unknown */
	time_t valid_until; /* idmValidUntil; 0: absent */
	time_t status_time; /* idmStatusTime (made active again); 0: absent */
};

/* A disabling class an account falls in, and why, in one sentence: why
 * in English and said for the reader's language, whose arguments point
 * into the candidate itself (use it where it is, do not copy it). */
struct idm_sweep_candidate {
	enum idm_sweep_class cls;
	char why[200];
	struct idm_sweep_clause said;
	char d1[IDM_DATE_LEN], d2[IDM_DATE_LEN], days[24];
};

/* The last login: the later of idmLastLoginTime and slapd's authTimestamp
 * (0: never). */
time_t idm_sweep_last_login(time_t pam_login, time_t auth_login);

/* The disabling classes an active account falls in at now, in the order the
 * sweep acts on them: expired first, then stale or never-used (days count
 * in whole UTC days, from the account's return to active when that came
 * after the last login or its creation).  Returns how many (0..2). */
size_t idm_sweep_inactivity(const struct idm_sweep_dates *a, time_t now, long inactive_days,
			    long never_used_days, struct idm_sweep_candidate cand[2]);

/* Seconded-overdue: idmUntil (0: absent) before now.  When true, *why
 * holds the sentence (its cls is seconded-overdue). */
bool idm_sweep_seconded_overdue(time_t until, time_t now, struct idm_sweep_candidate *why);

/* Adds a clause of fmt (a msgid) to d and returns it (NULL when d is
 * full); idm_sweep_arg() adds an argument to it (ctx as in struct
 * idm_sweep_clause; NULL c or a full clause: ignored). */
struct idm_sweep_clause *idm_sweep_say(struct idm_sweep_said *d, const char *fmt);
void idm_sweep_arg(struct idm_sweep_clause *c, const char *ctx, const char *value);

/* The exception rule (idm_exception.h) that lifts a disabling class
 * ("inactive", "never-used", "valid-until"); NULL for the others. */
const char *idm_sweep_rule_of(enum idm_sweep_class c);

#endif
