/* idm_writer.h -- one idmgrd writes: a lease in the directory.
 *
 * What needs a total order (the number pool, the audit chain's head,
 * request states, the notices' delivery claim, the first password's claim;
 * docs/design.md) needs one writer.  idmgrd claims cn=writer,<idmgr_dn>
 * (applicationProcess; description "HOST PID UNTIL SERIAL LEASE", UNTIL a
 * YYYYMMDDHHMMSSZ time LEASE = service.writer_lease seconds ahead, for
 * people; SERIAL counts renewals) and
 * renews it every third of the lease, each time a compare-and-swap of the
 * value it wrote.  With two providers the lease, and every write idmgrd
 * makes, live on one server, service.writer_uri (idm_config_pin_writer):
 * a compare-and-swap is exact there, and is never failed over to another.
 *
 * Instances that do not hold it stand by and take it over (again a
 * compare-and-swap, so of two taking over one wins) when it was given up,
 * when it was left by a dead process of this very host, or when its value
 * has not changed for a whole lease (the holder's LEASE, or the standby's
 * own when longer) as the standby's own clock measures it
 * (CLOCK_BOOTTIME: no wall clocks compared across hosts).  The holder
 * counts itself the writer only until two thirds of a lease after it sent
 * its last successful renewal, so a holder that stopped renewing (paused,
 * cut off) has stopped writing a third of a lease before anyone can take
 * over; and before each write of the service's identity idmgrd reads the
 * lease again on the writer's server (idm_writer_fence()). */
#ifndef IDM_WRITER_H
#define IDM_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "idm_config.h"
#include "idm_dir.h"

struct idm_writer;

int idm_writer_new(const struct idm_config *cfg, const struct idm_log *log, struct idm_writer **out);
void idm_writer_free(struct idm_writer *w);
/* Seconds between two steps: a third of the lease. */
long idm_writer_period(const struct idm_writer *w);
/* One step of the lease, on d (the service's identity, on the writer's
 * server; NULL: it does not answer, so nobody writes): renews it when held, else claims or takes it over when it may.
 * IDM_OK: held; IDM_EEXIST: another holds it (its value in
 * idm_writer_state()); IDM_ESTATE: it was lost just now (logged); or an
 * error of the directory (IDM_EUNAVAIL: the server does not answer). */
int idm_writer_step(struct idm_writer *w, struct idm_dir *d);
/* Held, and within the time this process may still write. */
bool idm_writer_held(struct idm_writer *w);
/* For refusals and the version answer: "writer", "standby" or "unreachable"
 * (the last step found the writer's server down), and the holder's value
 * as last seen (may be ""). */
const char *idm_writer_state(struct idm_writer *w, char *holder, size_t size);
/* Right before a write of the service's identity on d: IDM_OK when the
 * lease is held, within its time, and still this process's value on the
 * server; else IDM_ESTATE (logged; from then on not held). */
int idm_writer_fence(struct idm_writer *w, struct idm_dir *d);
/* Gives the lease up when held (a compare-and-swap to "released"; the
 * entry stays); d may be NULL (the directory does not answer). */
void idm_writer_release(struct idm_writer *w, struct idm_dir *d);

#endif
