/* idm_action.h -- an operator's change and its audit record as one unit
 * (R-AUD-1): either both exist, or running the same command again
 * completes both.
 *
 * The change carries a pending mark (idmAuditPending) in its own atomic
 * write: the modify or add that makes the change also adds the mark, so
 * the mark exists exactly when the change does.  Then the record is
 * appended, tagged with the mark's token, and the mark is removed:
 *
 *     change + mark (one write)  ->  record (token)  ->  unmark
 *
 * Interrupted anywhere, the entry shows what is owed.  A later run of the
 * same action by the same actor finds its mark (idm_action_start), does
 * the idempotent follow-ups again and finishes: the append skips a record
 * whose token is in the trail already, and removing a mark already gone
 * is no error.  Nothing here depends on who writes: the mark stores the
 * whole event (token, time, actor, action, subject, request, outcome,
 * detail), so any writer that records actors as data can complete it; the
 * trail here names the identity bound (WhoAmI), so a mark is completed by
 * its own actor only.  Objects an action creates besides its change (a
 * notice, an emergency exception) take IDs derived from the token
 * (idm_action_object_id), so a rerun finds them instead of making twins.
 *
 * The mark's value: "idmgr-pending-1 TOKEN TIME " then actor, action,
 * subject, request id, outcome and detail, each as LEN ":" BYTES "," or
 * "-," when absent (as in the audit record's hash, idm_audit.h). */
#ifndef IDM_ACTION_H
#define IDM_ACTION_H

#include <stdbool.h>
#include <time.h>

#include "idm_audit.h"
#include "idm_config.h"
#include "idm_dir.h"
#include "idm_log.h"
#include "idm_mods.h"
#include "idm_operator.h"

struct idm_action {
	char token[IDM_AUDIT_TOKEN_LEN + 1];
	time_t time; /* when the change was made (derived IDs use its day) */
	char *actor, *action, *subject, *request_id, *outcome, *detail;
	char *mark;   /* the stored value */
	bool resumed; /* an earlier run made the change: only finishing is owed */
};

/* The action ev of op on the entry dn.  When dn carries a mark of op for
 * the same action (and subject and request id, when ev names them), *a is
 * that earlier run (a->resumed: its change is made; redo the idempotent
 * follow-ups, then idm_action_finish()).  Otherwise *a is a fresh action
 * whose mark the caller adds to its change with idm_action_mark().  dn
 * NULL: always fresh.  IDM_EINVAL for an event the trail would refuse. */
int idm_action_start(struct idm_operator *op, const char *dn, const struct idm_audit_event *ev,
		     struct idm_action *a);
/* The mark into the change's own write. */
void idm_action_mark(const struct idm_action *a, struct idm_mods *m);
/* Replaces what the record will say once the change is made (apply knows
 * its summary only then); NULL keeps the value. */
int idm_action_set(struct idm_action *a, const char *outcome, const char *detail);
/* Appends the record (once) and removes the mark from dn.  A failure is
 * logged as owed: the change stays marked and a rerun completes it. */
int idm_action_finish(struct idm_operator *op, const struct idm_config *cfg,
		      const struct idm_log *log, const char *dn, struct idm_action *a);
void idm_action_clear(struct idm_action *a);

/* Parses a stored mark; IDM_EINVAL when it is not one. */
int idm_action_parse(const char *value, struct idm_action *a);
/* The mark of actor for action among values (an entry's idmAuditPending),
 * or NULL. */
const char *idm_action_find_mark(char *const *values, size_t n, const char *actor,
				 const char *action);

/* The one formatter of object IDs: PREFIX YYYYMMDD "-" 8 hex digits, e.g.
 * R20261201-1a2b3c4d (requests R, exceptions X, notices N). */
#define IDM_OBJECT_ID_LEN 32
int idm_object_id_new(char prefix, char out[IDM_OBJECT_ID_LEN]);
/* An ID owned by action a: the same on every run of it; salt tells apart
 * two objects of one action. */
void idm_action_object_id(const struct idm_action *a, char prefix, unsigned salt,
			  char out[IDM_OBJECT_ID_LEN]);

#endif
