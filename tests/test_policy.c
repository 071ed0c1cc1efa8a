/* test_policy.c -- the password policy engine (idm_policy.h) and the
 * blocklist (idm_blocklist.h), without a directory server.
 *
 * Each rule is accepted at its boundary and refused one step past it.
 * Requirement IDs are those of docs/requirements.md: R-PW-1 (length,
 * blocklist, names), R-PW-3 (history, minimum age), R-PRIV-4 (the stricter
 * policy is the same engine with other values).
 *
 * Two tests time what must stay cheap (a million-line blocklist, a 1 MiB
 * password) and print the figures to stderr.  Under valgrind the limits are
 * relaxed a hundredfold: they then guard only against runaway work. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "idm_blocklist.h"
#include "idm_error.h"
#include "idm_log.h"
#include "idm_passhash.h"
#include "idm_policy.h"
#include "idm_time.h"

/* ------------------------------------------------------------ fixtures */

#define NOW ((time_t)1700000000) /* 2023-11-14T22:13:20Z */

static const struct idm_argon2_params small = { 64, 1, 1 };

static char policy_name[] = "test", no_file[] = "";

/* Every rule off: a test switches on what it tests. */
static struct idm_policy no_rules(void)
{
	struct idm_policy p = { .name = policy_name };

	return p;
}

static struct idm_pw_facts facts(void)
{
	struct idm_pw_facts f = { .uid = "jsmith", .now = NOW };

	return f;
}

static struct idm_violations viol;

static int check_bytes(const struct idm_policy *p, const struct idm_pw_facts *f, const char *pw,
		       size_t len)
{
	memset(&viol, 0xA5, sizeof(viol)); /* the engine must reset it */
	return idm_policy_check(p, &small, f, pw, len, &viol, &cap_log);
}

static int check(const struct idm_policy *p, const struct idm_pw_facts *f, const char *pw)
{
	return check_bytes(p, f, pw, strlen(pw));
}

/* The message of rule, or NULL when it was not reported; a rule is never
 * reported twice. */
static const char *msg_of(enum idm_rule rule)
{
	const char *m = NULL;

	for (size_t i = 0; i < viol.n; i++) {
		if (viol.v[i].rule == rule) {
			ck_assert_msg(m == NULL, "rule %d reported twice", (int)rule);
			m = viol.v[i].message;
		}
	}
	return m;
}

static void assert_ok(const struct idm_policy *p, const struct idm_pw_facts *f, const char *pw)
{
	int r = check(p, f, pw);

	ck_assert_msg(r == IDM_OK, "\"%s\": %d (%zu violations, first: %s)", pw, r, viol.n,
		      viol.n ? viol.v[0].message : "");
	ck_assert_uint_eq(viol.n, 0);
}

/* Refused for rule (among others, maybe); returns its message. */
static const char *assert_refused(const struct idm_policy *p, const struct idm_pw_facts *f,
				  const char *pw, size_t len, enum idm_rule rule)
{
	int r = check_bytes(p, f, pw, len);
	const char *m;

	ck_assert_int_eq(r, IDM_EPOLICY);
	m = msg_of(rule);
	ck_assert_msg(m != NULL, "rule %d not reported (%zu violations)", (int)rule, viol.n);
	ck_assert_msg(m[0] >= 'A' && m[0] <= 'Z' && m[strlen(m) - 1] == '.', "not a sentence: %s",
		      m);
	return m;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Timing limits hold natively and with sanitizers; valgrind runs code
 * some fifty times slower. */
static double limit_ms(double ms)
{
	const char *pre = getenv("LD_PRELOAD");

	return pre && strstr(pre, "vgpreload") ? ms * 100 : ms;
}

/* "YYYYMMDDHHMMSSZ#<hash of pw>", malloc'ed. */
static char *history_value(const char *pw, time_t when, const struct idm_argon2_params *a)
{
	char stamp[IDM_GENTIME_LEN], *hash = NULL, *v;
	size_t size;

	ck_assert_int_eq(idm_hash_password(a, pw, strlen(pw), &hash), IDM_OK);
	idm_time_format(when, stamp);
	size = strlen(stamp) + strlen(hash) + 2;
	v = malloc(size);
	ck_assert_ptr_nonnull(v);
	snprintf(v, size, "%s#%s", stamp, hash);
	free(hash);
	return v;
}

/* ------------------------------------------------------------- length */

/* R-PW-1: length counts characters, not bytes. */
START_TEST(length_min_counts_characters)
{
	struct idm_policy p = no_rules();
	struct idm_pw_facts f = facts();
	const char *m;

	p.min_length = 12;
	/* 12 x "é": 24 bytes, 12 characters. */
	assert_ok(&p, &f, "éééééééééééé");
	m = assert_refused(&p, &f, "ééééééééééé", strlen("ééééééééééé"), IDM_RULE_LENGTH_MIN);
	ck_assert_str_eq(m, "The password must be at least 12 characters long (it has 11).");
	ck_assert_uint_eq(viol.n, 1);

	p.min_length = 3;
	assert_ok(&p, &f, "日本語"); /* 9 bytes */
	p.min_length = 4;
	m = assert_refused(&p, &f, "日本語", strlen("日本語"), IDM_RULE_LENGTH_MIN);
	ck_assert_ptr_nonnull(strstr(m, "(it has 3)"));
}
END_TEST

START_TEST(length_max_counts_characters)
{
	struct idm_policy p = no_rules();
	struct idm_pw_facts f = facts();
	const char *m;

	p.max_length = 4;
	assert_ok(&p, &f, "日本語é"); /* 11 bytes, 4 characters */
	assert_ok(&p, &f,
		  "\xF0\x9F\x98\x80"
		  "abc"); /* a 4-byte character */
	m = assert_refused(&p, &f, "日本語éa", strlen("日本語éa"), IDM_RULE_LENGTH_MAX);
	ck_assert_str_eq(m, "The password must be at most 4 characters long (it has 5).");
	ck_assert_uint_eq(viol.n, 1);
}
END_TEST

/* ----------------------------------------------------------- encoding */

START_TEST(encoding_refuses_invalid_utf8)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *what;
	} bad[] = {
		{ "ab\xC0\xAF"
		  "cd",
		  6, "overlong 2-byte" },
		{ "\xE0\x80\xAF", 3, "overlong 3-byte" },
		{ "\xF0\x80\x80\xAF", 4, "overlong 4-byte" },
		{ "\xED\xA0\x80", 3, "surrogate U+D800" },
		{ "\xED\xBF\xBF", 3, "surrogate U+DFFF" },
		{ "\xF4\x90\x80\x80", 4, "beyond U+10FFFF" },
		{ "\xF5\x80\x80\x80", 4, "lead byte F5" },
		{ "abc\xE6\x97", 5, "cut at the end" },
		{ "\xE6\x97"
		  "abc",
		  5, "cut in the middle" },
		{ "\x80"
		  "abc",
		  4, "lone continuation byte" },
		{ "\xFF", 1, "byte FF" },
		{ "ab\0cd", 5, "NUL byte" },
	};
	static const char *const good[] = {
		"\xED\x9F\xBF",     /* U+D7FF, just before the surrogates */
		"\xEE\x80\x80",     /* U+E000, just after */
		"\xF4\x8F\xBF\xBF", /* U+10FFFF, the last code point */
		"\xC2\x80",         /* U+0080, the first 2-byte */
	};
	struct idm_policy p = no_rules();
	struct idm_pw_facts f = facts();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = check_bytes(&p, &f, bad[i].bytes, bad[i].len);

		ck_assert_msg(r == IDM_EPOLICY && msg_of(IDM_RULE_ENCODING) != NULL, "%s accepted",
			      bad[i].what);
		ck_assert_uint_eq(viol.n, 1);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_ok(&p, &f, good[i]);

	/* A stray byte still counts for the length rules, which are all
	 * reported with it. */
	p.min_length = 5;
	assert_refused(&p, &f,
		       "\xFF"
		       "abc",
		       4, IDM_RULE_LENGTH_MIN);
	ck_assert_ptr_nonnull(msg_of(IDM_RULE_ENCODING));
}
END_TEST

/* ------------------------------------------------------------ classes */

START_TEST(classes_boundary)
{
	struct idm_policy p = no_rules();
	struct idm_pw_facts f = facts();
	const char *m;

	p.min_classes = 3;
	assert_ok(&p, &f, "abcDEF1");
	m = assert_refused(&p, &f, "abcDEF", 6, IDM_RULE_CLASSES);
	ck_assert_ptr_nonnull(strstr(m, "at least 3"));
	ck_assert_ptr_nonnull(strstr(m, "(it has 2)"));
	ck_assert_uint_eq(viol.n, 1);

	/* Non-ASCII counts as "other", once however many there are. */
	assert_ok(&p, &f, "abcdé1");
	assert_refused(&p, &f, "abcdéü", strlen("abcdéü"), IDM_RULE_CLASSES);
	assert_ok(&p, &f, "日本語aB");

	p.min_classes = 4;
	assert_ok(&p, &f, "aA1 "); /* a space is "other" */
	assert_ok(&p, &f, "aA1日");
	assert_refused(&p, &f, "aA1b", 4, IDM_RULE_CLASSES);
}
END_TEST

/* ------------------------------------------------------------- names */

/* R-PW-1: no user name or personal name inside. */
START_TEST(names_refused)
{
	struct idm_policy p = no_rules();
	struct idm_pw_facts f = facts();
	const char *m;

	p.reject_user_name = true;
	f.given_name = "John";
	f.surname = "Smith-Jones";

	m = assert_refused(&p, &f, "xxJSmith99!", 11, IDM_RULE_USER_NAME);
	ck_assert_str_eq(m, "The password must not contain your user name, forwards or backwards.");
	ck_assert_uint_eq(viol.n, 1);
	m = assert_refused(&p, &f, "HTIMSJ-2024", 11, IDM_RULE_USER_NAME); /* reversed */
	ck_assert_ptr_nonnull(strstr(m, "user name"));
	assert_refused(&p, &f, "jsmith", 6, IDM_RULE_USER_NAME); /* equal */
	m = assert_refused(&p, &f, "Correct-john-horse", 18, IDM_RULE_USER_NAME);
	ck_assert_ptr_nonnull(strstr(m, "given name"));
	m = assert_refused(&p, &f, "NHOJ.battery", 12, IDM_RULE_USER_NAME);
	ck_assert_ptr_nonnull(strstr(m, "given name"));
	/* The whole surname and each of its parts. */
	m = assert_refused(&p, &f, "xSMITH-JONESx", 13, IDM_RULE_USER_NAME);
	ck_assert_ptr_nonnull(strstr(m, "surname"));
	assert_refused(&p, &f, "staple-jones", 12, IDM_RULE_USER_NAME);
	assert_refused(&p, &f, "senoj-staple", 12, IDM_RULE_USER_NAME);

	/* Not there: close is not enough. */
	assert_ok(&p, &f, "J-Smit-Jon-Jone");
	/* The rule off. */
	p.reject_user_name = false;
	assert_ok(&p, &f, "jsmith");
}
END_TEST

START_TEST(names_short_ignored)
{
	struct idm_policy p = no_rules();
	struct idm_pw_facts f = facts();

	p.reject_user_name = true;
	/* Two characters: ignored, or every password with "li" is refused. */
	f.uid = "li";
	f.given_name = "Al";
	f.surname = "de Oliveira";
	assert_ok(&p, &f, "Li-Al-de-staple");
	assert_refused(&p, &f, "my-OLIVEIRA", 11, IDM_RULE_USER_NAME);
	/* Three characters: the boundary counts. */
	f.given_name = "Ann";
	assert_refused(&p, &f, "xxANNxx", 7, IDM_RULE_USER_NAME);
	assert_refused(&p, &f, "xxnnaxx", 7, IDM_RULE_USER_NAME);
	/* Characters, not bytes: "Zoé" is 4 bytes, 3 characters; "Æ" 2
	 * bytes, 1 character. */
	f.given_name = "Zoé";
	assert_refused(&p, &f, "123zoé", strlen("123zoé"), IDM_RULE_USER_NAME);
	f.given_name = "Æb";
	assert_ok(&p, &f, "Æb-Æb");
	/* Reversed by characters, so a non-ASCII name reverses as read. */
	f.given_name = "José";
	assert_refused(&p, &f, "1éSOJ", strlen("1éSOJ"), IDM_RULE_USER_NAME);
	/* Absent names are fine. */
	f.uid = NULL;
	f.given_name = NULL;
	f.surname = NULL;
	assert_ok(&p, &f, "anything");
}
END_TEST

/* ---------------------------------------------------------- blocklist */

static const char list_text[] = "# common passwords\n"
				"password1\r\n"
				"LetMeIn\n"
				"\n"
				"\r\n"
				"qwerty123\n"
				"#hidden\n"
				"Ünïcode\n"
				"LastLine"; /* no final newline */

/* R-PW-1: blocklist, whole lines, ASCII case folded. */
START_TEST(blocklist_lines)
{
	char path[PATH_MAX];
	static const char *const in[] = { "password1", "PASSWORD1", "letmein", "LETMEIN",
					  "qwerty123", "Ünïcode",   "lastline" };
	static const char *const out[] = {
		"password", "password12",         "assword1", "letmein\r", "#hidden", "hidden",
		"ünïcode", /* only ASCII folds */
		"LastLin",  "# common passwords",
	};

	fx_write_bytes("list", list_text, sizeof(list_text) - 1, 0600, path, PATH_MAX);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		ck_assert_msg(idm_blocklist_contains(path, in[i], strlen(in[i]), &cap_log) == 1,
			      "%s not found", in[i]);
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
		ck_assert_msg(idm_blocklist_contains(path, out[i], strlen(out[i]), &cap_log) == 0,
			      "%s found", out[i]);
	ck_assert_int_eq(idm_blocklist_contains(path, "", 0, &cap_log), 0);
	ck_assert_str_eq(captured.text, "");
}
END_TEST

START_TEST(blocklist_in_policy)
{
	struct idm_policy p = no_rules();
	struct idm_pw_facts f = facts();
	char path[PATH_MAX], missing[PATH_MAX];
	const char *m;

	fx_write_bytes("list", list_text, sizeof(list_text) - 1, 0600, path, PATH_MAX);
	p.blocklist_file = path;
	m = assert_refused(&p, &f, "QWERTY123", 9, IDM_RULE_BLOCKLIST);
	ck_assert_ptr_null(strstr(m, "QWERTY123"));
	ck_assert_uint_eq(viol.n, 1);
	assert_ok(&p, &f, "qwerty1234");

	/* An unreadable list fails closed, and says why. */
	fx_path(missing, PATH_MAX, "absent");
	p.blocklist_file = missing;
	ck_assert_int_eq(check(&p, &f, "anything-at-all"), IDM_EIO);
	ck_assert_ptr_nonnull(strstr(captured.text, "absent"));
	/* An empty name is the rule switched off. */
	p.blocklist_file = no_file;
	assert_ok(&p, &f, "qwerty123");
}
END_TEST

START_TEST(blocklist_file_refusals)
{
	char path[PATH_MAX], link_path[PATH_MAX];

	fx_write_bytes("list", list_text, sizeof(list_text) - 1, 0600, path, PATH_MAX);
	fx_path(link_path, PATH_MAX, "link");
	ck_assert_int_eq(symlink(path, link_path), 0);
	ck_assert_int_eq(idm_blocklist_contains(link_path, "letmein", 7, &cap_log), IDM_EIO);
	ck_assert_ptr_nonnull(strstr(captured.text, "symbolic link"));
	ck_assert_int_eq(idm_blocklist_contains(fx_dir, "letmein", 7, &cap_log), IDM_ECONFIG);
	ck_assert_ptr_nonnull(strstr(captured.text, "not a regular file"));
	/* A FIFO must not hang the caller. */
	fx_path(link_path, PATH_MAX, "fifo");
	ck_assert_int_eq(mkfifo(link_path, 0600), 0);
	ck_assert_int_eq(idm_blocklist_contains(link_path, "letmein", 7, &cap_log), IDM_ECONFIG);
	/* An empty list holds nothing. */
	fx_write_bytes("empty", "", 0, 0600, path, PATH_MAX);
	ck_assert_int_eq(idm_blocklist_contains(path, "letmein", 7, &cap_log), 0);
}
END_TEST

/* Lines longer than the read buffer are skipped, and a candidate longer
 * than that buffer is still found. */
START_TEST(blocklist_long_lines)
{
	size_t big = 300 * 1024, len = 0;
	char *text = malloc(3 * big), *cand = malloc(big);
	char path[PATH_MAX];

	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(cand);
	memset(text, 'x', big);
	len = big;
	memcpy(text + len, "\ntarget\n", 8);
	len += 8;
	memset(text + len, 'y', big - 1);
	len += big - 1;
	text[len++] = '\n';
	fx_write_bytes("long", text, len, 0600, path, PATH_MAX);

	ck_assert_int_eq(idm_blocklist_contains(path, "target", 6, &cap_log), 1);
	ck_assert_int_eq(idm_blocklist_contains(path, "xxxxxx", 6, &cap_log), 0);
	memset(cand, 'Y', big - 1);
	ck_assert_int_eq(idm_blocklist_contains(path, cand, big - 1, &cap_log), 1);
	ck_assert_int_eq(idm_blocklist_contains(path, cand, big - 2, &cap_log), 0);
	memset(cand, 'x', big);
	ck_assert_int_eq(idm_blocklist_contains(path, cand, big, &cap_log), 1);

	/* Whatever the buffer's size (a power of two up to 1 MiB), the end of
	 * a long line is not mistaken for a line of its own. */
	for (size_t k = 4096, i = 0; k <= 1024 * 1024; k *= 2, i++) {
		char *t = malloc(k + 12), name[16];

		ck_assert_ptr_nonnull(t);
		memset(t, 'z', k);
		memcpy(t + k, "tail\nafter\n", 11);
		snprintf(name, sizeof(name), "tail%zu", i);
		fx_write_bytes(name, t, k + 11, 0600, path, PATH_MAX);
		free(t);
		ck_assert_msg(idm_blocklist_contains(path, "tail", 4, &cap_log) == 0, "%zu", k);
		ck_assert_int_eq(idm_blocklist_contains(path, "after", 5, &cap_log), 1);
	}
	free(text);
	free(cand);
}
END_TEST

/* A million lines: streamed, never indexed, within a login's patience. */
START_TEST(blocklist_million_lines)
{
	struct idm_policy p = no_rules();
	struct idm_pw_facts f = facts();
	struct timespec t0;
	char path[PATH_MAX];
	double ms, ms_last;
	FILE *fp;

	fx_path(path, PATH_MAX, "million");
	fp = fopen(path, "we");
	ck_assert_ptr_nonnull(fp);
	fputs("# generated\n", fp);
	for (int i = 0; i < 1000000; i++)
		fprintf(fp, i % 2 ? "pw%07d\n" : "pw%07d\r\n", i);
	ck_assert_int_eq(fclose(fp), 0);

	p.blocklist_file = path;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_ok(&p, &f, "Not-in-the-list-42");
	ms = ms_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_refused(&p, &f, "PW0999999", 9, IDM_RULE_BLOCKLIST); /* the last line */
	ms_last = ms_since(&t0);
	fprintf(stderr, "blocklist of 1,000,000 lines: %.2f ms (absent), %.2f ms (last line)\n", ms,
		ms_last);
	ck_assert_msg(ms < limit_ms(200), "%.1f ms", ms);
	ck_assert_msg(ms_last < limit_ms(200), "%.1f ms", ms_last);

	/* Lines across read-buffer boundaries, CRLF or LF. */
	for (int i = 13100; i < 13120; i++) {
		char pw[16];

		snprintf(pw, sizeof(pw), "pw%07d", i);
		ck_assert_msg(idm_blocklist_contains(path, pw, 9, &cap_log) == 1, "%s", pw);
	}
	ck_assert_int_eq(idm_blocklist_contains(path, "pw1000000", 9, &cap_log), 0);
}
END_TEST

/* ------------------------------------------------------------ history */

/* R-PW-3: old passwords are never reused. */
START_TEST(history_reuse)
{
	struct idm_policy p = no_rules();
	struct idm_pw_facts f = facts();
	char *h[2];
	const char *m;

	h[0] = history_value("Old-Pass-1", NOW - 200 * 86400, &small);
	h[1] = history_value("Old-Pass-2", NOW - 100 * 86400, &small);
	p.history = 24;
	f.history = (const char *const *)h;
	f.n_history = 2;
	f.current_password = "Current-Pass";

	m = assert_refused(&p, &f, "Current-Pass", 12, IDM_RULE_REUSED);
	ck_assert_str_eq(m, "The new password must differ from the current one.");
	m = assert_refused(&p, &f, "Old-Pass-1", 10, IDM_RULE_REUSED);
	ck_assert_ptr_nonnull(strstr(m, "24 previous"));
	assert_refused(&p, &f, "Old-Pass-2", 10, IDM_RULE_REUSED);
	ck_assert_uint_eq(viol.n, 1);
	assert_ok(&p, &f, "Old-Pass-3");
	assert_ok(&p, &f, "old-pass-1"); /* exact, not case folded */
	ck_assert_str_eq(captured.text, "");

	/* history = 0: only the current password is refused. */
	p.history = 0;
	assert_ok(&p, &f, "Old-Pass-1");
	assert_refused(&p, &f, "Current-Pass", 12, IDM_RULE_REUSED);
	free(h[0]);
	free(h[1]);
}
END_TEST

/* history = 3 and changes p1 -> p2 -> p3 -> p4 -> p5: the stored history
 * holds p4, p3, p2 and the current password is p5, so p1 is allowed again
 * and p2..p5 are refused. */
START_TEST(history_rotation)
{
	struct idm_policy p = no_rules();
	struct idm_pw_facts f = facts();
	static const char *const pw[] = { "Pass-One-1", "Pass-Two-2", "Pass-Three-3", "Pass-Four-4",
					  "Pass-Five-5" };
	char **hist = NULL, *old_hash = NULL;
	size_t n = 0;

	p.history = 3;
	ck_assert_int_eq(idm_hash_password(&small, pw[0], strlen(pw[0]), &old_hash), IDM_OK);
	for (int i = 1; i < 5; i++) {
		char **next = NULL;
		size_t nn = 0;
		time_t when = NOW - (5 - i) * 86400;

		ck_assert_int_eq(idm_history_next(&p, (const char *const *)hist, n, old_hash, when,
						  &next, &nn),
				 IDM_OK);
		idm_history_free(hist, n);
		hist = next;
		n = nn;
		ck_assert_ptr_null(hist[n]);
		free(old_hash);
		ck_assert_int_eq(idm_hash_password(&small, pw[i], strlen(pw[i]), &old_hash), IDM_OK);
	}
	free(old_hash);
	ck_assert_uint_eq(n, 3);
	/* Newest first, each stamped with the time of its change. */
	ck_assert_int_eq(strncmp(hist[0], "20231113221320Z#{ARGON2}$argon2id$", 34), 0);
	ck_assert_int_eq(strncmp(hist[1], "20231112221320Z#", 16), 0);
	ck_assert_int_eq(strncmp(hist[2], "20231111221320Z#", 16), 0);

	f.history = (const char *const *)hist;
	f.n_history = n;
	f.current_password = pw[4];
	assert_ok(&p, &f, pw[0]);
	for (int i = 1; i < 5; i++)
		assert_refused(&p, &f, pw[i], strlen(pw[i]), IDM_RULE_REUSED);
	idm_history_free(hist, n);
}
END_TEST

/* A policy whose history shrinks keeps the newest entries. */
START_TEST(history_shrinks)
{
	struct idm_policy p = no_rules();
	struct idm_pw_facts f = facts();
	char *h[5], **next = NULL;
	size_t n = 0;

	/* Stored in no particular order: ages 3, 1, 5, 2, 4 days. */
	h[0] = history_value("Age-Three", NOW - 3 * 86400, &small);
	h[1] = history_value("Age-One", NOW - 1 * 86400, &small);
	h[2] = history_value("Age-Five", NOW - 5 * 86400, &small);
	h[3] = history_value("Age-Two", NOW - 2 * 86400, &small);
	h[4] = history_value("Age-Four", NOW - 4 * 86400, &small);
	p.history = 2;

	ck_assert_int_eq(idm_history_next(&p, (const char *const *)h, 5, NULL, NOW, &next, &n),
			 IDM_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(next[0], h[1]);
	ck_assert_str_eq(next[1], h[3]);
	ck_assert_ptr_null(next[2]);
	idm_history_free(next, n);

	ck_assert_int_eq(idm_history_next(&p, (const char *const *)h, 5, "{ARGON2}$new", NOW, &next,
					  &n),
			 IDM_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(next[0], "20231114221320Z#{ARGON2}$new");
	ck_assert_str_eq(next[1], h[1]);
	idm_history_free(next, n);

	/* The check reads only the 2 newest too. */
	f.history = (const char *const *)h;
	f.n_history = 5;
	assert_refused(&p, &f, "Age-One", 7, IDM_RULE_REUSED);
	assert_refused(&p, &f, "Age-Two", 7, IDM_RULE_REUSED);
	assert_ok(&p, &f, "Age-Three");

	/* history = 0: nothing is kept, but the array is still there. */
	p.history = 0;
	ck_assert_int_eq(idm_history_next(&p, (const char *const *)h, 5, "{ARGON2}$new", NOW, &next,
					  &n),
			 IDM_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_nonnull(next);
	ck_assert_ptr_null(next[0]);
	idm_history_free(next, n);
	idm_history_free(NULL, 0);
	for (int i = 0; i < 5; i++)
		free(h[i]);
}
END_TEST

/* The password just replaced goes first whatever the clocks say; entries
 * without a readable date go last. */
START_TEST(history_next_order)
{
	struct idm_policy p = no_rules();
	static const char *const h[] = {
		"garbage",
		"20991231235959Z#{ARGON2}$from-a-fast-clock",
		NULL,
		"20230101000000Z#{ARGON2}$older",
		"20230601000000.5Z#{ARGON2}$fraction",
	};
	char **next = NULL;
	size_t n = 0;

	p.history = 10;
	ck_assert_int_eq(idm_history_next(&p, h, 5, "{ARGON2}$now", NOW, &next, &n), IDM_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(next[0], "20231114221320Z#{ARGON2}$now");
	ck_assert_str_eq(next[1], h[1]);
	ck_assert_str_eq(next[2], h[4]);
	ck_assert_str_eq(next[3], h[3]);
	ck_assert_str_eq(next[4], "garbage");
	idm_history_free(next, n);

	p.history = 1;
	ck_assert_int_eq(idm_history_next(&p, h, 5, "{ARGON2}$now", NOW, &next, &n), IDM_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(next[0], "20231114221320Z#{ARGON2}$now");
	idm_history_free(next, n);
}
END_TEST

/* libargon2 trusts the costs written in a stored hash (security notes):
 * a planted entry is skipped and logged, never run. */
START_TEST(history_planted_entries_skipped)
{
	static const struct idm_argon2_params four_lanes = { 64, 1, 4 };
	struct idm_policy p = no_rules();
	struct idm_pw_facts f = facts();
	struct timespec t0;
	const char *h[5];
	char *real, *lanes;
	double ms;

	real = history_value("Reused-Pass-9", NOW - 86400, &small);
	lanes = history_value("Four-Lanes-4", NOW - 3 * 86400, &four_lanes);
	h[0] = "20231110000000Z#{ARGON2}$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$"
	       "c29tZWhhc2g";
	h[1] = "20231109000000Z#{SSHA}c29tZWhhc2g=";
	h[2] = "no-date-no-hash";
	h[3] = real;
	h[4] = lanes;
	p.history = 24;
	f.history = h;
	f.n_history = 5;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_ok(&p, &f, "Fresh-Pass-7");
	ms = ms_since(&t0);
	ck_assert_msg(ms < limit_ms(200), "%.1f ms", ms);
	ck_assert_ptr_nonnull(strstr(captured.text, "m=4194304 KiB"));
	ck_assert_ptr_nonnull(strstr(captured.text, "20231110000000Z"));
	ck_assert_ptr_nonnull(strstr(captured.text, "20231109000000Z"));
	ck_assert_ptr_nonnull(strstr(captured.text, "an unknown date"));
	/* More lanes than configured: libargon2 would start threads. */
	ck_assert_ptr_nonnull(strstr(captured.text, "p=4"));
	ck_assert_ptr_nonnull(strstr(captured.text, "user jsmith"));
	ck_assert_ptr_null(strstr(captured.text, "c29tZWhhc2g"));
	ck_assert_ptr_null(strstr(captured.text, "c29tZXNhbHQ"));
	ck_assert_ptr_null(strstr(captured.text, "Fresh-Pass"));

	/* The entries around the planted ones still count. */
	assert_refused(&p, &f, "Reused-Pass-9", 13, IDM_RULE_REUSED);
	free(real);
	free(lanes);
}
END_TEST

/* ------------------------------------------------------------ min age */

START_TEST(min_age_boundary)
{
	struct idm_policy p = no_rules();
	struct idm_pw_facts f = facts();
	const char *m;

	p.min_age_days = 1;
	f.changed = NOW - 86400;
	assert_ok(&p, &f, "whatever");
	ck_assert_int_eq(idm_policy_next_change(&p, &f), 0);

	f.changed = NOW - 86399;
	m = assert_refused(&p, &f, "whatever", 8, IDM_RULE_MIN_AGE);
	ck_assert_str_eq(m, "Your password was changed less than 1 day ago; it can be changed "
			    "again in 1 hour.");
	ck_assert_uint_eq(viol.n, 1);
	ck_assert_int_eq(idm_policy_next_change(&p, &f), NOW + 1);

	p.min_age_days = 7;
	f.changed = NOW - 3600;
	m = assert_refused(&p, &f, "whatever", 8, IDM_RULE_MIN_AGE);
	ck_assert_ptr_nonnull(strstr(m, "in 7 days"));

	/* A temporary, expired or forced password changes at once. */
	f.forced = true;
	assert_ok(&p, &f, "whatever");
	ck_assert_int_eq(idm_policy_next_change(&p, &f), 0);
	/* Unknown change time. */
	f.forced = false;
	f.changed = 0;
	assert_ok(&p, &f, "whatever");
	/* Rule off. */
	p.min_age_days = 0;
	f.changed = NOW - 1;
	assert_ok(&p, &f, "whatever");
}
END_TEST

/* ------------------------------------------------------------ together */

/* A 1 MiB password is refused by max_length without reading the list or
 * running Argon2: the list named does not exist (reading it would fail
 * closed with IDM_EIO) and a malformed history entry would be logged. */
START_TEST(huge_password_refused_quickly)
{
	struct idm_policy p = no_rules();
	struct idm_pw_facts f = facts();
	size_t len = 1024 * 1024;
	char *pw = malloc(len), missing[PATH_MAX], *real;
	const char *h[2];
	struct timespec t0;
	const char *m;
	double ms;
	int r;

	ck_assert_ptr_nonnull(pw);
	for (size_t i = 0; i < len; i++)
		pw[i] = "aB3!"[i % 4];
	real = history_value("Some-Old-Pass", NOW - 86400, &small);
	h[0] = "unreadable";
	h[1] = real;
	fx_path(missing, PATH_MAX, "absent");
	p.min_length = 12;
	p.max_length = 128;
	p.min_classes = 3;
	p.history = 24;
	p.reject_user_name = true;
	p.blocklist_file = missing;
	f.given_name = "Alice";
	f.surname = "Walker";
	f.history = h;
	f.n_history = 2;
	f.current_password = "Current-Pass";

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = check_bytes(&p, &f, pw, len);
	ms = ms_since(&t0);
	fprintf(stderr, "1 MiB password refused in %.2f ms\n", ms);
	ck_assert_int_eq(r, IDM_EPOLICY);
	ck_assert_uint_eq(viol.n, 1);
	m = msg_of(IDM_RULE_LENGTH_MAX);
	ck_assert_str_eq(m, "The password must be at most 128 characters long (it has 1048576).");
	ck_assert_str_eq(captured.text, "");
	ck_assert_msg(ms < limit_ms(200), "%.1f ms", ms);

	/* The cheap rules are still all reported. */
	memset(pw, 'a', len);
	memcpy(pw + len / 2, "walker", 6);
	pw[7] = '\xFF';
	r = check_bytes(&p, &f, pw, len);
	ck_assert_int_eq(r, IDM_EPOLICY);
	ck_assert_ptr_nonnull(msg_of(IDM_RULE_LENGTH_MAX));
	ck_assert_ptr_nonnull(msg_of(IDM_RULE_CLASSES));
	ck_assert_ptr_nonnull(msg_of(IDM_RULE_USER_NAME));
	ck_assert_ptr_nonnull(msg_of(IDM_RULE_ENCODING));
	ck_assert_uint_eq(viol.n, 4);
	ck_assert_str_eq(captured.text, "");
	free(pw);
	free(real);
}
END_TEST

/* R-PW-1, R-PW-3: every broken rule at once, so a user fixes all in one go;
 * R-PRIV-4: the stricter policy of privileged IDs is the same engine. */
START_TEST(all_violations_together)
{
	struct idm_policy p = no_rules();
	struct idm_pw_facts f = facts();
	char path[PATH_MAX];
	static const enum idm_rule want[] = { IDM_RULE_MIN_AGE,   IDM_RULE_LENGTH_MIN,
					      IDM_RULE_CLASSES,   IDM_RULE_USER_NAME,
					      IDM_RULE_BLOCKLIST, IDM_RULE_REUSED };

	fx_write_bytes("list", list_text, sizeof(list_text) - 1, 0600, path, PATH_MAX);
	p.min_length = 15; /* as a privileged policy might ship */
	p.max_length = 128;
	p.min_classes = 4;
	p.history = 24;
	p.min_age_days = 1;
	p.blocklist_file = path;
	p.reject_user_name = true;
	f.uid = "qwe";
	f.changed = NOW - 60;
	f.current_password = "qwerty123";

	ck_assert_int_eq(check(&p, &f, "qwerty123"), IDM_EPOLICY);
	ck_assert_uint_eq(viol.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *m = msg_of(want[i]);

		ck_assert_msg(m != NULL, "rule %d missing", (int)want[i]);
		ck_assert_ptr_null(strstr(m, "qwerty"));
	}
	ck_assert_ptr_nonnull(strstr(msg_of(IDM_RULE_LENGTH_MIN), "at least 15"));
	ck_assert_ptr_nonnull(strstr(msg_of(IDM_RULE_CLASSES), "(it has 2)"));

	/* And one that passes them all. */
	f.changed = NOW - 2 * 86400;
	assert_ok(&p, &f, "Tr0ub4dor&3-staple");
}
END_TEST

/* ---------------------------------------------------------------- main */

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = fx_tcase("text");

	tcase_add_test(tc, length_min_counts_characters);
	tcase_add_test(tc, length_max_counts_characters);
	tcase_add_test(tc, encoding_refuses_invalid_utf8);
	tcase_add_test(tc, classes_boundary);
	tcase_add_test(tc, names_refused);
	tcase_add_test(tc, names_short_ignored);
	suite_add_tcase(s, tc);

	tc = fx_tcase("blocklist");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, blocklist_lines);
	tcase_add_test(tc, blocklist_in_policy);
	tcase_add_test(tc, blocklist_file_refusals);
	tcase_add_test(tc, blocklist_long_lines);
	tcase_add_test(tc, blocklist_million_lines);
	suite_add_tcase(s, tc);

	tc = fx_tcase("history");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, history_reuse);
	tcase_add_test(tc, history_rotation);
	tcase_add_test(tc, history_shrinks);
	tcase_add_test(tc, history_next_order);
	tcase_add_test(tc, history_planted_entries_skipped);
	tcase_add_test(tc, min_age_boundary);
	suite_add_tcase(s, tc);

	tc = fx_tcase("together");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, huge_password_refused_quickly);
	tcase_add_test(tc, all_violations_together);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(policy_suite(), NULL);
}
