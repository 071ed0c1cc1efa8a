/* PAM module tests through real libpam (pam_wrapper's service folder and
 * libpamtest) against a real slapd (contract §6, R-LOGIN-2, R-PW-4). */
#include "config.h"

#include <check.h>
#include <libpamtest.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "idm_error.h"
#include "idm_passhash.h"
#include "idm_time.h"

static struct sandbox sb;
static char **self_argv;

/* A conversation that answers password prompts from a list and records
 * every message the module shows. */
struct conv {
	const char *answers[8];
	size_t next;
	char shown[4096];
};

static int conv_fn(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct conv *c = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		size_t used = strlen(c->shown);
		snprintf(c->shown + used, sizeof(c->shown) - used, "%s\n", msg[i]->msg);
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
			const char *a = c->next < 8 ? c->answers[c->next++] : NULL;
			r[i].resp = strdup(a ? a : "");
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* Runs one PAM operation for user on service; returns its PAM code. */
static int pam_op(const char *service, const char *user, enum pamtest_ops op, struct conv *c)
{
	struct pam_testcase tests[] = { pam_test(op, PAM_SUCCESS) };
	/* Called directly: libpamtest 1.1.4's run_pamtest_conv macro has a
	 * misplaced parenthesis. */
	enum pamtest_err e = _pamtest_conv(service, user, conv_fn, c, tests, 1, NULL);

	ck_assert_msg(e == PAMTEST_ERR_OK || e == PAMTEST_ERR_CASE, "libpamtest failed: %d", e);
	return tests[0].op_rv;
}

static int auth(const char *user, const char *password, struct conv *c)
{
	memset(c, 0, sizeof(*c));
	c->answers[0] = password;
	return pam_op("idmgr", user, PAMTEST_AUTHENTICATE, c);
}

static int account(const char *user, struct conv *c)
{
	memset(c, 0, sizeof(*c));
	return pam_op("idmgr", user, PAMTEST_ACCOUNT, c);
}

/* Adds a managed account with password pw and extra LDIF lines. */
static void add_account(const char *uid, const char *pw, const char *extra)
{
	char ldif[4096], *hash = NULL, now[IDM_GENTIME_LEN];
	static int next = 30000;

	ck_assert_int_eq(idm_hash_password(&sb.cfg->argon2, pw, strlen(pw), &hash), IDM_OK);
	idm_time_format(time(NULL), now);
	snprintf(ldif, sizeof(ldif),
		 "dn: uid=%s,ou=people,dc=example,dc=org\n"
		 "objectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: idmAccount\n"
		 "uid: %s\ncn: %s\nsn: %s\nuidNumber: %d\ngidNumber: 10000\n"
		 "homeDirectory: /home/%s\nuserPassword: %s\nidmPwdChangedTime: %s\n%s",
		 uid, uid, uid, uid, next++, uid, hash, now, extra);
	ck_assert_int_eq(sandbox_ldapadd(&sb, ldif), 0);
	free(hash);
}

static void prepare(struct sandbox *s)
{
	char conf[700], uris[64];

	snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%d/", closed_port());
	sandbox_config_variant(s, "down.conf", uris, 1, conf, sizeof(conf));
	sandbox_pam_service(s, "idmgr-down", conf, "");
}

static void setup(void)
{
	sandbox_start_for_pam(&sb, self_argv, prepare);
	add_account("alice", "Alice's long passphrase 1", "idmStatus: active\n");
	add_account("susp", "Suspended passphrase 2", "idmStatus: suspended\n");
	add_account("gone", "Retired passphrase 3", "idmStatus: retired\n");
	add_account("temp", "Fixed-term passphrase 4",
		    "idmStatus: active\nidmValidUntil: 20200101000000Z\n");
}

static void teardown(void)
{
	sandbox_stop(&sb);
}

/* A sample officer logs in with the temporary password from idmgr init:
 * auth succeeds, and the account phase demands a new password (R-PW-4). */
START_TEST(temporary_password_must_change)
{
	struct conv c;
	char *pw = sandbox_officer_password(&sb, "sato");

	ck_assert_int_eq(auth("sato", pw, &c), PAM_SUCCESS);
	ck_assert_int_eq(account("sato", &c), PAM_NEW_AUTHTOK_REQD);
	ck_assert_ptr_nonnull(strstr(c.shown, "You must change your password now."));
	free(pw);
}
END_TEST

START_TEST(right_password_active_account)
{
	struct conv c;

	ck_assert_int_eq(auth("alice", "Alice's long passphrase 1", &c), PAM_SUCCESS);
	ck_assert_int_eq(account("alice", &c), PAM_SUCCESS);
}
END_TEST

/* Wrong password and unknown user: PAM_AUTH_ERR and PAM_USER_UNKNOWN, and
 * the module shows the user nothing that tells them apart. */
START_TEST(wrong_password_and_unknown_user_look_alike)
{
	struct conv wrong, unknown;

	ck_assert_int_eq(auth("alice", "not her passphrase", &wrong), PAM_AUTH_ERR);
	ck_assert_int_eq(auth("nobody-here", "not her passphrase", &unknown), PAM_USER_UNKNOWN);
	ck_assert_str_eq(wrong.shown, unknown.shown);
}
END_TEST

/* RFC 4513 unauthenticated bind: an empty password is refused. */
START_TEST(empty_password_refused)
{
	struct conv c;

	ck_assert_int_eq(auth("alice", "", &c), PAM_AUTH_ERR);
}
END_TEST

/* Filter metacharacters in the user name never reach the directory. */
START_TEST(metacharacter_user_is_unknown)
{
	struct conv c;

	ck_assert_int_eq(auth("*", "Alice's long passphrase 1", &c), PAM_USER_UNKNOWN);
	ck_assert_int_eq(auth("a*)(uid=*", "Alice's long passphrase 1", &c), PAM_USER_UNKNOWN);
	ck_assert_int_eq(auth("alice)(uid=*", "Alice's long passphrase 1", &c), PAM_USER_UNKNOWN);
}
END_TEST

/* Suspended and retired accounts are refused with the right password, in
 * auth and in account (R-VIO-1, R-REG-2). */
START_TEST(suspended_and_retired_refused)
{
	struct conv c;

	ck_assert_int_eq(auth("susp", "Suspended passphrase 2", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(account("susp", &c), PAM_PERM_DENIED);
	ck_assert_int_eq(auth("gone", "Retired passphrase 3", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(account("gone", &c), PAM_PERM_DENIED);
}
END_TEST

START_TEST(past_valid_until_expired)
{
	struct conv c;

	ck_assert_int_eq(auth("temp", "Fixed-term passphrase 4", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(account("temp", &c), PAM_ACCT_EXPIRED);
}
END_TEST

/* No directory server: PAM_AUTHINFO_UNAVAIL in both phases (fail closed,
 * and a stack can fall through to local accounts). */
START_TEST(directory_down_is_authinfo_unavail)
{
	struct conv c;

	memset(&c, 0, sizeof(c));
	c.answers[0] = "Alice's long passphrase 1";
	ck_assert_int_eq(pam_op("idmgr-down", "alice", PAMTEST_AUTHENTICATE, &c),
			 PAM_AUTHINFO_UNAVAIL);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(pam_op("idmgr-down", "alice", PAMTEST_ACCOUNT, &c), PAM_AUTHINFO_UNAVAIL);
}
END_TEST

static Suite *pam_suite(void)
{
	Suite *s = suite_create("pam");
	TCase *tc = tcase_create("login");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, temporary_password_must_change);
	tcase_add_test(tc, right_password_active_account);
	tcase_add_test(tc, wrong_password_and_unknown_user_look_alike);
	tcase_add_test(tc, empty_password_refused);
	tcase_add_test(tc, metacharacter_user_is_unknown);
	tcase_add_test(tc, suspended_and_retired_refused);
	tcase_add_test(tc, past_valid_until_expired);
	tcase_add_test(tc, directory_down_is_authinfo_unavail);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	(void)argc;
	self_argv = argv;
	sr = srunner_create(pam_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
