/* idm_mods.h -- builds the LDAPMod array of one add or modify operation.
 *
 * Values are copied; idm_mods_free() wipes them (they may hold hashes).
 * An allocation failure is remembered, and idm_mods_array() then returns
 * NULL, so callers check once at the end. */
#ifndef IDM_MODS_H
#define IDM_MODS_H

#include <ldap.h>

struct idm_mods;

struct idm_mods *idm_mods_new(void);
/* Adds value to the change (op, attr), creating it on first use.  op is
 * LDAP_MOD_ADD, LDAP_MOD_DELETE, LDAP_MOD_REPLACE or LDAP_MOD_INCREMENT;
 * value NULL makes a change without values (delete all, replace by none). */
void idm_mods_add(struct idm_mods *m, int op, const char *attr, const char *value);
LDAPMod **idm_mods_array(struct idm_mods *m);
void idm_mods_free(struct idm_mods *m);

#endif
