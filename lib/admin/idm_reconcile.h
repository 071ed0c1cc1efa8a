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
 * values.  With several directory servers each keeps its own log, and a
 * change replicated from a peer is logged as the replication identity's
 * (the directory administrator's), never its maker's: each server's log
 * is read (docs/design.md, "Reconciling several servers"). */
#ifndef IDM_RECONCILE_H
#define IDM_RECONCILE_H

#include <time.h>

#include "idm_config.h"
#include "idm_dir.h"

struct idm_unexplained {
	const char *time;   /* reqStart, the server's clock */
	const char *who;    /* reqAuthzID (empty: anonymous or unknown) */
	const char *type;   /* add, modify, delete, modrdn */
	const char *dn;     /* reqDN */
	const char *attrs;  /* the attributes changed, comma-separated */
	const char *server; /* the URI of the server it was made on (logged there) */
};

/* Walks the accesslog of every server of ldap.uri (ldap.servers when
 * idmgrd pinned the writer's) from since (0: all) with paged searches, d
 * for d's server and a connection of its own as idmgrd for each other;
 * each() gets every unexplained write, in each log's order, server by
 * server.  A write is judged on the server it was made on: its CSN's
 * serverID is that server's own, learned from the writes logged there by
 * idmgrd's or the hosts' identity (or, for one server with none, by
 * elimination from the directory's contextCSN); a change replicated from
 * another server of the list, logged as replication's identity, is
 * skipped where it is a copy.  A write no server is known to have made is
 * judged wherever it is logged and named once.  *checked counts the
 * writes judged.  IDM_OK; else the log of one server was not read (the
 * message names it: not reconciled): IDM_ECONFIG no accesslog this
 * identity can read there or it refuses idmgrd's secret, IDM_EUNAVAIL it
 * does not answer, or another error of the directory. */
int idm_reconcile(struct idm_dir *d, const struct idm_config *cfg, time_t since,
		  int (*each)(void *ctx, const struct idm_unexplained *w), void *ctx, long *checked);

#endif
