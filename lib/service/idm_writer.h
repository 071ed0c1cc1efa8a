/* idm_writer.h -- one idmgrd writes: a lease in the directory.
 *
 * What needs a total order (the number pool, the audit chain's head,
 * request states; docs/design.md) needs one writer.  idmgrd claims
 * cn=writer,<idmgr_dn> (applicationProcess; description "HOST PID UNTIL",
 * UNTIL a YYYYMMDDHHMMSSZ time IDM_WRITER_LEASE seconds ahead) at start and
 * renews it every IDM_WRITER_RENEW seconds, each time a compare-and-swap of
 * the value it wrote.  Another instance refuses to start while the lease is
 * held; an expired lease, or one left by a dead process on this very host,
 * is taken over (again a compare-and-swap, so of two taking over one wins).
 * A holder whose renewal fails has lost the lease and must stop writing.
 * On one provider this is exact; on two providers before replication
 * converges both could claim -- that is the later issue's election. */
#ifndef IDM_WRITER_H
#define IDM_WRITER_H

#include "idm_config.h"
#include "idm_dir.h"

#define IDM_WRITER_LEASE 30 /* seconds */
#define IDM_WRITER_RENEW 10

struct idm_writer;

/* IDM_OK: this process holds the lease; IDM_EEXIST: another does (logged,
 * naming it); or an error of the directory. */
int idm_writer_claim(struct idm_dir *d, const struct idm_config *cfg, const struct idm_log *log,
		     struct idm_writer **out);
/* IDM_OK, or IDM_ESTATE when the lease was lost (logged). */
int idm_writer_renew(struct idm_writer *w, struct idm_dir *d);
/* Gives the lease up (when still held) and frees w. */
void idm_writer_release(struct idm_writer *w, struct idm_dir *d);

#endif
