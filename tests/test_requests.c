/* Written requests, dual approval, separation of duties, registration and
 * the audit trail, end to end through the real idmgr command, real slapd
 * and real libpam (R-REG-1, R-SOD-1, R-SOD-2, R-PW-4, R-PRIV-3, R-PRIV-5,
 * R-AUD-1, R-AUD-2). */
#include "config.h"

#include <check.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "idm_account.h"
#include "idm_dir.h"
#include "idm_error.h"
#include "idm_password.h"

static struct sandbox sb;
static char **self_argv;

/* Each officer's password after the first change, in a 0600 file. */
static const char *officers[] = { "sato", "suzuki", "takahashi", "tanaka", "watanabe", "ito", "kato" };

static void pwfile(const char *uid, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s.pw", sb.dir, uid);
}

static void prepare(struct sandbox *s)
{
	/* kato holds both approving roles, to test R-SOD-2. */
	char *out = NULL, path[700];
	int st = sandbox_run_init(s, NULL, false, &out, NULL, "--officer",
				  "kato:security_chief,system_admin", "--format", "json", NULL);

	ck_assert_int_eq(st, 0);
	snprintf(path, sizeof(path), "%s/kato.json", s->dir);
	write_file(path, out, 0600);
	free(out);
}

static char *kato_temp(void)
{
	char path[700], *text, *p, *q;

	snprintf(path, sizeof(path), "%s/kato.json", sb.dir);
	text = slurp(path);
	p = strstr(text, "\"temporary_password\": \"");
	ck_assert_ptr_nonnull(p);
	p += strlen("\"temporary_password\": \"");
	q = strchr(p, '"');
	*q = '\0';
	p = strdup(p);
	free(text);
	return p;
}

static void setup(void)
{
	sandbox_start_for_pam(&sb, self_argv, prepare);
	/* R-PW-4: every officer first replaces the temporary password. */
	for (size_t i = 0; i < sizeof(officers) / sizeof(officers[0]); i++) {
		char *temp = strcmp(officers[i], "kato") == 0
				     ? kato_temp()
				     : sandbox_officer_password(&sb, officers[i]);
		char newpw[64], path[700];
		struct idm_violations v;
		snprintf(newpw, sizeof(newpw), "Officer pass %zu for %s!", i, "duty");
		ck_assert_int_eq(idm_password_change(sb.cfg, NULL, officers[i], temp, newpw,
						     strlen(newpw), &v),
				 IDM_OK);
		pwfile(officers[i], path, sizeof(path));
		write_file(path, newpw, 0600);
		free(temp);
	}
}

static void teardown(void)
{
	sandbox_stop(&sb);
}

/* Runs idmgr as operator uid (NULL: no -u) with args; returns the exit
 * status, captures stdout and stderr. */
static int idmgr(const char *uid, char **out, char **err, const char *a1, const char *a2,
		 const char *a3, const char *a4, const char *a5)
{
	char path[700];
	char *argv[16];
	int n = 0;

	argv[n++] = getenv("IDMGR_BIN");
	argv[n++] = "-c";
	argv[n++] = sb.conf;
	if (uid) {
		pwfile(uid, path, sizeof(path));
		argv[n++] = "-u";
		argv[n++] = (char *)uid;
		argv[n++] = "--password-file";
		argv[n++] = path;
	}
	argv[n++] = (char *)a1;
	argv[n++] = (char *)a2;
	argv[n++] = (char *)a3;
	argv[n++] = (char *)a4;
	argv[n++] = (char *)a5;
	argv[n] = NULL;
	return run_cmd(argv, NULL, out, err);
}

static char *write_form(const char *name, const char *text)
{
	char *path = malloc(700);

	snprintf(path, 700, "%s/%s", sb.dir, name);
	write_file(path, text, 0644);
	return path;
}

static const char register_form[] = "type = \"register\"\n"
				    "form_ref = \"HR-2026-0142\"\n"
				    "applicant = \"%s\"\n"
				    "reason = \"New hire in the benefits section\"\n"
				    "uid = \"%s\"\n"
				    "given_name = \"Hanako\"\n"
				    "surname = \"Yamada\"\n"
				    "mail = \"%s@example.org\"\n"
				    "unit = \"benefits\"\n"
				    "employee_type = \"regular\"\n";

/* Submits a register form for uid as tanaka; returns the request ID. */
static char *submit_register(const char *uid, const char *applicant)
{
	char text[2048], name[64], *path, *out = NULL, *err = NULL;

	snprintf(text, sizeof(text), register_form, applicant ? applicant : "watanabe", uid, uid);
	snprintf(name, sizeof(name), "%s.form", uid);
	path = write_form(name, text);
	ck_assert_int_eq(idmgr("tanaka", &out, &err, "request", "submit", path, NULL, NULL), 0);
	out[strcspn(out, "\n")] = '\0';
	ck_assert_msg(out[0] == 'R' && strlen(out) == 18, "request ID: \"%s\"", out);
	free(err);
	free(path);
	return out;
}

/* The whole story: submit -> approve by security_chief -> approve by
 * system_admin -> apply -> the user logs in with the temporary password
 * through PAM and is made to change it. */
START_TEST(register_story)
{
	char *id = submit_register("hanako", NULL), *out = NULL, *err = NULL, *temp, *p;
	struct idm_dir *d = NULL;
	struct idm_account *a = NULL;

	ck_assert_int_eq(idmgr("suzuki", &out, &err, "request", "approve", id, NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "approved as security_chief; the request is now pending"));
	free(out);
	free(err);
	ck_assert_int_eq(idmgr("takahashi", &out, &err, "request", "approve", id, NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "approved as system_admin; the request is now approved"));
	free(out);
	free(err);
	ck_assert_int_eq(idmgr("takahashi", &out, &err, "request", "apply", id, NULL, NULL), 0);
	p = strstr(out, "temporary password for hanako: ");
	ck_assert_ptr_nonnull(p);
	temp = strndup(p + strlen("temporary password for hanako: "), 16);
	free(out);
	free(err);

	/* the directory after */
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	ck_assert_int_eq(idm_account_lookup(d, sb.cfg, "hanako", &a), IDM_OK);
	ck_assert(a->must_change);
	ck_assert_str_eq(a->status, "active");
	idm_account_free(a);
	{
		static const char *const attrs[] = { "cn", NULL };
		LDAPMessage *res = NULL;
		ck_assert_int_eq(idm_dir_search(d, "ou=groups,dc=example,dc=org", LDAP_SCOPE_ONELEVEL,
						"(memberUid=hanako)", attrs, 0, &res),
				 IDM_OK);
		/* benefits, benefits-files, and internet + mail for regular staff (R-REG-6) */
		ck_assert_int_eq(ldap_count_entries(idm_dir_ldap(d), res), 4);
		ldap_msgfree(res);
	}
	idm_dir_close(d);

	/* PAM: the temporary password works once and must be changed */
	{
		struct pam_script c = { .answers = { temp, temp, "Spring blossom 2026!",
						     "Spring blossom 2026!" } };
		struct pam_conv pc = { pam_script_conv, &c };
		pam_handle_t *pamh = NULL;
		ck_assert_int_eq(pam_start("idmgr", "hanako", &pc, &pamh), PAM_SUCCESS);
		ck_assert_int_eq(pam_authenticate(pamh, 0), PAM_SUCCESS);
		ck_assert_int_eq(pam_acct_mgmt(pamh, 0), PAM_NEW_AUTHTOK_REQD);
		ck_assert_int_eq(pam_chauthtok(pamh, PAM_CHANGE_EXPIRED_AUTHTOK), PAM_SUCCESS);
		pam_end(pamh, PAM_SUCCESS);
	}
	{
		struct pam_script c = { .answers = { "Spring blossom 2026!" } };
		struct pam_conv pc = { pam_script_conv, &c };
		pam_handle_t *pamh = NULL;
		ck_assert_int_eq(pam_start("idmgr", "hanako", &pc, &pamh), PAM_SUCCESS);
		ck_assert_int_eq(pam_authenticate(pamh, 0), PAM_SUCCESS);
		ck_assert_int_eq(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
		pam_end(pamh, PAM_SUCCESS);
	}
	/* applying again changes nothing */
	ck_assert_int_eq(idmgr("takahashi", &out, &err, "request", "apply", id, NULL, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, "the request is applied already"));
	free(out);
	free(err);
	free(temp);
	free(id);
}
END_TEST

START_TEST(refusals)
{
	char *id = submit_register("jiro", NULL), *out = NULL, *err = NULL, *other;

	/* R-SOD-1: the submitter (tanaka) never approves */
	ck_assert_int_eq(idmgr("tanaka", &out, &err, "request", "approve", id, NULL, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, "R-SOD-1: whoever submitted a request may not approve it"));
	free(out);
	free(err);
	/* apply before full approval */
	ck_assert_int_eq(idmgr("takahashi", &out, &err, "request", "apply", id, NULL, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, "lacks an approval"));
	free(out);
	free(err);
	/* R-SOD-2: kato holds both roles, but gives one approval only */
	ck_assert_int_eq(idmgr("kato", &out, &err, "request", "approve", id, NULL, NULL), 0);
	free(out);
	free(err);
	ck_assert_int_eq(idmgr("kato", &out, &err, "request", "approve", id, NULL, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, "R-SOD-2"));
	free(out);
	free(err);
	/* R-SOD-1: the applicant (watanabe signed the form) never approves */
	ck_assert_int_eq(idmgr("watanabe", &out, &err, "request", "approve", id, NULL, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, "R-SOD-1: the applicant may not approve"));
	free(out);
	free(err);
	/* ... also when the applicant holds an approving role (suzuki) */
	other = submit_register("saburo", "suzuki");
	ck_assert_int_eq(idmgr("suzuki", &out, &err, "request", "approve", other, NULL, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, "R-SOD-1: the applicant may not approve"));
	free(out);
	free(err);
	free(other);
	free(id);
	/* an operator with a wrong password */
	{
		char path[700];
		pwfile("ito", path, sizeof(path));
		write_file(path, "not ito's password", 0600);
		ck_assert_int_eq(idmgr("ito", &out, &err, "request", "list", NULL, NULL, NULL), 1);
		ck_assert_ptr_nonnull(strstr(err, "wrong password"));
		free(out);
		free(err);
		write_file(path, "Officer pass 5 for duty!", 0600);
	}
}
END_TEST

/* R-PRIV-3: a contractor never approves anything touching a privileged ID
 * (sato, the CISO, is privileged). */
START_TEST(contractor_refused_on_privileged)
{
	char *path, *out = NULL, *err = NULL, *id;

	path = write_form("revoke.form", "type = \"revoke-privilege\"\nform_ref = \"SEC-7\"\n"
					 "applicant = \"watanabe\"\nreason = \"Role ends\"\n"
					 "uid = \"sato\"\n");
	ck_assert_int_eq(idmgr("tanaka", &out, &err, "request", "submit", path, NULL, NULL), 0);
	out[strcspn(out, "\n")] = '\0';
	id = out;
	free(err);
	ck_assert_int_eq(idmgr("ito", &out, &err, "request", "approve", id, NULL, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, "R-PRIV-3"));
	free(out);
	free(err);
	free(id);
	free(path);
}
END_TEST

/* R-PRIV-5, R-AUD-2: a reserved name is refused before anything is stored,
 * naming the form's line; the exit status is 2. */
START_TEST(reserved_name_refused)
{
	char text[2048], *path, *out = NULL, *err = NULL;

	snprintf(text, sizeof(text), register_form, "watanabe", "admin", "admin");
	path = write_form("admin.form", text);
	ck_assert_int_eq(idmgr("tanaka", &out, &err, "request", "submit", path, NULL, NULL), 2);
	ck_assert_ptr_nonnull(strstr(err, "admin.form:5"));
	ck_assert_ptr_nonnull(strstr(err, "nothing was stored"));
	ck_assert_str_eq(out, "");
	free(out);
	free(err);
	free(path);
}
END_TEST

/* R-PW-4: an operator whose password is temporary can do nothing else. */
START_TEST(operator_with_temporary_password_refused)
{
	char path[700], *temp = sandbox_officer_password(&sb, "suzuki"), *out = NULL, *err = NULL;
	char ldif[512];

	/* put suzuki back on a temporary password, as an operator reset would */
	snprintf(ldif, sizeof(ldif),
		 "dn: uid=suzuki,ou=people,dc=example,dc=org\nchangetype: modify\n"
		 "add: pwdReset\npwdReset: TRUE\n");
	ck_assert_int_eq(sandbox_ldapmodify(&sb, ldif), 0);
	ck_assert_int_eq(idmgr("suzuki", &out, &err, "request", "list", NULL, NULL, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, "change it first"));
	free(out);
	free(err);
	snprintf(ldif, sizeof(ldif),
		 "dn: uid=suzuki,ou=people,dc=example,dc=org\nchangetype: modify\n"
		 "delete: pwdReset\n");
	ck_assert_int_eq(sandbox_ldapmodify(&sb, ldif), 0);
	(void)path;
	free(temp);
}
END_TEST

/* Apply interrupted after the account was created (state left as a killed
 * run leaves it): the rerun completes groups and password, reuses the
 * uidNumber, creates nothing twice. */
START_TEST(interrupted_apply_completes)
{
	char *id = submit_register("goro", NULL), *out = NULL, *err = NULL, ldif[2048];
	struct idm_dir *d = NULL;
	struct idm_account *a = NULL;

	ck_assert_int_eq(idmgr("suzuki", &out, &err, "request", "approve", id, NULL, NULL), 0);
	free(out);
	free(err);
	ck_assert_int_eq(idmgr("takahashi", &out, &err, "request", "approve", id, NULL, NULL), 0);
	free(out);
	free(err);
	/* what the first steps of a killed run wrote */
	snprintf(ldif, sizeof(ldif),
		 "dn: idmRequestId=%s,ou=requests,ou=idmgr,dc=example,dc=org\nchangetype: modify\n"
		 "add: idmDone\nidmDone: uidNumber=19999\n\n"
		 "dn: uid=goro,ou=people,dc=example,dc=org\nchangetype: add\n"
		 "objectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: idmAccount\n"
		 "uid: goro\ncn: Hanako Yamada\nsn: Yamada\nuidNumber: 19999\ngidNumber: 10000\n"
		 "homeDirectory: /home/goro\nidmStatus: active\nidmMustChange: TRUE\n"
		 "idmRequestId: %s\n",
		 id, id);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, ldif), 0);
	ck_assert_int_eq(idmgr("takahashi", &out, &err, "request", "apply", id, NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "uidNumber 19999"));
	ck_assert_ptr_nonnull(strstr(out, "temporary password for goro: "));
	free(out);
	free(err);
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	ck_assert_int_eq(idm_account_lookup(d, sb.cfg, "goro", &a), IDM_OK);
	ck_assert(a->must_change);
	idm_account_free(a);
	idm_dir_close(d);
	free(id);
}
END_TEST

/* R-AUD-1: every action above, done or refused, is in the trail, and the
 * chain verifies; "audit show" lists them. */
START_TEST(audit_trail_intact)
{
	char *out = NULL, *err = NULL;

	ck_assert_int_eq(idmgr("sato", &out, &err, "audit", "verify", NULL, NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "audit trail intact"));
	free(out);
	free(err);
	ck_assert_int_eq(idmgr("sato", &out, &err, "audit", "show", NULL, NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "submit"));
	ck_assert_ptr_nonnull(strstr(out, "refused: R-SOD-1"));
	ck_assert_ptr_nonnull(strstr(out, "apply"));
	free(out);
	free(err);
	/* append-only for officers (conf/slapd-acl.conf): an officer can
	 * neither edit nor delete a record */
	{
		char pw[700];
		char *mod[] = { "/usr/bin/ldapmodify",
				"-x",
				"-H",
				sb.uri,
				"-D",
				"uid=sato,ou=people,dc=example,dc=org",
				"-y",
				pw,
				NULL };
		char *del[] = { "/usr/bin/ldapdelete",
				"-x",
				"-H",
				sb.uri,
				"-D",
				"uid=sato,ou=people,dc=example,dc=org",
				"-y",
				pw,
				"idmSeq=1,ou=audit,ou=idmgr,dc=example,dc=org",
				NULL };
		pwfile("sato", pw, sizeof(pw));
		ck_assert_int_eq(run_cmd(mod,
					 "dn: idmSeq=1,ou=audit,ou=idmgr,dc=example,dc=org\n"
					 "changetype: modify\nreplace: idmOutcome\nidmOutcome: forged\n",
					 NULL, &err),
				 50);
		free(err);
		ck_assert_int_eq(run_cmd(del, NULL, NULL, &err), 50);
		free(err);
	}
}
END_TEST

/* Two applies at once, of two approved registrations: the number pool's
 * compare-and-swap gives them different uidNumbers. */
START_TEST(concurrent_applies_get_distinct_numbers)
{
	char *ids[2] = { submit_register("ume", NULL), submit_register("momo", NULL) };
	char *out = NULL, *err = NULL;
	pid_t pids[2];
	struct idm_dir *d = NULL;
	static const char *const attrs[] = { "uidNumber", NULL };
	LDAPMessage *res = NULL;
	char *n[2];

	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(idmgr("suzuki", &out, &err, "request", "approve", ids[i], NULL,
				       NULL),
				 0);
		free(out);
		free(err);
		ck_assert_int_eq(idmgr("takahashi", &out, &err, "request", "approve", ids[i], NULL,
				       NULL),
				 0);
		free(out);
		free(err);
	}
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0)
			_exit(idmgr(i ? "tanaka" : "takahashi", NULL, NULL, "request", "apply",
				    ids[i], NULL, NULL));
	}
	for (int i = 0; i < 2; i++) {
		int status;
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_int_eq(WEXITSTATUS(status), 0);
	}
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(idm_dir_search(d,
						i ? "uid=momo,ou=people,dc=example,dc=org"
						  : "uid=ume,ou=people,dc=example,dc=org",
						LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res),
				 IDM_OK);
		n[i] = idm_entry_value(idm_dir_ldap(d), ldap_first_entry(idm_dir_ldap(d), res),
				       "uidNumber");
		ldap_msgfree(res);
	}
	ck_assert_str_ne(n[0], n[1]);
	free(n[0]);
	free(n[1]);
	idm_dir_close(d);
	free(ids[0]);
	free(ids[1]);
}
END_TEST

/* An approval written around idmgr (an insider with write access to the
 * request) has no audit record: the request is not applied (R-AUD-1,
 * R-SOD-2). */
START_TEST(forged_approval_refused)
{
	char *id = submit_register("shiro", NULL), *out = NULL, *err = NULL, ldif[1024];

	ck_assert_int_eq(idmgr("suzuki", &out, &err, "request", "approve", id, NULL, NULL), 0);
	free(out);
	free(err);
	snprintf(ldif, sizeof(ldif),
		 "dn: idmRequestId=%s,ou=requests,ou=idmgr,dc=example,dc=org\nchangetype: modify\n"
		 "add: idmApproval\nidmApproval: system_admin 20261126000000Z "
		 "uid=takahashi,ou=people,dc=example,dc=org\n-\nreplace: idmRequestState\n"
		 "idmRequestState: approved\n",
		 id);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, ldif), 0);
	ck_assert_int_eq(idmgr("tanaka", &out, &err, "request", "apply", id, NULL, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, "has no audit record"));
	free(out);
	free(err);
	free(id);
}
END_TEST

static Suite *requests_suite(void)
{
	Suite *s = suite_create("requests");
	TCase *tc = tcase_create("lifecycle");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, register_story);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, contractor_refused_on_privileged);
	tcase_add_test(tc, reserved_name_refused);
	tcase_add_test(tc, operator_with_temporary_password_refused);
	tcase_add_test(tc, interrupted_apply_completes);
	tcase_add_test(tc, concurrent_applies_get_distinct_numbers);
	tcase_add_test(tc, forged_approval_refused);
	tcase_add_test(tc, audit_trail_intact);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	self_argv = argv;
	return fx_run(requests_suite(), NULL);
}
