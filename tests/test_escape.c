/* test_escape.c -- RFC 4515 filter and RFC 4514 DN escaping, and text made
 * printable for storage and terminals (R-AUD-2, R-LOGIN-1).
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

/* ====================================================== escaping (R-AUD-2) */

/* RFC 4515: * ( ) \ NUL and every byte >= 0x80 become \xx, lower-case hex. */
static void assert_filter_escape(const char *in, size_t len, const char *want)
{
	char *out = (char *)1;

	ck_assert_int_eq(idm_filter_escape(in, len, &out), IDM_OK);
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out, want);
	free(out);
}

START_TEST(filter_escape_specials)
{
	assert_filter_escape("*", 1, "\\2a");
	assert_filter_escape("(", 1, "\\28");
	assert_filter_escape(")", 1, "\\29");
	assert_filter_escape("\\", 1, "\\5c");
	assert_filter_escape("a\0b", 3, "a\\00b"); /* embedded NUL, explicit length */
	assert_filter_escape("\xc3\xa9t\xc3\xa9", 5, "\\c3\\a9t\\c3\\a9"); /* "été" */
	assert_filter_escape("\xff", 1, "\\ff");
	assert_filter_escape("", 0, "");
	assert_filter_escape("alice.smith-2_x", 15, "alice.smith-2_x");
}
END_TEST

/* R-AUD-2, sssd CVE-2017-12173: the injection payloads come out inert. */
START_TEST(filter_escape_payloads)
{
	assert_filter_escape("*)(uid=*", 8, "\\2a\\29\\28uid=\\2a");
	assert_filter_escape("a*)(uid=*", 9, "a\\2a\\29\\28uid=\\2a");
	assert_filter_escape("\\2a", 3, "\\5c2a");
	assert_filter_escape("x)(|(uid=*", 10, "x\\29\\28|\\28uid=\\2a");
}
END_TEST

/* Every byte value: either itself or \xx, never anything else. */
START_TEST(filter_escape_all_bytes)
{
	for (int c = 0; c < 256; c++) {
		char in = (char)c, want[16], *out = NULL;
		bool special = c == '*' || c == '(' || c == ')' || c == '\\' || c == 0 || c >= 0x80;

		if (special)
			snprintf(want, sizeof(want), "\\%02x", (unsigned)c);
		else
			snprintf(want, sizeof(want), "%c", c);
		ck_assert_int_eq(idm_filter_escape(&in, 1, &out), IDM_OK);
		ck_assert_msg(strcmp(out, want) == 0, "byte 0x%02x escaped as \"%s\", want \"%s\"",
			      (unsigned)c, out, want);
		free(out);
	}
}
END_TEST

START_TEST(filter_fmt_values)
{
	char *out = NULL;

	ck_assert_int_eq(idm_filter_fmt(&out, "(&(objectClass=posixAccount)(uid=%s))", "*)(uid=*"),
			 IDM_OK);
	ck_assert_str_eq(out, "(&(objectClass=posixAccount)(uid=\\2a\\29\\28uid=\\2a))");
	free(out);

	ck_assert_int_eq(idm_filter_fmt(&out, "(|(uid=%s)(mail=%s))", "x)(|(uid=*", "a\\b"), IDM_OK);
	ck_assert_str_eq(out, "(|(uid=x\\29\\28|\\28uid=\\2a)(mail=a\\5cb))");
	free(out);

	ck_assert_int_eq(idm_filter_fmt(&out, "(cn=%s)", ""), IDM_OK);
	ck_assert_str_eq(out, "(cn=)");
	free(out);

	ck_assert_int_eq(idm_filter_fmt(&out, "(description=100%%)"), IDM_OK);
	ck_assert_str_eq(out, "(description=100%)");
	free(out);

	ck_assert_int_eq(idm_filter_fmt(&out, "(description=%s%%)", "50*"), IDM_OK);
	ck_assert_str_eq(out, "(description=50\\2a%)");
	free(out);
}
END_TEST

/* Only %s and %% exist: a caller cannot slip a raw value in. */
START_TEST(filter_fmt_refuses_other_conversions)
{
	char *out = (char *)1;

	ck_assert_int_eq(idm_filter_fmt(&out, "(uidNumber=%d)", 5), IDM_EINVAL);
	ck_assert_ptr_null(out);
	out = (char *)1;
	ck_assert_int_eq(idm_filter_fmt(&out, "(uid=alice)%"), IDM_EINVAL);
	ck_assert_ptr_null(out);
	out = (char *)1;
	ck_assert_int_eq(idm_filter_fmt(&out, "(uid=%S)", "alice"), IDM_EINVAL);
	ck_assert_ptr_null(out);
	out = (char *)1;
	ck_assert_int_eq(idm_filter_fmt(&out, "(uid=%s)", (const char *)NULL), IDM_EINVAL);
	ck_assert_ptr_null(out);
}
END_TEST

/* RFC 4514 */
static void assert_dn_escape(const char *in, size_t len, const char *want)
{
	char *out = NULL;

	ck_assert_int_eq(idm_dn_escape(in, len, &out), IDM_OK);
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out, want);
	free(out);
}

START_TEST(dn_escape_specials)
{
	assert_dn_escape(",+\"\\<>;=", 8, "\\,\\+\\\"\\\\\\<\\>\\;\\=");
	assert_dn_escape("Smith, John", 11, "Smith\\, John");
	assert_dn_escape(" lead", 5, "\\ lead");
	assert_dn_escape("#hash", 5, "\\#hash");
	assert_dn_escape("a#b", 3, "a#b"); /* '#' needs escaping only in front */
	assert_dn_escape("trail ", 6, "trail\\ ");
	assert_dn_escape(" ", 1, "\\ ");
	assert_dn_escape("a b", 3, "a b");
	assert_dn_escape("a\0b", 3, "a\\00b");
	assert_dn_escape("a\x01\x1f\x7f", 4, "a\\01\\1f\\7f");
	assert_dn_escape("\n", 1, "\\0a");
	assert_dn_escape("\xc3\xa9t\xc3\xa9", 5, "\xc3\xa9t\xc3\xa9"); /* UTF-8 stays */
}
END_TEST

START_TEST(dn_escape_refuses_empty)
{
	char *out = (char *)1;

	ck_assert_int_eq(idm_dn_escape("", 0, &out), IDM_EINVAL);
	ck_assert_ptr_null(out);
	out = (char *)1;
	ck_assert_int_eq(idm_dn_child(&out, "uid", "", "ou=people,dc=example,dc=org"), IDM_EINVAL);
	ck_assert_ptr_null(out);
}
END_TEST

/* The DN that idm_dn_child builds parses back, with libldap, into exactly
 * the value given: nothing escapes from the RDN. */
START_TEST(dn_child_round_trip)
{
	static const char *const values[] = {
		"alice",
		"Smith, John",
		"a+uid=root",
		" x ",
		"#1",
		"cn=admin,dc=example,dc=org",
		"back\\slash",
		"q\"uote",
		"<tag>",
		"semi;colon",
		"\x01"
		"ctl",
		"caf\xc3\xa9",
	};
	char *out = NULL;

	ck_assert_int_eq(idm_dn_child(&out, "uid", "Smith, John", "ou=people,dc=example,dc=org"),
			 IDM_OK);
	ck_assert_str_eq(out, "uid=Smith\\, John,ou=people,dc=example,dc=org");
	free(out);

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		LDAPDN dn = NULL;

		ck_assert_int_eq(idm_dn_child(&out, "cn", values[i], "ou=groups,dc=example,dc=org"),
				 IDM_OK);
		ck_assert_msg(ldap_str2dn(out, &dn, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS,
			      "\"%s\" does not parse as a DN", out);
		ck_assert_ptr_nonnull(dn[0]);
		ck_assert_ptr_null(dn[0][1]); /* one AVA: no '+' got through */
		ck_assert_int_eq((int)dn[0][0]->la_attr.bv_len, 2);
		ck_assert_mem_eq(dn[0][0]->la_attr.bv_val, "cn", 2);
		ck_assert_uint_eq(dn[0][0]->la_value.bv_len, strlen(values[i]));
		ck_assert_mem_eq(dn[0][0]->la_value.bv_val, values[i], strlen(values[i]));
		/* the parent is intact: 1 + 3 RDNs */
		ck_assert_ptr_nonnull(dn[3]);
		ck_assert_ptr_null(dn[4]);
		ldap_dnfree(dn);
		free(out);
	}
}
END_TEST

/* Text a client chose, for storage and terminals: control and non-ASCII
 * bytes (and, to store, '\\') as \\xHH; never a partial escape at the end. */
START_TEST(printable_text)
{
	char buf[32], tiny[8];

	ck_assert_str_eq(idm_printable("ws1.example.org", "\\", buf, sizeof(buf)),
			 "ws1.example.org");
	ck_assert_str_eq(idm_printable("a\x1b[2J\a\x7f\xc3\xa9", "", buf, sizeof(buf)),
			 "a\\x1b[2J\\x07\\x7f\\xc3\\xa9");
	ck_assert_str_eq(idm_printable("a\\b", "\\", buf, sizeof(buf)), "a\\x5cb");
	ck_assert_str_eq(idm_printable("a\\x41", "", buf, sizeof(buf)),
			 "a\\x41"); /* shown as stored */
	ck_assert_str_eq(idm_printable("abcd\x01", "", tiny, sizeof(tiny)),
			 "abcd"); /* \\x01 does not fit */
	ck_assert_str_eq(idm_printable("abcdefghij", "", tiny, sizeof(tiny)), "abcdefg");
	ck_assert_str_eq(idm_printable(NULL, "", tiny, sizeof(tiny)), "");
}
END_TEST

static Suite *escape_suite(void)
{
	Suite *s = suite_create("escape");
	TCase *tc = tcase_create("filter");

	tcase_add_test(tc, filter_escape_specials);
	tcase_add_test(tc, filter_escape_payloads);
	tcase_add_test(tc, filter_escape_all_bytes);
	tcase_add_test(tc, filter_fmt_values);
	tcase_add_test(tc, filter_fmt_refuses_other_conversions);
	suite_add_tcase(s, tc);
	tc = tcase_create("dn");
	tcase_add_test(tc, dn_escape_specials);
	tcase_add_test(tc, dn_escape_refuses_empty);
	tcase_add_test(tc, dn_child_round_trip);
	suite_add_tcase(s, tc);
	tc = tcase_create("printable");
	tcase_add_test(tc, printable_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(escape_suite(), NULL);
}
