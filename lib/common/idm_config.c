#include "config.h"

#include <arpa/inet.h>
#include <confuse.h>
#include <ctype.h>
#include <errno.h>
#include <ldap.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_blocklist.h"
#include "idm_config.h"
#include "idm_error.h"
#include "idm_secret.h"

#define CONFIG_MAX (1024 * 1024)

/* libconfuse's error callback has no user pointer: the logger and the error
 * count of the load in progress live here, for this thread, during the load. */
static _Thread_local const struct idm_log *load_log;
static _Thread_local int load_errors;
static _Thread_local const char *load_path;
static _Thread_local int load_secret_line; /* line of ldap.bind_password_file */
static _Thread_local int load_service_secret_line; /* line of service.bind_password_file */

static void config_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	load_errors++;
	if (cfg && cfg->line > 0)
		idm_logf(load_log, LOG_ERR, "%s:%d: %s", load_path, cfg->line, msg);
	else
		idm_logf(load_log, LOG_ERR, "%s: %s", load_path, msg);
}

/* ------------------------------------------------------------ validation */

struct range {
	const char *section, *key;
	long min, max;
	const char *unit;
};

static const struct range ranges[] = {
	{ "ldap", "timeout", 1, 300, "seconds" },
	{ "argon2", "memory_kib", 8, 1048576, "KiB" },
	{ "argon2", "iterations", 1, 100, "" },
	{ "argon2", "parallelism", 1, 16, "" },
	{ "policy", "min_length", 1, 4096, "characters" },
	{ "policy", "max_length", 1, 4096, "characters" },
	{ "policy", "min_classes", 0, 4, "" },
	{ "policy", "history", 0, 400, "passwords" },
	{ "policy", "min_age_days", 0, 3650, "days" },
	{ "policy", "max_age_days", 0, 36500, "days" },
	{ "policy", "warn_days", 0, 3650, "days" },
	{ "policy", "max_logins", 0, 1000000, "logins" },
	{ "policy", "lockout_threshold", 1, 100, "failures" },
	{ "policy", "lockout_window", 1, 31536000, "seconds" },
	{ "policy", "lockout_duration", 0, 31536000, "seconds" },
	{ "registration", "temp_password_length", 12, 128, "characters" },
	{ "registration", "uid_number_min", 1000, 2000000000, "" },
	{ "registration", "gid_number_min", 1000, 2000000000, "" },
	{ "sweep", "inactive_days", 1, 3650, "days" },
	{ "sweep", "never_used_days", 1, 3650, "days" },
	{ "service", "threads", 1, 256, "connections" },
	{ "service", "max_refusals", 1, 10000, "refusals" },
	{ "service", "refusal_window", 1, 86400, "seconds" },
	{ "service", "tls_port", 0, 65535, "" },
	{ "login", "idle_timeout", 0, 86400, "seconds" },
};

static int validate_range(cfg_t *cfg, cfg_opt_t *opt)
{
	long v = cfg_opt_getnint(opt, cfg_opt_size(opt) - 1);

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		const struct range *r = &ranges[i];
		if (strcmp(r->section, cfg->name) != 0 || strcmp(r->key, opt->name) != 0)
			continue;
		if (v < r->min || v > r->max) {
			cfg_error(cfg, "%s: %ld is out of range: must be %ld to %ld%s%s", opt->name, v,
				  r->min, r->max, *r->unit ? " " : "", r->unit);
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
		load_service_secret_line = cfg->line;
	else
		load_secret_line = cfg->line;
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

	if (v && *v && (strncmp(v, "https://", 8) != 0 || strlen(v) < 9 || strlen(v) > 512 ||
			strpbrk(v, " \t\"'<>\\"))) {
		cfg_error(cfg, "%s: \"%s\" is not an https:// URL", opt->name, v);
		return -1;
	}
	return 0;
}

/* An entryUUID as slapd prints it (RFC 4122: 8-4-4-4-12 hex digits), or empty. */
static int validate_uuid(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
	size_t n = v ? strlen(v) : 0;
	bool ok = n == 0 || n == 36;

	for (size_t i = 0; ok && i < n; i++)
		ok = (i == 8 || i == 13 || i == 18 || i == 23) ? v[i] == '-' : isxdigit((unsigned char)v[i]);
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
		cfg_error(cfg, "%s: \"%s\" is not a valid name (letters, digits, '.', '_', '-'; 1 to 64)",
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
		cfg_error(a, "argon2: memory_kib (%ld) must be at least 8 x parallelism (%ld)", m, 8 * p);
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
			cfg_error(cfg, "%s: the character %c is not allowed: the command runs without a "
				       "shell, its words are split on blanks and passed as they are",
				  opt->name, *p);
			return -1;
		}
		if (*p != ' ' && *p != '\t' && (p == v || p[-1] == ' ' || p[-1] == '\t'))
			words++;
	}
	v += strspn(v, " \t");
	if (*v != '/') {
		cfg_error(cfg, "%s: \"%s\" must start with the program's absolute path", opt->name, v);
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
		cfg_error(cfg, "%s: \"%s\" is not a mail address (local part, or local@domain, "
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

	if (n == 0 || n > 254 || (!at && !local_ok) || (at && (at == s || !at[1] || strchr(at + 1, '@'))))
		return false;
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f || strchr("\"(),:;<>[\\]", *s))
			return false;
	return true;
}

/* ---------------------------------------------------------------- schema */

#define POLICY_OPTS(minlen, classes, maxage, threshold, duration)                    \
	{ CFG_INT("min_length", minlen, CFGF_NONE), CFG_INT("max_length", 128, CFGF_NONE), \
	  CFG_INT("min_classes", classes, CFGF_NONE), CFG_INT("history", 24, CFGF_NONE), \
	  CFG_INT("min_age_days", 1, CFGF_NONE),                                       \
	  CFG_INT("max_age_days", maxage, CFGF_NONE),                                  \
	  CFG_INT("warn_days", 14, CFGF_NONE), CFG_INT("max_logins", 0, CFGF_NONE),    \
	  CFG_INT("lockout_threshold", threshold, CFGF_NONE),                          \
	  CFG_INT("lockout_window", 900, CFGF_NONE),                                   \
	  CFG_INT("lockout_duration", duration, CFGF_NONE),                            \
	  CFG_STR("blocklist_file", "", CFGF_NONE),                                    \
	  CFG_BOOL("reject_user_name", cfg_true, CFGF_NONE), CFG_END() }

static cfg_t *config_init(void)
{
	static cfg_opt_t ldap_opts[] = {
		CFG_STR("uri", NULL, CFGF_NODEFAULT),
		CFG_STR("base_dn", NULL, CFGF_NODEFAULT),
		CFG_STR("people_dn", NULL, CFGF_NODEFAULT),
		CFG_STR("groups_dn", NULL, CFGF_NODEFAULT),
		CFG_STR("idmgr_dn", NULL, CFGF_NODEFAULT),
		CFG_STR("bind_dn", NULL, CFGF_NODEFAULT),
		CFG_STR("bind_password_file", NULL, CFGF_NODEFAULT),
		CFG_BOOL("starttls", cfg_false, CFGF_NONE),
		CFG_STR("ca_file", "", CFGF_NONE),
		CFG_INT("timeout", 5, CFGF_NONE),
		CFG_END()
	};
	static cfg_opt_t argon2_opts[] = {
		CFG_INT("memory_kib", 19456, CFGF_NONE),
		CFG_INT("iterations", 2, CFGF_NONE),
		CFG_INT("parallelism", 1, CFGF_NONE),
		CFG_END()
	};
	static cfg_opt_t policy_opts[] = POLICY_OPTS(12, 3, 180, 5, 900);
	static cfg_opt_t roles_opts[] = {
		CFG_STR("ciso", NULL, CFGF_NODEFAULT),
		CFG_STR("security_chief", NULL, CFGF_NODEFAULT),
		CFG_STR("system_admin", NULL, CFGF_NODEFAULT),
		CFG_STR("security_manager", NULL, CFGF_NODEFAULT),
		CFG_STR("contractor", NULL, CFGF_NODEFAULT),
		CFG_BOOL("same_person_both_approvals", cfg_false, CFGF_NONE),
		CFG_END()
	};
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
	static cfg_opt_t unit_opts[] = {
		CFG_STR_LIST("groups", "{}", CFGF_NONE),
		CFG_END()
	};
	static cfg_opt_t sweep_opts[] = {
		CFG_INT("inactive_days", 90, CFGF_NONE),
		CFG_INT("never_used_days", 30, CFGF_NONE),
		CFG_END()
	};
	static cfg_opt_t ppolicy_opts[] = {
		CFG_STR("check_module", IDM_SLAPD_MODULEDIR "/idmgr_pwcheck.so", CFGF_NONE),
		CFG_STR("check_config", "", CFGF_NONE),
		CFG_END()
	};
	static cfg_opt_t login_opts[] = {
		CFG_STR("banner", "", CFGF_NONE),
		CFG_BOOL("show_last_login", cfg_true, CFGF_NONE),
		CFG_INT("idle_timeout", 600, CFGF_NONE),
		CFG_END()
	};
	static cfg_opt_t notify_opts[] = {
		CFG_STR("command", "", CFGF_NONE),
		CFG_STR("from", "idmgr", CFGF_NONE),
		CFG_END()
	};
	static cfg_opt_t service_opts[] = {
		CFG_STR("socket", "/run/idmgrd/idmgrd.sock", CFGF_NONE),
		CFG_STR("bind_dn", "", CFGF_NONE),
		CFG_STR("bind_password_file", "/etc/idmgr/idmgrd.secret", CFGF_NONE),
		CFG_INT("threads", 16, CFGF_NONE),
		CFG_INT("max_refusals", 10, CFGF_NONE),
		CFG_INT("refusal_window", 60, CFGF_NONE),
		CFG_STR("accesslog_dn", "cn=accesslog", CFGF_NONE),
		CFG_INT("tls_port", 0, CFGF_NONE),
		CFG_STR("tls_address", "0.0.0.0", CFGF_NONE),
		CFG_STR("tls_cert", "", CFGF_NONE),
		CFG_STR("tls_key", "", CFGF_NONE),
		CFG_STR("url", "", CFGF_NONE),
		CFG_STR("ca_file", "", CFGF_NONE),
		CFG_STR("audit_container_uuid", "", CFGF_NONE),
		CFG_END()
	};
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
		"ldap|base_dn", "ldap|people_dn", "ldap|groups_dn", "ldap|idmgr_dn", "ldap|bind_dn",
		"roles|ciso", "roles|security_chief", "roles|system_admin",
		"roles|security_manager", "roles|contractor",
	};
	char path[64];
	cfg_t *cfg = cfg_init(opts, CFGF_NONE);

	if (!cfg)
		return NULL;
	cfg_set_error_function(cfg, config_errfunc);
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

/* ------------------------------------------------------------ conversion */

static int dup_str(const char *s, char **out)
{
	*out = strdup(s ? s : "");
	return *out ? IDM_OK : IDM_ENOMEM;
}

static int dup_list(cfg_t *sec, const char *key, char ***out, size_t *n)
{
	unsigned size = cfg_size(sec, key);

	*n = 0;
	*out = calloc(size + 1, sizeof(char *));
	if (!*out)
		return IDM_ENOMEM;
	for (unsigned i = 0; i < size; i++) {
		if (dup_str(cfg_getnstr(sec, key, i), &(*out)[i]) < 0)
			return IDM_ENOMEM;
		(*n)++;
	}
	return IDM_OK;
}

static void free_list(char **list, size_t n)
{
	if (!list)
		return;
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static int required(cfg_t *sec, const char *section, const char *key)
{
	if (cfg_size(sec, key) == 0 || !cfg_getstr(sec, key)) {
		if (sec->line > 0) /* the line that closes the section */
			idm_logf(load_log, LOG_ERR, "%s:%d: %s: required key %s is missing", load_path,
				 sec->line, section, key);
		else /* the whole section is missing */
			idm_logf(load_log, LOG_ERR, "%s: %s: required key %s is missing", load_path,
				 section, key);
		load_errors++;
		return -1;
	}
	return 0;
}

static int convert(cfg_t *cfg, struct idm_config *c)
{
	cfg_t *ldap = cfg_getsec(cfg, "ldap"), *argon2 = cfg_getsec(cfg, "argon2");
	cfg_t *roles = cfg_getsec(cfg, "roles"), *reg = cfg_getsec(cfg, "registration");
	static const char *const ldap_required[] = {
		"uri", "base_dn", "people_dn", "groups_dn", "idmgr_dn", "bind_dn", "bind_password_file",
	};
	char *uris = NULL, *tok, *save = NULL;
	int r = IDM_OK;

	for (size_t i = 0; i < sizeof(ldap_required) / sizeof(ldap_required[0]); i++)
		required(ldap, "ldap", ldap_required[i]);
	for (int i = 0; i < IDM_ROLE_COUNT; i++)
		required(roles, "roles", idm_role_name(i));
	if (!cfg_gettsec(cfg, "policy", "standard")) {
		idm_logf(load_log, LOG_ERR, "%s: policy standard: required section is missing", load_path);
		load_errors++;
	}
	if (!cfg_gettsec(cfg, "policy", "privileged")) {
		idm_logf(load_log, LOG_ERR, "%s: policy privileged: required section is missing",
			 load_path);
		load_errors++;
	}
	if (load_errors)
		return IDM_ECONFIG;

	/* ldap */
	if (dup_str(cfg_getstr(ldap, "uri"), &uris) < 0)
		return IDM_ENOMEM;
	c->ldap.uris = calloc(strlen(uris) / 2 + 2, sizeof(char *));
	if (!c->ldap.uris) {
		free(uris);
		return IDM_ENOMEM;
	}
	for (tok = strtok_r(uris, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save))
		if (dup_str(tok, &c->ldap.uris[c->ldap.n_uris++]) < 0)
			r = IDM_ENOMEM;
	free(uris);
	if (r < 0 || dup_str(cfg_getstr(ldap, "base_dn"), &c->ldap.base_dn) < 0 ||
	    dup_str(cfg_getstr(ldap, "people_dn"), &c->ldap.people_dn) < 0 ||
	    dup_str(cfg_getstr(ldap, "groups_dn"), &c->ldap.groups_dn) < 0 ||
	    dup_str(cfg_getstr(ldap, "idmgr_dn"), &c->ldap.idmgr_dn) < 0 ||
	    dup_str(cfg_getstr(ldap, "bind_dn"), &c->ldap.bind_dn) < 0 ||
	    dup_str(cfg_getstr(ldap, "bind_password_file"), &c->ldap.bind_password_file) < 0 ||
	    dup_str(cfg_getstr(ldap, "ca_file"), &c->ldap.ca_file) < 0)
		return IDM_ENOMEM;
	c->ldap.bind_password_file_line = load_secret_line;
	c->ldap.starttls = cfg_getbool(ldap, "starttls");
	c->ldap.timeout = cfg_getint(ldap, "timeout");

	/* argon2 */
	c->argon2.memory_kib = (uint32_t)cfg_getint(argon2, "memory_kib");
	c->argon2.iterations = (uint32_t)cfg_getint(argon2, "iterations");
	c->argon2.parallelism = (uint32_t)cfg_getint(argon2, "parallelism");

	/* policies */
	c->n_policies = cfg_size(cfg, "policy");
	c->policies = calloc(c->n_policies, sizeof(*c->policies));
	if (!c->policies)
		return IDM_ENOMEM;
	for (size_t i = 0; i < c->n_policies; i++) {
		cfg_t *p = cfg_getnsec(cfg, "policy", (unsigned)i);
		struct idm_policy *d = &c->policies[i];
		if (dup_str(cfg_title(p), &d->name) < 0 ||
		    dup_str(cfg_getstr(p, "blocklist_file"), &d->blocklist_file) < 0)
			return IDM_ENOMEM;
		d->min_length = cfg_getint(p, "min_length");
		d->max_length = cfg_getint(p, "max_length");
		d->min_classes = cfg_getint(p, "min_classes");
		d->history = cfg_getint(p, "history");
		d->min_age_days = cfg_getint(p, "min_age_days");
		d->max_age_days = cfg_getint(p, "max_age_days");
		d->warn_days = cfg_getint(p, "warn_days");
		d->max_logins = cfg_getint(p, "max_logins");
		d->lockout_threshold = cfg_getint(p, "lockout_threshold");
		d->lockout_window = cfg_getint(p, "lockout_window");
		d->lockout_duration = cfg_getint(p, "lockout_duration");
		d->reject_user_name = cfg_getbool(p, "reject_user_name");
	}

	/* roles */
	for (int i = 0; i < IDM_ROLE_COUNT; i++)
		if (dup_str(cfg_getstr(roles, idm_role_name(i)), &c->roles.dn[i]) < 0)
			return IDM_ENOMEM;
	c->roles.same_person_both_approvals = cfg_getbool(roles, "same_person_both_approvals");

	/* registration */
	if (dup_str(cfg_getstr(reg, "uid_pattern"), &c->registration.uid_pattern) < 0 ||
	    dup_str(cfg_getstr(reg, "primary_group"), &c->registration.primary_group) < 0 ||
	    dup_list(reg, "reserved_names", &c->registration.reserved_names,
		     &c->registration.n_reserved_names) < 0)
		return IDM_ENOMEM;
	if (regcomp(&c->registration.uid_re, c->registration.uid_pattern, REG_EXTENDED | REG_NOSUB))
		return IDM_ECONFIG; /* validated already */
	c->registration.uid_re_ok = true;
	c->registration.temp_password_length = cfg_getint(reg, "temp_password_length");
	c->registration.uid_number_min = cfg_getint(reg, "uid_number_min");
	c->registration.gid_number_min = cfg_getint(reg, "gid_number_min");

	/* units */
	c->n_units = cfg_size(cfg, "unit");
	c->units = calloc(c->n_units + 1, sizeof(*c->units));
	if (!c->units)
		return IDM_ENOMEM;
	for (size_t i = 0; i < c->n_units; i++) {
		cfg_t *u = cfg_getnsec(cfg, "unit", (unsigned)i);
		if (dup_str(cfg_title(u), &c->units[i].name) < 0 ||
		    dup_list(u, "groups", &c->units[i].groups, &c->units[i].n_groups) < 0)
			return IDM_ENOMEM;
	}
	if (dup_list(cfg, "regular_staff_groups", &c->regular_staff_groups,
		     &c->n_regular_staff_groups) < 0)
		return IDM_ENOMEM;

	c->sweep.inactive_days = cfg_getint(cfg_getsec(cfg, "sweep"), "inactive_days");
	c->sweep.never_used_days = cfg_getint(cfg_getsec(cfg, "sweep"), "never_used_days");
	if (dup_str(cfg_getstr(cfg_getsec(cfg, "login"), "banner"), &c->login.banner) < 0)
		return IDM_ENOMEM;
	c->login.show_last_login = cfg_getbool(cfg_getsec(cfg, "login"), "show_last_login");
	c->login.idle_timeout = cfg_getint(cfg_getsec(cfg, "login"), "idle_timeout");
	if (dup_str(cfg_getstr(cfg_getsec(cfg, "notify"), "command"), &c->notify.command) < 0 ||
	    dup_str(cfg_getstr(cfg_getsec(cfg, "notify"), "from"), &c->notify.from) < 0)
		return IDM_ENOMEM;
	{
		cfg_t *pp = cfg_getsec(cfg, "ppolicy");
		const char *cc = cfg_getstr(pp, "check_config");

		char *abs = NULL;

		if (!(cc && *cc) && c->path[0] != '/')
			abs = realpath(c->path, NULL);
		if (dup_str(cfg_getstr(pp, "check_module"), &c->ppolicy.check_module) < 0 ||
		    dup_str(cc && *cc ? cc : abs ? abs : c->path, &c->ppolicy.check_config) < 0) {
			free(abs);
			return IDM_ENOMEM;
		}
		free(abs);
	}

	/* service (idmgrd) */
	{
		cfg_t *svc = cfg_getsec(cfg, "service");
		if (dup_str(cfg_getstr(svc, "socket"), &c->service.socket) < 0 ||
		    dup_str(cfg_getstr(svc, "bind_dn"), &c->service.bind_dn) < 0 ||
		    dup_str(cfg_getstr(svc, "bind_password_file"), &c->service.bind_password_file) < 0 ||
		    dup_str(cfg_getstr(svc, "accesslog_dn"), &c->service.accesslog_dn) < 0)
			return IDM_ENOMEM;
		c->service.bind_password_file_line = load_service_secret_line;
		c->service.threads = cfg_getint(svc, "threads");
		c->service.max_refusals = cfg_getint(svc, "max_refusals");
		c->service.refusal_window = cfg_getint(svc, "refusal_window");
		c->service.tls_port = cfg_getint(svc, "tls_port");
		if (dup_str(cfg_getstr(svc, "tls_address"), &c->service.tls_address) < 0 ||
		    dup_str(cfg_getstr(svc, "tls_cert"), &c->service.tls_cert) < 0 ||
		    dup_str(cfg_getstr(svc, "tls_key"), &c->service.tls_key) < 0 ||
		    dup_str(cfg_getstr(svc, "url"), &c->service.url) < 0 ||
		    dup_str(cfg_getstr(svc, "ca_file"), &c->service.ca_file) < 0 ||
		    dup_str(cfg_getstr(svc, "audit_container_uuid"),
			    &c->service.audit_container_uuid) < 0)
			return IDM_ENOMEM;
		if (c->service.tls_port && (!*c->service.tls_cert || !*c->service.tls_key)) {
			idm_logf(load_log, LOG_ERR,
				 "%s: service: tls_port needs tls_cert and tls_key", load_path);
			return IDM_ECONFIG;
		}
	}
	return IDM_OK;
}

/* Characters that end an unquoted string in libconfuse's lexer. */
#define UNQUOTED_STOP " #\"'\t\n\r={}()+,*"

/* Prepares the text for libconfuse, in place:
 * - refuses ${VAR} where libconfuse would expand it from the environment
 *   (unquoted and double-quoted values; inside su or passwd that is the
 *   caller's environment); comments and single-quoted strings may hold it;
 * - blanks comments (newlines kept), because libconfuse 3.3 counts two
 *   extra lines for each comment and its messages would cite wrong lines.
 * - when closed (idmgr.conf), refuses a quote, a comment or a section that
 *   is never closed: there libconfuse 3.3 stops reading and reports
 *   success, so the rest of the file would be dropped unseen (a privileged
 *   policy below a stray '"' would vanish).  The message names the line
 *   where it opens.
 * The scan follows libconfuse's lexer, which takes the longest token: "//"
 * starts a comment only where no longer unquoted string starts (so
 * "ldap://h/" is a value), and in single quotes both \' and \\ are escapes. */
static int prepare_text(char *text, const char *name, const struct idm_log *log, bool closed)
{
	enum { PLAIN, DQUOTE, SQUOTE, LINE_COMMENT, BLOCK_COMMENT } state = PLAIN;
	int line = 1, refs = 0, opened = 0; /* opened: line of the open quote or comment */
	int depth = 0, section_lines[16] = { 0 }; /* where each open '{' is */

	for (char *p = text; *p; p++) {
		bool ref = false;

		if (*p == '\n') {
			line++;
			if (state == LINE_COMMENT)
				state = PLAIN;
			continue;
		}
		switch (state) {
		case PLAIN: {
			size_t word = strcspn(p, UNQUOTED_STOP), slashes = strspn(p, "/");

			if (p[0] == '$' && p[1] == '{') {
				ref = true;
			} else if (*p == '#' || (slashes >= 2 && slashes >= word)) {
				state = LINE_COMMENT;
				*p = ' ';
			} else if (p[0] == '/' && p[1] == '*') {
				state = BLOCK_COMMENT;
				opened = line;
				*p++ = ' ';
				*p = ' ';
			} else if (*p == '"') {
				state = DQUOTE;
				opened = line;
			} else if (*p == '\'') {
				state = SQUOTE;
				opened = line;
			} else if (*p == '{') {
				if (depth < (int)(sizeof(section_lines) / sizeof(section_lines[0])))
					section_lines[depth] = line;
				depth++;
			} else if (*p == '}') {
				/* one too many is libconfuse's own error */
				depth -= depth > 0;
			} else if (word > 0) {
				/* an unquoted string: no comment or quote inside */
				ref = p[word - 1] == '$' && p[word] == '{';
				p += word - 1;
			}
			break;
		}
		case DQUOTE:
			if (*p == '\\' && p[1] && p[1] != '\n')
				p++;
			else if (*p == '"')
				state = PLAIN;
			else
				ref = p[0] == '$' && p[1] == '{';
			break;
		case SQUOTE:
			if (*p == '\\' && (p[1] == '\'' || p[1] == '\\'))
				p++;
			else if (*p == '\'')
				state = PLAIN;
			break;
		case BLOCK_COMMENT:
			if (p[0] == '*' && p[1] == '/') {
				state = PLAIN;
				*p++ = ' ';
			}
			*p = ' ';
			break;
		case LINE_COMMENT:
			*p = ' ';
			break;
		}
		if (ref) {
			idm_logf(log, LOG_ERR,
				 "%s:%d: \"${\" is not allowed: environment references are not "
				 "expanded (write the value itself, or single-quote it)",
				 name, line);
			refs++;
		}
	}
	if (!closed) {
		/* the caller's own lexer reports these */
	} else if (state == DQUOTE || state == SQUOTE || state == BLOCK_COMMENT) {
		idm_logf(log, LOG_ERR,
			 "%s:%d: this %s is never closed: the rest of the file would be ignored",
			 name, opened, state == BLOCK_COMMENT ? "comment" : "quoted string");
		refs++;
	} else if (depth > 0) {
		int n = (int)(sizeof(section_lines) / sizeof(section_lines[0]));
		idm_logf(log, LOG_ERR,
			 "%s:%d: this section is never closed (a '}' is missing): the rest of the "
			 "file would be ignored",
			 name, section_lines[depth <= n ? depth - 1 : n - 1]);
		refs++;
	}
	return refs;
}

/* libconfuse 3.3's scanner (flex, not reentrant) keeps its buffer and
 * token in process globals: two parses at once in one process corrupt each
 * other (a threaded PAM application crashed with "fatal flex scanner
 * internal error"); cfg_free() of a top-level section frees the scanner's
 * buffers.  The module starts no thread; it only makes its own uses of the
 * scanner take turns. */
static pthread_mutex_t confuse_lock = PTHREAD_MUTEX_INITIALIZER;

void idm_confuse_lock(void)
{
	pthread_mutex_lock(&confuse_lock);
}

void idm_confuse_unlock(void)
{
	pthread_mutex_unlock(&confuse_lock);
}

void idm_confuse_free(struct cfg_t *cfg)
{
	if (!cfg)
		return;
	idm_confuse_lock();
	cfg_free(cfg); /* frees the scanner's buffers too */
	idm_confuse_unlock();
}

int idm_config_prepare_text(char *text, const char *name, const struct idm_log *log)
{
	return prepare_text(text, name, log, false);
}

int idm_config_load(const char *path, const struct idm_log *log, struct idm_config **out)
{
	struct idm_config *c = NULL;
	char *text = NULL;
	size_t len;
	cfg_t *cfg = NULL;
	int r;

	*out = NULL;
	load_log = log;
	load_errors = 0;
	load_path = path;
	load_secret_line = 0;
	load_service_secret_line = 0;

	r = idm_file_read(path, CONFIG_MAX, 1, log, &text, &len);
	if (r < 0) {
		r = IDM_ECONFIG;
		goto out;
	}
	load_errors += prepare_text(text, path, log, true);
	if (load_errors) {
		r = IDM_ECONFIG;
		goto out;
	}
	idm_confuse_lock();
	cfg = config_init();
	idm_confuse_unlock();
	c = calloc(1, sizeof(*c));
	if (!cfg || !c || !(c->path = strdup(path))) {
		r = IDM_ENOMEM;
		goto out;
	}
	cfg->line = 1;
	idm_confuse_lock();
	r = cfg_parse_buf(cfg, text);
	idm_confuse_unlock();
	if (r != CFG_SUCCESS || load_errors) {
		r = IDM_ECONFIG;
		goto out;
	}
	r = convert(cfg, c);
	if (r < 0)
		goto out;
	c->cfg = cfg;
	cfg = NULL;
	*out = c;
	c = NULL;
out:
	if (r < 0 && r != IDM_ENOMEM && load_errors == 0)
		idm_logf(log, LOG_ERR, "%s: %s", path, idm_strerror(r));
	if (cfg)
		idm_confuse_free(cfg);
	idm_config_free(c);
	free(text);
	load_log = NULL;
	load_path = NULL;
	return r;
}

void idm_config_free(struct idm_config *c)
{
	if (!c)
		return;
	free(c->path);
	free_list(c->ldap.uris, c->ldap.n_uris);
	free(c->ldap.base_dn);
	free(c->ldap.people_dn);
	free(c->ldap.groups_dn);
	free(c->ldap.idmgr_dn);
	free(c->ldap.bind_dn);
	free(c->ldap.bind_password_file);
	free(c->ldap.ca_file);
	for (size_t i = 0; c->policies && i < c->n_policies; i++) {
		free(c->policies[i].name);
		free(c->policies[i].blocklist_file);
	}
	free(c->policies);
	for (int i = 0; i < IDM_ROLE_COUNT; i++)
		free(c->roles.dn[i]);
	free(c->registration.uid_pattern);
	if (c->registration.uid_re_ok)
		regfree(&c->registration.uid_re);
	free_list(c->registration.reserved_names, c->registration.n_reserved_names);
	free(c->registration.primary_group);
	for (size_t i = 0; c->units && i < c->n_units; i++) {
		free(c->units[i].name);
		free_list(c->units[i].groups, c->units[i].n_groups);
	}
	free(c->units);
	free_list(c->regular_staff_groups, c->n_regular_staff_groups);
	free(c->login.banner);
	free(c->notify.command);
	free(c->notify.from);
	free(c->ppolicy.check_module);
	free(c->ppolicy.check_config);
	free(c->service.socket);
	free(c->service.bind_dn);
	free(c->service.bind_password_file);
	free(c->service.accesslog_dn);
	free(c->service.tls_address);
	free(c->service.tls_cert);
	free(c->service.tls_key);
	free(c->service.url);
	free(c->service.ca_file);
	free(c->service.audit_container_uuid);
	if (c->cfg)
		idm_confuse_free(c->cfg);
	free(c);
}

int idm_config_check_files(const struct idm_config *c, const struct idm_log *log)
{
	int r = IDM_OK;

	if (idm_secret_check(c->ldap.bind_password_file, log) < 0) {
		idm_logf(log, LOG_ERR, "%s:%d: bind_password_file: \"%s\" cannot be used (see above)",
			 c->path, c->ldap.bind_password_file_line, c->ldap.bind_password_file);
		r = IDM_ECONFIG;
	}
	for (size_t i = 0; i < c->n_policies; i++) {
		const char *f = c->policies[i].blocklist_file;
		if (*f && idm_blocklist_check(f, log) < 0) {
			idm_logf(log, LOG_ERR, "%s: policy %s: blocklist_file: \"%s\" cannot be used",
				 c->path, c->policies[i].name, f);
			r = IDM_ECONFIG;
		}
	}
	return r;
}

int idm_config_check_service_files(const struct idm_config *c, const struct idm_log *log)
{
	if (!*c->service.bind_dn) {
		idm_logf(log, LOG_ERR, "%s: service: bind_dn is not set: idmgrd has no identity",
			 c->path);
		return IDM_ECONFIG;
	}
	if (idm_secret_check(c->service.bind_password_file, log) < 0) {
		idm_logf(log, LOG_ERR,
			 "%s:%d: service: bind_password_file: \"%s\" cannot be used (see above)",
			 c->path, c->service.bind_password_file_line, c->service.bind_password_file);
		return IDM_ECONFIG;
	}
	if (c->service.tls_port && idm_secret_check(c->service.tls_key, log) < 0) {
		idm_logf(log, LOG_ERR, "%s: service: tls_key: \"%s\" cannot be used (see above)",
			 c->path, c->service.tls_key);
		return IDM_ECONFIG;
	}
	return IDM_OK;
}

void idm_config_print(const struct idm_config *c, FILE *fp)
{
	cfg_print(c->cfg, fp);
}

const struct idm_policy *idm_config_policy(const struct idm_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_policies; i++)
		if (strcasecmp(c->policies[i].name, name) == 0) /* idmPolicy ignores case */
			return &c->policies[i];
	return NULL;
}

const struct idm_unit *idm_config_unit(const struct idm_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_units; i++)
		if (strcmp(c->units[i].name, name) == 0)
			return &c->units[i];
	return NULL;
}
