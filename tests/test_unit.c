/* test_unit.c -- unit tests of the core library, without a directory server.
 *
 * One suite per area.  Fixtures live in a mkdtemp folder under $TMPDIR (or
 * /tmp) that teardown removes.  Messages of the core are captured through a
 * struct idm_log sink, so the tests assert what an administrator would read.
 * Requirement IDs are those of docs/requirements.md. */
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

/* ------------------------------------------------------------ fixtures */

static char fx_dir[PATH_MAX];

/* Every message of the core, one per line. */
static struct {
	char text[32768];
	size_t len;
} captured;

static void capture_fn(void *data, int priority, const char *msg)
{
	size_t room = sizeof(captured.text) - captured.len;
	int n;

	(void)data;
	(void)priority;
	n = snprintf(captured.text + captured.len, room, "%s\n", msg);
	if (n > 0)
		captured.len += (size_t)n < room ? (size_t)n : room - 1;
}

static const struct idm_log cap_log = { capture_fn, NULL, 1 };

/* What a test allocates through the helpers is freed by teardown, so that a
 * failed assertion (a longjmp under CK_FORK=no) leaks nothing. */
#define FX_MAX 16
static void *fx_bufs[FX_MAX];
static struct idm_config *fx_cfgs[FX_MAX];
static size_t fx_nbufs, fx_ncfgs;

static void *fx_keep(void *p)
{
	ck_assert_uint_lt(fx_nbufs, FX_MAX);
	fx_bufs[fx_nbufs++] = p;
	return p;
}

static struct idm_config *fx_keep_cfg(struct idm_config *cfg)
{
	if (cfg) {
		ck_assert_uint_lt(fx_ncfgs, FX_MAX);
		fx_cfgs[fx_ncfgs++] = cfg;
	}
	return cfg;
}

static void fx_release(void)
{
	while (fx_nbufs > 0)
		free(fx_bufs[--fx_nbufs]);
	while (fx_ncfgs > 0)
		idm_config_free(fx_cfgs[--fx_ncfgs]);
}

static void capture_reset(void)
{
	captured.text[0] = '\0';
	captured.len = 0;
}

/* Each tcase gets a folder, made and removed by the runner's process
 * (unchecked fixture); each test a folder inside it.  A test that fails
 * in a forked child never reaches its teardown: the tcase's teardown still
 * removes what it left. */
static char fx_root[PATH_MAX];

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void root_setup(void)
{
	const char *base = getenv("TMPDIR");

	if (!base || !*base)
		base = "/tmp";
	snprintf(fx_root, sizeof(fx_root), "%s/idm-unit-XXXXXX", base);
	if (!mkdtemp(fx_root)) {
		fprintf(stderr, "mkdtemp %s: %s\n", fx_root, strerror(errno));
		exit(EXIT_FAILURE);
	}
}

static void root_teardown(void)
{
	remove_tree(fx_root);
	fx_root[0] = '\0';
}

static void dir_setup(void)
{
	ck_assert_int_lt(snprintf(fx_dir, sizeof(fx_dir), "%s/t-XXXXXX", fx_root),
			 (int)sizeof(fx_dir));
	ck_assert_msg(mkdtemp(fx_dir) != NULL, "mkdtemp %s: %s", fx_dir, strerror(errno));
	capture_reset();
}

static void dir_teardown(void)
{
	fx_release();
	if (fx_dir[0])
		remove_tree(fx_dir);
	fx_dir[0] = '\0';
}

static void fx_path(char *out, size_t n, const char *name)
{
	ck_assert_int_lt(snprintf(out, n, "%s/%s", fx_dir, name), (int)n);
}

/* Writes len bytes to DIR/name with exactly that mode; the path goes to out. */
static void write_bytes(const char *name, const char *data, size_t len, mode_t mode, char *out,
			size_t n)
{
	int fd;

	fx_path(out, n, name);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0, "%s: %s", out, strerror(errno));
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void write_text(const char *name, const char *text, mode_t mode, char *out, size_t n)
{
	write_bytes(name, text, strlen(text), mode, out, n);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long size;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	return fx_keep(buf);
}

/* 1-based line of the first occurrence of needle in text, 0 when absent. */
static int line_in(const char *text, const char *needle)
{
	const char *hit = strstr(text, needle);
	int line = 1;

	if (!hit)
		return 0;
	for (const char *p = text; p < hit; p++)
		if (*p == '\n')
			line++;
	return line;
}

/* The captured message (a whole line) holding needle, or NULL. */
static const char *logged(const char *needle)
{
	const char *hit = strstr(captured.text, needle);

	if (!hit)
		return NULL;
	while (hit > captured.text && hit[-1] != '\n')
		hit--;
	return hit;
}

/* For the message holding needle: -1 when there is none or it does not
 * start with "PATH:", 0 when it names no line ("PATH: ..."), else the line
 * of "PATH:LINE: ...". */
static int logged_line(const char *path, const char *needle)
{
	const char *m = logged(needle);
	size_t plen = strlen(path);
	int line = 0;

	if (!m || strncmp(m, path, plen) != 0 || m[plen] != ':')
		return -1;
	for (m += plen + 1; *m >= '0' && *m <= '9'; m++)
		line = line * 10 + (*m - '0');
	return *m == ':' ? line : 0;
}

#define ck_assert_logged(needle) \
	ck_assert_msg(logged(needle) != NULL, "no message holds \"%s\"; messages:\n%s", needle, \
		      captured.text)

/* ------------------------------------------------------ configurations */

/* A minimal valid configuration, with hooks to change it. */
struct conf_parts {
	const char *ldap_extra; /* lines inserted right after "ldap {" (line 2 on) */
	const char *standard;   /* body of "policy standard { ... }" */
	const char *after;      /* lines appended at the end */
	const char *omit;       /* lines of the minimal text holding this are left out */
};

static char *conf_text(const struct conf_parts *p)
{
	static const char *const ldap_lines[] = {
		"  uri = \"ldap://127.0.0.1:389/\"\n",
		"  base_dn = \"dc=example,dc=org\"\n",
		"  people_dn = \"ou=people,dc=example,dc=org\"\n",
		"  groups_dn = \"ou=groups,dc=example,dc=org\"\n",
		"  idmgr_dn = \"ou=idmgr,dc=example,dc=org\"\n",
		"  bind_dn = \"cn=pam,ou=services,dc=example,dc=org\"\n",
	};
	static const char *const tail_lines[] = {
		"policy privileged {}\n",
		"roles {\n",
		"  ciso = \"cn=ciso,ou=roles,ou=idmgr,dc=example,dc=org\"\n",
		"  security_chief = \"cn=security_chief,ou=roles,ou=idmgr,dc=example,dc=org\"\n",
		"  system_admin = \"cn=system_admin,ou=roles,ou=idmgr,dc=example,dc=org\"\n",
		"  security_manager = \"cn=security_manager,ou=roles,ou=idmgr,dc=example,dc=org\"\n",
		"  contractor = \"cn=contractor,ou=roles,ou=idmgr,dc=example,dc=org\"\n",
		"}\n",
	};
	char *text = NULL, secret_line[PATH_MAX + 64];
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	ck_assert_ptr_nonnull(f);
	fputs("ldap {\n", f);
	if (p->ldap_extra)
		fputs(p->ldap_extra, f);
	for (size_t i = 0; i < sizeof(ldap_lines) / sizeof(ldap_lines[0]); i++)
		if (!p->omit || !strstr(ldap_lines[i], p->omit))
			fputs(ldap_lines[i], f);
	snprintf(secret_line, sizeof(secret_line), "  bind_password_file = \"%s/pam.secret\"\n",
		 fx_dir);
	if (!p->omit || !strstr(secret_line, p->omit))
		fputs(secret_line, f);
	fputs("}\n", f);
	fprintf(f, "policy standard {%s}\n", p->standard ? p->standard : "");
	for (size_t i = 0; i < sizeof(tail_lines) / sizeof(tail_lines[0]); i++)
		if (!p->omit || !strstr(tail_lines[i], p->omit))
			fputs(tail_lines[i], f);
	if (p->after)
		fputs(p->after, f);
	ck_assert_int_eq(fclose(f), 0);
	return fx_keep(text);
}

/* Writes the configuration to DIR/name (mode 0600) and loads it. *text is
 * what was written; path receives the file name.  Teardown frees both. */
static int load_parts(const struct conf_parts *p, const char *name, char **text, char *path,
		      size_t n, struct idm_config **cfg)
{
	int r;

	*text = conf_text(p);
	write_text(name, *text, 0600, path, n);
	capture_reset();
	r = idm_config_load(path, &cap_log, cfg);
	fx_keep_cfg(*cfg);
	return r;
}

/* Loads a configuration that must be refused with IDM_ECONFIG, and checks
 * that a message holds needle and cites "FILE:LINE:", LINE being that of
 * where_text in the configuration (NULL: any line, but one). */
static void expect_refused(const struct conf_parts *p, const char *needle, const char *where_text)
{
	char *text, path[PATH_MAX];
	struct idm_config *cfg = NULL;
	int r, line;

	r = load_parts(p, "bad.conf", &text, path, sizeof(path), &cfg);
	ck_assert_msg(r == IDM_ECONFIG, "loaded with %d (%s); messages:\n%s\nconfig:\n%s", r,
		      idm_strerror(r), captured.text, text);
	ck_assert_ptr_null(cfg);
	ck_assert_logged(needle);
	line = logged_line(path, needle);
	ck_assert_msg(line > 0, "the message about \"%s\" names no \"%s:LINE:\":\n%s", needle, path,
		      captured.text);
	if (where_text)
		ck_assert_int_eq(line, line_in(text, where_text));
}

static void sample_path(char *out, size_t n)
{
	const char *src = getenv("IDMGR_SRCDIR");

	if (src && *src)
		snprintf(out, n, "%s/conf/idmgr.conf", src);
	else
		snprintf(out, n, "../conf/idmgr.conf");
}

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
	assert_filter_escape("a\0b", 3, "a\\00b");           /* embedded NUL, explicit length */
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
		"alice", "Smith, John", "a+uid=root", " x ", "#1", "cn=admin,dc=example,dc=org",
		"back\\slash", "q\"uote", "<tag>", "semi;colon", "\x01" "ctl", "caf\xc3\xa9",
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

/* ============================================== uid validation (R-AUD-2) */

static struct idm_config *fx_cfg;

static void uid_setup(void)
{
	struct conf_parts p = { 0 };
	char *text, path[PATH_MAX];
	int r;

	dir_setup();
	r = load_parts(&p, "idmgr.conf", &text, path, sizeof(path), &fx_cfg);
	ck_assert_msg(r == IDM_OK, "minimal configuration refused:\n%s", captured.text);
}

static void uid_teardown(void)
{
	fx_cfg = NULL; /* freed with the fixture */
	dir_teardown();
}

START_TEST(uid_default_pattern)
{
	static const char *const good[] = {
		"alice", "a.b-c_d", "ab", "bob2", "abcdefghijklmnopqrstuvwxyz012345", /* 32 */
	};
	static const char *const bad[] = {
		"", "*", "a*)(uid=*", "\\2a", "x)(|(uid=*", "Alice", "1abc",
		"abcdefghijklmnopqrstuvwxyz0123456", /* 33 */
		"a b", "a,b", "a", ".ab", "al\xc3\xa9", "al\tice", "alice\n", "a=b", "a#b",
	};

	ck_assert_str_eq(fx_cfg->registration.uid_pattern, "^[a-z][a-z0-9._-]{1,31}$");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(idm_uid_check(fx_cfg, good[i]) == IDM_OK, "\"%s\" refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(idm_uid_check(fx_cfg, bad[i]) == IDM_EINVAL, "\"%s\" accepted", bad[i]);
	ck_assert_int_eq(idm_uid_check(fx_cfg, NULL), IDM_EINVAL);
}
END_TEST

/* Even a careless uid_pattern lets no filter or DN metacharacter through. */
START_TEST(uid_metachars_despite_loose_pattern)
{
	static const char *const bad[] = {
		"*", "a*)(uid=*", "\\2a", "x)(|(uid=*", "a b", "a,b", "a+b", "a\"b", "a<b", "a>b",
		"a;b", "a=b", "#ab", "al\xc3\xa9",
	};
	struct conf_parts p = { .after = "registration { uid_pattern = \"^.+$\" }\n" };
	struct idm_config *cfg = NULL;
	char *text, path[PATH_MAX];

	ck_assert_int_eq(load_parts(&p, "loose.conf", &text, path, sizeof(path), &cfg), IDM_OK);
	ck_assert_int_eq(idm_uid_check(cfg, "Alice"), IDM_OK); /* the pattern allows it */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(idm_uid_check(cfg, bad[i]) == IDM_EINVAL, "\"%s\" accepted", bad[i]);
}
END_TEST

/* R-PRIV-5: default names stay reserved, whatever their case. */
START_TEST(uid_reserved)
{
	ck_assert(idm_uid_reserved(fx_cfg, "root"));
	ck_assert(idm_uid_reserved(fx_cfg, "ROOT"));
	ck_assert(idm_uid_reserved(fx_cfg, "Administrator"));
	ck_assert(idm_uid_reserved(fx_cfg, "guest"));
	ck_assert(!idm_uid_reserved(fx_cfg, "rooty"));
	ck_assert(!idm_uid_reserved(fx_cfg, "alice"));
	ck_assert(!idm_uid_reserved(fx_cfg, ""));
}
END_TEST

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
	static const time_t samples[] = { 0, 951782400, 1709164800, 1767225600, 1783168496,
					  2147483648 };
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
		"20260704123456+0000", "20260704123456z", "20260704123456ZZ", "2026070412345Z",
		"20260732000000Z", "20260704243456Z", "20260704126056Z", "20260704123461Z",
		"20250229000000Z", /* not a leap year */
		"21000229000000Z", /* divisible by 100 but not by 400 */
		"20260431000000Z", "19691231235959Z", "2026-07-04T12:34:56Z", "", "Z",
		"20260704123456.Z", /* RFC 4517: a fraction has at least one digit */
		"2026070412345aZ", " 20260704123456Z",
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
		"2026-02-30", "2025-02-29", "2100-02-29", "2026-13-01", "2026-00-10", "2026-01-00",
		"2026-2-01",  "2026/02/01", "20260201",   "2026-02-01x", "", "1969-12-31",
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
		"garbage", "", "{ARGON2}", "{SSHA}c2FsdGVkaGFzaA==", "{ARGON2}$argon2x$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA",
		"{ARGON2}$argon2id$v=19$m=64,t=1,p=1", "{ARGON2}$argon2id$v=19$m=,t=1,p=1$c2FsdA$aGFzaA",
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

/* ============================== configuration (contract §4, R-AUD-2) */

START_TEST(config_sample_loads)
{
	char path[PATH_MAX], *text;
	struct idm_config *cfg = NULL;
	const struct idm_policy *priv, *std;
	const struct idm_unit *u;
	int r;

	sample_path(path, sizeof(path));
	r = idm_config_load(path, &cap_log, &cfg);
	fx_keep_cfg(cfg);
	ck_assert_msg(r == IDM_OK, "%s refused (%d):\n%s", path, r, captured.text);
	ck_assert_str_eq(captured.text, "");
	ck_assert_ptr_nonnull(cfg);

	ck_assert_uint_eq(cfg->ldap.n_uris, 2);
	ck_assert_str_eq(cfg->ldap.uris[0], "ldap://127.0.0.1:389/");
	ck_assert_str_eq(cfg->ldap.uris[1], "ldap://127.0.0.2:389/");
	ck_assert_str_eq(cfg->ldap.base_dn, "dc=example,dc=org");
	ck_assert_str_eq(cfg->ldap.bind_dn, "cn=pam,ou=services,dc=example,dc=org");
	ck_assert_str_eq(cfg->ldap.bind_password_file, "/etc/idmgr/pam.secret");
	text = slurp(path);
	ck_assert_int_eq(cfg->ldap.bind_password_file_line, line_in(text, "bind_password_file ="));
	ck_assert_int_eq(cfg->ldap.timeout, 5);
	ck_assert(!cfg->ldap.starttls);

	ck_assert_uint_eq(cfg->argon2.memory_kib, 19456);
	ck_assert_uint_eq(cfg->argon2.iterations, 2);
	ck_assert_uint_eq(cfg->argon2.parallelism, 1);

	std = idm_config_policy(cfg, "standard");
	priv = idm_config_policy(cfg, "privileged");
	ck_assert_ptr_nonnull(std);
	ck_assert_ptr_nonnull(priv);
	ck_assert_ptr_null(idm_config_policy(cfg, "nonesuch"));
	ck_assert_int_eq(std->min_length, 12);
	ck_assert_int_eq(priv->min_length, 16); /* R-PRIV-4 */
	ck_assert_int_eq(priv->min_classes, 4);
	ck_assert_int_eq(priv->max_age_days, 90);
	ck_assert_int_eq(priv->lockout_threshold, 3);
	ck_assert_int_eq(priv->lockout_duration, 0);

	ck_assert_str_eq(cfg->roles.dn[IDM_ROLE_CISO], "cn=ciso,ou=roles,ou=idmgr,dc=example,dc=org");
	ck_assert_str_eq(cfg->roles.dn[IDM_ROLE_CONTRACTOR],
			 "cn=contractor,ou=roles,ou=idmgr,dc=example,dc=org");
	ck_assert(!cfg->roles.same_person_both_approvals);

	ck_assert_uint_eq(cfg->n_units, 2);
	u = idm_config_unit(cfg, "benefits");
	ck_assert_ptr_nonnull(u);
	ck_assert_uint_eq(u->n_groups, 2);
	ck_assert_str_eq(u->groups[0], "benefits");
	ck_assert_str_eq(u->groups[1], "benefits-files");
	u = idm_config_unit(cfg, "finance");
	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(u->groups[1], "finance-ledger");
	ck_assert_ptr_null(idm_config_unit(cfg, "nonesuch"));

	ck_assert_uint_eq(cfg->n_regular_staff_groups, 2); /* R-REG-6 */
	ck_assert_str_eq(cfg->regular_staff_groups[0], "internet");
	ck_assert_str_eq(cfg->regular_staff_groups[1], "mail");
	ck_assert_str_eq(cfg->login.banner, "Authorised use only. Activity is recorded.");
	ck_assert_int_eq(cfg->sweep.inactive_days, 90);
}
END_TEST

START_TEST(config_defaults)
{
	struct conf_parts p = { 0 };
	char *text, path[PATH_MAX];
	struct idm_config *cfg = NULL;
	const struct idm_policy *std;

	ck_assert_int_eq(load_parts(&p, "min.conf", &text, path, sizeof(path), &cfg), IDM_OK);
	ck_assert_str_eq(captured.text, "");
	ck_assert_str_eq(cfg->path, path);
	ck_assert_uint_eq(cfg->ldap.n_uris, 1);
	ck_assert_int_eq(cfg->ldap.timeout, 5);
	ck_assert(!cfg->ldap.starttls);
	ck_assert_str_eq(cfg->ldap.ca_file, "");
	ck_assert_int_eq(cfg->ldap.bind_password_file_line, line_in(text, "bind_password_file"));
	ck_assert_uint_eq(cfg->argon2.memory_kib, 19456);
	ck_assert_uint_eq(cfg->argon2.iterations, 2);
	ck_assert_uint_eq(cfg->argon2.parallelism, 1);
	std = idm_config_policy(cfg, "standard");
	ck_assert_ptr_nonnull(std);
	ck_assert_int_eq(std->min_length, 12);
	ck_assert_int_eq(std->max_length, 128);
	ck_assert_int_eq(std->min_classes, 3);
	ck_assert_int_eq(std->history, 24);
	ck_assert_int_eq(std->max_age_days, 180);
	ck_assert_int_eq(std->lockout_threshold, 5);
	ck_assert_int_eq(std->lockout_window, 900);
	ck_assert_str_eq(std->blocklist_file, "");
	ck_assert(std->reject_user_name);
	ck_assert_str_eq(cfg->registration.uid_pattern, "^[a-z][a-z0-9._-]{1,31}$");
	ck_assert_uint_eq(cfg->registration.n_reserved_names, 7);
	ck_assert_int_eq(cfg->registration.temp_password_length, 16);
	ck_assert_int_eq(cfg->registration.uid_number_min, 10000);
	ck_assert_str_eq(cfg->registration.primary_group, "staff");
	ck_assert_uint_eq(cfg->n_units, 0);
	ck_assert_uint_eq(cfg->n_regular_staff_groups, 2);
	ck_assert_str_eq(cfg->regular_staff_groups[0], "internet");
	ck_assert_int_eq(cfg->sweep.inactive_days, 90);
	ck_assert_int_eq(cfg->sweep.never_used_days, 30);
	ck_assert_str_eq(cfg->login.banner, "");
	ck_assert(cfg->login.show_last_login);
	ck_assert(!cfg->roles.same_person_both_approvals);
}
END_TEST

/* `config check` prints the effective values, defaults included. */
START_TEST(config_print)
{
	struct conf_parts p = { .standard = " min_length = 14 " };
	char *text, path[PATH_MAX], *out = NULL;
	size_t size = 0;
	struct idm_config *cfg = NULL;
	FILE *f;

	ck_assert_int_eq(load_parts(&p, "min.conf", &text, path, sizeof(path), &cfg), IDM_OK);
	f = open_memstream(&out, &size);
	ck_assert_ptr_nonnull(f);
	idm_config_print(cfg, f);
	fclose(f);
	ck_assert_msg(strstr(out, "min_length=14") && strstr(out, "timeout=5") &&
			      strstr(out, "memory_kib=19456") && strstr(out, "policy \"privileged\" {"),
		      "printed:\n%s", out);
	free(out);
}
END_TEST

/* Unknown keys, wrong types, out-of-range numbers, invalid values: each
 * refused with "FILE:LINE: ... KEY ..." (contract §4, R-AUD-2). */
START_TEST(config_unknown_key)
{
	struct conf_parts p = { .ldap_extra = "  colour = 1\n" };

	expect_refused(&p, "no such option 'colour'", "colour");
}
END_TEST

START_TEST(config_negative_number)
{
	struct conf_parts p = { .standard = "\n  min_length = -1\n" };

	expect_refused(&p, "min_length: -1 is out of range: must be 1 to 4096", "min_length");
}
END_TEST

START_TEST(config_min_above_max)
{
	struct conf_parts p = { .standard = "\n  min_length = 20\n  max_length = 10\n" };
	char *text = conf_text(&p);
	int first = line_in(text, "policy standard"), last = line_in(text, "policy privileged");
	char path[PATH_MAX];
	int line;

	expect_refused(&p, "policy standard: min_length (20) is greater than max_length (10)", NULL);
	fx_path(path, sizeof(path), "bad.conf");
	line = logged_line(path, "min_length (20)");
	ck_assert_msg(line >= first && line < last, "line %d outside the section (%d..%d)", line,
		      first, last - 1);
}
END_TEST

START_TEST(config_timeout_out_of_range)
{
	struct conf_parts p = { .ldap_extra = "  timeout = 0\n" };
	struct conf_parts q = { .ldap_extra = "  timeout = 301\n" };
	char path[PATH_MAX];

	expect_refused(&p, "timeout: 0 is out of range: must be 1 to 300 seconds", "timeout");
	capture_reset();
	fx_path(path, sizeof(path), "bad.conf");
	unlink(path);
	expect_refused(&q, "timeout: 301 is out of range", "timeout");
}
END_TEST

START_TEST(config_wrong_type)
{
	struct conf_parts p = { .standard = "\n  min_length = \"abc\"\n" };

	expect_refused(&p, "min_length", "min_length");
	ck_assert_logged("invalid integer value for option 'min_length'");
}
END_TEST

START_TEST(config_invalid_dn)
{
	struct conf_parts p = { .ldap_extra = "  base_dn = \"not a dn\"\n", .omit = "base_dn" };

	expect_refused(&p, "base_dn: \"not a dn\" is not a valid DN", "base_dn");
}
END_TEST

START_TEST(config_invalid_uri)
{
	struct conf_parts p = { .ldap_extra = "  uri = \"http://x\"\n", .omit = "uri =" };

	expect_refused(&p, "uri: \"http://x\" is not an ldap://, ldaps:// or ldapi:// URI", "uri");
}
END_TEST

START_TEST(config_bad_regex)
{
	struct conf_parts p = { .after = "registration {\n  uid_pattern = \"^[a-$\"\n}\n" };

	expect_refused(&p, "uid_pattern: \"^[a-$\" is not a valid extended regular expression",
		       "uid_pattern");
}
END_TEST

START_TEST(config_relative_secret_path)
{
	struct conf_parts p = { .ldap_extra = "  bind_password_file = \"pam.secret\"\n",
				.omit = "bind_password_file" };

	expect_refused(&p, "bind_password_file: \"pam.secret\" must be an absolute path",
		       "bind_password_file");
}
END_TEST

/* The ppolicy section: what "idmgr init" writes into slapd's policy
 * entries, "PATH POLICY" in pwdCheckModuleArg: absolute, no white space;
 * check_config defaults to the file itself (R-PW-1). */
START_TEST(config_ppolicy_white_space)
{
	struct conf_parts bad = { .after = "ppolicy { check_module = \"/usr/lib/ldap/x y.so\" }\n" };

	expect_refused(&bad, "check_module: \"/usr/lib/ldap/x y.so\" must not contain white space",
		       "check_module");
}
END_TEST

START_TEST(config_ppolicy_relative)
{
	struct conf_parts rel = { .after = "ppolicy { check_config = \"idmgr.conf\" }\n" };

	expect_refused(&rel, "check_config: \"idmgr.conf\" must be an absolute path", "check_config");
}
END_TEST

START_TEST(config_ppolicy_paths)
{
	struct conf_parts none = { 0 };
	struct idm_config *cfg = NULL;
	char *text, path[PATH_MAX];

	ck_assert_int_eq(load_parts(&none, "pp.conf", &text, path, sizeof(path), &cfg), IDM_OK);
	ck_assert_str_eq(cfg->ppolicy.check_config, path);
	ck_assert_str_eq(cfg->ppolicy.check_module, IDM_SLAPD_MODULEDIR "/idmgr_pwcheck.so");
}
END_TEST

START_TEST(config_missing_key)
{
	struct conf_parts p = { .omit = "bind_dn" };

	/* A missing key has no line of its own; the message must still point
	 * into the file (the section that lacks it) and name the key. */
	expect_refused(&p, "required key bind_dn is missing", NULL);
	ck_assert_logged("ldap: required key bind_dn is missing");
}
END_TEST

START_TEST(config_missing_privileged_policy)
{
	struct conf_parts p = { .omit = "privileged" };
	char *text, path[PATH_MAX];
	struct idm_config *cfg = NULL;

	ck_assert_int_eq(load_parts(&p, "bad.conf", &text, path, sizeof(path), &cfg), IDM_ECONFIG);
	ck_assert_ptr_null(cfg);
	/* a missing section has no line: file and section are named */
	ck_assert_int_ge(logged_line(path, "policy privileged: required section is missing"), 0);
}
END_TEST

/* Comments do not shift the lines that messages cite. */
START_TEST(config_line_after_comments)
{
	struct conf_parts p = {
		.ldap_extra = "  # one\n  // two\n  /* three\n     four */\n"
			      "  base_dn = \"dc=example,dc=org\"  # trailing\n  colour = 1\n",
		.omit = "base_dn",
	};

	expect_refused(&p, "no such option 'colour'", "colour");
}
END_TEST

/* An administrator edits the sample, comments and all. */
START_TEST(config_sample_edited)
{
	char sample[PATH_MAX], path[PATH_MAX], *text, *at;
	struct idm_config *cfg = NULL;

	sample_path(sample, sizeof(sample));
	text = slurp(sample);
	at = strstr(text, "timeout = 5 ");
	ck_assert_ptr_nonnull(at);
	at[10] = '0';
	write_text("edited.conf", text, 0600, path, sizeof(path));
	ck_assert_int_eq(idm_config_load(path, &cap_log, &cfg), IDM_ECONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_logged("timeout: 0 is out of range");
	ck_assert_int_eq(logged_line(path, "timeout: 0 is out of range"),
			 line_in(text, "timeout = 0"));
}
END_TEST

/* libconfuse 3.3 stops reading, and reports success, at a quote or a
 * comment that is never closed, or at the end of a section that is never
 * closed: the rest of the file would be dropped unseen (a privileged policy
 * below it would vanish).  Each is refused, naming the line where the
 * unclosed thing starts. */
START_TEST(config_stray_quote_refused)
{
	struct conf_parts last = { .after = "login {\n  banner = \"hi\" \"\n"
					    "  show_last_login = false\n}\n" };
	struct conf_parts between = { .after = "login { banner = \"hi\" }\n\"\n"
					       "sweep { inactive_days = 0 }\n" };
	struct conf_parts single = { .after = "login { banner = 'hi }\n" };
	char path[PATH_MAX];

	fx_path(path, sizeof(path), "bad.conf");
	expect_refused(&last, "quoted string is never closed", "banner");
	unlink(path);
	expect_refused(&between, "quoted string is never closed", "\"\nsweep");
	unlink(path);
	expect_refused(&single, "quoted string is never closed", "login");
}
END_TEST

START_TEST(config_unclosed_section_refused)
{
	struct conf_parts p = { .after = "login {\n  banner = \"hi\"\n" };
	struct conf_parts inner = { .after = "unit sales {\n  groups = { \"a\"\n}\n" };
	char path[PATH_MAX];

	fx_path(path, sizeof(path), "bad.conf");
	expect_refused(&p, "this section is never closed", "login");
	unlink(path);
	expect_refused(&inner, "this section is never closed", "unit sales");
}
END_TEST

START_TEST(config_unclosed_comment_refused)
{
	struct conf_parts p = { .after = "/* the privileged policy follows\n"
					 "policy extra { min_length = 20 }\n" };

	expect_refused(&p, "comment is never closed", "/*");
}
END_TEST

/* Every missing key is reported, not just the first one. */
START_TEST(config_reports_every_missing_key)
{
	struct conf_parts p = { .omit = "_dn =" };
	static const char *const keys[] = { "base_dn", "people_dn", "groups_dn", "idmgr_dn",
					    "bind_dn" };
	char *text, path[PATH_MAX], msg[64];
	struct idm_config *cfg = NULL;

	ck_assert_int_eq(load_parts(&p, "bad.conf", &text, path, sizeof(path), &cfg), IDM_ECONFIG);
	ck_assert_ptr_null(cfg);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(msg, sizeof(msg), "ldap: required key %s is missing", keys[i]);
		ck_assert_logged(msg);
		ck_assert_int_ge(logged_line(path, msg), 0); /* names the file */
	}
}
END_TEST

/* Inside su or passwd the environment is the caller's (security-notes):
 * ${VAR} is refused where libconfuse would expand it, kept literal where it
 * would not.  HOME is changed to prove that nothing comes from it. */
static char *saved_home;

static void env_setup(void)
{
	const char *home = getenv("HOME");

	saved_home = home ? strdup(home) : NULL;
	dir_setup();
}

static void env_teardown(void)
{
	if (saved_home)
		setenv("HOME", saved_home, 1);
	else
		unsetenv("HOME");
	unsetenv("IDM_TEST_DAYS");
	free(saved_home);
	saved_home = NULL;
	dir_teardown();
}

static void set_home(void)
{
	ck_assert_int_eq(setenv("HOME", "/idm-test-home", 1), 0);
	ck_assert_int_eq(setenv("IDM_TEST_DAYS", "7", 1), 0);
}

START_TEST(config_env_unquoted)
{
	struct conf_parts p = { .ldap_extra = "  ca_file = ${HOME}\n" };

	set_home();
	expect_refused(&p, "\"${\" is not allowed", "${HOME}");
}
END_TEST

START_TEST(config_env_double_quoted)
{
	struct conf_parts p = { .ldap_extra = "  ca_file = \"${HOME}/ca.pem\"\n" };

	set_home();
	expect_refused(&p, "\"${\" is not allowed", "${HOME}");
}
END_TEST

START_TEST(config_env_comment_and_single_quotes)
{
	struct conf_parts p = {
		.ldap_extra = "  # ca_file = ${HOME}/ca.pem\n  /* ${HOME} */\n",
		.after = "login { banner = '${HOME} is not expanded' }\n",
	};
	char *text, path[PATH_MAX];
	struct idm_config *cfg = NULL;
	int r;

	set_home();
	r = load_parts(&p, "env.conf", &text, path, sizeof(path), &cfg);
	ck_assert_msg(r == IDM_OK, "refused (%d):\n%s", r, captured.text);
	ck_assert_str_eq(cfg->login.banner, "${HOME} is not expanded");
	ck_assert_str_eq(cfg->ldap.ca_file, "");
}
END_TEST

/* "//" inside an unquoted value (an LDAP URI) is no comment for libconfuse,
 * so what follows on the line is parsed -- and expanded. */
START_TEST(config_env_after_unquoted_uri)
{
	struct conf_parts p = { .ldap_extra = "  uri = ldap://127.0.0.1/  ca_file = ${HOME}\n",
				.omit = "uri =" };
	char *text, path[PATH_MAX];
	struct idm_config *cfg = NULL;
	int r;

	set_home();
	r = load_parts(&p, "env.conf", &text, path, sizeof(path), &cfg);
	ck_assert_msg(r == IDM_ECONFIG, "accepted: ca_file became \"%s\" from the environment",
		      cfg ? cfg->ldap.ca_file : "?");
	ck_assert_int_eq(logged_line(path, "\"${\" is not allowed"), line_in(text, "${HOME}"));
}
END_TEST

/* 'C:\\' ends after the escaped backslash (libconfuse), so the next line
 * is outside any quote. */
START_TEST(config_env_after_escaped_backslash)
{
	struct conf_parts p = {
		.after = "login { banner = 'C:\\\\' }\nsweep { inactive_days = ${IDM_TEST_DAYS} }\n",
	};
	char *text, path[PATH_MAX];
	struct idm_config *cfg = NULL;
	int r;

	set_home();
	r = load_parts(&p, "env.conf", &text, path, sizeof(path), &cfg);
	ck_assert_msg(r == IDM_ECONFIG, "accepted: inactive_days became %ld from the environment",
		      cfg ? cfg->sweep.inactive_days : -1L);
	ck_assert_int_eq(logged_line(path, "\"${\" is not allowed"),
			 line_in(text, "${IDM_TEST_DAYS}"));
}
END_TEST

START_TEST(config_symlink_refused)
{
	struct conf_parts p = { 0 };
	char *text = conf_text(&p), real[PATH_MAX], link_path[PATH_MAX];
	struct idm_config *cfg = NULL;

	write_text("real.conf", text, 0600, real, sizeof(real));
	fx_path(link_path, sizeof(link_path), "link.conf");
	ck_assert_int_eq(symlink(real, link_path), 0);
	ck_assert_int_eq(idm_config_load(real, &cap_log, &cfg), IDM_OK); /* the target is fine */
	fx_keep_cfg(cfg);
	cfg = NULL;
	capture_reset();
	ck_assert_int_eq(idm_config_load(link_path, &cap_log, &cfg), IDM_ECONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_int_eq(logged_line(link_path, "is a symbolic link (refused)"), 0);
}
END_TEST

START_TEST(config_group_writable_refused)
{
	struct conf_parts p = { 0 };
	char *text = conf_text(&p), path[PATH_MAX];
	struct idm_config *cfg = NULL;

	write_text("gw.conf", text, 0664, path, sizeof(path));
	ck_assert_int_eq(idm_config_load(path, &cap_log, &cfg), IDM_ECONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_int_eq(logged_line(path, "mode 0664 lets group or others write it"), 0);
	capture_reset();
	ck_assert_int_eq(chmod(path, 0602), 0);
	ck_assert_int_eq(idm_config_load(path, &cap_log, &cfg), IDM_ECONFIG);
	ck_assert_logged("mode 0602 lets group or others write it");
	/* readable by all is fine for the configuration: it holds no secret */
	capture_reset();
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(idm_config_load(path, &cap_log, &cfg), IDM_OK);
	fx_keep_cfg(cfg);
}
END_TEST

START_TEST(config_missing_file)
{
	char path[PATH_MAX];
	struct idm_config *cfg = (struct idm_config *)1;

	fx_path(path, sizeof(path), "absent.conf");
	ck_assert_int_eq(idm_config_load(path, &cap_log, &cfg), IDM_ECONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_int_eq(logged_line(path, "No such file or directory"), 0);
}
END_TEST

START_TEST(config_nul_byte_refused)
{
	struct conf_parts p = { 0 };
	char *text = conf_text(&p), path[PATH_MAX];
	struct idm_config *cfg = NULL;

	text[5] = '\0';
	write_bytes("nul.conf", text, strlen(text + 6) + 6, 0600, path, sizeof(path));
	ck_assert_int_eq(idm_config_load(path, &cap_log, &cfg), IDM_ECONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_int_eq(logged_line(path, "contains a NUL byte"), 0);
}
END_TEST

/* ------------------------------------ idm_config_check_files (R-PW-5) */

static struct idm_config *load_ok(const struct conf_parts *p, char **text, char *path, size_t n)
{
	struct idm_config *cfg = NULL;
	int r = load_parts(p, "idmgr.conf", text, path, n, &cfg);

	ck_assert_msg(r == IDM_OK, "refused (%d):\n%s", r, captured.text);
	capture_reset();
	return cfg;
}

START_TEST(check_files_missing_secret)
{
	struct conf_parts p = { 0 };
	char *text, path[PATH_MAX], msg[PATH_MAX * 2 + 64];
	struct idm_config *cfg = load_ok(&p, &text, path, sizeof(path));

	ck_assert_int_eq(idm_config_check_files(cfg, &cap_log), IDM_ECONFIG);
	snprintf(msg, sizeof(msg), "%s:%d: bind_password_file: \"%s/pam.secret\" cannot be used",
		 path, line_in(text, "bind_password_file"), fx_dir);
	ck_assert_logged(msg);
	snprintf(msg, sizeof(msg), "%s/pam.secret: No such file or directory", fx_dir);
	ck_assert_logged(msg);
}
END_TEST

START_TEST(check_files_secret_modes)
{
	struct conf_parts p = { 0 };
	char *text, path[PATH_MAX], secret[PATH_MAX];
	struct idm_config *cfg = load_ok(&p, &text, path, sizeof(path));

	write_text("pam.secret", "s3cret\n", 0644, secret, sizeof(secret));
	ck_assert_int_eq(idm_config_check_files(cfg, &cap_log), IDM_ECONFIG);
	ck_assert_logged("mode 0644 gives access to group or others; it must be 0600 or stricter");
	ck_assert_logged("0600");
	ck_assert_int_eq(logged_line(secret, "mode 0644"), 0);

	capture_reset();
	ck_assert_int_eq(chmod(secret, 0600), 0);
	ck_assert_int_eq(idm_config_check_files(cfg, &cap_log), IDM_OK);
	ck_assert_str_eq(captured.text, "");
}
END_TEST

/* The line cited is the key's, not that of a comment mentioning it. */
START_TEST(check_files_line_ignores_comments)
{
	struct conf_parts p = {
		.ldap_extra = "  # bind_password_file = \"/etc/idmgr/old.secret\" (until 2025)\n",
	};
	char *text, path[PATH_MAX], msg[PATH_MAX * 2 + 64];
	struct idm_config *cfg = load_ok(&p, &text, path, sizeof(path));
	int line = line_in(text, "  bind_password_file");

	ck_assert_int_eq(idm_config_check_files(cfg, &cap_log), IDM_ECONFIG);
	snprintf(msg, sizeof(msg), "%s:%d: bind_password_file:", path, line);
	ck_assert_msg(logged(msg) != NULL, "want \"%s\", got:\n%s", msg, captured.text);
}
END_TEST

START_TEST(check_files_blocklist)
{
	char standard[PATH_MAX + 64], secret[PATH_MAX], list[PATH_MAX], *text, path[PATH_MAX];
	struct conf_parts p = { .standard = standard };
	struct idm_config *cfg;

	snprintf(standard, sizeof(standard), " blocklist_file = \"%s/blocklist.txt\" ", fx_dir);
	cfg = load_ok(&p, &text, path, sizeof(path));
	write_text("pam.secret", "s3cret\n", 0600, secret, sizeof(secret));
	ck_assert_int_eq(idm_config_check_files(cfg, &cap_log), IDM_ECONFIG);
	ck_assert_logged("policy standard: blocklist_file:");
	capture_reset();
	write_text("blocklist.txt", "password\n123456\n", 0644, list, sizeof(list));
	ck_assert_int_eq(idm_config_check_files(cfg, &cap_log), IDM_OK);
	ck_assert_str_eq(captured.text, "");
}
END_TEST

/* R-PW-1: config check and the blocklist reader are one reader: a list
 * with a NUL byte (a UTF-16 or binary file) is refused by both, naming the
 * line, and never silently matches nothing. */
START_TEST(check_files_blocklist_nul_same_verdict)
{
	char standard[PATH_MAX + 64], secret[PATH_MAX], list[PATH_MAX], *text, path[PATH_MAX];
	static const char bytes[] = "password\n123456\nlet\0me\nqwerty\n";
	struct conf_parts p = { .standard = standard };
	struct idm_config *cfg;

	snprintf(standard, sizeof(standard), " blocklist_file = \"%s/blocklist.txt\" ", fx_dir);
	cfg = load_ok(&p, &text, path, sizeof(path));
	write_text("pam.secret", "s3cret\n", 0600, secret, sizeof(secret));
	write_bytes("blocklist.txt", bytes, sizeof(bytes) - 1, 0644, list, sizeof(list));
	ck_assert_int_eq(idm_config_check_files(cfg, &cap_log), IDM_ECONFIG);
	ck_assert_logged("blocklist.txt:3: holds a NUL byte");
	capture_reset();
	ck_assert_int_eq(idm_blocklist_contains(list, "not-listed", 10, &cap_log), IDM_ECONFIG);
	ck_assert_logged("blocklist.txt:3: holds a NUL byte");
	ck_assert_int_eq(idm_blocklist_contains(list, "password", 8, &cap_log), IDM_ECONFIG);
}
END_TEST

/* config check streams a blocklist as the reader does: under an address
 * space limit of 64 MiB more than the process has, it still checks a list
 * (it once reserved the 256 MiB cap for each list). */
START_TEST(check_files_blocklist_bounded_memory)
{
	char standard[PATH_MAX + 64], secret[PATH_MAX], list[PATH_MAX], *text, path[PATH_MAX];
	struct conf_parts p = { .standard = standard };
	struct idm_config *cfg;
	unsigned long pages = 0;
	int status;
	pid_t pid;
	FILE *f;

	snprintf(standard, sizeof(standard), " blocklist_file = \"%s/blocklist.txt\" ", fx_dir);
	cfg = load_ok(&p, &text, path, sizeof(path));
	write_text("pam.secret", "s3cret\n", 0600, secret, sizeof(secret));
	write_text("blocklist.txt", "password\n123456\n", 0644, list, sizeof(list));
	f = fopen("/proc/self/statm", "re");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%lu", &pages), 1);
	fclose(f);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		rlim_t cap = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + 64u * 1024 * 1024;
		struct rlimit rl = { cap, cap };
		if (setrlimit(RLIMIT_AS, &rl) < 0)
			_exit(3);
		_exit(idm_config_check_files(cfg, NULL) == IDM_OK ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "config check of a 17-byte blocklist failed under a 64 MiB limit (status %d)",
		      status);
}
END_TEST

/* ================================================ secret files (R-PW-5) */

static void assert_secret(const char *content, size_t len, mode_t mode, int want_r,
			  const char *want, const char *want_msg)
{
	char path[PATH_MAX], *s = (char *)1;
	int r;

	capture_reset();
	fx_path(path, sizeof(path), "s.secret");
	unlink(path);
	write_bytes("s.secret", content, len, mode, path, sizeof(path));
	r = idm_secret_read(path, &cap_log, &s);
	ck_assert_msg(r == want_r, "read returned %d, want %d; messages:\n%s", r, want_r,
		      captured.text);
	if (want) {
		ck_assert_str_eq(s, want);
		idm_secret_free(s);
	} else {
		ck_assert_ptr_null(s);
	}
	if (want_msg) {
		ck_assert_logged(want_msg);
		ck_assert_int_eq(logged_line(path, want_msg), 0); /* names the file */
	}
}

START_TEST(secret_read_first_line)
{
	assert_secret("s3cret\nsecond line\n", 19, 0600, IDM_OK, "s3cret", NULL);
	assert_secret("s3cret", 6, 0600, IDM_OK, "s3cret", NULL);
	assert_secret("s3cret\r\n", 8, 0600, IDM_OK, "s3cret", NULL);
	assert_secret("with space \t", 12, 0400, IDM_OK, "with space \t", NULL);
	ck_assert_str_eq(captured.text, "");
}
END_TEST

START_TEST(secret_read_refusals)
{
	char big[4098];

	assert_secret("", 0, 0600, IDM_ECONFIG, NULL, "the secret is empty");
	assert_secret("\nsecond\n", 8, 0600, IDM_ECONFIG, NULL, "the secret is empty");
	assert_secret("s3cret\n", 7, 0640, IDM_ECONFIG, NULL,
		      "mode 0640 gives access to group or others; it must be 0600 or stricter");
	assert_secret("s3cret\n", 7, 0604, IDM_ECONFIG, NULL, "mode 0604");
	memset(big, 'a', sizeof(big));
	assert_secret(big, 4097, 0600, IDM_ECONFIG, NULL, "larger than 4096 bytes");
	big[4095] = '\n'; /* 4 KiB exactly is allowed */
	big[4096] = '\0';
	capture_reset();
	{
		char path[PATH_MAX], *s = NULL;

		write_bytes("max.secret", big, 4096, 0600, path, sizeof(path));
		ck_assert_int_eq(idm_secret_read(path, &cap_log, &s), IDM_OK);
		ck_assert_uint_eq(strlen(s), 4095);
		idm_secret_free(s);
	}
}
END_TEST

START_TEST(secret_read_symlink_and_missing)
{
	char real[PATH_MAX], link_path[PATH_MAX], *s = (char *)1;

	write_text("real.secret", "s3cret\n", 0600, real, sizeof(real));
	fx_path(link_path, sizeof(link_path), "link.secret");
	ck_assert_int_eq(symlink(real, link_path), 0);
	ck_assert_int_lt(idm_secret_read(link_path, &cap_log, &s), 0);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(logged_line(link_path, "is a symbolic link (refused)"), 0);

	capture_reset();
	s = (char *)1;
	ck_assert_int_eq(idm_secret_read(real, &cap_log, &s), IDM_OK);
	ck_assert_str_eq(s, "s3cret");
	idm_secret_free(s);

	capture_reset();
	s = (char *)1;
	fx_path(link_path, sizeof(link_path), "absent.secret");
	ck_assert_int_eq(idm_secret_read(link_path, &cap_log, &s), IDM_ECONFIG);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(logged_line(link_path, "No such file or directory"), 0);
}
END_TEST

START_TEST(secret_write)
{
	char path[PATH_MAX], *content, *s = NULL;
	struct stat st;
	mode_t old = umask(0);
	DIR *d;
	struct dirent *e;
	int entries = 0;

	fx_path(path, sizeof(path), "new.secret");
	ck_assert_int_eq(idm_secret_write(path, "Tr0ub4dor&3", &cap_log), IDM_OK);
	umask(old);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_uid, geteuid());
	content = slurp(path);
	ck_assert_str_eq(content, "Tr0ub4dor&3"); /* no newline added */
	ck_assert_int_eq(idm_secret_read(path, &cap_log, &s), IDM_OK);
	ck_assert_str_eq(s, "Tr0ub4dor&3");
	idm_secret_free(s);

	/* never replaces */
	ck_assert_int_eq(idm_secret_write(path, "other", &cap_log), IDM_EEXIST);
	ck_assert_int_eq(logged_line(path, "exists already; not replaced"), 0);
	content = slurp(path);
	ck_assert_str_eq(content, "Tr0ub4dor&3");

	/* no temporary file left behind */
	d = opendir(fx_dir);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			entries++;
	closedir(d);
	ck_assert_int_eq(entries, 1);
}
END_TEST

/* A dangling symbolic link is not followed to create its target. */
/* A logger that changes errno, as syslog(3) may. */
static void clobbering_fn(void *data, int priority, const char *msg)
{
	capture_fn(data, priority, msg);
	errno = ENOSPC;
}

struct racer {
	int inotify;
	char path[PATH_MAX];
};

/* As soon as idm_secret_write()'s temporary file appears, creates the
 * target, so that its link() finds the target there (the fsync() between
 * makes the window wide). */
static void *race_target(void *arg)
{
	struct racer *rc = arg;
	char events[4096];
	int fd;

	if (read(rc->inotify, events, sizeof(events)) > 0 &&
	    (fd = open(rc->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	return NULL;
}

/* A target that appears while the secret is written is never replaced, and
 * the answer is IDM_EEXIST even when the logger changed errno before it was
 * read (it once was read after the message and an unlink()). */
START_TEST(secret_write_race_is_eexist)
{
	const struct idm_log log = { clobbering_fn, NULL, 1 };
	struct racer rc;
	pthread_t t;
	int r = IDM_OK;

	fx_path(rc.path, sizeof(rc.path), "raced.secret");
	for (int i = 0; i < 20 && r == IDM_OK; i++) {
		unlink(rc.path);
		rc.inotify = inotify_init1(IN_CLOEXEC);
		ck_assert_int_ge(rc.inotify, 0);
		ck_assert_int_ge(inotify_add_watch(rc.inotify, fx_dir, IN_CREATE), 0);
		ck_assert_int_eq(pthread_create(&t, NULL, race_target, &rc), 0);
		capture_reset();
		r = idm_secret_write(rc.path, "Tr0ub4dor&3", &log);
		ck_assert_int_eq(pthread_join(t, NULL), 0);
		close(rc.inotify);
	}
	ck_assert_msg(r == IDM_EEXIST, "idm_secret_write gave %d (%s); messages:\n%s", r,
		      idm_strerror(r), captured.text);
	ck_assert_logged("File exists");
	ck_assert_ptr_null(strstr(captured.text, "exists already")); /* the race, not lstat */
	ck_assert_str_eq(slurp(rc.path), ""); /* the racer's file, not replaced */
}
END_TEST

START_TEST(secret_write_refuses_symlink)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct stat st;

	fx_path(path, sizeof(path), "link.secret");
	fx_path(target, sizeof(target), "target.secret");
	ck_assert_int_eq(symlink(target, path), 0);
	ck_assert_int_eq(idm_secret_write(path, "s3cret", &cap_log), IDM_EEXIST);
	ck_assert_int_ne(lstat(target, &st), 0);
}
END_TEST

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
	ck_assert_str_eq(idm_role_name((enum idm_role)-1), "?");
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

/* ================================================================ main */

/* Text a client chose, for storage and terminals: control and non-ASCII
 * bytes (and, to store, '\\') as \\xHH; never a partial escape at the end. */
START_TEST(printable_text)
{
	char buf[32], tiny[8];

	ck_assert_str_eq(idm_printable("ws1.example.org", "\\", buf, sizeof(buf)), "ws1.example.org");
	ck_assert_str_eq(idm_printable("a\x1b[2J\a\x7f\xc3\xa9", "", buf, sizeof(buf)),
			 "a\\x1b[2J\\x07\\x7f\\xc3\\xa9");
	ck_assert_str_eq(idm_printable("a\\b", "\\", buf, sizeof(buf)), "a\\x5cb");
	ck_assert_str_eq(idm_printable("a\\x41", "", buf, sizeof(buf)), "a\\x41"); /* shown as stored */
	ck_assert_str_eq(idm_printable("abcd\x01", "", tiny, sizeof(tiny)), "abcd"); /* \\x01 does not fit */
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

static Suite *uid_suite(void)
{
	Suite *s = suite_create("uid");
	TCase *tc = tcase_create("check");

	tcase_add_unchecked_fixture(tc, root_setup, root_teardown);
	tcase_add_checked_fixture(tc, uid_setup, uid_teardown);
	tcase_add_test(tc, uid_default_pattern);
	tcase_add_test(tc, uid_metachars_despite_loose_pattern);
	tcase_add_test(tc, uid_reserved);
	suite_add_tcase(s, tc);
	return s;
}

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

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");

	tcase_add_unchecked_fixture(tc, root_setup, root_teardown);
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, config_sample_loads);
	tcase_add_test(tc, config_defaults);
	tcase_add_test(tc, config_print);
	suite_add_tcase(s, tc);

	tc = tcase_create("rejections");
	tcase_add_unchecked_fixture(tc, root_setup, root_teardown);
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, config_unknown_key);
	tcase_add_test(tc, config_negative_number);
	tcase_add_test(tc, config_min_above_max);
	tcase_add_test(tc, config_timeout_out_of_range);
	tcase_add_test(tc, config_wrong_type);
	tcase_add_test(tc, config_invalid_dn);
	tcase_add_test(tc, config_invalid_uri);
	tcase_add_test(tc, config_bad_regex);
	tcase_add_test(tc, config_relative_secret_path);
	tcase_add_test(tc, config_missing_key);
	tcase_add_test(tc, config_ppolicy_paths);
	tcase_add_test(tc, config_ppolicy_white_space);
	tcase_add_test(tc, config_ppolicy_relative);
	tcase_add_test(tc, config_line_after_comments);
	tcase_add_test(tc, config_sample_edited);
	tcase_add_test(tc, config_missing_privileged_policy);
	tcase_add_test(tc, config_reports_every_missing_key);
	tcase_add_test(tc, config_stray_quote_refused);
	tcase_add_test(tc, config_unclosed_section_refused);
	tcase_add_test(tc, config_unclosed_comment_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("environment");
	tcase_add_unchecked_fixture(tc, root_setup, root_teardown);
	tcase_add_checked_fixture(tc, env_setup, env_teardown);
	tcase_add_test(tc, config_env_unquoted);
	tcase_add_test(tc, config_env_double_quoted);
	tcase_add_test(tc, config_env_comment_and_single_quotes);
	tcase_add_test(tc, config_env_after_unquoted_uri);
	tcase_add_test(tc, config_env_after_escaped_backslash);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_add_unchecked_fixture(tc, root_setup, root_teardown);
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, config_symlink_refused);
	tcase_add_test(tc, config_group_writable_refused);
	tcase_add_test(tc, config_missing_file);
	tcase_add_test(tc, config_nul_byte_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("check_files");
	tcase_add_unchecked_fixture(tc, root_setup, root_teardown);
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, check_files_missing_secret);
	tcase_add_test(tc, check_files_secret_modes);
	tcase_add_test(tc, check_files_line_ignores_comments);
	tcase_add_test(tc, check_files_blocklist);
	tcase_add_test(tc, check_files_blocklist_nul_same_verdict);
	tcase_add_test(tc, check_files_blocklist_bounded_memory);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *secret_suite(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = tcase_create("files");

	tcase_add_unchecked_fixture(tc, root_setup, root_teardown);
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, secret_read_first_line);
	tcase_add_test(tc, secret_read_refusals);
	tcase_add_test(tc, secret_read_symlink_and_missing);
	tcase_add_test(tc, secret_write);
	tcase_add_test(tc, secret_write_race_is_eexist);
	tcase_add_test(tc, secret_write_refuses_symlink);
	suite_add_tcase(s, tc);
	return s;
}

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
	SRunner *sr = srunner_create(escape_suite());
	int failed;

	srunner_add_suite(sr, uid_suite());
	srunner_add_suite(sr, time_suite());
	srunner_add_suite(sr, passhash_suite());
	srunner_add_suite(sr, config_suite());
	srunner_add_suite(sr, secret_suite());
	srunner_add_suite(sr, random_suite());
	srunner_add_suite(sr, misc_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
