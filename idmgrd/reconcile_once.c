/* reconcile_once.c -- "idmgrd -R DAYS" (idmgrd(8)): slapd's log of writes
 * of the last DAYS days reconciled once with the audit trail, as idmgrd's
 * identity (the monthly timer), printed; then idmgrd exits.  The
 * reconciliation is the core's (idm_scheduled.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "idm_error.h"
#include "idm_scheduled.h"
#include "idmgrd.h"

bool reconcile_days_parse(const char *arg, long *days)
{
	char *end;

	errno = 0;
	*days = strtol(arg, &end, 10);
	if (errno || end == arg || *end || *days < 0 || *days > 36500) {
		fprintf(stderr, "idmgrd: -R: \"%s\" is not a number of days (0 to 36500)\n", arg);
		return false;
	}
	return true;
}

/* 0: every write explained; 1: some are not; 3: no directory server
 * answers; 2: any other failure. */
int reconcile_once(struct server *s, long days)
{
	long found = 0;
	int r = idm_scheduled_reconcile(s->cfg, &s->log, days, stdout, &found);

	return r == IDM_OK ? (found ? 1 : 0) : r == IDM_EUNAVAIL ? 3 : 2;
}
