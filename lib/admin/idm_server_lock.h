/* idm_server_lock.h -- slapd's own side of the lockout and of account
 * status (R-PRIV-4, R-VIO-1, R-REG-2; docs/design.md "Lockout and status
 * enforced by slapd"), written by "idmgr init" with the directory
 * administrator's rights.
 *
 * Lockout: every policy of idmgr.conf has a ppolicy entry
 * cn=NAME,ou=policies,BASE_DN whose lockout attributes make slapd lock
 * direct binds at the policy's own threshold, never earlier than
 * pam_idmgr.so would: pwdMaxFailure = lockout_threshold, pwdLockoutDuration
 * = lockout_duration (0: until an officer's unlock), pwdFailureCountInterval
 * = lockout_window, shortened to lockout_duration when that is shorter (the
 * module forgets the failures of a lock that ran out; slapd must not count
 * them beyond it).  The failures slapd counts are then a subset of those the
 * module counts, so the two agree or slapd is later.  Other attributes of
 * the entries (the password rules) are left to their owner.
 *
 * Upgrade: a directory made by an earlier release is moved to the
 * server-enforced form, idempotently: the obsolete idmFailureCount becomes
 * the hard-limit mark (idmHardLockTime) when it had reached the limit and is
 * removed; the obsolete idmLoginCount becomes the server's demand for a
 * change (pwdReset) when it had reached the policy's max_logins and is
 * removed, its value also moving to idmFirstPasswordIssued (-1, idmgrd's
 * claim of a first password not issued yet: FALSE; else TRUE); an account that is not active gets its server-side lock
 * (pwdStartTime); idmValidUntil gets its pwdEndTime. */
#ifndef IDM_SERVER_LOCK_H
#define IDM_SERVER_LOCK_H

#include "idm_config.h"
#include "idm_dir.h"
#include "idm_mods.h"
#include "idm_ppolicy.h"

/* Adds the ppolicy lockout values that agree with policy p (and
 * pwdLockout TRUE) to the ADD of a new policy entry. */
void idm_server_lockout_add(struct idm_mods *m, const struct idm_policy *p);

/* Every policy's entry, with its lockout attributes, under the existing
 * ou=policies,BASE_DN. */
int idm_server_lock_policies(struct idm_dir *d, const struct idm_config *cfg,
			     idm_ppolicy_note_fn note, void *ctx);
/* The timing decoy (idm_login.h) beside the service identity, under its
 * policy; its hash made again when the configured costs changed. */
int idm_server_lock_decoy(struct idm_dir *d, const struct idm_config *cfg, idm_ppolicy_note_fn note,
			  void *ctx);
/* The upgrade of the accounts under people_dn (see above). */
int idm_server_lock_upgrade(struct idm_dir *d, const struct idm_config *cfg,
			    idm_ppolicy_note_fn note, void *ctx);

#endif
