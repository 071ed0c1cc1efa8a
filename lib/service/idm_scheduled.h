/* idm_scheduled.h -- what idmgrd does on a timer's behalf, on its own
 * identity, without an officer (idmgrd --reconcile DAYS, run by
 * idmgr-reconcile.service, which the monthly idmgr-sweep.service pulls in).
 *
 * The reconciliation of slapd's log of writes against the audit trail
 * (threat model item 4, R-AUD-1, R-REV-1) needs the one identity that may
 * read that log whole: idmgrd's (service.bind_dn).  An auditor runs it
 * through the service ("idmgr audit reconcile"); the monthly run needs no
 * officer's password kept on the server for it, nor a bot in an auditor's
 * role (a security_chief approves requests), only the secret idmgrd
 * itself holds. */
#ifndef IDM_SCHEDULED_H
#define IDM_SCHEDULED_H

#include <stdio.h>

#include "idm_config.h"
#include "idm_log.h"

/* Reconciles the writes of the last days days (0: all) and prints what
 * "idmgr audit reconcile" prints to out: one line per unexplained write,
 * then the count.  *found: the writes listed.  IDM_OK (whether or not
 * any was found), IDM_ECONFIG (no service identity, its secret refused,
 * a server of ldap.uri without an accesslog it can read), IDM_EUNAVAIL (a
 * server did not answer: its log was not read), ... */
int idm_scheduled_reconcile(const struct idm_config *cfg, const struct idm_log *log, long days,
			    FILE *out, long *found);

#endif
