/* bench_password -- a password change with history = 24 against 25
 * sequential Argon2 verifications with the same parameters, in one run
 * (contract §8: <= 1.1x); and the cost of a one-million-line blocklist. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "idm_error.h"
#include "idm_passhash.h"
#include "idm_password.h"
#include "idm_policy.h"
#include "idm_time.h"

#define ROUNDS 7

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void prepare(struct sandbox *s)
{
	sandbox_add_config(s, "policy hist24 { history = 24  min_age_days = 0 }\n");
}

int main(int argc, char **argv)
{
	struct sandbox sb;
	struct idm_violations v;
	struct idm_argon2_params max;
	double t_change[ROUNDS], t_verify[ROUNDS], ratio;
	char *ldif, pw[ROUNDS + 1][64], *hash = NULL, stamp[IDM_GENTIME_LEN];
	size_t size = 1 << 16, used;

	(void)argc;
	sandbox_start_for_pam(&sb, argv, prepare);
	idm_hash_bounds(&sb.cfg->argon2, &max);
	for (int i = 0; i <= ROUNDS; i++)
		snprintf(pw[i], sizeof(pw[i]), "Benchmark phrase number %d!", i);
	/* an account whose history already holds 24 passwords */
	ldif = malloc(size);
	idm_hash_password(&sb.cfg->argon2, pw[0], strlen(pw[0]), &hash);
	used = (size_t)snprintf(ldif, size,
				"dn: uid=kaede,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\n"
				"objectClass: posixAccount\nobjectClass: idmAccount\nuid: kaede\n"
				"cn: kaede\nsn: Kimura\nuidNumber: 50001\ngidNumber: 10000\n"
				"homeDirectory: /home/kaede\nidmStatus: active\nidmPolicy: hist24\n"
				"userPassword: %s\n",
				hash);
	free(hash);
	for (int i = 0; i < 24; i++) {
		char old[64];
		snprintf(old, sizeof(old), "An older phrase %d!", i);
		idm_hash_password(&sb.cfg->argon2, old, strlen(old), &hash);
		idm_time_format(time(NULL) - 86400L * (i + 1), stamp);
		used += (size_t)snprintf(ldif + used, size - used, "idmPasswordHistory: %s#%s\n", stamp,
					 hash);
		free(hash);
	}
	if (sandbox_ldapadd(&sb, ldif) != 0)
		return 1;
	free(ldif);
	idm_hash_password(&sb.cfg->argon2, "some password", 13, &hash);
	for (int i = 0; i < ROUNDS; i++) { /* interleaved */
		double t0 = now_s();
		int r = idm_password_change(sb.cfg, NULL, "kaede", pw[i], pw[i + 1], strlen(pw[i + 1]),
					    &v);
		t_change[i] = now_s() - t0;
		if (r != IDM_OK) {
			fprintf(stderr, "bench_password: change %d failed: %s %s\n", i, idm_strerror(r),
				v.n ? v.v[0].message : "");
			return 1;
		}
		t0 = now_s();
		for (int k = 0; k < 25; k++)
			idm_hash_verify(hash, "another password", 16, &max);
		t_verify[i] = now_s() - t0;
	}
	free(hash);
	qsort(t_change, ROUNDS, sizeof(double), cmp);
	qsort(t_verify, ROUNDS, sizeof(double), cmp);
	ratio = t_change[ROUNDS / 2] / t_verify[ROUNDS / 2];
	printf("password change, history 24: median %.1f ms\n", t_change[ROUNDS / 2] * 1e3);
	printf("25 Argon2id verifications (m=%u t=%u p=%u): median %.1f ms\n",
	       sb.cfg->argon2.memory_kib, sb.cfg->argon2.iterations, sb.cfg->argon2.parallelism,
	       t_verify[ROUNDS / 2] * 1e3);
	printf("ratio %.2f (target <= 1.10): %s\n", ratio, ratio <= 1.1 ? "met" : "NOT met");

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
