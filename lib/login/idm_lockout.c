#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_error.h"
#include "idm_lockout.h"
#include "idm_mods.h"
#include "idm_random.h"
#include "idm_text.h"
#include "idm_time.h"
#include "idm_i18n.h"

/* A host clock this far from the server's is off: its stamp is corrected. */
#define SKEW_TOLERANCE 2
/* A lock mark older than its duration by this much is over whatever the
 * host's clock says: the account phase does not ask the server's time. */
#define PROBE_MARGIN 3600

#define VALUE_LEN (IDM_GENTIME_LEN + 18)

static const char *const read_attrs[] = {
	"idmFailureTime",
	"idmLockedTime",
	"idmHardLockTime",
	"idmFailureCount",
	"authTimestamp",
	"modifyTimestamp",
	NULL,
};

/* "YYYYMMDDHHMMSSZ#nonce": the time, then 16 random hex digits so that two
 * attempts in the same second are two values. */
static int failure_value(time_t t, char out[VALUE_LEN])
{
	unsigned char nonce[8];
	char stamp[IDM_GENTIME_LEN];
	int r = idm_random_bytes(nonce, sizeof(nonce));

	if (r < 0)
		return r;
	idm_time_format(t, stamp);
	snprintf(out, VALUE_LEN, "%s#%02x%02x%02x%02x%02x%02x%02x%02x", stamp, nonce[0], nonce[1],
		 nonce[2], nonce[3], nonce[4], nonce[5], nonce[6], nonce[7]);
	return IDM_OK;
}

static time_t value_time(const char *v)
{
	char stamp[IDM_GENTIME_LEN];
	time_t t;

	if (strlen(v) < IDM_GENTIME_LEN - 1)
		return 0;
	memcpy(stamp, v, IDM_GENTIME_LEN - 1);
	stamp[IDM_GENTIME_LEN - 1] = '\0';
	return idm_time_parse(stamp, &t) == IDM_OK ? t : 0;
}

static const char *value_nonce(const char *v)
{
	const char *h = strchr(v, '#');
	return h ? h + 1 : v;
}

static bool lock_active(const struct idm_policy *p, time_t locked, time_t now)
{
	return locked && (p->lockout_duration == 0 || now < locked + p->lockout_duration);
}

/* One attempt: its nonce and the latest stamp any of its values carries. */
struct attempt_time {
	const char *nonce;
	time_t t;
};

static int cmp_nonce(const void *a, const void *b)
{
	return strcmp(((const struct attempt_time *)a)->nonce,
		      ((const struct attempt_time *)b)->nonce);
}

/* The distinct attempts of v, each at its latest stamp; own (this very
 * attempt's value, or NULL) at now.  *n is their number. */
static struct attempt_time *attempts_of(const struct idm_lock_values *v, const char *own,
					time_t now, size_t *n)
{
	struct attempt_time *at = calloc(v->n_failures + 1, sizeof(*at));
	size_t k = 0;

	*n = 0;
	if (!at)
		return NULL;
	for (size_t i = 0; i < v->n_failures; i++) {
		at[i].nonce = value_nonce(v->failure_values[i]);
		at[i].t = value_time(v->failure_values[i]);
		if (own && strcmp(value_nonce(own), at[i].nonce) == 0 && at[i].t < now)
			at[i].t = now;
	}
	qsort(at, v->n_failures, sizeof(*at), cmp_nonce);
	for (size_t i = 0; i < v->n_failures; i++) {
		if (k && strcmp(at[k - 1].nonce, at[i].nonce) == 0) {
			if (at[i].t > at[k - 1].t)
				at[k - 1].t = at[i].t;
			continue;
		}
		at[k++] = at[i];
	}
	*n = k;
	return at;
}

/* An attempt in the second of the last success still counts: slapd keeps
 * authTimestamp in whole seconds, and a burst of guesses right after a
 * user's login must not go uncounted.  The successful login's own value is
 * deleted by the user (idm_lockout_tidy) instead. */
static bool after_success(time_t t, const struct idm_lock_values *v)
{
	return t >= v->last_success;
}

/* The whole rule, for a recorded attempt (own) or a look (own NULL). */
static void evaluate(const struct idm_policy *p, const struct idm_lock_values *v, const char *own,
		     time_t now, struct idm_attempt *out)
{
	struct attempt_time *at;
	time_t since = now - p->lockout_window, spent_lock = 0;
	size_t n = 0;

	out->lock_active = false;
	for (size_t i = 0; i < v->n_locks; i++) {
		time_t t = value_time(v->lock_values[i]);
		if (lock_active(p, t, now))
			out->lock_active = true;
		else if (t > spent_lock)
			spent_lock = t; /* a lock that ran out: its failures are spent */
	}
	if (spent_lock > since)
		since = spent_lock;
	out->in_window = out->consecutive = 0;
	at = attempts_of(v, own, now, &n);
	for (size_t i = 0; at && i < n; i++) {
		if (!after_success(at[i].t, v))
			continue;
		out->consecutive++;
		if (at[i].t > since)
			out->in_window++;
	}
	if (!at && v->n_failures) /* no memory: count every value, never fewer */
		out->in_window = out->consecutive = (long)v->n_failures;
	free(at);
	out->hard_marked = v->hard;
	if (v->hard || out->consecutive > IDM_LOCKOUT_HARD_LIMIT - (own ? 0 : 1))
		out->verdict = IDM_LOCK_HARD;
	else if (out->lock_active || out->in_window > p->lockout_threshold - (own ? 0 : 1))
		out->verdict = IDM_LOCK_LOCKED;
	else
		out->verdict = IDM_LOCK_CHECK;
}

enum idm_lock_verdict idm_lockout_verdict(const struct idm_policy *p,
					  const struct idm_lock_values *v, time_t now)
{
	struct idm_attempt a;

	evaluate(p, v, NULL, now, &a);
	/* A look counts no attempt: a full window is a lock in force only
	 * once marked, as a failed check marks it. */
	if (a.verdict == IDM_LOCK_LOCKED && !a.lock_active)
		a.verdict = IDM_LOCK_CHECK;
	return a.verdict;
}

long idm_lockout_failures(const struct idm_lock_values *v)
{
	struct attempt_time *at;
	size_t n = 0;
	long count = 0;

	at = attempts_of(v, NULL, 0, &n);
	if (!at)
		return (long)v->n_failures;
	for (size_t i = 0; i < n; i++)
		count += after_success(at[i].t, v);
	free(at);
	return count;
}

time_t idm_lockout_latest_lock(const struct idm_lock_values *v)
{
	time_t latest = 0;

	for (size_t i = 0; i < v->n_locks; i++) {
		time_t t = value_time(v->lock_values[i]);
		if (t > latest)
			latest = t;
	}
	return latest;
}

static int add_value(struct idm_dir *svc, const char *dn, const char *attr, const char *value,
		     const char *const *attrs, struct idm_entry **e)
{
	struct idm_mods *m = idm_mods_new();
	int r;

	idm_mods_add(m, LDAP_MOD_ADD, attr, value);
	if (!idm_mods_array(m))
		r = IDM_ENOMEM;
	else if (attrs)
		r = idm_dir_modify_read(svc, dn, idm_mods_array(m), attrs, e);
	else
		r = idm_dir_modify(svc, dn, idm_mods_array(m));
	idm_mods_free(m);
	return r;
}

/* The values of one attribute of a post-read entry, never NULL. */
static void values_of(const struct idm_entry *e, const char *name, char *const **vals, size_t *n)
{
	static char *const none[] = { NULL };
	const struct idm_attr *a = idm_entry_attr(e, name);

	*vals = a ? a->vals : none;
	*n = a ? a->n : 0;
}

static time_t entry_time(const struct idm_entry *e, const char *name)
{
	const char *v = idm_entry_first(e, name);
	time_t t;

	return v && idm_time_parse(v, &t) == IDM_OK ? t : 0;
}

/* Every value the record saw (this attempt's among them): all of them were
 * recorded before the check, so a success spends them all. */
static void keep_seen(const struct idm_lock_values *v, struct idm_attempt *out)
{
	if (!(out->spent = calloc(v->n_failures + 1, sizeof(char *))))
		return;
	for (size_t i = 0; i < v->n_failures; i++)
		if ((out->spent[out->n_spent] = strdup(v->failure_values[i])))
			out->n_spent++;
}

bool idm_lockout_full(const struct idm_account *a)
{
	return a->hard_locked || a->failure_count >= IDM_LOCKOUT_HARD_LIMIT;
}

int idm_lockout_record(struct idm_dir *svc, const struct idm_policy *p, const char *dn,
		       struct idm_attempt *out)
{
	char value[VALUE_LEN];
	struct idm_entry *e = NULL;
	struct idm_lock_values v;
	const char *count;
	time_t host_now = time(NULL), server_now;
	int r;

	memset(out, 0, sizeof(*out));
	r = failure_value(host_now, value);
	if (r == IDM_OK)
		r = add_value(svc, dn, "idmFailureTime", value, read_attrs, &e);
	if (r < 0)
		goto out;
	/* The server's clock: when this very change happened. */
	server_now = entry_time(e, "modifyTimestamp");
	if (!server_now) {
		r = IDM_EINVAL; /* a reply we cannot trust: fail closed */
		goto out;
	}
	out->server_now = server_now;
	if (host_now > server_now + SKEW_TOLERANCE || host_now < server_now - SKEW_TOLERANCE) {
		char fixed[VALUE_LEN];
		memcpy(fixed, value, sizeof(fixed));
		idm_time_format(server_now, fixed); /* overwrites the stamp and its NUL */
		fixed[IDM_GENTIME_LEN - 1] = '#';
		idm_logf(idm_dir_log(svc), LOG_WARNING,
			 N_("this host's clock is %+lds off the directory server's; using the server's"),
			 (long)(host_now - server_now));
		/* Same nonce, the server's stamp: the later of the two counts.
		 * On failure the value stays as stamped; this attempt is
		 * counted at the server's time below all the same. */
		if (add_value(svc, dn, "idmFailureTime", fixed, NULL, NULL) == IDM_OK)
			memcpy(out->own_fixed, fixed, sizeof(fixed));
	}
	memcpy(out->own, value, sizeof(value));
	values_of(e, "idmFailureTime", &v.failure_values, &v.n_failures);
	values_of(e, "idmLockedTime", &v.lock_values, &v.n_locks);
	count = idm_entry_first(e, "idmFailureCount");
	v.hard = idm_entry_first(e, "idmHardLockTime") ||
		 (count && strtol(count, NULL, 10) >= IDM_LOCKOUT_HARD_LIMIT);
	v.last_success = entry_time(e, "authTimestamp");
	evaluate(p, &v, value, server_now, out);
	keep_seen(&v, out);
	r = IDM_OK;
out:
	idm_entry_free(e);
	return r;
}

void idm_attempt_release(struct idm_attempt *a)
{
	idm_strv_free(a->spent, a->n_spent);
	a->spent = NULL;
	a->n_spent = 0;
}

/* Adding a mark that is there already (the same second) is no error. */
static int add_mark(struct idm_dir *svc, const char *dn, const char *attr, time_t t)
{
	char stamp[IDM_GENTIME_LEN];
	int r;

	idm_time_format(t, stamp);
	r = add_value(svc, dn, attr, stamp, NULL, NULL);
	return r == IDM_EEXIST ? IDM_OK : r;
}

int idm_lockout_failed(struct idm_dir *svc, const struct idm_policy *p, const char *dn,
		       const struct idm_attempt *a)
{
	int r = IDM_OK;

	if (a->consecutive >= IDM_LOCKOUT_HARD_LIMIT && !a->hard_marked)
		r = add_mark(svc, dn, "idmHardLockTime", a->server_now);
	/* A lock runs from the failure that set it: later refused attempts
	 * do not extend it. */
	if (r == IDM_OK && a->in_window >= p->lockout_threshold && !a->lock_active)
		r = add_mark(svc, dn, "idmLockedTime", a->server_now);
	return r;
}

/* The deletion of this attempt's own values, and with all (when the
 * record saw them) of every value seen. */
static struct idm_mods *delete_changes(const struct idm_attempt *a, bool all)
{
	struct idm_mods *m = idm_mods_new();

	if (all)
		for (size_t i = 0; i < a->n_spent; i++)
			idm_mods_add(m, LDAP_MOD_DELETE, "idmFailureTime", a->spent[i]);
	else
		idm_mods_add(m, LDAP_MOD_DELETE, "idmFailureTime", a->own);
	if (*a->own_fixed)
		idm_mods_add(m, LDAP_MOD_DELETE, "idmFailureTime", a->own_fixed);
	return m;
}

void idm_lockout_tidy(struct idm_dir *user, const char *dn, const struct idm_attempt *a)
{
	struct idm_tidy t;

	idm_lockout_tidy_send(user, dn, a, &t);
	idm_lockout_tidy_wait(user, dn, a, &t);
}

void idm_lockout_tidy_send(struct idm_dir *user, const char *dn, const struct idm_attempt *a,
			   struct idm_tidy *t)
{
	struct idm_mods *m;

	t->sent = false;
	t->all = a->n_spent > 0;
	if (!*a->own)
		return;
	m = delete_changes(a, t->all);
	t->sent = idm_mods_array(m) &&
		  idm_dir_modify_send(user, dn, idm_mods_array(m), &t->msgid) == IDM_OK;
	idm_mods_free(m);
}

void idm_lockout_tidy_wait(struct idm_dir *user, const char *dn, const struct idm_attempt *a,
			   struct idm_tidy *t)
{
	if (!*a->own)
		return;
	if (t->sent && idm_dir_modify_wait(user, t->msgid) == IDM_OK)
		return;
	/* Sent without failover: once more where writes are taken (a
	 * read-only replica refuses it; idm_dir_modify() goes on). */
	if (t->all && idm_dir_apply(user, dn, delete_changes(a, true)) == IDM_OK)
		return;
	/* Another login or an unlock at the same moment may have removed some
	 * of them first: then this attempt's own values alone (the others
	 * then count until the next success, never fewer). */
	idm_dir_apply(user, dn, delete_changes(a, false));
}

void idm_lockout_clear_changes(struct idm_mods *m)
{
	/* REPLACE with no value deletes, and is no error when absent. */
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmFailureTime", NULL);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmLockedTime", NULL);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmHardLockTime", NULL);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmFailureCount", NULL);
}

int idm_lockout_clear_server_lock(struct idm_dir *d, const char *dn)
{
	struct idm_mods *m = idm_mods_new();
	int r;

	/* The server's own lock (ppolicy, slapd-ppolicy.conf), where there is
	 * one: a directory without the overlay does not know the attribute,
	 * which is no error here.  Never pwdStartTime: a status. */
	idm_mods_add(m, LDAP_MOD_REPLACE, "pwdAccountLockedTime", NULL);
	r = idm_dir_apply(d, dn, m);
	if (r < 0 && r != IDM_ESCHEMA)
		idm_logf(idm_dir_log(d), LOG_WARNING,
			 N_("%s: the server's own lock (pwdAccountLockedTime) could not be cleared"),
			 dn);
	return IDM_OK;
}

int idm_lockout_unlock(struct idm_dir *d, const char *dn)
{
	struct idm_mods *m = idm_mods_new();
	int r;

	idm_lockout_clear_changes(m);
	r = idm_dir_apply(d, dn, m);
	return r < 0 ? r : idm_lockout_clear_server_lock(d, dn);
}

bool idm_lockout_in_force(const struct idm_policy *p, time_t locked_time, long consecutive,
			  time_t now)
{
	return consecutive >= IDM_LOCKOUT_HARD_LIMIT || (p && lock_active(p, locked_time, now));
}

void idm_lockout_values_of(const struct idm_account *a, struct idm_lock_values *v)
{
	static char *const none[] = { NULL };

	v->failure_values = a->failure_values ? a->failure_values : none;
	v->n_failures = a->n_failure_values;
	v->lock_values = a->lock_values ? a->lock_values : none;
	v->n_locks = a->n_lock_values;
	v->hard = a->hard_locked;
	v->last_success = a->last_success;
}

time_t idm_lockout_locked_since(const struct idm_policy *p, const struct idm_account *a, time_t now)
{
	struct idm_lock_values v;

	idm_lockout_values_of(a, &v);
	if (p && idm_lockout_verdict(p, &v, now) == IDM_LOCK_CHECK)
		return 0;
	return a->locked_time;
}

/* The server's time without writing any account: the service identity
 * replaces its own description and reads modifyTimestamp back. */
int idm_lockout_probe(struct idm_dir *svc, const struct idm_config *cfg, time_t *now)
{
	static const char *const attrs[] = { "modifyTimestamp", NULL };
	struct idm_entry *e = NULL;
	struct idm_mods *m = idm_mods_new();
	int r;

	idm_mods_add(m, LDAP_MOD_REPLACE, "description", "idmgr clock probe");
	r = idm_mods_array(m)
		    ? idm_dir_modify_read(svc, cfg->ldap.bind_dn, idm_mods_array(m), attrs, &e)
		    : IDM_ENOMEM;
	idm_mods_free(m);
	if (r == IDM_OK && !(*now = entry_time(e, "modifyTimestamp")))
		r = IDM_EINVAL;
	idm_entry_free(e);
	return r;
}

/* The verdict by the host's clock, and whether the server's must decide. */
static bool clock_decides(const struct idm_policy *p, const struct idm_account *a,
			  enum idm_lock_verdict *out)
{
	struct idm_lock_values v;
	time_t latest, now = time(NULL);

	idm_lockout_values_of(a, &v);
	latest = idm_lockout_latest_lock(&v);
	*out = idm_lockout_verdict(p, &v, now);
	if (*out == IDM_LOCK_HARD || !latest || p->lockout_duration == 0)
		return false; /* no clock decides these */
	/* over by any reasonable clock? */
	return latest + p->lockout_duration + PROBE_MARGIN >= now;
}

static void verdict_at(const struct idm_policy *p, const struct idm_account *a, time_t now,
		       enum idm_lock_verdict *out)
{
	struct idm_lock_values v;

	idm_lockout_values_of(a, &v);
	*out = idm_lockout_verdict(p, &v, now);
}

int idm_lockout_state(struct idm_dir *svc, const struct idm_config *cfg, const struct idm_policy *p,
		      const struct idm_account *a, enum idm_lock_verdict *out)
{
	time_t now;
	int r = IDM_OK;

	if (clock_decides(p, a, out) && (r = idm_lockout_probe(svc, cfg, &now)) == IDM_OK)
		verdict_at(p, a, now, out);
	return r;
}

int idm_lockout_state_as(struct idm_dir *d, const struct idm_policy *p, const struct idm_account *a,
			 const char *dn, const char *attr, enum idm_lock_verdict *out)
{
	time_t now;
	int r = IDM_OK;

	if (clock_decides(p, a, out) && (r = idm_dir_server_time(d, dn, attr, &now)) == IDM_OK)
		verdict_at(p, a, now, out);
	return r;
}
