/* idm_shared.h -- shared IDs and their registered holders (R-ID-1).
 *
 * An ID used by several people is registered with the form's shared_with
 * (idmgr-request(5)); register and modify store each holder's uid as a
 * value of idmSharedWith on the shared ID's entry.  These read them back:
 * for one ID (user show) and for every shared ID (report shared).  Holders
 * are listed sorted, each with its account's status ("active", ...) or
 * NULL when no managed account of that uid exists any more -- a holder who
 * left is a finding for the officer, not something to hide. */
#ifndef IDM_SHARED_H
#define IDM_SHARED_H

#include <stddef.h>

#include "idm_config.h"
#include "idm_dir.h"

struct idm_shared_holder {
	char *uid;
	char *status; /* NULL: no managed account */
};
struct idm_shared {
	char *uid, *dn;
	struct idm_shared_holder *holders;
	size_t n_holders; /* 0: not a shared ID */
};

/* The holders of uid (n_holders 0 when it is not shared).  IDM_ENOENT when
 * uid is invalid or no managed account. */
int idm_shared_of(struct idm_dir *d, const struct idm_config *cfg, const char *uid,
		  struct idm_shared **out);
/* Calls each() for every shared ID under people_dn (paged search); a
 * negative return stops the listing and is returned.  The object is valid
 * only during the call. */
int idm_shared_each(struct idm_dir *d, const struct idm_config *cfg,
		    int (*each)(void *ctx, const struct idm_shared *s), void *ctx);
void idm_shared_free(struct idm_shared *s);

#endif
