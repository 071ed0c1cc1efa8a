/* Operator actions as units with their audit records, through the real
 * idmgr against a real slapd (R-AUD-1): when the record cannot be written
 * the command fails, the change carries its pending mark, and running the
 * same command again completes both, with one record.  Also: accounts in
 * a sub-OU end to end, locks judged on the directory server's clock
 * (R-PW, R-PRIV-4), writes safe to retry after a server that applied them
 * and went silent, "already so" as an explicit result, and the commands
 * request reject, exception revoke|acknowledge and user unlock (R-EXC-1,
 * R-EXC-2, R-SOD-1). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <glob.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "idm_audit.h"
#include "idm_dir.h"
#include "idm_effect.h"
#include "idm_account.h"
#include "idm_error.h"
#include "idm_lockout.h"
#include "idm_mods.h"
#include "idm_time.h"
#include "officers.h"

#define SUFFIX "dc=example,dc=org"
#define PEOPLE "ou=people," SUFFIX
#define AUDIT "ou=audit,ou=idmgr," SUFFIX
#define REQUESTS "ou=requests,ou=idmgr," SUFFIX

static struct sandbox sb;
static int next_uid_number = 42000;

/* ------------------------------------------------------------ helpers */

static struct idm_dir *admin(void)
{
	struct idm_dir *d = NULL;

	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	return d;
}

/* Entries matching filter below base, as the administrator. */
static int count(const char *base, const char *filter)
{
	static const char *const attrs[] = { "1.1", NULL };
	struct idm_dir *d = admin();
	LDAPMessage *res = NULL;
	int r = idm_dir_search(d, base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, &res), n;

	n = r == IDM_OK ? ldap_count_entries(idm_dir_ldap(d), res) : r == IDM_ENOENT ? 0 : -1;
	ldap_msgfree(res);
	idm_dir_close(d);
	ck_assert_int_ge(n, 0);
	return n;
}

/* First value of attr of the entry at dn, or NULL. */
static char *value_of(const char *dn, const char *attr)
{
	const char *attrs[] = { attr, NULL };
	struct idm_dir *d = admin();
	LDAPMessage *res = NULL, *e;
	char *v = NULL;

	if (idm_dir_search(d, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res) == IDM_OK &&
	    (e = ldap_first_entry(idm_dir_ldap(d), res)))
		v = idm_entry_value(idm_dir_ldap(d), e, attr);
	ldap_msgfree(res);
	idm_dir_close(d);
	return v;
}

/* Audit records of action with one more filter term (e.g. the subject). */
static int records(const char *action, const char *term)
{
	char filter[512];

	snprintf(filter, sizeof(filter), "(&(objectClass=idmAuditRecord)(idmAction=%s)%s)", action,
		 term);
	return count(AUDIT, filter);
}

static int marks(const char *dn)
{
	return count(dn, "(idmAuditPending=*)");
}

/* The trail refuses appends: a damaged record right after the head (the
 * appender stops there, "damaged and blocks the trail"). */
static long blocked_seq;

static void block_trail(void)
{
	struct idm_dir *d = admin();
	struct idm_audit_head h;
	char ldif[1024];
	int r;

	if (blocked_seq) { /* a failed test's blocker stays out of the next */
		snprintf(ldif, sizeof(ldif), "idmSeq=%ld," AUDIT, blocked_seq);
		(void)idm_dir_delete(d, ldif);
	}
	r = idm_audit_head(d, sb.cfg, &h);

	idm_dir_close(d);
	ck_assert(r == IDM_OK || r == IDM_ENOENT);
	blocked_seq = r == IDM_OK ? h.seq + 1 : 1;
	snprintf(ldif, sizeof(ldif),
		 "dn: idmSeq=%ld," AUDIT "\nobjectClass: idmAuditRecord\nidmSeq: %ld\n"
		 "idmTime: 20260101000000Z\nidmActor: %s\nidmAction: blocker\n"
		 "idmOutcome: damaged on purpose\nidmPrevHash: zz\nidmHash: zz\n",
		 blocked_seq, blocked_seq, sb.admin_dn);
	ck_assert_int_eq(sandbox_ldapadd(&sb, ldif), 0);
}

static void unblock_trail(void)
{
	struct idm_dir *d = admin();
	char dn[256];

	snprintf(dn, sizeof(dn), "idmSeq=%ld," AUDIT, blocked_seq);
	ck_assert_int_eq(idm_dir_delete(d, dn), IDM_OK);
	idm_dir_close(d);
}

static void add_account(const char *parent, const char *uid, const char *extra)
{
	char ldif[2048];

	snprintf(ldif, sizeof(ldif),
		 "dn: uid=%s,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n"
		 "objectClass: idmAccount\nuid: %s\ncn: %s\nsn: Test\nuidNumber: %d\n"
		 "gidNumber: 10000\nhomeDirectory: /home/%s\nidmStatus: active\n"
		 "departmentNumber: benefits\nemployeeType: regular\n%s",
		 uid, parent, uid, uid, next_uid_number++, uid, extra ? extra : "");
	ck_assert_int_eq(sandbox_ldapadd(&sb, ldif), 0);
}

static void lock_account(const char *dn, time_t when, int failures)
{
	char ldif[1024], t[IDM_GENTIME_LEN];

	idm_time_format(when, t);
	snprintf(ldif, sizeof(ldif),
		 "dn: %s\nchangetype: modify\nreplace: idmLockedTime\nidmLockedTime: %s\n-\n"
		 "replace: idmFailureCount\nidmFailureCount: %d\n",
		 dn, t, failures);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, ldif), 0);
}

static char *submit(const char *submitter, const char *form)
{
	static int n;
	char name[32];

	snprintf(name, sizeof(name), "actions-form-%d", n++);
	return request_submit(&sb, submitter, name, form);
}

static char *simple_form(const char *type, const char *uid, const char *extra)
{
	char *f = malloc(2048);

	snprintf(f, 2048,
		 "type = \"%s\"\nform_ref = \"HR-77\"\napplicant = \"watanabe\"\n"
		 "reason = \"Change\"\nuid = \"%s\"\n%s",
		 type, uid, extra);
	return f;
}

static void ok(int st, char *out, char *err, const char *what)
{
	ck_assert_msg(st == 0, "%s: exit %d: %s", what, st, err ? err : "");
	free(out);
	free(err);
}

/* A command that changed the directory but could not write its record:
 * it fails and says the record is owed. */
static void owed(int st, char *out, char *err, const char *what)
{
	ck_assert_msg(st != 0, "%s succeeded though its audit record could not be written", what);
	ck_assert_msg(err && strstr(err, "audit record is owed"), "%s: %s", what, err ? err : "");
	free(out);
	free(err);
}

/* ------------------------------------------------------------ fixture */

static void setup(void)
{
	sandbox_start(&sb, true);
	officers_ready(&sb, NULL, NULL);
	add_account(PEOPLE, "owed-unlock", NULL);
	add_account(PEOPLE, "owed-reset", NULL);
	add_account(PEOPLE, "owed-expire", NULL);
	add_account(PEOPLE, "owed-suspend", NULL);
	add_account(PEOPLE, "owed-second", NULL);
}

static void teardown(void)
{
	sandbox_stop(&sb);
}

/* --------------------------------------------------- owed audit records */

/* R-AUD-1, R-SOD-2: an approval whose record failed is completed by the
 * same command; the request can then be applied (an approval without its
 * record would block apply for ever). */
START_TEST(approve_record_completed_by_rerun)
{
	char *form = simple_form("transfer", "owed-unlock", "to_unit = \"finance\"\n");
	char *id = submit("tanaka", form), *out = NULL, *err = NULL, dn[256], term[128];
	int st;

	snprintf(dn, sizeof(dn), "idmRequestId=%s," REQUESTS, id);
	snprintf(term, sizeof(term), "(idmRequestId=%s)(idmOutcome=done)", id);
	block_trail();
	st = idmgr_as(&sb, "suzuki", &out, &err, "request", "approve", id, NULL);
	owed(st, out, err, "approve");
	ck_assert_int_eq(count(dn, "(idmApproval=*)"), 1);
	ck_assert_int_eq(marks(dn), 1);
	unblock_trail();
	st = idmgr_as(&sb, "suzuki", &out, &err, "request", "approve", id, NULL);
	ck_assert_msg(st == 0, "rerun: %s", err);
	ck_assert_ptr_nonnull(strstr(out, "approved as security_chief"));
	free(out);
	free(err);
	ck_assert_int_eq(marks(dn), 0);
	ck_assert_int_eq(records("approve", term), 1);
	/* and once more: nothing owed, the approval is given already */
	ck_assert_int_eq(idmgr_as(&sb, "suzuki", &out, &err, "request", "approve", id, NULL), 1);
	free(out);
	free(err);
	ck_assert_int_eq(records("approve", term), 1);
	st = idmgr_as(&sb, "takahashi", &out, &err, "request", "approve", id, NULL);
	ok(st, out, err, "second approval");
	st = idmgr_as(&sb, "takahashi", &out, &err, "request", "apply", id, NULL);
	ok(st, out, err, "apply");
	free(id);
	free(form);
}
END_TEST

/* R-REG-1: a request whose second approval was recorded but whose move to
 * "approved" was lost is not stuck: the next approve makes the move (and
 * is refused, the approvals being complete), and apply goes on. */
START_TEST(lost_move_to_approved_is_made)
{
	char *form = simple_form("transfer", "owed-second", "to_unit = \"benefits\"\n");
	char *id = submit("tanaka", form), *out = NULL, *err = NULL, dn[256], ldif[512], *state;
	int st;

	snprintf(dn, sizeof(dn), "idmRequestId=%s," REQUESTS, id);
	st = idmgr_as(&sb, "suzuki", &out, &err, "request", "approve", id, NULL);
	ok(st, out, err, "a1");
	st = idmgr_as(&sb, "takahashi", &out, &err, "request", "approve", id, NULL);
	ok(st, out, err, "a2");
	snprintf(ldif, sizeof(ldif),
		 "dn: %s\nchangetype: modify\nreplace: idmRequestState\nidmRequestState: pending\n",
		 dn);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, ldif), 0);
	st = idmgr_as(&sb, "suzuki", &out, &err, "request", "approve", id, NULL);
	ck_assert_int_eq(st, 1);
	ck_assert_ptr_nonnull(strstr(err, "fully approved already"));
	free(out);
	free(err);
	state = value_of(dn, "idmRequestState");
	ck_assert_str_eq(state, "approved");
	free(state);
	st = idmgr_as(&sb, "takahashi", &out, &err, "request", "apply", id, NULL);
	ok(st, out, err, "apply");
	free(id);
	free(form);
}
END_TEST

/* R-AUD-1: submit, reject and apply likewise; a rerun of submit finds the
 * request it made instead of making a second one. */
START_TEST(submit_reject_apply_records_completed_by_rerun)
{
	char *form = simple_form("secondment", "owed-expire", "until = \"2099-01-01\"\n");
	char *path = form_file(&sb, "owed-submit", form), *out = NULL, *err = NULL, *id, dn[256],
	     term[128], *state;
	int st;

	block_trail();
	st = idmgr_as(&sb, "tanaka", &out, &err, "request", "submit", path, NULL);
	owed(st, out, err, "submit");
	ck_assert_int_eq(count(REQUESTS, "(&(idmSubject=owed-expire)(idmAuditPending=*))"), 1);
	unblock_trail();
	st = idmgr_as(&sb, "tanaka", &out, &err, "request", "submit", path, NULL);
	ck_assert_msg(st == 0, "rerun: %s", err);
	out[strcspn(out, "\n")] = '\0';
	id = out;
	free(err);
	ck_assert_int_eq(count(REQUESTS, "(idmSubject=owed-expire)"), 1);
	snprintf(dn, sizeof(dn), "idmRequestId=%s," REQUESTS, id);
	snprintf(term, sizeof(term), "(idmRequestId=%s)(idmOutcome=done)", id);
	ck_assert_int_eq(marks(dn), 0);
	ck_assert_int_eq(records("submit", term), 1);

	/* request reject through the command: refused for a role that does
	 * not approve the type, then done; its record owed and completed */
	st = idmgr_as(&sb, "sato", &out, &err, "request", "reject", id, "--reason", "No", NULL);
	ck_assert_int_eq(st, 1);
	ck_assert_ptr_nonnull(strstr(err, "only the roles that approve this type may reject it"));
	free(out);
	free(err);
	block_trail();
	st = idmgr_as(&sb, "suzuki", &out, &err, "request", "reject", id, "--reason",
		      "Not this year", NULL);
	owed(st, out, err, "reject");
	state = value_of(dn, "idmRequestState");
	ck_assert_str_eq(state, "rejected");
	free(state);
	ck_assert_int_eq(marks(dn), 1);
	unblock_trail();
	st = idmgr_as(&sb, "suzuki", &out, &err, "request", "reject", id, "--reason",
		      "Not this year", NULL);
	ok(st, out, err, "reject rerun");
	ck_assert_int_eq(marks(dn), 0);
	ck_assert_int_eq(records("reject", term), 1);
	/* a rejected request is rejected only once */
	st = idmgr_as(&sb, "suzuki", &out, &err, "request", "reject", id, "--reason", "Again", NULL);
	ck_assert_int_eq(st, 1);
	free(out);
	free(err);
	free(id);
	free(form);

	/* apply */
	form = simple_form("secondment", "owed-second", "until = \"2099-01-01\"\n");
	id = submit("tanaka", form);
	snprintf(dn, sizeof(dn), "idmRequestId=%s," REQUESTS, id);
	snprintf(term, sizeof(term), "(idmRequestId=%s)(idmOutcome=done)", id);
	st = idmgr_as(&sb, "suzuki", &out, &err, "request", "approve", id, NULL);
	ok(st, out, err, "a1");
	st = idmgr_as(&sb, "takahashi", &out, &err, "request", "approve", id, NULL);
	ok(st, out, err, "a2");
	block_trail();
	st = idmgr_as(&sb, "takahashi", &out, &err, "request", "apply", id, NULL);
	owed(st, out, err, "apply");
	state = value_of(dn, "idmRequestState");
	ck_assert_str_eq(state, "applied");
	free(state);
	ck_assert_int_eq(marks(dn), 1);
	unblock_trail();
	st = idmgr_as(&sb, "takahashi", &out, &err, "request", "apply", id, NULL);
	ok(st, out, err, "apply rerun");
	ck_assert_int_eq(marks(dn), 0);
	ck_assert_int_eq(records("apply", term), 1);
	free(id);
	free(form);
	free(path);
}
END_TEST

/* R-AUD-1, R-PW-2, R-PW-4: user unlock, expire-password and
 * reset-password through the command; each rerun completes its record,
 * a reset whose password was never shown is recorded and a new one
 * issued. */
START_TEST(user_actions_records_completed_by_rerun)
{
	const char *dn = "uid=owed-unlock," PEOPLE;
	char *out = NULL, *err = NULL, *v;
	int st;

	lock_account(dn, time(NULL) - 10, 7);
	/* user unlock needs a system_admin */
	st = idmgr_as(&sb, "watanabe", &out, &err, "user", "unlock", "owed-unlock", NULL);
	ck_assert_int_eq(st, 1);
	ck_assert_ptr_nonnull(strstr(err, "system_admin"));
	free(out);
	free(err);
	ck_assert_int_eq(records("unlock", "(idmSubject=owed-unlock)(idmOutcome=refused: role)"), 1);
	block_trail();
	st = idmgr_as(&sb, "takahashi", &out, &err, "user", "unlock", "owed-unlock", NULL);
	owed(st, out, err, "unlock");
	v = value_of(dn, "idmLockedTime");
	ck_assert_ptr_null(v);
	ck_assert_int_eq(marks(dn), 1);
	unblock_trail();
	st = idmgr_as(&sb, "takahashi", &out, &err, "user", "unlock", "owed-unlock", NULL);
	ok(st, out, err, "unlock rerun");
	ck_assert_int_eq(marks(dn), 0);
	ck_assert_int_eq(records("unlock", "(idmSubject=owed-unlock)(idmOutcome=done)"), 1);

	block_trail();
	st = idmgr_as(&sb, "watanabe", &out, &err, "user", "expire-password", "owed-expire", NULL);
	owed(st, out, err, "expire-password");
	v = value_of("uid=owed-expire," PEOPLE, "pwdReset");
	ck_assert_str_eq(v, "TRUE");
	free(v);
	unblock_trail();
	st = idmgr_as(&sb, "watanabe", &out, &err, "user", "expire-password", "owed-expire", NULL);
	ok(st, out, err, "expire rerun");
	ck_assert_int_eq(marks("uid=owed-expire," PEOPLE), 0);
	ck_assert_int_eq(records("expire-password", "(idmSubject=owed-expire)"), 1);

	block_trail();
	st = idmgr_as(&sb, "takahashi", &out, &err, "user", "reset-password", "owed-reset", NULL);
	ck_assert_ptr_null(strstr(out, "temporary password")); /* never shown when not recorded */
	owed(st, out, err, "reset-password");
	unblock_trail();
	st = idmgr_as(&sb, "takahashi", &out, &err, "user", "reset-password", "owed-reset", NULL);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_ptr_nonnull(strstr(out, "temporary password for owed-reset: "));
	free(out);
	free(err);
	ck_assert_int_eq(marks("uid=owed-reset," PEOPLE), 0);
	ck_assert_int_eq(records("reset-password", "(idmSubject=owed-reset)"), 2);
}
END_TEST

/* R-VIO-1, R-EXC-2, R-AUD-1: an emergency suspension whose record failed
 * leaves the account suspended and marked; the rerun writes the record
 * and makes no second notice or exception. */
START_TEST(suspend_record_completed_by_rerun)
{
	const char *dn = "uid=owed-suspend," PEOPLE;
	char *out = NULL, *err = NULL, *v;
	int st;

	block_trail();
	st = idmgr_as(&sb, "takahashi", &out, &err, "user", "suspend", "owed-suspend", "--reason",
		      "Leak", "--emergency", NULL);
	owed(st, out, err, "suspend");
	v = value_of(dn, "idmStatus");
	ck_assert_str_eq(v, "suspended");
	free(v);
	ck_assert_int_eq(marks(dn), 1);
	unblock_trail();
	st = idmgr_as(&sb, "takahashi", &out, &err, "user", "suspend", "owed-suspend", "--reason",
		      "Leak", "--emergency", NULL);
	ok(st, out, err, "suspend rerun");
	ck_assert_int_eq(marks(dn), 0);
	ck_assert_int_eq(records("suspend", "(idmSubject=owed-suspend)"), 1);
	ck_assert_int_eq(records("exception-emergency", "(idmSubject=owed-suspend)"), 1);
	ck_assert_int_eq(count("ou=notices,ou=idmgr," SUFFIX, "(idmSubject=owed-suspend)"), 1);
	ck_assert_int_eq(count("ou=exceptions,ou=idmgr," SUFFIX, "(idmSubject=owed-suspend)"), 1);
}
END_TEST

/* R-EXC-1, R-EXC-2, R-AUD-1: exception acknowledge and revoke through the
 * command: the CISO only, their records completed by a rerun, a second
 * revoke refused. */
START_TEST(exception_revoke_and_acknowledge)
{
	char *out = NULL, *err = NULL, *id, dn[256], term[128];
	int st;

	st = idmgr_as(&sb, "takahashi", &out, &err, "exception", "add", "--subject", "owed-reset",
		      "--rule", "inactive", "--reason", "On leave", "--until", "2099-01-01",
		      "--emergency", NULL);
	ck_assert_msg(st == 0, "%s", err);
	free(err);
	out[strcspn(out, "\n")] = '\0';
	id = out;
	ck_assert_msg(id[0] == 'X' && strlen(id) == 18, "exception ID: \"%s\"", id);
	snprintf(dn, sizeof(dn), "idmRequestId=%s,ou=exceptions,ou=idmgr," SUFFIX, id);
	snprintf(term, sizeof(term), "(idmRequestId=%s)(idmOutcome=done)", id);
	/* not the CISO: refused and audited */
	st = idmgr_as(&sb, "takahashi", &out, &err, "exception", "acknowledge", id, NULL);
	ck_assert_int_eq(st, 1);
	free(out);
	free(err);
	ck_assert_int_eq(records("exception-acknowledge",
				 "(idmOutcome=refused: R-EXC-1: exceptions need the CISO)"),
			 1);
	block_trail();
	st = idmgr_as(&sb, "sato", &out, &err, "exception", "acknowledge", id, NULL);
	owed(st, out, err, "acknowledge");
	ck_assert_int_eq(count(dn, "(idmAcknowledgedBy=*)"), 1);
	unblock_trail();
	st = idmgr_as(&sb, "sato", &out, &err, "exception", "acknowledge", id, NULL);
	ok(st, out, err, "acknowledge rerun");
	ck_assert_int_eq(records("exception-acknowledge", term), 1);

	block_trail();
	st = idmgr_as(&sb, "sato", &out, &err, "exception", "revoke", id, NULL);
	owed(st, out, err, "revoke");
	ck_assert_int_eq(count(dn, "(idmRevokedTime=*)"), 1);
	unblock_trail();
	st = idmgr_as(&sb, "sato", &out, &err, "exception", "revoke", id, NULL);
	ok(st, out, err, "revoke rerun");
	ck_assert_int_eq(marks(dn), 0);
	ck_assert_int_eq(records("exception-revoke", term), 1);
	st = idmgr_as(&sb, "sato", &out, &err, "exception", "revoke", id, NULL);
	ck_assert_int_eq(st, 1);
	ck_assert_ptr_nonnull(strstr(err, "revoked already"));
	free(out);
	free(err);
	ck_assert_int_eq(records("exception-revoke", term), 1);
	free(id);

	/* exception add: the rerun finds the exception it made */
	block_trail();
	st = idmgr_as(&sb, "sato", &out, &err, "exception", "add", "--subject", "owed-expire",
		      "--rule", "never-used", "--reason", "Project", "--until", "2099-01-01", NULL);
	owed(st, out, err, "exception add");
	unblock_trail();
	st = idmgr_as(&sb, "sato", &out, &err, "exception", "add", "--subject", "owed-expire",
		      "--rule", "never-used", "--reason", "Project", "--until", "2099-01-01", NULL);
	ck_assert_msg(st == 0, "%s", err);
	out[strcspn(out, "\n")] = '\0';
	snprintf(dn, sizeof(dn), "(&(idmSubject=owed-expire)(idmRule=never-used)(idmRequestId=%s))",
		 out);
	ck_assert_int_eq(count("ou=exceptions,ou=idmgr," SUFFIX, dn), 1);
	ck_assert_int_eq(count("ou=exceptions,ou=idmgr," SUFFIX, "(idmSubject=owed-expire)"), 1);
	ck_assert_int_eq(count("ou=exceptions,ou=idmgr," SUFFIX,
			       "(&(idmSubject=owed-expire)(idmAuditPending=*))"),
			 0);
	ck_assert_int_eq(records("exception-add", "(idmSubject=owed-expire)(idmOutcome=done)"), 1);
	free(out);
	free(err);
}
END_TEST

/* ------------------------------------------------------ accounts in OUs */

static void write_pw(const char *uid, const char *pw)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%s.pw", sb.dir, uid);
	write_file(path, pw, 0600);
}

/* An officer and a user whose entries sit in ou=sub,ou=people: the
 * officer's login, passwd, unlock and reset, and apply of a transfer and
 * a retirement, all on the entries the subtree search finds. */
START_TEST(accounts_in_a_sub_ou)
{
	const char *sub = "ou=sub," PEOPLE;
	char ldif[1024], *out = NULL, *err = NULL, *p, *temp, newpw_path[700], *form, *id, *v;
	int st;

	ck_assert_int_eq(sandbox_ldapadd(&sb,
					 "dn: ou=sub," PEOPLE "\nobjectClass: organizationalUnit\n"
					 "ou: sub\n"),
			 0);
	add_account(sub, "subadm", NULL);
	add_account(sub, "subuser", NULL);
	snprintf(ldif, sizeof(ldif),
		 "dn: %s\nchangetype: modify\nadd: member\nmember: uid=subadm,%s\n",
		 sb.cfg->roles.dn[IDM_ROLE_SYSTEM_ADMIN], sub);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, ldif), 0);

	/* reset by another officer, then the officer's own first change */
	st = idmgr_as(&sb, "takahashi", &out, &err, "user", "reset-password", "subadm", NULL);
	ck_assert_msg(st == 0, "%s", err);
	p = strstr(out, "temporary password for subadm: ");
	ck_assert_ptr_nonnull(p);
	temp = strndup(p + strlen("temporary password for subadm: "),
		       strcspn(p + strlen("temporary password for subadm: "), " \n"));
	free(out);
	free(err);
	write_pw("subadm", temp);
	snprintf(newpw_path, sizeof(newpw_path), "%s/subadm.new", sb.dir);
	write_file(newpw_path, "Sub office pass 2026!", 0600);
	st = idmgr_as(&sb, "subadm", &out, &err, "passwd", "--new-password-file", newpw_path, NULL);
	ck_assert_msg(st == 0, "passwd of an account in a sub-OU: %s", err);
	free(out);
	free(err);
	write_pw("subadm", "Sub office pass 2026!");
	free(temp);

	/* the officer acts (login), and unlocks a user in the sub-OU */
	lock_account("uid=subuser,ou=sub," PEOPLE, time(NULL), 9);
	st = idmgr_as(&sb, "subadm", &out, &err, "user", "unlock", "subuser", NULL);
	ok(st, out, err, "unlock by an officer in a sub-OU");
	v = value_of("uid=subuser,ou=sub," PEOPLE, "idmLockedTime");
	ck_assert_ptr_null(v);

	/* transfer and retire of the user in the sub-OU */
	form = simple_form("transfer", "subuser", "to_unit = \"finance\"\n");
	out = request_through(&sb, form, "tanaka", "suzuki", "takahashi", "takahashi", &id);
	free(out);
	free(id);
	free(form);
	v = value_of("uid=subuser,ou=sub," PEOPLE, "departmentNumber");
	ck_assert_str_eq(v, "finance");
	free(v);
	ck_assert_int_eq(count("ou=groups," SUFFIX, "(&(cn=finance)(memberUid=subuser))"), 1);
	form = simple_form("retire", "subuser", "");
	out = request_through(&sb, form, "tanaka", "suzuki", "takahashi", "takahashi", &id);
	free(out);
	free(id);
	free(form);
	v = value_of("uid=subuser,ou=sub," PEOPLE, "idmStatus");
	ck_assert_str_eq(v, "retired");
	free(v);
	ck_assert_int_eq(count("ou=groups," SUFFIX, "(memberUid=subuser)"), 0);
}
END_TEST

/* ------------------------------------------------- the server's clock */

/* Runs idmgr as uid with this process's clock moved by offset seconds
 * (libfaketime): the host's clock says something the server's does not. */
static int idmgr_skewed(const char *uid, const char *offset, char **out, char **err, const char *a1,
			const char *a2)
{
	char lib[512] = "";
	char *old_preload = getenv("LD_PRELOAD") ? strdup(getenv("LD_PRELOAD")) : NULL;
	char *old_asan = getenv("ASAN_OPTIONS") ? strdup(getenv("ASAN_OPTIONS")) : NULL;
	char preload[1024], asan[1024];
	int st;

	glob_t g;

	/* Debian's libfaketime, in its multiarch folder */
	if (glob("/usr/lib/*/faketime/libfaketime.so.1", 0, NULL, &g) == 0) {
		snprintf(lib, sizeof(lib), "%s", g.gl_pathv[0]);
		globfree(&g);
	}
	ck_assert_msg(*lib && access(lib, R_OK) == 0,
		      "libfaketime.so.1 missing (scripts/install-deps installs libfaketime)");
	snprintf(preload, sizeof(preload), "%s%s%s", old_preload ? old_preload : "",
		 old_preload ? ":" : "", lib);
	snprintf(asan, sizeof(asan), "%s%sverify_asan_link_order=0", old_asan ? old_asan : "",
		 old_asan ? ":" : "");
	setenv("LD_PRELOAD", preload, 1);
	setenv("ASAN_OPTIONS", asan, 1);
	setenv("FAKETIME", offset, 1);
	setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1);
	st = idmgr_as(&sb, uid, out, err, a1, a2, NULL);
	if (old_preload)
		setenv("LD_PRELOAD", old_preload, 1);
	else
		unsetenv("LD_PRELOAD");
	if (old_asan)
		setenv("ASAN_OPTIONS", old_asan, 1);
	else
		unsetenv("ASAN_OPTIONS");
	unsetenv("FAKETIME");
	unsetenv("FAKETIME_DONT_FAKE_MONOTONIC");
	free(old_preload);
	free(old_asan);
	return st;
}

/* idm_lockout.h: a lock is judged on the directory server's clock.  An
 * officer's host running 20 minutes fast must not think a 15-minute lock
 * set a minute ago has run out, neither at the officer's login nor in
 * "report locked"; the hard limit holds whatever the time. */
START_TEST(locks_on_the_servers_clock)
{
	const char *dn = "uid=clockadm," PEOPLE;
	char ldif[1024], *out = NULL, *err = NULL;
	int st;

	add_account(PEOPLE, "clockadm", NULL); /* standard policy: lockout_duration 900 */
	snprintf(ldif, sizeof(ldif), "dn: %s\nchangetype: modify\nadd: member\nmember: %s\n",
		 sb.cfg->roles.dn[IDM_ROLE_SYSTEM_ADMIN], dn);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, ldif), 0);
	st = idmgr_as(&sb, "takahashi", &out, &err, "user", "reset-password", "clockadm", NULL);
	ck_assert_msg(st == 0, "%s", err);
	{
		char *p = strstr(out, "temporary password for clockadm: ") +
			  strlen("temporary password for clockadm: ");
		char *temp = strndup(p, strcspn(p, " \n")), path[700];
		write_pw("clockadm", temp);
		snprintf(path, sizeof(path), "%s/clockadm.new", sb.dir);
		write_file(path, "Clock office pass 2026!", 0600);
		free(out);
		free(err);
		st = idmgr_as(&sb, "clockadm", &out, &err, "passwd", "--new-password-file", path,
			      NULL);
		ok(st, out, err, "first change");
		write_pw("clockadm", "Clock office pass 2026!");
		free(temp);
	}
	st = idmgr_skewed("clockadm", "+1200", &out, &err, "user", "list");
	ok(st, out, err, "a fast clock alone");

	lock_account(dn, time(NULL) - 60, 5);
	st = idmgr_skewed("clockadm", "+1200", &out, &err, "user", "list");
	ck_assert_msg(st == 1, "a locked officer acted (exit %d): the host's clock decided", st);
	ck_assert_ptr_nonnull(strstr(err, "locked"));
	free(out);
	free(err);
	st = idmgr_skewed("sato", "+1200", &out, &err, "report", "locked");
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "clockadm") && strstr(out, "kind=timed"),
		      "report locked misses a lock in force: %s", out);
	free(out);
	free(err);

	/* the hard limit: listed as such, whatever the clocks */
	lock_account(dn, time(NULL) - 86400, 100);
	st = idmgr_skewed("sato", "+1200", &out, &err, "report", "locked");
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_ptr_nonnull(strstr(out, "hard limit"));
	free(out);
	free(err);
	st = idmgr_as(&sb, "takahashi", &out, &err, "user", "unlock", "clockadm", NULL);
	ok(st, out, err, "unlock");
}
END_TEST

/* -------------------------------------------------- writes safe to retry */

/* A TCP relay to slapd that, from the first request carrying the marker
 * on (only a modify request, when modify_only), still passes requests on
 * but drops every answer: a server that applies a write and then goes
 * silent.  Runs in a child process. */
#define MARKER "retry-test"
static const char *marker = MARKER;
static bool modify_only, mute;

/* An LDAPMessage whose protocol operation is a ModifyRequest ([APPLICATION
 * 6], RFC 4511 section 4.6)? */
static bool is_modify(const unsigned char *b, size_t n)
{
	size_t i = 1;

	if (n < 2 || b[0] != 0x30)
		return false;
	i += b[1] & 0x80 ? 1 + (b[1] & 0x7f) : 1; /* the SEQUENCE's length */
	if (i + 2 > n || b[i] != 0x02)
		return false;
	i += 2 + b[i + 1]; /* messageID */
	return i < n && b[i] == 0x66;
}

static void relay(int client, int upstream_port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)upstream_port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int up = socket(AF_INET, SOCK_STREAM, 0);
	char buf[65536];

	if (up < 0 || connect(up, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto out;
	for (;;) {
		struct pollfd p[2] = { { client, POLLIN, 0 }, { up, POLLIN, 0 } };
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			n = read(client, buf, sizeof(buf));
			if (n > 0 && memmem(buf, (size_t)n, marker, strlen(marker)) &&
			    (!modify_only || is_modify((unsigned char *)buf, (size_t)n)))
				mute = true;
			if (n <= 0 || write(up, buf, (size_t)n) != n)
				break;
		}
		if (p[1].revents) {
			n = read(up, buf, sizeof(buf));
			if (n <= 0 || (!mute && write(client, buf, (size_t)n) != n))
				break;
		}
	}
out:
	if (up >= 0)
		close(up);
	close(client);
}

static pid_t start_relay(int upstream_port, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	pid_t pid;

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (;;) {
			int c = accept(fd, NULL, NULL);
			if (c >= 0)
				relay(c, upstream_port);
		}
	}
	close(fd);
	return pid;
}

/* idm_dir.h: after a write whose answer was lost, the retry on the next
 * server is read back: a compare-and-swap that took effect reports its
 * own success (not a conflict), and an audit append records its event
 * once, not twice. */
START_TEST(writes_safe_to_retry)
{
	struct idm_config *cfg = NULL;
	struct idm_dir *d = NULL;
	struct idm_mods *m;
	struct idm_audit_event ev = { .action = MARKER,
				      .outcome = "done",
				      .token = "00aa11bb22cc33dd" };
	char uris[256], conf[700], *v;
	int port, r;
	pid_t pid = start_relay(sb.port, &port);

	snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%d ldap://127.0.0.1:%d", port, sb.port);
	sandbox_config_variant(&sb, "retry", uris, 3, conf, sizeof(conf));
	ck_assert_int_eq(idm_config_load(conf, NULL, &cfg), IDM_OK);
	ck_assert_int_eq(sandbox_ldapadd(&sb,
					 "dn: ou=cas," SUFFIX "\nobjectClass: organizationalUnit\n"
					 "ou: cas\ndescription: A\n"),
			 0);

	/* compare-and-swap A -> B; the first server applies it, its answer is lost */
	ck_assert_int_eq(idm_dir_open(cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_DELETE, "description", "A");
	idm_mods_add(m, LDAP_MOD_ADD, "description", MARKER);
	r = idm_dir_apply(d, "ou=cas," SUFFIX, m);
	ck_assert_msg(r == IDM_OK, "a swap that took effect reported %s", idm_strerror(r));
	v = value_of("ou=cas," SUFFIX, "description");
	ck_assert_str_eq(v, MARKER);
	free(v);
	/* a real conflict is still one */
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_DELETE, "description", "A");
	idm_mods_add(m, LDAP_MOD_ADD, "description", "C");
	ck_assert_int_eq(idm_dir_apply(d, "ou=cas," SUFFIX, m), IDM_ENOVALUE);
	idm_dir_close(d);
	d = NULL;

	/* an audit append whose record is written but not answered */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	pid = start_relay(sb.port, &port);
	snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%d ldap://127.0.0.1:%d", port, sb.port);
	sandbox_config_variant(&sb, "retry2", uris, 3, conf, sizeof(conf));
	idm_config_free(cfg);
	cfg = NULL;
	ck_assert_int_eq(idm_config_load(conf, NULL, &cfg), IDM_OK);
	ck_assert_int_eq(idm_dir_open(cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	/* the token search and the head go through; the record's add (it
	 * names the action) is applied and its answer lost */
	r = idm_audit_append(d, cfg, &ev, NULL, NULL);
	ck_assert_msg(r == IDM_OK, "append: %s", idm_strerror(r));
	ck_assert_int_eq(records(MARKER, ""), 1);
	/* and appending the same event again records nothing more */
	ck_assert_int_eq(idm_audit_append(d, cfg, &ev, NULL, NULL), IDM_OK);
	ck_assert_int_eq(records(MARKER, ""), 1);
	idm_dir_close(d);
	idm_config_free(cfg);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
END_TEST

/* idm_lockout.h: an attempt recorded by a server that then went silent
 * is not recorded twice, nor refused: the retry on the next server finds
 * this very attempt's unique value and goes on with the entry as it is. */
START_TEST(lockout_attempt_safe_to_retry)
{
	struct idm_config *cfg = NULL;
	struct idm_dir *d = NULL;
	struct idm_account *a = NULL;
	struct idm_attempt at;
	char uris[256], conf[700], *v;
	int port, r;
	pid_t pid;

	add_account(PEOPLE, "retry-lock", "");
	marker = "idmFailureTime";
	modify_only = true;
	pid = start_relay(sb.port, &port);
	marker = MARKER;
	modify_only = false;
	snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%d ldap://127.0.0.1:%d", port, sb.port);
	sandbox_config_variant(&sb, "retry3", uris, 3, conf, sizeof(conf));
	ck_assert_int_eq(idm_config_load(conf, NULL, &cfg), IDM_OK);
	ck_assert_int_eq(idm_dir_open(cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	ck_assert_int_eq(idm_account_lookup(d, cfg, "retry-lock", &a), IDM_OK);
	r = idm_lockout_record(d, idm_account_policy(cfg, a), a->dn, &at);
	ck_assert_msg(r == IDM_OK, "an attempt whose answer was lost: %s", idm_strerror(r));
	ck_assert_int_eq(at.verdict, IDM_LOCK_CHECK);
	ck_assert_int_eq(at.consecutive, 1);
	ck_assert_int_eq(at.in_window, 1);
	idm_attempt_release(&at);
	/* the retried add of the attempt's unique value counted once */
	idm_account_free(a);
	a = NULL;
	ck_assert_int_eq(idm_account_lookup(d, cfg, "retry-lock", &a), IDM_OK);
	ck_assert_uint_eq(a->n_failure_values, 1);
	(void)v;
	idm_account_free(a);
	idm_dir_close(d);
	idm_config_free(cfg);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
END_TEST

/* ------------------------------------------------ one error channel */

/* "Already so" is a result of its own: a group membership that exists is
 * no error, and a local failure right after one (a DN that cannot be
 * built) is never taken for success. */
START_TEST(already_so_is_explicit)
{
	struct idm_dir *d = admin();

	ck_assert_int_eq(idm_effect_group(d, sb.cfg, "benefits", "owed-reset", true), IDM_OK);
	ck_assert_int_eq(idm_effect_group(d, sb.cfg, "benefits", "owed-reset", true), IDM_OK);
	ck_assert_int_eq(idm_effect_group(d, sb.cfg, "", "owed-reset", true), IDM_EINVAL);
	ck_assert_int_eq(idm_effect_group(d, sb.cfg, "benefits", "owed-reset", false), IDM_OK);
	ck_assert_int_eq(idm_effect_group(d, sb.cfg, "benefits", "owed-reset", false), IDM_OK);
	ck_assert_int_eq(idm_effect_group(d, sb.cfg, "", "owed-reset", false), IDM_EINVAL);
	idm_dir_close(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("actions");
	TCase *tc = tcase_create("actions");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, already_so_is_explicit);
	tcase_add_test(tc, approve_record_completed_by_rerun);
	tcase_add_test(tc, lost_move_to_approved_is_made);
	tcase_add_test(tc, submit_reject_apply_records_completed_by_rerun);
	tcase_add_test(tc, user_actions_records_completed_by_rerun);
	tcase_add_test(tc, suspend_record_completed_by_rerun);
	tcase_add_test(tc, exception_revoke_and_acknowledge);
	tcase_add_test(tc, accounts_in_a_sub_ou);
	tcase_add_test(tc, locks_on_the_servers_clock);
	tcase_add_test(tc, writes_safe_to_retry);
	tcase_add_test(tc, lockout_attempt_safe_to_retry);
	suite_add_tcase(s, tc);
	return fx_run(s, NULL);
}
