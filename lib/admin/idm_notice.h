/* idm_notice.h -- notices owed to officers (R-PRIV-2, R-VIO-1, R-EXC-2),
 * and their delivery.
 *
 * A notice is an entry under ou=notices,<idmgr_dn> (idm_effect_notice()).
 * Delivery hands each notice not yet delivered to the configured program
 * (idmgr.conf: notify { command = "/usr/sbin/sendmail -t -i" }) as one
 * RFC 5322 message on its standard input: a UTF-8 text body and a subject
 * encoded per RFC 2047.  The program runs without a shell (posix_spawn of
 * the command's words, a fixed PATH and nothing else in its environment),
 * with a time limit of IDM_NOTIFY_TIMEOUT seconds; exit status 0 is
 * delivered, anything else is kept with the reason and tried again by the
 * next delivery run.  Recipients are the `mail` of the members of the role
 * groups the notice's action is owed to (grant- and revoke-privilege: every
 * officer role, R-PRIV-2; suspend and exception-emergency: the CISO,
 * R-VIO-1, R-EXC-2) and of the uids named in the notice (idmRecipient: the
 * person's manager for a suspension); a value that is no plain address is
 * left out and logged.
 *
 * Two runs never both deliver a notice: a run claims it first by a
 * compare-and-swap on idmDeliveryAttempts.  A run stopped between the
 * claim and the delivered mark leaves the notice pending; the next run
 * delivers it again (at least once, never silently dropped). */
#ifndef IDM_NOTICE_H
#define IDM_NOTICE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "idm_config.h"
#include "idm_dir.h"
#include "idm_log.h"

#define IDM_NOTIFY_TIMEOUT 60 /* seconds for the notify command */

struct idm_notice {
	char *id, *dn, *action, *subject, *detail, *actor;
	char *error;       /* why the last delivery failed, or NULL */
	char **recipients; /* idmRecipient uids */
	size_t n_recipients;
	time_t time, delivered; /* delivered 0: pending */
	long attempts;
};

/* Every notice (pending_only false) or those not delivered yet, oldest
 * first; a negative return from each() stops the listing. */
int idm_notice_each(struct idm_dir *d, const struct idm_config *cfg, bool pending_only,
		    int (*each)(void *ctx, const struct idm_notice *n), void *ctx);

/* The message for n to the addresses to[] (RFC 5322, LF line ends as
 * sendmail expects them on stdin), malloc'ed. */
int idm_notice_message(const struct idm_config *cfg, const struct idm_notice *n,
		       const char *const *to, size_t n_to, time_t now, char **out);

struct idm_notice_summary {
	long delivered, failed, pending;
};
/* Delivers every pending notice, as the identity d is bound as.  IDM_OK
 * when all were delivered (or none was pending); IDM_ESTATE when some
 * failed (each logged, kept for the next run); IDM_ECONFIG when
 * notify.command is empty (nothing done: the pending ones are counted). */
int idm_notice_deliver(struct idm_dir *d, const struct idm_config *cfg, const struct idm_log *log,
		       struct idm_notice_summary *sum);

#endif
