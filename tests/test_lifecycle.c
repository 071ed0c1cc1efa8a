/* Movers and leavers, privileged IDs, exceptions and direct operator
 * actions, through the real idmgr against a real slapd, with PAM logins
 * after each change (R-REG-2, R-REG-3, R-REG-5, R-REG-6, R-PRIV-1..5,
 * R-PW-2, R-EXC-1..3, R-VIO-1). */
#include "config.h"

#include <check.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "harness.h"
#include "idm_account.h"
#include "idm_dir.h"
#include "idm_error.h"
#include "idm_time.h"
#include "officers.h"

static struct sandbox sb;
static char **self_argv;
static char kimura_temp[64];

static void prepare(struct sandbox *s)
{
	/* kimura: a system_admin who is also a contractor (R-PRIV-3) */
	char *out = NULL, path[700];

	ck_assert_int_eq(sandbox_run_init(s, NULL, false, &out, NULL, "--officer",
					  "kimura:system_admin,contractor", "--format", "json", NULL),
			 0);
	snprintf(path, sizeof(path), "%s/kimura.json", s->dir);
	write_file(path, out, 0600);
	free(out);
}

static const char register_tmpl[] = "type = \"register\"\nform_ref = \"HR-1\"\n"
				    "applicant = \"watanabe\"\nreason = \"Staff\"\nuid = \"%s\"\n"
				    "given_name = \"Taro\"\nsurname = \"Sato\"\nunit = \"%s\"\n"
				    "employee_type = \"%s\"\n";

static char *temp_of(const char *apply_out)
{
	const char *p = strstr(apply_out, "temporary password for ");

	ck_assert_ptr_nonnull(p);
	p = strchr(p, ':') + 2;
	return strndup(p, strcspn(p, " "));
}

/* Registers uid through a request; returns its temporary password. */
static char *registered(const char *uid, const char *unit, const char *type)
{
	char form[1024], *id = NULL, *out, *pw;

	snprintf(form, sizeof(form), register_tmpl, uid, unit, type);
	out = request_through(&sb, form, "tanaka", "suzuki", "takahashi", "takahashi", &id);
	pw = temp_of(out);
	free(out);
	free(id);
	return pw;
}

static char *passwords[8];

static void setup(void)
{
	char path[700], *text, *p;

	sandbox_start_for_pam(&sb, self_argv, prepare);
	snprintf(path, sizeof(path), "%s/kimura.json", sb.dir);
	text = slurp(path);
	p = strstr(text, "\"temporary_password\": \"") + strlen("\"temporary_password\": \"");
	snprintf(kimura_temp, sizeof(kimura_temp), "%.*s", (int)strcspn(p, "\""), p);
	free(text);
	officers_ready(&sb, "kimura", kimura_temp);
	passwords[0] = registered("mover", "benefits", "regular");
	passwords[1] = registered("keeper", "benefits", "regular");
	passwords[2] = registered("away", "benefits", "regular");
	passwords[3] = registered("leaver", "finance", "regular");
	passwords[4] = registered("boss", "finance", "regular");
	passwords[5] = registered("parttime", "finance", "regular");
	passwords[6] = registered("away2", "benefits", "regular");
	passwords[7] = registered("fixed", "finance", "regular");
	/* a group granted individually, outside any unit */
	ck_assert_int_eq(sandbox_ldapadd(&sb,
					 "dn: cn=projects,ou=groups,dc=example,dc=org\n"
					 "objectClass: posixGroup\ncn: projects\ngidNumber: 29999\n"
					 "memberUid: mover\nmemberUid: keeper\n"),
			 0);
}

static void teardown(void)
{
	for (int i = 0; i < 8; i++)
		free(passwords[i]);
	sandbox_stop(&sb);
}

/* The groups uid is a member of, as "a,b,c," sorted by the server. */
static char *groups_of(const char *uid)
{
	static const char *const attrs[] = { "cn", NULL };
	struct idm_dir *d = NULL;
	LDAPMessage *res = NULL, *e;
	char filter[128], *out = calloc(1, 1024);

	snprintf(filter, sizeof(filter), "(memberUid=%s)", uid);
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	ck_assert_int_eq(idm_dir_search(d, "ou=groups,dc=example,dc=org", LDAP_SCOPE_ONELEVEL,
					filter, attrs, 0, &res),
			 IDM_OK);
	for (e = ldap_first_entry(idm_dir_ldap(d), res); e; e = ldap_next_entry(idm_dir_ldap(d), e)) {
		char *cn = idm_entry_value(idm_dir_ldap(d), e, "cn");
		strcat(out, cn);
		strcat(out, ",");
		free(cn);
	}
	ldap_msgfree(res);
	idm_dir_close(d);
	return out;
}

static bool in_groups(const char *uid, const char *cn)
{
	char *g = groups_of(uid), *tok, *save = NULL;
	bool yes = false;

	for (tok = strtok_r(g, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (strcmp(tok, cn) == 0)
			yes = true;
	free(g);
	return yes;
}

static struct idm_account *account(const char *uid)
{
	struct idm_dir *d = NULL;
	struct idm_account *a = NULL;
	int r;

	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	r = idm_account_lookup(d, sb.cfg, uid, &a);
	idm_dir_close(d);
	return r == IDM_OK ? a : NULL;
}

/* As if apply had been killed before its last write: the state goes back
 * to approved, and a rerun must reach the same end state. */
static void rerun_apply(const char *id)
{
	char ldif[512], *out = NULL, *err = NULL;

	snprintf(ldif, sizeof(ldif),
		 "dn: idmRequestId=%s,ou=requests,ou=idmgr,dc=example,dc=org\nchangetype: modify\n"
		 "replace: idmRequestState\nidmRequestState: approved\n",
		 id);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, ldif), 0);
	ck_assert_msg(idmgr_as(&sb, "takahashi", &out, &err, "request", "apply", id, NULL) == 0,
		      "rerun: %s", err);
	free(out);
	free(err);
}

static char *simple_form(const char *type, const char *uid, const char *extra)
{
	char *f = malloc(2048);

	snprintf(f, 2048,
		 "type = \"%s\"\nform_ref = \"HR-9\"\napplicant = \"watanabe\"\nreason = \"Change\"\n"
		 "uid = \"%s\"\n%s",
		 type, uid, extra);
	return f;
}

/* R-REG-5: a transfer removes exactly the old unit's groups (and groups
 * granted individually unless the form lists them again), adds the new
 * unit's; regular staff keep internet and mail. */
START_TEST(transfer_regroups)
{
	char *form = simple_form("transfer", "mover", "to_unit = \"finance\"\n"), *id = NULL, *out;
	struct idm_account *a;

	ck_assert(in_groups("mover", "benefits") && in_groups("mover", "projects"));
	out = request_through(&sb, form, "tanaka", "suzuki", "takahashi", "takahashi", &id);
	free(out);
	ck_assert(!in_groups("mover", "benefits"));
	ck_assert(!in_groups("mover", "benefits-files"));
	ck_assert(!in_groups("mover", "projects"));
	ck_assert(in_groups("mover", "finance") && in_groups("mover", "finance-ledger"));
	ck_assert(in_groups("mover", "internet") && in_groups("mover", "mail"));
	a = account("mover");
	ck_assert_str_eq(a->status, "active");
	idm_account_free(a);
	rerun_apply(id);
	ck_assert(!in_groups("mover", "benefits") && in_groups("mover", "finance"));
	free(id);
	free(form);
	form = simple_form("transfer", "keeper",
			   "to_unit = \"finance\"\ngroups = { \"projects\" }\n");
	out = request_through(&sb, form, "tanaka", "suzuki", "takahashi", "takahashi", &id);
	ck_assert(in_groups("keeper", "projects") && !in_groups("keeper", "benefits"));
	free(out);
	free(id);
	free(form);
	ck_assert_int_eq(pam_login("mover", passwords[0]), PAM_NEW_AUTHTOK_REQD); /* still usable */
}
END_TEST

/* A direct bind with the real ldapwhoami, around PAM: its exit status (0
 * bound, 49 invalid credentials, which slapd answers to a locked account). */
static int ldapwhoami_as(const char *uid, const char *pw)
{
	char dn[128];
	char *argv[] = { (char *)"/usr/bin/ldapwhoami",
			 (char *)"-x",
			 (char *)"-H",
			 sb.uri,
			 (char *)"-D",
			 dn,
			 (char *)"-w",
			 (char *)pw,
			 (char *)"-e",
			 (char *)"ppolicy",
			 NULL };
	char *out = NULL, *err = NULL;
	int r;

	snprintf(dn, sizeof(dn), "uid=%s,ou=people,dc=example,dc=org", uid);
	r = run_cmd(argv, NULL, &out, &err);
	free(out);
	free(err);
	return r;
}

/* Secondment: logins refused until return is applied; groups kept. */
START_TEST(secondment_and_return)
{
	char *form = simple_form("secondment", "away", "until = \"2099-03-31\"\n"), *id = NULL, *out;

	ck_assert_int_eq(pam_login("away", passwords[2]), PAM_NEW_AUTHTOK_REQD);
	out = request_through(&sb, form, "tanaka", "suzuki", "takahashi", "takahashi", &id);
	free(out);
	free(id);
	free(form);
	ck_assert_int_eq(pam_login("away", passwords[2]), PAM_AUTH_ERR);
	/* R-VIO-1: slapd itself refuses a direct bind, right password or not */
	ck_assert_int_eq(ldapwhoami_as("away", passwords[2]), 49);
	ck_assert(in_groups("away", "benefits"));
	form = simple_form("return", "away", "");
	out = request_through(&sb, form, "tanaka", "suzuki", "takahashi", "takahashi", &id);
	free(out);
	free(id);
	free(form);
	ck_assert_int_eq(ldapwhoami_as("away", passwords[2]), 0);
	ck_assert_int_eq(pam_login("away", passwords[2]), PAM_NEW_AUTHTOK_REQD);
}
END_TEST

/* A validity end (valid_until): the applied form sets the server's own end
 * of validity with it (ppolicy pwdEndTime), so once it has passed slapd
 * refuses the bind too, right password or not. */
START_TEST(expired_validity_refused_by_server)
{
	char *form = simple_form("modify", "fixed", "valid_until = \"2099-01-01\"\n"), *id = NULL;
	char *out, *end;
	struct idm_account *a;

	out = request_through(&sb, form, "tanaka", "suzuki", "takahashi", "takahashi", &id);
	free(out);
	free(id);
	free(form);
	a = account("fixed");
	ck_assert_int_ne(a->valid_until, 0);
	end = sandbox_admin_read(&sb, "uid=fixed,ou=people,dc=example,dc=org", "pwdEndTime");
	{
		char want[IDM_GENTIME_LEN + 1];
		idm_time_format(a->valid_until, want);
		strcat(want, "\n");
		ck_assert_str_eq(end, want);
	}
	free(end);
	idm_account_free(a);
	ck_assert_int_eq(ldapwhoami_as("fixed", passwords[7]), 0);
	/* the day passes (as the directory administrator stands in for time) */
	ck_assert_int_eq(sandbox_ldapmodify(&sb,
					    "dn: uid=fixed,ou=people,dc=example,dc=org\n"
					    "changetype: modify\nreplace: pwdEndTime\n"
					    "pwdEndTime: 20200101000000Z\n-\nreplace: idmValidUntil\n"
					    "idmValidUntil: 20200101000000Z\n"),
			 0);
	ck_assert_int_eq(ldapwhoami_as("fixed", passwords[7]), 49);
	ck_assert_int_eq(pam_login("fixed", passwords[7]), PAM_AUTH_ERR);
}
END_TEST

/* R-REG-5, R-REG-3: retire makes the ID unusable at once and removes all
 * access; only a retired entry is deleted. */
START_TEST(retire_then_delete)
{
	char *form = simple_form("retire", "leaver", ""), *id = NULL, *out, *err;
	struct idm_account *a;
	char *g;

	out = request_through(&sb, form, "tanaka", "suzuki", "takahashi", "takahashi", &id);
	free(out);
	rerun_apply(id);
	free(id);
	free(form);
	a = account("leaver");
	ck_assert_str_eq(a->status, "retired");
	idm_account_free(a);
	g = groups_of("leaver");
	ck_assert_str_eq(g, "");
	free(g);
	ck_assert_int_eq(pam_login("leaver", passwords[3]), PAM_AUTH_ERR);
	/* delete of an ID that is not retired: refused at apply */
	form = simple_form("delete", "parttime", "");
	{
		char *path = form_file(&sb, "del-active", form), *rid;
		ck_assert_int_eq(idmgr_as(&sb, "tanaka", &out, &err, "request", "submit", path, NULL),
				 0);
		out[strcspn(out, "\n")] = '\0';
		rid = out;
		free(err);
		ck_assert_int_eq(idmgr_as(&sb, "suzuki", &out, &err, "request", "approve", rid, NULL),
				 0);
		free(out);
		free(err);
		ck_assert_int_eq(idmgr_as(&sb, "takahashi", &out, &err, "request", "approve", rid,
					  NULL),
				 0);
		free(out);
		free(err);
		ck_assert_int_eq(idmgr_as(&sb, "takahashi", &out, &err, "request", "apply", rid,
					  NULL),
				 1);
		ck_assert_ptr_nonnull(strstr(err, "is not retired"));
		free(out);
		free(err);
		free(rid);
		free(path);
	}
	free(form);
	form = simple_form("delete", "leaver", "");
	out = request_through(&sb, form, "tanaka", "suzuki", "takahashi", "takahashi", &id);
	free(out);
	free(id);
	free(form);
	ck_assert_ptr_null(account("leaver"));
}
END_TEST

/* R-PRIV-2: grant needs the CISO; officers are notified; the privilege is
 * reported with who granted it; revoke takes it back. */
START_TEST(grant_and_revoke_privilege)
{
	char *form = simple_form("grant-privilege", "boss", "role = \"security_manager\"\n");
	char *path = form_file(&sb, "grant", form), *out = NULL, *err = NULL, *id;
	struct idm_account *a;

	ck_assert_int_eq(idmgr_as(&sb, "tanaka", &out, &err, "request", "submit", path, NULL), 0);
	out[strcspn(out, "\n")] = '\0';
	id = out;
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "suzuki", &out, &err, "request", "approve", id, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, "approved by ciso and system_admin"));
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "request", "approve", id, NULL), 0);
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "takahashi", &out, &err, "request", "approve", id, NULL), 0);
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "takahashi", &out, &err, "request", "apply", id, NULL), 0);
	free(out);
	free(err);
	rerun_apply(id);
	a = account("boss");
	ck_assert(a->privileged);
	idm_account_free(a);
	/* R-PRIV-4 on the server: slapd applies the privileged policy entry */
	{
		char *v = sandbox_admin_read(&sb, "uid=boss,ou=people,dc=example,dc=org",
					     "pwdPolicySubentry");
		ck_assert_str_eq(v, "cn=privileged,ou=policies,dc=example,dc=org\n");
		free(v);
	}
	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "report", "privileged", "--format",
				  "csv", NULL),
			 0);
	ck_assert_ptr_nonnull(strstr(out, "\"boss\""));
	ck_assert_ptr_nonnull(strstr(out, "uid=sato,ou=people,dc=example,dc=org"));
	free(out);
	free(err);
	free(form);
	free(path);
	free(id);
	form = simple_form("revoke-privilege", "boss", "role = \"security_manager\"\n");
	out = request_through(&sb, form, "tanaka", "suzuki", "takahashi", "takahashi", &id);
	free(out);
	free(id);
	free(form);
	a = account("boss");
	ck_assert(!a->privileged);
	idm_account_free(a);
	{
		char *v = sandbox_admin_read(&sb, "uid=boss,ou=people,dc=example,dc=org",
					     "pwdPolicySubentry");
		ck_assert_str_eq(v, ""); /* back under the default, cn=standard */
		free(v);
	}
}
END_TEST

/* R-REG-6: non-regular staff lose internet and mail unless named. */
START_TEST(modify_employee_type)
{
	char *form = simple_form("modify", "parttime", "employee_type = \"nonregular\"\n"), *id,
	     *out;

	ck_assert(in_groups("parttime", "internet"));
	out = request_through(&sb, form, "tanaka", "suzuki", "takahashi", "takahashi", &id);
	ck_assert(!in_groups("parttime", "internet") && !in_groups("parttime", "mail"));
	ck_assert(in_groups("parttime", "finance"));
	free(out);
	free(id);
	free(form);
}
END_TEST

/* R-PRIV-3: a contractor never resets a privileged ID's password; R-PW-4:
 * a reset issues a temporary password. */
START_TEST(contractor_refused_on_privileged_reset)
{
	char *out = NULL, *err = NULL;

	ck_assert_int_eq(idmgr_as(&sb, "kimura", &out, &err, "user", "reset-password", "sato", NULL),
			 1);
	ck_assert_ptr_nonnull(strstr(err, "R-PRIV-3"));
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "kimura", &out, &err, "user", "reset-password", "keeper",
				  NULL),
			 0);
	ck_assert_ptr_nonnull(strstr(out, "temporary password for keeper: "));
	free(out);
	free(err);
	/* R-PW-2: an operator forces a change at the next login */
	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &out, &err, "user", "expire-password", "mover",
				  NULL),
			 0);
	free(out);
	free(err);
}
END_TEST

/* R-VIO-1, R-EXC-2: a system_admin suspends in an emergency; the
 * emergency exception awaits the CISO, who acknowledges it. */
START_TEST(emergency_suspension)
{
	char *out = NULL, *err = NULL, xid[40];

	ck_assert_msg(idmgr_as(&sb, "takahashi", &out, &err, "user", "suspend", "away2", "--reason",
			       "Leak suspected", NULL) == 1,
		      "%s", err);
	ck_assert_ptr_nonnull(strstr(err, "security_chief"));
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "takahashi", &out, &err, "user", "suspend", "away2",
				  "--reason", "Leak suspected", "--manager", "watanabe",
				  "--emergency", NULL),
			 0);
	/* what happened: the exception recorded, named */
	ck_assert_msg(strncmp(out, "away2: suspended; emergency exception X", 39) == 0 &&
			      strstr(out, " recorded, for the CISO to acknowledge\n"),
		      "%s", out);
	snprintf(xid, sizeof(xid), "%.*s", (int)strcspn(out + 38, " "), out + 38);
	free(out);
	free(err);
	ck_assert_int_eq(pam_login("away2", passwords[6]), PAM_AUTH_ERR);
	ck_assert_int_eq(ldapwhoami_as("away2", passwords[6]), 49);
	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "exception", "list", "--format", "csv",
				  NULL),
			 0);
	ck_assert_ptr_nonnull(strstr(out, "\"suspend-without-security-chief\""));
	ck_assert_ptr_nonnull(strstr(out, "\"unacknowledged\""));
	ck_assert_msg(strstr(out, xid), "%s not in:\n%s", xid, out);
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "report", "suspended", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "away2"));
	ck_assert_ptr_nonnull(strstr(out, "Leak suspected"));
	free(out);
	free(err);
}
END_TEST

/* idmgr run as uid with password pw (a file of the test's own), its
 * status; out and err freed. */
static int idmgr_with_password(const char *uid, const char *pw, const char *a1, const char *a2,
			       const char *a3)
{
	char path[700], *out = NULL, *err = NULL;
	char *argv[] = { getenv("IDMGR_BIN"),
			 "-c",
			 sb.conf,
			 "-u",
			 (char *)uid,
			 "--password-file",
			 path,
			 (char *)a1,
			 (char *)a2,
			 (char *)a3,
			 NULL };
	int r;

	snprintf(path, sizeof(path), "%s/%s.guess.pw", sb.dir, uid);
	write_file(path, pw, 0600);
	r = run_cmd(argv, NULL, &out, &err);
	free(out);
	free(err);
	return r;
}

/* R-PW-1, R-PRIV-4, contract §6 (issue 10): a wrong operator password
 * given to idmgr costs the account what a wrong login costs.  idmgr binds
 * as the operator itself for what it reads (user show) and idmgrd binds
 * as the operator for every change (user unlock); both binds are counted
 * by slapd's ppolicy, which init sets to each policy's own threshold,
 * window and duration (standard: 5 in 900 s, 900 s), the same as the
 * module's: 4 wrong ones leave the right password working, 5 lock the
 * account for logins and direct binds until it runs out or an officer
 * unlocks it. */
START_TEST(wrong_operator_passwords_lock_as_logins_do)
{
	char *pw = registered("guesser", "finance", "regular");

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(idmgr_with_password("guesser", "not my password", "user",
						     i % 2 ? "unlock" : "show", "guesser"),
				 1);
	ck_assert_int_eq(pam_login("guesser", pw), PAM_NEW_AUTHTOK_REQD); /* not locked */
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(idmgr_with_password("guesser", "not my password", "user",
						     i % 2 ? "unlock" : "show", "guesser"),
				 1);
	ck_assert_int_eq(pam_login("guesser", pw), PAM_AUTH_ERR); /* the right one refused */
	ck_assert_int_eq(ldapwhoami_as("guesser", pw), 49);
	ck_assert_int_eq(idmgr_with_password("guesser", pw, "user", "show", "guesser"), 1);
	ck_assert_int_eq(idmgr_as(&sb, "takahashi", NULL, NULL, "user", "unlock", "guesser", NULL),
			 0);
	ck_assert_int_eq(pam_login("guesser", pw), PAM_NEW_AUTHTOK_REQD);
	free(pw);
}
END_TEST

/* R-VIO-1, R-EXC-2: a security_chief may suspend without an exception,
 * so --emergency records none; idmgr says what was done, no emergency
 * report that did not happen. */
START_TEST(chief_emergency_suspension_records_no_exception)
{
	char *out = NULL, *err = NULL, *pw = registered("away3", "benefits", "regular");

	ck_assert_msg(idmgr_as(&sb, "suzuki", &out, &err, "user", "suspend", "away3", "--reason",
			       "Leak suspected", "--emergency", NULL) == 0,
		      "%s", err);
	ck_assert_str_eq(out, "away3: suspended\n");
	free(out);
	free(err);
	ck_assert_int_eq(pam_login("away3", pw), PAM_AUTH_ERR);
	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "exception", "list", "--subject",
				  "away3", "--format", "csv", NULL),
			 0);
	ck_assert_msg(!strstr(out, "away3"), "an exception recorded:\n%s", out);
	free(out);
	free(err);
	free(pw);
}
END_TEST

/* R-EXC-1..3: exceptions need the CISO and stop applying by themselves. */
START_TEST(exceptions_expire)
{
	char *out = NULL, *err = NULL;

	ck_assert_int_eq(idmgr_as(&sb, "takahashi", &out, &err, "exception", "add", "--subject",
				  "keeper", "--rule", "inactive", "--reason", "On leave", "--until",
				  "2099-01-01", NULL),
			 1);
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "exception", "add", "--subject",
				  "keeper", "--rule", "inactive", "--reason", "On leave", "--until",
				  "2099-01-01", NULL),
			 0);
	free(out);
	free(err);
	/* one granted long ago, expired since */
	ck_assert_int_eq(sandbox_ldapadd(&sb,
					 "dn: idmRequestId=X20200101-00000001,ou=exceptions,"
					 "ou=idmgr,dc=example,dc=org\nobjectClass: idmException\n"
					 "idmRequestId: X20200101-00000001\nidmSubject: keeper\n"
					 "idmRule: never-used\nidmReason: Old\n"
					 "idmUntil: 20200201000000Z\nidmTime: 20200101000000Z\n"
					 "idmActor: uid=sato,ou=people,dc=example,dc=org\n"),
			 0);
	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "report", "exceptions", "--format",
				  "csv", NULL),
			 0);
	ck_assert_ptr_nonnull(strstr(out, "\"inactive\",\"20990101000000Z\",\"active\""));
	ck_assert_ptr_nonnull(strstr(out, "\"never-used\",\"20200201000000Z\",\"expired\""));
	free(out);
	free(err);
}
END_TEST

/* "user show" prints no escape sequence from the directory: an
 * idmLastLoginHost written around idmgr ("raw" ESC "]0;pwned" BEL, a
 * terminal title) is shown escaped. */
START_TEST(user_show_escapes_stored_host)
{
	char *out = NULL, *err = NULL;

	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: uid=keeper,ou=people,dc=example,dc=org\n"
						 "changetype: modify\nreplace: idmLastLoginHost\n"
						 "idmLastLoginHost:: cmF3G10wO3B3bmVkBw==\n"),
			 0);
	ck_assert_msg(idmgr_as(&sb, "sato", &out, &err, "user", "show", "keeper", NULL) == 0, "%s",
		      err);
	ck_assert_msg(strstr(out, " from raw\\x1b]0;pwned\\x07\n") != NULL, "%s", out);
	ck_assert_ptr_null(strchr(out, '\x1b'));
	ck_assert_ptr_null(strchr(out, '\a'));
	free(out);
	free(err);
}
END_TEST

static Suite *lifecycle_suite(void)
{
	Suite *s = suite_create("lifecycle");
	TCase *tc = tcase_create("requests");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, transfer_regroups);
	tcase_add_test(tc, secondment_and_return);
	tcase_add_test(tc, expired_validity_refused_by_server);
	tcase_add_test(tc, retire_then_delete);
	tcase_add_test(tc, grant_and_revoke_privilege);
	tcase_add_test(tc, modify_employee_type);
	tcase_add_test(tc, contractor_refused_on_privileged_reset);
	tcase_add_test(tc, emergency_suspension);
	tcase_add_test(tc, chief_emergency_suspension_records_no_exception);
	tcase_add_test(tc, wrong_operator_passwords_lock_as_logins_do);
	tcase_add_test(tc, exceptions_expire);
	tcase_add_test(tc, user_show_escapes_stored_host);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	self_argv = argv;
	return fx_run(lifecycle_suite(), NULL);
}
