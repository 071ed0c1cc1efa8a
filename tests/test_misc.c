/* test_misc.c -- random temporary passwords (R-PW-4), role names, error
 * strings, the modify builder and the small text helpers (idm_text.h).
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
#include "idm_text.h"
#include "idm_time.h"
#include "idm_uid.h"

/* =============================================== random passwords (R-PW-4) */

START_TEST(random_password_classes)
{
	static const char allowed[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
				      "-_.:+=%@";
	static const size_t lengths[] = { 8, 12, 16, 64, 128 };

	for (int i = 0; i < 200; i++) {
		size_t len = lengths[i % 5];
		char *pw = NULL;
		bool lower = false, upper = false, digit = false, symbol = false;

		ck_assert_int_eq(idm_random_password(len, &pw), IDM_OK);
		ck_assert_uint_eq(strlen(pw), len);
		for (size_t k = 0; k < len; k++) {
			char c = pw[k];
			ck_assert_msg(strchr(allowed, c) != NULL, "unexpected '%c' in %s", c, pw);
			lower |= c >= 'a' && c <= 'z';
			upper |= c >= 'A' && c <= 'Z';
			digit |= c >= '0' && c <= '9';
			symbol |= strchr("-_.:+=%@", c) != NULL;
		}
		ck_assert_msg(lower && upper && digit && symbol, "a class is missing in %s", pw);
		idm_secret_free(pw);
	}
}
END_TEST

START_TEST(random_password_varies)
{
	char *a = NULL, *b = NULL;
	int first_lower = 0;

	ck_assert_int_eq(idm_random_password(16, &a), IDM_OK);
	ck_assert_int_eq(idm_random_password(16, &b), IDM_OK);
	ck_assert_str_ne(a, b);
	idm_secret_free(a);
	idm_secret_free(b);
	/* the guaranteed classes are shuffled, not always in front */
	for (int i = 0; i < 200; i++) {
		ck_assert_int_eq(idm_random_password(8, &a), IDM_OK);
		first_lower += a[0] >= 'a' && a[0] <= 'z';
		idm_secret_free(a);
	}
	ck_assert_int_lt(first_lower, 200);
}
END_TEST

START_TEST(random_password_refusals)
{
	char *pw = (char *)1;

	ck_assert_int_eq(idm_random_password(7, &pw), IDM_EINVAL);
	ck_assert_ptr_null(pw);
	pw = (char *)1;
	ck_assert_int_eq(idm_random_password(0, &pw), IDM_EINVAL);
	ck_assert_ptr_null(pw);
	pw = (char *)1;
	ck_assert_int_eq(idm_random_password(1025, &pw), IDM_EINVAL);
	ck_assert_ptr_null(pw);
}
END_TEST

/* ============================================= roles, errors, mods */

/* The officer roles of R-SOD-1/2, R-REG-1 and R-PRIV-3 by their config names. */

START_TEST(role_names)
{
	static const char *const names[] = { "ciso", "security_chief", "system_admin",
					     "security_manager", "contractor" };

	for (int i = 0; i < IDM_ROLE_COUNT; i++) {
		ck_assert_str_eq(idm_role_name((enum idm_role)i), names[i]);
		ck_assert_int_eq(idm_role_from_name(names[i]), i);
		ck_assert_int_eq(idm_role_from_name(idm_role_name((enum idm_role)i)), i);
	}
	ck_assert_int_eq(idm_role_from_name("root"), -1);
	ck_assert_int_eq(idm_role_from_name(""), -1);
	ck_assert_int_eq(idm_role_from_name("CISO"), -1);
	ck_assert_str_eq(idm_role_name(IDM_ROLE_COUNT), "?");
	ck_assert_str_eq(idm_role_name((enum idm_role) - 1), "?");
}
END_TEST

START_TEST(strerror_never_null)
{
	static const int extremes[] = { INT_MIN, INT_MIN + 1, -1000, 1000, INT_MAX };

	for (int e = -64; e <= 64; e++) {
		const char *s = idm_strerror(e);
		ck_assert_ptr_nonnull(s);
		ck_assert_uint_gt(strlen(s), 0);
	}
	for (size_t i = 0; i < sizeof(extremes) / sizeof(extremes[0]); i++)
		ck_assert_str_eq(idm_strerror(extremes[i]), "unknown error");
	ck_assert_str_eq(idm_strerror(IDM_OK), "success");
	ck_assert_str_eq(idm_strerror(IDM_EAUTH), "authentication failed");
	ck_assert_str_eq(idm_strerror(IDM_ERANGE), "value out of range");
	/* every code has a text of its own */
	for (int a = IDM_ERANGE; a <= IDM_OK; a++)
		for (int b = a + 1; b <= IDM_OK; b++)
			ck_assert_str_ne(idm_strerror(a), idm_strerror(b));
	for (int a = IDM_ERANGE; a < IDM_OK; a++)
		ck_assert_str_ne(idm_strerror(a), "unknown error");
}
END_TEST

static void assert_values(const LDAPMod *mod, const char *const *want, size_t n)
{
	size_t k = 0;

	for (; mod->mod_bvalues && mod->mod_bvalues[k]; k++) {
		ck_assert_uint_lt(k, n);
		ck_assert_uint_eq(mod->mod_bvalues[k]->bv_len, strlen(want[k]));
		ck_assert_str_eq(mod->mod_bvalues[k]->bv_val, want[k]);
	}
	ck_assert_uint_eq(k, n);
}

START_TEST(mods_build_and_merge)
{
	struct idm_mods *m = idm_mods_new();
	LDAPMod **mods;

	ck_assert_ptr_nonnull(m);
	mods = idm_mods_array(m);
	ck_assert_ptr_nonnull(mods);
	ck_assert_ptr_null(mods[0]); /* empty but valid */

	idm_mods_add(m, LDAP_MOD_REPLACE, "mail", "a@example.org");
	idm_mods_add(m, LDAP_MOD_ADD, "memberUid", "alice");
	idm_mods_add(m, LDAP_MOD_REPLACE, "mail", "b@example.org");
	idm_mods_add(m, LDAP_MOD_DELETE, "description", NULL);
	idm_mods_add(m, LDAP_MOD_ADD, "mail", "c@example.org"); /* other op: other change */
	idm_mods_add(m, LDAP_MOD_ADD, "memberUid", "bob");
	idm_mods_add(m, LDAP_MOD_REPLACE, "mail", NULL); /* no value: nothing added */

	mods = idm_mods_array(m);
	ck_assert_ptr_nonnull(mods);
	ck_assert_int_eq(mods[0]->mod_op, LDAP_MOD_REPLACE | LDAP_MOD_BVALUES);
	ck_assert_str_eq(mods[0]->mod_type, "mail");
	assert_values(mods[0], (const char *const[]){ "a@example.org", "b@example.org" }, 2);
	ck_assert_int_eq(mods[1]->mod_op, LDAP_MOD_ADD | LDAP_MOD_BVALUES);
	ck_assert_str_eq(mods[1]->mod_type, "memberUid");
	assert_values(mods[1], (const char *const[]){ "alice", "bob" }, 2);
	ck_assert_int_eq(mods[2]->mod_op, LDAP_MOD_DELETE | LDAP_MOD_BVALUES);
	ck_assert_str_eq(mods[2]->mod_type, "description");
	ck_assert_ptr_null(mods[2]->mod_bvalues); /* delete every value */
	ck_assert_int_eq(mods[3]->mod_op, LDAP_MOD_ADD | LDAP_MOD_BVALUES);
	ck_assert_str_eq(mods[3]->mod_type, "mail");
	assert_values(mods[3], (const char *const[]){ "c@example.org" }, 1);
	ck_assert_ptr_null(mods[4]);
	idm_mods_free(m);
}
END_TEST

START_TEST(mods_null_safe)
{
	idm_mods_add(NULL, LDAP_MOD_ADD, "cn", "x");
	ck_assert_ptr_null(idm_mods_array(NULL));
	idm_mods_free(NULL);
}
END_TEST

/* ============================================================ idm_text.h */

/* UTF-8 as RFC 3629 has it: what the password policy counts (R-PW-1), the
 * form and audit texts check and the notices never split. */
START_TEST(utf8_sequences)
{
	static const struct {
		const char *bytes;
		size_t n, len;
		uint32_t cp;
	} cases[] = {
		{ "a", 1, 1, 'a' },
		{ "\xc3\xa9", 2, 2, 0xe9 },            /* é */
		{ "\xe3\x81\x82", 3, 3, 0x3042 },      /* あ */
		{ "\xf0\x9f\x94\x91", 4, 4, 0x1f511 }, /* key emoji */
		{ "\xc0\xaf", 2, 0, 0 },               /* overlong '/' */
		{ "\xe0\x80\xaf", 3, 0, 0 },           /* overlong */
		{ "\xed\xa0\x80", 3, 0, 0 },           /* surrogate D800 */
		{ "\xf4\x90\x80\x80", 4, 0, 0 },       /* past U+10FFFF */
		{ "\xe3\x81", 2, 0, 0 },               /* cut */
		{ "\x80", 1, 0, 0 },                   /* stray continuation */
		{ "\xc3\x28", 2, 0, 0 },               /* bad continuation */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t cp = 0;
		size_t k = idm_utf8_seq((const unsigned char *)cases[i].bytes, cases[i].n, &cp);
		ck_assert_msg(k == cases[i].len, "%zu: %zu", i, k);
		if (k)
			ck_assert_uint_eq(cp, cases[i].cp);
		ck_assert_uint_eq(idm_utf8_step((const unsigned char *)cases[i].bytes, cases[i].n),
				  k ? k : 1);
	}
	ck_assert_uint_eq(idm_utf8_seq((const unsigned char *)"", 0, NULL), 0);
	ck_assert_uint_eq(idm_utf8_step((const unsigned char *)"", 0), 0);
}
END_TEST

START_TEST(ascii_folding)
{
	ck_assert_int_eq(idm_ascii_lower('Q'), 'q');
	ck_assert_int_eq(idm_ascii_lower('q'), 'q');
	ck_assert_int_eq(idm_ascii_lower(0xc9), 0xc9); /* bytes past ASCII kept */
	ck_assert(idm_ascii_eq_folded("PassWord", "password", 8));
	ck_assert(!idm_ascii_eq_folded("Passw0rd", "password", 8));
	ck_assert(idm_ascii_contains_folded("xxTanakaxx", 10, "TANAKA", 6));
	ck_assert(!idm_ascii_contains_folded("Tanak", 5, "tanaka", 6));
	ck_assert(!idm_ascii_contains_folded("abc", 3, "", 0));
}
END_TEST

/* Rule names (exceptions, R-EXC-1) and audit actions (R-AUD-1). */
START_TEST(short_names)
{
	char long_name[66];

	ck_assert(idm_short_name("never-used"));
	ck_assert(idm_short_name("r2"));
	ck_assert(!idm_short_name(""));
	ck_assert(!idm_short_name("Never"));
	ck_assert(!idm_short_name("a b"));
	ck_assert(!idm_short_name("a_b"));
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	ck_assert(idm_short_name(long_name));
	long_name[64] = 'a';
	long_name[65] = '\0';
	ck_assert(!idm_short_name(long_name));
}
END_TEST

START_TEST(berval_vectors)
{
	struct berval a = { 3, "abc" }, nul = { 3, "a\0c" }, empty = { 0, NULL };
	struct berval *vals[] = { &a, &nul, &empty, NULL };
	char **v = NULL, *s;
	size_t n = 99;

	s = idm_bv_strdup(&a);
	ck_assert_str_eq(s, "abc");
	free(s);
	ck_assert_ptr_null(idm_bv_strdup(&nul)); /* never a string with a NUL inside */
	ck_assert_ptr_null(idm_bv_strdup(NULL));
	s = idm_bv_strdup(&empty);
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_int_eq(idm_strv_from_bervals(vals, &v, &n), IDM_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0], "abc");
	ck_assert_str_eq(v[1], "");
	ck_assert_ptr_null(v[2]);
	idm_strv_free(v, n);
	ck_assert_int_eq(idm_strv_from_bervals(NULL, &v, &n), IDM_OK); /* no such attribute */
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(v[0]);
	idm_strv_free(v, n);
	idm_strv_free(NULL, 3);
}
END_TEST

START_TEST(enum_names)
{
	static const char *const names[] = { "zero", NULL, "two" };
	char *dn = NULL;

	ck_assert_int_eq(idm_name_index(names, 3, "two"), 2);
	ck_assert_int_eq(idm_name_index(names, 3, "one"), -1);
	ck_assert_int_eq(idm_name_index(names, 3, NULL), -1);
	ck_assert_str_eq(idm_name_of(names, 3, 0), "zero");
	ck_assert_str_eq(idm_name_of(names, 3, 1), "?");
	ck_assert_str_eq(idm_name_of(names, 3, 3), "?");
	ck_assert_int_eq(idm_dn_grandchild(&dn, "cn", "a,b", "policies", "dc=example,dc=org"),
			 IDM_OK);
	ck_assert_str_eq(dn, "cn=a\\,b,ou=policies,dc=example,dc=org");
	free(dn);
}
END_TEST

START_TEST(date_format)
{
	char d[IDM_DATE_LEN];

	idm_date_format(0, d);
	ck_assert_str_eq(d, "-"); /* no date */
	idm_date_format(1767225599, d);
	ck_assert_str_eq(d, "2025-12-31");
}
END_TEST

static Suite *random_suite(void)
{
	Suite *s = suite_create("random");
	TCase *tc = tcase_create("password");

	tcase_add_test(tc, random_password_classes);
	tcase_add_test(tc, random_password_varies);
	tcase_add_test(tc, random_password_refusals);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *misc_suite(void)
{
	Suite *s = suite_create("misc");
	TCase *tc = tcase_create("roles_errors");

	tcase_add_test(tc, role_names);
	tcase_add_test(tc, strerror_never_null);
	suite_add_tcase(s, tc);
	tc = tcase_create("mods");
	tcase_add_test(tc, mods_build_and_merge);
	tcase_add_test(tc, mods_null_safe);
	suite_add_tcase(s, tc);
	tc = tcase_create("text");
	tcase_add_test(tc, utf8_sequences);
	tcase_add_test(tc, ascii_folding);
	tcase_add_test(tc, short_names);
	tcase_add_test(tc, berval_vectors);
	tcase_add_test(tc, enum_names);
	tcase_add_test(tc, date_format);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(random_suite(), misc_suite(), NULL);
}
