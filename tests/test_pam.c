/* PAM module tests through real libpam (pam_wrapper's service folder and
 * libpamtest) against a real slapd (contract §6, R-LOGIN-2, R-PW-4). */
#include "config.h"

#include <argon2.h>
#include <pthread.h>
#include <check.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libpamtest.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"
#include "harness.h"
#include "idm_account.h"
#include "idm_dir.h"
#include "idm_error.h"
#include "idm_lockout.h"
#include "idm_login.h"
#include "idm_mods.h"
#include "idm_passhash.h"
#include "idm_password.h"
#include "idm_time.h"

static struct sandbox sb;
enum { THREADS = 8, LOGINS = 50 }; /* threaded_logins_all_correct */
static char **self_argv;

/* A conversation that answers password prompts from a list and records
 * every message the module shows. */
/* Runs one PAM operation for user on service; returns its PAM code. */
static int pam_op(const char *service, const char *user, enum pamtest_ops op, struct pam_script *c)
{
	struct pam_testcase tests[] = { pam_test(op, PAM_SUCCESS) };
	/* Called directly: libpamtest 1.1.4's run_pamtest_conv macro has a
	 * misplaced parenthesis. */
	enum pamtest_err e = _pamtest_conv(service, user, pam_script_conv, c, tests, 1, NULL);

	ck_assert_msg(e == PAMTEST_ERR_OK || e == PAMTEST_ERR_CASE, "libpamtest failed: %d", e);
	return tests[0].op_rv;
}

static void base64(const char *in, size_t n, char *out, size_t size)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t k = 0;

	for (size_t i = 0; i < n && k + 5 < size; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[k++] = tab[v >> 18 & 63];
		out[k++] = tab[v >> 12 & 63];
		out[k++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[k++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[k] = '\0';
}

static int auth(const char *user, const char *password, struct pam_script *c)
{
	memset(c, 0, sizeof(*c));
	c->answers[0] = password;
	return pam_op("idmgr", user, PAMTEST_AUTHENTICATE, c);
}

static int account(const char *user, struct pam_script *c)
{
	memset(c, 0, sizeof(*c));
	return pam_op("idmgr", user, PAMTEST_ACCOUNT, c);
}

/* Adds a managed account with password pw and extra LDIF lines; its
 * password was set now unless extra says when. */
static void add_account_hashed(const char *uid, const char *pw, const char *extra,
			       const struct idm_argon2_params *cost)
{
	char ldif[4096], *hash = NULL, now[IDM_GENTIME_LEN], changed[64] = "", policy[128];
	static int next = 30000;

	ck_assert_int_eq(idm_hash_password(cost, pw, strlen(pw), &hash), IDM_OK);
	if (!strstr(extra, "pwdChangedTime")) {
		idm_time_format(time(NULL), now);
		snprintf(changed, sizeof(changed), "pwdChangedTime: %s\n", now);
	}
	snprintf(ldif, sizeof(ldif),
		 "dn: uid=%s,ou=people,dc=example,dc=org\n"
		 "objectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: idmAccount\n"
		 "uid: %s\ncn: %s\nsn: %s\nuidNumber: %d\ngidNumber: 10000\n"
		 "homeDirectory: /home/%s\nuserPassword: %s\n%s%s%s",
		 uid, uid, uid, uid, next++, uid, hash, changed,
		 strstr(extra, "pwdPolicySubentry")
			 ? ""
			 : sandbox_policy_line(extra, policy, sizeof(policy)),
		 extra);
	ck_assert_int_eq(sandbox_ldapadd(&sb, ldif), 0);
	free(hash);
}

static void add_account(const char *uid, const char *pw, const char *extra)
{
	add_account_hashed(uid, pw, extra, &sb.cfg->argon2);
}

/* The threaded test is about concurrency, not Argon2: its service uses,
 * and its accounts are hashed with, the smallest costs. */
static const struct idm_argon2_params cheap = { 64, 1, 1 };

/* Test policies, appended to the sandbox configuration before the PAM
 * service reads it. */
static const char test_policies[] =
	"policy quick { lockout_threshold = 2  lockout_window = 60  lockout_duration = 2 }\n"
	"policy counted { max_logins = 2 }\n"
	"policy roomy { lockout_threshold = 100  lockout_window = 1  lockout_duration = 1 }\n";

static void prepare(struct sandbox *s)
{
	char conf[700], uris[300], *text, *grown;

	sandbox_add_config(s, test_policies);
	snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%d/", closed_port());
	sandbox_config_variant(s, "down.conf", uris, 1, conf, sizeof(conf));
	sandbox_pam_service(s, "idmgr-down", conf, "");
	snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%d/ %s", closed_port(), s->uri);
	sandbox_config_variant(s, "failover.conf", uris, 2, conf, sizeof(conf));
	sandbox_pam_service(s, "idmgr-failover", conf, "");
	text = slurp(s->conf);
	grown = strstr(text, "memory_kib = 19456  iterations = 2");
	ck_assert_ptr_nonnull(grown);
	memcpy(grown, "memory_kib =    64  iterations = 1", 34);
	snprintf(conf, sizeof(conf), "%s/threads.conf", s->dir);
	write_file(conf, text, 0600);
	free(text);
	sandbox_pam_service(s, "idmgr-threads", conf, "");
}

/* The account as the directory administrator sees it. */
static struct idm_account *read_account(const char *uid)
{
	struct idm_dir *d = NULL;
	struct idm_account *a = NULL;

	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	ck_assert_int_eq(idm_account_lookup(d, sb.cfg, uid, &a), IDM_OK);
	idm_dir_close(d);
	return a;
}

/* What an operator's unlock does (idmgr user unlock calls the same). */
static void operator_unlock(const char *uid)
{
	struct idm_dir *d = NULL;
	struct idm_account *a = read_account(uid);

	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	ck_assert_int_eq(idm_lockout_unlock(d, a->dn), IDM_OK);
	idm_dir_close(d);
	idm_account_free(a);
}

static char *days_ago(int days, char buf[IDM_GENTIME_LEN])
{
	idm_time_format(idm_time_add_days(time(NULL), -days), buf);
	return buf;
}

/* A whole login through real libpam, as sshd or login drive it: auth,
 * account, open and close session, with a remote host.  Returns the first
 * code that is not PAM_SUCCESS (or PAM_SUCCESS) and what was shown. */
static int full_login(const char *user, const char *password, const char *rhost,
		      struct pam_script *c)
{
	struct pam_conv pc = { pam_script_conv, c };
	pam_handle_t *pamh = NULL;
	int r;

	memset(c, 0, sizeof(*c));
	c->answers[0] = password;
	r = pam_start("idmgr", user, &pc, &pamh);
	ck_assert_int_eq(r, PAM_SUCCESS);
	pam_set_item(pamh, PAM_RHOST, rhost);
	r = pam_authenticate(pamh, 0);
	if (r == PAM_SUCCESS)
		r = pam_acct_mgmt(pamh, 0);
	if (r == PAM_SUCCESS)
		r = pam_open_session(pamh, 0);
	if (r == PAM_SUCCESS)
		r = pam_close_session(pamh, 0);
	pam_end(pamh, r);
	return r;
}

/* An account whose userPassword is the base64 value b64, as stored. */
static void add_hashed_account(const char *uid, int number, const char *b64, const char *changed)
{
	char ldif[1024];

	snprintf(ldif, sizeof(ldif),
		 "dn: uid=%s,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\n"
		 "objectClass: posixAccount\nobjectClass: idmAccount\nuid: %s\ncn: %s\nsn: %s\n"
		 "uidNumber: %d\ngidNumber: 10000\nhomeDirectory: /home/%s\nidmStatus: active\n"
		 "userPassword:: %s\npwdChangedTime: %s\n",
		 uid, uid, uid, uid, number, uid, b64, changed);
	ck_assert_int_eq(sandbox_ldapadd(&sb, ldif), 0);
}

static void setup(void)
{
	char t[IDM_GENTIME_LEN], extra[256];

	sandbox_start_for_pam(&sb, self_argv, prepare);
	/* A server policy that makes the server itself demand a change. */
	ck_assert_int_eq(sandbox_ldapadd(&sb,
					 "dn: cn=reset,ou=policies,dc=example,dc=org\n"
					 "objectClass: device\nobjectClass: pwdPolicy\ncn: reset\n"
					 "pwdAttribute: userPassword\npwdMustChange: TRUE\n"),
			 0);
	add_account("lock5", "Lock five passphrase", "idmStatus: active\n");
	add_account("lockop", "Operator unlock passphrase", "idmStatus: active\n");
	add_account("quick1", "Quick policy passphrase", "idmStatus: active\nidmPolicy: quick\n");
	add_account("priv1", "Privileged passphrase 16", "idmStatus: active\nidmPrivileged: TRUE\n");
	add_account("privd", "Privileged direct pass 16",
		    "idmStatus: active\nidmPrivileged: TRUE\n");
	add_account("privok", "Privileged rightful 16", "idmStatus: active\nidmPrivileged: TRUE\n");
	add_account("std3", "Standard three passphrase", "idmStatus: active\n");
	add_account("hard", "Hard limit passphrase",
		    "idmStatus: active\nidmPolicy: roomy\n"
		    "idmFailureCount: 100\n");
	snprintf(extra, sizeof(extra), "idmStatus: active\npwdChangedTime: %s\n", days_ago(200, t));
	add_account("old", "Old password passphrase", extra);
	snprintf(extra, sizeof(extra), "idmStatus: active\npwdChangedTime: %s\n", days_ago(170, t));
	add_account("soon", "Soon expiring passphrase", extra);
	/* changed yesterday: logins in the second of the change count for the
	 * password before it (idm_account_logins_since()) */
	snprintf(extra, sizeof(extra),
		 "idmStatus: active\nidmPolicy: counted\npwdChangedTime: %s\n", days_ago(1, t));
	add_account("counted", "Counted logins passphrase", extra);
	add_account("firstchange", "First change temporary 1",
		    "idmStatus: active\npwdReset: TRUE\n");
	add_account("counted2", "Counted again passphrase", extra);
	add_account("counted3", "Counted third passphrase", extra);
	add_account("cron1", "Cron user passphrase", "idmStatus: active\n");
	add_account("sess1", "Session user passphrase", "idmStatus: active\n");
	add_account("conc", "Concurrent target passphrase", "idmStatus: active\n");
	snprintf(extra, sizeof(extra), "idmStatus: active\nidmLockedTime: %s\n", days_ago(0, t));
	add_account("lockedt", "Locked timing passphrase", extra);
	add_account("direct", "Direct binder passphrase", "idmStatus: active\n");
	add_account("resetme", "Reset by server passphrase",
		    "idmStatus: active\npwdPolicySubentry: cn=reset,ou=policies,dc=example,dc=org\n"
		    "pwdReset: TRUE\n");
	{
		char enc[256], raw[300], b64[420];
		const char *pw = "Argon2i era passphrase";
		const unsigned char salt[16] = "0123456789abcdef";
		size_t n;

		ck_assert_int_eq(argon2i_hash_encoded(3, 4096, 1, pw, strlen(pw), salt, 16, 32, enc,
						      sizeof(enc)),
				 ARGON2_OK);
		/* as an older release wrote it, and as Debian's argon2.so
		 * (2.5.13) does: argon2i, a NUL and a stray byte after the
		 * string (ITS#9827) */
		n = (size_t)snprintf(raw, sizeof(raw), "{ARGON2}%s", enc);
		base64(raw, n, b64, sizeof(b64));
		add_hashed_account("oldhash", 39999, b64, days_ago(2, t));
		raw[n++] = '\0';
		raw[n++] = 'Q';
		base64(raw, n, b64, sizeof(b64));
		add_hashed_account("straybytes", 39998, b64, days_ago(2, t));
	}
	add_account("alice", "Alice's long passphrase 1", "idmStatus: active\n");
	add_account("hostlock", "Host lock passphrase 1", "idmStatus: active\n");
	add_account("hardmark", "Hard mark passphrase 1",
		    "idmStatus: active\nidmHardLockTime: 20261101000000Z\n");
	add_account("roomy100", "Roomy hundred passphrase", "idmStatus: active\nidmPolicy: roomy\n");
	add_account("susp", "Suspended passphrase 2", "idmStatus: suspended\n");
	add_account("gone", "Retired passphrase 3", "idmStatus: retired\n");
	add_account("temp", "Fixed-term passphrase 4",
		    "idmStatus: active\nidmValidUntil: 20200101000000Z\n");
	add_account("rhost1", "Remote host passphrase", "idmStatus: active\n");
	add_account("rhost2", "Second host passphrase", "idmStatus: active\n");
	for (int i = 0; i < THREADS; i++) {
		char uid[16], pw[64];
		snprintf(uid, sizeof(uid), "thr%d", i);
		snprintf(pw, sizeof(pw), "Thread %d passphrase", i);
		add_account_hashed(uid, pw, "idmStatus: active\n", &cheap);
	}
}

static void teardown(void)
{
	sandbox_stop(&sb);
}

/* A sample officer logs in with the temporary password from idmgr init:
 * auth succeeds, and the account phase demands a new password (R-PW-4). */
START_TEST(temporary_password_must_change)
{
	struct pam_script c;
	char *pw = sandbox_officer_password(&sb, "sato");

	ck_assert_int_eq(auth("sato", pw, &c), PAM_SUCCESS);
	ck_assert_int_eq(account("sato", &c), PAM_NEW_AUTHTOK_REQD);
	ck_assert_ptr_nonnull(strstr(c.shown, "You must change your password now."));
	free(pw);
}
END_TEST

START_TEST(right_password_active_account)
{
	struct pam_script c;

	ck_assert_int_eq(auth("alice", "Alice's long passphrase 1", &c), PAM_SUCCESS);
	ck_assert_int_eq(account("alice", &c), PAM_SUCCESS);
}
END_TEST

/* Wrong password and unknown user: PAM_AUTH_ERR and PAM_USER_UNKNOWN, and
 * the module shows the user nothing that tells them apart. */
START_TEST(wrong_password_and_unknown_user_look_alike)
{
	struct pam_script wrong, unknown, locked;

	ck_assert_int_eq(auth("alice", "not her passphrase", &wrong), PAM_AUTH_ERR);
	ck_assert_int_eq(auth("nobody-here", "not her passphrase", &unknown), PAM_USER_UNKNOWN);
	ck_assert_int_eq(auth("lockedt", "not her passphrase", &locked), PAM_AUTH_ERR);
	ck_assert_str_eq(wrong.shown, unknown.shown);
	ck_assert_str_eq(wrong.shown, locked.shown);
}
END_TEST

/* How often needle occurs in the sandbox slapd's log (loglevel stats, set
 * in main), after a pause that lets slapd write what it has done. */
static long slapd_log_count(const char *needle)
{
	char path[700], *text;
	long n = 0;

	usleep(300000);
	snprintf(path, sizeof(path), "%s/slapd.log", sb.dir);
	text = slurp(path);
	ck_assert_ptr_nonnull(text);
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(text);
	return n;
}

/* RFC 4513 unauthenticated bind (R-LOGIN-2): an empty password is refused
 * by the module itself, before any directory call -- slapd's own log shows
 * no connection and no bind for it (the core's connection code refuses an
 * empty password too, so only the log tells whether the module's guard
 * held).  A wrong password's bind does show: the count works. */
START_TEST(empty_password_refused)
{
	struct pam_script c;
	long conns = slapd_log_count(" ACCEPT from "), binds = slapd_log_count(" BIND dn=");
	long alice = slapd_log_count(" BIND dn=\"uid=alice,");

	ck_assert_int_gt(conns, 0);
	ck_assert_int_eq(auth("alice", "", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(slapd_log_count(" ACCEPT from "), conns);
	ck_assert_int_eq(slapd_log_count(" BIND dn="), binds);
	ck_assert_int_eq(auth("alice", "not her passphrase", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(slapd_log_count(" BIND dn=\"uid=alice,"), alice + 1);
	ck_assert_int_eq(auth("alice", "Alice's long passphrase 1", &c), PAM_SUCCESS);
}
END_TEST

/* Filter metacharacters in the user name never reach the directory. */
START_TEST(metacharacter_user_is_unknown)
{
	struct pam_script c;

	ck_assert_int_eq(auth("*", "Alice's long passphrase 1", &c), PAM_USER_UNKNOWN);
	ck_assert_int_eq(auth("a*)(uid=*", "Alice's long passphrase 1", &c), PAM_USER_UNKNOWN);
	ck_assert_int_eq(auth("alice)(uid=*", "Alice's long passphrase 1", &c), PAM_USER_UNKNOWN);
}
END_TEST

/* Suspended and retired accounts are refused with the right password, in
 * auth and in account (R-VIO-1, R-REG-2). */
START_TEST(suspended_and_retired_refused)
{
	struct pam_script c;

	ck_assert_int_eq(auth("susp", "Suspended passphrase 2", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(account("susp", &c), PAM_PERM_DENIED);
	ck_assert_str_eq(c.shown, "Your account is suspended; ask your security officer.\n");
	ck_assert_int_eq(auth("gone", "Retired passphrase 3", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(account("gone", &c), PAM_PERM_DENIED);
	ck_assert_str_eq(c.shown, "Your account is retired.\n");
}
END_TEST

START_TEST(past_valid_until_expired)
{
	struct pam_script c;

	ck_assert_int_eq(auth("temp", "Fixed-term passphrase 4", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(account("temp", &c), PAM_ACCT_EXPIRED);
	ck_assert_str_eq(c.shown, "Your account has expired; ask your security officer.\n");
}
END_TEST

/* No directory server: PAM_AUTHINFO_UNAVAIL in both phases (fail closed,
 * and a stack can fall through to local accounts). */
START_TEST(directory_down_is_authinfo_unavail)
{
	struct pam_script c;

	memset(&c, 0, sizeof(c));
	c.answers[0] = "Alice's long passphrase 1";
	ck_assert_int_eq(pam_op("idmgr-down", "alice", PAMTEST_AUTHENTICATE, &c),
			 PAM_AUTHINFO_UNAVAIL);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(pam_op("idmgr-down", "alice", PAMTEST_ACCOUNT, &c), PAM_AUTHINFO_UNAVAIL);
}
END_TEST

/* Lockout (contract §6): after lockout_threshold failures even the right
 * password is refused, in auth and account. */
START_TEST(locked_after_threshold)
{
	struct pam_script c;
	struct idm_account *a;

	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(auth("lock5", "wrong guess", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(auth("lock5", "Lock five passphrase", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(account("lock5", &c), PAM_PERM_DENIED);
	ck_assert_msg(strncmp(c.shown, "Your account is locked after too many failed logins until ",
			      58) == 0 &&
			      strchr(c.shown, '\n') == strrchr(c.shown, '\n'),
		      "%s", c.shown);
	a = read_account("lock5");
	ck_assert_int_ne(a->locked_time, 0);
	ck_assert_int_eq(a->failure_count, 6); /* the refused right password counts too */
	idm_account_free(a);
}
END_TEST

START_TEST(unlocked_after_duration)
{
	struct pam_script c;

	ck_assert_int_eq(auth("quick1", "wrong guess", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(auth("quick1", "wrong guess", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(auth("quick1", "Quick policy passphrase", &c), PAM_AUTH_ERR);
	sleep(3); /* lockout_duration = 2 */
	ck_assert_int_eq(auth("quick1", "Quick policy passphrase", &c), PAM_SUCCESS);
	ck_assert_int_eq(account("quick1", &c), PAM_SUCCESS);
}
END_TEST

START_TEST(unlocked_by_operator)
{
	struct pam_script c;
	struct idm_account *a;

	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(auth("lockop", "wrong guess", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(auth("lockop", "Operator unlock passphrase", &c), PAM_AUTH_ERR);
	operator_unlock("lockop");
	ck_assert_int_eq(auth("lockop", "Operator unlock passphrase", &c), PAM_SUCCESS);
	a = read_account("lockop");
	ck_assert_int_eq(a->locked_time, 0);
	ck_assert_int_eq(a->failure_count, 0);
	idm_account_free(a);
}
END_TEST

/* R-PRIV-4: the privileged class locks at its lower threshold (3). */
START_TEST(privileged_locks_at_lower_threshold)
{
	struct pam_script c;

	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(auth("priv1", "wrong guess", &c), PAM_AUTH_ERR);
		ck_assert_int_eq(auth("std3", "wrong guess", &c), PAM_AUTH_ERR);
	}
	ck_assert_int_eq(auth("priv1", "Privileged passphrase 16", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(account("priv1", &c), PAM_PERM_DENIED);
	ck_assert_str_eq(c.shown, "Your account is locked after too many failed logins; an officer "
				  "must unlock it.\n");
	ck_assert_int_eq(auth("std3", "Standard three passphrase", &c), PAM_SUCCESS);
}
END_TEST

/* NIST SP 800-63B: after 100 consecutive failures no timer unlocks. */
START_TEST(hard_limit_needs_an_operator)
{
	struct pam_script c;

	ck_assert_int_eq(auth("hard", "Hard limit passphrase", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(account("hard", &c), PAM_PERM_DENIED);
	ck_assert_str_eq(c.shown,
			 "Your account is locked after 100 failed logins; an officer must unlock it.\n");
	operator_unlock("hard");
	ck_assert_int_eq(auth("hard", "Hard limit passphrase", &c), PAM_SUCCESS);
}
END_TEST

/* R-PW-3: older than max_age_days (180) demands a change; warn_days (14)
 * ahead the user is told how many days are left. */
START_TEST(expired_password_and_warning)
{
	struct pam_script c;

	ck_assert_int_eq(auth("old", "Old password passphrase", &c), PAM_SUCCESS);
	ck_assert_int_eq(account("old", &c), PAM_NEW_AUTHTOK_REQD);
	ck_assert_ptr_nonnull(strstr(c.shown, "Your password has expired. You must change it now."));
	ck_assert_int_eq(account("soon", &c), PAM_SUCCESS);
	ck_assert_ptr_nonnull(strstr(c.shown, "Your password will expire in 10 day(s)."));
}
END_TEST

/* R-PW-3 "or after a number of uses": max_logins = 2. */
START_TEST(max_logins_demands_change)
{
	struct pam_script c;

	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(auth("counted", "Counted logins passphrase", &c), PAM_SUCCESS);
		ck_assert_int_eq(account("counted", &c), PAM_SUCCESS);
	}
	ck_assert_int_eq(auth("counted", "Counted logins passphrase", &c), PAM_SUCCESS);
	ck_assert_int_eq(account("counted", &c), PAM_NEW_AUTHTOK_REQD);
	ck_assert_ptr_nonnull(strstr(c.shown, "allowed number of logins"));
}
END_TEST

/* linux-pam #842: the account phase alone (cron, sudo) never clears. */
START_TEST(account_phase_never_clears_failures)
{
	struct pam_script c;
	struct idm_account *a;

	ck_assert_int_eq(auth("cron1", "wrong guess", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(auth("cron1", "wrong guess", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(account("cron1", &c), PAM_SUCCESS);
	a = read_account("cron1");
	ck_assert_int_eq(a->failure_count, 2);
	idm_account_free(a);
}
END_TEST

/* R-LOGIN-1: banner, last login and logout, failures since. */
START_TEST(session_shows_last_login)
{
	struct pam_script c;
	struct idm_account *a;

	ck_assert_int_eq(auth("sess1", "wrong guess", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(auth("sess1", "wrong guess", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(full_login("sess1", "Session user passphrase", "ws1.example.org", &c),
			 PAM_SUCCESS);
	ck_assert_ptr_nonnull(strstr(c.shown, "Authorised use only. Activity is recorded."));
	ck_assert_ptr_nonnull(strstr(c.shown, "First login; 2 failed login attempt(s) before it"));
	ck_assert_int_eq(auth("sess1", "wrong guess", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(full_login("sess1", "Session user passphrase", "ws2.example.org", &c),
			 PAM_SUCCESS);
	ck_assert_ptr_nonnull(strstr(c.shown, "from ws1.example.org, last logout: "));
	ck_assert_msg(strstr(c.shown, "; 1 failed login attempt(s) since") != NULL, "shown: %s",
		      c.shown);
	a = read_account("sess1");
	ck_assert_str_eq(a->last_host, "ws2.example.org");
	ck_assert_int_ne(a->last_logout, 0);
	idm_account_free(a);
}
END_TEST

/* PAM_RHOST is chosen by the client (sshd passes the name its peer's
 * address resolves to).  A non-ASCII or overlong one never fails the right
 * password and never counts as a failure (six such logins once locked the
 * account: the directory refused the value, so the login failed after its
 * attempt was counted); it is stored in a printable form, non-ASCII bytes
 * and '\' as \xHH, at most 256 characters. */
START_TEST(client_chosen_rhost_never_costs_a_lock)
{
	struct pam_script c;
	struct idm_account *a;
	char longhost[320];

	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(full_login("rhost1", "Remote host passphrase",
					    "w\xc3\xb6rk.example.org", &c),
				 PAM_SUCCESS);
	a = read_account("rhost1");
	ck_assert_int_eq(a->failure_count, 0);
	ck_assert_int_eq(a->locked_time, 0);
	ck_assert_str_eq(a->last_host, "w\\xc3\\xb6rk.example.org");
	idm_account_free(a);
	memset(longhost, 'h', sizeof(longhost) - 1);
	longhost[sizeof(longhost) - 1] = '\0';
	longhost[253] = '\\'; /* its \\x5c would end past 256 */
	ck_assert_int_eq(full_login("rhost1", "Remote host passphrase", longhost, &c), PAM_SUCCESS);
	a = read_account("rhost1");
	ck_assert_uint_eq(strlen(a->last_host), 253); /* no escape cut in half */
	ck_assert_int_eq(a->failure_count, 0);
	idm_account_free(a);
}
END_TEST

/* Escape sequences in PAM_RHOST never reach a terminal: stored escaped,
 * and a raw value already in the directory (written before this version,
 * or around idmgr) is shown escaped in the last-login message. */
START_TEST(rhost_escape_sequences_shown_escaped)
{
	struct pam_script c;
	struct idm_account *a;

	ck_assert_int_eq(full_login("rhost2", "Second host passphrase", "evil\x1b[2J\aX", &c),
			 PAM_SUCCESS);
	a = read_account("rhost2");
	ck_assert_str_eq(a->last_host, "evil\\x1b[2J\\x07X");
	idm_account_free(a);
	ck_assert_int_eq(full_login("rhost2", "Second host passphrase", "ws.example.org", &c),
			 PAM_SUCCESS);
	ck_assert_ptr_nonnull(strstr(c.shown, "from evil\\x1b[2J\\x07X, last logout"));
	ck_assert_ptr_null(strchr(c.shown, '\x1b'));
	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: uid=rhost2,ou=people,dc=example,dc=org\n"
						 "changetype: modify\nreplace: idmLastLoginHost\n"
						 "idmLastLoginHost:: cmF3G10wO3B3bmVkBw==\n"),
			 0); /* "raw" ESC "]0;pwned" BEL: a terminal title */
	ck_assert_int_eq(full_login("rhost2", "Second host passphrase", "ws.example.org", &c),
			 PAM_SUCCESS);
	ck_assert_ptr_nonnull(strstr(c.shown, "from raw\\x1b]0;pwned\\x07, last logout"));
	ck_assert_ptr_null(strchr(c.shown, '\x1b'));
	ck_assert_ptr_null(strchr(c.shown, '\a'));
}
END_TEST

/* First URI dead, second alive: the login succeeds. */
START_TEST(failover_login)
{
	struct pam_script c;

	memset(&c, 0, sizeof(c));
	c.answers[0] = "Alice's long passphrase 1";
	ck_assert_int_eq(pam_op("idmgr-failover", "alice", PAMTEST_AUTHENTICATE, &c), PAM_SUCCESS);
}
END_TEST

/* Concurrent wrong attempts from several processes: every failure is
 * counted, at most lockout_threshold (5) are checked against the password,
 * and the right password is refused after. */
START_TEST(concurrent_attempts_never_exceed_threshold)
{
	enum { N = 16 };
	int go[2], checked = 0, refused = 0;
	pid_t pids[N];
	struct idm_account *a;
	struct pam_script c;
	char b;

	ck_assert_int_eq(pipe(go), 0);
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			struct idm_auth_result res;
			close(go[1]);
			if (read(go[0], &b, 1) < 0)
				_exit(90);
			idm_login_authenticate(sb.cfg, NULL, "conc", "wrong guess", NULL, &res);
			_exit(res.reason == IDM_AUTH_WRONG_PASSWORD ? 10
			      : res.reason == IDM_AUTH_LOCKED       ? 11
								    : 12);
		}
	}
	close(go[0]);
	close(go[1]); /* all children start at once */
	for (int i = 0; i < N; i++) {
		int status;
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status));
		ck_assert_int_ne(WEXITSTATUS(status), 12);
		checked += WEXITSTATUS(status) == 10;
		refused += WEXITSTATUS(status) == 11;
	}
	ck_assert_int_le(checked, 5);
	ck_assert_int_eq(checked + refused, N);
	a = read_account("conc");
	ck_assert_int_eq(a->failure_count, N);
	ck_assert_int_ne(a->locked_time, 0);
	idm_account_free(a);
	ck_assert_int_eq(auth("conc", "Concurrent target passphrase", &c), PAM_AUTH_ERR);
}
END_TEST

/* A PAM application that authenticates from several threads at once (a
 * threaded server): 8 threads x 50 whole logins through real libpam, each
 * thread as its own user, one in five with a wrong password.  No crash and
 * every answer right (libconfuse's scanner is process-global: the module
 * serialises its configuration loads). */
struct login_thread {
	char user[16], password[64];
	int wrong_refused, right_accepted, unexpected;
};

static int thread_login(const char *user, const char *password)
{
	struct pam_script c;
	struct pam_conv pc = { pam_script_conv, &c };
	pam_handle_t *pamh = NULL;
	int r;

	memset(&c, 0, sizeof(c));
	c.answers[0] = password;
	if (pam_start("idmgr-threads", user, &pc, &pamh) != PAM_SUCCESS)
		return -1;
	r = pam_authenticate(pamh, 0);
	if (r == PAM_SUCCESS)
		r = pam_acct_mgmt(pamh, 0);
	pam_end(pamh, r);
	return r;
}

static void *login_loop(void *arg)
{
	struct login_thread *t = arg;

	for (int i = 0; i < LOGINS; i++) {
		bool wrong = i % 5 == 2; /* the last (i = 49) is right */
		int r = thread_login(t->user, wrong ? "not the passphrase" : t->password);
		if (wrong && r == PAM_AUTH_ERR)
			t->wrong_refused++;
		else if (!wrong && r == PAM_SUCCESS)
			t->right_accepted++;
		else
			t->unexpected++;
	}
	return NULL;
}

START_TEST(threaded_logins_all_correct)
{
	struct login_thread t[THREADS];
	pthread_t tid[THREADS];

	memset(t, 0, sizeof(t));
	for (int i = 0; i < THREADS; i++) {
		snprintf(t[i].user, sizeof(t[i].user), "thr%d", i);
		snprintf(t[i].password, sizeof(t[i].password), "Thread %d passphrase", i);
	}
	/* pam_wrapper sets itself up at a process's first pam_start(), and
	 * not safely from several threads at once: once, first, here. */
	{
		struct pam_conv pc = { pam_script_conv, NULL };
		pam_handle_t *pamh = NULL;
		ck_assert_int_eq(pam_start("idmgr-threads", "thr0", &pc, &pamh), PAM_SUCCESS);
		pam_end(pamh, PAM_SUCCESS);
	}
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&tid[i], NULL, login_loop, &t[i]), 0);
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_join(tid[i], NULL), 0);
	for (int i = 0; i < THREADS; i++) {
		struct idm_account *a = read_account(t[i].user);
		ck_assert_msg(t[i].unexpected == 0, "%s: %d unexpected answers", t[i].user,
			      t[i].unexpected);
		ck_assert_int_eq(t[i].wrong_refused, LOGINS / 5);
		ck_assert_int_eq(t[i].right_accepted, LOGINS - LOGINS / 5);
		ck_assert_int_ne(a->last_login, 0); /* every success recorded (logins are counted only
						     * under max_logins: idmLoginTime) */
		ck_assert_int_eq(a->failure_count, 0); /* the last login was right */
		idm_account_free(a);
	}
}
END_TEST

/* The latest failure slapd recorded on the timing decoy. */
static char *decoy_last_failure(void)
{
	static const char *const attrs[] = { "pwdFailureTime", NULL };
	struct idm_dir *d = NULL;
	LDAPMessage *res = NULL, *e;
	struct berval **vals;
	char *last = strdup("");

	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	ck_assert_int_eq(idm_dir_search(d, "cn=" IDM_DECOY_CN ",ou=services,dc=example,dc=org",
					LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res),
			 IDM_OK);
	e = ldap_first_entry(idm_dir_ldap(d), res);
	vals = ldap_get_values_len(idm_dir_ldap(d), e, "pwdFailureTime");
	for (int i = 0; vals && vals[i]; i++)
		if (strncmp(vals[i]->bv_val, last, vals[i]->bv_len) > 0) {
			free(last);
			last = strndup(vals[i]->bv_val, vals[i]->bv_len);
		}
	ldap_value_free_len(vals);
	ldap_msgfree(res);
	idm_dir_close(d);
	return last;
}

/* The same time by construction: every refusal that checks no password
 * (unknown user, locked, disabled) binds to the decoy, whose hash has the
 * configured costs, and slapd records the failure there, as it does for a
 * wrong password on a real account; no guess is checked meanwhile. */
START_TEST(refusals_cost_a_server_check)
{
	static const char *const users[][2] = {
		{ "no-such-user", "wrong guess" },
		{ "lockedt", "Locked timing passphrase" },
		{ "susp", "Suspended passphrase 2" },
	};
	char *hash = sandbox_admin_read(&sb, "cn=" IDM_DECOY_CN ",ou=services,dc=example,dc=org",
					"userPassword");
	struct pam_script c;

	ck_assert_msg(strncmp(hash, "{ARGON2}$argon2id$v=19$m=19456,t=2,p=1$", 39) == 0, "%s", hash);
	free(hash);
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		char *before = decoy_last_failure(), *after;
		struct timespec pause = { 0, 2000000 }; /* failure stamps are in microseconds */
		nanosleep(&pause, NULL);
		ck_assert_int_ne(auth(users[i][0], users[i][1], &c), PAM_SUCCESS);
		after = decoy_last_failure();
		ck_assert_msg(strcmp(after, before) > 0, "%s: no failed bind on the decoy",
			      users[i][0]);
		free(before);
		free(after);
	}
}
END_TEST

/* The shipped ppolicy backstop: binds that go round PAM are counted by
 * slapd itself and lock at its higher threshold (20); the module honours
 * the server's lock, and an operator's unlock clears it too. */
START_TEST(server_backstop_locks_direct_binds)
{
	struct idm_dir *d = NULL;
	struct idm_account *a = read_account("direct");
	struct pam_script c;

	for (int i = 0; i < 21; i++)
		ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, a->dn, "guessing directly", &d),
				 IDM_EAUTH);
	ck_assert_int_eq(auth("direct", "Direct binder passphrase", &c), PAM_AUTH_ERR);
	operator_unlock("direct");
	ck_assert_int_eq(auth("direct", "Direct binder passphrase", &c), PAM_SUCCESS);
	idm_account_free(a);
}
END_TEST

/* CVE-2006-5170 class: slapd answers success to a bind with a reset
 * password and says "must change" only in the response control. */
START_TEST(server_must_change_control_honoured)
{
	struct pam_conv pc;
	struct pam_script c;
	pam_handle_t *pamh = NULL;

	memset(&c, 0, sizeof(c));
	c.answers[0] = "Reset by server passphrase";
	pc.conv = pam_script_conv;
	pc.appdata_ptr = &c;
	ck_assert_int_eq(pam_start("idmgr", "resetme", &pc, &pamh), PAM_SUCCESS);
	ck_assert_int_eq(pam_authenticate(pamh, 0), PAM_SUCCESS);
	ck_assert_int_eq(pam_acct_mgmt(pamh, 0), PAM_NEW_AUTHTOK_REQD);
	pam_end(pamh, PAM_SUCCESS);
}
END_TEST

/* R-PW-5: hashes of older releases and of Debian's argon2.so (argon2i,
 * m=4096, with and without the NUL and stray byte of 2.5.13) still bind
 * through idmgr_argon2.so; the user cannot store a hash, so the weaker one
 * is replaced at the next change, which slapd hashes with the configured
 * Argon2id costs. */
START_TEST(weak_hash_binds_and_next_change_is_argon2id)
{
	struct idm_violations v;
	struct pam_script c;
	const char *users[] = { "oldhash", "straybytes" };

	for (int i = 0; i < 2; i++) {
		char dn[128], *h;

		snprintf(dn, sizeof(dn), "uid=%s,ou=people,dc=example,dc=org", users[i]);
		ck_assert_int_eq(auth(users[i], "Argon2i era passphrase", &c), PAM_SUCCESS);
		h = sandbox_admin_read(&sb, dn, "userPassword");
		ck_assert_msg(strncmp(h, "{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$", 37) == 0, "%s", h);
		free(h);
		ck_assert_int_eq(idm_password_change(sb.cfg, NULL, users[i], "Argon2i era passphrase",
						     "Argon2id era passphrase 2", 25, &v),
				 IDM_OK);
		h = sandbox_admin_read(&sb, dn, "userPassword");
		ck_assert_msg(strncmp(h, "{ARGON2}$argon2id$v=19$m=19456,t=2,p=1$", 39) == 0, "%s",
			      h);
		free(h);
		ck_assert_int_eq(auth(users[i], "Argon2id era passphrase 2", &c), PAM_SUCCESS);
	}
}
END_TEST

/* ---- threat model item 2: root on one host holds the service secret ----
 * Each test binds as cn=pam,ou=services with the hosts' secret (real LDAP
 * calls), attempts the write, shows slapd refuse it, and shows the next PAM
 * login find the protected state unchanged (R-PW-5, R-PRIV-4, R-VIO-1). */

/* One modify on connection d: op on attr (value NULL: all); the result
 * (IDM_EDENIED: insufficient access).  Closes d. */
static int modify_on(struct idm_dir *d, const char *dn, int op, const char *attr, const char *value)
{
	struct idm_mods *m = idm_mods_new();
	int r;

	idm_mods_add(m, op, attr, value);
	ck_assert_ptr_nonnull(idm_mods_array(m));
	r = idm_dir_modify(d, dn, idm_mods_array(m));
	idm_mods_free(m);
	idm_dir_close(d);
	return r;
}

/* One modify as the hosts' service identity. */
static int as_host(const char *dn, int op, const char *attr, const char *value)
{
	struct idm_dir *svc = NULL;

	ck_assert_int_eq(idm_dir_open_service(sb.cfg, NULL, &svc), IDM_OK);
	return modify_on(svc, dn, op, attr, value);
}

/* One modify bound as the user uid with password pw, on their own entry. */
static const char *self_pw;
static int as_self(const char *uid, int op, const char *attr, const char *value)
{
	struct idm_dir *d = NULL;
	char dn[128];

	snprintf(dn, sizeof(dn), "uid=%s,ou=people,dc=example,dc=org", uid);
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, dn, self_pw, &d), IDM_OK);
	return modify_on(d, dn, op, attr, value);
}

#define REFUSED_BY(who, target, op, attr, value)                                                 \
	do {                                                                                     \
		int rc_ = who(target, op, attr, value);                                          \
		ck_assert_msg(rc_ == IDM_EDENIED, "%s: %s %s on %s: %s, not refused", #who, #op, \
			      attr, target, idm_strerror(rc_));                                  \
	} while (0)

#define REFUSED(dn, op, attr, value)                                                            \
	do {                                                                                    \
		int rc_ = as_host(dn, op, attr, value);                                         \
		ck_assert_msg(rc_ == IDM_EDENIED,                                               \
			      "the service identity's %s %s on %s: %s, not refused", #op, attr, \
			      dn, idm_strerror(rc_));                                           \
	} while (0)
/* The same where slapd may refuse as a constraint before access is weighed
 * (what it keeps itself, NO-USER-MODIFICATION; a password, which ppolicy
 * checks first). */
#define REFUSED_ALWAYS(dn, op, attr, value)                                                     \
	do {                                                                                    \
		int rc_ = as_host(dn, op, attr, value);                                         \
		ck_assert_msg(rc_ == IDM_EDENIED || rc_ == IDM_ESCHEMA,                         \
			      "the service identity's %s %s on %s: %s, not refused", #op, attr, \
			      dn, idm_strerror(rc_));                                           \
	} while (0)

/* Item 2: "cannot read a hash or history". */
START_TEST(host_cannot_read_hash_or_history)
{
	static const char *const attrs[] = { "userPassword", "idmPasswordHistory", "pwdHistory",
					     NULL };
	struct idm_dir *svc = NULL;
	LDAPMessage *res = NULL, *e;

	ck_assert_int_eq(idm_dir_open_service(sb.cfg, NULL, &svc), IDM_OK);
	ck_assert_int_eq(idm_dir_search(svc, "uid=alice,ou=people,dc=example,dc=org",
					LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res),
			 IDM_OK);
	e = ldap_first_entry(idm_dir_ldap(svc), res);
	ck_assert_ptr_nonnull(e);
	for (int i = 0; attrs[i]; i++) {
		char *v = idm_entry_value(idm_dir_ldap(svc), e, attrs[i]);
		ck_assert_msg(v == NULL, "the service identity read %s", attrs[i]);
	}
	ldap_msgfree(res);
	/* nor can it find an account by its hash */
	res = NULL;
	ck_assert_int_eq(idm_dir_search(svc, "ou=people,dc=example,dc=org", LDAP_SCOPE_SUBTREE,
					"(userPassword=*)", attrs, 0, &res),
			 IDM_OK);
	ck_assert_int_eq(ldap_count_entries(idm_dir_ldap(svc), res), 0);
	ldap_msgfree(res);
	idm_dir_close(svc);
}
END_TEST

/* Item 2: "cannot set a password". */
START_TEST(host_cannot_set_password)
{
	struct pam_script c;
	const char *dn = "uid=alice,ou=people,dc=example,dc=org";

	REFUSED_ALWAYS(dn, LDAP_MOD_REPLACE, "userPassword", "Host chosen password 1");
	REFUSED_ALWAYS(dn, LDAP_MOD_ADD, "userPassword", "Host chosen password 1");
	REFUSED_ALWAYS(dn, LDAP_MOD_DELETE, "userPassword", NULL);
	ck_assert_int_eq(auth("alice", "Host chosen password 1", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(auth("alice", "Alice's long passphrase 1", &c), PAM_SUCCESS);
}
END_TEST

/* Item 2: "cannot unlock an account or undo failures": delete failure
 * values, lock marks, the hard-limit mark, the server's lock; reset the
 * obsolete counter; replace a lock mark with an old one. */
START_TEST(host_cannot_unlock_or_undo_failures)
{
	const char *dn = "uid=hostlock,ou=people,dc=example,dc=org";
	struct pam_script c;
	struct idm_account *a;
	char old[IDM_GENTIME_LEN];
	long failures;

	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(auth("hostlock", "wrong guess", &c), PAM_AUTH_ERR);
	a = read_account("hostlock");
	ck_assert_int_ne(a->locked_time, 0);
	failures = a->failure_count;
	ck_assert_int_eq(failures, 5);
	ck_assert_ptr_nonnull(a->failure_values[0]);
	REFUSED(dn, LDAP_MOD_DELETE, "idmFailureTime", NULL);
	REFUSED(dn, LDAP_MOD_DELETE, "idmFailureTime", a->failure_values[0]);
	REFUSED(dn, LDAP_MOD_REPLACE, "idmFailureTime", "19700101000000Z#0000000000000000");
	REFUSED(dn, LDAP_MOD_REPLACE, "idmFailureTime", NULL);
	REFUSED(dn, LDAP_MOD_DELETE, "idmLockedTime", NULL);
	REFUSED(dn, LDAP_MOD_DELETE, "idmLockedTime", a->lock_values[0]);
	REFUSED(dn, LDAP_MOD_REPLACE, "idmLockedTime", days_ago(30, old));
	REFUSED(dn, LDAP_MOD_REPLACE, "idmHardLockTime", NULL);
	REFUSED(dn, LDAP_MOD_REPLACE, "idmFailureCount", "0");
	REFUSED(dn, LDAP_MOD_INCREMENT, "idmFailureCount", "-100");
	REFUSED(dn, LDAP_MOD_DELETE, "pwdAccountLockedTime", NULL);
	REFUSED_ALWAYS(dn, LDAP_MOD_DELETE, "pwdFailureTime", NULL);
	/* nor move "the last success" that spends failures */
	REFUSED_ALWAYS(dn, LDAP_MOD_REPLACE, "authTimestamp", "20991231235959Z");
	idm_account_free(a);
	/* the next login: still locked, nothing lost */
	ck_assert_int_eq(auth("hostlock", "Host lock passphrase 1", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(account("hostlock", &c), PAM_PERM_DENIED);
	a = read_account("hostlock");
	ck_assert_int_eq(a->failure_count, failures + 1);
	idm_account_free(a);
	/* adding is what a host may do, and it only locks more */
	ck_assert_int_eq(as_host(dn, LDAP_MOD_ADD, "idmFailureTime",
				 "19700101000000Z#00000000000000aa"),
			 IDM_OK);
	operator_unlock("hostlock");
	ck_assert_int_eq(auth("hostlock", "Host lock passphrase 1", &c), PAM_SUCCESS);
}
END_TEST

/* Item 2, the hard limit (NIST SP 800-63B): its mark stays. */
START_TEST(host_cannot_lift_hard_limit)
{
	const char *dn = "uid=hardmark,ou=people,dc=example,dc=org";
	struct pam_script c;

	struct idm_account *a;

	REFUSED(dn, LDAP_MOD_DELETE, "idmHardLockTime", NULL);
	REFUSED(dn, LDAP_MOD_REPLACE, "idmHardLockTime", "19700101000000Z");
	ck_assert_int_eq(auth("hardmark", "Hard mark passphrase 1", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(account("hardmark", &c), PAM_PERM_DENIED);
	/* past the hard limit an attempt adds nothing: the entry stops growing */
	a = read_account("hardmark");
	ck_assert_uint_eq(a->n_failure_values, 0);
	idm_account_free(a);
	operator_unlock("hardmark");
	ck_assert_int_eq(auth("hardmark", "Hard mark passphrase 1", &c), PAM_SUCCESS);
}
END_TEST

/* 100 failures through PAM set the hard-limit mark (in the server's form). */
START_TEST(hard_limit_marked_after_100_failures)
{
	struct pam_script c;
	struct idm_account *a;

	for (int i = 0; i < IDM_LOCKOUT_HARD_LIMIT; i++)
		ck_assert_int_eq(auth("roomy100", "wrong guess", &c), PAM_AUTH_ERR);
	a = read_account("roomy100");
	ck_assert(a->hard_locked);
	idm_account_free(a);
	sleep(2); /* past lockout_duration = 1 of the "roomy" policy */
	ck_assert_int_eq(auth("roomy100", "Roomy hundred passphrase", &c), PAM_AUTH_ERR);
	operator_unlock("roomy100");
	ck_assert_int_eq(auth("roomy100", "Roomy hundred passphrase", &c), PAM_SUCCESS);
}
END_TEST

/* Item 2: "cannot change status, policy or must-change in the user's
 * favour". */
START_TEST(host_cannot_change_status_policy_or_must_change)
{
	const char *susp = "uid=susp,ou=people,dc=example,dc=org";
	const char *priv = "uid=priv1,ou=people,dc=example,dc=org";
	const char *reset = "uid=resetme,ou=people,dc=example,dc=org";
	struct pam_script c;

	REFUSED(susp, LDAP_MOD_REPLACE, "idmStatus", "active");
	REFUSED(susp, LDAP_MOD_REPLACE, "idmValidUntil", "20991231235959Z");
	REFUSED(susp, LDAP_MOD_REPLACE, "pwdEndTime", NULL);
	REFUSED(susp, LDAP_MOD_REPLACE, "pwdStartTime", NULL);
	REFUSED(priv, LDAP_MOD_REPLACE, "idmPrivileged", "FALSE");
	REFUSED(priv, LDAP_MOD_REPLACE, "idmPolicy", "quick");
	REFUSED(priv, LDAP_MOD_REPLACE, "pwdPolicySubentry",
		"cn=service,ou=policies,dc=example,dc=org");
	REFUSED(reset, LDAP_MOD_REPLACE, "idmMustChange", "FALSE");
	REFUSED(reset, LDAP_MOD_DELETE, "pwdReset", NULL);
	REFUSED(reset, LDAP_MOD_REPLACE, "idmPwdChangedTime", "20991231235959Z");
	ck_assert_int_eq(auth("susp", "Suspended passphrase 2", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(account("susp", &c), PAM_PERM_DENIED);
	memset(&c, 0, sizeof(c));
	c.answers[0] = "Reset by server passphrase";
	{
		struct pam_conv pc = { pam_script_conv, &c };
		pam_handle_t *pamh = NULL;
		ck_assert_int_eq(pam_start("idmgr", "resetme", &pc, &pamh), PAM_SUCCESS);
		ck_assert_int_eq(pam_authenticate(pamh, 0), PAM_SUCCESS);
		ck_assert_int_eq(pam_acct_mgmt(pamh, 0), PAM_NEW_AUTHTOK_REQD);
		pam_end(pamh, PAM_SUCCESS);
	}
	{
		char *v = sandbox_admin_read(&sb, priv, "idmPrivileged");
		ck_assert_str_eq(v, "TRUE\n");
		free(v);
	}
}
END_TEST

/* Item 2: "cannot write requests, approvals, audit records, roles or
 * exceptions". */
START_TEST(host_cannot_write_officers_records)
{
	static const char *const ous[] = { "requests", "audit", "exceptions", "notices" };
	struct idm_dir *svc = NULL;
	struct idm_mods *m;
	char dn[256];

	ck_assert_int_eq(idm_dir_open_service(sb.cfg, NULL, &svc), IDM_OK);
	for (size_t i = 0; i < sizeof(ous) / sizeof(ous[0]); i++) {
		snprintf(dn, sizeof(dn), "idmRequestId=HOST-1,ou=%s,ou=idmgr,dc=example,dc=org",
			 ous[i]);
		m = idm_mods_new();
		idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "idmRequest");
		idm_mods_add(m, LDAP_MOD_ADD, "idmRequestId", "HOST-1");
		idm_mods_add(m, LDAP_MOD_ADD, "idmRequestType", "register");
		idm_mods_add(m, LDAP_MOD_ADD, "idmRequestState", "approved");
		idm_mods_add(m, LDAP_MOD_ADD, "idmSubject", "alice");
		idm_mods_add(m, LDAP_MOD_ADD, "idmTime", "20261201000000Z");
		idm_mods_add(m, LDAP_MOD_ADD, "idmActor", "uid=sato,ou=people,dc=example,dc=org");
		ck_assert_int_eq(idm_dir_add(svc, dn, idm_mods_array(m)), IDM_EDENIED);
		idm_mods_free(m);
	}
	idm_dir_close(svc);
	REFUSED("cn=ciso,ou=roles,ou=idmgr,dc=example,dc=org", LDAP_MOD_ADD, "member",
		"uid=alice,ou=people,dc=example,dc=org");
	REFUSED("cn=system_admin,ou=roles,ou=idmgr,dc=example,dc=org", LDAP_MOD_ADD, "member",
		"uid=alice,ou=people,dc=example,dc=org");
	REFUSED("ou=audit,ou=idmgr,dc=example,dc=org", LDAP_MOD_REPLACE, "description", "x");
	REFUSED("cn=standard,ou=policies,dc=example,dc=org", LDAP_MOD_REPLACE, "pwdMaxFailure",
		"1000");
	REFUSED("cn=standard,ou=policies,dc=example,dc=org", LDAP_MOD_REPLACE, "pwdLockout",
		"FALSE");
	REFUSED("cn=pam,ou=services,dc=example,dc=org", LDAP_MOD_REPLACE, "pwdPolicySubentry",
		"cn=nothing,ou=policies,dc=example,dc=org");
}
END_TEST

/* Threat model item 1 (the lockout and status part, R-VIO-1, R-REG-2): a
 * user bound as themselves cannot lift their lock or their status. */
START_TEST(user_cannot_lift_own_lock_or_status)
{
	struct pam_script c;
	char old[IDM_GENTIME_LEN];

	self_pw = "Locked timing passphrase";
	REFUSED_BY(as_self, "lockedt", LDAP_MOD_DELETE, "idmLockedTime", NULL);
	REFUSED_BY(as_self, "lockedt", LDAP_MOD_REPLACE, "idmLockedTime", days_ago(30, old));
	REFUSED_BY(as_self, "lockedt", LDAP_MOD_REPLACE, "idmHardLockTime", NULL);
	REFUSED_BY(as_self, "lockedt", LDAP_MOD_REPLACE, "idmFailureCount", "0");
	REFUSED_BY(as_self, "lockedt", LDAP_MOD_ADD, "idmFailureTime",
		   "19700101000000Z#00000000000000bb");
	REFUSED_BY(as_self, "lockedt", LDAP_MOD_REPLACE, "idmStatus", "suspended");
	REFUSED_BY(as_self, "lockedt", LDAP_MOD_REPLACE, "idmValidUntil", "20991231235959Z");
	REFUSED_BY(as_self, "lockedt", LDAP_MOD_ADD, "pwdEndTime", "20991231235959Z");
	REFUSED_BY(as_self, "lockedt", LDAP_MOD_REPLACE, "pwdStartTime", NULL);
	REFUSED_BY(as_self, "lockedt", LDAP_MOD_DELETE, "pwdAccountLockedTime", NULL);
	REFUSED_BY(as_self, "lockedt", LDAP_MOD_REPLACE, "idmPolicy", "roomy");
	ck_assert_int_eq(auth("lockedt", "Locked timing passphrase", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(account("lockedt", &c), PAM_PERM_DENIED);
}
END_TEST

/* R-PRIV-4, item 4: "idmgr init" gives every policy a ppolicy entry whose
 * lockout agrees with it: the privileged one locks direct binds at 3, until
 * an officer unlocks (lockout_duration 0). */
START_TEST(policy_entries_agree_with_the_policies)
{
	static const char *const want[][2] = {
		{ "pwdMaxFailure", "3" },
		{ "pwdLockoutDuration", "0" },
		{ "pwdFailureCountInterval", "900" },
		{ "pwdLockout", "TRUE" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *v = sandbox_admin_read(&sb, "cn=privileged,ou=policies,dc=example,dc=org",
					     want[i][0]);
		ck_assert_msg(strncmp(v, want[i][1], strlen(want[i][1])) == 0 &&
				      strcmp(v + strlen(want[i][1]), "\n") == 0,
			      "%s: %s", want[i][0], v);
		free(v);
	}
	{
		char *v = sandbox_admin_read(&sb, "cn=standard,ou=policies,dc=example,dc=org",
					     "pwdMaxFailure");
		ck_assert_str_eq(v, "5\n");
		free(v);
	}
}
END_TEST

/* R-PRIV-4: direct binds to a privileged ID lock after the privileged
 * policy's own threshold (3), not the backstop's 20; until unlocked. */
START_TEST(privileged_direct_binds_lock_at_policy_threshold)
{
	struct idm_dir *d = NULL;
	const char *dn = "uid=privd,ou=people,dc=example,dc=org";
	struct pam_script c;
	int pp = -1;

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, dn, "guessing directly", &d), IDM_EAUTH);
	ck_assert_int_eq(idm_dir_open_pp(sb.cfg, NULL, dn, "Privileged direct pass 16", &pp, &d),
			 IDM_EAUTH);
	ck_assert_int_eq(pp, PP_accountLocked);
	ck_assert_int_eq(auth("privd", "Privileged direct pass 16", &c), PAM_AUTH_ERR);
	sleep(2); /* no timer lifts it */
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, dn, "Privileged direct pass 16", &d), IDM_EAUTH);
	operator_unlock("privd");
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, dn, "Privileged direct pass 16", &d), IDM_OK);
	idm_dir_close(d);
	ck_assert_int_eq(auth("privd", "Privileged direct pass 16", &c), PAM_SUCCESS);
}
END_TEST

/* The backstop never locks a rightful user earlier than the policy: two
 * wrong passwords through PAM, or directly, then the right one logs in. */
START_TEST(backstop_never_earlier_than_policy)
{
	struct idm_dir *d = NULL;
	const char *dn = "uid=privok,ou=people,dc=example,dc=org";
	struct pam_script c;

	for (int round = 0; round < 2; round++) {
		ck_assert_int_eq(auth("privok", "wrong guess", &c), PAM_AUTH_ERR);
		ck_assert_int_eq(auth("privok", "wrong guess", &c), PAM_AUTH_ERR);
		ck_assert_int_eq(auth("privok", "Privileged rightful 16", &c), PAM_SUCCESS);
	}
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, dn, "guessing directly", &d), IDM_EAUTH);
	ck_assert_int_eq(auth("privok", "wrong guess", &c), PAM_AUTH_ERR);
	ck_assert_int_eq(auth("privok", "Privileged rightful 16", &c), PAM_SUCCESS);
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, dn, "guessing directly", &d), IDM_EAUTH);
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, dn, "guessing directly", &d), IDM_EAUTH);
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, dn, "Privileged rightful 16", &d), IDM_OK);
	idm_dir_close(d);
	ck_assert_int_eq(account("privok", &c), PAM_SUCCESS);
}
END_TEST

/* R-PW-3, threat model items 1 and 2: neither the user nor a host can
 * reset the login count; the login that reaches max_logins makes slapd
 * itself demand a change (pwdReset, which a host may add, never remove). */
START_TEST(login_count_cannot_be_reset)
{
	const char *dn = "uid=counted2,ou=people,dc=example,dc=org";
	struct idm_dir *d = NULL;
	struct idm_account *a;
	struct pam_script c;
	char *v;
	int pp = -1;

	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(auth("counted2", "Counted again passphrase", &c), PAM_SUCCESS);
		ck_assert_int_eq(account("counted2", &c), PAM_SUCCESS);
	}
	v = sandbox_admin_read(&sb, dn, "pwdReset");
	ck_assert_str_eq(v, "");
	free(v);
	/* the login past max_logins: the module demands the change, and the
	 * server will for every bind after it */
	ck_assert_int_eq(auth("counted2", "Counted again passphrase", &c), PAM_SUCCESS);
	ck_assert_int_eq(account("counted2", &c), PAM_NEW_AUTHTOK_REQD);
	v = sandbox_admin_read(&sb, dn, "pwdReset");
	ck_assert_msg(strcmp(v, "TRUE\n") == 0, "pwdReset after max_logins: %s", v);
	free(v);
	a = read_account("counted2");
	ck_assert_int_eq(a->login_count, 3);
	idm_account_free(a);
	REFUSED(dn, LDAP_MOD_DELETE, "idmLoginTime", NULL);
	REFUSED(dn, LDAP_MOD_REPLACE, "idmLoginTime", "19700101000000Z#0000000000000000");
	REFUSED(dn, LDAP_MOD_REPLACE, "idmLoginCount", "0");
	REFUSED(dn, LDAP_MOD_DELETE, "pwdReset", NULL);
	REFUSED(dn, LDAP_MOD_REPLACE, "pwdReset", "FALSE");
	REFUSED(dn, LDAP_MOD_REPLACE, "idmPwdChangedTime", "20991231235959Z");
	self_pw = "Counted again passphrase";
	REFUSED_BY(as_self, "counted2", LDAP_MOD_DELETE, "idmLoginTime", NULL);
	REFUSED_BY(as_self, "counted2", LDAP_MOD_REPLACE, "idmLoginCount", "0");
	REFUSED_BY(as_self, "counted2", LDAP_MOD_DELETE, "pwdReset", NULL);
	/* idmgrd's first-password claim: idmgrd alone may write it (issue 12) */
	v = sandbox_admin_read(&sb, dn, "idmFirstPasswordIssued");
	REFUSED(dn, LDAP_MOD_REPLACE, "idmFirstPasswordIssued", "FALSE");
	REFUSED(dn, LDAP_MOD_DELETE, "idmFirstPasswordIssued", NULL);
	REFUSED_BY(as_self, "counted2", LDAP_MOD_REPLACE, "idmFirstPasswordIssued", "FALSE");
	{
		char *after = sandbox_admin_read(&sb, dn, "idmFirstPasswordIssued");

		ck_assert_str_eq(after, v);
		free(after);
	}
	free(v);
	/* slapd demands the change of a direct bind too */
	ck_assert_int_eq(idm_dir_open_pp(sb.cfg, NULL, dn, "Counted again passphrase", &pp, &d),
			 IDM_OK);
	ck_assert_int_eq(pp, PP_changeAfterReset);
	idm_dir_close(d);
	ck_assert_int_eq(auth("counted2", "Counted again passphrase", &c), PAM_SUCCESS);
	ck_assert_int_eq(account("counted2", &c), PAM_NEW_AUTHTOK_REQD);
	a = read_account("counted2");
	ck_assert_int_eq(a->login_count, 4);
	idm_account_free(a);
}
END_TEST

/* R-PW-3: after max_logins the user's own change restarts the count,
 * without the user writing it (the logins newer than the change time). */
START_TEST(password_change_restarts_login_count)
{
	struct idm_violations v;
	struct idm_account *a;
	struct pam_script c;

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(auth("counted3", "Counted third passphrase", &c), PAM_SUCCESS);
	ck_assert_int_eq(account("counted3", &c), PAM_NEW_AUTHTOK_REQD);
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(idm_password_change(sb.cfg, NULL, "counted3", "Counted third passphrase",
					     "Counted fourth passphrase", 25, &v),
			 IDM_OK);
	sleep(1); /* a login in the second of the change counts for the old password */
	ck_assert_int_eq(auth("counted3", "Counted fourth passphrase", &c), PAM_SUCCESS);
	ck_assert_int_eq(account("counted3", &c), PAM_SUCCESS);
	a = read_account("counted3");
	ck_assert_int_eq(a->login_count, 1);
	idm_account_free(a);
}
END_TEST

/* A must-change session cannot tidy its attempt values (slapd restricts
 * it): the change made, they are tidied, so a rightful first login and its
 * change leave no failure behind (R-LOGIN-1; never closer to a lock). */
START_TEST(first_change_leaves_no_failures)
{
	struct idm_violations v;
	struct idm_account *a;
	struct pam_script c;

	ck_assert_int_eq(auth("firstchange", "First change temporary 1", &c), PAM_SUCCESS);
	ck_assert_int_eq(account("firstchange", &c), PAM_NEW_AUTHTOK_REQD);
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(idm_password_change(sb.cfg, NULL, "firstchange", "First change temporary 1",
					     "Changed at first login 26", 25, &v),
			 IDM_OK);
	a = read_account("firstchange");
	ck_assert_int_eq(a->failure_count, 0);
	ck_assert_uint_eq(a->n_failure_values, 0);
	idm_account_free(a);
	ck_assert_int_eq(auth("firstchange", "Changed at first login 26", &c), PAM_SUCCESS);
	ck_assert_int_eq(account("firstchange", &c), PAM_SUCCESS);
}
END_TEST

static Suite *pam_suite(void)
{
	Suite *s = suite_create("pam");
	TCase *tc = tcase_create("login");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, temporary_password_must_change);
	tcase_add_test(tc, password_change_restarts_login_count);
	tcase_add_test(tc, first_change_leaves_no_failures);
	tcase_add_test(tc, right_password_active_account);
	tcase_add_test(tc, wrong_password_and_unknown_user_look_alike);
	tcase_add_test(tc, empty_password_refused);
	tcase_add_test(tc, metacharacter_user_is_unknown);
	tcase_add_test(tc, suspended_and_retired_refused);
	tcase_add_test(tc, past_valid_until_expired);
	tcase_add_test(tc, directory_down_is_authinfo_unavail);
	tcase_add_test(tc, locked_after_threshold);
	tcase_add_test(tc, unlocked_after_duration);
	tcase_add_test(tc, unlocked_by_operator);
	tcase_add_test(tc, privileged_locks_at_lower_threshold);
	tcase_add_test(tc, hard_limit_needs_an_operator);
	tcase_add_test(tc, expired_password_and_warning);
	tcase_add_test(tc, max_logins_demands_change);
	tcase_add_test(tc, account_phase_never_clears_failures);
	tcase_add_test(tc, session_shows_last_login);
	tcase_add_test(tc, client_chosen_rhost_never_costs_a_lock);
	tcase_add_test(tc, rhost_escape_sequences_shown_escaped);
	tcase_add_test(tc, failover_login);
	tcase_add_test(tc, concurrent_attempts_never_exceed_threshold);
	tcase_add_test(tc, threaded_logins_all_correct);
	tcase_add_test(tc, refusals_cost_a_server_check);
	tcase_add_test(tc, server_backstop_locks_direct_binds);
	tcase_add_test(tc, server_must_change_control_honoured);
	tcase_add_test(tc, weak_hash_binds_and_next_change_is_argon2id);
	tcase_add_test(tc, host_cannot_read_hash_or_history);
	tcase_add_test(tc, host_cannot_set_password);
	tcase_add_test(tc, host_cannot_unlock_or_undo_failures);
	tcase_add_test(tc, host_cannot_lift_hard_limit);
	tcase_add_test(tc, hard_limit_marked_after_100_failures);
	tcase_add_test(tc, host_cannot_change_status_policy_or_must_change);
	tcase_add_test(tc, host_cannot_write_officers_records);
	tcase_add_test(tc, user_cannot_lift_own_lock_or_status);
	tcase_add_test(tc, policy_entries_agree_with_the_policies);
	tcase_add_test(tc, privileged_direct_binds_lock_at_policy_threshold);
	tcase_add_test(tc, backstop_never_earlier_than_policy);
	tcase_add_test(tc, login_count_cannot_be_reset);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	self_argv = argv;
	/* every connection and bind in DIR/slapd.log (empty_password_refused) */
	setenv("IDMGR_SANDBOX_LOGLEVEL", "stats", 0);
	return fx_run(pam_suite(), NULL);
}
