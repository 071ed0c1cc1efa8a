#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "idm_audit.h"
#include "idm_audit_store.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_log.h"
#include "idm_mods.h"
#include "idm_random.h"
#include "idm_text.h"
#include "idm_time.h"
#include "idm_i18n.h"

#define APPEND_TRIES 100

const char idm_audit_genesis[HASH_SIZE] =
	"0000000000000000000000000000000000000000000000000000000000000000";

static const char *const record_attrs[] = { "idmSeq",     "idmTime",    "idmActor",
					    "idmAction",  "idmSubject", "idmRequestId",
					    "idmOutcome", "idmDetail",  "idmPrevHash",
					    "idmHash",    NULL };

/* ------------------------------------------------------------ validation */

bool idm_audit_is_hash(const char *s)
{
	size_t i;

	for (i = 0; s && i < IDM_AUDIT_HASH_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s && i == IDM_AUDIT_HASH_LEN && s[i] == '\0';
}

/* A decimal without sign or leading zero, as this module writes it, below
 * LONG_MAX so that the number after it exists. */
static bool parse_seq(const char *s, long min, long *out)
{
	char *end;
	long v;

	if (!s || !(*s >= '0' && *s <= '9') || (s[0] == '0' && s[1]))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v == LONG_MAX)
		return false;
	*out = v;
	return true;
}

static bool is_ascii_token(const char *s, size_t max)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (s[n] < 0x20 || s[n] > 0x7e)
			return false;
	return n >= 1 && n <= max;
}

/* Well-formed UTF-8 (no overlong form, surrogate or code point beyond
 * U+10FFFF) without C0/C1 control characters, except tab and newline when
 * multiline. */
static bool is_text(const char *str, size_t max, bool multiline)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n = strlen(str);

	if (n < 1 || n > max)
		return false;
	while (i < n) {
		uint32_t cp;
		size_t len = idm_utf8_seq(s + i, n - i, &cp);

		if (len == 0 || (cp < 0x20 && !(multiline && (cp == '\t' || cp == '\n'))) ||
		    (cp >= 0x7f && cp <= 0x9f))
			return false;
		i += len;
	}
	return true;
}

static bool is_token(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == IDM_AUDIT_TOKEN_LEN;
}

static const char *opt(const char *s)
{
	return s && *s ? s : NULL;
}

int idm_audit_event_check(const struct idm_log *log, const struct idm_audit_event *ev)
{
	const char *bad = NULL;

	if (!ev->action || !idm_short_name(ev->action))
		bad = "action";
	else if (opt(ev->actor) && !is_text(ev->actor, 1024, false))
		bad = "actor";
	else if (opt(ev->subject) && !is_ascii_token(ev->subject, 64))
		bad = "subject";
	else if (opt(ev->request_id) && !is_ascii_token(ev->request_id, 64))
		bad = "request id";
	else if (!ev->outcome || !is_text(ev->outcome, 1024, false))
		bad = "outcome";
	else if (opt(ev->detail) && !is_text(ev->detail, 8192, true))
		bad = "detail";
	else if (opt(ev->token) && !is_token(ev->token))
		bad = "token";
	if (!bad)
		return IDM_OK;
	idm_logf(log, LOG_ERR, N_("audit record refused: invalid or missing %s"), bad);
	return IDM_EINVAL;
}

/* --------------------------------------------------------------- hashing */

static void put_field(struct sha256_ctx *c, const char *v)
{
	char len[24];

	if (!v || !*v) {
		sha256_update(c, 2, (const uint8_t *)"-,");
		return;
	}
	snprintf(len, sizeof(len), "%zu:", strlen(v));
	sha256_update(c, strlen(len), (const uint8_t *)len);
	sha256_update(c, strlen(v), (const uint8_t *)v);
	sha256_update(c, 1, (const uint8_t *)",");
}

int idm_hash_fields(const char *tag, const char *const *fields, size_t n,
		    char out[IDM_AUDIT_HASH_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, strlen(tag), (const uint8_t *)tag);
	for (size_t i = 0; i < n; i++)
		put_field(&c, fields[i]);
	sha256_digest(&c, sizeof(digest), digest);
	for (size_t i = 0; i < sizeof(digest); i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0xf];
	}
	out[IDM_AUDIT_HASH_LEN] = '\0';
	return IDM_OK;
}

int idm_audit_record_hash(const struct idm_audit_record *r, char out[IDM_AUDIT_HASH_LEN + 1])
{
	char seq[24], when[IDM_GENTIME_LEN];
	const char *fields[9];

	out[0] = '\0';
	if (r->seq < 1 || !opt(r->actor) || !opt(r->action) || !opt(r->outcome) ||
	    !opt(r->prev_hash))
		return IDM_EINVAL;
	snprintf(seq, sizeof(seq), "%ld", r->seq);
	idm_time_format(r->time, when);
	fields[0] = seq;
	fields[1] = when;
	fields[2] = r->actor;
	fields[3] = r->action;
	fields[4] = r->subject;
	fields[5] = r->request_id;
	fields[6] = r->outcome;
	fields[7] = r->detail;
	fields[8] = r->prev_hash;
	return idm_hash_fields("idmgr-audit-1:", fields, 9, out);
}

/* ---------------------------------------------------------- the entries */

int idm_audit_dns(const struct idm_config *cfg, char **ou, char **head)
{
	int r;

	*ou = *head = NULL;
	r = idm_dn_child(ou, "ou", "audit", cfg->ldap.idmgr_dn);
	if (r == IDM_OK)
		r = idm_dn_child(head, "cn", "head", *ou);
	return r;
}

static bool parse_head(const char *v, struct idm_audit_head *h)
{
	const char *sp = v ? strchr(v, ' ') : NULL;
	char seq[24];

	if (!sp || (size_t)(sp - v) >= sizeof(seq))
		return false;
	memcpy(seq, v, (size_t)(sp - v));
	seq[sp - v] = '\0';
	if (!parse_seq(seq, 0, &h->seq) || !idm_audit_is_hash(sp + 1))
		return false;
	memcpy(h->hash, sp + 1, HASH_SIZE);
	return true;
}

static void format_head(char *buf, size_t size, long seq, const char *hash)
{
	snprintf(buf, size, "%ld %s", seq, hash);
}

/* IDM_ENOENT when the head (or ou=audit) does not exist, IDM_EINVAL when
 * its value is malformed. */
int idm_audit_read_head(struct idm_dir *d, const char *head_dn, struct idm_audit_head *h)
{
	static const char *const attrs[] = { "idmHead", NULL };
	LDAPMessage *res = NULL, *e;
	char *v = NULL;
	int r;

	r = idm_dir_search(d, head_dn, LDAP_SCOPE_BASE, "(objectClass=idmAuditHead)", attrs, 1,
			   &res);
	if (r == IDM_OK) {
		e = ldap_first_entry(idm_dir_ldap(d), res);
		if (!e)
			r = IDM_ENOENT;
		else if (!(v = idm_entry_value(idm_dir_ldap(d), e, "idmHead")) || !parse_head(v, h))
			r = IDM_EINVAL;
	}
	free(v);
	ldap_msgfree(res);
	return r;
}

const char *idm_audit_anchor_parse(const char *text, struct idm_audit_head *out)
{
	const char *colon = text ? strchr(text, ':') : NULL;
	char seq[24], hash[HASH_SIZE];
	size_t i;

	if (!colon)
		return N_("not SEQ:HASH (a record number, a colon, 64 hexadecimal digits)");
	if ((size_t)(colon - text) >= sizeof(seq))
		return N_("the record number before the colon is not a whole number from 1");
	memcpy(seq, text, (size_t)(colon - text));
	seq[colon - text] = '\0';
	for (i = 0; colon[1 + i] && i < HASH_SIZE - 1; i++) /* capitals: the same hash */
		hash[i] = (char)(colon[1 + i] >= 'A' && colon[1 + i] <= 'F' ? colon[1 + i] + 32
									    : colon[1 + i]);
	hash[i] = '\0';
	if (!parse_seq(seq, 1, &out->seq))
		return N_("the record number before the colon is not a whole number from 1");
	if (colon[1 + i] || !idm_audit_is_hash(hash))
		return N_("the hash after the colon is not 64 hexadecimal digits (a SHA-256)");
	memcpy(out->hash, hash, HASH_SIZE);
	return NULL;
}

int idm_audit_head(struct idm_dir *d, const struct idm_config *cfg, struct idm_audit_head *out)
{
	char *ou = NULL, *head_dn = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	r = idm_audit_dns(cfg, &ou, &head_dn);
	if (r == IDM_OK)
		r = idm_audit_read_head(d, head_dn, out);
	if (r == IDM_EINVAL)
		idm_logf(idm_dir_log(d), LOG_ERR, N_("%s: malformed idmHead"), head_dn);
	free(ou);
	free(head_dn);
	return r;
}

/* The identity the server says this connection is bound as. */
static int whoami(struct idm_dir *d, char **out)
{
	struct berval *id = NULL;
	LDAP *ld = idm_dir_ldap(d);
	size_t skip = 0;
	int rc, r = IDM_OK;

	*out = NULL;
	if (!ld)
		return IDM_EUNAVAIL;
	rc = ldap_whoami_s(ld, &id, NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		idm_logf(idm_dir_log(d), LOG_ERR, "WhoAmI: %s", ldap_err2string(rc));
		r = IDM_EDIR;
		goto out;
	}
	if (id && id->bv_len >= 3 && strncasecmp(id->bv_val, "dn:", 3) == 0)
		skip = 3;
	if (!id || id->bv_len <= skip || memchr(id->bv_val, '\0', id->bv_len)) {
		idm_logf(idm_dir_log(d), LOG_ERR, N_("audit: an anonymous connection cannot act"));
		r = IDM_EDENIED;
		goto out;
	}
	*out = strndup(id->bv_val + skip, id->bv_len - skip);
	if (!*out)
		r = IDM_ENOMEM;
out:
	ber_bvfree(id);
	return r;
}

/* One modify: delete "from" and add "to".  The head is single-valued, so
 * the modify fails (noSuchAttribute) when another appender moved it. */
static int cas_head(struct idm_dir *d, const char *head_dn, const struct idm_audit_head *from,
		    long seq, const char *hash)
{
	char oldv[40 + HASH_SIZE], newv[40 + HASH_SIZE];
	struct idm_mods *m = idm_mods_new();
	int r;

	format_head(oldv, sizeof(oldv), from->seq, from->hash);
	format_head(newv, sizeof(newv), seq, hash);
	idm_mods_add(m, LDAP_MOD_DELETE, "idmHead", oldv);
	idm_mods_add(m, LDAP_MOD_ADD, "idmHead", newv);
	r = idm_dir_apply(d, head_dn, m);
	return r;
}

static int create_head(struct idm_dir *d, const char *head_dn)
{
	char v[40 + HASH_SIZE];
	struct idm_mods *m = idm_mods_new();
	int r;

	format_head(v, sizeof(v), 0, idm_audit_genesis);
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "idmAuditHead");
	idm_mods_add(m, LDAP_MOD_ADD, "cn", "head");
	idm_mods_add(m, LDAP_MOD_ADD, "idmHead", v);
	r = idm_dir_apply_add(d, head_dn, m);
	return r;
}

static int record_dn(const char *ou, long seq, char **dn)
{
	char v[24];

	snprintf(v, sizeof(v), "%ld", seq);
	return idm_dn_child(dn, "idmSeq", v, ou);
}

static int add_record(struct idm_dir *d, const char *ou, const struct idm_audit_record *rec,
		      const char *token)
{
	char seq[24], when[IDM_GENTIME_LEN], *dn = NULL;
	struct idm_mods *m = NULL;
	int r;

	r = record_dn(ou, rec->seq, &dn);
	if (r < 0)
		return r;
	snprintf(seq, sizeof(seq), "%ld", rec->seq);
	idm_time_format(rec->time, when);
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "idmAuditRecord");
	idm_mods_add(m, LDAP_MOD_ADD, "idmSeq", seq);
	idm_mods_add(m, LDAP_MOD_ADD, "idmTime", when);
	idm_mods_add(m, LDAP_MOD_ADD, "idmActor", rec->actor);
	idm_mods_add(m, LDAP_MOD_ADD, "idmAction", rec->action);
	if (opt(rec->subject))
		idm_mods_add(m, LDAP_MOD_ADD, "idmSubject", rec->subject);
	if (opt(rec->request_id))
		idm_mods_add(m, LDAP_MOD_ADD, "idmRequestId", rec->request_id);
	idm_mods_add(m, LDAP_MOD_ADD, "idmOutcome", rec->outcome);
	if (opt(rec->detail))
		idm_mods_add(m, LDAP_MOD_ADD, "idmDetail", rec->detail);
	idm_mods_add(m, LDAP_MOD_ADD, "idmPrevHash", rec->prev_hash);
	idm_mods_add(m, LDAP_MOD_ADD, "idmHash", rec->hash);
	idm_mods_add(m, LDAP_MOD_ADD, "idmToken", token);
	r = idm_dir_apply_add(d, dn, m);
	free(dn);
	return r;
}

/* Sequence number (seq may be NULL) and hash of the one record that
 * filter finds from base: IDM_ENOENT none, IDM_EINVAL unreadable. */
static int read_one(struct idm_dir *d, const char *base, int scope, const char *filter, long *seq,
		    char hash[HASH_SIZE])
{
	static const char *const attrs[] = { "idmSeq", "idmHash", NULL };
	LDAPMessage *res = NULL, *e;
	char *v = NULL, *h = NULL;
	long n = 0;
	int r = idm_dir_search(d, base, scope, filter, attrs, 1, &res);

	if (r == IDM_OK) {
		e = ldap_first_entry(idm_dir_ldap(d), res);
		v = e ? idm_entry_value(idm_dir_ldap(d), e, "idmSeq") : NULL;
		h = e ? idm_entry_value(idm_dir_ldap(d), e, "idmHash") : NULL;
		if (!e)
			r = IDM_ENOENT;
		else if (!parse_seq(v, 1, &n) || !idm_audit_is_hash(h))
			r = IDM_EINVAL;
		else
			memcpy(hash, h, HASH_SIZE);
		if (r == IDM_OK && seq)
			*seq = n;
	}
	free(v);
	free(h);
	ldap_msgfree(res);
	return r;
}

/* The stored hash of record seq (for helping a slower appender). */
static int read_record_hash(struct idm_dir *d, const char *ou, long seq, char hash[HASH_SIZE])
{
	char *dn = NULL;
	int r = record_dn(ou, seq, &dn);

	if (r == IDM_OK)
		r = read_one(d, dn, LDAP_SCOPE_BASE, RECORD_FILTER, NULL, hash);
	free(dn);
	return r;
}

/* The record carrying token: IDM_OK with *seq (may be NULL), IDM_ENOENT
 * when none does. */
static int find_token(struct idm_dir *d, const struct idm_config *cfg, const char *token, long *seq,
		      char hash[IDM_AUDIT_HASH_LEN + 1])
{
	char *ou = NULL, *head_dn = NULL, *filter = NULL, mine[HASH_SIZE];
	int r = idm_audit_dns(cfg, &ou, &head_dn);

	if (r == IDM_OK)
		r = idm_filter_fmt(&filter, "(&" RECORD_FILTER "(idmToken=%s))", token);
	if (r == IDM_OK)
		r = read_one(d, ou, LDAP_SCOPE_ONELEVEL, filter, seq, mine);
	if (r == IDM_OK && hash)
		memcpy(hash, mine, HASH_SIZE);
	free(filter);
	free(ou);
	free(head_dn);
	return r;
}

int idm_audit_append(struct idm_dir *d, const struct idm_config *cfg,
		     const struct idm_audit_event *ev, long *seq, char hash[IDM_AUDIT_HASH_LEN + 1])
{
	const struct idm_log *log = idm_dir_log(d);
	struct idm_audit_record rec = { 0 };
	char *ou = NULL, *head_dn = NULL, *actor = NULL, mine[HASH_SIZE];
	char token[IDM_AUDIT_TOKEN_LEN + 1];
	int r, tries, hidden_head = 0;

	if (seq)
		*seq = 0;
	if (hash)
		hash[0] = '\0';
	r = idm_audit_event_check(log, ev);
	if (r == IDM_OK && opt(ev->token)) {
		memcpy(token, ev->token, sizeof(token));
		r = find_token(d, cfg, token, seq, hash);
		if (r == IDM_OK)
			return r; /* recorded before */
		if (r == IDM_ENOENT)
			r = IDM_OK;
	} else if (r == IDM_OK) {
		r = idm_audit_new_token(token);
	}
	if (r == IDM_OK)
		r = idm_audit_dns(cfg, &ou, &head_dn);
	if (r == IDM_OK && ev->actor && *ev->actor && !(actor = strdup(ev->actor)))
		r = IDM_ENOMEM;
	if (r == IDM_OK && !actor)
		r = whoami(d, &actor);
	if (r < 0)
		goto out;
	rec.actor = actor;
	rec.action = (char *)ev->action;
	rec.subject = (char *)opt(ev->subject);
	rec.request_id = (char *)opt(ev->request_id);
	rec.outcome = (char *)ev->outcome;
	rec.detail = (char *)opt(ev->detail);
	for (tries = 0; tries < APPEND_TRIES; tries++) {
		struct idm_audit_head h;
		char next[HASH_SIZE];

		r = idm_audit_read_head(d, head_dn, &h);
		if (r == IDM_ENOENT) {
			/* Already there once means another appender made it; twice,
			 * that this identity cannot see it. */
			r = create_head(d, head_dn);
			if (r == IDM_EEXIST && hidden_head++) {
				idm_logf(log, LOG_ERR, N_("audit: %s cannot be read"), head_dn);
				r = IDM_EDENIED;
			}
			if (r < 0 && r != IDM_EEXIST)
				goto out;
			continue;
		}
		if (r == IDM_EINVAL) {
			idm_logf(log, LOG_ERR, N_("%s: malformed idmHead; run idmgr audit verify"),
				 head_dn);
			r = IDM_EDIR;
		}
		if (r < 0)
			goto out;
		rec.seq = h.seq + 1;
		rec.time = time(NULL);
		rec.prev_hash = h.hash;
		rec.hash = mine;
		r = idm_audit_record_hash(&rec, mine);
		if (r == IDM_OK)
			r = add_record(d, ou, &rec, token);
		if (r == IDM_OK) {
			/* Failure here means another appender already moved the
			 * head for us; any other trouble leaves the head one
			 * behind, which the next append repairs. */
			int moved = cas_head(d, head_dn, &h, rec.seq, mine);
			if (moved < 0 && moved != IDM_ENOVALUE)
				idm_logf(log, LOG_WARNING,
					 N_("audit record %ld written, head not moved"), rec.seq);
			if (seq)
				*seq = rec.seq;
			if (hash)
				memcpy(hash, mine, HASH_SIZE);
			goto out;
		}
		if (r != IDM_EEXIST)
			goto out;
		/* Record h.seq + 1 exists but the head was not moved yet: move it
		 * for whoever wrote it, then try the next number. */
		r = read_record_hash(d, ou, h.seq + 1, next);
		if (r == IDM_EINVAL) {
			idm_logf(log, LOG_ERR,
				 N_("audit record %ld is damaged and blocks the trail; run idmgr audit "
				    "verify"),
				 h.seq + 1);
			r = IDM_EDIR;
		}
		if (r == IDM_OK)
			(void)cas_head(d, head_dn, &h, h.seq + 1, next);
		else if (r != IDM_ENOENT)
			goto out; /* ENOENT: deleted meanwhile, or hidden; try again */
	}
	idm_logf(log, LOG_ERR, N_("audit: gave up appending after %d tries (head %s stuck?)"),
		 APPEND_TRIES, head_dn);
	r = IDM_EDIR;
out:
	free(actor);
	free(ou);
	free(head_dn);
	return r;
}

int idm_audit_new_token(char out[IDM_AUDIT_TOKEN_LEN + 1])
{
	return idm_random_hex(out, IDM_AUDIT_TOKEN_LEN / 2);
}

/* ------------------------------------------------------- reading records */

/* A paged walk of every record (one page in memory at a time). */
int idm_audit_walk_records(struct idm_dir *d, const char *ou, const char *filter,
			   idm_dir_entry_fn each, void *ctx)
{
	int r = idm_dir_search_paged(d, ou, LDAP_SCOPE_ONELEVEL, filter, record_attrs, PAGE_SIZE,
				     each, ctx);

	if (r == IDM_ELIMIT) {
		idm_logf(idm_dir_log(d), LOG_ERR,
			 N_("the directory will not page this identity through the whole audit "
			    "trail; allow it (slapd: limits ... size.prtotal=unlimited)"));
		r = IDM_EDIR;
	}
	return r;
}

void idm_audit_record_clear(struct idm_audit_record *r)
{
	free(r->actor);
	free(r->action);
	free(r->subject);
	free(r->request_id);
	free(r->outcome);
	free(r->detail);
	free(r->prev_hash);
	free(r->hash);
	memset(r, 0, sizeof(*r));
}

/* Fills r from an entry (a value that cannot be read is NULL); *why says
 * what is malformed, or is NULL.  r->seq is 0 when unreadable. */
void idm_audit_record_from_entry(LDAP *ld, LDAPMessage *e, struct idm_audit_record *r,
				 const char **why)
{
	char *seq = idm_entry_value(ld, e, "idmSeq"), *when = idm_entry_value(ld, e, "idmTime");
	char canon[IDM_GENTIME_LEN];

	memset(r, 0, sizeof(*r));
	*why = NULL;
	r->actor = idm_entry_value(ld, e, "idmActor");
	r->action = idm_entry_value(ld, e, "idmAction");
	r->subject = idm_entry_value(ld, e, "idmSubject");
	r->request_id = idm_entry_value(ld, e, "idmRequestId");
	r->outcome = idm_entry_value(ld, e, "idmOutcome");
	r->detail = idm_entry_value(ld, e, "idmDetail");
	r->prev_hash = idm_entry_value(ld, e, "idmPrevHash");
	r->hash = idm_entry_value(ld, e, "idmHash");
	if (!parse_seq(seq, 1, &r->seq)) {
		r->seq = 0;
		*why = "sequence number unreadable";
	} else if (!when || idm_time_parse(when, &r->time) < 0 ||
		   (idm_time_format(r->time, canon), strcmp(canon, when) != 0)) {
		*why = "time unreadable";
	} else if (!r->actor || !r->action || !r->outcome) {
		*why = "a required field is missing";
	} else if (!idm_audit_is_hash(r->prev_hash) || !idm_audit_is_hash(r->hash)) {
		*why = "hash unreadable";
	}
	free(seq);
	free(when);
}

struct list_ctx {
	struct idm_audit_record *recs;
	size_t n, size;
};

static int list_entry(void *vctx, LDAP *ld, LDAPMessage *e)
{
	struct list_ctx *c = vctx;
	const char *why;

	if (c->n == c->size) {
		size_t size = c->size ? 2 * c->size : 64;
		struct idm_audit_record *grown = realloc(c->recs, size * sizeof(*grown));

		if (!grown)
			return IDM_ENOMEM;
		c->recs = grown;
		c->size = size;
	}
	idm_audit_record_from_entry(ld, e, &c->recs[c->n++], &why);
	return IDM_OK;
}

static int by_seq(const void *a, const void *b)
{
	long x = ((const struct idm_audit_record *)a)->seq;
	long y = ((const struct idm_audit_record *)b)->seq;

	return (x > y) - (x < y);
}

int idm_audit_list(struct idm_dir *d, const struct idm_config *cfg, time_t since,
		   int (*each)(void *ctx, const struct idm_audit_record *r), void *ctx)
{
	struct list_ctx c = { 0 };
	char *ou = NULL, *head_dn = NULL, *filter = NULL, when[IDM_GENTIME_LEN];
	int r;

	idm_time_format(since > 0 ? since : 0, when);
	r = idm_audit_dns(cfg, &ou, &head_dn);
	if (r == IDM_OK)
		r = since > 0 ? idm_filter_fmt(&filter, "(&" RECORD_FILTER "(idmTime>=%s))", when)
			      : idm_filter_fmt(&filter, RECORD_FILTER);
	if (r == IDM_OK)
		r = idm_audit_walk_records(d, ou, filter, list_entry, &c);
	if (r == IDM_OK) {
		if (c.n)
			qsort(c.recs, c.n, sizeof(*c.recs), by_seq);
		for (size_t i = 0; i < c.n && r == IDM_OK; i++)
			r = each(ctx, &c.recs[i]);
	}
	for (size_t i = 0; i < c.n; i++)
		idm_audit_record_clear(&c.recs[i]);
	free(c.recs);
	free(filter);
	free(ou);
	free(head_dn);
	return r;
}
