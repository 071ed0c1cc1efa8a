/* idm_bootstrap.h -- "idmgr init": bootstraps an empty suffix once, with the
 * directory administrator's credentials, and completes it on later runs.
 *
 * Creates what the configuration names and the directory lacks -- the base
 * entry, the containers, the number pool, the groups of every unit, the
 * regular-staff groups and the primary group, the role groups, the hosts'
 * service identity (its secret written to ldap.bind_password_file), idmgrd's
 * identity when service.bind_dn is set (its secret written to
 * service.bind_password_file, mode 0600) and the officers given
 * (each with a random temporary password that must be changed) -- and
 * changes nothing that exists: an officer named again keeps password and
 * roles (roles change only through grant-privilege requests); a new officer
 * joins the role groups.  Safe to rerun after an interruption. */
#ifndef IDM_BOOTSTRAP_H
#define IDM_BOOTSTRAP_H

#include <stdbool.h>
#include <stddef.h>

#include "idm_config.h"
#include "idm_log.h"

struct idm_officer_spec {
	char *uid;
	unsigned roles; /* bit (1u << enum idm_role) per role */
};

/* Parses "UID:ROLE[,ROLE...]" (uid validated against the configuration and
 * refused when reserved).  Logs what is wrong; IDM_EINVAL. */
int idm_officer_spec_parse(const struct idm_config *cfg, const struct idm_log *log,
			   const char *text, struct idm_officer_spec *out);
void idm_officer_spec_clear(struct idm_officer_spec *spec);

enum idm_bootstrap_action { IDM_BOOT_CREATED, IDM_BOOT_EXISTS, IDM_BOOT_UPDATED };

struct idm_bootstrap_step {
	char *dn;
	enum idm_bootstrap_action action;
};

struct idm_bootstrap_officer {
	char *uid, *dn;
	unsigned roles;
	char *temp_password; /* NULL when the officer existed already */
};

struct idm_bootstrap_result {
	struct idm_bootstrap_step *steps;
	size_t n_steps;
	struct idm_bootstrap_officer *officers;
	size_t n_officers;
	bool secret_written;        /* ldap.bind_password_file (the hosts') */
	bool writer_secret_written; /* service.bind_password_file (idmgrd's) */
	char *audit_uuid; /* entryUUID of ou=audit: pin it (service.audit_container_uuid) */
};

int idm_bootstrap(const struct idm_config *cfg, const struct idm_log *log, const char *admin_dn,
		  const char *admin_password, const struct idm_officer_spec *officers,
		  size_t n_officers, struct idm_bootstrap_result **out);
/* Frees the result, wiping the temporary passwords. */
void idm_bootstrap_result_free(struct idm_bootstrap_result *res);

#endif
