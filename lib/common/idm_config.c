#include "config.h"

#include <confuse.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "idm_blocklist.h"
#include "idm_config.h"
#include "idm_config_schema.h"
#include "idm_confuse_text.h"
#include "idm_error.h"
#include "idm_secret.h"
#include "idm_text.h"
#include "idm_i18n.h"

#define CONFIG_MAX (1024 * 1024)

/* libconfuse's error callback has no user pointer: the logger and the error
 * count of the load in progress live here, during the load, which holds
 * load_lock from start to end (one load at a time per process; a threaded
 * PAM application's logins take turns for a few milliseconds).  Plain
 * statics rather than thread-local ones: the module then has no dynamic
 * TLS block, which LeakSanitizer misreads once libpam has unloaded it. */
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct idm_log *load_log;
static int load_errors;
static const char *load_path;

/* "PATH:LINE: MESSAGE", the place kept apart for the display sink: fmt
 * is a validator's msgid (cfg_error, idm_config_schema.c) or one of
 * libconfuse's own sentences (idm_confuse_text.c lists them). */
static void config_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	struct idm_log_kept k;
	char where[1024];

	load_errors++;
	if (cfg && cfg->line > 0)
		snprintf(where, sizeof(where), "%s:%d", load_path, cfg->line);
	else
		snprintf(where, sizeof(where), "%s", load_path);
	if (idm_log_keep(&k, fmt, ap) < 0) {
		idm_logf(load_log, LOG_ERR, "%s: %s", where, idm_strerror(IDM_ENOMEM));
		return;
	}
	idm_log_kept(load_log, LOG_ERR, where, &k);
	idm_log_kept_clear(&k);
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

static int required(cfg_t *sec, const char *section, const char *key)
{
	if (cfg_size(sec, key) == 0 || !cfg_getstr(sec, key)) {
		if (sec->line > 0) /* the line that closes the section */
			idm_logf(load_log, LOG_ERR, N_("%s:%d: %s: required key %s is missing"),
				 load_path, sec->line, section, key);
		else /* the whole section is missing */
			idm_logf(load_log, LOG_ERR, N_("%s: %s: required key %s is missing"),
				 load_path, section, key);
		load_errors++;
		return -1;
	}
	return 0;
}

/* Two spellings of one server: with and without the final '/'. */
bool idm_config_same_uri(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	if (na && a[na - 1] == '/')
		na--;
	if (nb && b[nb - 1] == '/')
		nb--;
	return na == nb && strncmp(a, b, na) == 0;
}

/* The index of service.writer_uri in ldap.uris, or -1. */
static ssize_t writer_index(const struct idm_config *c)
{
	for (size_t i = 0; i < c->ldap.n_uris; i++)
		if (idm_config_same_uri(c->ldap.uris[i], c->service.writer_uri))
			return (ssize_t)i;
	return -1;
}

int idm_config_pin_writer(struct idm_config *c)
{
	ssize_t i = *c->service.writer_uri ? writer_index(c) : -1;
	char *keep;

	if (i < 0)
		return IDM_OK;
	if (c->ldap.servers)
		return IDM_OK; /* pinned already */
	keep = strdup(c->ldap.uris[i]);
	if (!keep)
		return IDM_ENOMEM;
	c->ldap.servers = c->ldap.uris;
	c->ldap.n_servers = c->ldap.n_uris;
	c->ldap.uris = calloc(2, sizeof(char *));
	if (!c->ldap.uris) {
		free(keep);
		c->ldap.uris = c->ldap.servers;
		c->ldap.n_uris = c->ldap.n_servers;
		c->ldap.servers = NULL;
		c->ldap.n_servers = 0;
		return IDM_ENOMEM;
	}
	c->ldap.uris[0] = keep;
	c->ldap.n_uris = 1;
	return IDM_OK;
}

static int convert(cfg_t *cfg, struct idm_config *c)
{
	cfg_t *ldap = cfg_getsec(cfg, "ldap"), *argon2 = cfg_getsec(cfg, "argon2");
	cfg_t *roles = cfg_getsec(cfg, "roles"), *reg = cfg_getsec(cfg, "registration");
	static const char *const ldap_required[] = {
		"uri",      "base_dn", "people_dn",          "groups_dn",
		"idmgr_dn", "bind_dn", "bind_password_file",
	};
	char *uris = NULL, *tok, *save = NULL;
	int r = IDM_OK;

	for (size_t i = 0; i < sizeof(ldap_required) / sizeof(ldap_required[0]); i++)
		required(ldap, "ldap", ldap_required[i]);
	for (int i = 0; i < IDM_ROLE_COUNT; i++)
		required(roles, "roles", idm_role_name(i));
	if (!cfg_gettsec(cfg, "policy", "standard")) {
		idm_logf(load_log, LOG_ERR, N_("%s: policy standard: required section is missing"),
			 load_path);
		load_errors++;
	}
	if (!cfg_gettsec(cfg, "policy", "privileged")) {
		idm_logf(load_log, LOG_ERR,
			 N_("%s: policy privileged: required section is missing"), load_path);
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
	c->ldap.bind_password_file_line = idm_config_secret_line;
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
		idm_config_policy_numbers(p, d);
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
		    dup_str(cc && *cc ? cc
			    : abs     ? abs
				      : c->path,
			    &c->ppolicy.check_config) < 0) {
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
		    dup_str(cfg_getstr(svc, "bind_password_file"), &c->service.bind_password_file) <
			    0 ||
		    dup_str(cfg_getstr(svc, "accesslog_dn"), &c->service.accesslog_dn) < 0)
			return IDM_ENOMEM;
		c->service.bind_password_file_line = idm_config_service_secret_line;
		c->service.threads = cfg_getint(svc, "threads");
		c->service.max_refusals = cfg_getint(svc, "max_refusals");
		c->service.refusal_window = cfg_getint(svc, "refusal_window");
		c->service.cached_auth_timeout = cfg_getint(svc, "cached_auth_timeout");
		c->service.tls_port = cfg_getint(svc, "tls_port");
		if (dup_str(cfg_getstr(svc, "tls_address"), &c->service.tls_address) < 0 ||
		    dup_str(cfg_getstr(svc, "tls_cert"), &c->service.tls_cert) < 0 ||
		    dup_str(cfg_getstr(svc, "tls_key"), &c->service.tls_key) < 0 ||
		    dup_str(cfg_getstr(svc, "url"), &c->service.url) < 0 ||
		    dup_str(cfg_getstr(svc, "ca_file"), &c->service.ca_file) < 0 ||
		    dup_str(cfg_getstr(svc, "audit_container_uuid"),
			    &c->service.audit_container_uuid) < 0 ||
		    dup_str(cfg_getstr(svc, "writer_uri"), &c->service.writer_uri) < 0 ||
		    dup_str(cfg_getstr(svc, "failover"), &c->service.failover) < 0)
			return IDM_ENOMEM;
		c->service.writer_lease = cfg_getint(svc, "writer_lease");
		if (*c->service.writer_uri && writer_index(c) < 0) {
			idm_logf(load_log, LOG_ERR,
				 N_("%s:%d: service: writer_uri \"%s\" is not one of ldap.uri (the "
				    "writer's server must be one the others replicate with)"),
				 load_path, idm_config_writer_uri_line, c->service.writer_uri);
			return IDM_ECONFIG;
		}
		if (c->service.tls_port && (!*c->service.tls_cert || !*c->service.tls_key)) {
			idm_logf(load_log, LOG_ERR,
				 N_("%s: service: tls_port needs tls_cert and tls_key"), load_path);
			return IDM_ECONFIG;
		}
	}
	return IDM_OK;
}

int idm_config_load(const char *path, const struct idm_log *log, struct idm_config **out)
{
	struct idm_config *c = NULL;
	char *text = NULL;
	size_t len;
	cfg_t *cfg = NULL;
	int r;

	*out = NULL;
	pthread_mutex_lock(&load_lock);
	load_log = log;
	load_errors = 0;
	load_path = path;
	idm_config_secret_line = 0;
	idm_config_service_secret_line = 0;
	idm_config_writer_uri_line = 0;

	r = idm_file_read(path, CONFIG_MAX, 1, log, &text, &len);
	if (r < 0) {
		r = IDM_ECONFIG;
		goto out;
	}
	load_errors += idm_confuse_prepare_text(text, path, log, true);
	if (load_errors) {
		r = IDM_ECONFIG;
		goto out;
	}
	idm_confuse_lock();
	cfg = idm_config_schema_init(config_errfunc);
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
	pthread_mutex_unlock(&load_lock);
	return r;
}

void idm_config_free(struct idm_config *c)
{
	if (!c)
		return;
	free(c->path);
	idm_strv_free(c->ldap.uris, c->ldap.n_uris);
	idm_strv_free(c->ldap.servers, c->ldap.n_servers);
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
	idm_strv_free(c->registration.reserved_names, c->registration.n_reserved_names);
	free(c->registration.primary_group);
	for (size_t i = 0; c->units && i < c->n_units; i++) {
		free(c->units[i].name);
		idm_strv_free(c->units[i].groups, c->units[i].n_groups);
	}
	free(c->units);
	idm_strv_free(c->regular_staff_groups, c->n_regular_staff_groups);
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
	free(c->service.writer_uri);
	free(c->service.failover);
	if (c->cfg)
		idm_confuse_free(c->cfg);
	free(c);
}

int idm_config_check_files(const struct idm_config *c, const struct idm_log *log)
{
	int r = IDM_OK;

	if (idm_secret_check(c->ldap.bind_password_file, log) < 0) {
		idm_logf(log, LOG_ERR,
			 N_("%s:%d: bind_password_file: \"%s\" cannot be used (see above)"),
			 c->path, c->ldap.bind_password_file_line, c->ldap.bind_password_file);
		r = IDM_ECONFIG;
	}
	for (size_t i = 0; i < c->n_policies; i++) {
		const char *f = c->policies[i].blocklist_file;
		if (*f && idm_blocklist_check(f, log) < 0) {
			idm_logf(log, LOG_ERR,
				 N_("%s: policy %s: blocklist_file: \"%s\" cannot be used"),
				 c->path, c->policies[i].name, f);
			r = IDM_ECONFIG;
		}
	}
	return r;
}

int idm_config_check_service_files(const struct idm_config *c, const struct idm_log *log)
{
	if (!*c->service.bind_dn) {
		idm_logf(log, LOG_ERR,
			 N_("%s: service: bind_dn is not set: idmgrd has no identity"), c->path);
		return IDM_ECONFIG;
	}
	if (idm_secret_check(c->service.bind_password_file, log) < 0) {
		idm_logf(log, LOG_ERR,
			 N_("%s:%d: service: bind_password_file: \"%s\" cannot be used (see above)"),
			 c->path, c->service.bind_password_file_line, c->service.bind_password_file);
		return IDM_ECONFIG;
	}
	if (c->service.tls_port && idm_secret_check(c->service.tls_key, log) < 0) {
		idm_logf(log, LOG_ERR, N_("%s: service: tls_key: \"%s\" cannot be used (see above)"),
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
