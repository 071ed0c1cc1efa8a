/* bench_timing -- an unknown user, a locked account and a wrong password
 * must take the same time (contract §6, OpenSSH CVE-2016-6210).  Each try is
 * a whole process, pamtester running pam_idmgr.so through real libpam (as
 * sshd's PAM child would), the three kinds interleaved so that the machine's
 * load falls on all alike; prints the medians and their ratios to the wrong
 * password's. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "idm_error.h"
#include "idm_passhash.h"
#include "idm_time.h"

#define ROUNDS 31

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One refused authentication as a whole process. */
static double attempt(const char *user, const char *password)
{
	char *argv[] = { "/usr/bin/pamtester", "idmgr", (char *)user, "authenticate", NULL };
	char input[256];
	double t0 = now_s();
	int r;

	snprintf(input, sizeof(input), "%s\n", password);
	r = run_cmd(argv, input, NULL, NULL);
	t0 = now_s() - t0;
	if (r == 0) {
		fprintf(stderr, "bench_timing: %s was let in\n", user);
		exit(1);
	}
	return t0;
}

static void add_user(struct sandbox *sb, const char *uid, int number, const char *extra)
{
	char ldif[2048], *hash = NULL, now[IDM_GENTIME_LEN];
	const char *pw = "Timing bench passphrase 1";

	if (idm_hash_password(&sb->cfg->argon2, pw, strlen(pw), &hash) < 0)
		exit(1);
	idm_time_format(time(NULL), now);
	snprintf(ldif, sizeof(ldif),
		 "dn: uid=%s,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\n"
		 "objectClass: posixAccount\nobjectClass: idmAccount\nuid: %s\ncn: %s\nsn: %s\n"
		 "uidNumber: %d\ngidNumber: 10000\nhomeDirectory: /home/%s\nidmStatus: active\n"
		 "idmPwdChangedTime: %s\nuserPassword: %s\n%s",
		 uid, uid, uid, uid, number, uid, now, hash, extra);
	free(hash);
	if (sandbox_ldapadd(sb, ldif) != 0)
		exit(1);
}

int main(int argc, char **argv)
{
	struct sandbox sb;
	double wrong[ROUNDS], unknown[ROUNDS], locked[ROUNDS], w, u, l;
	char extra[128], now[IDM_GENTIME_LEN];

	(void)argc;
	sandbox_start_for_pam(&sb, argv, NULL);
	/* wrong passwords never lock this one: a policy of 100 a second, and
	 * on the server the decoy's (failures recorded, never a lock) */
	add_user(&sb, "tbwrong", 51000,
		 "idmPolicy: benchroomy\n"
		 "pwdPolicySubentry: cn=idmgr-decoy,ou=policies,dc=example,dc=org\n");
	idm_time_format(time(NULL), now);
	snprintf(extra, sizeof(extra), "idmLockedTime: %s\nidmPolicy: benchlong\n", now);
	add_user(&sb, "tblocked", 51001, extra);
	{
		char *text = slurp(sb.conf), *grown;
		size_t n = strlen(text) + 256;
		grown = malloc(n);
		snprintf(grown, n, "%s%s", text,
			 "policy benchroomy { lockout_threshold = 100  lockout_window = 1  "
			 "lockout_duration = 1 }\n"
			 "policy benchlong { lockout_duration = 86400 }\n");
		write_file(sb.conf, grown, 0600);
		free(text);
		free(grown);
	}
	attempt("tbwrong", "a wrong guess"); /* warm up */
	for (int i = 0; i < ROUNDS; i++) {
		wrong[i] = attempt("tbwrong", "a wrong guess");
		unknown[i] = attempt("tbnobody", "a wrong guess");
		locked[i] = attempt("tblocked", "Timing bench passphrase 1");
	}
	qsort(wrong, ROUNDS, sizeof(double), cmp);
	qsort(unknown, ROUNDS, sizeof(double), cmp);
	qsort(locked, ROUNDS, sizeof(double), cmp);
	w = wrong[ROUNDS / 2];
	u = unknown[ROUNDS / 2];
	l = locked[ROUNDS / 2];
	printf("refused authentication, whole pamtester process, median of %d interleaved:\n",
	       ROUNDS);
	printf("  wrong password  %.1f ms\n", w * 1e3);
	printf("  unknown user    %.1f ms (%.2f x wrong)\n", u * 1e3, u / w);
	printf("  locked account  %.1f ms (%.2f x wrong)\n", l * 1e3, l / w);
	sandbox_stop(&sb);
	return 0;
}
