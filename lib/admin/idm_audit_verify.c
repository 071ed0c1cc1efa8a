/* idm_audit_verify.c -- checking the trail (R-AUD-2): the chain of hashes,
 * the head, gaps, the anchor, and who wrote the records.  Split from
 * idm_audit.c; the stored form both share is in idm_audit_store.h. */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_audit.h"
#include "idm_audit_store.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_i18n.h"
#include "idm_log.h"

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

/* The problems found, counted and handed to the caller's report (NULL:
 * count only) with their format, a msgid, and its arguments (issue 14);
 * with a log, each is also logged at debug level. */
struct problems {
	idm_audit_report_fn report;
	void *ctx;
	const struct idm_log *log;
	long n;
};

static void problem(struct problems *p, long seq, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct problems *p, long seq, const char *fmt, ...)
{
	char msg[512];
	struct idm_log_kept k;
	bool kept = false;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->n++;
	if (p->log)
		idm_logf(p->log, LOG_DEBUG, "audit verify: %s", msg);
	if (!p->report)
		return;
	va_start(ap, fmt);
	kept = idm_log_keep(&k, fmt, ap) == 0;
	va_end(ap);
	if (!kept) /* out of memory: the English sentence alone */
		k = (struct idm_log_kept){ .text = msg, .nargs = -1 };
	p->report(p->ctx, seq, &k);
	if (kept)
		idm_log_kept_clear(&k);
}

struct verify_ctx {
	struct idm_dir *d;
	struct problems p;
	const struct idm_audit_head *head, *anchor; /* head read before the walk */
	struct ends ends;
	long n, max;
	bool anchor_seen;
	/* The two highest records seen, for the head read after the walk. */
	long top_seq[2];
	char top_hash[2][HASH_SIZE];
	bool head_seen;
	char head_hash_seen[HASH_SIZE]; /* stored hash of record head->seq */
};

static void copy_hash(char dst[HASH_SIZE], const char *src)
{
	if (idm_audit_is_hash(src))
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

		ok = ava->la_attr.bv_len == 6 &&
		     strncasecmp(ava->la_attr.bv_val, "idmSeq", 6) == 0 &&
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
		if (!rec->prev_hash || strcmp(rec->prev_hash, idm_audit_genesis) != 0)
			problem(&c->p, 1,
				N_("record 1: previous hash is not the genesis value (replaced)"));
	} else if ((e = ends_find(&c->ends, seq - 1)) && (e->flags & WAIT_SUCC)) {
		if (!rec->prev_hash || strcmp(rec->prev_hash, e->hash) != 0)
			problem(&c->p, seq,
				N_("record %ld: previous hash does not match record %ld (reordered or "
				   "replaced)"),
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
			problem(&c->p, seq + 1,
				N_("record %ld: previous hash does not match record %ld (reordered or "
				   "replaced)"),
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

/* A record that cannot be read whole: each reason of
 * idm_audit_record_from_entry() in a sentence of its own, for translation. */
static void malformed(struct verify_ctx *c, long seq, const char *why)
{
	if (strcmp(why, "sequence number unreadable") == 0)
		problem(&c->p, seq,
			N_("record %ld: malformed, sequence number unreadable (edited)"), seq);
	else if (strcmp(why, "time unreadable") == 0)
		problem(&c->p, seq, N_("record %ld: malformed, time unreadable (edited)"), seq);
	else if (strcmp(why, "a required field is missing") == 0)
		problem(&c->p, seq,
			N_("record %ld: malformed, a required field is missing (edited)"), seq);
	else if (strcmp(why, "hash unreadable") == 0)
		problem(&c->p, seq, N_("record %ld: malformed, hash unreadable (edited)"), seq);
	else
		problem(&c->p, seq, "record %ld: malformed, %s (edited)", seq, why);
}

static int verify_entry(void *vctx, LDAP *ld, LDAPMessage *e)
{
	struct verify_ctx *c = vctx;
	struct idm_audit_record rec;
	char computed[HASH_SIZE], *seq_text = idm_entry_value(ld, e, "idmSeq");
	const char *why;
	int r = IDM_OK;

	idm_audit_record_from_entry(ld, e, &rec, &why);
	if (!rec.seq || !named_by_seq(ld, e, seq_text)) {
		char *dn = ldap_get_dn(ld, e);

		problem(&c->p, rec.seq, N_("entry %s is not a record of the trail (planted)"),
			dn ? dn : "(unreadable DN)");
		ldap_memfree(dn);
		goto out;
	}
	c->n++;
	if (rec.seq > c->max)
		c->max = rec.seq;
	if (why)
		malformed(c, rec.seq, why);
	else if (idm_audit_record_hash(&rec, computed) < 0 || strcmp(computed, rec.hash) != 0)
		problem(&c->p, rec.seq, N_("record %ld: contents do not match its hash (edited)"),
			rec.seq);
	if (c->head && rec.seq == c->head->seq) {
		c->head_seen = true;
		copy_hash(c->head_hash_seen, rec.hash);
	}
	if (c->anchor && rec.seq == c->anchor->seq) {
		c->anchor_seen = true;
		if (!rec.hash || strcmp(rec.hash, c->anchor->hash) != 0)
			problem(&c->p, rec.seq,
				N_("record %ld: no longer has the hash published for it (history "
				   "rewritten)"),
				rec.seq);
	}
	remember_top(c, rec.seq, rec.hash);
	r = link_record(c, &rec);
out:
	free(seq_text);
	idm_audit_record_clear(&rec);
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
			problem(&c->p, first, N_("record %ld is missing (deleted)"), first);
		else
			problem(&c->p, first, N_("records %ld to %ld are missing (deleted)"), first,
				last);
	}
	if (c->n + missing != c->max)
		problem(&c->p, 0, N_("%ld records for numbers 1 to %ld: some number is used twice"),
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
		problem(&c->p, 0, N_("the head is malformed (head rewritten)"));
		return;
	}
	if (r2 == IDM_ENOENT) {
		if (c->n > 0 || r1 == IDM_OK)
			problem(&c->p, 0,
				N_("the head is missing but %ld records exist (head deleted)"),
				c->n);
		return;
	}
	if (r1 == IDM_OK && c->max < h1->seq) {
		problem(&c->p, h1->seq, N_("head says %ld but the last record is %ld"), h1->seq,
			c->max);
		return;
	}
	if (c->max - 1 > h2->seq) {
		problem(&c->p, h2->seq, N_("head says %ld but the last record is %ld"), h2->seq,
			c->max);
		return;
	}
	/* (A record the head names that is missing was reported as such.) */
	if (r1 == IDM_OK && (h1->seq == 0 || c->head_seen) &&
	    strcmp(h1->hash, h1->seq == 0 ? idm_audit_genesis : c->head_hash_seen) != 0) {
		problem(&c->p, h1->seq,
			N_("the head's hash for record %ld is not that record's (head rewritten)"),
			h1->seq);
		return;
	}
	for (int k = 0; k < 2; k++)
		if (h2->seq >= 1 && c->top_seq[k] == h2->seq && strcmp(h2->hash, c->top_hash[k]) != 0)
			problem(&c->p, h2->seq,
				N_("the head's hash for record %ld is not that record's (head rewritten)"),
				h2->seq);
}

int idm_audit_verify(struct idm_dir *d, const struct idm_config *cfg,
		     const struct idm_audit_head *anchor, idm_audit_report_fn report, void *ctx,
		     long *n_records)
{
	struct verify_ctx c = {
		.d = d,
		.p = { .report = report, .ctx = ctx, .log = idm_dir_log(d) },
		.anchor = anchor,
	};
	struct idm_audit_head h1 = { 0 }, h2 = { 0 };
	char *ou = NULL, *head_dn = NULL, *filter = NULL;
	int r, r1, r2;

	if (n_records)
		*n_records = 0;
	r = idm_audit_dns(cfg, &ou, &head_dn);
	if (r == IDM_OK)
		r = idm_filter_fmt(&filter, RECORD_FILTER);
	if (r < 0)
		goto out;
	r = r1 = idm_audit_read_head(d, head_dn, &h1);
	if (r1 == IDM_ENOENT)
		r = idm_dir_exists(d, ou); /* no head yet, or no trail at all */
	if (r < 0 && r != IDM_EINVAL)
		goto out;
	if (r1 == IDM_OK)
		c.head = &h1;
	r = idm_audit_walk_records(d, ou, filter, verify_entry, &c);
	if (r < 0)
		goto out;
	r = report_gaps(&c);
	if (r < 0)
		goto out;
	r2 = idm_audit_read_head(d, head_dn, &h2);
	if (r2 < 0 && r2 != IDM_ENOENT && r2 != IDM_EINVAL) {
		r = r2;
		goto out;
	}
	if (r1 == IDM_OK && r2 == IDM_OK && h2.seq < h1.seq)
		problem(&c.p, h1.seq,
			N_("the head moved back from record %ld to %ld (head rewritten)"), h1.seq,
			h2.seq);
	else
		check_head(&c, r1, &h1, r2, &h2);
	if (anchor && anchor->seq >= 1 && !c.anchor_seen)
		problem(&c.p, anchor->seq,
			N_("record %ld, published earlier, is missing (deleted)"), anchor->seq);
	if (n_records)
		*n_records = c.n;
	r = c.p.n ? IDM_ESTATE : IDM_OK;
out:
	free(c.ends.slot);
	free(filter);
	free(ou);
	free(head_dn);
	return r;
}

/* --------------------------------------------------------------- writers */

struct writers {
	const char *writer;
	struct problems p;
};

static bool has_control(const char *s, bool lines)
{
	for (; s && *s; s++)
		if (((unsigned char)*s < 0x20 && !(lines && (*s == '\n' || *s == '\t'))) ||
		    *s == 0x7f)
			return true;
	return false;
}

static int writer_entry(void *ctx, LDAP *ld, LDAPMessage *e)
{
	static const char *const one_line[] = { "idmActor",     "idmAction",  "idmSubject",
						"idmRequestId", "idmOutcome", "idmTime" };
	struct writers *w = ctx;
	char *seqs = idm_entry_value(ld, e, "idmSeq"), *creator, *modifier, *detail;
	long seq = seqs ? strtol(seqs, NULL, 10) : 0;

	creator = idm_entry_value(ld, e, "creatorsName");
	modifier = idm_entry_value(ld, e, "modifiersName");
	if (!creator || strcasecmp(creator, w->writer) != 0)
		problem(&w->p, seq, N_("record %ld: written by %s, not by the service's identity"),
			seq, creator ? creator : "(unknown)");
	else if (modifier && strcasecmp(modifier, w->writer) != 0)
		problem(&w->p, seq, N_("record %ld: modified by %s after it was written"), seq,
			modifier);
	for (size_t i = 0; i < sizeof(one_line) / sizeof(one_line[0]); i++) {
		char *v = idm_entry_value(ld, e, one_line[i]);
		if (has_control(v, false))
			problem(&w->p, seq, N_("record %ld: %s holds a control character"), seq,
				one_line[i]);
		free(v);
	}
	detail = idm_entry_value(ld, e, "idmDetail");
	if (has_control(detail, true))
		problem(&w->p, seq, N_("record %ld: idmDetail holds a control character"), seq);
	free(detail);
	free(seqs);
	free(creator);
	free(modifier);
	return 0;
}

int idm_audit_verify_writers(struct idm_dir *d, const struct idm_config *cfg,
			     idm_audit_report_fn report, void *ctx, long *n_problems)
{
	static const char *const attrs[] = {
		"idmSeq",     "creatorsName", "modifiersName", "idmActor", "idmAction",
		"idmSubject", "idmRequestId", "idmOutcome",    "idmTime",  "idmDetail",
		NULL
	};
	struct writers w = { .writer = cfg->service.bind_dn, .p = { .report = report, .ctx = ctx } };
	char *ou = NULL, *head_dn = NULL;
	int r;

	if (n_problems)
		*n_problems = 0;
	if (!*cfg->service.bind_dn)
		return IDM_OK; /* no service configured: nothing to compare with */
	r = idm_audit_dns(cfg, &ou, &head_dn);
	if (r == IDM_OK && *cfg->service.audit_container_uuid) {
		/* the container idmgr init made, not one put in its place */
		static const char *const ou_attrs[] = { "entryUUID", NULL };
		LDAPMessage *res = NULL;
		char *uuid = NULL;
		r = idm_dir_search(d, ou, LDAP_SCOPE_BASE, "(objectClass=*)", ou_attrs, 1, &res);
		if (r == IDM_OK && ldap_first_entry(idm_dir_ldap(d), res))
			uuid = idm_entry_value(idm_dir_ldap(d),
					       ldap_first_entry(idm_dir_ldap(d), res), "entryUUID");
		if (r == IDM_OK && (!uuid || strcasecmp(uuid, cfg->service.audit_container_uuid)))
			problem(&w.p, 0,
				N_("%s is not the container idmgr init made (entryUUID %s, pinned "
				   "%s): the trail was replaced"),
				ou, uuid ? uuid : "unknown", cfg->service.audit_container_uuid);
		free(uuid);
		ldap_msgfree(res);
	}
	if (r == IDM_OK)
		r = idm_dir_search_paged(d, ou, LDAP_SCOPE_ONELEVEL, RECORD_FILTER, attrs,
					 PAGE_SIZE, writer_entry, &w);
	if (r == IDM_OK) {
		char *modifier = NULL;
		LDAPMessage *res = NULL;
		static const char *const head_attrs[] = { "modifiersName", NULL };
		if (idm_dir_search(d, head_dn, LDAP_SCOPE_BASE, "(objectClass=*)", head_attrs, 1,
				   &res) == IDM_OK &&
		    ldap_first_entry(idm_dir_ldap(d), res))
			modifier = idm_entry_value(idm_dir_ldap(d),
						   ldap_first_entry(idm_dir_ldap(d), res),
						   "modifiersName");
		if (modifier && strcasecmp(modifier, w.writer) != 0)
			problem(&w.p, 0,
				N_("the head was moved by %s, not by the service's identity"),
				modifier);
		free(modifier);
		ldap_msgfree(res);
	}
	if (n_problems)
		*n_problems = w.p.n;
	free(ou);
	free(head_dn);
	return r < 0 ? r : w.p.n ? IDM_ESTATE : IDM_OK;
}
