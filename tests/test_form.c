/* test_form.c -- the request form, idmgr-request(5), without a directory.
 *
 * Every refusal is checked for what an officer reads: the message names the
 * form, the line and the key ("form.conf:7: valid_until: ...").  Messages of
 * the core are captured through a struct idm_log sink.  Requirement IDs are
 * those of docs/requirements.md: R-REG-1 (a written, complete request),
 * R-REG-2/5/6 (the types and their fields), R-PRIV-5 (reserved names),
 * R-ID-1 (shared IDs), R-AUD-2 (strict input checks, no injection). */
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
#include "idm_config.h"
#include "idm_error.h"
#include "idm_form.h"
#include "idm_log.h"

/* 2025-06-01T00:00:00Z: every date of these forms is judged against it. */
#define NOW ((time_t)1748736000)
#define FORM "form.conf"

/* ------------------------------------------------------------ fixtures */

static struct idm_config *fx_cfg;

static void free_form(void *f)
{
	idm_form_free(f);
}

/* A form a test parsed is freed by its teardown. */
static struct idm_form *fx_keep_form(struct idm_form *f)
{
	return fx_keep_with(f, free_form);
}

/* A minimal configuration with the units "benefits" and "finance". */
static const char conf_head[] = "ldap {\n"
				"  uri = \"ldap://127.0.0.1:389/\"\n"
				"  base_dn = \"dc=example,dc=org\"\n"
				"  people_dn = \"ou=people,dc=example,dc=org\"\n"
				"  groups_dn = \"ou=groups,dc=example,dc=org\"\n"
				"  idmgr_dn = \"ou=idmgr,dc=example,dc=org\"\n"
				"  bind_dn = \"cn=pam,ou=services,dc=example,dc=org\"\n";
static const char conf_tail[] =
	"}\n"
	"policy standard {}\n"
	"policy privileged {}\n"
	"roles {\n"
	"  ciso = \"cn=ciso,ou=roles,ou=idmgr,dc=example,dc=org\"\n"
	"  security_chief = \"cn=security_chief,ou=roles,ou=idmgr,dc=example,dc=org\"\n"
	"  system_admin = \"cn=system_admin,ou=roles,ou=idmgr,dc=example,dc=org\"\n"
	"  security_manager = \"cn=security_manager,ou=roles,ou=idmgr,dc=example,dc=org\"\n"
	"  contractor = \"cn=contractor,ou=roles,ou=idmgr,dc=example,dc=org\"\n"
	"}\n"
	"unit \"benefits\" { groups = { \"benefits\", \"benefits-files\" } }\n"
	"unit \"finance\" { groups = { \"finance\" } }\n";

static void form_setup(void)
{
	char *text = NULL, path[PATH_MAX];
	int r;

	fx_dir_setup();
	ck_assert_int_ge(asprintf(&text, "%s  bind_password_file = \"%s/pam.secret\"\n%s",
				  conf_head, fx_dir, conf_tail),
			 0);
	fx_keep(text);
	fx_write_text("idmgr.conf", text, 0600, path, sizeof(path));
	capture_reset();
	r = idm_config_load(path, &cap_log, &fx_cfg);
	ck_assert_msg(r == IDM_OK, "configuration refused:\n%s", captured.text);
	capture_reset();
}

static void form_teardown(void)
{
	idm_config_free(fx_cfg);
	fx_cfg = NULL;
	fx_dir_teardown();
}

/* ------------------------------------------------------------ helpers */

/* The LINE of the "form.conf:LINE: " message holding needle; -1 when there
 * is no such message, 0 when it names no line. */
static int form_line(const char *needle)
{
	return logged_line(FORM, needle);
}

static int count_messages(void)
{
	int n = 0;

	for (const char *p = captured.text; *p; p++)
		n += *p == '\n';
	return n;
}

static struct idm_form *parse_ok(const char *text)
{
	struct idm_form *f = (struct idm_form *)1;
	int r;

	capture_reset();
	r = idm_form_parse(fx_cfg, FORM, text, NOW, &cap_log, &f);
	ck_assert_msg(r == IDM_OK, "refused with %d; messages:\n%s\nform:\n%s", r, captured.text,
		      text);
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(captured.len == 0, "messages for a good form:\n%s", captured.text);
	return fx_keep_form(f);
}

/* The form must be refused with a message holding needle that cites the
 * line of where (a piece of the form's text). */
static void expect_refused(const char *text, const char *needle, const char *where)
{
	struct idm_form *f = (struct idm_form *)1;
	int r, line;

	capture_reset();
	r = idm_form_parse(fx_cfg, FORM, text, NOW, &cap_log, &f);
	fx_keep_form(r == IDM_OK ? f : NULL);
	ck_assert_msg(r == IDM_EINVAL, "parsed with %d; messages:\n%s\nform:\n%s", r, captured.text,
		      text);
	ck_assert_ptr_null(f);
	ck_assert_msg(logged(needle) != NULL, "no message holds \"%s\"; messages:\n%s", needle,
		      captured.text);
	line = form_line(needle);
	ck_assert_msg(line > 0, "the message about \"%s\" names no \"%s:LINE:\":\n%s", needle, FORM,
		      captured.text);
	ck_assert_msg(line_in(text, where) > 0, "test bug: \"%s\" not in the form", where);
	ck_assert_msg(line == line_in(text, where), "\"%s\" cited line %d, want %d:\n%s", needle,
		      line, line_in(text, where), captured.text);
}

/* A good register form with one line changed: the line holding "KEY ="
 * becomes line (or goes when line is ""); a line starting with "+" is
 * appended. */
static const char register_form[] = "# a register request\n"              /* 1 */
				    "type = 'register'\n"                 /* 2 */
				    "form_ref = 'PF-2025-0042'\n"         /* 3 */
				    "applicant = 'hanako'\n"              /* 4 */
				    "reason = 'new hire'\n"               /* 5 */
				    "uid = 'taro'\n"                      /* 6 */
				    "given_name = 'Taro'\n"               /* 7 */
				    "surname = 'Yamada'\n"                /* 8 */
				    "unit = 'benefits'\n"                 /* 9 */
				    "employee_type = 'nonregular'\n"      /* 10 */
				    "mail = 'taro.yamada@example.org'\n"  /* 11 */
				    "valid_until = '2030-03-31'\n"        /* 12 */
				    "groups = {'internet',\n"             /* 13 */
				    "          'mail'}\n"                 /* 14 */
				    "shared_with = {'jiro', 'saburo'}\n"; /* 15 */

static char *with_line(const char *base, const char *key, const char *line)
{
	char *out = NULL, prefix[64];
	size_t size = 0;
	FILE *fp = open_memstream(&out, &size);
	const char *p = base;
	bool replaced = false;

	ck_assert_ptr_nonnull(fp);
	snprintf(prefix, sizeof(prefix), "%s =", key);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);

		if (!replaced && strncmp(p, prefix, strlen(prefix)) == 0) {
			replaced = true;
			if (*line)
				fprintf(fp, "%s\n", line);
			/* a list spread over lines goes whole */
			while (strchr(p, '{') && strchr(p, '{') < p + len && !memchr(p, '}', len)) {
				p += len;
				nl = strchr(p, '\n');
				len = nl ? (size_t)(nl - p + 1) : strlen(p);
			}
		} else {
			fwrite(p, 1, len, fp);
		}
		p += len;
	}
	if (!replaced)
		fprintf(fp, "%s\n", line);
	ck_assert_int_eq(fclose(fp), 0);
	return fx_keep(out);
}

/* Fills "KEY = ''" lines of a template: kv is KEY, VALUE, ..., NULL. */
static char *fill(const char *tmpl, const char *const *kv)
{
	char *text = strdup(tmpl);

	ck_assert_ptr_nonnull(text);
	for (; kv[0]; kv += 2) {
		char empty[64], *hit, *next;
		size_t n;

		snprintf(empty, sizeof(empty), "\n%s = ''\n", kv[0]);
		hit = strstr(text, empty);
		ck_assert_msg(hit != NULL, "template has no \"%s = ''\" line:\n%s", kv[0], text);
		n = strlen(text) + strlen(kv[1]) + 1;
		next = malloc(n);
		ck_assert_ptr_nonnull(next);
		snprintf(next, n, "%.*s\n%s = '%s'\n%s", (int)(hit - text), text, kv[0], kv[1],
			 hit + strlen(empty));
		free(text);
		text = next;
	}
	return fx_keep(text);
}

static time_t date(const char *s)
{
	struct tm tm = { 0 };

	ck_assert_ptr_nonnull(strptime(s, "%Y-%m-%d", &tm));
	return timegm(&tm);
}

/* ================================================= types and templates */

START_TEST(type_names)
{
	static const char *const names[IDM_REQ_TYPE_COUNT] = {
		"register", "modify", "transfer",        "secondment",       "return",
		"retire",   "delete", "grant-privilege", "revoke-privilege",
	};

	for (int t = 0; t < IDM_REQ_TYPE_COUNT; t++) {
		ck_assert_str_eq(idm_request_type_name((enum idm_request_type)t), names[t]);
		ck_assert_int_eq(idm_request_type_from_name(names[t]), t);
	}
	ck_assert_int_eq(idm_request_type_from_name("Register"), -1);
	ck_assert_int_eq(idm_request_type_from_name("grant_privilege"), -1);
	ck_assert_int_eq(idm_request_type_from_name(""), -1);
	ck_assert_int_eq(idm_request_type_from_name(NULL), -1);
	ck_assert_str_eq(idm_request_type_name(IDM_REQ_TYPE_COUNT), "?");
	ck_assert_ptr_null(idm_form_template(IDM_REQ_TYPE_COUNT));
}
END_TEST

/* The required values of each type, as an officer fills them in. */
static const char *const *required_values(enum idm_request_type t)
{
	static const char *const common[] = {
		"form_ref", "PF-1", "applicant", "hanako", "reason",
		"as asked", "uid",  "taro",      NULL,
	};
	static const char *const reg[] = {
		"form_ref", "PF-1",     "applicant",     "hanako",  "reason",  "new hire",
		"uid",      "taro",     "given_name",    "Taro",    "surname", "Yamada",
		"unit",     "benefits", "employee_type", "regular", NULL,
	};
	static const char *const modify[] = {
		"form_ref", "PF-1", "applicant", "hanako", "reason", "married",
		"uid",      "taro", "surname",   "Suzuki", NULL,
	};
	static const char *const transfer[] = {
		"form_ref", "PF-1", "applicant", "hanako",  "reason", "moved",
		"uid",      "taro", "to_unit",   "finance", NULL,
	};
	static const char *const secondment[] = {
		"form_ref", "PF-1", "applicant", "hanako",     "reason", "seconded",
		"uid",      "taro", "until",     "2027-03-31", NULL,
	};

	switch (t) {
	case IDM_REQ_REGISTER: return reg;
	case IDM_REQ_MODIFY: return modify;
	case IDM_REQ_TRANSFER: return transfer;
	case IDM_REQ_SECONDMENT: return secondment;
	default: return common;
	}
}

/* R-REG-1, R-REG-2: each type's blank form, filled in, is a valid request
 * of that type; left blank, it is refused naming each empty field's line. */
START_TEST(template_fills_and_parses)
{
	for (int t = 0; t < IDM_REQ_TYPE_COUNT; t++) {
		const char *tmpl = idm_form_template((enum idm_request_type)t);
		struct idm_form *f;
		char *text;

		ck_assert_ptr_nonnull(tmpl);
		text = fill(tmpl, required_values((enum idm_request_type)t));
		f = parse_ok(text);
		ck_assert_int_eq(f->type, t);
		ck_assert_str_eq(f->uid, "taro");
		ck_assert_str_eq(f->applicant, "hanako");
		ck_assert_str_eq(f->form_ref, "PF-1");
		/* optional fields left empty are absent */
		ck_assert_ptr_null(f->mail);
		ck_assert_ptr_null(f->role);
		ck_assert_uint_eq(f->n_groups, 0);
		ck_assert_uint_eq(f->n_shared_with, 0);
		ck_assert(f->valid_until == 0);

		expect_refused(tmpl, "form_ref: is empty", "form_ref = ''");
		ck_assert_ptr_nonnull(logged("uid: is empty"));
		ck_assert_ptr_nonnull(logged("applicant: is empty"));
	}
}
END_TEST

/* Whether the line before the one that starts after nl is a comment. */
static bool comment_above(const char *text, const char *nl)
{
	const char *p = nl;

	while (p > text && p[-1] != '\n')
		p--;
	return p < nl && *p == '#';
}

/* Each template holds every key its type allows, once, and no other; the
 * required ones before the optional ones. */
START_TEST(template_keys)
{
	static const char *const keys[] = {
		"form_ref",    "applicant", "reason", "uid",           "given_name",
		"surname",     "mail",      "unit",   "employee_type", "to_unit",
		"valid_until", "until",     "groups", "shared_with",   "role",
	};
	static const char *const allowed[IDM_REQ_TYPE_COUNT] = {
		[IDM_REQ_REGISTER] = " form_ref applicant reason uid given_name surname unit "
				     "employee_type mail valid_until groups shared_with ",
		[IDM_REQ_MODIFY] = " form_ref applicant reason uid given_name surname mail "
				   "employee_type valid_until groups shared_with ",
		[IDM_REQ_TRANSFER] = " form_ref applicant reason uid to_unit groups ",
		[IDM_REQ_SECONDMENT] = " form_ref applicant reason uid until ",
		[IDM_REQ_RETURN] = " form_ref applicant reason uid ",
		[IDM_REQ_RETIRE] = " form_ref applicant reason uid ",
		[IDM_REQ_DELETE] = " form_ref applicant reason uid ",
		[IDM_REQ_GRANT_PRIVILEGE] = " form_ref applicant reason uid role ",
		[IDM_REQ_REVOKE_PRIVILEGE] = " form_ref applicant reason uid role ",
	};

	for (int t = 0; t < IDM_REQ_TYPE_COUNT; t++) {
		const char *tmpl = idm_form_template((enum idm_request_type)t);
		char type_line[64];

		snprintf(type_line, sizeof(type_line), "\ntype = '%s'\n",
			 idm_request_type_name((enum idm_request_type)t));
		ck_assert_ptr_nonnull(strstr(tmpl, type_line));
		ck_assert_ptr_nonnull(strstr(tmpl, "idmgr-request(5)"));
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			char word[32], line[40];
			const char *hit;

			snprintf(word, sizeof(word), " %s ", keys[k]);
			snprintf(line, sizeof(line), "\n%s = ", keys[k]);
			hit = strstr(tmpl, line);
			if (strstr(allowed[t], word)) {
				ck_assert_msg(hit != NULL, "%s template lacks %s:\n%s",
					      idm_request_type_name((enum idm_request_type)t),
					      keys[k], tmpl);
				ck_assert_ptr_null(strstr(hit + 1, line));
				ck_assert_msg(comment_above(tmpl, hit), "no comment above %s:\n%s",
					      keys[k], tmpl);
			} else {
				ck_assert_msg(hit == NULL, "%s template has %s",
					      idm_request_type_name((enum idm_request_type)t),
					      keys[k]);
			}
		}
		if (t == IDM_REQ_REGISTER) {
			const char *opt = strstr(tmpl, "# ---- optional");
			ck_assert_ptr_nonnull(opt);
			ck_assert(strstr(tmpl, "\nemployee_type = ") < opt);
			ck_assert(strstr(tmpl, "\nmail = ") > opt);
		}
	}
	ck_assert_ptr_nonnull(strstr(idm_form_template(IDM_REQ_MODIFY), "at least one of"));
}
END_TEST

/* A complete register form: every value comes out as written. */
START_TEST(register_all_fields)
{
	struct idm_form *f = parse_ok(register_form);

	ck_assert_int_eq(f->type, IDM_REQ_REGISTER);
	ck_assert_str_eq(f->form_ref, "PF-2025-0042");
	ck_assert_str_eq(f->applicant, "hanako");
	ck_assert_str_eq(f->reason, "new hire");
	ck_assert_str_eq(f->uid, "taro");
	ck_assert_str_eq(f->given_name, "Taro");
	ck_assert_str_eq(f->surname, "Yamada");
	ck_assert_str_eq(f->unit, "benefits");
	ck_assert_str_eq(f->employee_type, "nonregular");
	ck_assert_str_eq(f->mail, "taro.yamada@example.org");
	ck_assert(f->valid_until == date("2030-03-31"));
	ck_assert(f->until == 0);
	ck_assert_ptr_null(f->to_unit);
	ck_assert_uint_eq(f->n_groups, 2);
	ck_assert_str_eq(f->groups[0], "internet");
	ck_assert_str_eq(f->groups[1], "mail");
	ck_assert_uint_eq(f->n_shared_with, 2);
	ck_assert_str_eq(f->shared_with[0], "jiro");
	ck_assert_str_eq(f->shared_with[1], "saburo");
}
END_TEST

/* Unquoted and double-quoted values, and comments of every kind, are fine. */
START_TEST(syntax_variants)
{
	const char *text = "/* a block\n   comment */\n"
			   "type = retire   // the kind\n"
			   "form_ref = \"PF-7\"  # the paper\n"
			   "applicant = hanako\n"
			   "reason = \"left the \\\"association\\\"\"\n"
			   "uid = taro\n";
	struct idm_form *f = parse_ok(text);

	ck_assert_int_eq(f->type, IDM_REQ_RETIRE);
	ck_assert_str_eq(f->form_ref, "PF-7");
	ck_assert_str_eq(f->reason, "left the \"association\"");
	/* a form written on Windows; characters the lexer ignores */
	f = parse_ok("type = 'retire'\r\nform_ref = 'F' *\r\napplicant = 'hanako' +\r\n"
		     "reason = 'r'\r\nuid = 'taro'\r\n");
	ck_assert_str_eq(f->uid, "taro");
	expect_refused("type = 'retire'\r\nform_ref = 'F'\r\napplicant = 'hanako'\r\n"
		       "reason = 'r'\r\nuid = 'Taro'\r\n",
		       "uid: \"Taro\"", "uid =");
	/* and comments do not shift the lines messages cite */
	expect_refused("/* one\n two */\n# three\ntype = retire // four\nform_ref = 'x'\n"
		       "applicant = 'hanako'\nreason = 'r'\nuid = 'a*)(uid=*'\n",
		       "uid: \"a*)(uid=*\" is not a valid uid", "uid =");
}
END_TEST

/* ======================================================== refusals */

START_TEST(refuse_unknown_key)
{
	expect_refused(with_line(register_form, "mail", "mial = 'taro@example.org'"),
		       "mial: unknown key", "mial =");
	/* a section or a function is no key either */
	expect_refused(with_line(register_form, "zzz", "include('/etc/passwd')"),
		       "include: unknown key", "include(");
	expect_refused(with_line(register_form, "zzz", "ldap { uri = 'x' }"), "ldap: unknown key",
		       "ldap {");
}
END_TEST

/* R-REG-2: each type takes only its own fields. */
START_TEST(refuse_key_of_other_type)
{
	expect_refused(with_line(register_form, "zzz", "to_unit = 'finance'"),
		       "to_unit: not allowed in a register request", "to_unit");
	expect_refused(with_line(register_form, "zzz", "until = '2030-01-01'"),
		       "until: not allowed in a register request", "until = '2030-01-01'");
	expect_refused("type = 'retire'\nform_ref = 'F'\napplicant = 'hanako'\nreason = 'r'\n"
		       "uid = 'taro'\ngroups = {'mail'}\n",
		       "groups: not allowed in a retire request", "groups");
	expect_refused("type = 'delete'\nform_ref = 'F'\napplicant = 'hanako'\nreason = 'r'\n"
		       "uid = 'taro'\nrole = 'ciso'\n",
		       "role: not allowed in a delete request", "role");
}
END_TEST

/* R-REG-1: the paper form's number, the applicant, the reason and the
 * subject are always required; a missing one is reported at the type's
 * line, an empty one at its own. */
START_TEST(refuse_missing_field)
{
	static const char *const keys[] = {
		"form_ref",   "applicant", "reason", "uid",
		"given_name", "surname",   "unit",   "employee_type",
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char needle[80], empty[80];

		snprintf(needle, sizeof(needle), "%s: missing; a register request needs it",
			 keys[i]);
		expect_refused(with_line(register_form, keys[i], ""), needle, "type =");
		snprintf(needle, sizeof(needle), "%s: is empty; a register request needs it",
			 keys[i]);
		snprintf(empty, sizeof(empty), "%s = ''", keys[i]);
		expect_refused(with_line(register_form, keys[i], empty), needle, empty);
	}
	expect_refused("type = 'transfer'\nform_ref = 'F'\napplicant = 'hanako'\nreason = 'r'\n"
		       "uid = 'taro'\n",
		       "to_unit: missing; a transfer request needs it", "type");
	expect_refused("type = 'secondment'\nform_ref = 'F'\napplicant = 'hanako'\n"
		       "reason = 'r'\nuid = 'taro'\n",
		       "until: missing; a secondment request needs it", "type");
	/* no type at all: the last line is cited */
	expect_refused("form_ref = 'F'\napplicant = 'hanako'\nreason = 'r'\nuid = 'taro'\n",
		       "type: missing", "uid =");
	expect_refused(with_line(register_form, "type", "type = 'hire'"),
		       "type: \"hire\" is not a request type", "type =");
}
END_TEST

START_TEST(refuse_modify_without_change)
{
	const char *text = "type = 'modify'\nform_ref = 'F'\napplicant = 'hanako'\n"
			   "reason = 'r'\nuid = 'taro'\nmail = ''\ngroups = {}\n";

	expect_refused(text,
		       "type: a modify request must give at least one of given_name, "
		       "surname, mail, employee_type, valid_until, groups or shared_with",
		       "type");
}
END_TEST

START_TEST(refuse_bad_date)
{
	char *text = with_line(register_form, "valid_until", "valid_until = '2026-13-01'");

	expect_refused(text, "valid_until: \"2026-13-01\" is not a date (YYYY-MM-DD)",
		       "valid_until");
	ck_assert_str_eq(logged("valid_until"),
			 "form.conf:12: valid_until: \"2026-13-01\" is not a date (YYYY-MM-DD)\n");
	expect_refused(with_line(register_form, "valid_until", "valid_until = '2030-02-29'"),
		       "\"2030-02-29\" is not a date", "valid_until");
	expect_refused(with_line(register_form, "valid_until", "valid_until = '31/03/2030'"),
		       "\"31/03/2030\" is not a date", "valid_until");
	expect_refused(with_line(register_form, "valid_until", "valid_until = '2030-03-31T00'"),
		       "is not a date", "valid_until");
	/* in the past, or today (midnight has passed) */
	expect_refused(with_line(register_form, "valid_until", "valid_until = '2024-12-31'"),
		       "valid_until: 2024-12-31 is not in the future", "valid_until");
	expect_refused(with_line(register_form, "valid_until", "valid_until = '2025-06-01'"),
		       "valid_until: 2025-06-01 is not in the future", "valid_until");
	expect_refused("type = 'secondment'\nform_ref = 'F'\napplicant = 'hanako'\n"
		       "reason = 'r'\nuid = 'taro'\nuntil = '2020-04-01'\n",
		       "until: 2020-04-01 is not in the future", "until");
}
END_TEST

/* A stored form is read back at apply time with now == 0: its dates were
 * checked when it was submitted. */
START_TEST(now_zero_skips_future_check)
{
	struct idm_form *f = NULL;
	char *text = with_line(register_form, "valid_until", "valid_until = '2024-12-31'");

	capture_reset();
	ck_assert_int_eq(idm_form_parse(fx_cfg, FORM, text, 0, &cap_log, &f), IDM_OK);
	fx_keep_form(f);
	ck_assert(f->valid_until == date("2024-12-31"));
	/* a bad date is still bad */
	text = with_line(register_form, "valid_until", "valid_until = '2024-12-32'");
	f = (struct idm_form *)1;
	ck_assert_int_eq(idm_form_parse(fx_cfg, FORM, text, 0, &cap_log, &f), IDM_EINVAL);
	ck_assert_ptr_null(f);
}
END_TEST

/* R-AUD-2: a uid that breaks uid_pattern never gets further; the filter
 * and DN payloads are refused here, before any directory call. */
START_TEST(refuse_bad_uids)
{
	static const char *const bad[] = {
		"a*)(uid=*", "*",    "x)(|(uid=*", "Root", "ta ro",
		"taro,ou=x", "1abc", "t",          "\\2a", "t\xc3\xa1ro",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[128];

		snprintf(line, sizeof(line), "uid = '%s'", bad[i]);
		expect_refused(with_line(register_form, "uid", line), "uid: \"", "uid =");
		ck_assert_ptr_nonnull(logged("is not a valid uid (registration.uid_pattern "
					     "^[a-z][a-z0-9._-]{1,31}$)"));
	}
	expect_refused(with_line(register_form, "applicant", "applicant = 'a*)(uid=*'"),
		       "applicant: \"a*)(uid=*\" is not a valid uid", "applicant");
	expect_refused(with_line(register_form, "shared_with", "shared_with = {'jiro', 'x)(cn=*'}"),
		       "shared_with: \"x)(cn=*\" is not a valid uid", "shared_with");
}
END_TEST

/* R-PRIV-5: reserved names are refused as the subject of register and
 * grant-privilege, whatever their case; other types may name them (an
 * old account called "operator" can still be retired). */
START_TEST(refuse_reserved_names)
{
	static const char *const reserved[] = { "root", "admin", "administrator", "operator" };
	const char *grant = "type = 'grant-privilege'\nform_ref = 'F'\napplicant = 'hanako'\n"
			    "reason = 'r'\nuid = 'root'\nrole = 'system_admin'\n";
	const char *retire = "type = 'retire'\nform_ref = 'F'\napplicant = 'hanako'\n"
			     "reason = 'r'\nuid = 'root'\n";

	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		char line[64], needle[128];

		snprintf(line, sizeof(line), "uid = '%s'", reserved[i]);
		snprintf(needle, sizeof(needle),
			 "uid: \"%s\" is a reserved name (registration.reserved_names); a register "
			 "request may not use it (R-PRIV-5)",
			 reserved[i]);
		expect_refused(with_line(register_form, "uid", line), needle, "uid =");
	}
	expect_refused(grant, "uid: \"root\" is a reserved name", "uid =");
	ck_assert_ptr_nonnull(logged("a grant-privilege request may not use it"));
	ck_assert_str_eq(parse_ok(retire)->uid, "root");
	/* "Root" breaks uid_pattern before it could be compared */
	expect_refused(with_line(register_form, "uid", "uid = 'Root'"),
		       "uid: \"Root\" is not a valid uid", "uid =");
}
END_TEST

START_TEST(refuse_bad_units)
{
	expect_refused(with_line(register_form, "unit", "unit = 'payroll'"),
		       "unit: \"payroll\" is not a unit of", "unit =");
	expect_refused(with_line(register_form, "unit", "unit = 'Benefits'"),
		       "unit: \"Benefits\" is not a unit of", "unit =");
	expect_refused("type = 'transfer'\nform_ref = 'F'\napplicant = 'hanako'\nreason = 'r'\n"
		       "uid = 'taro'\nto_unit = 'finance)(x=*'\n",
		       "to_unit: \"finance)(x=*\" is not a unit of", "to_unit");
	ck_assert_str_eq(parse_ok("type = 'transfer'\nform_ref = 'F'\napplicant = 'hanako'\n"
				  "reason = 'r'\nuid = 'taro'\nto_unit = 'finance'\n"
				  "groups = {'mail'}\n")
				 ->to_unit,
			 "finance");
}
END_TEST

/* R-REG-6: the employee type decides the default groups; only the five
 * known types are accepted. */
START_TEST(refuse_bad_employee_type)
{
	static const char *const good[] = { "regular", "nonregular", "dispatched", "contractor",
					    "service" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char line[64];
		snprintf(line, sizeof(line), "employee_type = '%s'", good[i]);
		ck_assert_str_eq(parse_ok(with_line(register_form, "employee_type", line))
					 ->employee_type,
				 good[i]);
	}
	expect_refused(with_line(register_form, "employee_type", "employee_type = 'Regular'"),
		       "employee_type: \"Regular\" is not one of regular, nonregular, dispatched, "
		       "contractor, service",
		       "employee_type");
	expect_refused(with_line(register_form, "employee_type", "employee_type = 'part-time'"),
		       "employee_type: \"part-time\" is not one of", "employee_type");
}
END_TEST

/* Group names become cn values: letters, digits, '.', '_', '-'; an error
 * cites the line of the value, not of the key. */
START_TEST(refuse_bad_groups)
{
	const char *text = "type = 'register'\nform_ref = 'F'\napplicant = 'hanako'\n"
			   "reason = 'r'\nuid = 'taro'\ngiven_name = 'T'\nsurname = 'Y'\n"
			   "unit = 'benefits'\nemployee_type = 'regular'\n"
			   "groups = {\n"
			   "  'internet',\n"
			   "  'x)(cn=*',\n"
			   "  'a b',\n"
			   "  'mail'\n"
			   "}\n";

	expect_refused(text, "groups: \"x)(cn=*\" is not a valid group name", "'x)(cn=*'");
	ck_assert_int_eq(form_line("groups: \"a b\" is not a valid group name"),
			 line_in(text, "'a b'"));
	expect_refused(with_line(register_form, "groups", "groups = {'mail', ''}"),
		       "groups: \"\" is not a valid group name", "groups =");
	expect_refused(with_line(register_form, "groups", "groups = {'mail', 'internet', 'mail'}"),
		       "groups: \"mail\" is named twice", "groups =");
}
END_TEST

START_TEST(refuse_bad_role)
{
	const char *base = "type = 'grant-privilege'\nform_ref = 'F'\napplicant = 'hanako'\n"
			   "reason = 'r'\nuid = 'taro'\n";
	char *text = NULL;

	ck_assert_int_ge(asprintf(&text, "%srole = 'root'\n", base), 0);
	fx_keep(text);
	expect_refused(text, "role: \"root\" is not an officer role", "role");
	ck_assert_int_ge(asprintf(&text, "%srole = 'security_chief'\n", base), 0);
	fx_keep(text);
	ck_assert_str_eq(parse_ok(text)->role, "security_chief");
	ck_assert_ptr_null(parse_ok(base)->role); /* role is optional */
}
END_TEST

/* R-ID-1: a shared ID lists the people who use it -- valid uids, each
 * once, not the shared ID itself. */
START_TEST(refuse_bad_shared_with)
{
	expect_refused(with_line(register_form, "shared_with", "shared_with = {'jiro', 'jiro'}"),
		       "shared_with: \"jiro\" is named twice", "shared_with");
	expect_refused(with_line(register_form, "shared_with", "shared_with = {'jiro', 'taro'}"),
		       "shared_with: \"taro\" is the shared ID itself", "shared_with");
	expect_refused(with_line(register_form, "shared_with", "shared_with = {'Jiro'}"),
		       "shared_with: \"Jiro\" is not a valid uid", "shared_with");
	/* each message cites the line of its value */
	expect_refused(with_line(register_form, "shared_with", "shared_with = {\n'Jiro',\n'taro'}"),
		       "shared_with: \"taro\" is the shared ID itself", "'taro'}");
	ck_assert_int_eq(form_line("\"Jiro\" is not a valid uid"), 16);
}
END_TEST

START_TEST(refuse_bad_mail)
{
	static const char *const bad[] = {
		"taro",  "taro@@example.org",       "taro@example@org",    "@example.org",
		"taro@", "taro yamada@example.org", "tar\\to@example.org",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[96];

		snprintf(line, sizeof(line), "mail = \"%s\"", bad[i]);
		expect_refused(with_line(register_form, "mail", line), "mail: \"", "mail =");
	}
	expect_refused(with_line(register_form, "mail", "mail = 'taro@example.org extra'"),
		       "is not a mail address (local@domain)", "mail =");
	expect_refused(with_line(register_form, "mail", "mail = 'tarō@example.org'"),
		       "is not ASCII", "mail =");
	expect_refused(with_line(register_form, "mail", "mail = \"taro\\n@example.org\""),
		       "mail: \"taro\\x0a@example.org\" holds a control character", "mail =");
}
END_TEST

/* R-AUD-2: text is UTF-8 without control characters, at most 1024 bytes;
 * the messages show the offending value escaped. */
START_TEST(refuse_bad_text)
{
	char *big = fx_keep(malloc(1100)), *line = NULL;

	expect_refused(with_line(register_form, "reason", "reason = \"line\\none\""),
		       "reason: \"line\\x0aone\" holds a control character", "reason =");
	expect_refused(with_line(register_form, "surname", "surname = \"Ya\\emada\""),
		       "surname: \"Ya\\x1bmada\" holds a control character", "surname =");
	expect_refused(with_line(register_form, "given_name", "given_name = 'Ta\x7fro'"),
		       "holds a control character", "given_name =");
	expect_refused(with_line(register_form, "given_name", "given_name = 'Ta\xc2\x85ro'"),
		       "given_name: \"Ta\\u0085ro\" holds a control character", "given_name =");
	expect_refused(with_line(register_form, "surname", "surname = 'Ya\xffmada'"),
		       "surname: \"Ya\\xffmada\" is not valid UTF-8", "surname =");
	expect_refused(with_line(register_form, "surname", "surname = '\xc0\xaf'"),
		       "is not valid UTF-8", "surname =");
	memset(big, 'x', 1025);
	big[1025] = '\0';
	ck_assert_int_ge(asprintf(&line, "reason = '%s'", big), 0);
	fx_keep(line);
	expect_refused(with_line(register_form, "reason", line), "is longer than 1024 bytes",
		       "reason =");
	line[strlen(line) - 2] = '\''; /* exactly 1024: fine */
	line[strlen(line) - 1] = '\0';
	ck_assert_uint_eq(strlen(parse_ok(with_line(register_form, "reason", line))->reason), 1024);
	/* Japanese is text like any other */
	ck_assert_str_eq(parse_ok(with_line(register_form, "surname", "surname = '山田'"))->surname,
			 "山田");
}
END_TEST

START_TEST(refuse_repeated_key)
{
	expect_refused(with_line(register_form, "zzz", "uid = 'jiro'"),
		       "uid: given twice (first on line 6)", "uid = 'jiro'");
	expect_refused(with_line(register_form, "zzz", "groups += {'vpn'}"),
		       "groups: given twice (first on line 13)", "groups +=");
	/* the last value counts, as in libconfuse: its messages cite its line */
	expect_refused(with_line(register_form, "zzz", "uid = 'X'"),
		       "uid: \"X\" is not a valid uid", "uid = 'X'");
	ck_assert_int_eq(count_messages(), 2);
}
END_TEST

/* A list where one value belongs is refused at its line, and nothing else
 * is said about that key. */
START_TEST(refuse_list_for_value)
{
	expect_refused(with_line(register_form, "type", "type = {'register'}"),
		       "type: takes one value, not a list", "type =");
	ck_assert_int_eq(count_messages(), 1);
	expect_refused(with_line(register_form, "surname", "surname = {'Yamada', 'Suzuki'}"),
		       "surname: takes one value, not a list", "surname =");
	ck_assert_int_eq(count_messages(), 1);
	/* a list key takes a single value as a list of one */
	ck_assert_uint_eq(parse_ok(with_line(register_form, "groups", "groups = 'mail'"))->n_groups,
			  1);
}
END_TEST

/* libconfuse would expand ${VAR} from the environment of whoever runs
 * idmgr: refused where it would expand, kept literally in single quotes. */
START_TEST(refuse_environment_reference)
{
	expect_refused(with_line(register_form, "reason", "reason = \"home is ${HOME}\""),
		       "\"${\" is not allowed", "reason =");
	expect_refused(with_line(register_form, "reason", "reason = ${HOME}"),
		       "\"${\" is not allowed", "reason =");
	ck_assert_str_eq(parse_ok(with_line(register_form, "reason", "reason = 'costs ${HOME}'"))
				 ->reason,
			 "costs ${HOME}");
	ck_assert_str_eq(parse_ok(with_line(register_form, "reason",
					    "reason = 'r' # ${HOME} in a comment"))
				 ->reason,
			 "r");
}
END_TEST

START_TEST(refuse_syntax_error)
{
	expect_refused("type = 'retire'\nform_ref = 'F'\napplicant = 'hanako'\nreason = 'r'\n"
		       "uid = 'taro\n\n",
		       "uid: the quote opened here is never closed", "uid =");
	ck_assert_ptr_nonnull(logged("unterminated string")); /* libconfuse's, at the end */
	expect_refused(with_line(register_form, "zzz", "reason2 = \"oops"), "reason2: unknown key",
		       "reason2");
	expect_refused(with_line(register_form, "zzz", "uid = = 'x'"), "unexpected token",
		       "uid = =");
	expect_refused(with_line(register_form, "zzz", "groups2 = {'a',"), "groups2: unknown key",
		       "groups2");
}
END_TEST

/* All errors of a form come in one run, in the order of their lines, each
 * citing its line. */
START_TEST(all_errors_together)
{
	const char *text = "type = 'register'\n"          /* 1 */
			   "form_ref = 'PF-9'\n"          /* 2 */
			   "applicant = 'Hanako'\n"       /* 3 bad uid */
			   "reason = 'r'\n"               /* 4 */
			   "uid = 'root'\n"               /* 5 reserved */
			   "surname = 'Yamada'\n"         /* 6 */
			   "nickname = 'Taro'\n"          /* 7 unknown */
			   "unit = 'payroll'\n"           /* 8 no such unit */
			   "employee_type = 'temp'\n"     /* 9 bad type */
			   "valid_until = '2026-13-01'\n" /* 10 bad date */
			   "to_unit = 'finance'\n"        /* 11 not for register */
			   "mail = 'a@b@c'\n"             /* 12 bad mail */
			   "groups = {'ok', 'no way'}\n"; /* 13 bad group */
	static const struct {
		const char *needle;
		int line;
	} want[] = {
		{ "given_name: missing", 1 },
		{ "applicant: \"Hanako\" is not a valid uid", 3 },
		{ "uid: \"root\" is a reserved name", 5 },
		{ "nickname: unknown key", 7 },
		{ "unit: \"payroll\" is not a unit", 8 },
		{ "employee_type: \"temp\" is not one of", 9 },
		{ "valid_until: \"2026-13-01\" is not a date", 10 },
		{ "to_unit: not allowed in a register request", 11 },
		{ "mail: \"a@b@c\" is not a mail address", 12 },
		{ "groups: \"no way\" is not a valid group name", 13 },
	};
	const char *prev = captured.text;

	expect_refused(text, "nickname: unknown key", "nickname");
	ck_assert_int_eq(count_messages(), (int)(sizeof(want) / sizeof(want[0])));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *m = logged(want[i].needle);
		ck_assert_msg(m != NULL, "no \"%s\" in:\n%s", want[i].needle, captured.text);
		ck_assert_int_eq(form_line(want[i].needle), want[i].line);
		ck_assert_msg(m >= prev, "\"%s\" out of line order:\n%s", want[i].needle,
			      captured.text);
		prev = m;
	}
}
END_TEST

/* ======================================================== serialize */

static void assert_same_str(const char *a, const char *b)
{
	if (!a || !b)
		ck_assert_ptr_eq(a, b);
	else
		ck_assert_str_eq(a, b);
}

static void assert_same_form(const struct idm_form *a, const struct idm_form *b)
{
	ck_assert_int_eq(a->type, b->type);
	assert_same_str(a->form_ref, b->form_ref);
	assert_same_str(a->applicant, b->applicant);
	assert_same_str(a->reason, b->reason);
	assert_same_str(a->uid, b->uid);
	assert_same_str(a->given_name, b->given_name);
	assert_same_str(a->surname, b->surname);
	assert_same_str(a->mail, b->mail);
	assert_same_str(a->unit, b->unit);
	assert_same_str(a->employee_type, b->employee_type);
	assert_same_str(a->to_unit, b->to_unit);
	assert_same_str(a->role, b->role);
	ck_assert(a->valid_until == b->valid_until);
	ck_assert(a->until == b->until);
	ck_assert_uint_eq(a->n_groups, b->n_groups);
	for (size_t i = 0; i < a->n_groups; i++)
		ck_assert_str_eq(a->groups[i], b->groups[i]);
	ck_assert_uint_eq(a->n_shared_with, b->n_shared_with);
	for (size_t i = 0; i < a->n_shared_with; i++)
		ck_assert_str_eq(a->shared_with[i], b->shared_with[i]);
}

/* Serialized, parsed back, serialized again: the same form, the same text. */
static void round_trip(const struct idm_form *f)
{
	char *text = NULL, *again = NULL;
	struct idm_form *back;

	ck_assert_int_eq(idm_form_serialize(f, &text), IDM_OK);
	fx_keep(text);
	back = parse_ok(text);
	assert_same_form(f, back);
	ck_assert_int_eq(idm_form_serialize(back, &again), IDM_OK);
	fx_keep(again);
	ck_assert_str_eq(text, again);
}

/* R-REG-1: the stored form is the submitted one, byte for byte in every
 * value: quotes, backslashes, UTF-8, and ${ that must stay literal. */
START_TEST(serialize_round_trip)
{
	const char *reason = "It's \"urgent\": C:\\new\\ \\\\share\\' -- 新規採用（４月１日付）"
			     " ${HOME} $HOME /* not a comment */ # nor this // nor this";
	struct idm_form *f = parse_ok(register_form);
	char *text = NULL;

	free(f->reason);
	f->reason = strdup(reason);
	ck_assert_ptr_nonnull(f->reason);
	free(f->surname);
	f->surname = strdup("O'Brien-山田\\");
	ck_assert_ptr_nonnull(f->surname);
	round_trip(f);

	ck_assert_int_eq(idm_form_serialize(f, &text), IDM_OK);
	fx_keep(text);
	ck_assert_ptr_nonnull(strstr(text, "\nreason = 'It\\'s \"urgent\": C:\\\\new\\\\ "));
	ck_assert_ptr_nonnull(strstr(text, "\nvalid_until = '2030-03-31'\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ngroups = {'internet', 'mail'}\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nsurname = 'O\\'Brien-山田\\\\'\n"));
	ck_assert_int_eq(strncmp(text, "type = 'register'\n", 18), 0);
	ck_assert_ptr_eq(strstr(text, "to_unit"), NULL); /* absent fields are left out */
}
END_TEST

START_TEST(serialize_every_type)
{
	for (int t = 0; t < IDM_REQ_TYPE_COUNT; t++) {
		const char *tmpl = idm_form_template((enum idm_request_type)t);
		round_trip(parse_ok(fill(tmpl, required_values((enum idm_request_type)t))));
	}
	round_trip(parse_ok("type = 'transfer'\nform_ref = 'F'\napplicant = 'hanako'\n"
			    "reason = 'r'\nuid = 'taro'\nto_unit = 'finance'\n"
			    "groups = {'mail', 'vpn'}\n"));
	round_trip(parse_ok("type = 'revoke-privilege'\nform_ref = 'F'\napplicant = 'hanako'\n"
			    "reason = 'r'\nuid = 'taro'\nrole = 'contractor'\n"));
	round_trip(parse_ok("type = 'modify'\nform_ref = 'F'\napplicant = 'hanako'\n"
			    "reason = 'r'\nuid = 'taro'\nemployee_type = 'service'\n"
			    "shared_with = {'jiro'}\nvalid_until = '2031-01-01'\n"));
}
END_TEST

START_TEST(serialize_bad_type)
{
	struct idm_form f = { .type = IDM_REQ_TYPE_COUNT };
	char *text = (char *)1;

	ck_assert_int_eq(idm_form_serialize(&f, &text), IDM_EINVAL);
	ck_assert_ptr_null(text);
}
END_TEST

/* ======================================================== files */

START_TEST(load_file)
{
	char path[PATH_MAX], link_path[PATH_MAX];
	struct idm_form *f = NULL;

	fx_write_text("form.conf", register_form, 0644, path, sizeof(path));
	capture_reset();
	ck_assert_int_eq(idm_form_load(fx_cfg, path, NOW, &cap_log, &f), IDM_OK);
	fx_keep_form(f);
	ck_assert_str_eq(f->uid, "taro");

	/* messages name the file as given */
	fx_path(link_path, sizeof(link_path), "bad.conf");
	fx_write_text("bad.conf", "type = 'retire'\nform_ref = 'F'\napplicant = 'x'\n", 0600,
		      link_path, sizeof(link_path));
	capture_reset();
	f = (struct idm_form *)1;
	ck_assert_int_eq(idm_form_load(fx_cfg, link_path, NOW, &cap_log, &f), IDM_EINVAL);
	ck_assert_ptr_null(f);
	ck_assert_msg(strstr(captured.text, link_path) == captured.text, "%s", captured.text);
	ck_assert_ptr_nonnull(strstr(captured.text, ":3: applicant: \"x\" is not a valid uid"));

	/* no symbolic link, no missing file */
	fx_path(link_path, sizeof(link_path), "link.conf");
	ck_assert_int_eq(symlink(path, link_path), 0);
	capture_reset();
	ck_assert_int_eq(idm_form_load(fx_cfg, link_path, NOW, &cap_log, &f), IDM_EINVAL);
	ck_assert_ptr_null(f);
	ck_assert_ptr_nonnull(strstr(captured.text, "symbolic link"));
	fx_path(link_path, sizeof(link_path), "absent.conf");
	ck_assert_int_eq(idm_form_load(fx_cfg, link_path, NOW, &cap_log, &f), IDM_EINVAL);
}
END_TEST

START_TEST(load_too_large)
{
	char path[PATH_MAX];
	char *text = fx_keep(malloc(IDM_FORM_MAX + 2));
	struct idm_form *f = (struct idm_form *)1;

	memset(text, '\n', IDM_FORM_MAX + 1);
	text[IDM_FORM_MAX + 1] = '\0';
	fx_write_text("big.conf", text, 0600, path, sizeof(path));
	capture_reset();
	ck_assert_int_eq(idm_form_load(fx_cfg, path, NOW, &cap_log, &f), IDM_EINVAL);
	ck_assert_ptr_null(f);
	ck_assert_ptr_nonnull(strstr(captured.text, "larger than"));
	capture_reset();
	ck_assert_int_eq(idm_form_parse(fx_cfg, FORM, text, NOW, &cap_log, &f), IDM_EINVAL);
	ck_assert_ptr_nonnull(strstr(captured.text, "larger than"));
}
END_TEST

/* ======================================================== man page */

/* The roff escapes the man page uses in its examples, undone. */
static char *unroff(const char *from, const char *to)
{
	static const struct {
		const char *esc, *text;
	} escapes[] = {
		{ "\\(aq", "'" }, { "\\(dq", "\"" }, { "\\-", "-" }, { "\\e", "\\" }, { "\\&", "" }
	};
	char *out = fx_keep(calloc(1, (size_t)(to - from) + 1)), *o = out;

	while (from < to) {
		size_t k = 0;

		while (k < sizeof(escapes) / sizeof(escapes[0]) &&
		       strncmp(from, escapes[k].esc, strlen(escapes[k].esc)) != 0)
			k++;
		if (k < sizeof(escapes) / sizeof(escapes[0])) {
			o = stpcpy(o, escapes[k].text);
			from += strlen(escapes[k].esc);
		} else {
			*o++ = *from++;
		}
	}
	return out;
}

/* The example of each type in idmgr-request(5) is a valid form of that
 * type, and both spellings of its quoting example mean the same text. */
START_TEST(man_page_examples)
{
	const char *src = getenv("IDMGR_SRCDIR");
	char path[PATH_MAX], *page, *quoting;
	FILE *fp;
	long size;

	snprintf(path, sizeof(path), "%s/man/idmgr-request.5", src && *src ? src : "..");
	fp = fopen(path, "re");
	ck_assert_msg(fp != NULL, "%s: %s (set IDMGR_SRCDIR)", path, strerror(errno));
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	size = ftell(fp);
	rewind(fp);
	page = fx_keep(calloc(1, (size_t)size + 1));
	ck_assert_uint_eq(fread(page, 1, (size_t)size, fp), (size_t)size);
	fclose(fp);

	for (int t = 0; t < IDM_REQ_TYPE_COUNT; t++) {
		const char *name = idm_request_type_name((enum idm_request_type)t), *start, *end;
		char heading[64] = "\n.SS ", *h = heading + strlen(heading);

		struct idm_form *f;

		for (; *name; name++) /* the page writes "grant\-privilege" */
			if (*name == '-')
				h = stpcpy(h, "\\-");
			else
				*h++ = *name;
		strcpy(h, "\n.nf\n");
		start = strstr(page, heading);
		ck_assert_msg(start != NULL, "no example \"%s\" in %s", heading + 1, path);
		start += strlen(heading);
		end = strstr(start, ".fi\n");
		ck_assert_ptr_nonnull(end);
		f = parse_ok(unroff(start, end));
		ck_assert_int_eq(f->type, t);
	}
	quoting = strstr(page, "\n.SS Quoting\n");
	ck_assert_ptr_nonnull(quoting);
	for (int i = 0; i < 2; i++) {
		const char *line = strstr(quoting, "\nreason = ") + 1, *nl = strchr(line, '\n');

		quoting = (char *)nl;
		ck_assert_str_eq(parse_ok(with_line(register_form, "reason", unroff(line, nl)))->reason,
				 "It's for the \"C:\\share\" folder - 新規採用");
	}
}
END_TEST

/* ======================================================== runner */

static TCase *form_tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, fx_root_setup, fx_root_teardown);
	tcase_add_checked_fixture(tc, form_setup, form_teardown);
	return tc;
}

static Suite *form_suite(void)
{
	Suite *s = suite_create("form");
	TCase *tc = form_tcase("types");

	tcase_add_test(tc, type_names);
	tcase_add_test(tc, template_fills_and_parses);
	tcase_add_test(tc, template_keys);
	tcase_add_test(tc, register_all_fields);
	tcase_add_test(tc, syntax_variants);
	suite_add_tcase(s, tc);

	tc = form_tcase("refusals");
	tcase_add_test(tc, refuse_unknown_key);
	tcase_add_test(tc, refuse_key_of_other_type);
	tcase_add_test(tc, refuse_missing_field);
	tcase_add_test(tc, refuse_modify_without_change);
	tcase_add_test(tc, refuse_bad_date);
	tcase_add_test(tc, now_zero_skips_future_check);
	tcase_add_test(tc, refuse_bad_uids);
	tcase_add_test(tc, refuse_reserved_names);
	tcase_add_test(tc, refuse_bad_units);
	tcase_add_test(tc, refuse_bad_employee_type);
	tcase_add_test(tc, refuse_bad_groups);
	tcase_add_test(tc, refuse_bad_role);
	tcase_add_test(tc, refuse_bad_shared_with);
	tcase_add_test(tc, refuse_bad_mail);
	tcase_add_test(tc, refuse_bad_text);
	tcase_add_test(tc, refuse_repeated_key);
	tcase_add_test(tc, refuse_list_for_value);
	tcase_add_test(tc, refuse_environment_reference);
	tcase_add_test(tc, refuse_syntax_error);
	tcase_add_test(tc, all_errors_together);
	suite_add_tcase(s, tc);

	tc = form_tcase("serialize");
	tcase_add_test(tc, serialize_round_trip);
	tcase_add_test(tc, serialize_every_type);
	tcase_add_test(tc, serialize_bad_type);
	suite_add_tcase(s, tc);

	tc = form_tcase("man_page");
	tcase_add_test(tc, man_page_examples);
	suite_add_tcase(s, tc);

	tc = form_tcase("files");
	tcase_add_test(tc, load_file);
	tcase_add_test(tc, load_too_large);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(form_suite(), NULL);
}
