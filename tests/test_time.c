/* test_time.c -- GeneralizedTime, dates and day counts (R-AUD-3).
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

/* ========================================================== time (R-AUD-3) */

/* Day counts of the configuration become seconds in time_t, never in a
 * long that is 32 bits on some machines: max_age_days = 36500 is 3153600000
 * seconds, past INT32_MAX; beyond time_t's range the sum saturates. */
START_TEST(time_days_large_counts)
{
	time_t max = (time_t)(sizeof(time_t) == 8 ? INT64_MAX : INT32_MAX);

	ck_assert(sizeof(IDM_DAY) == sizeof(time_t));
	ck_assert(idm_days(36500) == (time_t)3153600000LL);
	ck_assert(idm_days(0) == 0);
	ck_assert(idm_days(-2) == -2 * IDM_DAY);
	ck_assert(idm_time_add_days(1700000000, 36500) == (time_t)(1700000000LL + 3153600000LL));
	ck_assert(idm_time_add_days(max - 10, 1) == max);
	ck_assert(idm_time_add_days(0, LLONG_MAX) == max);
	ck_assert(idm_time_add_days(0, LLONG_MIN) == -max - 1);
}
END_TEST

START_TEST(time_format_and_round_trip)
{
	static const time_t samples[] = { 0,          951782400,  1709164800,
					  1767225600, 1783168496, 2147483648 };
	char buf[IDM_GENTIME_LEN];
	time_t t;

	idm_time_format(0, buf);
	ck_assert_str_eq(buf, "19700101000000Z");
	idm_time_format(1783168496, buf);
	ck_assert_str_eq(buf, "20260704123456Z");
	idm_time_format(2147483648, buf); /* past 2038 */
	ck_assert_str_eq(buf, "20380119031408Z");
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		idm_time_format(samples[i], buf);
		ck_assert_uint_eq(strlen(buf), IDM_GENTIME_LEN - 1);
		t = -1;
		ck_assert_int_eq(idm_time_parse(buf, &t), IDM_OK);
		ck_assert_msg(t == samples[i], "%s parsed as %lld, want %lld", buf, (long long)t,
			      (long long)samples[i]);
	}
}
END_TEST

START_TEST(time_parse_forms)
{
	time_t t = 0;

	ck_assert_int_eq(idm_time_parse("20260704123456Z", &t), IDM_OK);
	ck_assert_int_eq((long long)t, 1783168496LL);
	t = 0;
	ck_assert_int_eq(idm_time_parse("20260704123456.123456Z", &t), IDM_OK);
	ck_assert_int_eq((long long)t, 1783168496LL);
	t = 0;
	ck_assert_int_eq(idm_time_parse("20260704123456,5Z", &t), IDM_OK);
	ck_assert_int_eq((long long)t, 1783168496LL);
	ck_assert_int_eq(idm_time_parse("20240229000000Z", &t), IDM_OK); /* leap year */
	ck_assert_int_eq((long long)t, 1709164800LL);
	ck_assert_int_eq(idm_time_parse("20000229000000Z", &t), IDM_OK); /* divisible by 400 */
	ck_assert_int_eq((long long)t, 951782400LL);
}
END_TEST

START_TEST(time_parse_refusals)
{
	static const char *const bad[] = {
		"20261301000000Z", /* month 13 */
		"20260704123456",  /* no Z */
		"20260704123456+0000",
		"20260704123456z",
		"20260704123456ZZ",
		"2026070412345Z",
		"20260732000000Z",
		"20260704243456Z",
		"20260704126056Z",
		"20260704123461Z",
		"20250229000000Z", /* not a leap year */
		"21000229000000Z", /* divisible by 100 but not by 400 */
		"20260431000000Z",
		"19691231235959Z",
		"2026-07-04T12:34:56Z",
		"",
		"Z",
		"20260704123456.Z", /* RFC 4517: a fraction has at least one digit */
		"2026070412345aZ",
		" 20260704123456Z",
	};
	time_t t = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(idm_time_parse(bad[i], &t) == IDM_EINVAL, "\"%s\" accepted", bad[i]);
	ck_assert_int_eq((long long)t, 42LL); /* untouched on refusal */
}
END_TEST

START_TEST(date_parse)
{
	static const char *const bad[] = {
		"2026-02-30", "2025-02-29", "2100-02-29", "2026-13-01",  "2026-00-10", "2026-01-00",
		"2026-2-01",  "2026/02/01", "20260201",   "2026-02-01x", "",           "1969-12-31",
	};
	time_t t = 0;

	ck_assert_int_eq(idm_date_parse("2026-01-01", &t), IDM_OK);
	ck_assert_int_eq((long long)t, 1767225600LL);
	ck_assert_int_eq(idm_date_parse("2024-02-29", &t), IDM_OK);
	ck_assert_int_eq((long long)t, 1709164800LL);
	ck_assert_int_eq(idm_date_parse("2000-02-29", &t), IDM_OK);
	ck_assert_int_eq((long long)t, 951782400LL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(idm_date_parse(bad[i], &t) == IDM_EINVAL, "\"%s\" accepted", bad[i]);
}
END_TEST

static Suite *time_suite(void)
{
	Suite *s = suite_create("time");
	TCase *tc = tcase_create("generalized_time");

	tcase_add_test(tc, time_format_and_round_trip);
	tcase_add_test(tc, time_days_large_counts);
	tcase_add_test(tc, time_parse_forms);
	tcase_add_test(tc, time_parse_refusals);
	tcase_add_test(tc, date_parse);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(time_suite(), NULL);
}
