/* The password side (issue: password policy engine and phase): the PAM
 * password phase through real libpam and "idmgr passwd", against a real
 * slapd (R-PW-1, R-PW-3, R-PW-4, R-PW-5, R-PRIV-4). */
#include "config.h"

#include <check.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "idm_account.h"
#include "idm_dir.h"
#include "idm_error.h"
#include "idm_login.h"
#include "idm_mods.h"
#include "idm_passhash.h"
#include "idm_password.h"
#include "idm_time.h"

static struct sandbox sb;
static char **self_argv;

static const char test_policies[] =
	"policy hist3 { history = 3  min_age_days = 0  min_length = 8 }\n"
	"policy hist5 { history = 5  min_age_days = 0  min_length = 8 }\n"
	"policy hist2 { history = 2  min_age_days = 0  min_length = 8 }\n";

static void prepare(struct sandbox *s)
{
	sandbox_add_config(s, test_policies);
}

static void add_account(const char *uid, const char *pw, const char *extra)
{
	char ldif[4096], *hash = NULL, now[IDM_GENTIME_LEN], policy[128];
	static int next = 31000;

	ck_assert_int_eq(idm_hash_password(&sb.cfg->argon2, pw, strlen(pw), &hash), IDM_OK);
	idm_time_format(time(NULL) - 2 * 86400, now); /* older than min_age_days */
	snprintf(ldif, sizeof(ldif),
		 "dn: uid=%s,ou=people,dc=example,dc=org\n"
		 "objectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: idmAccount\n"
		 "uid: %s\ncn: %s\nsn: Yamada\ngivenName: Hanako\nuidNumber: %d\ngidNumber: 10000\n"
		 "homeDirectory: /home/%s\nuserPassword: %s\nidmStatus: active\n%s%s%s",
		 uid, uid, uid, next++, uid, hash,
		 sandbox_policy_line(extra, policy, sizeof(policy)),
		 strstr(extra, "pwdChangedTime") ? "" : "pwdChangedTime: ",
		 strstr(extra, "pwdChangedTime") ? extra : now);
	if (!strstr(extra, "pwdChangedTime")) {
		size_t used = strlen(ldif);
		snprintf(ldif + used, sizeof(ldif) - used, "\n%s", extra);
	}
	ck_assert_int_eq(sandbox_ldapadd(&sb, ldif), 0);
	free(hash);
}

static void setup(void)
{
	sandbox_start_for_pam(&sb, self_argv, prepare);
	add_account("hist", "Start password 0", "idmPolicy: hist3\n");
	add_account("shrink", "Start password 0", "idmPolicy: hist5\n");
	add_account("plain", "Plain user passphrase 1", "");
	add_account("admin2", "Plain user passphrase 1", "idmPrivileged: TRUE\n");
	add_account("kenta", "Sunny days ahead 12", "");
	add_account("multi", "Multibyte start 1", "");
	add_account("taro", "Racer start passphrase 1", "");
	add_account("cli", "Command line passphrase 1", "");
	add_account("lockpw", "Locked change passphrase 1", "");
	add_account("lockboth", "Locked twice passphrase 1", "");
}

static void teardown(void)
{
	sandbox_stop(&sb);
}

static int change(const char *uid, const char *old, const char *new, struct idm_violations *v)
{
	int r = idm_password_change(sb.cfg, NULL, uid, old, new, strlen(new), v);

	for (size_t i = 0; i < v->n; i++) /* shown in the test log when it fails */
		fprintf(stderr, "%s -> %s: %s\n", uid, new, v->v[i].message);
	return r;
}

static bool has_rule(const struct idm_violations *v, enum idm_rule rule)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i].rule == rule)
			return true;
	return false;
}

static bool binds(const char *uid, const char *pw)
{
	struct idm_dir *d = NULL;
	char dn[256];
	int r;

	snprintf(dn, sizeof(dn), "uid=%s,ou=people,dc=example,dc=org", uid);
	r = idm_dir_open(sb.cfg, NULL, dn, pw, &d);
	idm_dir_close(d);
	return r == IDM_OK;
}

/* Reads attr of uid as the directory administrator (all values, one a
 * line). */
static char *admin_read(const char *uid, const char *attr)
{
	char dn[256];

	snprintf(dn, sizeof(dn), "uid=%s,ou=people,dc=example,dc=org", uid);
	return sandbox_admin_read(&sb, dn, attr);
}

/* R-PW-4: the temporary password of an officer must be changed at the
 * first login; the new one then works and the old no longer binds; the
 * stored hash is {ARGON2} argon2id with the configured costs (R-PW-5). */
START_TEST(temporary_password_changed_at_first_login)
{
	char *temp = sandbox_officer_password(&sb, "watanabe"), *hash;
	const char *newpw = "Officer new pass 2026!";
	struct pam_script c = { .answers = { temp, temp, newpw, newpw } };
	struct pam_conv pc = { pam_script_conv, &c };
	pam_handle_t *pamh = NULL;

	ck_assert_int_eq(pam_start("idmgr", "watanabe", &pc, &pamh), PAM_SUCCESS);
	ck_assert_int_eq(pam_authenticate(pamh, 0), PAM_SUCCESS);
	ck_assert_int_eq(pam_acct_mgmt(pamh, 0), PAM_NEW_AUTHTOK_REQD);
	ck_assert_int_eq(pam_chauthtok(pamh, PAM_CHANGE_EXPIRED_AUTHTOK), PAM_SUCCESS);
	pam_end(pamh, PAM_SUCCESS);

	memset(&c, 0, sizeof(c));
	c.answers[0] = newpw;
	ck_assert_int_eq(pam_start("idmgr", "watanabe", &pc, &pamh), PAM_SUCCESS);
	ck_assert_int_eq(pam_authenticate(pamh, 0), PAM_SUCCESS);
	ck_assert_int_eq(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
	pam_end(pamh, PAM_SUCCESS);

	ck_assert(!binds("watanabe", temp));
	/* slapd hashed it (idmgr_argon2.so) with the configured costs */
	hash = admin_read("watanabe", "userPassword");
	ck_assert_msg(strncmp(hash, "{ARGON2}$argon2id$v=19$m=19456,t=2,p=1$", 39) == 0, "%s", hash);
	free(hash);
	/* the server cleared its must-change flag and keeps the change time */
	hash = admin_read("watanabe", "pwdReset");
	ck_assert_str_eq(hash, "");
	free(hash);
	hash = admin_read("watanabe", "pwdChangedTime");
	ck_assert_int_eq((int)strlen(hash), 16);
	free(hash);
	free(temp);
}
END_TEST

/* One clear message per broken rule through the conversation, retry=3,
 * then PAM_AUTHTOK_ERR; nothing changed. */
START_TEST(weak_password_refused_with_messages)
{
	struct pam_script c = { .answers = { "Plain user passphrase 1", "abc", "abc", "abc", "abc",
					     "abc", "abc" } };
	struct pam_conv pc = { pam_script_conv, &c };
	pam_handle_t *pamh = NULL;

	ck_assert_int_eq(pam_start("idmgr", "plain", &pc, &pamh), PAM_SUCCESS);
	ck_assert_int_eq(pam_chauthtok(pamh, PAM_CHANGE_EXPIRED_AUTHTOK), PAM_AUTHTOK_ERR);
	pam_end(pamh, PAM_SUCCESS);
	ck_assert_ptr_nonnull(strstr(c.shown, "at least 12 characters"));
	ck_assert_ptr_nonnull(strstr(c.shown, "3"));
	ck_assert(binds("plain", "Plain user passphrase 1"));
}
END_TEST

/* Root running "passwd USER" for a directory user is refused, pointing to
 * the audited operator action. */
START_TEST(root_cannot_set_a_directory_password)
{
	struct pam_script c = { .answers = { "x" } };
	struct pam_conv pc = { pam_script_conv, &c };
	pam_handle_t *pamh = NULL;
	int r;

	ck_assert_int_eq(pam_start("idmgr", "plain", &pc, &pamh), PAM_SUCCESS);
	r = pam_chauthtok(pamh, 0);
	pam_end(pamh, r);
	if (getuid() == 0) {
		ck_assert_int_eq(r, PAM_PERM_DENIED);
		ck_assert_ptr_nonnull(strstr(c.shown, "idmgr user reset-password plain"));
	} else {
		/* not root: the user's own change is asked for, and "x" is wrong */
		ck_assert_int_ne(r, PAM_SUCCESS);
		ck_assert_ptr_null(strstr(c.shown, "reset-password"));
	}
	ck_assert(binds("plain", "Plain user passphrase 1"));
}
END_TEST

/* R-PW-3: history of 3 with 4 changes. */
START_TEST(history_of_three)
{
	struct idm_violations v;
	const char *pw[] = { "Start password 0", "Second pass 1", "Third pass 22",
			     "Fourth pass 333", "Fifth pass 4444" };

	for (int i = 1; i < 5; i++)
		ck_assert_int_eq(change("hist", pw[i - 1], pw[i], &v), IDM_OK);
	/* current pw[4]; history holds pw[3], pw[2], pw[1] */
	for (int i = 1; i < 5; i++) {
		ck_assert_int_eq(change("hist", pw[4], pw[i], &v), IDM_EPOLICY);
		ck_assert(has_rule(&v, IDM_RULE_REUSED));
	}
	ck_assert_int_eq(change("hist", pw[4], pw[0], &v), IDM_OK);
}
END_TEST

/* History shrinking: a policy of 2 keeps only the 2 newest. */
START_TEST(history_shrinks)
{
	struct idm_violations v;
	char *h;
	const char *pw[] = { "Start password 0", "Second pass 1", "Third pass 22",
			     "Fourth pass 333" };
	char ldif[256];
	int lines = 0;

	for (int i = 1; i < 4; i++)
		ck_assert_int_eq(change("shrink", pw[i - 1], pw[i], &v), IDM_OK);
	h = admin_read("shrink", "pwdHistory");
	for (char *p = h; *p; p++)
		lines += *p == '\n';
	ck_assert_int_eq(lines, 3);
	free(h);
	snprintf(ldif, sizeof(ldif),
		 "dn: uid=shrink,ou=people,dc=example,dc=org\nchangetype: modify\n"
		 "replace: idmPolicy\nidmPolicy: hist2\n-\nreplace: pwdPolicySubentry\n"
		 "pwdPolicySubentry: cn=hist2,ou=policies,dc=example,dc=org\n");
	ck_assert_int_eq(sandbox_ldapmodify(&sb, ldif), 0);
	ck_assert_int_eq(change("shrink", pw[3], "Fifth pass 4444", &v), IDM_OK);
	h = admin_read("shrink", "pwdHistory");
	lines = 0;
	for (char *p = h; *p; p++)
		lines += *p == '\n';
	ck_assert_int_eq(lines, 2);
	free(h);
}
END_TEST

/* R-PRIV-4: the same password is accepted for a standard ID and refused
 * for a privileged one (min_length 16, 4 classes). */
START_TEST(privileged_rules_are_stronger)
{
	struct idm_violations v;
	const char *candidate = "shorter pass 12"; /* 15 characters, 3 classes */

	ck_assert_int_eq(change("admin2", "Plain user passphrase 1", candidate, &v), IDM_EPOLICY);
	ck_assert(has_rule(&v, IDM_RULE_LENGTH_MIN));
	ck_assert(has_rule(&v, IDM_RULE_CLASSES));
	ck_assert_int_eq(change("plain", "Plain user passphrase 1", candidate, &v), IDM_OK);
}
END_TEST

/* min_age_days = 1: a password set just now cannot change again. */
START_TEST(min_age_refuses_a_second_change)
{
	struct idm_violations v;

	ck_assert_int_eq(change("kenta", "Sunny days ahead 12", "Sunny days ahead 13", &v), IDM_OK);
	ck_assert_int_eq(change("kenta", "Sunny days ahead 13", "Sunny days ahead 14", &v),
			 IDM_EPOLICY);
	ck_assert(has_rule(&v, IDM_RULE_MIN_AGE));
}
END_TEST

/* Lengths count characters: a multi-byte password works end to end; a
 * 1 MiB password is refused cleanly and quickly. */
START_TEST(multibyte_and_huge_passwords)
{
	struct idm_violations v;
	const char *jp = "日本語のパスワードabc2026!";
	size_t big = 1024 * 1024;
	char *huge = malloc(big + 1);
	struct timespec t0, t1;

	ck_assert_int_eq(change("multi", "Multibyte start 1", jp, &v), IDM_OK);
	ck_assert(binds("multi", jp));
	memset(huge, 'a', big);
	huge[big] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(idm_password_change(sb.cfg, NULL, "multi", jp, huge, big, &v), IDM_EPOLICY);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert(has_rule(&v, IDM_RULE_LENGTH_MAX));
	ck_assert_double_lt((double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, 1.0);
	ck_assert(binds("multi", jp));
	free(huge);
}
END_TEST

/* One modify: a concurrent change and logins never leave a new hash with
 * the old history -- afterwards the newest history entry is the old
 * password, and the new password binds. */
START_TEST(concurrent_change_and_logins)
{
	struct idm_violations v;
	struct idm_auth_result res;
	pid_t pid = fork();
	char *h, *hash;

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(-change("taro", "Racer start passphrase 1", "Racer new passphrase 2", &v));
	/* fewer than lockout_threshold: the point is atomicity, not lockout */
	for (int i = 0; i < 2; i++)
		idm_login_authenticate(sb.cfg, NULL, "taro", "Racer start passphrase 1", NULL, &res);
	{
		int status;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WEXITSTATUS(status) == 0, "the change failed: %s",
			      idm_strerror(-WEXITSTATUS(status)));
	}
	ck_assert(binds("taro", "Racer new passphrase 2"));
	ck_assert(!binds("taro", "Racer start passphrase 1"));
	h = admin_read("taro", "pwdHistory");
	hash = h;
	hash[strcspn(hash, "\n")] = '\0';
	{
		struct idm_argon2_params max;
		idm_hash_bounds(&sb.cfg->argon2, &max);
		ck_assert_int_eq(idm_hash_verify(hash, "Racer start passphrase 1", 24, &max),
				 IDM_OK);
	}
	free(h);
}
END_TEST

/* idmgr passwd: the same core path, for scripts with password files. */
START_TEST(idmgr_passwd_command)
{
	char oldf[700], newf[700], weakf[700], *out = NULL, *err = NULL;
	const char *bin = getenv("IDMGR_BIN");
	char *argv[] = { (char *)bin, "-c",     sb.conf,
			 "-u",        "cli",    "--password-file",
			 oldf,        "passwd", "--new-password-file",
			 newf,        NULL };
	char *weak[] = { (char *)bin, "-c",     sb.conf,
			 "-u",        "cli",    "--password-file",
			 newf,        "passwd", "--new-password-file",
			 weakf,       NULL };

	snprintf(oldf, sizeof(oldf), "%s/cli.old", sb.dir);
	snprintf(newf, sizeof(newf), "%s/cli.new", sb.dir);
	snprintf(weakf, sizeof(weakf), "%s/cli.weak", sb.dir);
	write_file(oldf, "Command line passphrase 1", 0600);
	write_file(newf, "Command line passphrase 2", 0600);
	write_file(weakf, "cli", 0600);
	ck_assert_int_eq(run_cmd(argv, NULL, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, "password changed for cli"));
	free(out);
	free(err);
	ck_assert(binds("cli", "Command line passphrase 2"));
	ck_assert_int_eq(run_cmd(weak, NULL, &out, &err), 1);
	ck_assert_ptr_nonnull(strstr(err, "the new password was refused; nothing changed"));
	ck_assert_ptr_nonnull(strstr(err, "at least 12 characters"));
	free(out);
	free(err);
	/* a wrong current password: refused, exit 1 */
	ck_assert_int_eq(run_cmd(argv, NULL, &out, &err), 1);
	ck_assert_ptr_nonnull(strstr(err, "the current password is not right"));
	free(out);
	free(err);
}
END_TEST

/* What the module said after its prompts ends with msg, and names no lock
 * unless msg does. */
#define ck_assert_said(shown, msg)                                                                \
	do {                                                                                      \
		size_t n_ = strlen(shown), m_ = strlen(msg);                                      \
		ck_assert_msg(n_ >= m_ && strcmp(shown + n_ - m_, msg) == 0, "shown: %s", shown); \
		ck_assert(strstr(msg, "locked") || !strstr(shown, "locked"));                     \
	} while (0)

/* The password phase of a locked account as root's passwd drives it. */
static int change_locked(const char *uid, const char *old, struct pam_script *c)
{
	struct pam_conv pc = { pam_script_conv, c };
	pam_handle_t *pamh = NULL;
	int r;

	memset(c, 0, sizeof(*c));
	c->answers[0] = old;
	c->answers[1] = c->answers[2] = "Locked account new pass 9";
	ck_assert_int_eq(pam_start("idmgr", uid, &pc, &pamh), PAM_SUCCESS);
	r = pam_chauthtok(pamh, PAM_CHANGE_EXPIRED_AUTHTOK);
	pam_end(pamh, r);
	return r;
}

/* R-LOGIN-1, R-PW-4: a locked account's change is refused, and the lock is
 * said only to who gave the right current password; a wrong one is
 * answered as on an account that is not locked (same message, the same
 * bind).  The lock here is the module's alone: a lock mark added with the
 * hosts' identity, as any host may (only more locked), so slapd's own
 * lockout does not hold the account and checks the password.  Nothing is
 * changed either way, and idmgr passwd says the same. */
START_TEST(locked_change_said_only_to_right_password)
{
	const char *dn = "uid=lockpw,ou=people,dc=example,dc=org";
	char stamp[IDM_GENTIME_LEN], oldf[700], newf[700], *out = NULL, *err = NULL;
	const char *bin = getenv("IDMGR_BIN");
	char *argv[] = { (char *)bin, "-c",     sb.conf,
			 "-u",        "lockpw", "--password-file",
			 oldf,        "passwd", "--new-password-file",
			 newf,        NULL };
	struct idm_dir *svc = NULL;
	struct idm_mods *m = idm_mods_new();
	struct pam_script c;

	idm_time_format(time(NULL), stamp);
	idm_mods_add(m, LDAP_MOD_ADD, "idmLockedTime", stamp);
	ck_assert_int_eq(idm_dir_open_service(sb.cfg, NULL, &svc), IDM_OK);
	ck_assert_int_eq(idm_dir_apply(svc, dn, m), IDM_OK);
	idm_dir_close(svc);

	ck_assert_int_eq(change_locked("lockpw", "not the passphrase", &c),
			 PAM_AUTHTOK_RECOVERY_ERR);
	ck_assert_said(c.shown, "\nThe current password is not right.\n");
	ck_assert_int_eq(change_locked("lockpw", "Locked change passphrase 1", &c), PAM_PERM_DENIED);
	ck_assert_said(c.shown, "\nYour account is locked after too many failed logins; "
				"the password was not changed.\n");
	ck_assert(binds("lockpw", "Locked change passphrase 1"));
	ck_assert(!binds("lockpw", "Locked account new pass 9"));

	snprintf(oldf, sizeof(oldf), "%s/lockpw.old", sb.dir);
	snprintf(newf, sizeof(newf), "%s/lockpw.new", sb.dir);
	write_file(oldf, "Locked change passphrase 1", 0600);
	write_file(newf, "Locked account new pass 9", 0600);
	ck_assert_int_eq(run_cmd(argv, NULL, &out, &err), 1);
	ck_assert_msg(strstr(err, "lockpw: the account is locked after too many failed logins; "
				  "the password was not changed") != NULL,
		      "%s", err);
	free(out);
	free(err);
	write_file(oldf, "not the passphrase", 0600);
	ck_assert_int_eq(run_cmd(argv, NULL, &out, &err), 1);
	ck_assert_msg(strstr(err, "the current password is not right") != NULL, "%s", err);
	ck_assert_ptr_null(strstr(err, "locked"));
	free(out);
	free(err);
	ck_assert(binds("lockpw", "Locked change passphrase 1"));
}
END_TEST

/* Locked by wrong passwords, slapd's own lockout (the policy's threshold)
 * holds the account too and answers every bind "locked" without checking
 * the password: a right current password then cannot be told from a wrong
 * one, and is answered as one (pam_idmgr(8) BUGS).  Never the lock. */
START_TEST(locked_by_server_too_answers_as_wrong)
{
	struct pam_script c;

	for (int i = 0; i < 5; i++) {
		struct pam_conv pc = { pam_script_conv, &c };
		pam_handle_t *pamh = NULL;

		memset(&c, 0, sizeof(c));
		c.answers[0] = "wrong guess";
		ck_assert_int_eq(pam_start("idmgr", "lockboth", &pc, &pamh), PAM_SUCCESS);
		ck_assert_int_eq(pam_authenticate(pamh, 0), PAM_AUTH_ERR);
		pam_end(pamh, PAM_AUTH_ERR);
	}
	ck_assert_int_eq(change_locked("lockboth", "Locked twice passphrase 1", &c),
			 PAM_AUTHTOK_RECOVERY_ERR);
	ck_assert_said(c.shown, "\nThe current password is not right.\n");
	ck_assert_int_eq(change_locked("lockboth", "not the passphrase", &c),
			 PAM_AUTHTOK_RECOVERY_ERR);
	ck_assert_said(c.shown, "\nThe current password is not right.\n");
}
END_TEST

static Suite *password_suite(void)
{
	Suite *s = suite_create("password");
	TCase *tc = tcase_create("change");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, temporary_password_changed_at_first_login);
	tcase_add_test(tc, weak_password_refused_with_messages);
	tcase_add_test(tc, root_cannot_set_a_directory_password);
	tcase_add_test(tc, history_of_three);
	tcase_add_test(tc, history_shrinks);
	tcase_add_test(tc, privileged_rules_are_stronger);
	tcase_add_test(tc, min_age_refuses_a_second_change);
	tcase_add_test(tc, multibyte_and_huge_passwords);
	tcase_add_test(tc, concurrent_change_and_logins);
	tcase_add_test(tc, idmgr_passwd_command);
	tcase_add_test(tc, locked_change_said_only_to_right_password);
	tcase_add_test(tc, locked_by_server_too_answers_as_wrong);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	self_argv = argv;
	return fx_run(password_suite(), NULL);
}
