/* Integration tests of the tamper-evident audit trail (R-AUD-1, R-AUD-2,
 * R-REV-1) against a real slapd started by idmgr-sandbox.  Records are
 * appended by idmgrd's identity, the only writer of the trail, naming the
 * officer it acted for; officers read and verify; the tampering is done by
 * an insider holding the directory administrator's rights.  Each tampering case has a sandbox of
 * its own, so no case depends on another's damage. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "idm_audit.h"
#include "idm_dir.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_mods.h"
#include "idm_time.h"

#define OU "ou=audit,ou=idmgr,dc=example,dc=org"
#define HEAD_DN "cn=head," OU
#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

static struct sandbox sb;

static void sandbox_setup(void)
{
	sandbox_start(&sb, true);
}

static void sandbox_teardown(void)
{
	sandbox_stop(&sb);
}

static char *people_dn(const char *uid)
{
	char *dn = NULL;

	ck_assert_int_eq(idm_dn_child(&dn, "uid", uid, "ou=people,dc=example,dc=org"), IDM_OK);
	return dn;
}

/* A connection bound as a sample officer (temporary password replaced). */
static struct idm_dir *officer(const char *uid)
{
	struct idm_dir *d = NULL;
	char *dn = people_dn(uid), *pw = sandbox_officer_ready_password(&sb, uid);

	ck_assert_ptr_nonnull(pw);
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, dn, pw, &d), IDM_OK);
	free(dn);
	free(pw);
	return d;
}

#define WRITER_DN "cn=idmgrd,ou=services,dc=example,dc=org"

/* A connection bound as idmgrd's identity, the one writer of the trail. */
static struct idm_dir *writer(void)
{
	struct idm_dir *d = NULL;
	char path[700], *secret;

	snprintf(path, sizeof(path), "%s/idmgrd.secret", sb.dir);
	secret = slurp(path);
	ck_assert_ptr_nonnull(secret);
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, WRITER_DN, secret, &d), IDM_OK);
	free(secret);
	return d;
}

/* The insider: the directory administrator. */
static struct idm_dir *admin(void)
{
	struct idm_dir *d = NULL;

	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	return d;
}

static long append(struct idm_dir *d, const char *action, const char *subject, const char *outcome)
{
	struct idm_audit_event ev = { .action = action, .subject = subject, .outcome = outcome };
	char hash[IDM_AUDIT_HASH_LEN + 1];
	long seq = -1;

	ck_assert_int_eq(idm_audit_append(d, sb.cfg, &ev, &seq, hash), IDM_OK);
	ck_assert_uint_eq(strlen(hash), IDM_AUDIT_HASH_LEN);
	return seq;
}

struct problems {
	int n;
	long seq[32];
	char text[8192];
};

static void collect(void *ctx, long seq, const struct idm_log_kept *kept)
{
	const char *problem = kept->text;
	struct problems *p = ctx;
	size_t len = strlen(p->text);

	if (p->n < 32)
		p->seq[p->n] = seq;
	p->n++;
	snprintf(p->text + len, sizeof(p->text) - len, "%s\n", problem);
}

/* Verifies as an officer (verification is an officer's job, R-REV-1). */
static int verify(struct problems *p, const struct idm_audit_head *anchor, long *n)
{
	struct idm_dir *d = officer("watanabe");
	int r;

	memset(p, 0, sizeof(*p));
	r = idm_audit_verify(d, sb.cfg, anchor, collect, p, n);
	idm_dir_close(d);
	return r;
}

/* Five records by the writer, verified intact before any tampering. */
static void append_five(void)
{
	static const char *const actions[] = { "submit", "approve", "approve", "apply", "unlock" };
	struct idm_dir *d = writer();
	struct problems p;
	long n;

	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(append(d, actions[i], i % 2 ? "yamada" : NULL, "done"), i + 1);
	idm_dir_close(d);
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_OK);
	ck_assert_int_eq(n, 5);
}

static void assert_reported(const struct problems *p, const char *line)
{
	ck_assert_msg(strstr(p->text, line) != NULL, "expected \"%s\" among:\n%s", line, p->text);
}

static char *record_dn(long seq)
{
	char v[24], *dn = NULL;

	snprintf(v, sizeof(v), "%ld", seq);
	ck_assert_int_eq(idm_dn_child(&dn, "idmSeq", v, OU), IDM_OK);
	return dn;
}

/* One modify as the insider: replace attr by value (NULL: remove it). */
static void insider_replace(struct idm_dir *d, const char *dn, const char *attr, const char *value)
{
	struct idm_mods *m = idm_mods_new();

	idm_mods_add(m, LDAP_MOD_REPLACE, attr, value);
	ck_assert_ptr_nonnull(idm_mods_array(m));
	ck_assert_int_eq(idm_dir_modify(d, dn, idm_mods_array(m)), IDM_OK);
	idm_mods_free(m);
}

static void set_head(struct idm_dir *d, long seq, const char *hash)
{
	char v[128];

	snprintf(v, sizeof(v), "%ld %s", seq, hash);
	insider_replace(d, HEAD_DN, "idmHead", v);
}

/* A copy of every record, in order. */
struct copy {
	int n;
	struct idm_audit_record r[64];
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int copy_one(void *ctx, const struct idm_audit_record *r)
{
	struct copy *c = ctx;
	struct idm_audit_record *o = &c->r[c->n++];

	ck_assert_int_lt(c->n, 64);
	*o = *r;
	o->actor = dup_or_null(r->actor);
	o->action = dup_or_null(r->action);
	o->subject = dup_or_null(r->subject);
	o->request_id = dup_or_null(r->request_id);
	o->outcome = dup_or_null(r->outcome);
	o->detail = dup_or_null(r->detail);
	o->prev_hash = dup_or_null(r->prev_hash);
	o->hash = dup_or_null(r->hash);
	return 0;
}

static void copy_all(struct idm_dir *d, time_t since, struct copy *c)
{
	memset(c, 0, sizeof(*c));
	ck_assert_int_eq(idm_audit_list(d, sb.cfg, since, copy_one, c), IDM_OK);
}

static void copy_free(struct copy *c)
{
	for (int i = 0; i < c->n; i++) {
		struct idm_audit_record *o = &c->r[i];
		free(o->actor);
		free(o->action);
		free(o->subject);
		free(o->request_id);
		free(o->outcome);
		free(o->detail);
		free(o->prev_hash);
		free(o->hash);
	}
	c->n = 0;
}

/* Writes every field of r into the entry of record seq (insider). */
static void insider_write_record(struct idm_dir *d, long seq, const struct idm_audit_record *r)
{
	char *dn = record_dn(seq), when[IDM_GENTIME_LEN];
	struct idm_mods *m = idm_mods_new();

	idm_time_format(r->time, when);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmTime", when);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmActor", r->actor);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmAction", r->action);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmSubject", r->subject);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmRequestId", r->request_id);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmOutcome", r->outcome);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmDetail", r->detail);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmPrevHash", r->prev_hash);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmHash", r->hash);
	ck_assert_ptr_nonnull(idm_mods_array(m));
	ck_assert_int_eq(idm_dir_modify(d, dn, idm_mods_array(m)), IDM_OK);
	idm_mods_free(m);
	free(dn);
}

/* Adds the entry of record r as the insider, with the hash given. */
static void insider_add_record(struct idm_dir *d, const struct idm_audit_record *r, const char *hash)
{
	char seq[24], when[IDM_GENTIME_LEN], *dn = record_dn(r->seq);
	struct idm_mods *m = idm_mods_new();

	snprintf(seq, sizeof(seq), "%ld", r->seq);
	idm_time_format(r->time, when);
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "idmAuditRecord");
	idm_mods_add(m, LDAP_MOD_ADD, "idmSeq", seq);
	idm_mods_add(m, LDAP_MOD_ADD, "idmTime", when);
	idm_mods_add(m, LDAP_MOD_ADD, "idmActor", r->actor);
	idm_mods_add(m, LDAP_MOD_ADD, "idmAction", r->action);
	if (r->subject)
		idm_mods_add(m, LDAP_MOD_ADD, "idmSubject", r->subject);
	if (r->request_id)
		idm_mods_add(m, LDAP_MOD_ADD, "idmRequestId", r->request_id);
	idm_mods_add(m, LDAP_MOD_ADD, "idmOutcome", r->outcome);
	if (r->detail)
		idm_mods_add(m, LDAP_MOD_ADD, "idmDetail", r->detail);
	idm_mods_add(m, LDAP_MOD_ADD, "idmPrevHash", r->prev_hash);
	idm_mods_add(m, LDAP_MOD_ADD, "idmHash", hash);
	ck_assert_ptr_nonnull(idm_mods_array(m));
	ck_assert_int_eq(idm_dir_add(d, dn, idm_mods_array(m)), IDM_OK);
	idm_mods_free(m);
	free(dn);
}

static void insider_delete_record(struct idm_dir *d, long seq)
{
	char *dn = record_dn(seq);

	ck_assert_int_eq(idm_dir_delete(d, dn), IDM_OK);
	free(dn);
}

/* ------------------------------------------------------------ unit tests */

/* R-AUD-1: the hash is SHA-256 of the serialization documented in
 * idm_audit.h, so an auditor can recompute it without idmgr.  Expected:
 *   printf 'idmgr-audit-1:1:1,15:20231114221320Z,41:uid=takahashi,ou=people,
 *   dc=example,dc=org,7:approve,6:yamada,-,4:done,3:a\nb,64:0...0,' | sha256sum */
START_TEST(hash_is_the_documented_serialization)
{
	struct idm_audit_record r = {
		.seq = 1,
		.time = 1700000000,
		.actor = "uid=takahashi,ou=people,dc=example,dc=org",
		.action = "approve",
		.subject = "yamada",
		.outcome = "done",
		.detail = "a\nb",
		.prev_hash = ZEROS,
	};
	char h[IDM_AUDIT_HASH_LEN + 1], h2[IDM_AUDIT_HASH_LEN + 1];

	ck_assert_int_eq(idm_audit_record_hash(&r, h), IDM_OK);
	ck_assert_str_eq(h, "ad233925b38378f451610f974253565d8df4c4c02612b34ef92f08a4d0aade6b");
	/* Length prefixes keep field boundaries: moving a character from one
	 * field to the next changes the hash. */
	r.action = "approv";
	r.subject = "eyamada";
	ck_assert_int_eq(idm_audit_record_hash(&r, h2), IDM_OK);
	ck_assert_str_ne(h, h2);
	/* Absent and empty are the same (a directory cannot store empty). */
	r.action = "approve";
	r.subject = "yamada";
	r.request_id = "";
	ck_assert_int_eq(idm_audit_record_hash(&r, h2), IDM_OK);
	ck_assert_str_eq(h, h2);
	r.seq = 0;
	ck_assert_int_eq(idm_audit_record_hash(&r, h2), IDM_EINVAL);
}
END_TEST

/* -------------------------------------------------- appending and listing */

struct listed {
	int n;
	long seq[8];
	char actor[8][128], action[8][32], outcome[8][64];
	bool has_subject[8], has_detail[8];
	char hash[8][IDM_AUDIT_HASH_LEN + 1];
	bool hash_ok[8];
};

static int note(void *ctx, const struct idm_audit_record *r)
{
	struct listed *l = ctx;
	char h[IDM_AUDIT_HASH_LEN + 1];
	int i = l->n++;

	ck_assert_int_lt(i, 8);
	l->seq[i] = r->seq;
	snprintf(l->actor[i], sizeof(l->actor[i]), "%s", r->actor);
	snprintf(l->action[i], sizeof(l->action[i]), "%s", r->action);
	snprintf(l->outcome[i], sizeof(l->outcome[i]), "%s", r->outcome);
	snprintf(l->hash[i], sizeof(l->hash[i]), "%s", r->hash);
	l->has_subject[i] = r->subject != NULL;
	l->has_detail[i] = r->detail != NULL;
	l->hash_ok[i] = idm_audit_record_hash(r, h) == IDM_OK && strcmp(h, r->hash) == 0;
	ck_assert(time(NULL) - r->time < 120);
	return 0;
}

/* R-AUD-1: an officer appends with its own identity; the records list in
 * order with the authenticated DN as actor; the chain verifies. */
START_TEST(writer_appends_lists_and_verifies)
{
#define TAKAHASHI "uid=takahashi,ou=people,dc=example,dc=org"
	struct idm_audit_event ev[3] = {
		{ .actor = TAKAHASHI,
		  .action = "submit",
		  .request_id = "R-0001",
		  .subject = "yamada",
		  .outcome = "done",
		  .detail = "form 2024-17\nregister" },
		{ .actor = TAKAHASHI,
		  .action = "approve",
		  .request_id = "R-0001",
		  .outcome = "refused: sod-self" },
		{ .actor = TAKAHASHI,
		  .action = "reset-password",
		  .subject = "kimura",
		  .outcome = "done" },
	};
	struct idm_dir *d = writer();
	char hashes[3][IDM_AUDIT_HASH_LEN + 1];
	struct idm_audit_head head;
	struct problems p;
	struct listed l = { 0 }, none = { 0 };
	long seq, n = -1;

	ck_assert_int_eq(idm_audit_head(d, sb.cfg, &head), IDM_ENOENT);
	ck_assert_int_eq(idm_audit_verify(d, sb.cfg, NULL, NULL, NULL, &n), IDM_OK);
	ck_assert_int_eq(n, 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(idm_audit_append(d, sb.cfg, &ev[i], &seq, hashes[i]), IDM_OK);
		ck_assert_int_eq(seq, i + 1);
	}
	ck_assert_int_eq(idm_audit_head(d, sb.cfg, &head), IDM_OK);
	ck_assert_int_eq(head.seq, 3);
	ck_assert_str_eq(head.hash, hashes[2]);

	ck_assert_int_eq(idm_audit_list(d, sb.cfg, 0, note, &l), IDM_OK);
	ck_assert_int_eq(l.n, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(l.seq[i], i + 1);
		ck_assert_str_eq(l.actor[i], "uid=takahashi,ou=people,dc=example,dc=org");
		ck_assert_str_eq(l.action[i], ev[i].action);
		ck_assert_str_eq(l.outcome[i], ev[i].outcome);
		ck_assert_str_eq(l.hash[i], hashes[i]);
		ck_assert(l.hash_ok[i]);
		ck_assert(l.has_subject[i] == (ev[i].subject != NULL));
		ck_assert(l.has_detail[i] == (ev[i].detail != NULL));
	}
	/* since: records older than it are left out. */
	ck_assert_int_eq(idm_audit_list(d, sb.cfg, time(NULL) + 3600, note, &none), IDM_OK);
	ck_assert_int_eq(none.n, 0);

	ck_assert_int_eq(verify(&p, NULL, &n), IDM_OK);
	ck_assert_msg(p.n == 0, "%s", p.text);
	ck_assert_int_eq(n, 3);
	/* The head read now is an anchor that later verifications can use. */
	ck_assert_int_eq(verify(&p, &head, &n), IDM_OK);
	idm_dir_close(d);
}
END_TEST

/* R-AUD-2: malformed events are refused before any directory call. */
START_TEST(invalid_events_are_refused)
{
	static const struct idm_audit_event bad[] = {
		{ .action = NULL, .outcome = "done" },
		{ .action = "", .outcome = "done" },
		{ .action = "Approve", .outcome = "done" },
		{ .action = "approve)(x=*", .outcome = "done" },
		{ .action = "approve", .outcome = NULL },
		{ .action = "approve", .outcome = "done\r\nrecord 9: forged" },
		{ .action = "approve", .outcome = "done", .subject = "ya\tmada" },
		{ .action = "approve", .outcome = "done", .detail = "bad \x1b[2J escape" },
		{ .action = "approve", .outcome = "done", .detail = "cut \xe3\x81" },
		{ .action = "approve", .outcome = "done", .detail = "overlong \xc0\xaf" },
		{ .action = "approve",
		  .outcome = "done",
		  .request_id =
			  "R-01234567890123456789012345678901234567890123456789012345678901234" },
		{ .actor = "uid=x\n,dc=forged", .action = "approve", .outcome = "done" },
	};
	struct idm_dir *d = writer();
	struct idm_audit_head before, after;
	char big[9000];

	append(d, "sweep", NULL, "done");
	ck_assert_int_eq(idm_audit_head(d, sb.cfg, &before), IDM_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(idm_audit_append(d, sb.cfg, &bad[i], NULL, NULL) == IDM_EINVAL,
			      "event %zu accepted", i);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(idm_audit_append(d, sb.cfg,
					  &(struct idm_audit_event){ .action = "sweep",
								     .outcome = "done",
								     .detail = big },
					  NULL, NULL),
			 IDM_EINVAL);
	/* Non-ASCII text is fine where the schema allows UTF-8. */
	ck_assert_int_eq(idm_audit_append(d, sb.cfg,
					  &(struct idm_audit_event){ .action = "exception-add",
								     .outcome = "done",
								     .detail = "理由: 緊急\tok" },
					  NULL, NULL),
			 IDM_OK);
	ck_assert_int_eq(idm_audit_head(d, sb.cfg, &after), IDM_OK);
	ck_assert_int_eq(after.seq, before.seq + 1);
	idm_dir_close(d);
}
END_TEST

/* The hosts' service identity may not write the trail (ACL backstop). */
START_TEST(service_identity_cannot_append)
{
	struct idm_audit_event ev = { .action = "sweep", .outcome = "done" };
	struct idm_dir *d = NULL;
	int r;

	capture_reset();
	ck_assert_int_eq(idm_dir_open_service(sb.cfg, &cap_log, &d), IDM_OK);
	r = idm_audit_append(d, sb.cfg, &ev, NULL, NULL);
	ck_assert_msg(r == IDM_EDENIED, "got %d: %s", r, captured.text);
	idm_dir_close(d);
}
END_TEST

/* An appender that died between adding its record and moving the head
 * leaves the head one behind: verification accepts that state, and the
 * next appender moves the head for it and writes the record after. */
START_TEST(stuck_head_is_helped)
{
	struct idm_dir *d = writer(), *root = admin();
	struct idm_audit_record r = { 0 };
	struct idm_audit_head head;
	char hash[IDM_AUDIT_HASH_LEN + 1];
	struct problems p;
	long n;

	append(d, "sweep", NULL, "done");
	ck_assert_int_eq(idm_audit_head(d, sb.cfg, &head), IDM_OK);
	/* Record head+1, correctly chained, added without moving the head. */
	r.seq = head.seq + 1;
	r.time = time(NULL);
	r.actor = "uid=tanaka,ou=people,dc=example,dc=org";
	r.action = "unlock";
	r.outcome = "done";
	r.prev_hash = head.hash;
	ck_assert_int_eq(idm_audit_record_hash(&r, hash), IDM_OK);
	insider_add_record(root, &r, hash);

	ck_assert_int_eq(verify(&p, NULL, &n), IDM_OK);
	ck_assert_msg(p.n == 0, "%s", p.text);
	ck_assert_int_eq(append(d, "sweep", NULL, "done"), head.seq + 2);
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_OK);
	ck_assert_int_eq(n, head.seq + 2);
	idm_dir_close(root);
	idm_dir_close(d);
}
END_TEST

/* ---------------------------------------------------------- tampering */

/* R-AUD-1: an edited field is found and the record named. */
START_TEST(edited_record_is_named)
{
	struct idm_dir *root;
	struct problems p;
	char *dn = record_dn(3);
	long n;

	append_five();
	root = admin();
	insider_replace(root, dn, "idmOutcome", "refused: sod-self");
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_ESTATE);
	ck_assert_int_eq(n, 5);
	ck_assert_int_eq(p.n, 1);
	ck_assert_int_eq(p.seq[0], 3);
	assert_reported(&p, "record 3: contents do not match its hash (edited)\n");
	/* Removing an optional field is an edit too. */
	free(dn);
	dn = record_dn(2);
	insider_replace(root, dn, "idmSubject", NULL);
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_ESTATE);
	ck_assert_int_eq(p.n, 2);
	assert_reported(&p, "record 2: contents do not match its hash (edited)\n");
	idm_dir_close(root);
	free(dn);
}
END_TEST

/* R-AUD-1: a deleted record is named as missing; a deleted newest record
 * shows as a head beyond the last record. */
START_TEST(deleted_record_is_named)
{
	struct idm_dir *root;
	struct problems p;
	char *dn3 = record_dn(3), *dn5 = record_dn(5);
	long n;

	append_five();
	root = admin();
	ck_assert_int_eq(idm_dir_delete(root, dn3), IDM_OK);
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_ESTATE);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(p.n, 1);
	ck_assert_int_eq(p.seq[0], 3);
	assert_reported(&p, "record 3 is missing (deleted)\n");

	ck_assert_int_eq(idm_dir_delete(root, dn5), IDM_OK);
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_ESTATE);
	ck_assert_int_eq(p.n, 2);
	assert_reported(&p, "record 3 is missing (deleted)\n");
	assert_reported(&p, "head says 5 but the last record is 4\n");
	idm_dir_close(root);
	free(dn3);
	free(dn5);
}
END_TEST

/* R-AUD-1: swapping two records' contents (a reorder) names both. */
START_TEST(reordered_records_are_named)
{
	struct idm_dir *root;
	struct problems p;
	struct copy c;
	long n;

	append_five();
	root = admin();
	copy_all(root, 0, &c);
	ck_assert_int_eq(c.n, 5);
	insider_write_record(root, 2, &c.r[3]);
	insider_write_record(root, 4, &c.r[1]);
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_ESTATE);
	ck_assert_int_eq(n, 5);
	assert_reported(&p, "record 2: contents do not match its hash (edited)\n");
	assert_reported(&p, "record 4: contents do not match its hash (edited)\n");
	assert_reported(&p, "record 2: previous hash does not match record 1 (reordered or "
			    "replaced)\n");
	assert_reported(&p, "record 4: previous hash does not match record 3 (reordered or "
			    "replaced)\n");
	/* Nothing is said of the records left alone. */
	ck_assert(!strstr(p.text, "record 1:"));
	ck_assert(!strstr(p.text, "record 5: contents"));
	copy_free(&c);
	idm_dir_close(root);
}
END_TEST

/* R-AUD-1: a rewritten or deleted head is found. */
START_TEST(rewritten_head_is_found)
{
	struct idm_dir *root;
	struct problems p;
	struct copy c;
	long n;

	append_five();
	root = admin();
	copy_all(root, 0, &c);

	set_head(root, 20, c.r[4].hash);
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_ESTATE);
	assert_reported(&p, "head says 20 but the last record is 5\n");

	set_head(root, 2, c.r[1].hash); /* hiding records 4 and 5 */
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_ESTATE);
	assert_reported(&p, "head says 2 but the last record is 5\n");

	set_head(root, 5, c.r[3].hash);
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_ESTATE);
	assert_reported(&p, "the head's hash for record 5 is not that record's (head rewritten)\n");

	set_head(root, 5, c.r[4].hash); /* restored: intact again */
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_OK);

	insider_replace(root, HEAD_DN, "idmHead", "5 not-a-hash");
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_ESTATE);
	assert_reported(&p, "the head is malformed (head rewritten)\n");

	ck_assert_int_eq(idm_dir_delete(root, HEAD_DN), IDM_OK);
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_ESTATE);
	assert_reported(&p, "the head is missing but 5 records exist (head deleted)\n");
	copy_free(&c);
	idm_dir_close(root);
}
END_TEST

/* The chain alone cannot stop an insider who recomputes every hash from the
 * edited record on; a head published earlier (an anchor) does. */
START_TEST(recomputed_history_needs_an_anchor)
{
	struct idm_dir *root;
	struct idm_audit_head anchor;
	struct problems p;
	struct copy c;
	char prev[IDM_AUDIT_HASH_LEN + 1], hash[IDM_AUDIT_HASH_LEN + 1];
	long n;

	append_five();
	root = admin();
	ck_assert_int_eq(idm_audit_head(root, sb.cfg, &anchor), IDM_OK);
	copy_all(root, 0, &c);
	free(c.r[1].outcome);
	c.r[1].outcome = strdup("refused: sod-self");
	snprintf(prev, sizeof(prev), "%s", c.r[0].hash);
	for (int i = 1; i < 5; i++) {
		free(c.r[i].prev_hash);
		c.r[i].prev_hash = strdup(prev);
		ck_assert_int_eq(idm_audit_record_hash(&c.r[i], hash), IDM_OK);
		free(c.r[i].hash);
		c.r[i].hash = strdup(hash);
		insider_write_record(root, i + 1, &c.r[i]);
		snprintf(prev, sizeof(prev), "%s", hash);
	}
	set_head(root, 5, prev);
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_OK); /* consistent forgery */
	ck_assert_int_eq(verify(&p, &anchor, &n), IDM_ESTATE);
	assert_reported(&p, "record 5: no longer has the hash published for it (history "
			    "rewritten)\n");
	copy_free(&c);
	idm_dir_close(root);
}
END_TEST

/* idmgr audit verify as officer uid with args (up to 3), its status; its
 * output in *out, stderr in *err. */
static int idmgr_verify(const char *uid, char **out, char **err, const char *a1, const char *a2,
			const char *a3)
{
	char pwfile[700], *pw = sandbox_officer_ready_password(&sb, uid);
	char *argv[16] = { getenv("IDMGR_BIN"), "-c",   sb.conf, "-u",    (char *)uid,
			   "--password-file",   pwfile, "audit", "verify" };
	int n = 9, r;

	ck_assert_ptr_nonnull(pw);
	snprintf(pwfile, sizeof(pwfile), "%s/%s.verify.pw", sb.dir, uid);
	write_file(pwfile, pw, 0600);
	free(pw);
	for (const char *a[] = { a1, a2, a3 }, **p = a; p < a + 3 && *p; p++)
		argv[n++] = (char *)*p;
	argv[n] = NULL;
	r = run_cmd(argv, NULL, out, err);
	return r;
}

/* R-AUD-1, R-REV-1: idmgr audit verify --anchor SEQ:HASH, a head
 * published earlier (idmgr report compliance prints it), names a trail cut
 * back since: the insider deletes the last two records and moves the head
 * back so that the chain alone is consistent.  A wrong anchor is refused
 * naming what is wrong, before the configuration is read. */
START_TEST(anchor_given_names_a_truncated_trail)
{
	static const struct {
		const char *anchor, *why;
	} bad[] = {
		{ "5", "not SEQ:HASH" },
		{ "five:" ZEROS, "the record number before the colon" },
		{ "0:" ZEROS, "the record number before the colon" },
		{ "-5:" ZEROS, "the record number before the colon" },
		{ "5:abc", "the hash after the colon is not 64 hexadecimal digits" },
		{ "5:" ZEROS "0", "the hash after the colon is not 64 hexadecimal digits" },
		{ "5:" ZEROS ":", "the hash after the colon is not 64 hexadecimal digits" },
	};
	struct idm_audit_head head, third;
	struct idm_dir *root;
	struct copy c;
	char arg[128], upper[128], *out = NULL, *err = NULL;

	append_five();
	root = admin();
	ck_assert_int_eq(idm_audit_head(root, sb.cfg, &head), IDM_OK);
	ck_assert_int_eq(head.seq, 5);
	snprintf(arg, sizeof(arg), "%ld:%s", head.seq, head.hash);
	ck_assert_int_eq(idmgr_verify("watanabe", &out, &err, "--anchor", arg, NULL), 0);
	ck_assert_str_eq(out, "audit trail intact: 5 records, chain verified, record 5 still has "
			      "the anchor's hash\n");
	free(out);
	free(err);
	for (size_t i = 0; arg[i]; i++) /* a hash copied in capitals */
		upper[i] = (char)(arg[i] >= 'a' && arg[i] <= 'f' ? arg[i] - 32 : arg[i]),
		upper[i + 1] = '\0';
	ck_assert_int_eq(idmgr_verify("watanabe", &out, &err, "--anchor", upper, NULL), 0);
	free(out);
	free(err);

	/* cut back to record 3, the head moved to it: consistent */
	copy_all(root, 0, &c);
	third.seq = 3;
	snprintf(third.hash, sizeof(third.hash), "%s", c.r[2].hash);
	insider_delete_record(root, 5);
	insider_delete_record(root, 4);
	set_head(root, 3, third.hash);
	ck_assert_int_eq(idmgr_verify("watanabe", &out, &err, NULL, NULL, NULL), 1);
	ck_assert_msg(!strstr(out, "record 5") && !strstr(out, "missing"), "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_verify("watanabe", &out, &err, "--anchor", arg, NULL), 1);
	ck_assert_msg(strstr(out, "record 5, published earlier, is missing (deleted)\n"), "%s", out);
	ck_assert_msg(strstr(out, "audit trail NOT intact: "), "%s", out);
	free(out);
	free(err);
	/* an anchor whose record is still there but holds another hash */
	snprintf(arg, sizeof(arg), "3:%s", head.hash);
	ck_assert_int_eq(idmgr_verify("watanabe", &out, &err, "--anchor", arg, NULL), 1);
	ck_assert_msg(strstr(out, "record 3: no longer has the hash published for it (history "
				  "rewritten)\n"),
		      "%s", out);
	free(out);
	free(err);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { getenv("IDMGR_BIN"),
				 "-c",
				 "/nonexistent/idmgr.conf",
				 "audit",
				 "verify",
				 "--anchor",
				 (char *)bad[i].anchor,
				 NULL };

		ck_assert_msg(run_cmd(argv, NULL, &out, &err) == 2, "%s: not exit 2", bad[i].anchor);
		ck_assert_msg(strstr(err, "idmgr: --anchor: \"") && strstr(err, bad[i].why) &&
				      !strstr(err, "/nonexistent"),
			      "%s: %s", bad[i].anchor, err);
		free(out);
		free(err);
	}
	copy_free(&c);
	idm_dir_close(root);
}
END_TEST

/* Records the directory returns out of their order (an entry deleted and
 * added back gets a new place) still verify when their contents are the
 * same; a run of deleted records is named as one range. */
START_TEST(readded_records_verify_and_ranges_are_named)
{
	struct idm_dir *root;
	struct problems p;
	struct copy c;
	long n;

	append_five();
	root = admin();
	copy_all(root, 0, &c);
	insider_delete_record(root, 2);
	insider_add_record(root, &c.r[1], c.r[1].hash);
	insider_delete_record(root, 1);
	insider_add_record(root, &c.r[0], c.r[0].hash);
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_OK);
	ck_assert_msg(p.n == 0, "%s", p.text);
	ck_assert_int_eq(n, 5);

	for (long seq = 2; seq <= 4; seq++)
		insider_delete_record(root, seq);
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_ESTATE);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(p.n, 1);
	ck_assert_int_eq(p.seq[0], 2);
	assert_reported(&p, "records 2 to 4 are missing (deleted)\n");

	insider_delete_record(root, 1);
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_ESTATE);
	assert_reported(&p, "records 1 to 4 are missing (deleted)\n");
	copy_free(&c);
	idm_dir_close(root);
}
END_TEST

/* R-REV-1: an officer verifies a trail longer than slapd's default size
 * limit (500): the walk pages through it, and the directory must let
 * officers page beyond that limit. */
START_TEST(officer_verifies_beyond_the_size_limit)
{
	struct idm_audit_event ev = { .action = "sweep", .outcome = "done" };
	struct idm_dir *d = writer();
	struct problems p;
	long n, seq = 0;
	int r;

	for (int i = 0; i < 600; i++)
		ck_assert_int_eq(idm_audit_append(d, sb.cfg, &ev, &seq, NULL), IDM_OK);
	ck_assert_int_eq(seq, 600);
	idm_dir_close(d);
	r = verify(&p, NULL, &n);
	ck_assert_msg(r == IDM_OK,
		      "verify failed (%s): slapd must let officers page beyond its size "
		      "limit (limits ... size.prtotal=unlimited in slapd-acl.conf)",
		      idm_strerror(r));
	ck_assert_int_eq(n, 600);
}
END_TEST

/* ---------------------------------------------------------- concurrency */

#define CHILDREN 2
#define PER_CHILD 20

/* Appends PER_CHILD records on a connection of its own and writes the
 * numbers it got to fd. */
static void child(const char *uid, int fd)
{
	char *dn = people_dn(uid), path[700], *secret;
	struct idm_audit_event ev = {
		.actor = dn, .action = "approve", .outcome = "done", .subject = uid
	};
	struct idm_dir *d = NULL;
	int status = 0;

	snprintf(path, sizeof(path), "%s/idmgrd.secret", sb.dir);
	secret = slurp(path);
	if (!secret || idm_dir_open(sb.cfg, NULL, WRITER_DN, secret, &d) != IDM_OK)
		status = 1;
	for (int i = 0; i < PER_CHILD && status == 0; i++) {
		long seq = 0;

		if (idm_audit_append(d, sb.cfg, &ev, &seq, NULL) != IDM_OK ||
		    write(fd, &seq, sizeof(seq)) != (ssize_t)sizeof(seq))
			status = 1;
	}
	idm_dir_close(d);
	free(dn);
	free(secret);
	close(fd);
	_exit(status);
}

static int count_actor(void *ctx, const struct idm_audit_record *r)
{
	long *counts = ctx;

	ck_assert_int_eq(r->seq, counts[2] + 1); /* in order, no gap */
	counts[2] = r->seq;
	if (strcmp(r->actor, "uid=takahashi,ou=people,dc=example,dc=org") == 0)
		counts[0]++;
	else if (strcmp(r->actor, "uid=tanaka,ou=people,dc=example,dc=org") == 0)
		counts[1]++;
	return 0;
}

/* R-AUD-1: two processes appending at once never fork the chain: every
 * number is given once, 1..40, and the chain verifies. */
START_TEST(concurrent_appends_never_fork)
{
	static const char *const uids[CHILDREN] = { "takahashi", "tanaka" };
	bool seen[CHILDREN * PER_CHILD + 1] = { false };
	struct idm_audit_head head;
	struct problems p;
	struct idm_dir *d;
	long seq, n, counts[3] = { 0, 0, 0 };
	pid_t pid[CHILDREN];
	int fds[2], got = 0, status;

	ck_assert_int_eq(pipe(fds), 0);
	for (int i = 0; i < CHILDREN; i++)
		free(sandbox_officer_ready_password(&sb, uids[i])); /* before the race */
	for (int i = 0; i < CHILDREN; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0) {
			close(fds[0]);
			child(uids[i], fds[1]);
		}
	}
	close(fds[1]);
	while (read(fds[0], &seq, sizeof(seq)) == (ssize_t)sizeof(seq)) {
		ck_assert(seq >= 1 && seq <= CHILDREN * PER_CHILD);
		ck_assert_msg(!seen[seq], "number %ld given twice", seq);
		seen[seq] = true;
		got++;
	}
	close(fds[0]);
	for (int i = 0; i < CHILDREN; i++) {
		ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(got, CHILDREN * PER_CHILD);

	d = officer("watanabe");
	ck_assert_int_eq(idm_audit_head(d, sb.cfg, &head), IDM_OK);
	ck_assert_int_eq(head.seq, CHILDREN * PER_CHILD);
	ck_assert_int_eq(idm_audit_list(d, sb.cfg, 0, count_actor, counts), IDM_OK);
	ck_assert_int_eq(counts[0], PER_CHILD);
	ck_assert_int_eq(counts[1], PER_CHILD);
	ck_assert_int_eq(counts[2], CHILDREN * PER_CHILD);
	idm_dir_close(d);
	ck_assert_int_eq(verify(&p, NULL, &n), IDM_OK);
	ck_assert_msg(p.n == 0, "%s", p.text);
	ck_assert_int_eq(n, CHILDREN * PER_CHILD);
}
END_TEST

static TCase *with_sandbox(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, sandbox_setup, sandbox_teardown);
	tcase_set_timeout(tc, 60);
	return tc;
}

static Suite *audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc;

	tc = tcase_create("hash");
	tcase_add_test(tc, hash_is_the_documented_serialization);
	suite_add_tcase(s, tc);

	tc = with_sandbox("append");
	tcase_add_test(tc, writer_appends_lists_and_verifies);
	tcase_add_test(tc, invalid_events_are_refused);
	tcase_add_test(tc, service_identity_cannot_append);
	tcase_add_test(tc, stuck_head_is_helped);
	suite_add_tcase(s, tc);

	/* One sandbox per tampering case: each starts from an intact trail. */
	tc = with_sandbox("edit");
	tcase_add_test(tc, edited_record_is_named);
	suite_add_tcase(s, tc);
	tc = with_sandbox("delete");
	tcase_add_test(tc, deleted_record_is_named);
	suite_add_tcase(s, tc);
	tc = with_sandbox("reorder");
	tcase_add_test(tc, reordered_records_are_named);
	suite_add_tcase(s, tc);
	tc = with_sandbox("head");
	tcase_add_test(tc, rewritten_head_is_found);
	suite_add_tcase(s, tc);
	tc = with_sandbox("anchor");
	tcase_add_test(tc, recomputed_history_needs_an_anchor);
	suite_add_tcase(s, tc);
	tc = with_sandbox("truncated");
	tcase_add_test(tc, anchor_given_names_a_truncated_trail);
	suite_add_tcase(s, tc);
	tc = with_sandbox("readd");
	tcase_add_test(tc, readded_records_verify_and_ranges_are_named);
	suite_add_tcase(s, tc);
	tc = with_sandbox("limits");
	tcase_add_test(tc, officer_verifies_beyond_the_size_limit);
	suite_add_tcase(s, tc);
	tc = with_sandbox("concurrency");
	tcase_add_test(tc, concurrent_appends_never_fork);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(audit_suite(), NULL);
}
