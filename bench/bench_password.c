/* bench_password -- a password change with history = 24 against 25
 * sequential Argon2 verifications with the same parameters, both timed as
 * whole processes from the caller's side, interleaved in one run (contract
 * §8: <= 1.1x): "idmgr passwd" (bind as the user, pre-check, the modify
 * slapd checks -- quality by idmgr_pwcheck.so, the current password and 24
 * history entries -- and hashes) against a process verifying a hash 25
 * times; and the cost of a one-million-line blocklist. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "idm_config.h"
#include "idm_error.h"
#include "idm_passhash.h"
#include "idm_password.h"
#include "idm_policy.h"
#include "idm_time.h"

#define ROUNDS 11

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void prepare(struct sandbox *s)
{
	sandbox_add_config(s, "policy hist24 { history = 24  min_age_days = 0 }\n");
}

/* The baseline, as a process of its own: 25 sequential verifications of
 * the hash in file argv[2] with the configured parameters (argv[3]). */
static int verify25(char **argv)
{
	struct idm_config *cfg = NULL;
	struct idm_argon2_params max;
	char *hash = slurp(argv[2]);

	if (!hash || idm_config_load(argv[3], NULL, &cfg) < 0)
		return 1;
	idm_hash_bounds(&cfg->argon2, &max);
	for (int k = 0; k < 25; k++)
		if (idm_hash_verify(hash, "another password", 16, &max) != IDM_EAUTH)
			return 1;
	idm_config_free(cfg);
	free(hash);
	return 0;
}

/* Wall time of one whole process, from the caller's side. */
static double timed(char *const argv[])
{
	char *out = NULL, *err = NULL;
	double t0 = now_s();
	int st = run_cmd(argv, NULL, &out, &err);
	double t = now_s() - t0;

	if (st != 0) {
		fprintf(stderr, "bench_password: %s failed (%d): %s%s\n", argv[0], st, out, err);
		exit(1);
	}
	free(out);
	free(err);
	return t;
}

int main(int argc, char **argv)
{
	struct sandbox sb;
	struct idm_violations v;
	double t_change[ROUNDS], t_verify[ROUNDS], t_exop[ROUNDS], ratio;
	char *ldif, pw[2 * ROUNDS + 1][64], *hash = NULL, stamp[IDM_GENTIME_LEN];
	char oldf[700], newf[700], hashf[700], self[4096];
	size_t size = 1 << 16, used;
	ssize_t n;

	if (argc == 4 && strcmp(argv[1], "--verify25") == 0)
		return verify25(argv);
	sandbox_start_for_pam(&sb, argv, prepare);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	for (int i = 0; i <= 2 * ROUNDS; i++)
		snprintf(pw[i], sizeof(pw[i]), "Benchmark phrase number %d!", i);
	/* an account whose history (slapd's pwdHistory) already holds 24
	 * passwords, under a policy of history 24 */
	ldif = malloc(size);
	idm_hash_password(&sb.cfg->argon2, pw[0], strlen(pw[0]), &hash);
	idm_time_format(time(NULL) - 86400L * 30, stamp);
	used = (size_t)snprintf(ldif, size,
				"dn: uid=kaede,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\n"
				"objectClass: posixAccount\nobjectClass: idmAccount\nuid: kaede\n"
				"cn: kaede\nsn: Kimura\nuidNumber: 50001\ngidNumber: 10000\n"
				"homeDirectory: /home/kaede\nidmStatus: active\nidmPolicy: hist24\n"
				"pwdPolicySubentry: cn=hist24,ou=policies,dc=example,dc=org\n"
				"userPassword: %s\npwdChangedTime: %s\n",
				hash, stamp);
	free(hash);
	for (int i = 0; i < 24; i++) {
		char old[64];
		snprintf(old, sizeof(old), "An older phrase %d!", i);
		idm_hash_password(&sb.cfg->argon2, old, strlen(old), &hash);
		idm_time_format(time(NULL) - 86400L * (i + 31), stamp);
		used += (size_t)snprintf(ldif + used, size - used,
					 "pwdHistory: %s#1.3.6.1.4.1.1466.115.121.1.40#%zu#%s\n",
					 stamp, strlen(hash), hash);
		free(hash);
	}
	if (sandbox_ldapadd(&sb, ldif) != 0)
		return 1;
	free(ldif);
	snprintf(oldf, sizeof(oldf), "%s/bench.old", sb.dir);
	snprintf(newf, sizeof(newf), "%s/bench.new", sb.dir);
	snprintf(hashf, sizeof(hashf), "%s/bench.hash", sb.dir);
	idm_hash_password(&sb.cfg->argon2, "some password", 13, &hash);
	write_file(hashf, hash, 0600);
	free(hash);
	/* interleaved: idmgr passwd, the baseline, and the same kind of change
	 * by RFC 3062 straight to slapd (its share), along one chain */
	for (int i = 0; i < ROUNDS; i++) {
		char *change[] = { getenv("IDMGR_BIN"),
				   "-c",
				   sb.conf,
				   "-u",
				   "kaede",
				   "--password-file",
				   oldf,
				   "passwd",
				   "--new-password-file",
				   newf,
				   NULL };
		char *base[] = { self, "--verify25", hashf, sb.conf, NULL };
		char *exop[] = { "/usr/bin/ldappasswd",
				 "-x",
				 "-H",
				 sb.uri,
				 "-D",
				 "uid=kaede,ou=people,dc=example,dc=org",
				 "-w",
				 pw[2 * i + 1],
				 "-s",
				 pw[2 * i + 2],
				 NULL };

		write_file(oldf, pw[2 * i], 0600);
		write_file(newf, pw[2 * i + 1], 0600);
		t_change[i] = timed(change);
		t_verify[i] = timed(base);
		t_exop[i] = timed(exop);
	}
	qsort(t_exop, ROUNDS, sizeof(double), cmp);
	qsort(t_change, ROUNDS, sizeof(double), cmp);
	qsort(t_verify, ROUNDS, sizeof(double), cmp);
	ratio = t_change[ROUNDS / 2] / t_verify[ROUNDS / 2];
	printf("password change, history 24 (idmgr passwd; slapd checks history and quality, "
	       "hashes): median %.1f ms\n",
	       t_change[ROUNDS / 2] * 1e3);
	printf("25 Argon2id verifications in one process (m=%u t=%u p=%u): median %.1f ms\n",
	       sb.cfg->argon2.memory_kib, sb.cfg->argon2.iterations, sb.cfg->argon2.parallelism,
	       t_verify[ROUNDS / 2] * 1e3);
	printf("ratio %.2f (target <= 1.10): %s\n", ratio, ratio <= 1.1 ? "met" : "NOT met");
	printf("(the same change by ldappasswd, RFC 3062, straight to slapd: median %.1f ms, "
	       "ratio %.2f; by construction a change costs 27 Argon2 runs -- the user's bind, "
	       "the current password and 24 history entries, the new hash -- against 25)\n",
	       t_exop[ROUNDS / 2] * 1e3, t_exop[ROUNDS / 2] / t_verify[ROUNDS / 2]);

	/* a one-million-line blocklist: the cost of one check */
	{
		char path[700];
		FILE *f;
		struct idm_policy p = *idm_config_policy(sb.cfg, "standard");
		struct idm_pw_facts facts = { .uid = "kaede", .now = time(NULL), .forced = true };
		double with, without;
		snprintf(path, sizeof(path), "%s/blocklist", sb.dir);
		f = fopen(path, "w");
		for (int i = 0; i < 1000000; i++)
			fprintf(f, "leaked-password-%07d\n", i);
		fclose(f);
		t_verify[0] = now_s();
		idm_policy_check(&p, &sb.cfg->argon2, &facts, "Correct Horse 2026!", 19, &v, NULL);
		without = now_s() - t_verify[0];
		p.blocklist_file = path;
		t_verify[0] = now_s();
		idm_policy_check(&p, &sb.cfg->argon2, &facts, "Correct Horse 2026!", 19, &v, NULL);
		with = now_s() - t_verify[0];
		printf("policy check without a blocklist %.2f ms, with 1,000,000 lines %.2f ms\n",
		       without * 1e3, with * 1e3);
	}
	sandbox_stop(&sb);
	return 0;
}
