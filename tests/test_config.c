/* test_config.c -- idmgr.conf: loading, validation with file and line,
 * environment references, file safety, config check of the files it names,
 * and uid validation against the loaded configuration (contract §4, R-AUD-2,
 * R-PW-1, R-PW-5).
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

/* Configurations loaded by a test are freed by its teardown. */
static void free_config(void *c)
{
	idm_config_free(c);
}

static struct idm_config *fx_keep_cfg(struct idm_config *cfg)
{
	return fx_keep_with(cfg, free_config);
}

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
	fx_write_text(name, *text, 0600, path, n);
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

/* ============================================== uid validation (R-AUD-2) */

static struct idm_config *fx_cfg;

static void uid_setup(void)
{
	struct conf_parts p = { 0 };
	char *text, path[PATH_MAX];
	int r;

	fx_dir_setup();
	r = load_parts(&p, "idmgr.conf", &text, path, sizeof(path), &fx_cfg);
	ck_assert_msg(r == IDM_OK, "minimal configuration refused:\n%s", captured.text);
}

static void uid_teardown(void)
{
	fx_cfg = NULL; /* freed with the fixture */
	fx_dir_teardown();
}

START_TEST(uid_default_pattern)
{
	static const char *const good[] = {
		"alice", "a.b-c_d", "ab", "bob2", "abcdefghijklmnopqrstuvwxyz012345", /* 32 */
	};
	static const char *const bad[] = {
		"",           "*",       "a*)(uid=*", "\\2a",
		"x)(|(uid=*", "Alice",   "1abc",      "abcdefghijklmnopqrstuvwxyz0123456", /* 33 */
		"a b",        "a,b",     "a",         ".ab",
		"al\xc3\xa9", "al\tice", "alice\n",   "a=b",
		"a#b",
	};

	ck_assert_str_eq(fx_cfg->registration.uid_pattern, "^[a-z][a-z0-9._-]{1,31}$");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(idm_uid_check(fx_cfg, good[i]) == IDM_OK, "\"%s\" refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(idm_uid_check(fx_cfg, bad[i]) == IDM_EINVAL, "\"%s\" accepted",
			      bad[i]);
	ck_assert_int_eq(idm_uid_check(fx_cfg, NULL), IDM_EINVAL);
}
END_TEST

/* Even a careless uid_pattern lets no filter or DN metacharacter through. */
START_TEST(uid_metachars_despite_loose_pattern)
{
	static const char *const bad[] = {
		"*",    "a*)(uid=*", "\\2a", "x)(|(uid=*", "a b", "a,b", "a+b",
		"a\"b", "a<b",       "a>b",  "a;b",        "a=b", "#ab", "al\xc3\xa9",
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
	text = fx_slurp(path);
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

	ck_assert_str_eq(cfg->roles.dn[IDM_ROLE_CISO],
			 "cn=ciso,ou=roles,ou=idmgr,dc=example,dc=org");
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
			      strstr(out, "memory_kib=19456") &&
			      strstr(out, "policy \"privileged\" {"),
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

/* service.cached_auth_timeout (idmgrd's memory of officers' binds):
 * 0 (none) to an hour; anything else refused by config check as by
 * idmgrd, naming the key and its line. */
START_TEST(config_cached_auth_timeout_range)
{
	struct conf_parts p = { .after = "service {\n  cached_auth_timeout = -1\n}\n" };
	struct conf_parts q = { .after = "service {\n  cached_auth_timeout = 3601\n}\n" };
	struct conf_parts ok = { .after = "service {\n  cached_auth_timeout = 0\n}\n" };
	struct idm_config *cfg = NULL;
	char path[PATH_MAX], *text = NULL;

	expect_refused(&p, "cached_auth_timeout: -1 is out of range: must be 0 to 3600 seconds",
		       "cached_auth_timeout");
	capture_reset();
	fx_path(path, sizeof(path), "bad.conf");
	unlink(path);
	expect_refused(&q, "cached_auth_timeout: 3601 is out of range", "cached_auth_timeout");
	ck_assert_int_eq(load_parts(&ok, "ok.conf", &text, path, sizeof(path), &cfg), IDM_OK);
	ck_assert_int_eq(cfg->service.cached_auth_timeout, 0);
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

/* Several instances (idmgrd(8)): service.writer_uri must be one URI and one
 * of ldap.uri; failover holds sockets and https URLs only; writer_lease in
 * range; a final '/' does not matter. */
START_TEST(config_writer_uri_not_in_uris)
{
	struct conf_parts p = { .after = "service {\n  writer_uri = \"ldap://127.0.0.2:389/\"\n}\n" };

	expect_refused(&p, "writer_uri \"ldap://127.0.0.2:389/\" is not one of ldap.uri",
		       "writer_uri");
}
END_TEST

START_TEST(config_writer_uri_one_uri)
{
	struct conf_parts p = { .after = "service {\n  writer_uri = \"ldap://a/ ldap://b/\"\n}\n" };

	expect_refused(&p, "writer_uri: \"ldap://a/ ldap://b/\" is not one ldap://", "writer_uri");
}
END_TEST

START_TEST(config_failover_checked)
{
	struct conf_parts p = { .after = "service {\n  failover = \"http://x relative.sock\"\n}\n" };

	expect_refused(&p, "failover: \"http://x\" is neither an https:// URL nor an absolute",
		       "failover");
}
END_TEST

START_TEST(config_writer_lease_range)
{
	struct conf_parts p = { .after = "service {\n  writer_lease = 2\n}\n" };

	expect_refused(&p, "writer_lease", "writer_lease");
}
END_TEST

START_TEST(config_writer_uri_pins)
{
	struct conf_parts ok = { .after = "service {\n  writer_uri = \"ldap://127.0.0.1:389\"\n"
					  "  failover = \"/run/b.sock https://idm2.example.org:8443\"\n"
					  "  writer_lease = 9\n}\n" };
	struct idm_config *cfg = NULL;
	char *text, path[PATH_MAX];

	ck_assert_int_eq(load_parts(&ok, "ok.conf", &text, path, sizeof(path), &cfg), IDM_OK);
	ck_assert_str_eq(cfg->service.writer_uri, "ldap://127.0.0.1:389");
	ck_assert_int_eq(cfg->service.writer_lease, 9);
	ck_assert_int_eq(idm_config_pin_writer(cfg), IDM_OK);
	ck_assert_int_eq(cfg->ldap.n_uris, 1);
	ck_assert_str_eq(cfg->ldap.uris[0], "ldap://127.0.0.1:389/");
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

	expect_refused(&rel, "check_config: \"idmgr.conf\" must be an absolute path",
		       "check_config");
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
	text = fx_slurp(sample);
	at = strstr(text, "timeout = 5 ");
	ck_assert_ptr_nonnull(at);
	at[10] = '0';
	fx_write_text("edited.conf", text, 0600, path, sizeof(path));
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
	fx_dir_setup();
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
	fx_dir_teardown();
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

	fx_write_text("real.conf", text, 0600, real, sizeof(real));
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

	fx_write_text("gw.conf", text, 0664, path, sizeof(path));
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
	fx_write_bytes("nul.conf", text, strlen(text + 6) + 6, 0600, path, sizeof(path));
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

	fx_write_text("pam.secret", "s3cret\n", 0644, secret, sizeof(secret));
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
	fx_write_text("pam.secret", "s3cret\n", 0600, secret, sizeof(secret));
	ck_assert_int_eq(idm_config_check_files(cfg, &cap_log), IDM_ECONFIG);
	ck_assert_logged("policy standard: blocklist_file:");
	capture_reset();
	fx_write_text("blocklist.txt", "password\n123456\n", 0644, list, sizeof(list));
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
	fx_write_text("pam.secret", "s3cret\n", 0600, secret, sizeof(secret));
	fx_write_bytes("blocklist.txt", bytes, sizeof(bytes) - 1, 0644, list, sizeof(list));
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
	fx_write_text("pam.secret", "s3cret\n", 0600, secret, sizeof(secret));
	fx_write_text("blocklist.txt", "password\n123456\n", 0644, list, sizeof(list));
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

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = fx_tcase("load");

	tcase_add_test(tc, config_sample_loads);
	tcase_add_test(tc, config_defaults);
	tcase_add_test(tc, config_print);
	suite_add_tcase(s, tc);

	tc = fx_tcase("rejections");
	tcase_add_test(tc, config_unknown_key);
	tcase_add_test(tc, config_negative_number);
	tcase_add_test(tc, config_min_above_max);
	tcase_add_test(tc, config_timeout_out_of_range);
	tcase_add_test(tc, config_cached_auth_timeout_range);
	tcase_add_test(tc, config_wrong_type);
	tcase_add_test(tc, config_invalid_dn);
	tcase_add_test(tc, config_invalid_uri);
	tcase_add_test(tc, config_writer_uri_not_in_uris);
	tcase_add_test(tc, config_writer_uri_one_uri);
	tcase_add_test(tc, config_failover_checked);
	tcase_add_test(tc, config_writer_lease_range);
	tcase_add_test(tc, config_writer_uri_pins);
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
	tcase_add_unchecked_fixture(tc, fx_root_setup, fx_root_teardown);
	tcase_add_checked_fixture(tc, env_setup, env_teardown);
	tcase_add_test(tc, config_env_unquoted);
	tcase_add_test(tc, config_env_double_quoted);
	tcase_add_test(tc, config_env_comment_and_single_quotes);
	tcase_add_test(tc, config_env_after_unquoted_uri);
	tcase_add_test(tc, config_env_after_escaped_backslash);
	suite_add_tcase(s, tc);

	tc = fx_tcase("file");
	tcase_add_test(tc, config_symlink_refused);
	tcase_add_test(tc, config_group_writable_refused);
	tcase_add_test(tc, config_missing_file);
	tcase_add_test(tc, config_nul_byte_refused);
	suite_add_tcase(s, tc);

	tc = fx_tcase("check_files");
	tcase_add_test(tc, check_files_missing_secret);
	tcase_add_test(tc, check_files_secret_modes);
	tcase_add_test(tc, check_files_line_ignores_comments);
	tcase_add_test(tc, check_files_blocklist);
	tcase_add_test(tc, check_files_blocklist_nul_same_verdict);
	tcase_add_test(tc, check_files_blocklist_bounded_memory);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *uid_suite(void)
{
	Suite *s = suite_create("uid");
	TCase *tc = tcase_create("check");

	tcase_add_unchecked_fixture(tc, fx_root_setup, fx_root_teardown);
	tcase_add_checked_fixture(tc, uid_setup, uid_teardown);
	tcase_add_test(tc, uid_default_pattern);
	tcase_add_test(tc, uid_metachars_despite_loose_pattern);
	tcase_add_test(tc, uid_reserved);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(config_suite(), uid_suite(), NULL);
}
