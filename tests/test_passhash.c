/* test_passhash.c -- Argon2id password hashes (R-PW-5).
 *
 * Unit tests of the core library, without a directory server; fixtures
 * and the runner are tests/fixture.h.  Requirement IDs are those of
 * docs/requirements.md. */
#include "config.h"

#include <argon2.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <ldap.h>
#include <pthread.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "idm_blocklist.h"
#include "idm_config.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_log.h"
#include "idm_mods.h"
#include "idm_passhash.h"
#include "idm_random.h"
#include "idm_role.h"
#include "idm_secret.h"
#include "idm_time.h"
#include "idm_uid.h"

/* ================================================ password hashes (R-PW-5) */

static const struct idm_argon2_params small = { 64, 1, 1 };
static const struct idm_argon2_params owasp = { 19456, 2, 1 };

START_TEST(hash_form_and_verify)
{
	char *h = NULL;
	struct idm_argon2_params max;

	idm_hash_bounds(&small, &max);
	ck_assert_int_eq(idm_hash_password(&small, "correct horse", 13, &h), IDM_OK);
	ck_assert_ptr_nonnull(h);
	ck_assert_msg(strncmp(h, "{ARGON2}$argon2id$v=19$m=64,t=1,p=1$", 36) == 0,
		      "hash has the form %s", h);
	/* a 16-byte salt and a 32-byte hash, base64 without padding */
	ck_assert_uint_eq(strlen(h), 36 + 22 + 1 + 43);
	ck_assert_ptr_null(strchr(h + 36, '='));
	ck_assert_ptr_null(strstr(h, "correct horse"));
	ck_assert_int_eq(idm_hash_verify(h, "correct horse", 13, &max), IDM_OK);
	ck_assert_int_eq(idm_hash_verify(h, "correct horsE", 13, &max), IDM_EAUTH);
	ck_assert_int_eq(idm_hash_verify(h, "correct hors", 12, &max), IDM_EAUTH);
	ck_assert_int_eq(idm_hash_verify(h, "", 0, &max), IDM_EAUTH);
	/* without the scheme prefix too, as libargon2 writes it */
	ck_assert_int_eq(idm_hash_verify(h + strlen(IDM_HASH_SCHEME), "correct horse", 13, &max),
			 IDM_OK);
	free(h);
}
END_TEST

START_TEST(hash_salt_is_random)
{
	char *a = NULL, *b = NULL;

	ck_assert_int_eq(idm_hash_password(&small, "same password", 13, &a), IDM_OK);
	ck_assert_int_eq(idm_hash_password(&small, "same password", 13, &b), IDM_OK);
	ck_assert_str_ne(a, b);
	/* the salts differ, not just the hashes */
	ck_assert_msg(strncmp(a, b, 36 + 22) != 0, "same salt in\n%s\n%s", a, b);
	free(a);
	free(b);
}
END_TEST

START_TEST(hash_utf8_password)
{
	static const char pw[] = "p\xc3\xa4sswort-\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x94\x91";
	static const char nfd[] = "pa\xcc\x88sswort-\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x94\x91";
	struct idm_argon2_params max;
	char *h = NULL;

	idm_hash_bounds(&small, &max);
	ck_assert_int_eq(idm_hash_password(&small, pw, strlen(pw), &h), IDM_OK);
	ck_assert_int_eq(idm_hash_verify(h, pw, strlen(pw), &max), IDM_OK);
	/* bytes are compared, not characters: another normalisation is another password */
	ck_assert_int_eq(idm_hash_verify(h, nfd, strlen(nfd), &max), IDM_EAUTH);
	free(h);
}
END_TEST

START_TEST(hash_bounds_values)
{
	struct idm_argon2_params max;

	idm_hash_bounds(&owasp, &max);
	ck_assert_uint_eq(max.memory_kib, 19456u * 4);
	ck_assert_uint_eq(max.iterations, 10);
	ck_assert_uint_eq(max.parallelism, 16);
	idm_hash_bounds(&small, &max); /* at least 64 MiB and 10 iterations */
	ck_assert_uint_eq(max.memory_kib, 65536);
	ck_assert_uint_eq(max.iterations, 10);
	idm_hash_bounds(&(struct idm_argon2_params){ 1048576, 100, 16 }, &max); /* config maxima */
	ck_assert_uint_eq(max.memory_kib, 4194304);
	ck_assert_uint_eq(max.iterations, 400);
}
END_TEST

/* libargon2 trusts the costs in a stored hash (security-notes): costs beyond
 * the bounds are refused before anything is allocated or computed. */
START_TEST(hash_planted_costs)
{
	static const char *const planted[] = {
		"{ARGON2}$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"{ARGON2}$argon2id$v=19$m=64,t=100000,p=1$c29tZXNhbHQ$"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"{ARGON2}$argon2id$v=19$m=4096,t=2,p=64$c29tZXNhbHQ$"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"{ARGON2}$argon2id$v=19$m=4096,t=2,p=0$c29tZXNhbHQ$"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2i$v=19$m=99999999999,t=2,p=1$c29tZXNhbHQ$"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	struct idm_argon2_params max;
	struct timespec t0, t1;
	double ms;

	idm_hash_bounds(&owasp, &max);
	for (size_t i = 0; i < sizeof(planted) / sizeof(planted[0]); i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ck_assert_msg(idm_hash_verify(planted[i], "x", 1, &max) == IDM_ERANGE,
			      "not refused as out of range: %s", planted[i]);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		ck_assert_msg(ms < 100, "refusal of %s took %.1f ms", planted[i], ms);
	}
}
END_TEST

START_TEST(hash_garbage)
{
	static const char *const bad[] = {
		"garbage",
		"",
		"{ARGON2}",
		"{SSHA}c2FsdGVkaGFzaA==",
		"{ARGON2}$argon2x$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA",
		"{ARGON2}$argon2id$v=19$m=64,t=1,p=1",
		"{ARGON2}$argon2id$v=19$m=,t=1,p=1$c2FsdA$aGFzaA",
		"{ARGON2}$argon2id$v=19$t=1,m=64,p=1$c2FsdA$aGFzaA",
		"{ARGON2}$argon2id$v=19$m=64,t=1,p=1$!!!$???",
	};
	struct idm_argon2_params max, got;
	enum idm_argon2_type type;

	idm_hash_bounds(&owasp, &max);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(idm_hash_verify(bad[i], "x", 1, &max) == IDM_EINVAL,
			      "\"%s\" not refused as invalid", bad[i]);
	ck_assert_int_eq(idm_hash_params("garbage", &type, &got), IDM_EINVAL);
}
END_TEST

START_TEST(hash_params_and_weaker)
{
	/* what slapd 2.5.13 writes (argon2i, m=4096, t=3) */
	static const char slapd[] = "{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$c29tZXNhbHQ$"
				    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	static const char ours[] = "{ARGON2}$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$"
				   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	static const char low_mem[] = "$argon2id$v=19$m=4096,t=2,p=1$c29tZXNhbHQ$"
				      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	static const char stronger[] = "$argon2id$v=19$m=65536,t=3,p=1$c29tZXNhbHQ$"
				       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	enum idm_argon2_type type = IDM_ARGON2_D;
	struct idm_argon2_params p = { 0 };

	ck_assert_int_eq(idm_hash_params(slapd, &type, &p), IDM_OK);
	ck_assert_int_eq(type, IDM_ARGON2_I);
	ck_assert_uint_eq(p.memory_kib, 4096);
	ck_assert_uint_eq(p.iterations, 3);
	ck_assert_uint_eq(p.parallelism, 1);
	ck_assert_int_eq(idm_hash_params(ours, &type, &p), IDM_OK);
	ck_assert_int_eq(type, IDM_ARGON2_ID);
	ck_assert_uint_eq(p.memory_kib, 19456);

	ck_assert(idm_hash_weaker(slapd, &owasp));
	ck_assert(!idm_hash_weaker(ours, &owasp));
	ck_assert(idm_hash_weaker(low_mem, &owasp));
	ck_assert(!idm_hash_weaker(stronger, &owasp));
	ck_assert(idm_hash_weaker("garbage", &owasp));
}
END_TEST

/* Old argon2i hashes (slapd 2.5.13 writes argon2i) still verify; made here
 * with libargon2 itself, small costs, in slapd's {ARGON2} form. */
START_TEST(hash_verify_argon2i)
{
	static const unsigned char salt[16] = "saltsaltsaltsalt";
	char stored[256] = IDM_HASH_SCHEME;
	struct idm_argon2_params max;

	ck_assert_int_eq(argon2i_hash_encoded(3, 64, 1, "password", 8, salt, sizeof(salt), 32,
					      stored + strlen(IDM_HASH_SCHEME),
					      sizeof(stored) - strlen(IDM_HASH_SCHEME)),
			 ARGON2_OK);
	ck_assert_msg(strncmp(stored, "{ARGON2}$argon2i$v=19$m=64,t=3,p=1$", 35) == 0, "%s", stored);
	idm_hash_bounds(&owasp, &max);
	ck_assert_int_eq(idm_hash_verify(stored, "password", 8, &max), IDM_OK);
	ck_assert_int_eq(idm_hash_verify(stored, "Password", 8, &max), IDM_EAUTH);
	ck_assert(idm_hash_weaker(stored, &small)); /* argon2i: to be rehashed */
}
END_TEST

/* slapd 2.5.13's argon2.so stores its value followed by a NUL and one stray
 * byte (ITS#9827): dropped, and the hash verifies; a NUL anywhere else is
 * refused (R-PW-5). */
START_TEST(hash_from_stored_tolerates_stray_bytes)
{
	const char plain[] = "{ARGON2}$argon2i$v=19$m=64,t=3,p=1$c2FsdA$aGFzaA";
	char buf[128], *out = NULL;
	size_t n = strlen(plain);

	memcpy(buf, plain, n);
	ck_assert_int_eq(idm_hash_from_stored(buf, n, &out), IDM_OK);
	ck_assert_str_eq(out, plain);
	free(out);
	buf[n] = '\0';
	buf[n + 1] = 'Q';
	ck_assert_int_eq(idm_hash_from_stored(buf, n + 2, &out), IDM_OK);
	ck_assert_str_eq(out, plain);
	free(out);
	ck_assert_int_eq(idm_hash_from_stored(buf, n + 1, &out), IDM_OK);
	ck_assert_str_eq(out, plain);
	free(out);
	buf[n + 2] = 'R';
	ck_assert_int_eq(idm_hash_from_stored(buf, n + 3, &out), IDM_EINVAL);
	ck_assert_ptr_null(out);
	buf[10] = '\0';
	ck_assert_int_eq(idm_hash_from_stored(buf, n, &out), IDM_EINVAL);
}
END_TEST

static Suite *passhash_suite(void)
{
	Suite *s = suite_create("passhash");
	TCase *tc = tcase_create("argon2");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, hash_form_and_verify);
	tcase_add_test(tc, hash_from_stored_tolerates_stray_bytes);
	tcase_add_test(tc, hash_salt_is_random);
	tcase_add_test(tc, hash_utf8_password);
	tcase_add_test(tc, hash_bounds_values);
	tcase_add_test(tc, hash_planted_costs);
	tcase_add_test(tc, hash_garbage);
	tcase_add_test(tc, hash_params_and_weaker);
	tcase_add_test(tc, hash_verify_argon2i);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(passhash_suite(), NULL);
}
