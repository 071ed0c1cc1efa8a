/* idm_sweep_run.h -- one sweep run's state (internal to idm_sweep*.c).
 *
 * The account as the walk reads it, what the run keeps for its whole length
 * (the exceptions in force, the applied grants, the role members, the
 * retired accounts), and the steps the files share: findings
 * (idm_sweep.c), what is read before the walk (idm_sweep_preload.c), and
 * the disable protocol (idm_sweep_disable.c).  idm_sweep.h says what the
 * sweep does; idm_sweep_rules.h holds its classes as plain functions. */
#ifndef IDM_SWEEP_RUN_H
#define IDM_SWEEP_RUN_H

#include <ldap.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "idm_sweep.h"
#include "idm_sweep_rules.h"

/* An account as the sweep reads it. */
struct acct {
	char *dn, *uid, *status, *reason, *creator, *request_id, *grant_id;
	char *pending; /* this operator's sweep mark whose record is owed */
	bool privileged;
	time_t pam_login, auth_login, created, valid_until, until, status_time;
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

/* ------------------------------------------------------------ idm_sweep.c */

/* idmStatus is what (status may be NULL). */
bool idm_sweep_is_status(const char *status, const char *what);
/* Counts a finding and hands it to the caller's callback. */
int idm_sweep_emit(struct sweep *s, const struct acct *a, enum idm_sweep_class cls,
		   enum idm_sweep_class rule_class, enum idm_sweep_action action,
		   const struct idm_sweep_said *said);

/* ---------------------------------------------------- idm_sweep_preload.c */

int idm_sweep_load_exceptions(struct sweep *s);
/* The exception for uid's rule that applies at now, or NULL. */
const struct exc *idm_sweep_find_exception(const struct sweep *s, const char *uid, const char *rule);
int idm_sweep_load_grants(struct sweep *s);
/* id names an applied grant-privilege request for uid. */
bool idm_sweep_granted(const struct sweep *s, const char *uid, const char *id);
int idm_sweep_load_roles(struct sweep *s);
/* An officer idmgr init made (idmPrivilegeRequest "init" is believed). */
bool idm_sweep_made_by_init(const struct sweep *s, const struct acct *a);

/* ---------------------------------------------------- idm_sweep_disable.c */

/* The class a sweep disabled for ("sweep: CLASS"); -1 for any other
 * reason. */
int idm_sweep_disabled_class(const char *reason);
/* Disables one account and records it as one unit (idm_action.h), or, in
 * report mode or when refused, only lists it. */
int idm_sweep_disable(struct sweep *s, const struct acct *a, const struct idm_sweep_candidate *why);
/* Completes an interrupted run's disable of a: the owed record, then the
 * mark removed. */
int idm_sweep_resume(struct sweep *s, struct acct *a, enum idm_sweep_class cls);

#endif
