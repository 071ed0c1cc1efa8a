/* idm_uid.h -- the uid validator, applied before any directory call.
 *
 * A uid is valid when it is 1..64 bytes of printable ASCII without LDAP
 * filter or DN metacharacters ( * ( ) \ , + " < > ; = # space ) -- whatever
 * uid_pattern says -- and matches registration.uid_pattern. */
#ifndef IDM_UID_H
#define IDM_UID_H

#include <stdbool.h>

#include "idm_config.h"

int idm_uid_check(const struct idm_config *cfg, const char *uid);
/* True when uid is one of registration.reserved_names (case-insensitive). */
bool idm_uid_reserved(const struct idm_config *cfg, const char *uid);

#endif
