#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nettle/sha2.h>

#include "idm_audit.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_log.h"
#include "idm_mods.h"
#include "idm_random.h"
#include "idm_time.h"

#define APPEND_TRIES 100
#define PAGE_SIZE 200
#define HASH_SIZE (IDM_AUDIT_HASH_LEN + 1)
#define RECORD_FILTER "(objectClass=idmAuditRecord)"

static const char GENESIS[HASH_SIZE] =
	"0000000000000000000000000000000000000000000000000000000000000000";

static const char *const record_attrs[] = { "idmSeq",	   "idmTime",	  "idmActor",
					    "idmAction",   "idmSubject",  "idmRequestId",
					    "idmOutcome",  "idmDetail",	  "idmPrevHash",
					    "idmHash",	   NULL };

/* ------------------------------------------------------------ validation */

static bool is_hash(const char *s)
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

static bool is_action(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '-'))
			return false;
	return n >= 1 && n <= 64;
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
		unsigned c = s[i], cp, len;

		if (c < 0x80) {
			if ((c < 0x20 && !(multiline && (c == '\t' || c == '\n'))) || c == 0x7f)
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return false;
		if (i + len > n)
			return false;
		for (unsigned k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0x80 && cp <= 0x9f))
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

	if (!ev->action || !is_action(ev->action))
		bad = "action";
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
	idm_logf(log, LOG_ERR, "audit record refused: invalid or missing %s", bad);
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

int idm_audit_record_hash(const struct idm_audit_record *r, char out[IDM_AUDIT_HASH_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t digest[SHA256_DIGEST_SIZE];
	char seq[24], when[IDM_GENTIME_LEN];
	struct sha256_ctx c;

	out[0] = '\0';
	if (r->seq < 1 || !opt(r->actor) || !opt(r->action) || !opt(r->outcome) ||
	    !opt(r->prev_hash))
		return IDM_EINVAL;
	snprintf(seq, sizeof(seq), "%ld", r->seq);
	idm_time_format(r->time, when);
	sha256_init(&c);
	sha256_update(&c, 14, (const uint8_t *)"idmgr-audit-1:");
	put_field(&c, seq);
	put_field(&c, when);
	put_field(&c, r->actor);
	put_field(&c, r->action);
	put_field(&c, r->subject);
	put_field(&c, r->request_id);
	put_field(&c, r->outcome);
	put_field(&c, r->detail);
	put_field(&c, r->prev_hash);
	sha256_digest(&c, sizeof(digest), digest);
	for (size_t i = 0; i < sizeof(digest); i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0xf];
	}
	out[IDM_AUDIT_HASH_LEN] = '\0';
	return IDM_OK;
}

/* ---------------------------------------------------------- the entries */

static int audit_dns(const struct idm_config *cfg, char **ou, char **head)
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
	if (!parse_seq(seq, 0, &h->seq) || !is_hash(sp + 1))
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
static int read_head(struct idm_dir *d, const char *head_dn, struct idm_audit_head *h)
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

int idm_audit_head(struct idm_dir *d, const struct idm_config *cfg, struct idm_audit_head *out)
{
	char *ou = NULL, *head_dn = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	r = audit_dns(cfg, &ou, &head_dn);
	if (r == IDM_OK)
		r = read_head(d, head_dn, out);
	if (r == IDM_EINVAL)
		idm_logf(idm_dir_log(d), LOG_ERR, "%s: malformed idmHead", head_dn);
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
		idm_logf(idm_dir_log(d), LOG_ERR, "audit: an anonymous connection cannot act");
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

	format_head(v, sizeof(v), 0, GENESIS);
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
static int read_one(struct idm_dir *d, const char *base, int scope, const char *filter,
		    long *seq, char hash[HASH_SIZE])
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
		else if (!parse_seq(v, 1, &n) || !is_hash(h))
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

int idm_audit_append(struct idm_dir *d, const struct idm_config *cfg,
		     const struct idm_audit_event *ev, long *seq,
		     char hash[IDM_AUDIT_HASH_LEN + 1])
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
		r = idm_audit_find_token(d, cfg, token, seq, hash);
		if (r == IDM_OK)
			return r; /* recorded before */
		if (r == IDM_ENOENT)
			r = IDM_OK;
	} else if (r == IDM_OK) {
		r = idm_audit_new_token(token);
	}
	if (r == IDM_OK)
		r = audit_dns(cfg, &ou, &head_dn);
	if (r == IDM_OK)
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

		r = read_head(d, head_dn, &h);
		if (r == IDM_ENOENT) {
			/* Already there once means another appender made it; twice,
			 * that this identity cannot see it. */
			r = create_head(d, head_dn);
			if (r == IDM_EEXIST && hidden_head++) {
				idm_logf(log, LOG_ERR, "audit: %s cannot be read", head_dn);
				r = IDM_EDENIED;
			}
			if (r < 0 && r != IDM_EEXIST)
				goto out;
			continue;
		}
		if (r == IDM_EINVAL) {
			idm_logf(log, LOG_ERR, "%s: malformed idmHead; run idmgr audit verify",
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
				idm_logf(log, LOG_WARNING, "audit record %ld written, head not moved",
					 rec.seq);
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
				 "audit record %ld is damaged and blocks the trail; run idmgr audit "
				 "verify",
				 h.seq + 1);
			r = IDM_EDIR;
		}
		if (r == IDM_OK)
			(void)cas_head(d, head_dn, &h, h.seq + 1, next);
		else if (r != IDM_ENOENT)
			goto out; /* ENOENT: deleted meanwhile, or hidden; try again */
	}
	idm_logf(log, LOG_ERR, "audit: gave up appending after %d tries (head %s stuck?)",
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

int idm_audit_find_token(struct idm_dir *d, const struct idm_config *cfg, const char *token,
			 long *seq, char hash[IDM_AUDIT_HASH_LEN + 1])
{
	char *ou = NULL, *head_dn = NULL, *filter = NULL, mine[HASH_SIZE];
	int r = audit_dns(cfg, &ou, &head_dn);

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

/* ------------------------------------------------------- reading records */

/* A paged walk of every record (one page in memory at a time). */
static int walk_records(struct idm_dir *d, const char *ou, const char *filter,
			idm_dir_entry_fn each, void *ctx)
{
	int r = idm_dir_search_paged(d, ou, LDAP_SCOPE_ONELEVEL, filter, record_attrs, PAGE_SIZE,
				     each, ctx);

	if (r == IDM_ELIMIT) {
		idm_logf(idm_dir_log(d), LOG_ERR,
			 "the directory will not page this identity through the whole audit "
			 "trail; allow it (slapd: limits ... size.prtotal=unlimited)");
		r = IDM_EDIR;
	}
	return r;
}

static void record_clear(struct idm_audit_record *r)
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
static void record_from_entry(LDAP *ld, LDAPMessage *e, struct idm_audit_record *r,
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
	} else if (!is_hash(r->prev_hash) || !is_hash(r->hash)) {
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
	record_from_entry(ld, e, &c->recs[c->n++], &why);
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
	r = audit_dns(cfg, &ou, &head_dn);
	if (r == IDM_OK)
		r = since > 0 ? idm_filter_fmt(&filter, "(&" RECORD_FILTER "(idmTime>=%s))", when)
			      : idm_filter_fmt(&filter, RECORD_FILTER);
	if (r == IDM_OK)
		r = walk_records(d, ou, filter, list_entry, &c);
	if (r == IDM_OK) {
		if (c.n)
			qsort(c.recs, c.n, sizeof(*c.recs), by_seq);
		for (size_t i = 0; i < c.n && r == IDM_OK; i++)
			r = each(ctx, &c.recs[i]);
	}
	for (size_t i = 0; i < c.n; i++)
		record_clear(&c.recs[i]);
	free(c.recs);
	free(filter);
	free(ou);
	free(head_dn);
	return r;
}

/* ---------------------------------------------------------- verification */

/* Records whose neighbours have not been seen yet, keyed by seq.  The
 * directory returns records in the order they were added, which is seq
 * order, so in an intact trail this holds one or two entries whatever the
 * length; only damage (gaps, records re-added) makes it grow. */
enum { WAIT_PRED = 1, WAIT_SUCC = 2 };
struct open_end {
	long seq; /* 0: empty slot */
	unsigned flags;
	char prev[HASH_SIZE]; /* WAIT_PRED: its link to check */
	char hash[HASH_SIZE]; /* WAIT_SUCC: what its successor must link to */
};
struct ends {
	struct open_end *slot;
	size_t size, n; /* size a power of two */
};

static size_t ends_home(const struct ends *m, long seq)
{
	return (size_t)(((uint64_t)seq * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & (m->size - 1);
}

static struct open_end *ends_find(struct ends *m, long seq)
{
	for (size_t i = m->size ? ends_home(m, seq) : 0; m->size && m->slot[i].seq;
	     i = (i + 1) & (m->size - 1))
		if (m->slot[i].seq == seq)
			return &m->slot[i];
	return NULL;
}

static int ends_grow(struct ends *m)
{
	struct ends bigger = { .size = m->size ? 2 * m->size : 16 };

	bigger.slot = calloc(bigger.size, sizeof(*bigger.slot));
	if (!bigger.slot)
		return IDM_ENOMEM;
	for (size_t i = 0; i < m->size; i++) {
		size_t k;

		if (!m->slot[i].seq)
			continue;
		for (k = ends_home(&bigger, m->slot[i].seq); bigger.slot[k].seq;
		     k = (k + 1) & (bigger.size - 1))
			;
		bigger.slot[k] = m->slot[i];
	}
	bigger.n = m->n;
	free(m->slot);
	*m = bigger;
	return IDM_OK;
}

static struct open_end *ends_get(struct ends *m, long seq)
{
	struct open_end *e = ends_find(m, seq);
	size_t i;

	if (e)
		return e;
	if (2 * (m->n + 1) > m->size && ends_grow(m) < 0)
		return NULL;
	for (i = ends_home(m, seq); m->slot[i].seq; i = (i + 1) & (m->size - 1))
		;
	memset(&m->slot[i], 0, sizeof(m->slot[i]));
	m->slot[i].seq = seq;
	m->n++;
	return &m->slot[i];
}

/* Clears flag; removes the entry when nothing is left (linear probing with
 * backward shift, so no tombstones accumulate). */
static void ends_clear(struct ends *m, struct open_end *e, unsigned flag)
{
	size_t i = (size_t)(e - m->slot), j = i, mask = m->size - 1;

	e->flags &= ~flag;
	if (e->flags)
		return;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!m->slot[j].seq)
			break;
		home = ends_home(m, m->slot[j].seq);
		/* Move slot j back to i unless its home lies cyclically in (i, j]. */
		if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j)) {
			m->slot[i] = m->slot[j];
			i = j;
		}
	}
	m->slot[i].seq = 0;
	m->n--;
}

struct verify_ctx {
	struct idm_dir *d;
	void (*report)(void *ctx, long seq, const char *problem);
	void *report_ctx;
	const struct idm_audit_head *head, *anchor; /* head read before the walk */
	struct ends ends;
	long n, max, problems;
	bool anchor_seen;
	/* The two highest records seen, for the head read after the walk. */
	long top_seq[2];
	char top_hash[2][HASH_SIZE];
	bool head_seen;
	char head_hash_seen[HASH_SIZE]; /* stored hash of record head->seq */
};

static void problem(struct verify_ctx *c, long seq, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct verify_ctx *c, long seq, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->problems++;
	idm_logf(idm_dir_log(c->d), LOG_DEBUG, "audit verify: %s", msg);
	if (c->report)
		c->report(c->report_ctx, seq, msg);
}

static void copy_hash(char dst[HASH_SIZE], const char *src)
{
	if (is_hash(src))
		memcpy(dst, src, HASH_SIZE);
	else
		dst[0] = '\0'; /* matches nothing */
}

/* Is the entry named idmSeq=<its own idmSeq>?  Only then does the directory
 * guarantee that no other record has the same number. */
static bool named_by_seq(LDAP *ld, LDAPMessage *e, const char *seq)
{
	char *dn = ldap_get_dn(ld, e);
	LDAPDN ldn = NULL;
	bool ok = false;

	if (dn && seq && ldap_str2dn(dn, &ldn, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS && ldn &&
	    ldn[0] && ldn[0][0] && !ldn[0][1]) {
		const LDAPAVA *ava = ldn[0][0];

		ok = ava->la_attr.bv_len == 6 && strncasecmp(ava->la_attr.bv_val, "idmSeq", 6) == 0 &&
		     ava->la_value.bv_len == strlen(seq) &&
		     memcmp(ava->la_value.bv_val, seq, ava->la_value.bv_len) == 0;
	}
	ldap_dnfree(ldn);
	ldap_memfree(dn);
	return ok;
}

static void remember_top(struct verify_ctx *c, long seq, const char *hash)
{
	int k = seq > c->top_seq[0] ? 0 : seq > c->top_seq[1] ? 1 : -1;

	if (k < 0)
		return;
	if (k == 0) {
		c->top_seq[1] = c->top_seq[0];
		memcpy(c->top_hash[1], c->top_hash[0], HASH_SIZE);
	}
	c->top_seq[k] = seq;
	copy_hash(c->top_hash[k], hash);
}

static int link_record(struct verify_ctx *c, const struct idm_audit_record *rec)
{
	struct open_end *e;
	long seq = rec->seq;

	/* Its link to the record before. */
	if (seq == 1) {
		if (!rec->prev_hash || strcmp(rec->prev_hash, GENESIS) != 0)
			problem(c, 1, "record 1: previous hash is not the genesis value (replaced)");
	} else if ((e = ends_find(&c->ends, seq - 1)) && (e->flags & WAIT_SUCC)) {
		if (!rec->prev_hash || strcmp(rec->prev_hash, e->hash) != 0)
			problem(c, seq,
				"record %ld: previous hash does not match record %ld (reordered or "
				"replaced)",
				seq, seq - 1);
		ends_clear(&c->ends, e, WAIT_SUCC);
	} else {
		if (!(e = ends_get(&c->ends, seq)))
			return IDM_ENOMEM;
		e->flags |= WAIT_PRED;
		copy_hash(e->prev, rec->prev_hash);
	}
	/* The link of the record after it, if already seen. */
	if ((e = ends_find(&c->ends, seq + 1)) && (e->flags & WAIT_PRED)) {
		if (!rec->hash || strcmp(e->prev, rec->hash) != 0)
			problem(c, seq + 1,
				"record %ld: previous hash does not match record %ld (reordered or "
				"replaced)",
				seq + 1, seq);
		ends_clear(&c->ends, e, WAIT_PRED);
	} else {
		if (!(e = ends_get(&c->ends, seq)))
			return IDM_ENOMEM;
		e->flags |= WAIT_SUCC;
		copy_hash(e->hash, rec->hash);
	}
	return IDM_OK;
}

static int verify_entry(void *vctx, LDAP *ld, LDAPMessage *e)
{
	struct verify_ctx *c = vctx;
	struct idm_audit_record rec;
	char computed[HASH_SIZE], *seq_text = idm_entry_value(ld, e, "idmSeq");
	const char *why;
	int r = IDM_OK;

	record_from_entry(ld, e, &rec, &why);
	if (!rec.seq || !named_by_seq(ld, e, seq_text)) {
		char *dn = ldap_get_dn(ld, e);

		problem(c, rec.seq, "entry %s is not a record of the trail (planted)",
			dn ? dn : "(unreadable DN)");
		ldap_memfree(dn);
		goto out;
	}
	c->n++;
	if (rec.seq > c->max)
		c->max = rec.seq;
	if (why)
		problem(c, rec.seq, "record %ld: malformed, %s (edited)", rec.seq, why);
	else if (idm_audit_record_hash(&rec, computed) < 0 || strcmp(computed, rec.hash) != 0)
		problem(c, rec.seq, "record %ld: contents do not match its hash (edited)", rec.seq);
	if (c->head && rec.seq == c->head->seq) {
		c->head_seen = true;
		copy_hash(c->head_hash_seen, rec.hash);
	}
	if (c->anchor && rec.seq == c->anchor->seq) {
		c->anchor_seen = true;
		if (!rec.hash || strcmp(rec.hash, c->anchor->hash) != 0)
			problem(c, rec.seq,
				"record %ld: no longer has the hash published for it (history "
				"rewritten)",
				rec.seq);
	}
	remember_top(c, rec.seq, rec.hash);
	r = link_record(c, &rec);
out:
	free(seq_text);
	record_clear(&rec);
	return r;
}

static int by_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* Reports the runs of numbers below the highest record that no record has.
 * A run ends before a record still waiting for its predecessor and starts
 * after the highest record below it still waiting for its successor. */
static int report_gaps(struct verify_ctx *c)
{
	long *pred = NULL, *succ = NULL, missing = 0;
	size_t np = 0, ns = 0, k = 0;

	pred = malloc((c->ends.n + 1) * sizeof(*pred));
	succ = malloc((c->ends.n + 1) * sizeof(*succ));
	if (!pred || !succ) {
		free(pred);
		free(succ);
		return IDM_ENOMEM;
	}
	for (size_t i = 0; i < c->ends.size; i++) {
		const struct open_end *e = &c->ends.slot[i];

		if (e->seq && (e->flags & WAIT_PRED))
			pred[np++] = e->seq;
		if (e->seq && (e->flags & WAIT_SUCC))
			succ[ns++] = e->seq;
	}
	qsort(pred, np, sizeof(*pred), by_long); /* never NULL: n + 1 slots */
	qsort(succ, ns, sizeof(*succ), by_long);
	for (size_t i = 0; i < np; i++) {
		long first = 1, last = pred[i] - 1;

		while (k < ns && succ[k] < pred[i])
			first = succ[k++] + 1;
		missing += last - first + 1;
		if (first == last)
			problem(c, first, "record %ld is missing (deleted)", first);
		else
			problem(c, first, "records %ld to %ld are missing (deleted)", first, last);
	}
	if (c->n + missing != c->max)
		problem(c, 0, "%ld records for numbers 1 to %ld: some number is used twice",
			c->n, c->max);
	free(pred);
	free(succ);
	return IDM_OK;
}

/* The head must name the last record with its hash.  One record beyond the
 * head is an append whose head move is still to come. */
static void check_head(struct verify_ctx *c, int r1, const struct idm_audit_head *h1, int r2,
		       const struct idm_audit_head *h2)
{
	if (r1 == IDM_EINVAL || r2 == IDM_EINVAL) {
		problem(c, 0, "the head is malformed (head rewritten)");
		return;
	}
	if (r2 == IDM_ENOENT) {
		if (c->n > 0 || r1 == IDM_OK)
			problem(c, 0, "the head is missing but %ld records exist (head deleted)",
				c->n);
		return;
	}
	if (r1 == IDM_OK && c->max < h1->seq) {
		problem(c, h1->seq, "head says %ld but the last record is %ld", h1->seq, c->max);
		return;
	}
	if (c->max - 1 > h2->seq) {
		problem(c, h2->seq, "head says %ld but the last record is %ld", h2->seq, c->max);
		return;
	}
	/* (A record the head names that is missing was reported as such.) */
	if (r1 == IDM_OK && (h1->seq == 0 || c->head_seen) &&
	    strcmp(h1->hash, h1->seq == 0 ? GENESIS : c->head_hash_seen) != 0) {
		problem(c, h1->seq,
			"the head's hash for record %ld is not that record's (head rewritten)",
			h1->seq);
		return;
	}
	for (int k = 0; k < 2; k++)
		if (h2->seq >= 1 && c->top_seq[k] == h2->seq &&
		    strcmp(h2->hash, c->top_hash[k]) != 0)
			problem(c, h2->seq,
				"the head's hash for record %ld is not that record's (head rewritten)",
				h2->seq);
}

int idm_audit_verify(struct idm_dir *d, const struct idm_config *cfg,
		     const struct idm_audit_head *anchor,
		     void (*report)(void *ctx, long seq, const char *problem), void *ctx,
		     long *n_records)
{
	struct verify_ctx c = { .d = d, .report = report, .report_ctx = ctx, .anchor = anchor };
	struct idm_audit_head h1 = { 0 }, h2 = { 0 };
	char *ou = NULL, *head_dn = NULL, *filter = NULL;
	int r, r1, r2;

	if (n_records)
		*n_records = 0;
	r = audit_dns(cfg, &ou, &head_dn);
	if (r == IDM_OK)
		r = idm_filter_fmt(&filter, RECORD_FILTER);
	if (r < 0)
		goto out;
	r = r1 = read_head(d, head_dn, &h1);
	if (r1 == IDM_ENOENT)
		r = idm_dir_exists(d, ou); /* no head yet, or no trail at all */
	if (r < 0 && r != IDM_EINVAL)
		goto out;
	if (r1 == IDM_OK)
		c.head = &h1;
	r = walk_records(d, ou, filter, verify_entry, &c);
	if (r < 0)
		goto out;
	r = report_gaps(&c);
	if (r < 0)
		goto out;
	r2 = read_head(d, head_dn, &h2);
	if (r2 < 0 && r2 != IDM_ENOENT && r2 != IDM_EINVAL) {
		r = r2;
		goto out;
	}
	if (r1 == IDM_OK && r2 == IDM_OK && h2.seq < h1.seq)
		problem(&c, h1.seq, "the head moved back from record %ld to %ld (head rewritten)",
			h1.seq, h2.seq);
	else
		check_head(&c, r1, &h1, r2, &h2);
	if (anchor && anchor->seq >= 1 && !c.anchor_seen)
		problem(&c, anchor->seq, "record %ld, published earlier, is missing (deleted)",
			anchor->seq);
	if (n_records)
		*n_records = c.n;
	r = c.problems ? IDM_ESTATE : IDM_OK;
out:
	free(c.ends.slot);
	free(filter);
	free(ou);
	free(head_dn);
	return r;
}
