/* idm_effect.h -- the directory effects of the lifecycle, each in one
 * place, reused by every path that needs it: applied requests
 * (idm_apply.c), direct operator actions (idm_user.c) and the sweep.
 * Every effect is idempotent (REPLACE, or add/delete tolerating "already
 * so"), so a rerun after an interruption completes it. */
#ifndef IDM_EFFECT_H
#define IDM_EFFECT_H

#include <stdbool.h>
#include <time.h>

#include "idm_config.h"
#include "idm_dir.h"
#include "idm_mods.h"
#include "idm_role.h"

/* idmStatus (active, suspended, seconded, retired) with reason and time;
 * until (0: none) is the end of a secondment.  Any status but active also
 * makes slapd itself refuse every bind (ppolicy pwdStartTime in the far
 * future, IDM_NOT_BEFORE_NEVER); active lifts that, in the same modify. */
int idm_effect_status(struct idm_dir *d, const char *dn, const char *status, const char *reason,
		      time_t until);
/* The same changes, as a builder for one modify with more in it. */
struct idm_mods;
struct idm_mods *idm_effect_status_changes(const char *status, const char *reason, time_t until);
/* The pwdStartTime that disables an account: no bind succeeds before it. */
#define IDM_NOT_BEFORE_NEVER "29991231235959Z" /* slapd 2.5.13 ignores year 9999 */
/* Adds to m the server-side lock of status (pwdStartTime): set unless
 * active, removed when active.  For callers that change idmStatus in a
 * modify of their own (the sweep's compare-and-swap). */
void idm_effect_status_lock(struct idm_mods *m, const char *status);
/* Adds to m the server-side end of validity (pwdEndTime) for valid_until:
 * REPLACE (op LDAP_MOD_REPLACE) or ADD (a new entry). */
void idm_effect_valid_until(struct idm_mods *m, int op, time_t valid_until);
/* memberUid of a posixGroup cn under groups_dn: add (true) or remove. */
int idm_effect_group(struct idm_dir *d, const struct idm_config *cfg, const char *cn,
		     const char *uid, bool add);
/* The cn of every posixGroup uid is a member of: *out NULL-terminated
 * (idm_strv_free() it). */
int idm_effect_groups_of(struct idm_dir *d, const struct idm_config *cfg, const char *uid,
			 char ***out, size_t *n);
/* Is cn one of the groups the list names? */
bool idm_effect_in(const char *cn, char *const *list, size_t n);
/* A fresh temporary password that must be changed (R-PW-4); *pw is
 * printed once by the caller, never stored in clear. */
int idm_effect_temp_password(struct idm_dir *d, const struct idm_config *cfg, const char *dn,
			     char **pw);
/* The same changes into *m (for one modify with more in it). */
int idm_effect_temp_password_changes(const struct idm_config *cfg, struct idm_mods **m, char **pw);
/* No password at all: no bind can succeed (retirement). */
int idm_effect_no_password(struct idm_dir *d, const char *dn);
/* Sets pwdReset: the server lets the user do nothing but change the
 * password (R-PW-2, R-PW-4); already set is IDM_OK. */
int idm_effect_must_change(struct idm_dir *d, const char *dn);
/* member of the role group (DN value) added or removed. */
int idm_effect_role(struct idm_dir *d, const struct idm_config *cfg, enum idm_role role,
		    const char *member_dn, bool add);
/* A new managed account's entry (register, idmgr init): inetOrgPerson,
 * posixAccount and idmAccount, active, its first password to be changed
 * (R-PW-4), home /home/UID, shell /bin/bash.  NULL fields are left out;
 * callers add their own values to the builder. */
struct idm_new_account {
	const char *uid, *cn, *sn, *given_name, *mail, *unit, *employee_type;
	long uid_number;
	const char *gid_number;
};
struct idm_mods *idm_effect_new_account(const struct idm_new_account *a);
/* A notice owed to officers (R-PRIV-2, R-VIO-1), under ou=notices. */
int idm_effect_notice(struct idm_dir *d, const struct idm_config *cfg, const char *actor_dn,
		      const char *action, const char *subject, const char *text);
/* The same with a given ID (idm_action_object_id()): IDM_EEXIST when a
 * notice with it exists. */
int idm_effect_notice_as(struct idm_dir *d, const struct idm_config *cfg, const char *actor_dn,
			 const char *id, const char *action, const char *subject, const char *text);
/* The same, also owed to the person recipient (a uid, e.g. the manager of
 * a suspended user, R-VIO-1; NULL: the role holders only, idm_notice.h). */
int idm_effect_notice_to(struct idm_dir *d, const struct idm_config *cfg, const char *actor_dn,
			 const char *id, const char *action, const char *subject, const char *text,
			 const char *recipient);

#endif
