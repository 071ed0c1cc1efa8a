/* idm_dir.h -- directory access: one connection to the first LDAP server of
 * the configured URI list that answers, bound as one identity.
 *
 * Every operation has the configured timeout (libldap waits for ever by
 * default).  libldap fails over only when a connection cannot be made; here
 * a server that accepts and then dies or hangs during an operation is left
 * too: the connection moves on to the next URI, binds again and retries the
 * operation once per remaining server.  No server answering is
 * IDM_EUNAVAIL; wrong credentials IDM_EAUTH.  A write that a read-only
 * replica refuses (a referral, or "shadow context") is made on the next
 * server instead, where the connection then stays: reads go to any
 * server, writes to one that takes them.  The bind password is kept
 * (for those rebinds) only until idm_dir_close(), which wipes it. */
#ifndef IDM_DIR_H
#define IDM_DIR_H

#include <ldap.h>
#include <stdbool.h>
#include <time.h>

#include "idm_config.h"
#include "idm_log.h"

struct idm_dir;

/* Connects and binds as dn with password (simple bind).  dn == NULL binds
 * anonymously.  An empty password with a DN is refused (IDM_EINVAL) before
 * any bind: RFC 4513 makes it an unauthenticated bind that "succeeds". */
int idm_dir_open(const struct idm_config *cfg, const struct idm_log *log, const char *dn,
		 const char *password, struct idm_dir **out);
/* The same, reporting the password-policy response control of the bind:
 * *ppolicy is an LDAPPasswordPolicyError (PP_changeAfterReset,
 * PP_accountLocked, ...) or -1 when the server sent none or no error. */
int idm_dir_open_pp(const struct idm_config *cfg, const struct idm_log *log, const char *dn,
		    const char *password, int *ppolicy, struct idm_dir **out);
/* idm_dir_open_pp() trying first the server near is connected to (near
 * NULL or not connected: as idm_dir_open_pp()).  A login checks the
 * password where its attempt was just written: a server that takes
 * writes, not a read-only replica, which may hold an old password for a
 * while after a change and records neither the failure nor the success
 * of a bind where the lockout rules read them. */
int idm_dir_open_near(const struct idm_dir *near, const struct idm_config *cfg,
		      const struct idm_log *log, const char *dn, const char *password, int *ppolicy,
		      struct idm_dir **out);
/* Binds as a service identity whose secret is in secret_file; a refused
 * secret is a bad configuration (IDM_ECONFIG, logged). */
int idm_dir_open_identity(const struct idm_config *cfg, const struct idm_log *log, const char *dn,
			  const char *secret_file, struct idm_dir **out);
/* Binds as the hosts' service identity (bind_dn + bind_password_file). */
int idm_dir_open_service(const struct idm_config *cfg, const struct idm_log *log,
			 struct idm_dir **out);
void idm_dir_close(struct idm_dir *d);

/* idmgrd's fence (idm_writer.h): when set, fn is called before every write
 * of a connection bound as dn, unless that connection was unfenced; a write
 * it refuses (any result but IDM_OK) is not sent and answers
 * IDM_EUNAVAIL.  Set once, before any thread starts; never in the PAM
 * module or the command. */
typedef int (*idm_dir_fence_fn)(struct idm_dir *d, void *ctx);
void idm_dir_set_fence(const char *dn, idm_dir_fence_fn fn, void *ctx);
/* The lease's own connection: its writes are the lease, not fenced. */
void idm_dir_unfence(struct idm_dir *d);

LDAP *idm_dir_ldap(struct idm_dir *d);
const struct idm_log *idm_dir_log(const struct idm_dir *d);
/* Where d's messages go from now on (a connection kept for reuse by the
 * next caller, idmgrd's pool: idm_dirpool.h). */
void idm_dir_set_log(struct idm_dir *d, const struct idm_log *log);
/* An idle connection still open: the server has sent nothing on it (an
 * end of file, a notice of disconnection) since its last answer. */
bool idm_dir_idle_ok(struct idm_dir *d);
/* The URI of the server now in use. */
const char *idm_dir_uri(const struct idm_dir *d);

/* Synchronous search; *res must be freed with ldap_msgfree() (also on
 * error).  sizelimit 0: none.  IDM_ENOENT when base does not exist,
 * IDM_ELIMIT when more entries than sizelimit (or the server's limit)
 * match. */
int idm_dir_search(struct idm_dir *d, const char *base, int scope, const char *filter,
		   const char *const *attrs, int sizelimit, LDAPMessage **res);

/* Paged search (RFC 2696, page_size entries a page): calls each() on every
 * entry; a negative return from each() stops the search and is returned. */
typedef int (*idm_dir_entry_fn)(void *ctx, LDAP *ld, LDAPMessage *entry);
int idm_dir_search_paged(struct idm_dir *d, const char *base, int scope, const char *filter,
			 const char *const *attrs, int page_size, idm_dir_entry_fn each, void *ctx);

/* A paged search whose entries are decoded into objects, sorted and then
 * passed to each() in order; the objects are released afterwards.  For
 * listings people read (requests, exceptions): memory grows with the
 * entries listed.  decode() returns NULL for an entry to skip. */
struct idm_sorted_listing {
	void *(*decode)(LDAP *ld, LDAPMessage *entry);
	int (*cmp)(const void *a, const void *b); /* on pointers to objects */
	void (*release)(void *object);
	int (*each)(void *ctx, const void *object);
	void *ctx;
};
int idm_dir_search_sorted(struct idm_dir *d, const char *base, int scope, const char *filter,
			  const char *const *attrs, const struct idm_sorted_listing *l);

/* One modify operation: all changes apply or none (atomic in LDAP).
 * The directory's "already so" answers are results of their own, for
 * compare-and-swap callers and idempotent effects to judge:
 * IDM_ENOVALUE a value to delete is not there (a swap lost), IDM_EEXIST a
 * value to add is there already, IDM_ESCHEMA the schema or a constraint
 * refused the change.
 *
 * Retrying is safe: when a server fails during a write (timeout, BUSY,
 * connection lost) it may have applied it, so when the retry on the next
 * server answers "already so" the entry is read back, and a write whose
 * every change is found in place counts as done (IDM_OK).  A change whose
 * result another writer could produce just as well (a counter) carries a
 * unique value (idmToken) so that the read-back tells the two apart. */
int idm_dir_modify(struct idm_dir *d, const char *dn, LDAPMod **mods);
/* A modify sent without waiting for its answer, for a write that may
 * proceed while the caller makes a request on another connection: no
 * failover, no retry (for writes whose failure the caller ignores or
 * handles itself).  *msgid for idm_dir_modify_wait(), which waits for the
 * answer within the timeout. */
int idm_dir_modify_send(struct idm_dir *d, const char *dn, LDAPMod **mods, int *msgid);
int idm_dir_modify_wait(struct idm_dir *d, int msgid);
/* Builds nothing itself: modifies dn with m (NULL or failed builder:
 * IDM_ENOMEM, never a silent success), then frees m. */
struct idm_mods;
int idm_dir_apply(struct idm_dir *d, const char *dn, struct idm_mods *m);
/* An add retried after a failure is IDM_OK when the entry found holds
 * every value of mods; a delete retried, when the entry is gone. */
int idm_dir_add(struct idm_dir *d, const char *dn, LDAPMod **mods);
/* A modify with the relax control (RFC draft-zeilenga-ldap-relax): lets
 * the directory administrator set what slapd otherwise keeps itself
 * (pwdChangedTime, pwdHistory), for "idmgr init" moving an older release's
 * state. */
int idm_dir_modify_relax(struct idm_dir *d, const char *dn, LDAPMod **mods);
/* A password change as slapd's ppolicy overlay expects it from the user:
 * one modify replacing userPassword by the new password in clear (len
 * bytes), nothing else; slapd checks and hashes it.  *pperr is the
 * LDAPPasswordPolicyError of the refusal (PP_passwordInHistory,
 * PP_passwordTooYoung, PP_insufficientPasswordQuality, ...) or -1; *text
 * the server's message (malloc'ed) or NULL.  Sent once, never retried on
 * another server. */
int idm_dir_password_modify(struct idm_dir *d, const char *dn, const char *password, size_t len,
			    int *pperr, char **text);
/* Compare-and-swap of one value: one modify deleting from and adding to,
 * which fails when from is no longer there: IDM_ESTATE (someone else moved
 * it first; holds on one provider, see slapd-facts.md). */
int idm_dir_swap(struct idm_dir *d, const char *dn, const char *attr, const char *from,
		 const char *to);

/* idm_dir_add() with a builder, which it frees (IDM_ENOMEM when it failed). */
int idm_dir_apply_add(struct idm_dir *d, const char *dn, struct idm_mods *m);
int idm_dir_delete(struct idm_dir *d, const char *dn);

/* An entry as read back by the post-read control (RFC 4527). */
struct idm_attr {
	char *name;
	char **vals; /* NULL-terminated */
	size_t n;
};
struct idm_entry {
	char *dn;
	struct idm_attr *attrs;
	size_t n;
};
const struct idm_attr *idm_entry_attr(const struct idm_entry *e, const char *name);
/* First value of name, or NULL. */
const char *idm_entry_first(const struct idm_entry *e, const char *name);
void idm_entry_free(struct idm_entry *e);

/* One modify operation that also returns the entry as it was right after
 * this very change (post-read control): what concurrent writers did before
 * it is in, what they did after is not.  attrs may name operational
 * attributes such as modifyTimestamp (the server's clock).  Retried like
 * idm_dir_modify(); a change found in place after a retry (an increment
 * counts when the values the same change added are there) returns the
 * entry as it is then, which may hold later changes too. */
int idm_dir_modify_read(struct idm_dir *d, const char *dn, LDAPMod **mods, const char *const *attrs,
			struct idm_entry **out);

/* The directory server's clock: one modify without net change (adding
 * and deleting one throw-away value of attr, which d must be allowed to
 * write on dn, so nothing a concurrent writer does is lost) whose
 * modifyTimestamp is read back (post-read control). */
int idm_dir_server_time(struct idm_dir *d, const char *dn, const char *attr, time_t *now);

/* Does the entry exist? IDM_OK yes, IDM_ENOENT no, or an error. */
int idm_dir_exists(struct idm_dir *d, const char *dn);

/* The entry at dn with attrs as it is now (a base search). */
int idm_entry_read(struct idm_dir *d, const char *dn, const char *const *attrs,
		   struct idm_entry **out);
/* Decodes a post-read control's value (idm_entry.c, for idm_dir.c). */
int idm_entry_parse_read(const struct berval *value, struct idm_entry **out);

/* First value of attr in entry, malloc'ed, or NULL. */
char *idm_entry_value(LDAP *ld, LDAPMessage *entry, const char *attr);
/* The first value of attr as a GeneralizedTime; 0 when absent or not one. */
time_t idm_entry_time(LDAP *ld, LDAPMessage *entry, const char *attr);
/* Whether the first value of attr is the LDAP boolean TRUE. */
bool idm_entry_true(LDAP *ld, LDAPMessage *entry, const char *attr);
/* Every value of attr in entry (idm_strv_from_bervals()). */
int idm_entry_values(LDAP *ld, LDAPMessage *entry, const char *attr, char ***out, size_t *n);
struct idm_mods;
/* Adds to m a replace of each names[i] whose first value in entry is not
 * want[i] (compared without case); whether it added any. */
bool idm_entry_replace_differing(LDAP *ld, LDAPMessage *entry, struct idm_mods *m,
				 const char *const *names, const char *const *want, size_t n);

#endif
