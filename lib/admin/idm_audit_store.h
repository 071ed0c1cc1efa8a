/* idm_audit_store.h -- the trail's entries as stored (internal).
 *
 * What the appender (idm_audit.c) and the verifier (idm_audit_verify.c) both
 * read: where the trail lives, the record filter and page size, the first
 * record's "previous hash", the head entry, and records read from entries.
 * Used only by those two files; everyone else goes through idm_audit.h. */
#ifndef IDM_AUDIT_STORE_H
#define IDM_AUDIT_STORE_H

#include <stdbool.h>

#include "idm_audit.h"
#include "idm_dir.h"

#define PAGE_SIZE 200
#define HASH_SIZE (IDM_AUDIT_HASH_LEN + 1)
#define RECORD_FILTER "(objectClass=idmAuditRecord)"

/* Record 1's previous hash: 64 zeros. */
extern const char idm_audit_genesis[HASH_SIZE];

/* 64 lower-case hex digits (s may be NULL). */
bool idm_audit_is_hash(const char *s);

/* ou=audit,<idmgr_dn> and cn=head below it (both NULL on error). */
int idm_audit_dns(const struct idm_config *cfg, char **ou, char **head);

/* IDM_ENOENT when the head (or ou=audit) does not exist, IDM_EINVAL when
 * its value is malformed. */
int idm_audit_read_head(struct idm_dir *d, const char *head_dn, struct idm_audit_head *h);

/* A paged walk of every record under ou matching filter. */
int idm_audit_walk_records(struct idm_dir *d, const char *ou, const char *filter,
			   idm_dir_entry_fn each, void *ctx);

void idm_audit_record_clear(struct idm_audit_record *r);

/* Fills r from an entry (a value that cannot be read is NULL); *why says
 * what is malformed, or is NULL.  r->seq is 0 when unreadable. */
void idm_audit_record_from_entry(LDAP *ld, LDAPMessage *e, struct idm_audit_record *r,
				 const char **why);

#endif
