/* idm_dirpool.h -- idmgrd's connections as its own identity
 * (service.bind_dn), kept open between requests.  A request takes one
 * (an idle one, else a new connection and bind), has it to itself, and
 * gives it back; at most IDM_DIRPOOL_IDLE are kept idle, none longer than
 * IDM_DIRPOOL_IDLE_SECONDS, and one the server has closed meanwhile
 * (slapd restarted, its idle timeout) is never handed out.  Thread-safe
 * (one mutex). */
#ifndef IDM_DIRPOOL_H
#define IDM_DIRPOOL_H

#include <stdbool.h>

#include "idm_config.h"
#include "idm_dir.h"
#include "idm_log.h"

#define IDM_DIRPOOL_IDLE 16
#define IDM_DIRPOOL_IDLE_SECONDS 60

struct idm_dirpool;

struct idm_dirpool *idm_dirpool_new(void);
void idm_dirpool_free(struct idm_dirpool *p);
/* A connection bound as service.bind_dn, its messages to log.  With p
 * NULL, a new one each time.  IDM_ECONFIG when the directory refuses the
 * secret (logged), IDM_EUNAVAIL, ... as idm_dir_open_identity. */
int idm_dirpool_get(struct idm_dirpool *p, const struct idm_config *cfg, const struct idm_log *log,
		    struct idm_dir **out);
/* Gives d back (NULL: nothing); reusable false (the request saw the
 * server fail) closes it.  With p NULL, closes it. */
void idm_dirpool_put(struct idm_dirpool *p, struct idm_dir *d, bool reusable);

#endif
