/* idm_dir_health.h -- directory servers found not answering, remembered for
 * a short while so that a login waits for a hung server once, not once per
 * connection and phase (issue 13).
 *
 * A connection tries the servers not marked down first, in the configured
 * order, and the marked ones last: a mark changes the order, never which
 * servers are tried, so a wrong or planted mark costs at most one timeout
 * and can never lock anybody out.  A server that answers loses its mark.
 *
 * The module keeps one set per PAM transaction (PAM data) and shares it for
 * IDM_DIR_DOWN_SECONDS with the host's next logins through a state file,
 * IDM_RUNDIR/ldap-down, lines "UNTIL URI".  Read only when the folder and
 * the file are root's and writable by nobody else, the file a regular one
 * of at most 8 KiB; only lines whose URI is in the configuration and whose
 * UNTIL lies within IDM_DIR_DOWN_SECONDS from now count.  Written only by a
 * process whose real and effective uid are root (never by idmgr-chkpwd,
 * run by a user, who could make servers look dead with resource limits or
 * signals), through a temporary file renamed over the old one. */
#ifndef IDM_DIR_HEALTH_H
#define IDM_DIR_HEALTH_H

#include <stdbool.h>
#include <time.h>

#include "idm_config.h"
#include "idm_log.h"

#define IDM_DIR_DOWN_SECONDS 60

struct idm_dir_health;

struct idm_dir_health *idm_dir_health_new(void);
void idm_dir_health_free(struct idm_dir_health *h);
/* Is uri marked down at now?  h NULL: never. */
bool idm_dir_health_down(const struct idm_dir_health *h, const char *uri, time_t now);
/* Marks uri down for IDM_DIR_DOWN_SECONDS from now, or (down false)
 * answering again.  h NULL: nothing. */
void idm_dir_health_mark(struct idm_dir_health *h, const char *uri, bool down, time_t now);
/* Adds the marks of the state file in dir for the servers of cfg. */
void idm_dir_health_load(struct idm_dir_health *h, const char *dir, const struct idm_config *cfg,
			 const struct idm_log *log);
/* Writes the marks back when they changed since loaded or saved, merged
 * with the file's (other logins' marks); nothing for a caller not root. */
void idm_dir_health_save(struct idm_dir_health *h, const char *dir, const struct idm_config *cfg,
			 const struct idm_log *log);

#endif
