/* idm_numbers.h -- race-free allocation of uidNumber and gidNumber.
 *
 * The next free numbers live in cn=numbers,<idmgr_dn> (idmNumberPool).  One
 * modify that deletes the value read and adds the next one is a
 * compare-and-swap: when another host took the number first the delete
 * fails (noSuchAttribute) and the allocation reads again.  A pool below
 * registration.uid_number_min (gid_number_min) hands out nothing
 * (IDM_ESTATE, logged): only idmgrd writes it, so such a value was written
 * around it, and handing it out could give uidNumber 0. */
#ifndef IDM_NUMBERS_H
#define IDM_NUMBERS_H

#include "idm_dir.h"

enum idm_number_kind { IDM_UID_NUMBER, IDM_GID_NUMBER };

/* DN of the pool entry, malloc'ed. */
int idm_numbers_dn(const struct idm_config *cfg, char **out);
int idm_number_alloc(struct idm_dir *d, const struct idm_config *cfg, enum idm_number_kind kind,
		     long *out);
/* The gidNumber of registration.primary_group (a posixGroup under
 * groups_dn), malloc'ed: what new accounts get.  IDM_ENOENT when the group
 * or its number is absent. */
int idm_primary_gid(struct idm_dir *d, const struct idm_config *cfg, char **out);

#endif
