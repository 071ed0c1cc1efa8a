/* idm_reconcile.h -- "idmgr audit reconcile" (threat model item 4, R-AUD-1,
 * R-REV-1): every write slapd logged (slapo-accesslog, conf/
 * slapd-accesslog.conf) that no audited action explains.
 *
 * Explained are the writes of idmgrd's identity (each is an audited
 * action), the hosts' identity's writes to accounts (login records, which
 * the ACLs limit to login state), a user's write to their own entry (their
 * password change, limited by the ACLs and ppolicy), and slapd's own
 * bookkeeping (a modify that changes only pwdFailureTime, pwdAccountLockedTime,
 * pwdChangedTime, pwdGraceUseTime, pwdLastSuccess, authTimestamp and the
 * server's operational attributes: what ppolicy and lastbind write, as the
 * rootdn, on binds -- as ppolicy writes them only: pwdAccountLockedTime
 * set together with the failure that locked, removed only under a policy
 * with a lockout_duration and at least that long after the lock logged
 * before it; a lock or an unlock by hand is listed).  Everything else is listed: the directory
 * administrator's writes (idmgr init's among them: give --since after it),
 * and those of any writer the ACLs forgot.  Reading reqMod needs idmgrd's
 * identity; the findings name the attributes a write changed, never their
 * values. */
#ifndef IDM_RECONCILE_H
#define IDM_RECONCILE_H

#include <time.h>

#include "idm_config.h"
#include "idm_dir.h"

struct idm_unexplained {
	const char *time;  /* reqStart, the server's clock */
	const char *who;   /* reqAuthzID (empty: anonymous or unknown) */
	const char *type;  /* add, modify, delete, modrdn */
	const char *dn;    /* reqDN */
	const char *attrs; /* the attributes changed, comma-separated */
};

/* Walks the accesslog from since (0: all) with paged searches; each()
 * gets every unexplained write, in the log's order.  *checked counts the
 * writes read.  IDM_OK, IDM_ENOENT without an accesslog this identity can
 * read, or an error of the directory. */
int idm_reconcile(struct idm_dir *d, const struct idm_config *cfg, time_t since,
		  int (*each)(void *ctx, const struct idm_unexplained *w), void *ctx, long *checked);

#endif
