#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_error.h"
#include "idm_lockout.h"
#include "idm_mods.h"
#include "idm_random.h"
#include "idm_time.h"

/* A host clock this far from the server's is off: its stamp is replaced. */
#define SKEW_TOLERANCE 2

static const char *const read_attrs[] = {
	"idmFailureTime", "idmFailureCount", "idmLockedTime", "modifyTimestamp", NULL,
};

/* "YYYYMMDDHHMMSSZ#nonce": the time, then 16 random hex digits so that two
 * attempts in the same second are two values. */
static int failure_value(time_t t, char out[IDM_GENTIME_LEN + 18])
{
	char nonce[17];
	char stamp[IDM_GENTIME_LEN];
	int r = idm_random_hex(nonce, 8);

	if (r < 0)
		return r;
	idm_time_format(t, stamp);
	snprintf(out, IDM_GENTIME_LEN + 18, "%s#%s", stamp, nonce);
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

/* One modify: add value, count one more failure.  RFC 4525 increment fails
 * on an absent attribute, so the first failure ever adds it instead (and a
 * concurrent first failure makes that add fail: then increment). */
static int record_once(struct idm_dir *svc, const char *dn, const char *value, bool increment,
		       struct idm_entry **e)
{
	struct idm_mods *m = idm_mods_new();
	int r;

	idm_mods_add(m, LDAP_MOD_ADD, "idmFailureTime", value);
	idm_mods_add(m, increment ? LDAP_MOD_INCREMENT : LDAP_MOD_ADD, "idmFailureCount", "1");
	r = idm_mods_array(m) ? idm_dir_modify_read(svc, dn, idm_mods_array(m), read_attrs, e)
			      : IDM_ENOMEM;
	idm_mods_free(m);
	return r;
}

static int replace_value(struct idm_dir *svc, const char *dn, const char *old, const char *new)
{
	struct idm_mods *m = idm_mods_new();
	int r;

	idm_mods_add(m, LDAP_MOD_DELETE, "idmFailureTime", old);
	idm_mods_add(m, LDAP_MOD_ADD, "idmFailureTime", new);
	r = idm_dir_apply(svc, dn, m);
	return r;
}

static bool lock_active(const struct idm_policy *p, time_t locked, time_t now)
{
	return locked && (p->lockout_duration == 0 || now < locked + p->lockout_duration);
}

bool idm_lockout_in_force(const struct idm_policy *p, time_t locked_time, long consecutive,
			  time_t now)
{
	return consecutive >= IDM_LOCKOUT_HARD_LIMIT || (p && lock_active(p, locked_time, now));
}

int idm_lockout_record(struct idm_dir *svc, const struct idm_policy *p, const char *dn,
		       struct idm_attempt *out)
{
	char value[IDM_GENTIME_LEN + 18];
	struct idm_entry *e = NULL;
	const struct idm_attr *times;
	const char *v;
	time_t host_now = time(NULL), server_now, locked = 0, since;
	int r = IDM_EDIR;

	memset(out, 0, sizeof(*out));
	r = failure_value(host_now, value);
	if (r < 0)
		return r;
	for (int tries = 0, increment = 1; tries < 4; tries++) {
		r = record_once(svc, dn, value, increment, &e);
		if (r == IDM_OK)
			break;
		/* increment of an absent counter, or a concurrent first failure
		 * that added it first: switch between add and increment (the
		 * nonce makes the failure value itself unique) */
		if (r == IDM_ENOVALUE || r == IDM_ESCHEMA || r == IDM_EEXIST)
			increment = !increment;
		else
			break;
	}
	if (r < 0)
		goto out;
	/* The server's clock: when this very change happened. */
	v = idm_entry_first(e, "modifyTimestamp");
	if (!v || idm_time_parse(v, &server_now) < 0) {
		r = IDM_EINVAL; /* a reply we cannot trust: fail closed */
		goto out;
	}
	out->server_now = server_now;
	if (host_now > server_now + SKEW_TOLERANCE || host_now < server_now - SKEW_TOLERANCE) {
		char fixed[IDM_GENTIME_LEN + 18];
		memcpy(fixed, value, sizeof(fixed));
		idm_time_format(server_now, fixed); /* overwrites the stamp and its NUL */
		fixed[IDM_GENTIME_LEN - 1] = '#';
		idm_logf(idm_dir_log(svc), LOG_WARNING,
			 "this host's clock is %+lds off the directory server's; using the server's",
			 (long)(host_now - server_now));
		/* On failure the value stays, stamped with our clock; it counts. */
		replace_value(svc, dn, value, fixed);
	}
	v = idm_entry_first(e, "idmLockedTime");
	if (v && idm_time_parse(v, &locked) < 0)
		locked = 0;
	v = idm_entry_first(e, "idmFailureCount");
	out->consecutive = v ? strtol(v, NULL, 10) : 0;

	/* Failures that count: inside the window, and after a lock that has
	 * run out (that lock's failures are spent). */
	since = server_now - p->lockout_window;
	if (locked && !lock_active(p, locked, server_now)) {
		out->lock_expired = true;
		if (locked > since)
			since = locked;
	}
	times = idm_entry_attr(e, "idmFailureTime");
	for (size_t i = 0; times && i < times->n; i++) {
		time_t t = value_time(times->vals[i]);
		/* a skewed host's own value is counted at the server's time */
		if (strcmp(times->vals[i], value) == 0)
			t = server_now;
		if (t > since)
			out->in_window++;
	}
	out->lock_active = lock_active(p, locked, server_now);
	/* The lock in force before this attempt (the one rule), or this
	 * attempt beyond the threshold of its window. */
	if (idm_lockout_in_force(p, locked, out->consecutive - 1, server_now))
		out->verdict = out->consecutive - 1 >= IDM_LOCKOUT_HARD_LIMIT ? IDM_LOCK_HARD
									       : IDM_LOCK_LOCKED;
	else if (out->in_window > p->lockout_threshold)
		out->verdict = IDM_LOCK_LOCKED;
	else
		out->verdict = IDM_LOCK_CHECK;
	r = IDM_OK;
out:
	idm_entry_free(e);
	return r;
}

int idm_lockout_failed(struct idm_dir *svc, const struct idm_policy *p, const char *dn,
		       const struct idm_attempt *a)
{
	char stamp[IDM_GENTIME_LEN];
	struct idm_mods *m;
	int r;

	/* A lock runs from the failure that set it: later refused attempts
	 * do not extend it. */
	if (a->in_window < p->lockout_threshold || a->lock_active)
		return IDM_OK;
	idm_time_format(a->server_now, stamp);
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmLockedTime", stamp);
	r = idm_dir_apply(svc, dn, m);
	return r;
}

void idm_lockout_clear_changes(struct idm_mods *m)
{
	/* REPLACE with no value deletes, and is no error when absent. */
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmFailureTime", NULL);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmLockedTime", NULL);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmFailureCount", "0");
}

int idm_lockout_clear(struct idm_dir *d, const char *dn)
{
	struct idm_mods *m = idm_mods_new();

	idm_lockout_clear_changes(m);
	return idm_dir_apply(d, dn, m);
}

int idm_lockout_clear_server_lock(struct idm_dir *d, const char *dn)
{
	struct idm_mods *m = idm_mods_new();
	int r;

	/* The server's own lock (ppolicy backstop, slapd-ppolicy.conf), where
	 * there is one: a directory without the overlay does not know the
	 * attribute, which is no error here. */
	idm_mods_add(m, LDAP_MOD_REPLACE, "pwdAccountLockedTime", NULL);
	r = idm_dir_apply(d, dn, m);
	if (r < 0 && r != IDM_ESCHEMA)
		idm_logf(idm_dir_log(d), LOG_WARNING,
			 "%s: the server's own lock (pwdAccountLockedTime) could not be cleared", dn);
	return IDM_OK;
}

int idm_lockout_unlock(struct idm_dir *d, const char *dn)
{
	int r = idm_lockout_clear(d, dn);

	return r < 0 ? r : idm_lockout_clear_server_lock(d, dn);
}

int idm_lockout_state(struct idm_dir *svc, const struct idm_policy *p, const char *dn,
		      time_t locked_time, long consecutive, enum idm_lock_verdict *out)
{
	return idm_lockout_state_as(svc, p, dn, "idmFailureTime", locked_time, consecutive, out);
}

int idm_lockout_state_as(struct idm_dir *d, const struct idm_policy *p, const char *dn,
			 const char *attr, time_t locked_time, long consecutive,
			 enum idm_lock_verdict *out)
{
	time_t now = 0;
	int r = IDM_OK;

	*out = IDM_LOCK_CHECK;
	/* The server's clock is asked only when it can matter. */
	if (locked_time && consecutive < IDM_LOCKOUT_HARD_LIMIT && p->lockout_duration > 0)
		r = idm_dir_server_time(d, dn, attr, &now);
	if (r == IDM_OK && idm_lockout_in_force(p, locked_time, consecutive, now))
		*out = consecutive >= IDM_LOCKOUT_HARD_LIMIT ? IDM_LOCK_HARD : IDM_LOCK_LOCKED;
	return r;
}
