/* idm_audit.h -- the tamper-evident audit trail (R-AUD-1, R-AUD-2, R-REV-1).
 *
 * Every operator action is one record under ou=audit,<idmgr_dn>, named
 * idmSeq=N: the RDN makes sequence numbers unique, so two appenders can never
 * both write record N and the chain cannot fork.  Each record holds the hash
 * of the one before it (record 1: 64 zeros) and its own hash, hex SHA-256 of
 * this serialization, which an auditor can recompute with any SHA-256 tool:
 *
 *     "idmgr-audit-1:" then, in this order, seq (decimal, no leading zero),
 *     time (YYYYMMDDHHMMSSZ, UTC), actor, action, subject, request id,
 *     outcome, detail and previous hash, each as LEN ":" BYTES "," (LEN the
 *     decimal byte count) or, for an absent optional field, as "-,".
 *
 * cn=head,ou=audit,<idmgr_dn> (idmAuditHead) holds "SEQ HASH" of the newest
 * record.  Appending is lock-free: add record head+1, then move the head with
 * a compare-and-swap (one modify deleting the old value and adding the new);
 * an appender that finds record head+1 already there moves the head for the
 * one that added it ("helping") and tries again.  A crash between the two
 * steps leaves the head one record behind, which is a normal state that the
 * next append completes.
 *
 * What the chain proves: an edited, deleted, inserted or reordered record,
 * or a head that names no record, is found and named by idm_audit_verify().
 * What it cannot prove on its own: whoever may write the whole trail can
 * rewrite it from some record on, hashes included, or drop the newest record
 * and move the head back by one.  Against that, keep a head read earlier
 * (idm_audit_head(), printed in reports) somewhere else and pass it to
 * idm_audit_verify() as an anchor. */
#ifndef IDM_AUDIT_H
#define IDM_AUDIT_H

#include <time.h>

#include "idm_config.h"
#include "idm_dir.h"
#include "idm_log.h"

#define IDM_AUDIT_HASH_LEN 64 /* hex digits of a SHA-256 */

/* What an operator did.  The record names the actor given (the officer the
 * service authenticated) or else the identity the directory says the
 * connection is bound as (WhoAmI, RFC 4532).  Empty optional fields count as
 * absent.  action: 1-64 of [a-z0-9-] (submit, approve, reject, apply,
 * unlock, reset-password, suspend, exception-add, sweep, ...); subject and
 * request_id: 1-64 printable ASCII; outcome ("done" or "refused: RULE"):
 * UTF-8 of at most 1024 bytes without control characters; detail: UTF-8 of
 * at most 8192 bytes, tabs and newlines allowed.  Anything else is
 * IDM_EINVAL before any directory call. */
struct idm_audit_event {
	/* The DN of the officer idmgrd authenticated, on whose behalf the
	 * connection (bound as the service) acts; NULL: the bound identity
	 * itself.  Only the service's identity may write the trail (ACLs), and
	 * audit verify checks that every record's server-set creatorsName is
	 * that identity, so no client can name an actor. */
	const char *actor;
	const char *action;
	const char *subject;    /* uid the action was about, or NULL */
	const char *request_id; /* or NULL */
	const char *outcome;
	const char *detail; /* or NULL */
	/* Names this event: 16 of [0-9a-f] (idm_action.h), or NULL for a fresh
	 * random one.  Stored in the record as idmToken, outside the hash: it
	 * is what makes appending safe to repeat, not evidence. */
	const char *token;
};

#define IDM_AUDIT_TOKEN_LEN 16

/* IDM_OK, or IDM_EINVAL (logged) for an event append would refuse. */
int idm_audit_event_check(const struct idm_log *log, const struct idm_audit_event *ev);

/* Appends one record as the identity d is bound as, creating the head on
 * first use.  An event is recorded once: when a record with its token is
 * in the trail already (an earlier run, or a server that failed after
 * writing it), nothing is appended and that record is reported.  On
 * success *seq and hash (either may be NULL) tell what was written.
 * IDM_EINVAL for an invalid event, IDM_ENOENT when ou=audit does not
 * exist (idmgr init makes it), IDM_EDENIED when the identity may not write
 * the trail, IDM_EDIR when the head or the record after it is damaged or
 * the head could not be moved in 100 tries; details are logged. */
int idm_audit_append(struct idm_dir *d, const struct idm_config *cfg,
		     const struct idm_audit_event *ev, long *seq, char hash[IDM_AUDIT_HASH_LEN + 1]);

/* One record as stored.  In a damaged trail any field may be NULL. */
struct idm_audit_record {
	long seq;
	time_t time;
	char *actor, *action, *subject, *request_id, *outcome, *detail;
	char *prev_hash, *hash;
};

/* Hex SHA-256 of tag followed by each field as LEN ":" BYTES "," (an absent
 * or empty one as "-,"), the serialization above; for other objects that
 * are hashed the same way (a request, idm_request_hash()). */
int idm_hash_fields(const char *tag, const char *const *fields, size_t n,
		    char out[IDM_AUDIT_HASH_LEN + 1]);

/* The canonical hash of r (above) from its fields, ignoring r->hash.
 * IDM_EINVAL when seq < 1 or a required field is missing. */
int idm_audit_record_hash(const struct idm_audit_record *r, char out[IDM_AUDIT_HASH_LEN + 1]);

/* Calls each() for every record with time >= since (0: all), in seq order;
 * a negative return from each() stops the listing and is returned.  A
 * record passed is valid only during the call.  Memory grows with the
 * number of records listed (they are sorted); verification does not. */
int idm_audit_list(struct idm_dir *d, const struct idm_config *cfg, time_t since,
		   int (*each)(void *ctx, const struct idm_audit_record *r), void *ctx);

/* The head as stored (seq 0 and 64 zeros before the first record is
 * complete): IDM_ENOENT when no record was ever appended, IDM_EINVAL when
 * it is malformed.  Published somewhere else, it is an anchor for later
 * verifications. */
struct idm_audit_head {
	long seq;
	char hash[IDM_AUDIT_HASH_LEN + 1];
};
int idm_audit_head(struct idm_dir *d, const struct idm_config *cfg, struct idm_audit_head *out);

/* An anchor as an officer gives it, "SEQ:HASH" (a head published earlier:
 * the record number and its 64 hex digits, capitals accepted), into out:
 * NULL, or why it is not one (an English sentence, a msgid: translate it
 * where it is shown). */
const char *idm_audit_anchor_parse(const char *text, struct idm_audit_head *out);

/* A fresh random token. */
int idm_audit_new_token(char out[IDM_AUDIT_TOKEN_LEN + 1]);

/* A problem verification found: problem->text the English sentence, and
 * problem->fmt (a msgid) with problem->args for a reader's language
 * (idm_log_render(); nargs -1: the text only).  Valid during the call. */
typedef void (*idm_audit_report_fn)(void *ctx, long seq, const struct idm_log_kept *problem);

/* Walks every record (a paged search: memory stays at one page plus what a
 * damaged trail needs to describe its damage), recomputes each hash, checks
 * each link to the record before, that the records are 1..N without gaps,
 * that the head names the last record with its hash and, when anchor is not
 * NULL, that record anchor->seq still has anchor->hash.  Each problem is
 * passed to report() (may be NULL) as one sentence naming the record, e.g.
 * "record 7: contents do not match its hash (edited)", with seq the record
 * it is about (0 when none).  Records appended during the walk are allowed.
 * *n_records (may be NULL) counts the records checked.  Returns IDM_OK when
 * the trail is intact, IDM_ESTATE when a problem was reported, IDM_ENOENT
 * without ou=audit, or an error of the directory (IDM_EDIR also when the
 * server will not page this identity through every record: slapd's
 * size.prtotal limit, which defaults to its size limit of 500). */
int idm_audit_verify(struct idm_dir *d, const struct idm_config *cfg,
		     const struct idm_audit_head *anchor, idm_audit_report_fn report, void *ctx,
		     long *n_records);

/* The trail's writers (threat model 3, R-AUD-1): every record must have
 * been written, and never modified, by idmgrd's identity (service.bind_dn,
 * compared without regard to case with the server-set creatorsName and
 * modifiersName), the head moved by it only, and no record may hold a
 * control character (the detail may hold tabs and newlines).  Each problem
 * goes to report() as one sentence; IDM_OK, IDM_ESTATE when one was
 * reported, or an error of the directory.  With no service configured it
 * checks nothing. */
int idm_audit_verify_writers(struct idm_dir *d, const struct idm_config *cfg,
			     idm_audit_report_fn report, void *ctx, long *n_problems);

#endif
