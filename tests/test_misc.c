/* test_misc.c -- random temporary passwords (R-PW-4), role names, error
 * strings and the modify builder.
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
	return s;
}

int main(void)
{
	return fx_run(random_suite(), misc_suite(), NULL);
}
