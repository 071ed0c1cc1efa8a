/* bench_login -- 64 concurrent wrong passwords (contract §8); and the
 * times of an unknown user, a locked account and a wrong password, which
 * must be alike (OpenSSH CVE-2016-6210; a timing ratio, so a figure here
 * rather than a test that a loaded machine could fail).  The login against
 * ldapwhoami is bench_login_process.sh: both as whole processes (a login
 * timed inside this already-running process hid process start-up on one
 * side only). */
#include "config.h"

#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "idm_account.h"
#include "idm_dir.h"
#include "idm_error.h"
#include "idm_lockout.h"
#include "idm_login.h"
#include "idm_passhash.h"
#include "idm_time.h"

static const char *password = "Benchmark passphrase 2026";

static int conv_fn(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
			r[i].resp = strdup(data ? (const char *)data : password);
	*resp = r;
	return PAM_SUCCESS;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* 64 concurrent wrong-password attempts on one account (contract §8): at
 * most lockout_threshold checked, every failure counted, the right
 * password refused after. */
static void concurrent_attempts(struct sandbox *sb)
{
	enum { N = 64 };
	pid_t pids[N];
	int go[2], checked = 0, refused = 0, other = 0;
	struct idm_dir *d = NULL;
	struct idm_account *a = NULL;
	struct idm_auth_result res;
	double t0;
	char b;

	if (pipe(go) < 0)
		exit(1);
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(go[1]);
			if (read(go[0], &b, 1) < 0)
				_exit(3);
			idm_login_authenticate(sb->cfg, NULL, "bench", "a wrong guess", NULL, &res);
			_exit(res.reason == IDM_AUTH_WRONG_PASSWORD ? 0
			      : res.reason == IDM_AUTH_LOCKED       ? 1
								    : 2);
		}
	}
	t0 = now_s();
	close(go[0]);
	close(go[1]);
	for (int i = 0; i < N; i++) {
		int status = 0;
		waitpid(pids[i], &status, 0);
		checked += WEXITSTATUS(status) == 0;
		refused += WEXITSTATUS(status) == 1;
		other += WEXITSTATUS(status) > 1;
	}
	t0 = now_s() - t0;
	idm_dir_open(sb->cfg, NULL, sb->admin_dn, sb->admin_password, &d);
	idm_account_lookup(d, sb->cfg, "bench", &a);
	idm_login_authenticate(sb->cfg, NULL, "bench", password, NULL, &res);
	printf("64 concurrent wrong passwords in %.0f ms: %d checked against the password "
	       "(threshold %ld), %d refused as locked, %d other; failures recorded %ld; "
	       "right password afterwards: %s\n",
	       t0 * 1e3, checked, sb->cfg->policies[0].lockout_threshold, refused, other,
	       a ? a->failure_count : -1, res.reason == IDM_AUTH_OK ? "ACCEPTED (bad)" : "refused");
	idm_account_free(a);
	idm_dir_close(d);
}

static double timed_auth(const char *user, const char *pw)
{
	struct pam_conv pc = { conv_fn, (void *)pw };
	pam_handle_t *pamh = NULL;
	double t0 = now_s();

	if (pam_start("idmgr", user, &pc, &pamh) == PAM_SUCCESS) {
		pam_authenticate(pamh, 0);
		pam_end(pamh, PAM_SUCCESS);
	}
	return now_s() - t0;
}

static void add_user(struct sandbox *sb, const char *uid, int number, const char *extra)
{
	char ldif[2048], *hash = NULL, now[IDM_GENTIME_LEN];

	if (idm_hash_password(&sb->cfg->argon2, password, strlen(password), &hash) < 0)
		exit(1);
	idm_time_format(time(NULL), now);
	snprintf(ldif, sizeof(ldif),
		 "dn: uid=%s,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\n"
		 "objectClass: posixAccount\nobjectClass: idmAccount\nuid: %s\ncn: %s\n"
		 "sn: %s\nuidNumber: %d\ngidNumber: 10000\nhomeDirectory: /home/%s\n"
		 "idmStatus: active\nidmPwdChangedTime: %s\nuserPassword: %s\n%s",
		 uid, uid, uid, uid, number, uid, now, hash, extra);
	free(hash);
	if (sandbox_ldapadd(sb, ldif) != 0)
		exit(1);
}

/* Medians over 21 tries of each kind, interleaved so that the machine's
 * load falls on all alike; the wrong password's failures are cleared
 * (untimed) after each try so that it stays a wrong password. */
static void equal_times(struct sandbox *sb)
{
	enum { N = 21 };
	double wrong[N], unknown[N], locked[N], w, u, l;
	char stamp[IDM_GENTIME_LEN], extra[64];
	struct idm_dir *d = NULL;

	add_user(sb, "timing", 50001, "");
	idm_time_format(time(NULL), stamp);
	snprintf(extra, sizeof(extra), "idmLockedTime: %s\n", stamp);
	add_user(sb, "lockedt", 50002, extra);
	if (idm_dir_open(sb->cfg, NULL, sb->admin_dn, sb->admin_password, &d) != IDM_OK)
		exit(1);
	for (int i = 0; i < N; i++) {
		wrong[i] = timed_auth("timing", "a wrong guess");
		idm_lockout_unlock(d, "uid=timing,ou=people,dc=example,dc=org");
		unknown[i] = timed_auth("no-such-user", "a wrong guess");
		locked[i] = timed_auth("lockedt", password);
	}
	idm_dir_close(d);
	qsort(wrong, N, sizeof(double), cmp);
	qsort(unknown, N, sizeof(double), cmp);
	qsort(locked, N, sizeof(double), cmp);
	w = wrong[N / 2];
	u = unknown[N / 2];
	l = locked[N / 2];
	printf("auth medians: wrong password %.1f ms, unknown user %.1f ms, locked account %.1f ms\n",
	       w * 1e3, u * 1e3, l * 1e3);
	printf("ratios to the wrong password: unknown %.2f, locked %.2f (target 0.6 to 1.6): %s\n",
	       u / w, l / w,
	       u / w > 0.6 && u / w < 1.6 && l / w > 0.6 && l / w < 1.6 ? "met" : "NOT met");
}

int main(int argc, char **argv)
{
	struct sandbox sb;
	char ldif[2048], *hash = NULL, now[IDM_GENTIME_LEN];

	(void)argc;
	sandbox_start_for_pam(&sb, argv, NULL);
	if (idm_hash_password(&sb.cfg->argon2, password, strlen(password), &hash) < 0)
		return 1;
	idm_time_format(time(NULL), now);
	snprintf(ldif, sizeof(ldif),
		 "dn: uid=bench,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\n"
		 "objectClass: posixAccount\nobjectClass: idmAccount\nuid: bench\ncn: bench\n"
		 "sn: bench\nuidNumber: 50000\ngidNumber: 10000\nhomeDirectory: /home/bench\n"
		 "idmStatus: active\npwdChangedTime: %s\nuserPassword: %s\n",
		 now, hash);
	free(hash);
	if (sandbox_ldapadd(&sb, ldif) != 0)
		return 1;
	concurrent_attempts(&sb);
	equal_times(&sb);
	sandbox_stop(&sb);
	return 0;
}
