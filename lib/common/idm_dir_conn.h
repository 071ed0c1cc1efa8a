/* idm_dir_conn.h -- a directory connection from the inside (internal to
 * idm_dir.c, which opens, fails over and reads, and idm_dir_write.c, which
 * writes so that a retry on the next server is safe). */
#ifndef IDM_DIR_CONN_H
#define IDM_DIR_CONN_H

#include <ldap.h>
#include <stdbool.h>
#include <stddef.h>

#include "idm_config.h"
#include "idm_dir.h"
#include "idm_log.h"

struct idm_dir {
	const struct idm_config *cfg;
	const struct idm_log *log;
	LDAP *ld;
	size_t uri; /* index into cfg->ldap.uris of the server in use */
	char *dn, *password;
	int ppolicy;   /* password policy error of the last bind, or -1 */
	bool unfenced; /* idm_dir_unfence() */
};

/* LDAP_SUCCESS, or LDAP_UNAVAILABLE when idmgrd's fence refuses a write
 * of d (idm_dir_set_fence()). */
int idm_dir_fence(struct idm_dir *d);

/* Result codes after which another server may answer. */
bool idm_dir_server_gone(int rc);

/* Did the server refuse a write because it is a read-only replica (a
 * referral to its provider, or slapd's "shadow context" refusal without
 * one)?  Such a write was not made: it may go to the next server. */
bool idm_dir_read_only(struct idm_dir *d, int rc);

/* An LDAP result code as an IDM_ code. */
int idm_dir_map_rc(int rc);

/* Tries the servers from number first on, wrapping once round the list;
 * those marked down (idm_dir_health.h) after the others. */
int idm_dir_connect_from(struct idm_dir *d, size_t first);
/* The server in use failed during an operation: marked down. */
void idm_dir_server_failed(struct idm_dir *d);

/* Runs op; when the server is gone, reconnects to the following servers and
 * runs it again, at most once per server. */
#define WITH_FAILOVER(d, call)                                                            \
	do {                                                                              \
		size_t tries_ = (d)->cfg->ldap.n_uris;                                    \
		for (;;) {                                                                \
			rc = (d)->ld ? (call) : LDAP_SERVER_DOWN;                         \
			if (!idm_dir_server_gone(rc) || tries_-- <= 1)                    \
				break;                                                    \
			idm_logf((d)->log, LOG_WARNING, "%s: %s; trying the next server", \
				 idm_dir_uri(d), ldap_err2string(rc));                    \
			idm_dir_server_failed(d);                                         \
			rc = idm_dir_connect_from((d), (d)->uri + 1);                     \
			if (rc != LDAP_SUCCESS)                                           \
				break;                                                    \
		}                                                                         \
	} while (0)

#endif
