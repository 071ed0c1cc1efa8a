#include "config.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_account.h"
#include "idm_dir.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_lockout.h"
#include "idm_login.h"
#include "idm_mods.h"
#include "idm_passhash.h"
#include "idm_random.h"
#include "idm_secret.h"
#include "idm_time.h"
#include "idm_uid.h"
#include "idm_i18n.h"

/* A name that cannot be a directory account (invalid, or reserved such as
 * root): answered "unknown" before any connection, so root's login never
 * waits for the directory (issue 13). */
static bool not_the_directorys(const struct idm_config *cfg, const char *uid)
{
	return idm_uid_check(cfg, uid) < 0 || idm_uid_reserved(cfg, uid);
}

const char *idm_auth_reason_name(enum idm_auth_reason r)
{
	static const char *const names[] = {
		[IDM_AUTH_OK] = "ok",
		[IDM_AUTH_WRONG_PASSWORD] = "wrong_password",
		[IDM_AUTH_EMPTY_PASSWORD] = "empty_password",
		[IDM_AUTH_NOT_A_PASSWORD] = "not_a_password",
		[IDM_AUTH_UNKNOWN_USER] = "unknown_user",
		[IDM_AUTH_LOCKED] = "locked",
		[IDM_AUTH_HARD_LOCKED] = "locked_hard_limit",
		[IDM_AUTH_DISABLED] = "account_disabled",
		[IDM_AUTH_EXPIRED] = "account_expired",
		[IDM_AUTH_SERVER_LOCKED] = "locked_by_server_ppolicy",
		[IDM_AUTH_SERVER_EXPIRED] = "password_expired_by_server",
		[IDM_AUTH_UNAVAILABLE] = "directory_unavailable",
		[IDM_AUTH_NOT_RECORDED] = "login_not_recorded",
		[IDM_AUTH_ERROR] = "error",
	};
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "error";
}

/* The Argon2 work a bind as a real user costs the server, done here when no
 * bind happens, so timing does not tell an unknown, locked or refused
 * account from a wrong password. */
static void equalise_cost(const struct idm_config *cfg, const char *password)
{
	char *hash = NULL;

	if (idm_hash_password(&cfg->argon2, password, strlen(password), &hash) == IDM_OK)
		explicit_bzero(hash, strlen(hash));
	free(hash);
}

int idm_login_decoy_dn(const struct idm_config *cfg, char **out)
{
	const char *parent = cfg->ldap.bind_dn;

	*out = NULL;
	/* the parent starts after the first unescaped comma */
	for (; *parent; parent++) {
		if (*parent == '\\' && parent[1]) {
			parent++;
			continue;
		}
		if (*parent == ',')
			break;
	}
	if (!*parent)
		return IDM_ECONFIG;
	if (asprintf(out, "cn=%s%s", IDM_DECOY_CN, parent) < 0) {
		*out = NULL;
		return IDM_ENOMEM;
	}
	return IDM_OK;
}

/* A refusal without a check: what a wrong password costs, on the decoy
 * (idm_login.h).  Nothing here changes the outcome. */
void idm_login_decoy_bind(const struct idm_config *cfg, const struct idm_log *log,
			  const struct idm_dir *near, const char *password)
{
	struct idm_dir *d = NULL;
	char *dn = NULL, *noise = NULL;
	size_t len = strlen(password);

	if (len > 128)
		len = 128;
	if (idm_login_decoy_dn(cfg, &dn) == IDM_OK &&
	    idm_random_password(len ? len : 1, &noise) == IDM_OK &&
	    idm_dir_open_near(near, cfg, NULL, dn, noise, NULL, &d) == IDM_OK) {
		/* a decoy that accepts a random password is no decoy */
		idm_logf(log, LOG_ERR, N_("%s accepted a random password: rerun \"idmgr init\""),
			 dn);
		idm_dir_close(d);
	}
	free(dn);
	idm_secret_free(noise);
}

static void set_policy(char dst[65], const struct idm_policy *p)
{
	snprintf(dst, 65, "%s", p ? p->name : "-");
}

/* idmLastLoginHost as stored: PAM_RHOST is the client's choice, so it is
 * put in printable form (valid IA5, at most 256 characters, no escape
 * sequence); a value the directory refused would fail the modify that
 * clears the attempt counted before the check, and cost the user a lock. */
static const char *stored_host(const char *rhost, char buf[IDM_HOST_MAX + 1])
{
	return rhost && *rhost ? idm_printable(rhost, "\\", buf, IDM_HOST_MAX + 1) : "localhost";
}

/* How long after auth recorded a login a session in another process
 * (sshd's keyboard-interactive child) still takes idmPreviousLogin as this
 * login's: sshd's LoginGraceTime (120 s) plus a forced password change. */
#define PREV_LOGIN_GRACE 300

/* idmPreviousLogin: "RECORDED PREVIOUS FAILURES HOST", RECORDED the
 * idmLastLoginTime written with it, PREVIOUS the login before ("0": none),
 * FAILURES the failed attempts between the two, HOST the previous login's
 * host ("-": none).  Written by auth in its one modify, so the session
 * phase finds the login before this one even when auth ran in a process
 * that has exited (issue 13). */
static void format_prev(char *buf, size_t size, const char *recorded, const struct idm_account *a)
{
	char prev[IDM_GENTIME_LEN] = "0";

	if (a->last_login)
		idm_time_format(a->last_login, prev);
	snprintf(buf, size, "%s %s %ld %s", recorded, prev,
		 a->failure_count < 0 ? 0 : a->failure_count,
		 a->last_host && *a->last_host ? a->last_host : "-");
}

/* The previous login from idmPreviousLogin when it was written with the
 * login now recorded (its RECORDED is idmLastLoginTime) no longer than
 * PREV_LOGIN_GRACE ago; false otherwise (then no auth of this login left
 * it: an SSH key login, or a stale value). */
static bool parse_prev(const struct idm_account *a, time_t now, struct idm_last_login *prev)
{
	char recorded[IDM_GENTIME_LEN + 1], previous[IDM_GENTIME_LEN + 1], host[256];
	time_t rec, p = 0;
	long failures;

	if (!a->prev_login || !a->last_login ||
	    sscanf(a->prev_login, "%16s %16s %ld %255s", recorded, previous, &failures, host) != 4)
		return false;
	if (idm_time_parse(recorded, &rec) < 0 || rec != a->last_login ||
	    now - rec > PREV_LOGIN_GRACE || now < rec - 60 || failures < 0 ||
	    (strcmp(previous, "0") && idm_time_parse(previous, &p) < 0))
		return false;
	prev->login = p;
	prev->logout = a->last_logout;
	prev->failures = failures;
	snprintf(prev->host, sizeof(prev->host), "%s", strcmp(host, "-") ? host : "");
	return true;
}

/* After a successful check: the last login's time and host and, under
 * max_logins, one more login value (the server's time and the attempt's
 * nonce, idm_account.h).  Failures are not cleared here (the service
 * identity cannot): the user's bind just moved authTimestamp past them
 * (idm_lockout.h).  The login past max_logins (the one the account phase
 * refuses) makes the server demand a change at every later bind
 * (pwdReset, which the hosts may add, never remove): R-PW-3 holds for
 * direct binds too.  Not at the max_logins-th: the account phase reads
 * pwdReset and would refuse that login itself. */
static int record_success(struct idm_dir *svc, const struct idm_policy *p,
			  const struct idm_account *a, const struct idm_attempt *at,
			  const char *rhost, long *counted)
{
	static const char *const attrs[] = { "idmLoginTime", NULL };
	struct idm_mods *m = idm_mods_new();
	struct idm_entry *e = NULL;
	const struct idm_attr *logins;
	char now[IDM_GENTIME_LEN], login[IDM_GENTIME_LEN + 18], host[IDM_HOST_MAX + 1];
	const char *nonce = strchr(at->own, '#');
	int r;
	char prev[IDM_GENTIME_LEN * 2 + IDM_HOST_MAX + 48];

	idm_time_format(time(NULL), now);
	format_prev(prev, sizeof(prev), now, a);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmPreviousLogin", prev);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmLastLoginTime", now);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmLastLoginHost", stored_host(rhost, host));
	if (p->max_logins <= 0 || !nonce) {
		r = idm_mods_array(m) ? idm_dir_modify(svc, a->dn, idm_mods_array(m)) : IDM_ENOMEM;
		goto out;
	}
	idm_time_format(at->server_now, login);
	snprintf(login + IDM_GENTIME_LEN - 1, sizeof(login) - (IDM_GENTIME_LEN - 1), "%s", nonce);
	idm_mods_add(m, LDAP_MOD_ADD, "idmLoginTime", login);
	r = idm_mods_array(m) ? idm_dir_modify_read(svc, a->dn, idm_mods_array(m), attrs, &e)
			      : IDM_ENOMEM;
	logins = r == IDM_OK ? idm_entry_attr(e, "idmLoginTime") : NULL;
	if (logins)
		*counted = idm_account_logins_since(logins->vals, logins->n, a->pwd_changed);
	if (logins && *counted > p->max_logins) {
		idm_mods_free(m);
		m = idm_mods_new();
		idm_mods_add(m, LDAP_MOD_ADD, "pwdReset", "TRUE");
		/* present already (a concurrent login set it): as wanted */
		if (idm_mods_array(m))
			idm_dir_modify(svc, a->dn, idm_mods_array(m));
	}
out:
	idm_entry_free(e);
	idm_mods_free(m);
	return r;
}

/* The account phase's verdict on the account a as read, the lock verdict
 * known, at now (the server's time where known). */
static int account_verdict(const struct idm_policy *p, const struct idm_account *a,
			   enum idm_lock_verdict lock, bool ppolicy_must_change, time_t now,
			   struct idm_account_result *res)
{
	int r = idm_account_usable(a, now);

	set_policy(res->policy, p);
	res->days_left = -1;
	if (r < 0) {
		res->reason = r == IDM_ERANGE ? "account_expired" : "account_disabled";
		snprintf(res->status, sizeof(res->status), "%s", a->status ? a->status : "");
		return r;
	}
	if (lock != IDM_LOCK_CHECK) {
		res->reason = lock == IDM_LOCK_HARD ? "locked_hard_limit" : "locked";
		if (lock == IDM_LOCK_LOCKED && p->lockout_duration > 0)
			res->locked_until = a->locked_time + p->lockout_duration;
		return IDM_EDENIED;
	}
	if (p->max_age_days > 0) {
		time_t expires = idm_time_add_days(a->pwd_changed, p->max_age_days);
		res->days_left = expires > now ? (long)((expires - now + IDM_DAY - 1) / IDM_DAY) : 0;
		res->warn = res->days_left <= p->warn_days;
	}
	res->reason = "ok";
	switch (idm_account_change_due(p, a, ppolicy_must_change, true, now)) {
	case IDM_CHANGE_MAX_LOGINS:
		/* max_logins logins are allowed (the server's pwdReset, set at
		 * the last of them, says the same; this reason is the more
		 * telling) */
		res->reason = "max_logins_reached";
		return IDM_ESTATE;
	case IDM_CHANGE_RESET: res->reason = "must_change"; return IDM_ESTATE;
	case IDM_CHANGE_EXPIRED: res->reason = "password_expired"; return IDM_ESTATE;
	default: return IDM_OK;
	}
}

int idm_login_authenticate(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
			   const char *password, const char *rhost, struct idm_auth_result *res)
{
	struct idm_dir *svc = NULL, *user = NULL;
	struct idm_account *a = NULL;
	const struct idm_policy *p = NULL;
	struct idm_attempt at = { 0 };
	int r, pp = -1;

	memset(res, 0, sizeof(*res));
	res->reason = IDM_AUTH_ERROR;
	set_policy(res->policy, NULL);
	if (!password || !*password) {
		/* RFC 4513: an empty simple bind is an anonymous bind that
		 * "succeeds".  Refused before any directory call. */
		equalise_cost(cfg, "");
		res->reason = IDM_AUTH_EMPTY_PASSWORD;
		return IDM_EAUTH;
	}
	if (strpbrk(password, "\n\r")) {
		/* No conversation delivers a line break inside an answer, so no
		 * user can have typed this: it is a program's placeholder, such
		 * as sshd's "\b\n\r\177INCORRECT" for a user the name service
		 * cannot resolve.  Refused before any directory call and never
		 * counted as a failure: a name-service outage must not lock out
		 * users who type the right password (issue 13, R-LOGIN-2). */
		equalise_cost(cfg, password);
		res->reason = IDM_AUTH_NOT_A_PASSWORD;
		return IDM_EAUTH;
	}
	if (not_the_directorys(cfg, uid)) {
		equalise_cost(cfg, password);
		res->reason = IDM_AUTH_UNKNOWN_USER;
		return IDM_ENOENT;
	}
	r = idm_dir_open_service(cfg, log, &svc);
	if (r == IDM_OK)
		r = idm_account_lookup(svc, cfg, uid, &a);
	if (r < 0) {
		if (r == IDM_ENOENT) {
			/* the write an attempt's record costs, on no account */
			time_t ignored;
			res->reason = IDM_AUTH_UNKNOWN_USER;
			idm_lockout_probe(svc, cfg, &ignored);
			idm_login_decoy_bind(cfg, log, svc, password);
		} else if (r == IDM_EUNAVAIL) {
			res->reason = IDM_AUTH_UNAVAILABLE;
		}
		goto out;
	}
	p = idm_account_policy(cfg, a);
	set_policy(res->policy, p);
	res->prev.login = a->last_login;
	res->prev.logout = a->last_logout;
	res->prev.failures = a->failure_count;
	snprintf(res->prev.host, sizeof(res->prev.host), "%s", a->last_host ? a->last_host : "");
	if (!p) {
		idm_logf(log, LOG_ERR, N_("%s: policy \"%s\" is not in %s"), uid, a->policy,
			 cfg->path);
		r = IDM_ECONFIG;
		goto out;
	}
	/* At the hard limit nothing more is recorded (the entry would grow
	 * with every guess, and nothing can lock it more): the clock probe is
	 * the write instead, as for an unknown user. */
	if (idm_lockout_full(a)) {
		time_t ignored;
		res->reason = IDM_AUTH_HARD_LOCKED;
		idm_lockout_probe(svc, cfg, &ignored);
		goto refuse;
	}
	/* Counted before the check: of N concurrent guesses at most
	 * lockout_threshold reach the password.  A disabled account's attempt
	 * is counted too, so that refusing it costs what a check costs. */
	r = idm_lockout_record(svc, p, a->dn, &at);
	if (r < 0) {
		if (r == IDM_EUNAVAIL)
			res->reason = IDM_AUTH_UNAVAILABLE;
		goto out;
	}
	switch (idm_account_usable(a, at.server_now)) {
	case IDM_OK: break;
	case IDM_ERANGE: res->reason = IDM_AUTH_EXPIRED; goto refuse;
	default: res->reason = IDM_AUTH_DISABLED; goto refuse;
	}
	if (at.verdict != IDM_LOCK_CHECK) {
		res->reason = at.verdict == IDM_LOCK_HARD ? IDM_AUTH_HARD_LOCKED : IDM_AUTH_LOCKED;
		goto refuse;
	}

	/* Checked where the attempt was just recorded (idm_dir_open_near). */
	r = idm_dir_open_near(svc, cfg, log, a->dn, password, &pp, &user);
	if (r == IDM_OK) {
		struct idm_tidy tidy;
		long counted = -1;

		res->reason = IDM_AUTH_OK;
		res->must_change = pp == PP_changeAfterReset;
		/* The user's deletion of the attempts this success spends
		 * travels while the service identity records the login (a
		 * session slapd restricts to a change may not delete). */
		if (!res->must_change)
			idm_lockout_tidy_send(user, a->dn, &at, &tidy);
		r = record_success(svc, p, a, &at, rhost, &counted);
		if (!res->must_change)
			idm_lockout_tidy_wait(user, a->dn, &at, &tidy);
		/* An unrecorded login fails (fail closed: max_logins and the
		 * stale-ID sweep count what is recorded); the log says so. */
		if (r < 0)
			res->reason =
				r == IDM_EUNAVAIL ? IDM_AUTH_UNAVAILABLE : IDM_AUTH_NOT_RECORDED;
		/* The account phase's answer on what this auth read, with this
		 * login counted (the logins after it are the post-read's). */
		if (r == IDM_OK && (counted >= 0 || p->max_logins <= 0)) {
			if (counted >= 0)
				a->login_count = counted;
			res->account_r = account_verdict(p, a, IDM_LOCK_CHECK, res->must_change,
							 at.server_now, &res->account);
		}
	} else if (r == IDM_EAUTH) {
		/* passwordExpired comes only with the right password: the
		 * server's refusal of a user who proved who they are */
		res->reason = pp == PP_accountLocked     ? IDM_AUTH_SERVER_LOCKED
			      : pp == PP_passwordExpired ? IDM_AUTH_SERVER_EXPIRED
							 : IDM_AUTH_WRONG_PASSWORD;
		/* slapd answers a locked account without Argon2: the work of a
		 * check, on the decoy, so that its lock shows in no timing */
		if (pp == PP_accountLocked)
			idm_login_decoy_bind(cfg, log, svc, password);
		idm_lockout_failed(svc, p, a->dn, &at);
	} else if (r == IDM_EUNAVAIL) {
		res->reason = IDM_AUTH_UNAVAILABLE;
	}
	goto out;
refuse:
	/* The bind of a check, on the decoy: no timing tells this refusal from
	 * a wrong password (the attempt was recorded like any other). */
	idm_login_decoy_bind(cfg, log, svc, password);
	r = IDM_EAUTH;
out:
	idm_attempt_release(&at);
	idm_dir_close(user);
	idm_dir_close(svc);
	idm_account_free(a);
	return r;
}

int idm_login_account(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
		      bool ppolicy_must_change, struct idm_account_result *res)
{
	struct idm_dir *svc = NULL;
	struct idm_account *a = NULL;
	const struct idm_policy *p = NULL;
	enum idm_lock_verdict lock = IDM_LOCK_CHECK;
	time_t now = time(NULL);
	int r;

	memset(res, 0, sizeof(*res));
	res->reason = "error";
	res->days_left = -1;
	set_policy(res->policy, NULL);
	r = not_the_directorys(cfg, uid) ? IDM_ENOENT : idm_dir_open_service(cfg, log, &svc);
	if (r == IDM_OK)
		r = idm_account_lookup(svc, cfg, uid, &a);
	if (r < 0) {
		res->reason = r == IDM_ENOENT     ? "unknown_user"
			      : r == IDM_EUNAVAIL ? "directory_unavailable"
						  : "error";
		goto out;
	}
	p = idm_account_policy(cfg, a);
	set_policy(res->policy, p);
	if (!p) {
		r = IDM_ECONFIG;
		goto out;
	}
	/* the lock state only of a usable account (it may cost a clock probe) */
	if (idm_account_usable(a, now) == IDM_OK &&
	    (r = idm_lockout_state(svc, cfg, p, a, &lock)) < 0)
		goto out;
	r = account_verdict(p, a, lock, ppolicy_must_change, now, res);
out:
	idm_account_free(a);
	idm_dir_close(svc);
	return r;
}

static int write_times(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
		       const char *rhost, bool login, bool stored_prev, struct idm_last_login *prev)
{
	struct idm_dir *svc = NULL;
	struct idm_account *a = NULL;
	struct idm_mods *m = NULL;
	char now[IDM_GENTIME_LEN], host[IDM_HOST_MAX + 1];
	int r;

	r = idm_dir_open_service(cfg, log, &svc);
	if (r == IDM_OK)
		r = idm_account_lookup(svc, cfg, uid, &a);
	if (r < 0)
		goto out;
	if (prev && stored_prev && parse_prev(a, time(NULL), prev))
		; /* auth recorded this login, in another process, and left the one before */
	else if (prev) {
		prev->login = a->last_login;
		prev->logout = a->last_logout;
		snprintf(prev->host, sizeof(prev->host), "%s", a->last_host ? a->last_host : "");
		if (prev->failures < 0)
			prev->failures = a->failure_count;
	}
	idm_time_format(time(NULL), now);
	m = idm_mods_new();
	if (login) {
		idm_mods_add(m, LDAP_MOD_REPLACE, "idmLastLoginTime", now);
		idm_mods_add(m, LDAP_MOD_REPLACE, "idmLastLoginHost", stored_host(rhost, host));
		if (a->prev_login) /* used, or stale: never read twice */
			idm_mods_add(m, LDAP_MOD_REPLACE, "idmPreviousLogin", NULL);
	} else {
		idm_mods_add(m, LDAP_MOD_REPLACE, "idmLastLogoutTime", now);
	}
	r = idm_mods_array(m) ? idm_dir_modify(svc, a->dn, idm_mods_array(m)) : IDM_ENOMEM;
out:
	idm_mods_free(m);
	idm_account_free(a);
	idm_dir_close(svc);
	return r;
}

int idm_login_session_open(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
			   const char *rhost, const struct idm_last_login *from_auth,
			   bool auth_skipped, struct idm_last_login *prev)
{
	if (from_auth) {
		*prev = *from_auth; /* auth recorded this login already */
		return IDM_OK;
	}
	memset(prev, 0, sizeof(*prev));
	prev->failures = -1;
	return write_times(cfg, log, uid, rhost, true, !auth_skipped, prev);
}

int idm_login_session_close(const struct idm_config *cfg, const struct idm_log *log, const char *uid)
{
	return write_times(cfg, log, uid, NULL, false, false, NULL);
}
