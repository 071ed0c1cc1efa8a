/* Threat-model item 1, the password side (issue 11): a user talking to
 * slapd directly with ldapmodify and ldappasswd, as a hostile user would,
 * is refused BY SLAPD -- ppolicy with idmgr_pwcheck.so and idmgr_argon2.so,
 * the constraint overlay and the shipped ACLs -- and the next PAM login
 * shows the protected state unchanged (R-PW-1..5, R-PRIV-4).  Every attack
 * is a real LDAP client process bound as the attacker. */
#include "config.h"

#include <check.h>
#include <security/pam_appl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"
#include "harness.h"
#include "idm_dir.h"
#include "idm_error.h"
#include "idm_passhash.h"
#include "idm_password.h"
#include "idm_policy.h"
#include "idm_time.h"

static struct sandbox sb;
static char **self_argv;

/* min_age_days = 0 so that one account can change several times. */
static const char test_policies[] =
	"policy free { history = 3  min_age_days = 0  min_length = 12 }\n";

static void prepare(struct sandbox *s)
{
	sandbox_add_config(s, test_policies);
}

static char *dn_of(const char *uid)
{
	static char dn[8][160];
	static int next;
	char *d = dn[next++ % 8];

	snprintf(d, 160, "uid=%s,ou=people,dc=example,dc=org", uid);
	return d;
}

static void add_account(const char *uid, const char *pw, const char *extra, int days_old)
{
	char ldif[4096], *hash = NULL, changed[IDM_GENTIME_LEN], policy[128];
	static int next = 33000;

	ck_assert_int_eq(idm_hash_password(&sb.cfg->argon2, pw, strlen(pw), &hash), IDM_OK);
	idm_time_format(time(NULL) - days_old * 86400L, changed);
	snprintf(ldif, sizeof(ldif),
		 "dn: %s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n"
		 "objectClass: idmAccount\nuid: %s\ncn: Hanako Yamada\nsn: Yamada\n"
		 "givenName: Hanako\nuidNumber: %d\ngidNumber: 10000\nhomeDirectory: /home/%s\n"
		 "userPassword: %s\nidmStatus: active\npwdChangedTime: %s\n%s%s",
		 dn_of(uid), uid, next++, uid, hash, changed,
		 sandbox_policy_line(extra, policy, sizeof(policy)), extra);
	ck_assert_int_eq(sandbox_ldapadd(&sb, ldif), 0);
	free(hash);
}

static void setup(void)
{
	char ldif[1024];

	sandbox_start_for_pam(&sb, self_argv, prepare);
	/* A policy whose check module argument names a missing idmgr.conf. */
	snprintf(ldif, sizeof(ldif),
		 "dn: cn=broken,ou=policies,dc=example,dc=org\nobjectClass: device\n"
		 "objectClass: pwdPolicy\nobjectClass: pwdPolicyChecker\ncn: broken\n"
		 "pwdAttribute: userPassword\npwdCheckQuality: 2\npwdCheckModule: %s\n"
		 "pwdCheckModuleArg: /nonexistent/idmgr.conf standard\npwdAllowUserChange: TRUE\n",
		 sb.cfg->ppolicy.check_module);
	ck_assert_int_eq(sandbox_ldapadd(&sb, ldif), 0);
	add_account("mallory", "Mallory start pass 1", "", 2);
	add_account("mustchg", "Must change start 1", "pwdReset: TRUE\n", 2);
	add_account("histuser", "History start pass 1", "idmPolicy: free\n", 2);
	add_account("schemes", "Scheme start pass 1", "", 2);
	add_account("twice", "Twice start pass 1", "", 2);
	add_account("privu", "Privileged start Pass 1", "idmPrivileged: TRUE\n", 2);
	add_account("brokenu", "Broken start pass 1",
		    "pwdPolicySubentry: cn=broken,ou=policies,dc=example,dc=org\n", 2);
	add_account("young", "Young start pass 1", "", 0);
	add_account("expireme", "Expire me start 1", "", 2);
	add_account("samewords", "Same words start 1", "", 2);
}

static void teardown(void)
{
	sandbox_stop(&sb);
}

/* An LDAP client process bound as uid with pw: tool is "ldapmodify"
 * (stdin_ldif is the change) or "ldappasswd" (newpw: RFC 3062 password
 * modify); extra is one more option or NULL.  Exit status; stderr kept. */
static int as_user(const char *uid, const char *pw, const char *tool, const char *stdin_ldif,
		   const char *newpw, const char *extra, char **err)
{
	char path[300], *out = NULL, *e = NULL;
	char *argv[16];
	int n = 0, st;

	snprintf(path, sizeof(path), "/usr/bin/%s", tool);
	argv[n++] = path;
	argv[n++] = "-x";
	argv[n++] = "-H";
	argv[n++] = sb.uri;
	argv[n++] = "-D";
	argv[n++] = dn_of(uid);
	argv[n++] = "-w";
	argv[n++] = (char *)pw;
	argv[n++] = "-e";
	argv[n++] = "ppolicy";
	if (extra) {
		argv[n++] = "-e";
		argv[n++] = (char *)extra;
	}
	if (newpw) {
		argv[n++] = "-s";
		argv[n++] = (char *)newpw;
	}
	argv[n] = NULL;
	st = run_cmd(argv, stdin_ldif, &out, &e);
	if (err) { /* ldappasswd says why on stdout, ldapmodify on stderr */
		size_t size = strlen(out) + strlen(e) + 1;
		*err = malloc(size);
		snprintf(*err, size, "%s%s", out, e);
	}
	free(out);
	free(e);
	return st;
}

static int modify_as(const char *uid, const char *pw, const char *extra, char **err,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int modify_as(const char *uid, const char *pw, const char *extra, char **err,
		     const char *fmt, ...)
{
	char ldif[2048];
	size_t n = (size_t)snprintf(ldif, sizeof(ldif), "dn: %s\nchangetype: modify\n", dn_of(uid));
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(ldif + n, sizeof(ldif) - n, fmt, ap);
	va_end(ap);
	st = as_user(uid, pw, "ldapmodify", ldif, NULL, extra, err);
	if (st == 0 && err)
		fprintf(stderr, "%s: accepted:\n%s", uid, ldif);
	return st;
}

static bool binds(const char *uid, const char *pw)
{
	struct idm_dir *d = NULL;
	int r = idm_dir_open(sb.cfg, NULL, dn_of(uid), pw, &d);

	idm_dir_close(d);
	return r == IDM_OK;
}

static char *admin_read(const char *uid, const char *attr)
{
	return sandbox_admin_read(&sb, dn_of(uid), attr);
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Threat 1: "skip a forced change".  A user whose password was reset
 * (pwdReset) cannot clear the flag, by delete, replace or with the relax
 * control; nor can an officer; the next login still demands the change
 * (R-PW-2, R-PW-4). */
START_TEST(user_cannot_skip_a_forced_change)
{
	const char *pw = "Must change start 1";
	char *err = NULL, *v, *officer = sandbox_officer_ready_password(&sb, "takahashi");

	ck_assert_int_ne(modify_as("mustchg", pw, NULL, NULL, "delete: pwdReset\n"), 0);
	ck_assert_int_ne(modify_as("mustchg", pw, NULL, NULL, "replace: pwdReset\npwdReset: FALSE\n"),
			 0);
	ck_assert_int_ne(modify_as("mustchg", pw, "relax", NULL, "delete: pwdReset\n"), 0);
	/* the session is for a password change only */
	ck_assert_int_ne(modify_as("mustchg", pw, NULL, &err,
				   "replace: description\n"
				   "description: not changing it\n"),
			 0);
	free(err);
	/* a system_admin may force a change, never lift one */
	ck_assert_int_eq(as_user("takahashi", officer, "ldapmodify",
				 "dn: uid=mustchg,ou=people,dc=example,dc=org\nchangetype: modify\n"
				 "delete: pwdReset\n",
				 NULL, NULL, NULL) != 0,
			 1);
	v = admin_read("mustchg", "pwdReset");
	ck_assert_str_eq(v, "TRUE\n");
	free(v);
	ck_assert_int_eq(pam_login("mustchg", pw), PAM_NEW_AUTHTOK_REQD);
	free(officer);
}
END_TEST

/* Threat 1: the policy an account is under is not the user's to choose
 * (pointing pwdPolicySubentry at a missing entry would mean none). */
START_TEST(user_cannot_choose_a_policy)
{
	char *v;

	ck_assert_int_ne(modify_as("privu", "Privileged start Pass 1", NULL, NULL,
				   "replace: pwdPolicySubentry\n"
				   "pwdPolicySubentry: cn=nothing,dc=example,dc=org\n"),
			 0);
	ck_assert_int_ne(modify_as("privu", "Privileged start Pass 1", NULL, NULL,
				   "delete: pwdPolicySubentry\n"),
			 0);
	v = admin_read("privu", "pwdPolicySubentry");
	ck_assert_str_eq(v, "cn=privileged,ou=policies,dc=example,dc=org\n");
	free(v);
}
END_TEST

/* Threat 1: "reset their password's age ... delete their history and then
 * reuse an old password" (R-PW-3): pwdChangedTime and pwdHistory are the
 * server's; back-dating or deleting them is refused, also with relax, and
 * the old password is still refused afterwards. */
START_TEST(user_cannot_backdate_age_or_delete_history)
{
	const char *old = "History start pass 1", *cur = "History second pass 2";
	char *age, *hist, *v;
	struct idm_violations viol;

	ck_assert_int_eq(as_user("histuser", old, "ldappasswd", NULL, cur, NULL, NULL), 0);
	age = admin_read("histuser", "pwdChangedTime");
	hist = admin_read("histuser", "pwdHistory");
	ck_assert_int_eq(lines(hist), 1);
	ck_assert_int_ne(modify_as("histuser", cur, "relax", NULL,
				   "replace: pwdChangedTime\npwdChangedTime: 20200101000000Z\n"),
			 0);
	ck_assert_int_ne(modify_as("histuser", cur, NULL, NULL, "delete: pwdChangedTime\n"), 0);
	ck_assert_int_ne(modify_as("histuser", cur, "relax", NULL, "delete: pwdHistory\n"), 0);
	ck_assert_int_ne(modify_as("histuser", cur, NULL, NULL,
				   "replace: pwdHistory\n"
				   "pwdHistory: x\n"),
			 0);
	v = admin_read("histuser", "pwdChangedTime");
	ck_assert_str_eq(v, age);
	free(v);
	v = admin_read("histuser", "pwdHistory");
	ck_assert_str_eq(v, hist);
	free(v);
	/* the old password is still in the history, through the PAM path too */
	ck_assert_int_eq(idm_password_change(sb.cfg, NULL, "histuser", cur, old, strlen(old), &viol),
			 IDM_EPOLICY);
	ck_assert_int_eq(viol.v[0].rule, IDM_RULE_REUSED);
	ck_assert_int_eq(pam_login("histuser", cur), PAM_SUCCESS);
	free(age);
	free(hist);
}
END_TEST

/* Threat 1: "read anyone's password hashes or history" -- not the user's
 * own, not another user's, not the hosts' service identity's. */
START_TEST(nobody_reads_hashes_or_history)
{
	char *pam = slurp(sb.cfg->ldap.bind_password_file);
	struct {
		const char *dn, *pw;
	} who[] = {
		{ dn_of("histuser"), "History second pass 2" },
		{ dn_of("mallory"), "Mallory start pass 1" },
		{ "cn=pam,ou=services,dc=example,dc=org", pam },
	};

	ck_assert_ptr_nonnull(pam);
	for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
		char *argv[] = { "/usr/bin/ldapsearch",
				 "-x",
				 "-LLL",
				 "-H",
				 sb.uri,
				 "-D",
				 (char *)who[i].dn,
				 "-w",
				 (char *)who[i].pw,
				 "-b",
				 dn_of("histuser"),
				 "-s",
				 "base",
				 "userPassword",
				 "pwdHistory",
				 "idmPasswordHistory",
				 "uid",
				 NULL };
		char *out = NULL;

		ck_assert_int_eq(run_cmd(argv, NULL, &out, NULL), 0);
		ck_assert_msg(strstr(out, "uid: histuser"), "%s cannot read the entry: %s",
			      who[i].dn, out);
		ck_assert_msg(!strstr(out, "userPassword") && !strstr(out, "pwdHistory"),
			      "%s reads password data:\n%s", who[i].dn, out);
		free(out);
	}
	free(pam);
}
END_TEST

/* Threat 1: "set a password that breaks their policy ... by the RFC 3062
 * password modify operation" (R-PW-1): ldappasswd -S "abc" is refused by
 * slapd with the engine's one message per rule; the old password still
 * logs in and "abc" does not.  Reuse and minimum age hold there too. */
START_TEST(password_modify_operation_is_checked)
{
	char *err = NULL;

	ck_assert_int_ne(as_user("mallory", "Mallory start pass 1", "ldappasswd", NULL, "abc", NULL,
				 &err),
			 0);
	ck_assert_msg(strstr(err, "The password must be at least 12 characters long (it has 3)."),
		      "%s", err);
	ck_assert_ptr_nonnull(strstr(err, "The password must mix at least 3 of these kinds"));
	free(err);
	ck_assert_int_eq(pam_login("mallory", "abc"), PAM_AUTH_ERR);
	ck_assert_int_eq(pam_login("mallory", "Mallory start pass 1"), PAM_SUCCESS);
	/* the current password is in the history of the free policy */
	ck_assert_int_ne(as_user("histuser", "History second pass 2", "ldappasswd", NULL,
				 "History second pass 2", NULL, &err),
			 0);
	ck_assert_msg(strstr(err, "old passwords"), "%s", err);
	free(err);
	/* min_age_days 1: "young" was set just now */
	ck_assert_int_ne(as_user("young", "Young start pass 1", "ldappasswd", NULL,
				 "Young second pass 2", NULL, &err),
			 0);
	ck_assert_msg(strstr(err, "too young"), "%s", err);
	free(err);
	ck_assert(binds("young", "Young start pass 1"));
}
END_TEST

/* Threat 1: "store a hash of a weaker scheme" (R-PW-5): {SSHA},
 * {CLEARTEXT}, and even {ARGON2} values a user sends are refused; the hash
 * stays the one slapd made. */
START_TEST(weaker_or_prehashed_values_are_refused)
{
	const char *pw = "Scheme start pass 1";
	char *before = admin_read("schemes", "userPassword"), *after, *argon = NULL, *weak = NULL;
	char *ssha = NULL;
	char *argv[] = { "/usr/sbin/slappasswd", "-h", "{SSHA}", "-s", "Scheme weak pass 22", NULL };
	struct idm_argon2_params low = { 4096, 1, 1 };

	ck_assert_int_eq(run_cmd(argv, NULL, &ssha, NULL), 0);
	ssha[strcspn(ssha, "\n")] = '\0';
	ck_assert_int_eq(idm_hash_password(&sb.cfg->argon2, "Scheme argon pass 33", 20, &argon),
			 IDM_OK);
	ck_assert_int_eq(idm_hash_password(&low, "Scheme low cost 44", 18, &weak), IDM_OK);
	ck_assert_int_ne(modify_as("schemes", pw, NULL, NULL,
				   "replace: userPassword\nuserPassword: %s\n", ssha),
			 0);
	ck_assert_int_ne(modify_as("schemes", pw, NULL, NULL,
				   "replace: userPassword\nuserPassword: {CLEARTEXT}Scheme clear 55x\n"),
			 0);
	ck_assert_int_ne(modify_as("schemes", pw, NULL, NULL,
				   "replace: userPassword\nuserPassword: %s\n", argon),
			 0);
	ck_assert_int_ne(modify_as("schemes", pw, NULL, NULL,
				   "replace: userPassword\nuserPassword: %s\n", weak),
			 0);
	after = admin_read("schemes", "userPassword");
	ck_assert_str_eq(after, before);
	ck_assert_int_eq(pam_login("schemes", pw), PAM_SUCCESS);
	ck_assert(!binds("schemes", "Scheme weak pass 22"));
	ck_assert(!binds("schemes", "Scheme clear 55x"));
	free(before);
	free(after);
	free(argon);
	free(weak);
	free(ssha);
}
END_TEST

/* Threat 1: "keep a second password" (R-PW-5): adding a second
 * userPassword value is refused (constraint overlay, count 1). */
START_TEST(second_password_value_is_refused)
{
	char *v;

	ck_assert_int_ne(modify_as("twice", "Twice start pass 1", NULL, NULL,
				   "add: userPassword\nuserPassword: Twice second pass 2\n"),
			 0);
	v = admin_read("twice", "userPassword");
	ck_assert_int_eq(lines(v), 1);
	free(v);
	ck_assert(!binds("twice", "Twice second pass 2"));
	ck_assert_int_eq(pam_login("twice", "Twice start pass 1"), PAM_SUCCESS);
	/* a change (delete old + add new, as ppolicy expects) keeps one value */
	ck_assert_int_eq(modify_as("twice", "Twice start pass 1", NULL, NULL,
				   "delete: userPassword\nuserPassword: Twice start pass 1\n-\n"
				   "add: userPassword\nuserPassword: Another third pass 3\n"),
			 0);
	v = admin_read("twice", "userPassword");
	ck_assert_int_eq(lines(v), 1);
	free(v);
	ck_assert(binds("twice", "Another third pass 3"));
}
END_TEST

/* R-PW-5: slapd hashes a user's cleartext with idmgr_argon2.so: Argon2id
 * with the configured costs, no stray bytes. */
START_TEST(stored_hash_is_argon2id_with_the_configured_costs)
{
	char *v, prefix[96];

	ck_assert_int_eq(as_user("histuser", "History second pass 2", "ldappasswd", NULL,
				 "History third pass 3", NULL, NULL),
			 0);
	v = admin_read("histuser", "userPassword");
	snprintf(prefix, sizeof(prefix), "{ARGON2}$argon2id$v=19$m=%u,t=%u,p=%u$",
		 sb.cfg->argon2.memory_kib, sb.cfg->argon2.iterations, sb.cfg->argon2.parallelism);
	ck_assert_msg(strncmp(v, prefix, strlen(prefix)) == 0, "%s", v);
	ck_assert_int_eq((int)strlen(v), (int)strcspn(v, "\n") + 1);
	free(v);
	ck_assert_int_eq(pam_login("histuser", "History third pass 3"), PAM_SUCCESS);
}
END_TEST

/* R-PW-1: the server's refusal is the engine's own words, one message per
 * broken rule, for a direct modify as for the PAM path. */
START_TEST(server_refuses_with_the_engines_messages)
{
	const char *cand = "hanako";
	struct idm_pw_facts f = { .uid = "samewords",
				  .given_name = "Hanako",
				  .surname = "Yamada",
				  .forced = true,
				  .now = time(NULL) };
	struct idm_violations local;
	char *err = NULL;

	ck_assert_int_eq(idm_policy_check(idm_config_policy(sb.cfg, "standard"), &sb.cfg->argon2,
					  &f, cand, strlen(cand), &local, NULL),
			 IDM_EPOLICY);
	ck_assert_int_ge((int)local.n, 3);
	ck_assert_int_ne(modify_as("samewords", "Same words start 1", NULL, &err,
				   "replace: userPassword\nuserPassword: %s\n", cand),
			 0);
	for (size_t i = 0; i < local.n; i++)
		ck_assert_msg(strstr(err, local.v[i].message), "missing \"%s\" in:\n%s",
			      local.v[i].message, err);
	free(err);
}
END_TEST

/* R-PRIV-4: the privileged policy is the server's too: a password good
 * enough for a standard ID is refused for a privileged one, directly. */
START_TEST(privileged_policy_holds_on_the_server)
{
	char *err = NULL;

	ck_assert_int_ne(as_user("privu", "Privileged start Pass 1", "ldappasswd", NULL,
				 "shorter pass 12", NULL, &err),
			 0);
	ck_assert_msg(strstr(err, "at least 16 characters"), "%s", err);
	ck_assert_ptr_nonnull(strstr(err, "at least 4 of these kinds"));
	free(err);
	ck_assert(binds("privu", "Privileged start Pass 1"));
}
END_TEST

/* Fail closed: a check module that cannot read its configuration refuses
 * every change, saying so; the old password stays. */
START_TEST(check_module_fails_closed)
{
	char *err = NULL;

	ck_assert_int_ne(as_user("brokenu", "Broken start pass 1", "ldappasswd", NULL,
				 "Broken good Passphrase 2026!", NULL, &err),
			 0);
	ck_assert_msg(strstr(err, "could not be checked against the password policy"), "%s", err);
	free(err);
	ck_assert(binds("brokenu", "Broken start pass 1"));
	ck_assert(!binds("brokenu", "Broken good Passphrase 2026!"));
}
END_TEST

/* Contract §6: a minimum-age refusal ends the PAM dialog at once: the new
 * password is asked for once, not retry times. */
START_TEST(min_age_refusal_ends_the_dialog)
{
	struct pam_script c = { .answers = { "Young start pass 1", "Young second pass 2",
					     "Young second pass 2", "Young third pass 3",
					     "Young third pass 3" } };
	struct pam_conv pc = { pam_script_conv, &c };
	pam_handle_t *pamh = NULL;

	ck_assert_int_eq(pam_start("idmgr", "young", &pc, &pamh), PAM_SUCCESS);
	ck_assert_int_eq(pam_chauthtok(pamh, PAM_CHANGE_EXPIRED_AUTHTOK), PAM_AUTHTOK_ERR);
	pam_end(pamh, PAM_SUCCESS);
	ck_assert_msg(c.next == 3, "asked %zu times:\n%s", c.next, c.shown);
	ck_assert_ptr_nonnull(strstr(c.shown, "changed again"));
	ck_assert(binds("young", "Young start pass 1"));
}
END_TEST

/* R-PW-2: "idmgr user expire-password" sets the server's pwdReset: a
 * direct bind is told "must change", the next login demands it, and the
 * user's own change (as slapd accepts it) lifts it. */
START_TEST(expire_password_is_enforced_by_the_server)
{
	const char *bin = getenv("IDMGR_BIN");
	char pwf[700], *out = NULL, *err = NULL, *officer;
	char *argv[] = { (char *)bin, "-c",       sb.conf,
			 "-u",        "watanabe", "--password-file",
			 pwf,         "user",     "expire-password",
			 "expireme",  NULL };
	char *who[] = {
		"/usr/bin/ldapwhoami", "-x", "-H",      sb.uri, "-D", dn_of("expireme"), "-w",
		"Expire me start 1",   "-e", "ppolicy", NULL
	};
	struct idm_violations v;

	officer = sandbox_officer_ready_password(&sb, "watanabe");
	snprintf(pwf, sizeof(pwf), "%s/watanabe.pwfile", sb.dir);
	write_file(pwf, officer, 0600);
	ck_assert_msg(run_cmd(argv, NULL, &out, &err) == 0, "%s%s", out, err);
	free(out);
	free(err);
	ck_assert_int_eq(run_cmd(who, NULL, &out, &err), 0);
	ck_assert_msg(strstr(err, "Password must be changed") || strstr(out, "must be changed"),
		      "%s%s", out, err);
	free(out);
	free(err);
	ck_assert_int_eq(pam_login("expireme", "Expire me start 1"), PAM_NEW_AUTHTOK_REQD);
	ck_assert_int_ne(modify_as("expireme", "Expire me start 1", NULL, NULL, "delete: pwdReset\n"),
			 0);
	ck_assert_int_eq(idm_password_change(sb.cfg, NULL, "expireme", "Expire me start 1",
					     "Expire me second 2", 18, &v),
			 IDM_OK);
	ck_assert_int_eq(pam_login("expireme", "Expire me second 2"), PAM_SUCCESS);
	free(officer);
}
END_TEST

/* Fail closed at start: idmgr_argon2.so refuses missing, repeated or
 * out-of-range costs, and slapd then refuses its configuration. */
START_TEST(hash_module_refuses_bad_arguments)
{
	const char *dir = getenv("IDMGR_SLAPD_MODULEDIR");
	const char *args[] = { "m=19456 t=2 p=1", "m=19456 t=2",     "m=19456 t=2 p=1 p=1",
			       "m=4 t=2 p=1",     "m=19456 t=0 p=1", "m=19456 t=2 p=1 x=3",
			       "m=19456k t=2 p=1" };

	ck_assert_ptr_nonnull(dir);
	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		char conf[800], text[1200], *out = NULL, *err = NULL;
		char *argv[] = { "/usr/sbin/slaptest", "-u", "-f", conf, NULL };
		int st;

		snprintf(conf, sizeof(conf), "%s/modtest.conf", sb.dir);
		snprintf(text, sizeof(text),
			 "include /etc/ldap/schema/core.schema\nmodulepath %s\n"
			 "moduleload idmgr_argon2.so %s\npassword-hash {ARGON2}\n",
			 dir, args[i]);
		write_file(conf, text, 0600);
		st = run_cmd(argv, NULL, &out, &err);
		if (i == 0)
			ck_assert_msg(st == 0, "%s: %s%s", args[i], out, err);
		else
			ck_assert_msg(st != 0, "slapd accepted \"%s\"", args[i]);
		free(out);
		free(err);
	}
}
END_TEST

/* Contract §6: a refusal only the server can make (the history is slapd's
 * alone) reaches the PAM dialog as one sentence, and the dialog asks again. */
START_TEST(pam_dialog_shows_the_servers_refusal)
{
	struct pam_script c = { .answers = { "History third pass 3", "History second pass 2",
					     "History second pass 2", "History fourth pass 4",
					     "History fourth pass 4" } };
	struct pam_conv pc = { pam_script_conv, &c };
	pam_handle_t *pamh = NULL;

	ck_assert_int_eq(pam_start("idmgr", "histuser", &pc, &pamh), PAM_SUCCESS);
	ck_assert_int_eq(pam_chauthtok(pamh, PAM_CHANGE_EXPIRED_AUTHTOK), PAM_SUCCESS);
	pam_end(pamh, PAM_SUCCESS);
	ck_assert_msg(strstr(c.shown, "The password must not be one you used before: not your "
				      "current password nor one of your 3 previous ones."),
		      "%s", c.shown);
	ck_assert(binds("histuser", "History fourth pass 4"));
}
END_TEST

static Suite *server_password_suite(void)
{
	Suite *s = suite_create("server_password");
	TCase *tc = tcase_create("threat1");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, user_cannot_skip_a_forced_change);
	tcase_add_test(tc, user_cannot_choose_a_policy);
	tcase_add_test(tc, user_cannot_backdate_age_or_delete_history);
	tcase_add_test(tc, nobody_reads_hashes_or_history);
	tcase_add_test(tc, password_modify_operation_is_checked);
	tcase_add_test(tc, weaker_or_prehashed_values_are_refused);
	tcase_add_test(tc, second_password_value_is_refused);
	tcase_add_test(tc, stored_hash_is_argon2id_with_the_configured_costs);
	tcase_add_test(tc, server_refuses_with_the_engines_messages);
	tcase_add_test(tc, privileged_policy_holds_on_the_server);
	tcase_add_test(tc, check_module_fails_closed);
	tcase_add_test(tc, min_age_refusal_ends_the_dialog);
	tcase_add_test(tc, expire_password_is_enforced_by_the_server);
	tcase_add_test(tc, hash_module_refuses_bad_arguments);
	tcase_add_test(tc, pam_dialog_shows_the_servers_refusal);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	self_argv = argv;
	return fx_run(server_password_suite(), NULL);
}
