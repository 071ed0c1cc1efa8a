/* idm_config_schema.c -- idmgr.conf's schema: every section and key with
 * its default, and the validators that refuse a value with its line
 * (idm_config_schema.h).  Split from idm_config.c. */
#include "config.h"

#include <arpa/inet.h>
#include <confuse.h>
#include <ctype.h>
#include <ldap.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_config.h"
#include "idm_config_schema.h"
#include "idm_i18n.h"

int idm_config_secret_line;
int idm_config_service_secret_line;
int idm_config_writer_uri_line;

/* ------------------------------------------------------------ validation */

struct range {
	const char *section, *key;
	long min, max;
	const char *unit;
	size_t field; /* policy: 1 + the offset of its long in struct idm_policy */
};

#define FIELD(f) (1 + offsetof(struct idm_policy, f))

static const struct range ranges[] = {
	{ "ldap", "timeout", 1, 300, "seconds", 0 },
	{ "argon2", "memory_kib", 8, 1048576, "KiB", 0 },
	{ "argon2", "iterations", 1, 100, "", 0 },
	{ "argon2", "parallelism", 1, 16, "", 0 },
	{ "policy", "min_length", 1, 4096, "characters", FIELD(min_length) },
	{ "policy", "max_length", 1, 4096, "characters", FIELD(max_length) },
	{ "policy", "min_classes", 0, 4, "", FIELD(min_classes) },
	{ "policy", "history", 0, 400, "passwords", FIELD(history) },
	{ "policy", "min_age_days", 0, 3650, "days", FIELD(min_age_days) },
	{ "policy", "max_age_days", 0, 36500, "days", FIELD(max_age_days) },
	{ "policy", "warn_days", 0, 3650, "days", FIELD(warn_days) },
	{ "policy", "max_logins", 0, 1000000, "logins", FIELD(max_logins) },
	{ "policy", "lockout_threshold", 1, 100, "failures", FIELD(lockout_threshold) },
	{ "policy", "lockout_window", 1, 31536000, "seconds", FIELD(lockout_window) },
	{ "policy", "lockout_duration", 0, 31536000, "seconds", FIELD(lockout_duration) },
	{ "registration", "temp_password_length", 12, 128, "characters", 0 },
	{ "registration", "uid_number_min", 1000, 2000000000, "", 0 },
	{ "registration", "gid_number_min", 1000, 2000000000, "", 0 },
	{ "sweep", "inactive_days", 1, 3650, "days", 0 },
	{ "sweep", "never_used_days", 1, 3650, "days", 0 },
	{ "service", "threads", 1, 256, "connections", 0 },
	{ "service", "max_refusals", 1, 10000, "refusals", 0 },
	{ "service", "refusal_window", 1, 86400, "seconds", 0 },
	{ "service", "cached_auth_timeout", 0, 3600, "seconds", 0 },
	{ "service", "tls_port", 0, 65535, "", 0 },
	{ "service", "writer_lease", 3, 600, "seconds", 0 },
	{ "login", "idle_timeout", 0, 86400, "seconds", 0 },
};

void idm_config_policy_numbers(cfg_t *sec, struct idm_policy *p)
{
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (ranges[i].field)
			*(long *)((char *)p + ranges[i].field - 1) = cfg_getint(sec, ranges[i].key);
}

/* The range's refusal, one sentence per unit so that each is translated
 * whole (po/ja.po); every format takes the same four arguments. */
static const struct {
	const char *unit, *fmt;
} range_sentences[] = {
	{ "", N_("%s: %ld is out of range: must be %ld to %ld") },
	{ "KiB", N_("%s: %ld is out of range: must be %ld to %ld KiB") },
	{ "characters", N_("%s: %ld is out of range: must be %ld to %ld characters") },
	{ "connections", N_("%s: %ld is out of range: must be %ld to %ld connections") },
	{ "days", N_("%s: %ld is out of range: must be %ld to %ld days") },
	{ "failures", N_("%s: %ld is out of range: must be %ld to %ld failures") },
	{ "logins", N_("%s: %ld is out of range: must be %ld to %ld logins") },
	{ "passwords", N_("%s: %ld is out of range: must be %ld to %ld passwords") },
	{ "refusals", N_("%s: %ld is out of range: must be %ld to %ld refusals") },
	{ "seconds", N_("%s: %ld is out of range: must be %ld to %ld seconds") },
};

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void range_error(cfg_t *cfg, const char *key, long v, const struct range *r)
{
	const char *fmt = range_sentences[0].fmt; /* a unit without its sentence */

	for (size_t k = 0; k < sizeof(range_sentences) / sizeof(range_sentences[0]); k++)
		if (strcmp(range_sentences[k].unit, r->unit) == 0)
			fmt = range_sentences[k].fmt;
	cfg_error(cfg, fmt, key, v, r->min, r->max);
}
#pragma GCC diagnostic pop

static int validate_range(cfg_t *cfg, cfg_opt_t *opt)
{
	long v = cfg_opt_getnint(opt, cfg_opt_size(opt) - 1);

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		const struct range *r = &ranges[i];
		if (strcmp(r->section, cfg->name) != 0 || strcmp(r->key, opt->name) != 0)
			continue;
		if (v < r->min || v > r->max) {
			range_error(cfg, opt->name, v, r);
			return -1;
		}
	}
	return 0;
}

static bool valid_dn(const char *s)
{
	LDAPDN dn = NULL;

	if (!s || !*s || ldap_str2dn(s, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return false;
	ldap_dnfree(dn);
	return true;
}

static int validate_dn(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);

	if (!valid_dn(v)) {
		cfg_error(cfg, "%s: \"%s\" is not a valid DN", opt->name, v ? v : "");
		return -1;
	}
	return 0;
}

static int validate_uri(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
	char *copy, *tok, *save = NULL;
	int r = 0, n = 0;

	if (!v || !(copy = strdup(v)))
		return -1;
	for (tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		LDAPURLDesc *lud = NULL;
		n++;
		if ((strncmp(tok, "ldap://", 7) != 0 && strncmp(tok, "ldaps://", 8) != 0 &&
		     strncmp(tok, "ldapi://", 8) != 0) ||
		    ldap_url_parse(tok, &lud) != LDAP_URL_SUCCESS) {
			cfg_error(cfg, "%s: \"%s\" is not an ldap://, ldaps:// or ldapi:// URI",
				  opt->name, tok);
			r = -1;
		}
		if (lud)
			ldap_free_urldesc(lud);
	}
	if (n == 0) {
		cfg_error(cfg, "%s: no URI given", opt->name);
		r = -1;
	}
	free(copy);
	return r;
}

static int validate_abs_path(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);

	if (v && *v && v[0] != '/') {
		cfg_error(cfg, "%s: \"%s\" must be an absolute path", opt->name, v);
		return -1;
	}
	return 0;
}

/* A path slapd opens, written into a policy entry as "PATH POLICY"
 * (pwdCheckModuleArg): absolute, without white space. */
static int validate_server_path(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);

	if (v && strpbrk(v, " \t\r\n")) {
		cfg_error(cfg, "%s: \"%s\" must not contain white space", opt->name, v);
		return -1;
	}
	return validate_abs_path(cfg, opt);
}

static int validate_required_path(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);

	if (!v || !*v) {
		cfg_error(cfg, "%s: must name a file", opt->name);
		return -1;
	}
	return validate_abs_path(cfg, opt);
}

/* libconfuse calls this as it reads the key, so cfg->line is the key's line
 * (a search of the text would also find comments). */
static int validate_secret_path(cfg_t *cfg, cfg_opt_t *opt)
{
	if (strcmp(cfg->name, "service") == 0)
		idm_config_service_secret_line = cfg->line;
	else
		idm_config_secret_line = cfg->line;
	return validate_required_path(cfg, opt);
}

/* The service's bind_dn may be empty (no service configured: idmgrd
 * refuses to start, the command's changes have nowhere to go). */
static int validate_optional_dn(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);

	if (v && *v && !valid_dn(v)) {
		cfg_error(cfg, "%s: \"%s\" is not a valid DN", opt->name, v);
		return -1;
	}
	return 0;
}

/* The service over TLS from another host: https only (a password crosses). */
static int validate_service_url(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);

	if (v && *v &&
	    (strncmp(v, "https://", 8) != 0 || strlen(v) < 9 || strlen(v) > 512 ||
	     strpbrk(v, " \t\"'<>\\"))) {
		cfg_error(cfg, "%s: \"%s\" is not an https:// URL", opt->name, v);
		return -1;
	}
	return 0;
}

/* The one directory server of the writer's lease and of every write that
 * needs a total order (idmgrd(8)): one ldap:// or ldaps:// URI, or empty
 * (whatever server idm_dir reaches: one provider).  That it is one of
 * ldap.uri is checked once both are read (idm_config.c). */
static int validate_writer_uri(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
	LDAPURLDesc *lud = NULL;
	int r = 0;

	idm_config_writer_uri_line = cfg->line;
	if (!v || !*v)
		return 0;
	if ((strncmp(v, "ldap://", 7) != 0 && strncmp(v, "ldaps://", 8) != 0 &&
	     strncmp(v, "ldapi://", 8) != 0) ||
	    strpbrk(v, " \t,") || ldap_url_parse(v, &lud) != LDAP_URL_SUCCESS) {
		cfg_error(cfg, "%s: \"%s\" is not one ldap://, ldaps:// or ldapi:// URI", opt->name,
			  v);
		r = -1;
	}
	if (lud)
		ldap_free_urldesc(lud);
	return r;
}

/* Where else the command may find idmgrd: blank-separated Unix socket
 * paths (absolute, short enough for sun_path) and https:// URLs. */
static int validate_failover(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
	char *copy, *tok, *save = NULL;
	int r = 0;

	if (!v || !(copy = strdup(v)))
		return v ? -1 : 0;
	for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		bool url = strncmp(tok, "https://", 8) == 0 && strlen(tok) > 8 &&
			   strlen(tok) <= 512 && !strpbrk(tok, "\"'<>\\");
		bool path = tok[0] == '/' && strlen(tok) < IDM_SOCKET_PATH_MAX;
		if (!url && !path) {
			cfg_error(cfg,
				  "%s: \"%s\" is neither an https:// URL nor an absolute Unix "
				  "socket path under %d bytes",
				  opt->name, tok, IDM_SOCKET_PATH_MAX);
			r = -1;
		}
	}
	free(copy);
	return r;
}

/* An entryUUID as slapd prints it (RFC 4122: 8-4-4-4-12 hex digits), or empty. */
static int validate_uuid(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
	size_t n = v ? strlen(v) : 0;
	bool ok = n == 0 || n == 36;

	for (size_t i = 0; ok && i < n; i++)
		ok = (i == 8 || i == 13 || i == 18 || i == 23) ? v[i] == '-'
							       : isxdigit((unsigned char)v[i]);
	if (!ok) {
		cfg_error(cfg, "%s: \"%s\" is not an entryUUID (8-4-4-4-12 hex digits)", opt->name,
			  v);
		return -1;
	}
	return 0;
}

static int validate_ip(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
	unsigned char buf[16];

	if (!v || (inet_pton(AF_INET, v, buf) != 1 && inet_pton(AF_INET6, v, buf) != 1)) {
		cfg_error(cfg, "%s: \"%s\" is not an IPv4 or IPv6 address", opt->name, v ? v : "");
		return -1;
	}
	return 0;
}

/* A Unix socket path: absolute and short enough for sun_path. */
static int validate_socket_path(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);

	if (v && strlen(v) >= IDM_SOCKET_PATH_MAX) {
		cfg_error(cfg, "%s: \"%s\" is longer than %d bytes (a Unix socket path)", opt->name,
			  v, IDM_SOCKET_PATH_MAX - 1);
		return -1;
	}
	return validate_required_path(cfg, opt);
}

/* A name that becomes an RDN value (cn of a group, a uid): printable ASCII,
 * no LDAP metacharacters, 1..64 bytes. */
static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && !strchr("._-", c))
			return false;
	}
	return true;
}

static int validate_names(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned i = cfg_opt_size(opt);
	const char *v = i ? cfg_opt_getnstr(opt, i - 1) : NULL;

	/* Called once per list element as it is parsed; check the newest. */
	if (v && !valid_name(v)) {
		cfg_error(cfg,
			  "%s: \"%s\" is not a valid name (letters, digits, '.', '_', '-'; 1 to 64)",
			  opt->name, v);
		return -1;
	}
	return 0;
}

static int validate_regex(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
	regex_t re;
	int rc;

	if (!v || !*v) {
		cfg_error(cfg, "%s: must not be empty", opt->name);
		return -1;
	}
	rc = regcomp(&re, v, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char why[128];
		regerror(rc, &re, why, sizeof(why));
		cfg_error(cfg, "%s: \"%s\" is not a valid extended regular expression: %s",
			  opt->name, v, why);
		return -1;
	}
	regfree(&re);
	if (v[0] != '^' || v[strlen(v) - 1] != '$') {
		cfg_error(cfg, "%s: must be anchored with ^ and $", opt->name);
		return -1;
	}
	return 0;
}

static int validate_policy(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *p = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);
	long minl = cfg_getint(p, "min_length"), maxl = cfg_getint(p, "max_length");
	long maxage = cfg_getint(p, "max_age_days"), warn = cfg_getint(p, "warn_days");
	long minage = cfg_getint(p, "min_age_days");
	int r = 0;

	if (minl > maxl) {
		cfg_error(p, "policy %s: min_length (%ld) is greater than max_length (%ld)",
			  cfg_title(p), minl, maxl);
		r = -1;
	}
	if (maxage > 0 && warn >= maxage) {
		cfg_error(p, "policy %s: warn_days (%ld) must be less than max_age_days (%ld)",
			  cfg_title(p), warn, maxage);
		r = -1;
	}
	if (maxage > 0 && minage >= maxage) {
		cfg_error(p, "policy %s: min_age_days (%ld) must be less than max_age_days (%ld)",
			  cfg_title(p), minage, maxage);
		r = -1;
	}
	if (!valid_name(cfg_title(p))) {
		cfg_error(p, "policy \"%s\": not a valid policy name", cfg_title(p));
		r = -1;
	}
	return r;
}

static int validate_argon2(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *a = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);
	long m = cfg_getint(a, "memory_kib"), p = cfg_getint(a, "parallelism");

	if (m < 8 * p) {
		cfg_error(a, "argon2: memory_kib (%ld) must be at least 8 x parallelism (%ld)", m,
			  8 * p);
		return -1;
	}
	return 0;
}

static int validate_unit(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *u = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);

	if (!valid_name(cfg_title(u))) {
		cfg_error(u, "unit \"%s\": not a valid unit name", cfg_title(u));
		return -1;
	}
	return 0;
}

/* notify.command: run without a shell, so words are split on blanks and
 * nothing is quoted or expanded; the program is named by absolute path. */
static int validate_command(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
	size_t words = 0;

	if (!v || !*v)
		return 0;
	for (const char *p = v; *p; p++) {
		if ((unsigned char)*p < 0x20 && *p != '\t') {
			cfg_error(cfg, "%s: control characters are not allowed", opt->name);
			return -1;
		}
		if (strchr("'\"\\$`", *p)) {
			cfg_error(cfg,
				  "%s: the character %c is not allowed: the command runs without a "
				  "shell, its words are split on blanks and passed as they are",
				  opt->name, *p);
			return -1;
		}
		if (*p != ' ' && *p != '\t' && (p == v || p[-1] == ' ' || p[-1] == '\t'))
			words++;
	}
	v += strspn(v, " \t");
	if (*v != '/') {
		cfg_error(cfg, "%s: \"%s\" must start with the program's absolute path", opt->name,
			  v);
		return -1;
	}
	if (words > IDM_NOTIFY_MAX_ARGS) {
		cfg_error(cfg, "%s: at most %d words", opt->name, IDM_NOTIFY_MAX_ARGS);
		return -1;
	}
	return 0;
}

static int validate_mail_from(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);

	if (!v || !idm_mail_address_ok(v, true)) {
		cfg_error(cfg,
			  "%s: \"%s\" is not a mail address (local part, or local@domain, "
			  "printable ASCII without blanks, quotes, commas or angle brackets)",
			  opt->name, v ? v : "");
		return -1;
	}
	return 0;
}

bool idm_mail_address_ok(const char *s, bool local_ok)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);

	if (n == 0 || n > 254 || (!at && !local_ok) ||
	    (at && (at == s || !at[1] || strchr(at + 1, '@'))))
		return false;
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f || strchr("\"(),:;<>[\\]", *s))
			return false;
	return true;
}

/* ---------------------------------------------------------------- schema */

#define POLICY_OPTS(minlen, classes, maxage, threshold, duration)                                 \
	{                                                                                         \
		CFG_INT("min_length", minlen, CFGF_NONE), CFG_INT("max_length", 128, CFGF_NONE),  \
			CFG_INT("min_classes", classes, CFGF_NONE),                               \
			CFG_INT("history", 24, CFGF_NONE), CFG_INT("min_age_days", 1, CFGF_NONE), \
			CFG_INT("max_age_days", maxage, CFGF_NONE),                               \
			CFG_INT("warn_days", 14, CFGF_NONE), CFG_INT("max_logins", 0, CFGF_NONE), \
			CFG_INT("lockout_threshold", threshold, CFGF_NONE),                       \
			CFG_INT("lockout_window", 900, CFGF_NONE),                                \
			CFG_INT("lockout_duration", duration, CFGF_NONE),                         \
			CFG_STR("blocklist_file", "", CFGF_NONE),                                 \
			CFG_BOOL("reject_user_name", cfg_true, CFGF_NONE), CFG_END()              \
	}

cfg_t *idm_config_schema_init(cfg_errfunc_t errfunc)
{
	static cfg_opt_t ldap_opts[] = { CFG_STR("uri", NULL, CFGF_NODEFAULT),
					 CFG_STR("base_dn", NULL, CFGF_NODEFAULT),
					 CFG_STR("people_dn", NULL, CFGF_NODEFAULT),
					 CFG_STR("groups_dn", NULL, CFGF_NODEFAULT),
					 CFG_STR("idmgr_dn", NULL, CFGF_NODEFAULT),
					 CFG_STR("bind_dn", NULL, CFGF_NODEFAULT),
					 CFG_STR("bind_password_file", NULL, CFGF_NODEFAULT),
					 CFG_BOOL("starttls", cfg_false, CFGF_NONE),
					 CFG_STR("ca_file", "", CFGF_NONE),
					 CFG_INT("timeout", 5, CFGF_NONE),
					 CFG_END() };
	static cfg_opt_t argon2_opts[] = { CFG_INT("memory_kib", 19456, CFGF_NONE),
					   CFG_INT("iterations", 2, CFGF_NONE),
					   CFG_INT("parallelism", 1, CFGF_NONE), CFG_END() };
	static cfg_opt_t policy_opts[] = POLICY_OPTS(12, 3, 180, 5, 900);
	static cfg_opt_t roles_opts[] = { CFG_STR("ciso", NULL, CFGF_NODEFAULT),
					  CFG_STR("security_chief", NULL, CFGF_NODEFAULT),
					  CFG_STR("system_admin", NULL, CFGF_NODEFAULT),
					  CFG_STR("security_manager", NULL, CFGF_NODEFAULT),
					  CFG_STR("contractor", NULL, CFGF_NODEFAULT),
					  CFG_BOOL("same_person_both_approvals", cfg_false,
						   CFGF_NONE),
					  CFG_END() };
	static cfg_opt_t registration_opts[] = {
		CFG_STR("uid_pattern", "^[a-z][a-z0-9._-]{1,31}$", CFGF_NONE),
		CFG_STR_LIST("reserved_names",
			     "{root,admin,administrator,sa,sysadmin,operator,guest}", CFGF_NONE),
		CFG_INT("temp_password_length", 16, CFGF_NONE),
		CFG_INT("uid_number_min", 10000, CFGF_NONE),
		CFG_INT("gid_number_min", 10000, CFGF_NONE),
		CFG_STR("primary_group", "staff", CFGF_NONE),
		CFG_END()
	};
	static cfg_opt_t unit_opts[] = { CFG_STR_LIST("groups", "{}", CFGF_NONE), CFG_END() };
	static cfg_opt_t sweep_opts[] = { CFG_INT("inactive_days", 90, CFGF_NONE),
					  CFG_INT("never_used_days", 30, CFGF_NONE), CFG_END() };
	static cfg_opt_t ppolicy_opts[] = {
		CFG_STR("check_module", IDM_SLAPD_MODULEDIR "/idmgr_pwcheck.so", CFGF_NONE),
		CFG_STR("check_config", "", CFGF_NONE), CFG_END()
	};
	static cfg_opt_t login_opts[] = { CFG_STR("banner", "", CFGF_NONE),
					  CFG_BOOL("show_last_login", cfg_true, CFGF_NONE),
					  CFG_INT("idle_timeout", 600, CFGF_NONE), CFG_END() };
	static cfg_opt_t notify_opts[] = { CFG_STR("command", "", CFGF_NONE),
					   CFG_STR("from", "idmgr", CFGF_NONE), CFG_END() };
	static cfg_opt_t service_opts[] = { CFG_STR("socket", "/run/idmgrd/idmgrd.sock", CFGF_NONE),
					    CFG_STR("bind_dn", "", CFGF_NONE),
					    CFG_STR("bind_password_file",
						    "/etc/idmgr/idmgrd.secret", CFGF_NONE),
					    CFG_INT("threads", 16, CFGF_NONE),
					    CFG_INT("max_refusals", 10, CFGF_NONE),
					    CFG_INT("refusal_window", 60, CFGF_NONE),
					    CFG_INT("cached_auth_timeout", 60, CFGF_NONE),
					    CFG_STR("accesslog_dn", "cn=accesslog", CFGF_NONE),
					    CFG_INT("tls_port", 0, CFGF_NONE),
					    CFG_STR("tls_address", "0.0.0.0", CFGF_NONE),
					    CFG_STR("tls_cert", "", CFGF_NONE),
					    CFG_STR("tls_key", "", CFGF_NONE),
					    CFG_STR("url", "", CFGF_NONE),
					    CFG_STR("ca_file", "", CFGF_NONE),
					    CFG_STR("audit_container_uuid", "", CFGF_NONE),
					    CFG_STR("writer_uri", "", CFGF_NONE),
					    CFG_INT("writer_lease", 30, CFGF_NONE),
					    CFG_STR("failover", "", CFGF_NONE),
					    CFG_END() };
	static cfg_opt_t opts[] = {
		CFG_SEC("ldap", ldap_opts, CFGF_NONE),
		CFG_SEC("argon2", argon2_opts, CFGF_NONE),
		CFG_SEC("policy", policy_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
		CFG_SEC("roles", roles_opts, CFGF_NONE),
		CFG_SEC("registration", registration_opts, CFGF_NONE),
		CFG_SEC("unit", unit_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
		CFG_STR_LIST("regular_staff_groups", "{internet,mail}", CFGF_NONE),
		CFG_SEC("sweep", sweep_opts, CFGF_NONE),
		CFG_SEC("login", login_opts, CFGF_NONE),
		CFG_SEC("ppolicy", ppolicy_opts, CFGF_NONE),
		CFG_SEC("service", service_opts, CFGF_NONE),
		CFG_SEC("notify", notify_opts, CFGF_NONE),
		CFG_END()
	};
	static const char *const dn_keys[] = {
		"ldap|base_dn",         "ldap|people_dn",     "ldap|groups_dn",
		"ldap|idmgr_dn",        "ldap|bind_dn",       "roles|ciso",
		"roles|security_chief", "roles|system_admin", "roles|security_manager",
		"roles|contractor",
	};
	char path[64];
	cfg_t *cfg = cfg_init(opts, CFGF_NONE);

	if (!cfg)
		return NULL;
	cfg_set_error_function(cfg, errfunc);
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		snprintf(path, sizeof(path), "%s|%s", ranges[i].section, ranges[i].key);
		cfg_set_validate_func(cfg, path, validate_range);
	}
	for (size_t i = 0; i < sizeof(dn_keys) / sizeof(dn_keys[0]); i++)
		cfg_set_validate_func(cfg, dn_keys[i], validate_dn);
	cfg_set_validate_func(cfg, "ldap|uri", validate_uri);
	cfg_set_validate_func(cfg, "ldap|bind_password_file", validate_secret_path);
	cfg_set_validate_func(cfg, "ldap|ca_file", validate_abs_path);
	cfg_set_validate_func(cfg, "service|socket", validate_socket_path);
	cfg_set_validate_func(cfg, "service|bind_dn", validate_optional_dn);
	cfg_set_validate_func(cfg, "service|accesslog_dn", validate_dn);
	cfg_set_validate_func(cfg, "service|tls_cert", validate_abs_path);
	cfg_set_validate_func(cfg, "service|tls_key", validate_abs_path);
	cfg_set_validate_func(cfg, "service|ca_file", validate_abs_path);
	cfg_set_validate_func(cfg, "service|url", validate_service_url);
	cfg_set_validate_func(cfg, "service|tls_address", validate_ip);
	cfg_set_validate_func(cfg, "service|audit_container_uuid", validate_uuid);
	cfg_set_validate_func(cfg, "service|bind_password_file", validate_secret_path);
	cfg_set_validate_func(cfg, "service|writer_uri", validate_writer_uri);
	cfg_set_validate_func(cfg, "service|failover", validate_failover);
	cfg_set_validate_func(cfg, "policy|blocklist_file", validate_abs_path);
	cfg_set_validate_func(cfg, "ppolicy|check_module", validate_server_path);
	cfg_set_validate_func(cfg, "ppolicy|check_config", validate_server_path);
	cfg_set_validate_func(cfg, "policy", validate_policy);
	cfg_set_validate_func(cfg, "argon2", validate_argon2);
	cfg_set_validate_func(cfg, "unit", validate_unit);
	cfg_set_validate_func(cfg, "unit|groups", validate_names);
	cfg_set_validate_func(cfg, "regular_staff_groups", validate_names);
	cfg_set_validate_func(cfg, "registration|reserved_names", validate_names);
	cfg_set_validate_func(cfg, "registration|primary_group", validate_names);
	cfg_set_validate_func(cfg, "registration|uid_pattern", validate_regex);
	cfg_set_validate_func(cfg, "notify|command", validate_command);
	cfg_set_validate_func(cfg, "notify|from", validate_mail_from);
	return cfg;
}
