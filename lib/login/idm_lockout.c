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
	unsigned char nonce[8];
	char stamp[IDM_GENTIME_LEN];
	int r = idm_random_bytes(nonce, sizeof(nonce));

	if (r < 0)
		return r;
	idm_time_format(t, stamp);
	snprintf(out, IDM_GENTIME_LEN + 18, "%s#%02x%02x%02x%02x%02x%02x%02x%02x", stamp, nonce[0],
		 nonce[1], nonce[2], nonce[3], nonce[4], nonce[5], nonce[6], nonce[7]);
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
	r = idm_mods_array(m) ? idm_dir_modify(svc, dn, idm_mods_array(m)) : IDM_ENOMEM;
	idm_mods_free(m);
	return r;
}

static bool lock_active(const struct idm_policy *p, time_t locked, time_t now)
{
	return locked && (p->lockout_duration == 0 || now < locked + p->lockout_duration);
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
		if (idm_dir_last_result(svc) == LDAP_NO_SUCH_ATTRIBUTE ||
		    idm_dir_last_result(svc) == LDAP_CONSTRAINT_VIOLATION ||
		    idm_dir_last_result(svc) == LDAP_TYPE_OR_VALUE_EXISTS)
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
	if (out->consecutive > IDM_LOCKOUT_HARD_LIMIT)
		out->verdict = IDM_LOCK_HARD;
	else if (lock_active(p, locked, server_now) || out->in_window > p->lockout_threshold)
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
	r = idm_mods_array(m) ? idm_dir_modify(svc, dn, idm_mods_array(m)) : IDM_ENOMEM;
	idm_mods_free(m);
	return r;
}

int idm_lockout_clear(struct idm_dir *d, const char *dn)
{
	struct idm_mods *m = idm_mods_new();
	int r;

	/* REPLACE with no value deletes, and is no error when absent. */
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmFailureTime", NULL);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmLockedTime", NULL);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmFailureCount", "0");
	r = idm_mods_array(m) ? idm_dir_modify(d, dn, idm_mods_array(m)) : IDM_ENOMEM;
	idm_mods_free(m);
	return r;
}

int idm_lockout_unlock(struct idm_dir *d, const char *dn)
{
	struct idm_mods *m;
	int r = idm_lockout_clear(d, dn);

	if (r < 0)
		return r;
	/* The server's own lock (ppolicy backstop, slapd-ppolicy.conf), where
	 * there is one: a directory without the overlay does not know the
	 * attribute, which is no error here. */
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_REPLACE, "pwdAccountLockedTime", NULL);
	if (idm_mods_array(m) && idm_dir_modify(d, dn, idm_mods_array(m)) < 0 &&
	    idm_dir_last_result(d) != LDAP_UNDEFINED_TYPE)
		idm_logf(idm_dir_log(d), LOG_WARNING,
			 "%s: the server's own lock (pwdAccountLockedTime) could not be cleared", dn);
	idm_mods_free(m);
	return IDM_OK;
}

int idm_lockout_state(struct idm_dir *svc, const struct idm_policy *p, const char *dn,
		      time_t locked_time, long consecutive, enum idm_lock_verdict *out)
{
	static const char *const attrs[] = { "modifyTimestamp", "idmLockedTime", NULL };
	struct idm_entry *e = NULL;
	struct idm_mods *m;
	char stamp_probe[IDM_GENTIME_LEN + 18];
	const char *v;
	time_t now;
	int r;

	*out = IDM_LOCK_CHECK;
	if (consecutive >= IDM_LOCKOUT_HARD_LIMIT) {
		*out = IDM_LOCK_HARD;
		return IDM_OK;
	}
	if (!locked_time)
		return IDM_OK;
	if (p->lockout_duration == 0) {
		*out = IDM_LOCK_LOCKED;
		return IDM_OK;
	}
	/* Ask the server for its time: add and delete one throw-away failure
	 * value in one modify (no net change, nothing an operator's unlock
	 * running at the same moment could lose) and read modifyTimestamp. */
	r = failure_value(0, stamp_probe);
	if (r < 0)
		return r;
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_ADD, "idmFailureTime", stamp_probe);
	idm_mods_add(m, LDAP_MOD_DELETE, "idmFailureTime", stamp_probe);
	r = idm_mods_array(m) ? idm_dir_modify_read(svc, dn, idm_mods_array(m), attrs, &e)
			      : IDM_ENOMEM;
	idm_mods_free(m);
	if (r == IDM_OK) {
		v = idm_entry_first(e, "modifyTimestamp");
		if (!v || idm_time_parse(v, &now) < 0)
			r = IDM_EINVAL;
		else if (lock_active(p, locked_time, now))
			*out = IDM_LOCK_LOCKED;
	}
	idm_entry_free(e);
	return r;
}
