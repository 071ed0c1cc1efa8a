/* Lockout under attack and under races (R-LOGIN-1: login attempts are
 * limited; R-PRIV-4; threat model item 2), through real libpam (pam_wrapper)
 * against a real slapd, with the races made deterministic by driving the
 * core library's own calls in the order a race would interleave them.
 *
 * - account_phase_never_undoes_an_unlock: the account phase learns the
 *   server's time without writing the account, so an officer's unlock
 *   between its read and its verdict stays in force (nothing is put back).
 * - sustained_guessing_bounded: an account under a guessing attack past the
 *   hard limit holds at most IDM_LOCKOUT_HARD_LIMIT attempts since its last
 *   success (the attempts in flight at once aside), stays locked, and is
 *   clean again after an officer's unlock.
 * - lock_expires_then_right_password: below the hard limit a lock runs out
 *   (lockout_duration) and the right password then logs in and spends every
 *   value (as pam_faillock's reset does).
 * - concurrent_first_attempts_log_no_error: processes recording an
 *   account's first attempts ever at the same moment all count, and none
 *   logs at level err. */
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
#include "idm_lockout.h"
#include "idm_login.h"
#include "idm_mods.h"
#include "idm_passhash.h"
#include "idm_time.h"

static struct sandbox sb;
static char **self_argv;

static const char test_policies[] =
	"policy brief { lockout_threshold = 3  lockout_window = 60  lockout_duration = 2 }\n";

static void prepare(struct sandbox *s)
{
	sandbox_add_config(s, test_policies);
}

static void add_account(const char *uid, const char *pw, const char *extra)
{
	char ldif[4096], *hash = NULL, now[IDM_GENTIME_LEN], policy[128];
	static int next = 32000;

	ck_assert_int_eq(idm_hash_password(&sb.cfg->argon2, pw, strlen(pw), &hash), IDM_OK);
	idm_time_format(time(NULL), now);
	snprintf(ldif, sizeof(ldif),
		 "dn: uid=%s,ou=people,dc=example,dc=org\n"
		 "objectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: idmAccount\n"
		 "uid: %s\ncn: %s\nsn: %s\nuidNumber: %d\ngidNumber: 10000\n"
		 "homeDirectory: /home/%s\nuserPassword: %s\npwdChangedTime: %s\n"
		 "idmStatus: active\n%s%s",
		 uid, uid, uid, uid, next++, uid, hash, now,
		 sandbox_policy_line(extra, policy, sizeof(policy)), extra);
	ck_assert_int_eq(sandbox_ldapadd(&sb, ldif), 0);
	free(hash);
}

/* One PAM operation of the "idmgr" service. */
static int auth(const char *user, const char *password)
{
	struct pam_script c = { .answers = { password } };
	struct pam_conv pc = { pam_script_conv, &c };
	pam_handle_t *pamh = NULL;
	int r;

	ck_assert_int_eq(pam_start("idmgr", user, &pc, &pamh), PAM_SUCCESS);
	r = pam_authenticate(pamh, 0);
	pam_end(pamh, r);
	return r;
}

static int account(const char *user)
{
	struct pam_script c = { .answers = { NULL } };
	struct pam_conv pc = { pam_script_conv, &c };
	pam_handle_t *pamh = NULL;
	int r;

	ck_assert_int_eq(pam_start("idmgr", user, &pc, &pamh), PAM_SUCCESS);
	r = pam_acct_mgmt(pamh, 0);
	pam_end(pamh, r);
	return r;
}

static struct idm_dir *as_admin(void)
{
	struct idm_dir *d = NULL;

	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	return d;
}

/* The account as the directory administrator sees it. */
static struct idm_account *read_account(const char *uid)
{
	struct idm_dir *d = as_admin();
	struct idm_account *a = NULL;

	ck_assert_int_eq(idm_account_lookup(d, sb.cfg, uid, &a), IDM_OK);
	idm_dir_close(d);
	return a;
}

/* The entry's entryCSN (malloc'ed): it changes with every write to it. */
static char *entry_csn(const char *dn)
{
	static const char *const attrs[] = { "entryCSN", NULL };
	struct idm_dir *d = as_admin();
	struct idm_entry *e = NULL;
	char *csn;

	ck_assert_int_eq(idm_entry_read(d, dn, attrs, &e), IDM_OK);
	ck_assert_ptr_nonnull(idm_entry_first(e, "entryCSN"));
	csn = strdup(idm_entry_first(e, "entryCSN"));
	idm_entry_free(e);
	idm_dir_close(d);
	return csn;
}

static void operator_unlock(const char *uid)
{
	struct idm_dir *d = as_admin();
	struct idm_account *a = read_account(uid);

	ck_assert_int_eq(idm_lockout_unlock(d, a->dn), IDM_OK);
	idm_dir_close(d);
	idm_account_free(a);
}

static void setup(void)
{
	sandbox_start_for_pam(&sb, self_argv, prepare);
	add_account("racer", "Racing unlock passphrase", "");
	add_account("siege", "Under siege passphrase 1", "");
	add_account("briefly", "Brief lock passphrase 1", "idmPolicy: brief\n");
	for (int i = 0; i < 4; i++) {
		char uid[32];
		snprintf(uid, sizeof(uid), "first%d", i);
		add_account(uid, "First attempts passphrase", "");
	}
}

static void teardown(void)
{
	sandbox_stop(&sb);
}

/* The account phase on a locked account while an officer unlocks it: the
 * phase reads the entry (locked), the unlock lands, then the phase asks
 * the server's time (the clock probe) and gives its verdict on what it
 * read.  Nothing of the lock comes back: the account phase wrote nothing
 * to the account (its entryCSN is the unlock's), and the next login with
 * the right password succeeds (R-LOGIN-1: the rightful user is not locked
 * again). */
START_TEST(account_phase_never_undoes_an_unlock)
{
	struct idm_dir *svc = NULL;
	struct idm_account *a = NULL, *after;
	const struct idm_policy *p;
	enum idm_lock_verdict lock = IDM_LOCK_CHECK;
	char *csn, *now;

	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(auth("racer", "wrong guess"), PAM_AUTH_ERR);
	ck_assert_int_eq(account("racer"), PAM_PERM_DENIED);

	/* the account phase's own calls (idm_login_account), interleaved */
	ck_assert_int_eq(idm_dir_open_service(sb.cfg, NULL, &svc), IDM_OK);
	ck_assert_int_eq(idm_account_lookup(svc, sb.cfg, "racer", &a), IDM_OK);
	ck_assert_int_ne(a->locked_time, 0);
	p = idm_account_policy(sb.cfg, a);
	ck_assert_ptr_nonnull(p);
	operator_unlock("racer");
	csn = entry_csn(a->dn);
	ck_assert_int_eq(idm_lockout_state(svc, sb.cfg, p, a, &lock), IDM_OK);
	ck_assert_int_eq(lock, IDM_LOCK_LOCKED); /* its verdict on what it read */
	idm_dir_close(svc);

	now = entry_csn(a->dn);
	ck_assert_str_eq(now, csn);
	free(now);
	free(csn);
	after = read_account("racer");
	ck_assert_int_eq(after->locked_time, 0);
	ck_assert_uint_eq(after->n_lock_values, 0);
	ck_assert_uint_eq(after->n_failure_values, 0);
	idm_account_free(after);
	idm_account_free(a);
	ck_assert_int_eq(account("racer"), PAM_SUCCESS);
	ck_assert_int_eq(auth("racer", "Racing unlock passphrase"), PAM_SUCCESS);
}
END_TEST

/* A sustained guessing attack: beyond the threshold in the window every
 * guess is refused unchecked, and past IDM_LOCKOUT_HARD_LIMIT
 * attempts since the last success none is recorded any more (NIST SP
 * 800-63B's limit is reached: nothing can lock it more), so the entry
 * stops growing.  98 attempts are recorded as the hosts record them (the
 * service identity adds the values, what any host may do), then 30 more
 * go through PAM. */
START_TEST(sustained_guessing_bounded)
{
	const char *dn = "uid=siege,ou=people,dc=example,dc=org";
	struct idm_dir *svc = NULL;
	struct idm_account *a;

	ck_assert_int_eq(idm_dir_open_service(sb.cfg, NULL, &svc), IDM_OK);
	for (int i = 0; i < IDM_LOCKOUT_HARD_LIMIT - 2; i++) {
		struct idm_mods *m = idm_mods_new();
		char value[IDM_GENTIME_LEN + 18];

		idm_time_format(time(NULL), value);
		snprintf(value + IDM_GENTIME_LEN - 1, sizeof(value) - (IDM_GENTIME_LEN - 1),
			 "#%016x", i);
		idm_mods_add(m, LDAP_MOD_ADD, "idmFailureTime", value);
		ck_assert_int_eq(idm_dir_apply(svc, dn, m), IDM_OK);
	}
	idm_dir_close(svc);
	for (int i = 0; i < 30; i++)
		ck_assert_int_eq(auth("siege", i % 2 ? "wrong guess" : "Under siege passphrase 1"),
				 PAM_AUTH_ERR);
	a = read_account("siege");
	ck_assert_msg(a->n_failure_values <= IDM_LOCKOUT_HARD_LIMIT, "%zu attempt values",
		      a->n_failure_values);
	ck_assert_int_ge(a->failure_count, IDM_LOCKOUT_HARD_LIMIT);
	idm_account_free(a);
	/* the lock holds: the right password, the account phase */
	ck_assert_int_eq(auth("siege", "Under siege passphrase 1"), PAM_AUTH_ERR);
	ck_assert_int_eq(account("siege"), PAM_PERM_DENIED);
	/* only an officer lifts the hard limit; then all is clean */
	operator_unlock("siege");
	ck_assert_int_eq(auth("siege", "Under siege passphrase 1"), PAM_SUCCESS);
	a = read_account("siege");
	ck_assert_uint_eq(a->n_failure_values, 0);
	ck_assert_int_eq(a->locked_time, 0);
	idm_account_free(a);
}
END_TEST

/* Below the hard limit: locked at the threshold (3), the right password
 * refused while the lock is in force, accepted once lockout_duration (2 s)
 * is over; that success spends every value it saw.  (Attempts refused
 * during a lock count in the window after it, pam_idmgr(8) LOCKOUT: with
 * more of them than the threshold the account stays refused until they
 * leave lockout_window; here there is one.) */
START_TEST(lock_expires_then_right_password)
{
	struct idm_account *a;

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(auth("briefly", "wrong guess"), PAM_AUTH_ERR);
	ck_assert_int_eq(auth("briefly", "Brief lock passphrase 1"), PAM_AUTH_ERR);
	ck_assert_int_eq(account("briefly"), PAM_PERM_DENIED);
	a = read_account("briefly");
	ck_assert_uint_eq(a->n_failure_values, 4);
	ck_assert_int_ne(a->locked_time, 0);
	idm_account_free(a);
	sleep(3);
	ck_assert_int_eq(auth("briefly", "Brief lock passphrase 1"), PAM_SUCCESS);
	ck_assert_int_eq(account("briefly"), PAM_SUCCESS);
	a = read_account("briefly");
	ck_assert_uint_eq(a->n_failure_values, 0);
	idm_account_free(a);
}
END_TEST

/* What a child logged at level err or worse, for its parent. */
static int err_pipe = -1;
static void log_errors(void *data, int priority, const char *msg)
{
	char line[600];
	int n;

	(void)data;
	if (priority > LOG_ERR || err_pipe < 0)
		return;
	n = snprintf(line, sizeof(line), "%s\n", msg);
	if (n > 0 && write(err_pipe, line, (size_t)n) < 0)
		return;
}

/* Hosts recording an account's first attempts ever at the same moment
 * (one process each, started at once): every attempt counted, and no
 * message at level err (an expected race is no error). */
START_TEST(concurrent_first_attempts_log_no_error)
{
	enum { ACCOUNTS = 4, PER = 6 };
	static const struct idm_log errors = { .fn = log_errors };
	int go[2], errs[2];
	pid_t pids[ACCOUNTS * PER];
	char got[4096] = "", b;
	ssize_t n;

	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(errs), 0);
	for (int i = 0; i < ACCOUNTS * PER; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			struct idm_auth_result res;
			char uid[32];

			close(go[1]);
			close(errs[0]);
			err_pipe = errs[1];
			snprintf(uid, sizeof(uid), "first%d", i % ACCOUNTS);
			if (read(go[0], &b, 1) < 0)
				_exit(90);
			idm_login_authenticate(sb.cfg, &errors, uid, "wrong guess", NULL, &res);
			_exit(res.reason == IDM_AUTH_WRONG_PASSWORD || res.reason == IDM_AUTH_LOCKED
				      ? 0
				      : 12);
		}
	}
	close(go[0]);
	close(errs[1]);
	close(go[1]); /* all children start at once */
	for (int i = 0; i < ACCOUNTS * PER; i++) {
		int status;
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status));
		ck_assert_int_eq(WEXITSTATUS(status), 0);
	}
	n = read(errs[0], got, sizeof(got) - 1);
	close(errs[0]);
	got[n > 0 ? n : 0] = '\0';
	ck_assert_msg(got[0] == '\0', "logged at level err:\n%s", got);
	for (int i = 0; i < ACCOUNTS; i++) {
		char uid[32];
		struct idm_account *a;

		snprintf(uid, sizeof(uid), "first%d", i);
		a = read_account(uid);
		ck_assert_int_eq(a->failure_count, PER);
		idm_account_free(a);
	}
}
END_TEST

static Suite *lockout_suite(void)
{
	Suite *s = suite_create("lockout");
	TCase *tc = tcase_create("lockout");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, account_phase_never_undoes_an_unlock);
	tcase_add_test(tc, sustained_guessing_bounded);
	tcase_add_test(tc, lock_expires_then_right_password);
	tcase_add_test(tc, concurrent_first_attempts_log_no_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	self_argv = argv;
	return fx_run(lockout_suite(), NULL);
}
