/* idm_ppolicy.h -- slapd's side of the password rules: one ppolicy entry
 * per policy section of idmgr.conf, cn=NAME,ou=policies,BASE_DN, written by
 * "idmgr init" with the directory administrator's rights (R-PW-1..5,
 * R-PRIV-4; idmgr-schema(5), docs/design.md "Server-side password rules").
 *
 * Each entry names idmgr_pwcheck.so (pwdCheckModule) with "CONFIG POLICY"
 * (pwdCheckModuleArg) so that slapd checks quality with idmgr's own engine,
 * refuses pre-hashed values (pwdCheckQuality 2), keeps `history` old
 * passwords (pwdInHistory), refuses a change before min_age_days
 * (pwdMinAge), and sets pwdReset when a password administrator sets a
 * password (pwdMustChange).  Lockout attributes are the backstop of
 * slapd-ppolicy.conf.  cn=standard is slapd's default (ppolicy_default);
 * every other policy is chosen by the account's pwdPolicySubentry, which
 * idm_ppolicy_subentry() names. */
#ifndef IDM_PPOLICY_H
#define IDM_PPOLICY_H

#include "idm_config.h"
#include "idm_dir.h"
#include "idm_log.h"

#define IDM_PPOLICY_DEFAULT "standard"

/* "ou=policies,BASE_DN", malloc'ed. */
int idm_ppolicy_container(const struct idm_config *cfg, char **out);
/* "cn=POLICY,ou=policies,BASE_DN" (escaped), malloc'ed. */
int idm_ppolicy_dn(const struct idm_config *cfg, const char *policy, char **out);
/* The pwdPolicySubentry an account governed by policy needs: NULL (*out)
 * for the default policy, else its entry's DN. */
int idm_ppolicy_subentry(const struct idm_config *cfg, const char *policy, char **out);

/* Told of each policy entry: created, exists unchanged, updated. */
enum idm_ppolicy_action { IDM_PP_CREATED, IDM_PP_EXISTS, IDM_PP_UPDATED };
typedef int (*idm_ppolicy_note_fn)(void *ctx, const char *dn, enum idm_ppolicy_action a);

/* Creates each policy's entry under the existing container, or brings the
 * attributes idmgr owns in line with the configuration; others (set by
 * hand) are left alone.  d is bound as the directory administrator. */
struct idm_mods;
/* Brings the password policy entry dn to hold want[i] in names[i]
 * (NULL-terminated): when it is missing, added with create's values and
 * those; else the values that differ replaced, after add_class (or NULL)
 * is added to its classes.  note() is told which. */
int idm_ppolicy_entry_sync(struct idm_dir *d, const char *dn, struct idm_mods *create,
			   const char *const *names, const char *const *want, const char *add_class,
			   idm_ppolicy_note_fn note, void *ctx);
int idm_ppolicy_sync(struct idm_dir *d, const struct idm_config *cfg, idm_ppolicy_note_fn note,
		     void *ctx);

/* Moves what releases before the ppolicy design kept in idmgr's own
 * attributes into slapd's, on every account that still has any, in one
 * modify each (relax control): idmMustChange TRUE -> pwdReset TRUE;
 * idmPwdChangedTime -> pwdChangedTime (unless slapd has one); each
 * idmPasswordHistory "STAMP#HASH" -> pwdHistory "STAMP#OID#LEN#HASH"; the
 * old attributes deleted; and an account with a non-default policy (its
 * idmPolicy, else privileged) and no pwdPolicySubentry gets one.  note() is
 * told of each account changed (IDM_PP_UPDATED).  Idempotent: a second run
 * finds nothing to move. */
int idm_ppolicy_migrate(struct idm_dir *d, const struct idm_config *cfg, idm_ppolicy_note_fn note,
			void *ctx);

#endif
