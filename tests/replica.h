/* replica.h -- a read-only replica of the sandbox for failover tests: a
 * second slapd, syncrepl consumer (refreshAndPersist) of the sandbox's
 * slapd, with the same schema, modules, ACLs and password policy. */
#ifndef TESTS_REPLICA_H
#define TESTS_REPLICA_H

#include <stdbool.h>

#include "harness.h"

struct replica {
	char dir[700];
	char uri[128];
};

/* Adds syncprov to the sandbox's slapd (once; restarts it) and starts a
 * consumer in SANDBOX/NAME on a free loopback port; with updateref, writes
 * sent to it are answered with a referral to the sandbox, without, with
 * slapd's "shadow context" refusal.  Returns when the consumer holds the
 * whole suffix; aborts the test program when it cannot. */
void replica_start(struct sandbox *sb, const char *name, bool updateref, struct replica *r);
void replica_stop(struct replica *r);
/* Waits (up to 10 s) until the replica holds what the provider holds of
 * attr on dn; true when it does. */
bool replica_caught_up(const struct sandbox *sb, const struct replica *r, const char *dn,
		       const char *attr);

#endif
