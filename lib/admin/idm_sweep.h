/* idm_sweep.h -- the monthly stale-ID sweep (R-REG-4, R-EXC-1..3, R-PRIV-1,
 * R-REV-1; idmgr(8) "sweep").
 *
 * Reads every managed account under people_dn with paged searches -- the
 * privileged IDs first, then the others -- and hands each finding to the
 * caller as soon as it is made, so memory does not grow with the accounts
 * in use: what is kept for the whole run is the officers, the exceptions
 * in force, the applied grant-privilege requests and the retired accounts
 * (uid and DN each, for the groups check); the groups are read with one
 * paged search after the walk, a few groups a page.  Searches made during
 * the walk are not paged: slapd keeps one paged search per connection.
 * Classes, evaluated at `now` (the --as-of date):
 *
 *   stale              active; last login (the later of idmLastLoginTime and
 *                      slapd's authTimestamp) on a day more than inactive_days
 *                      before now's day (UTC)
 *   never-used         active; never logged in; created (createTimestamp) on a
 *                      day more than never_used_days before now's day
 *                      (for both: when the account was made active again
 *                      -- idmStatusTime, a return request -- after the last
 *                      login or its creation, the days count from then)
 *   expired            active; idmValidUntil at or before now
 *   seconded-overdue   seconded; idmUntil before now
 *   retired-in-groups  retired; still a memberUid of a posixGroup under groups_dn
 *   privilege-drift    idmPrivileged TRUE, but idmPrivilegeRequest is absent
 *                      or names no applied grant-privilege request for the
 *                      uid; "init" (idmgr init's mark) is believed only of
 *                      the officers init made: no idmRequestId, and the
 *                      creatorsName of the role groups
 *   role-not-active    a member of a role group (roles section) that is not an
 *                      active managed account
 *   exempt             would be stale, never-used or expired, but an exception
 *                      for rule "inactive", "never-used" or "valid-until"
 *                      applies at now (active, or an unacknowledged emergency
 *                      one, idm_exception_in_force()): listed, never
 *                      acted on
 *
 * With apply (system_admin), stale, never-used and expired accounts are
 * disabled: idmStatus becomes "suspended" (a compare-and-swap on "active",
 * so two sweeps never both disable an account), idmStatusReason
 * "sweep: CLASS" and idmStatusTime now, and one audit record (action
 * "sweep") is written for each.  The disable is written as
 * "sweep: CLASS (audit pending)" first and the mark removed once the audit
 * record is in: a run interrupted between the two leaves the mark, and the
 * next run writes the missing record (unless it is there) and removes it.
 * An account already disabled is no longer active, so a rerun writes
 * nothing for it.  A contractor never disables a privileged ID (R-PRIV-3),
 * and the sweep never disables the operator running it; both are listed as
 * refused.  Without apply nothing at all is written. */
#ifndef IDM_SWEEP_H
#define IDM_SWEEP_H

#include <stdbool.h>
#include <time.h>

#include "idm_config.h"
#include "idm_log.h"
#include "idm_operator.h"

enum idm_sweep_class {
	IDM_SWEEP_STALE,
	IDM_SWEEP_NEVER_USED,
	IDM_SWEEP_EXPIRED,
	IDM_SWEEP_SECONDED_OVERDUE,
	IDM_SWEEP_RETIRED_IN_GROUPS,
	IDM_SWEEP_PRIVILEGE_DRIFT,
	IDM_SWEEP_ROLE_NOT_ACTIVE,
	IDM_SWEEP_EXEMPT,
	IDM_SWEEP_CLASS_COUNT
};

enum idm_sweep_action {
	IDM_SWEEP_LISTED,        /* a class the sweep reports only */
	IDM_SWEEP_WOULD_DISABLE, /* report mode: apply would disable it */
	IDM_SWEEP_DISABLED,      /* disabled by this run */
	IDM_SWEEP_PENDING,       /* report mode: disabled by an interrupted run, audit owed */
	IDM_SWEEP_COMPLETED,     /* an interrupted run's disable, completed by this run */
	IDM_SWEEP_REFUSED,       /* not disabled: detail says why */
	IDM_SWEEP_CHANGED,       /* someone changed the account meanwhile: left alone */
	IDM_SWEEP_ACTION_COUNT
};

/* "stale", "never-used", ... as above; "disabled", "would-disable", ... */
const char *idm_sweep_class_name(enum idm_sweep_class c);
const char *idm_sweep_action_name(enum idm_sweep_action a);

/* One clause of a finding's detail as a person reads it (issue 14): a
 * msgid, the English format, and its arguments, each already formatted.
 * ctx[i] says what args[i] is: NULL a value shown as it is (a date, a
 * uid), "" a msgid itself (a rule, a member's problem), else a word of
 * the data in that context (idm_trc(): an account's status). */
#define IDM_SWEEP_CLAUSE_ARGS 4
#define IDM_SWEEP_CLAUSES 3
struct idm_sweep_clause {
	const char *fmt;
	const char *args[IDM_SWEEP_CLAUSE_ARGS];
	const char *ctx[IDM_SWEEP_CLAUSE_ARGS];
	int nargs;
};

/* A finding's detail: its clauses, joined by "; " (detail is their
 * English). */
struct idm_sweep_said {
	struct idm_sweep_clause c[IDM_SWEEP_CLAUSES];
	int n;
};

/* One finding.  Strings are valid only during the callback. */
struct idm_sweep_finding {
	enum idm_sweep_class cls;
	enum idm_sweep_class rule_class; /* exempt: the class lifted; else cls */
	enum idm_sweep_action action;
	const char *uid; /* NULL for a role member that is no managed account */
	const char *dn;
	const char *status; /* idmStatus, or NULL */
	bool privileged;
	time_t last_login;                 /* 0: never */
	time_t created;                    /* 0: unknown */
	time_t valid_until, until;         /* idmValidUntil, idmUntil; 0: absent */
	const char *detail;                /* one sentence for people, English */
	const struct idm_sweep_said *said; /* the same, for the reader's language; may be NULL */
};

/* The detail of f as text: said's clauses joined by "; " (translated: the
 * reader's language's separator, msgctxt "clause separator"), after the name
 * of the class lifted and a space when f is exempt; in English, or with
 * translate in the reader's language, the words in their contexts (a
 * clause whose translation does not fit its arguments stays English).
 * Without said, f->detail.  Returns 0, or -1 when out is too short (out
 * then holds f->detail, cut). */
int idm_sweep_detail(const struct idm_sweep_finding *f, bool translate, char *out, size_t len);
/* The same, whole, in a string of its own (free()), or NULL out of
 * memory. */
char *idm_sweep_detail_dup(const struct idm_sweep_finding *f, bool translate);

struct idm_sweep_options {
	time_t now;           /* the as-of time */
	long inactive_days;   /* 1..3650 */
	long never_used_days; /* 1..3650 */
	bool apply;
	int page_size; /* 0: 1000 */
	/* Called for each finding, in order; a negative return stops the sweep
	 * and is returned. */
	int (*finding)(void *ctx, const struct idm_sweep_finding *f);
	/* Called after each account read (may be NULL). */
	void (*progress)(void *ctx, long accounts);
	void *ctx;
};

struct idm_sweep_summary {
	long accounts;
	long classes[IDM_SWEEP_CLASS_COUNT];
	long actions[IDM_SWEEP_ACTION_COUNT];
};

/* Runs the sweep as op.  Report mode needs any officer role, apply needs
 * system_admin (a refusal is audited).  Returns IDM_OK; IDM_EDENIED when
 * refused, or when some disable was refused (the others are done);
 * IDM_EINVAL for bad options; IDM_EUNAVAIL when the directory stops
 * answering (what was done stays done and consistent; a rerun completes
 * it); other errors of the directory.  *sum (may be NULL) counts what was
 * seen, also on error. */
int idm_sweep_run(struct idm_operator *op, const struct idm_config *cfg, const struct idm_log *log,
		  const struct idm_sweep_options *o, struct idm_sweep_summary *sum);

/* The attributes the walk reads of each account (NULL-ended): also what
 * bench/bench_sweep's ldapsearch baseline asks for. */
extern const char *const idm_sweep_account_attrs[];

#endif
