/* idm_compliance.h -- the self-inspection report (R-REV-1): one section per
 * clause of the policy that software can check, each with the live evidence
 * an auditor asks for and a verdict, computed here; idmgr(8) "report
 * compliance" only prints it, and the monthly timer produces it.
 *
 * Read with the officer's own identity (any officer role); nothing is
 * written.  Clauses and what they are judged by, at as_of:
 *
 *   R-PW-1   every policy section has its slapd policy entry under
 *            ou=policies with the check module idmgr init writes
 *            (pwdCheckModule); the effective rules are the evidence
 *   R-PW-3   active accounts whose password is older than their policy's
 *            max_age_days (pwdChangedTime, else the entry's creation), or
 *            used max_logins times
 *   R-PW-4   temporary passwords (pwdReset) older than
 *            IDM_COMPLIANCE_TEMP_DAYS days
 *   R-PRIV-1 every privileged ID with its grant; the sweep's
 *            privilege-drift and role-not-active findings
 *   R-REG-4  the sweep in report mode (idm_sweep.h) at as_of; the last
 *            disable a sweep audited
 *   R-AUD-1  idm_audit_verify() over the whole trail, and its head; the
 *            command adds idmgrd's reconcile of slapd's log of writes
 *            (idm_compliance_reconcile_since(), idm_compliance_add())
 *   R-EXC-3  exceptions due for review: unacknowledged emergencies
 *            (R-EXC-2) and those expiring within IDM_COMPLIANCE_REVIEW_DAYS
 *   R-PRIV-2, R-VIO-1  notices not delivered yet (idm_notice.h)
 *   R-LOGIN-3  the hosts where logins were recorded in the
 *            IDM_COMPLIANCE_PERIOD_DAYS days before as_of; "not checked"
 *            when none was (the hosts' syslog is the record)
 *
 * A clause with a finding has verdict "findings"; one whose evidence could
 * not be read (a directory error) is "not checked" and says why. */
#ifndef IDM_COMPLIANCE_H
#define IDM_COMPLIANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "idm_config.h"
#include "idm_log.h"
#include "idm_operator.h"

#define IDM_COMPLIANCE_TEMP_DAYS 7
#define IDM_COMPLIANCE_REVIEW_DAYS 30
#define IDM_COMPLIANCE_PERIOD_DAYS 31
#define IDM_COMPLIANCE_LISTED 200 /* findings or evidence lines kept per clause */

enum idm_verdict { IDM_VERDICT_HOLDS, IDM_VERDICT_FINDINGS, IDM_VERDICT_NOT_CHECKED };
/* "holds", "findings", "not checked" */
const char *idm_verdict_name(enum idm_verdict v);

/* Each line is English in v[i].text (JSON and CSV keep it); its format, a
 * msgid, and its arguments, values of the directory shown as they are,
 * let the text report say it in the reader's language (idm_log_kept). */
struct idm_lines {
	struct idm_log_kept *v;
	size_t n;
	long more; /* lines beyond IDM_COMPLIANCE_LISTED, counted only */
};

struct idm_clause_report {
	const char *clause, *title;
	enum idm_verdict verdict;
	struct idm_lines evidence, findings;
	struct idm_log_kept why_not_checked; /* .text NULL: checked; its
					      * arguments are msgids (the error's text) */
};

enum {
	IDM_CLAUSE_PW1,
	IDM_CLAUSE_PW3,
	IDM_CLAUSE_PW4,
	IDM_CLAUSE_PRIV1,
	IDM_CLAUSE_REG4,
	IDM_CLAUSE_AUD1,
	IDM_CLAUSE_EXC3,
	IDM_CLAUSE_NOTICES,
	IDM_CLAUSE_LOGIN3,
	IDM_CLAUSE_COUNT
};

struct idm_compliance {
	time_t as_of;
	struct idm_clause_report clauses[IDM_CLAUSE_COUNT];
	size_t n_with_findings;
};

/* Computes the report as op (any officer role, else IDM_EDENIED).
 * Returns IDM_OK with *out set even when clauses have findings or could
 * not be checked; IDM_ENOMEM; IDM_EUNAVAIL when no server answered. */
int idm_compliance_run(struct idm_operator *op, const struct idm_config *cfg,
		       const struct idm_log *log, time_t as_of, struct idm_compliance **out);
void idm_compliance_free(struct idm_compliance *c);

/* Adds a line to clause's findings (is_finding) or evidence, the verdict
 * and n_with_findings following; fmt is a msgid.  IDM_OK or IDM_ENOMEM. */
int idm_compliance_add(struct idm_compliance *c, int clause, bool is_finding, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Where R-AUD-1's reconcile of slapd's log of writes starts: the report's
 * period (IDM_COMPLIANCE_PERIOD_DAYS before as_of), or, for a trail younger
 * than that, the second after its first record (the writes before it are
 * idmgr init's, which writes no record).  IDM_ENOENT when no record was
 * ever appended; an error of the directory. */
int idm_compliance_reconcile_since(struct idm_operator *op, const struct idm_config *cfg,
				   time_t as_of, time_t *since);

#endif
