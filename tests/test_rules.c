/* The rules of the admin core as plain functions, no slapd: the approvals
 * table (contract §7, R-REG-1), separation of duties (R-SOD-1, R-SOD-2),
 * R-PRIV-3 as one predicate with one message, "lock in force" (R-PW,
 * R-PRIV-4), "exception in force" (R-EXC-1..3), the pending mark of an
 * operator action (R-AUD-1), the one object ID formatter and the sweep's
 * classes as of a date (R-REG-4), and "must change before use" (R-PW-3,
 * R-PW-4) for the account phase, the password change and operators. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "idm_account.h"
#include "idm_action.h"
#include "idm_approval.h"
#include "idm_error.h"
#include "idm_exception.h"
#include "idm_lockout.h"
#include "idm_sweep_rules.h"
#include "idm_time.h"

#define BIT(r) (1u << (r))

/* contract §7: every type names the two roles that approve it; grant
 * needs the CISO, everything else the security_chief, and always a
 * system_admin. */
START_TEST(approvals_table)
{
	for (int t = 0; t < IDM_REQ_TYPE_COUNT; t++) {
		const struct idm_approval_rule *r = idm_approval_rule((enum idm_request_type)t);
		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(r->type, t);
		ck_assert_int_eq(r->roles[1], IDM_ROLE_SYSTEM_ADMIN);
		ck_assert_int_eq(r->roles[0], t == IDM_REQ_GRANT_PRIVILEGE
						      ? IDM_ROLE_CISO
						      : IDM_ROLE_SECURITY_CHIEF);
	}
	ck_assert_ptr_null(idm_approval_rule(IDM_REQ_TYPE_COUNT));
}
END_TEST

/* R-PRIV-3: one predicate, one message, for every action. */
START_TEST(priv3_predicate)
{
	ck_assert_ptr_null(idm_sod_privileged(BIT(IDM_ROLE_SYSTEM_ADMIN), true));
	ck_assert_ptr_null(idm_sod_privileged(BIT(IDM_ROLE_CONTRACTOR), false));
	ck_assert_str_eq(idm_sod_privileged(BIT(IDM_ROLE_CONTRACTOR), true), IDM_RULE_PRIV3);
	ck_assert_str_eq(idm_sod_privileged(BIT(IDM_ROLE_CONTRACTOR) | BIT(IDM_ROLE_SYSTEM_ADMIN),
					    true),
			 "R-PRIV-3: a contractor never touches a privileged ID");
}
END_TEST

static struct idm_request_facts facts(enum idm_request_type type, bool privileged)
{
	return (struct idm_request_facts){
		.type = type,
		.submitter_dn = "uid=tanaka,ou=people,dc=example,dc=org",
		.applicant_uid = "watanabe",
		.subject_uid = "hanako",
		.touches_privileged = privileged,
	};
}

/* Approve, reject and apply all answer R-PRIV-3 with the same words. */
START_TEST(sod_decisions)
{
	struct idm_config cfg = { 0 };
	struct idm_request_facts f = facts(IDM_REQ_REGISTER, true);
	struct idm_actor contractor = { "uid=ito,ou=people,dc=example,dc=org", "ito",
					BIT(IDM_ROLE_CONTRACTOR) | BIT(IDM_ROLE_SYSTEM_ADMIN) };
	struct idm_actor chief = { "uid=suzuki,ou=people,dc=example,dc=org", "suzuki",
				   BIT(IDM_ROLE_SECURITY_CHIEF) };
	struct idm_actor submitter = { "uid=tanaka,ou=people,dc=example,dc=org", "tanaka",
				       BIT(IDM_ROLE_SYSTEM_ADMIN) };
	struct idm_actor ciso = { "uid=sato,ou=people,dc=example,dc=org", "sato",
				  BIT(IDM_ROLE_CISO) };
	enum idm_role role;
	const char *rule = NULL;

	ck_assert_int_eq(idm_sod_approve(&cfg, &f, &contractor, &role, &rule), IDM_EDENIED);
	ck_assert_str_eq(rule, IDM_RULE_PRIV3);
	ck_assert_int_eq(idm_sod_reject(&f, &contractor, &rule), IDM_EDENIED);
	ck_assert_str_eq(rule, IDM_RULE_PRIV3);
	ck_assert_int_eq(idm_sod_apply(&f, &contractor, &rule), IDM_EDENIED);
	ck_assert_str_eq(rule, IDM_RULE_PRIV3);

	/* R-SOD-1: the submitter never approves */
	ck_assert_int_eq(idm_sod_approve(&cfg, &f, &submitter, &role, &rule), IDM_EDENIED);
	ck_assert_ptr_nonnull(strstr(rule, "R-SOD-1"));
	ck_assert_int_eq(idm_sod_approve(&cfg, &f, &chief, &role, &rule), IDM_OK);
	ck_assert_int_eq(role, IDM_ROLE_SECURITY_CHIEF);

	/* reject: only the roles that approve the type */
	ck_assert_int_eq(idm_sod_reject(&f, &chief, &rule), IDM_OK);
	ck_assert_int_eq(idm_sod_reject(&f, &ciso, &rule), IDM_EDENIED);
	ck_assert_str_eq(rule, "only the roles that approve this type may reject it");
	f = facts(IDM_REQ_GRANT_PRIVILEGE, true);
	ck_assert_int_eq(idm_sod_reject(&f, &ciso, &rule), IDM_OK);
	ck_assert_int_eq(idm_sod_reject(&f, &chief, &rule), IDM_EDENIED);

	/* apply: only a system_admin, only when complete */
	f = facts(IDM_REQ_TRANSFER, false);
	ck_assert_int_eq(idm_sod_apply(&f, &chief, &rule), IDM_EDENIED);
	ck_assert_int_eq(idm_sod_apply(&f, &submitter, &rule), IDM_ESTATE);
	ck_assert_ptr_nonnull(strstr(rule, "R-REG-1"));
}
END_TEST

/* The one "lock in force" rule, on a clock the caller passes (the
 * server's): the hard limit holds whatever the time; a timed lock ends
 * exactly lockout_duration after it was set; 0 is until unlocked. */
START_TEST(lock_in_force)
{
	struct idm_policy timed = { .lockout_duration = 900 }, forever = { .lockout_duration = 0 };
	time_t t = 1800000000;

	ck_assert(!idm_lockout_in_force(&timed, 0, 0, t));
	ck_assert(!idm_lockout_in_force(&timed, 0, IDM_LOCKOUT_HARD_LIMIT - 1, t));
	ck_assert(idm_lockout_in_force(&timed, 0, IDM_LOCKOUT_HARD_LIMIT, t));
	ck_assert(idm_lockout_in_force(NULL, 0, IDM_LOCKOUT_HARD_LIMIT, t));
	ck_assert(idm_lockout_in_force(&timed, t - 899, 5, t));
	ck_assert(!idm_lockout_in_force(&timed, t - 900, 5, t));
	ck_assert(idm_lockout_in_force(&forever, t - 86400 * 365, 5, t));
	ck_assert(!idm_lockout_in_force(NULL, t - 1, 5, t)); /* no policy: only the hard limit */
}
END_TEST

/* R-PW-3, R-PW-4: the one "a change is due" rule (issue 10: the account
 * phase had ">" and the password change ">=" for max_logins).  The account
 * phase decides a login auth has counted already: max_logins logins pass,
 * the next is refused; a password change (and an operator, whose idmgr
 * login is not counted) sees a password whose logins are used up as due. */
START_TEST(change_due)
{
	struct idm_policy p = { .max_logins = 3, .max_age_days = 90 };
	time_t t = 1800000000;
	struct idm_account a = { .pwd_changed = t - 86400, .login_count = 3 };

	/* the 3rd login, counted by auth: allowed */
	ck_assert_int_eq(idm_account_change_due(&p, &a, false, true, t), IDM_CHANGE_NONE);
	/* after it, the logins are used up for a change and an operator */
	ck_assert_int_eq(idm_account_change_due(&p, &a, false, false, t), IDM_CHANGE_MAX_LOGINS);
	a.login_count = 4; /* the 4th login, counted: refused */
	ck_assert_int_eq(idm_account_change_due(&p, &a, false, true, t), IDM_CHANGE_MAX_LOGINS);
	a.login_count = 0;
	ck_assert_int_eq(idm_account_change_due(&p, &a, false, true, t), IDM_CHANGE_NONE);
	p.max_logins = 0; /* no limit */
	a.login_count = 1000;
	ck_assert_int_eq(idm_account_change_due(&p, &a, false, true, t), IDM_CHANGE_NONE);
	/* pwdReset, from the entry or the bind's control */
	ck_assert_int_eq(idm_account_change_due(&p, &a, true, true, t), IDM_CHANGE_RESET);
	a.must_change = true;
	ck_assert_int_eq(idm_account_change_due(&p, &a, false, false, t), IDM_CHANGE_RESET);
	ck_assert_int_eq(idm_account_change_due(NULL, &a, false, false, t), IDM_CHANGE_RESET);
	a.must_change = false;
	ck_assert_int_eq(idm_account_change_due(NULL, &a, false, false, t), IDM_CHANGE_NONE);
	/* expiry: exactly max_age_days after the change; never changed */
	a.pwd_changed = t - 90 * 86400 + 1;
	ck_assert_int_eq(idm_account_change_due(&p, &a, false, true, t), IDM_CHANGE_NONE);
	a.pwd_changed = t - 90 * 86400;
	ck_assert_int_eq(idm_account_change_due(&p, &a, false, true, t), IDM_CHANGE_EXPIRED);
	a.pwd_changed = 0;
	ck_assert_int_eq(idm_account_change_due(&p, &a, false, false, t), IDM_CHANGE_EXPIRED);
	p.max_age_days = 0; /* never expires */
	ck_assert_int_eq(idm_account_change_due(&p, &a, false, false, t), IDM_CHANGE_NONE);
}
END_TEST

/* R-EXC-1..3: active or unacknowledged emergency ones apply; expired or
 * revoked ones never do. */
START_TEST(exception_in_force)
{
	time_t t = 1800000000;
	struct idm_exception e = { .until = t + 60 };

	ck_assert(idm_exception_in_force(&e, t));
	ck_assert(!idm_exception_in_force(&e, t + 60));
	e.emergency = true;
	ck_assert_str_eq(idm_exception_state(&e, t), "unacknowledged");
	ck_assert(idm_exception_in_force(&e, t));
	e.revoked = t - 1;
	ck_assert(!idm_exception_in_force(&e, t));
}
END_TEST

/* R-AUD-1: a pending mark names its token, time, actor and event; a
 * malformed one is refused whole. */
START_TEST(pending_mark)
{
	static const char mark[] =
		"idmgr-pending-1 0123456789abcdef 20261201000000Z "
		"38:uid=tanaka,ou=people,dc=example,dc=org,6:unlock,3:bob,-,4:done,-,";
	struct idm_action a;
	char *one = (char *)mark, id[IDM_OBJECT_ID_LEN], id2[IDM_OBJECT_ID_LEN];
	time_t t;

	ck_assert_int_eq(idm_action_parse(mark, &a), IDM_OK);
	ck_assert_str_eq(a.token, "0123456789abcdef");
	ck_assert_int_eq(idm_time_parse("20261201000000Z", &t), IDM_OK);
	ck_assert_int_eq(a.time, t);
	ck_assert_str_eq(a.actor, "uid=tanaka,ou=people,dc=example,dc=org");
	ck_assert_str_eq(a.action, "unlock");
	ck_assert_str_eq(a.subject, "bob");
	ck_assert_ptr_null(a.request_id);
	ck_assert_str_eq(a.outcome, "done");
	ck_assert_ptr_null(a.detail);
	/* IDs an action owns are the same on every run, and two differ */
	idm_action_object_id(&a, 'N', 0, id);
	ck_assert_str_eq(id, "N20261201-01234567");
	idm_action_object_id(&a, 'X', 1, id2);
	ck_assert_str_eq(id2, "X20261201-89abcdef");
	idm_action_clear(&a);

	ck_assert_ptr_nonnull(
		idm_action_find_mark(&one, 1, "UID=tanaka,ou=people,dc=example,dc=org", "unlock"));
	ck_assert_ptr_null(
		idm_action_find_mark(&one, 1, "uid=sato,ou=people,dc=example,dc=org", "unlock"));
	ck_assert_ptr_null(
		idm_action_find_mark(&one, 1, "uid=tanaka,ou=people,dc=example,dc=org", "suspend"));

	static const char *const bad[] = {
		"",
		"idmgr-pending-2 0123456789abcdef 20261201000000Z 1:a,6:unlock,-,-,4:done,-,",
		"idmgr-pending-1 0123456789ABCDEF 20261201000000Z 1:a,6:unlock,-,-,4:done,-,",
		"idmgr-pending-1 0123456789abcdef 2026120100000Z 1:a,6:unlock,-,-,4:done,-,",
		"idmgr-pending-1 0123456789abcdef 20261201000000Z 9:a,6:unlock,-,-,4:done,-,",
		"idmgr-pending-1 0123456789abcdef 20261201000000Z 1:a,6:unlock,-,-,4:done,-,x",
		"idmgr-pending-1 0123456789abcdef 20261201000000Z -,6:unlock,-,-,4:done,-,",
		"idmgr-pending-1 0123456789abcdef 20261201000000Z 1:a,6:unlock,-,-,4:done,",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(idm_action_parse(bad[i], &a) == IDM_EINVAL, "accepted: %s", bad[i]);
}
END_TEST

/* One formatter of request, exception and notice IDs. */
START_TEST(object_ids)
{
	char a[IDM_OBJECT_ID_LEN], b[IDM_OBJECT_ID_LEN], day[IDM_GENTIME_LEN];

	idm_time_format(time(NULL), day);
	ck_assert_int_eq(idm_object_id_new('R', a), IDM_OK);
	ck_assert_int_eq(idm_object_id_new('R', b), IDM_OK);
	ck_assert_int_eq(strlen(a), 18);
	ck_assert(a[0] == 'R' && strncmp(a + 1, day, 8) == 0 && a[9] == '-');
	ck_assert_int_eq(strspn(a + 10, "0123456789abcdef"), 8);
	ck_assert_str_ne(a, b);
}
END_TEST

/* R-REG-4: the sweep's classes as of a date, in whole UTC days: stale
 * only after more than inactive_days, never-used from creation, expired
 * at idmValidUntil, counting from a return to active when that came
 * later; expired comes first; seconded-overdue after idmUntil. */
START_TEST(sweep_classes)
{
	const time_t now = 1800000000; /* 2027-01-15 08:00:00Z */
	const time_t day = IDM_DAY, today = now - 8 * 3600;
	struct idm_sweep_candidate c[2];
	struct idm_sweep_dates a;
	char d[11];

	/* the later of the two logins; 0 is never */
	ck_assert_int_eq(idm_sweep_last_login(5, 7), 7);
	ck_assert_int_eq(idm_sweep_last_login(7, 0), 7);
	ck_assert_int_eq(idm_sweep_last_login(0, 0), 0);

	/* stale: a login on the day 90 days before today is not, 91 is */
	a = (struct idm_sweep_dates){ .last_login = today - 90 * day, .created = 1 };
	ck_assert_uint_eq(idm_sweep_inactivity(&a, now, 90, 30, c), 0);
	a.last_login = today - 90 * day - 1;
	ck_assert_uint_eq(idm_sweep_inactivity(&a, now, 90, 30, c), 1);
	ck_assert_int_eq(c[0].cls, IDM_SWEEP_STALE);
	ck_assert_str_eq(c[0].why, "last login 2026-10-16, 91 days before 2027-01-15");

	/* never-used: from creation, with never_used_days */
	a = (struct idm_sweep_dates){ .created = today - 30 * day };
	ck_assert_uint_eq(idm_sweep_inactivity(&a, now, 90, 30, c), 0);
	a.created -= 1;
	ck_assert_uint_eq(idm_sweep_inactivity(&a, now, 90, 30, c), 1);
	ck_assert_int_eq(c[0].cls, IDM_SWEEP_NEVER_USED);
	ck_assert_str_eq(c[0].why, "never logged in; created 2026-12-15, 31 days before 2027-01-15");
	a.created = 0; /* unknown creation: never swept as never-used */
	ck_assert_uint_eq(idm_sweep_inactivity(&a, now, 90, 30, c), 0);

	/* expired at idmValidUntil, and listed before stale */
	a = (struct idm_sweep_dates){ .valid_until = now + 1, .created = now - day };
	ck_assert_uint_eq(idm_sweep_inactivity(&a, now, 90, 30, c), 0);
	a.valid_until = now;
	a.last_login = today - 200 * day;
	ck_assert_uint_eq(idm_sweep_inactivity(&a, now, 90, 30, c), 2);
	ck_assert_int_eq(c[0].cls, IDM_SWEEP_EXPIRED);
	ck_assert_str_eq(c[0].why, "valid until 2027-01-15, still active on 2027-01-15");
	ck_assert_int_eq(c[1].cls, IDM_SWEEP_STALE);

	/* made active again after the last login: the days count from then */
	a = (struct idm_sweep_dates){ .last_login = today - 200 * day,
				      .status_time = today - 10 * day };
	ck_assert_uint_eq(idm_sweep_inactivity(&a, now, 90, 30, c), 0);
	a.status_time = today - 95 * day;
	ck_assert_uint_eq(idm_sweep_inactivity(&a, now, 90, 30, c), 1);
	ck_assert_int_eq(c[0].cls, IDM_SWEEP_STALE);
	ck_assert_str_eq(c[0].why,
			 "no login since; active again since 2026-10-12, 95 days before 2027-01-15");
	a = (struct idm_sweep_dates){ .created = today - 200 * day,
				      .status_time = today - 31 * day };
	ck_assert_uint_eq(idm_sweep_inactivity(&a, now, 90, 30, c), 1);
	ck_assert_int_eq(c[0].cls, IDM_SWEEP_NEVER_USED);

	/* seconded-overdue: strictly after idmUntil; absent never */
	ck_assert(!idm_sweep_seconded_overdue(0, now, &c[1]));
	ck_assert(!idm_sweep_seconded_overdue(now, now, &c[1]));
	ck_assert(idm_sweep_seconded_overdue(now - 3 * day, now, &c[1]));
	ck_assert_int_eq(c[1].cls, IDM_SWEEP_SECONDED_OVERDUE);
	ck_assert_str_eq(c[1].said.fmt,
			 "seconded until %s, %ld days before %s; no return request applied");
	ck_assert_str_eq(c[1].why, "seconded until 2027-01-12, 3 days before 2027-01-15; "
				   "no return request applied");

	/* the exception rule lifting each disabling class (R-EXC-1), names */
	ck_assert_str_eq(idm_sweep_rule_of(IDM_SWEEP_STALE), "inactive");
	ck_assert_str_eq(idm_sweep_rule_of(IDM_SWEEP_NEVER_USED), "never-used");
	ck_assert_str_eq(idm_sweep_rule_of(IDM_SWEEP_EXPIRED), "valid-until");
	ck_assert_ptr_null(idm_sweep_rule_of(IDM_SWEEP_SECONDED_OVERDUE));
	ck_assert_ptr_null(idm_sweep_rule_of(IDM_SWEEP_PRIVILEGE_DRIFT));
	ck_assert_str_eq(idm_sweep_class_name(IDM_SWEEP_RETIRED_IN_GROUPS), "retired-in-groups");
	ck_assert_str_eq(idm_sweep_class_name(IDM_SWEEP_CLASS_COUNT), "?");
	ck_assert_str_eq(idm_sweep_action_name(IDM_SWEEP_WOULD_DISABLE), "would-disable");
	idm_date_format(0, d);
	ck_assert_str_eq(d, "-");
}
END_TEST

/* issue 14, R-REG-4: a finding's detail is its clauses joined by "; "
 * (the English of JSON and the audit record), after the class lifted for
 * an exemption; a clause whose arguments a (translated) format does not
 * fit, and a finding without clauses, show the English detail. */
START_TEST(sweep_detail_clauses)
{
	const time_t now = 1800000000; /* 2027-01-15 08:00:00Z */
	struct idm_sweep_candidate c[2];
	struct idm_sweep_dates a = { .last_login = now - 100 * IDM_DAY };
	struct idm_sweep_said said = { .n = 0 };
	struct idm_sweep_finding f = { .cls = IDM_SWEEP_EXEMPT, .rule_class = IDM_SWEEP_STALE };
	struct idm_sweep_clause *x;
	char out[300], tiny[8];

	ck_assert_uint_eq(idm_sweep_inactivity(&a, now, 90, 30, c), 1);
	ck_assert_str_eq(c[0].said.fmt, "last login %s, %ld days before %s");
	ck_assert_int_eq(c[0].said.nargs, 3);
	ck_assert_str_eq(c[0].said.args[1], "100");
	said.c[said.n++] = c[0].said;
	x = idm_sweep_say(&said, "exception %s (rule %s) until %s");
	idm_sweep_arg(x, NULL, "EXC-1");
	idm_sweep_arg(x, NULL, "inactive");
	idm_sweep_arg(x, NULL, "2027-02-01");
	idm_sweep_arg(x, NULL, "one too many");
	idm_sweep_arg(x, NULL, "and another"); /* beyond IDM_SWEEP_CLAUSE_ARGS: dropped */
	ck_assert_int_eq(x->nargs, IDM_SWEEP_CLAUSE_ARGS);
	x->nargs = 3;
	f.said = &said;
	ck_assert_int_eq(idm_sweep_detail(&f, false, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "stale last login 2026-10-07, 100 days before 2027-01-15; "
			      "exception EXC-1 (rule inactive) until 2027-02-01");
	/* the C locale: translated is the English */
	ck_assert_int_eq(idm_sweep_detail(&f, true, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "stale last login 2026-10-07, 100 days before 2027-01-15; "
			      "exception EXC-1 (rule inactive) until 2027-02-01");
	/* a format naming an argument it lacks: the English detail */
	said.c[1].fmt = "exception %4$s";
	f.detail = "the English";
	ck_assert_int_eq(idm_sweep_detail(&f, true, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "the English");
	ck_assert_int_eq(idm_sweep_detail(&f, false, tiny, sizeof(tiny)), -1);
	ck_assert_str_eq(tiny, "the Eng");
	f.said = NULL;
	ck_assert_int_eq(idm_sweep_detail(&f, true, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "the English");
	/* a detail of any length, whole (a retired account in many groups) */
	{
		static char groups[20000];
		struct idm_sweep_said one = { .n = 0 };
		struct idm_sweep_finding g = { .cls = IDM_SWEEP_RETIRED_IN_GROUPS,
					       .rule_class = IDM_SWEEP_RETIRED_IN_GROUPS,
					       .said = &one };
		char *whole;

		memset(groups, 'g', sizeof(groups) - 1);
		idm_sweep_arg(idm_sweep_say(&one, "retired, still a member of %s"), NULL, groups);
		for (int translate = 0; translate < 2; translate++) {
			whole = idm_sweep_detail_dup(&g, translate);
			ck_assert_ptr_nonnull(whole);
			ck_assert_uint_eq(strlen(whole), strlen("retired, still a member of ") +
								 sizeof(groups) - 1);
			free(whole);
		}
	}
	/* a full detail takes no more clauses */
	said.n = IDM_SWEEP_CLAUSES;
	ck_assert_ptr_null(idm_sweep_say(&said, "more"));
	idm_sweep_arg(NULL, NULL, "ignored");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, approvals_table);
	tcase_add_test(tc, priv3_predicate);
	tcase_add_test(tc, sod_decisions);
	tcase_add_test(tc, lock_in_force);
	tcase_add_test(tc, exception_in_force);
	tcase_add_test(tc, change_due);
	tcase_add_test(tc, pending_mark);
	tcase_add_test(tc, object_ids);
	tcase_add_test(tc, sweep_classes);
	tcase_add_test(tc, sweep_detail_clauses);
	suite_add_tcase(s, tc);
	return fx_run(s, NULL);
}
