/* Upgrading a directory made by the previous release (issue 11): its
 * "idmgr init" output, captured in tests/data/release-0.1.ldif, is loaded
 * into a sandbox that runs this release's slapd configuration; this
 * release's "idmgr init" then adds the policy entries and moves the
 * must-change flags, change times and history into slapd's attributes,
 * idempotently, and logins behave as the old state said (R-PW-2..5). */
#include "config.h"

#include <check.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "harness.h"
#include "idm_error.h"
#include "idm_passhash.h"
#include "idm_password.h"
#include "idm_policy.h"

static struct sandbox sb;
static char **self_argv;

/* "NAME VALUE" from tests/data/release-0.1.passwords. */
static char *old_password(const char *name)
{
	char path[700], *text, *p, *out = NULL;
	size_t n = strlen(name);

	snprintf(path, sizeof(path), "%s/tests/data/release-0.1.passwords",
		 getenv("IDMGR_SRCDIR") ? getenv("IDMGR_SRCDIR") : "..");
	text = slurp(path);
	ck_assert_ptr_nonnull(text);
	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, name, n) == 0 && p[n] == ' ') {
			out = strndup(p + n + 1, strcspn(p + n + 1, "\n"));
			break;
		}
	free(text);
	ck_assert_ptr_nonnull(out);
	return out;
}

/* Loads the old directory and its service secret, as a restore would. */
static void prepare(struct sandbox *s)
{
	char path[700], *ldif, *secret;

	snprintf(path, sizeof(path), "%s/tests/data/release-0.1.ldif",
		 getenv("IDMGR_SRCDIR") ? getenv("IDMGR_SRCDIR") : "..");
	ldif = slurp(path);
	if (!ldif || sandbox_ldapadd(s, ldif) != 0) {
		fprintf(stderr, "cannot load %s\n", path);
		exit(1);
	}
	free(ldif);
	secret = old_password("pam.secret");
	snprintf(path, sizeof(path), "%s/pam.secret", s->dir);
	write_file(path, secret, 0600);
	free(secret);
}

static void setup(void)
{
	sandbox_start_for_pam_init(&sb, self_argv, prepare, false);
}

static void teardown(void)
{
	sandbox_stop(&sb);
}

static char *dn_of(const char *uid)
{
	static char dn[4][160];
	static int next;
	char *d = dn[next++ % 4];

	snprintf(d, 160, "uid=%s,ou=people,dc=example,dc=org", uid);
	return d;
}

static char *read_attr(const char *uid, const char *attr)
{
	return sandbox_admin_read(&sb, dn_of(uid), attr);
}

/* The values of attr of uid, one a line, are want. */
static void attr_is(const char *uid, const char *attr, const char *want)
{
	char *v = read_attr(uid, attr);

	ck_assert_msg(strcmp(v, want) == 0, "%s %s: \"%s\", not \"%s\"", uid, attr, v, want);
	free(v);
}

static int run_init(char **out)
{
	char *err = NULL;
	int st = sandbox_run_init(&sb, NULL, false, out, &err, NULL);

	if (st != 0)
		fprintf(stderr, "init: %s%s", *out, err);
	free(err);
	return st;
}

/* The first run of this release's init over the old directory: policy
 * entries added, every account's old state moved, the old attributes gone. */
START_TEST(init_moves_the_old_state_into_slapd)
{
	char *out = NULL, *v;
	struct idm_argon2_params max;
	char *temp = old_password("tanaka-temp");

	/* ito as a version between would have left an account whose first
	 * temporary password was claimed but not issued yet */
	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: uid=ito,ou=people,dc=example,dc=org\n"
						 "changetype: modify\nreplace: idmLoginCount\n"
						 "idmLoginCount: -1\n"),
			 0);
	ck_assert_int_eq(run_init(&out), 0);
	ck_assert_msg(strstr(out, "cn=standard,ou=policies,dc=example,dc=org"), "%s", out);
	ck_assert_msg(strstr(out, "cn=privileged,ou=policies,dc=example,dc=org"), "%s", out);
	ck_assert_msg(strstr(out, "uid=sato,ou=people,dc=example,dc=org"), "%s", out);
	free(out);
	v = sandbox_admin_read(&sb, "cn=standard,ou=policies,dc=example,dc=org", "pwdCheckModule");
	ck_assert_int_eq(strncmp(v, sb.cfg->ppolicy.check_module, strlen(v) - 1), 0);
	free(v);
	v = sandbox_admin_read(&sb, "cn=standard,ou=policies,dc=example,dc=org",
			       "pwdCheckModuleArg");
	ck_assert_msg(strstr(v, " standard\n"), "%s", v);
	free(v);

	/* an officer that never changed the temporary password: must change */
	attr_is("sato", "pwdReset", "TRUE\n");
	attr_is("sato", "pwdChangedTime", "20261120095228Z\n");
	attr_is("sato", "pwdPolicySubentry", "cn=privileged,ou=policies,dc=example,dc=org\n");
	attr_is("sato", "idmMustChange", "");
	attr_is("sato", "idmPwdChangedTime", "");

	/* an officer that changed once: the history holds the temporary one */
	attr_is("tanaka", "pwdReset", "");
	attr_is("tanaka", "idmPasswordHistory", "");
	v = read_attr("tanaka", "pwdHistory");
	ck_assert_int_eq((int)strlen(v), (int)strcspn(v, "\n") + 1); /* one value */
	v[strcspn(v, "\n")] = '\0';
	idm_hash_bounds(&sb.cfg->argon2, &max);
	ck_assert_int_eq(idm_hash_verify(v, temp, strlen(temp), &max), IDM_OK);
	free(v);

	/* idmLoginCount gone; the first-password claim in its own attribute:
	 * issued (0), not yet (-1) */
	v = read_attr("sato", "idmLoginCount");
	ck_assert_str_eq(v, "");
	free(v);
	v = read_attr("sato", "idmFirstPasswordIssued");
	ck_assert_str_eq(v, "TRUE\n");
	free(v);
	v = read_attr("ito", "idmLoginCount");
	ck_assert_str_eq(v, "");
	free(v);
	v = read_attr("ito", "idmFirstPasswordIssued");
	ck_assert_str_eq(v, "FALSE\n");
	free(v);

	/* a user: age moved, default policy */
	attr_is("legacy", "pwdChangedTime", "20261121000000Z\n");
	attr_is("legacy", "pwdPolicySubentry", "");
	free(temp);
}
END_TEST

/* Run again, init changes nothing and says so. */
START_TEST(init_again_changes_nothing)
{
	char *out = NULL;

	ck_assert_int_eq(run_init(&out), 0);
	ck_assert_msg(!strstr(out, "updated") && !strstr(out, "created"), "%s", out);
	free(out);
}
END_TEST

/* After the upgrade, logins follow the moved state through libpam: the
 * officer with a temporary password must change it (the server says so),
 * the user whose hash Debian's argon2.so wrote (argon2i + stray bytes)
 * logs in, and the history refuses the old password. */
START_TEST(logins_after_the_upgrade)
{
	char *sato = old_password("sato"), *legacy = old_password("legacy");
	char *tanaka = old_password("tanaka"), *first = old_password("tanaka-temp"), *v;
	struct idm_violations viol;

	ck_assert_int_eq(pam_login("sato", sato), PAM_NEW_AUTHTOK_REQD);
	ck_assert_int_eq(pam_login("legacy", legacy), PAM_SUCCESS);
	ck_assert_int_eq(pam_login("tanaka", tanaka), PAM_SUCCESS);
	/* tanaka's first password, from the moved history, is refused by slapd */
	ck_assert_int_eq(idm_password_change(sb.cfg, NULL, "tanaka", tanaka, first, strlen(first),
					     &viol),
			 IDM_EPOLICY);
	ck_assert_int_eq(viol.v[0].rule, IDM_RULE_REUSED);
	free(first);
	ck_assert_int_eq(idm_password_change(sb.cfg, NULL, "legacy", legacy, "Brand new pass 2026",
					     19, &viol),
			 IDM_OK);
	v = read_attr("legacy", "userPassword");
	ck_assert_msg(strncmp(v, "{ARGON2}$argon2id$v=19$m=19456,t=2,p=1$", 39) == 0, "%s", v);
	free(v);
	ck_assert_int_eq(pam_login("legacy", "Brand new pass 2026"), PAM_SUCCESS);
	free(sato);
	free(legacy);
	free(tanaka);
}
END_TEST

static Suite *upgrade_suite(void)
{
	Suite *s = suite_create("upgrade");
	TCase *tc = tcase_create("release_0_1");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, init_moves_the_old_state_into_slapd);
	tcase_add_test(tc, init_again_changes_nothing);
	tcase_add_test(tc, logins_after_the_upgrade);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	self_argv = argv;
	return fx_run(upgrade_suite(), NULL);
}
