/* idm_config.h -- idmgr.conf (libconfuse syntax, contract §4, idmgr.conf(5)).
 *
 * idm_config_load() reads the file safely (no symbolic link, not writable by
 * group or others, owned by root or the running user), refuses ${VAR}
 * references (the PAM module runs inside setuid programs whose environment
 * belongs to the caller), validates every key, and logs one message per
 * error naming file, line and key.  It returns IDM_ECONFIG after logging
 * every error it found. Secret files are not read here: see
 * idm_config_check_files() and idm_secret_read(). */
#ifndef IDM_CONFIG_H
#define IDM_CONFIG_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "idm_log.h"
#include "idm_passhash.h"
#include "idm_role.h"

#ifndef IDM_SLAPD_MODULEDIR
#define IDM_SLAPD_MODULEDIR "/usr/lib/ldap"
#endif
/* sizeof(sockaddr_un.sun_path) */
#define IDM_SOCKET_PATH_MAX 108

#ifndef IDM_DEFAULT_CONFIG
#define IDM_DEFAULT_CONFIG "/etc/idmgr/idmgr.conf"
#endif

struct idm_policy {
	char *name;
	long min_length, max_length, min_classes;
	long history, min_age_days, max_age_days, warn_days, max_logins;
	long lockout_threshold, lockout_window, lockout_duration;
	char *blocklist_file;
	bool reject_user_name;
};

struct idm_unit {
	char *name;
	char **groups;
	size_t n_groups;
};

struct idm_dir_health;

struct idm_config {
	char *path;
	struct {
		char **uris;
		size_t n_uris;
		/* Every server of ldap.uri, also after idm_config_pin_writer()
		 * narrowed uris to the writer's (audit reconcile reads each
		 * one's log of writes); NULL: the same as uris. */
		char **servers;
		size_t n_servers;
		char *base_dn, *people_dn, *groups_dn, *idmgr_dn, *bind_dn;
		char *bind_password_file;
		int bind_password_file_line;
		bool starttls;
		char *ca_file;
		long timeout;
		/* Not read from the file nor owned: servers found not
		 * answering, set by the caller (idm_dir_health.h); NULL none. */
		struct idm_dir_health *health;
	} ldap;
	struct idm_argon2_params argon2;
	struct idm_policy *policies;
	size_t n_policies;
	struct {
		char *dn[IDM_ROLE_COUNT];
		bool same_person_both_approvals;
	} roles;
	struct {
		char *uid_pattern;
		regex_t uid_re;
		bool uid_re_ok;
		char **reserved_names;
		size_t n_reserved_names;
		long temp_password_length, uid_number_min, gid_number_min;
		char *primary_group;
	} registration;
	struct idm_unit *units;
	size_t n_units;
	char **regular_staff_groups;
	size_t n_regular_staff_groups;
	struct {
		long inactive_days, never_used_days;
	} sweep;
	struct {
		char *banner;
		bool show_last_login;
		long idle_timeout; /* seconds without use before access ends (R-LOGIN-1); 0: unset */
	} login;
	/* Delivery of notices (R-PRIV-2, R-VIO-1, R-EXC-2): the program that
	 * takes an RFC 5322 message on stdin, run without a shell ("" none). */
	struct {
		char *command, *from;
	} notify;
	/* What "idmgr init" writes into slapd's policy entries: the password
	 * check module and the idmgr.conf it reads (as slapd sees them). */
	struct {
		char *check_module, *check_config;
	} ppolicy;
	/* idmgrd, the one writer of officers' changes (idmgrd(8)).  bind_dn
	 * empty: no service configured. */
	struct {
		char *socket, *bind_dn, *bind_password_file;
		char *accesslog_dn; /* slapo-accesslog's database, for audit reconcile */
		int bind_password_file_line;
		long threads, max_refusals, refusal_window;
		/* seconds a successful bind of an officer stands for later
		 * requests with the same password (idm_authcache.h); 0: none */
		long cached_auth_timeout;
		/* TLS for officers on other hosts: the server listens on
		 * tls_address:tls_port (0: not) with tls_cert and tls_key; a
		 * client with url set uses it instead of the socket, checking
		 * the certificate against ca_file (empty: the system's CAs). */
		long tls_port;
		char *tls_address, *tls_cert, *tls_key, *url, *ca_file;
		/* entryUUID of ou=audit as idmgr init made it (audit verify
		 * finds a replaced container); empty: not pinned */
		char *audit_container_uuid;
		/* Several instances (idmgrd(8)): the one server of the writer's
		 * lease and of every write idmgrd makes (empty: whatever
		 * ldap.uris reaches; one provider), as named in ldap.uris; the
		 * lease's length in seconds; where else the command looks
		 * for idmgrd (blank-separated sockets and https:// URLs). */
		char *writer_uri;
		long writer_lease;
		char *failover;
	} service;
	struct cfg_t *cfg; /* kept for idm_config_print() */
};

#define IDM_NOTIFY_MAX_ARGS 16
/* A mail address idmgr writes into a header: printable ASCII without blanks,
 * quotes, commas, parentheses or angle brackets, one '@' with text on both
 * sides (or none at all when local_ok). */
bool idm_mail_address_ok(const char *s, bool local_ok);

int idm_config_load(const char *path, const struct idm_log *log, struct idm_config **out);
void idm_config_free(struct idm_config *cfg);

/* Checks the files the configuration names: the service secret (mode,
 * owner) and blocklists (readable).  Logs each problem; IDM_ECONFIG if any. */
int idm_config_check_files(const struct idm_config *cfg, const struct idm_log *log);

/* Checks what idmgrd itself needs: service.bind_dn set and its secret file
 * usable (mode, owner), with the same messages as idm_config_check_files().
 * IDM_ECONFIG if not. */
int idm_config_check_service_files(const struct idm_config *cfg, const struct idm_log *log);

/* idmgrd with service.writer_uri set: every connection it opens goes to
 * that server only, never failed over (ldap.uris becomes that one URI;
 * ldap.servers keeps them all). */
int idm_config_pin_writer(struct idm_config *cfg);
/* Two URIs name the same server (a trailing '/' aside). */
bool idm_config_same_uri(const char *a, const char *b);

/* Prints the effective configuration, defaults included, in idmgr.conf syntax. */
void idm_config_print(const struct idm_config *cfg, FILE *fp);

/* The policy of that name, or NULL. */
const struct idm_policy *idm_config_policy(const struct idm_config *cfg, const char *name);
const struct idm_unit *idm_config_unit(const struct idm_config *cfg, const char *name);

#endif
