/* idm_config_schema.h -- idmgr.conf's schema and validators (internal to
 * idm_config.c and idm_config_schema.c). */
#ifndef IDM_CONFIG_SCHEMA_H
#define IDM_CONFIG_SCHEMA_H

#include <confuse.h>

/* The lines of ldap.bind_password_file and service.bind_password_file in
 * the load in progress, as their validator saw them (0: not given);
 * idm_config_load() resets them and holds its lock throughout. */
extern int idm_config_secret_line;
extern int idm_config_service_secret_line;
/* the line of service.writer_uri, for the message that it is not in ldap.uri */
extern int idm_config_writer_uri_line;

/* A new libconfuse section for idmgr.conf: every key with its default and
 * validator; errfunc reports each error (NULL: no memory).  Call it with
 * idm_confuse_lock() held. */
cfg_t *idm_config_schema_init(cfg_errfunc_t errfunc);

struct idm_policy;
/* The numbers of a policy section (those with a range) into p. */
void idm_config_policy_numbers(cfg_t *sec, struct idm_policy *p);

#endif
