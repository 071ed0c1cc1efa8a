/* idm_report.h -- the account listings behind "idmgr report" (R-PRIV-1,
 * R-REV-1), evidence for auditors: the directory searches and the rules
 * deciding what is listed live here, the command prints.
 *
 * privileged: every ID marked privileged, with the request that made it
 * so and the CISO's approval of it (none: drift, R-PRIV-2).  locked: every
 * account whose lock is in force now by the lockout module's one rule on
 * the directory server's clock (idm_lockout_in_force()).  suspended:
 * suspended and seconded accounts with their reason. */
#ifndef IDM_REPORT_H
#define IDM_REPORT_H

#include <stdbool.h>
#include <time.h>

#include "idm_account.h"
#include "idm_config.h"
#include "idm_lockout.h"
#include "idm_operator.h"

enum idm_report_kind {
	IDM_REPORT_PRIVILEGED,
	IDM_REPORT_LOCKED,
	IDM_REPORT_SUSPENDED,
};
/* -1 for a name that is none of the above. */
int idm_report_kind_from_name(const char *name);

/* What a report reads of each account: all that idm_account_from_entry()
 * and the lock rule need, the privilege grant and the status's time,
 * reason and end, into out (NULL-terminated). */
int idm_report_attrs(const char *out[IDM_ACCOUNT_ATTRS_MAX]);

/* One account listed; strings may be NULL; valid during the call. */
struct idm_report_row {
	const struct idm_account *account;
	/* privileged */
	const char *privilege_request; /* NULL: no request made it so (drift) */
	const char *granted_by;        /* the CISO who approved it */
	time_t granted;
	/* locked */
	enum idm_lock_verdict lock; /* IDM_LOCK_LOCKED or IDM_LOCK_HARD */
	bool until_unlocked;        /* no timer ends it */
	/* suspended */
	const char *status_time, *status_reason, *until;
};

/* Officers only.  Calls each() per account listed; a negative return
 * stops the listing and is returned. */
int idm_report_accounts(struct idm_operator *op, const struct idm_config *cfg,
			enum idm_report_kind kind,
			int (*each)(void *ctx, const struct idm_report_row *row), void *ctx);

#endif
