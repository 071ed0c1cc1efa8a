/* idm_login.h -- the login path of pam_idmgr.so, free of PAM code
 * (contract §6, R-LOGIN-1..3, R-PW-2..4, R-PRIV-4, R-AUD-3).
 *
 * auth: the account is found with the service identity; the attempt is
 * recorded (idm_lockout.h) before the password is checked by binding as the
 * user on a connection of its own; no hash is ever read.  An unknown user, a
 * locked or refused account and a wrong password make the same round trips
 * (service bind, search, one write read back, one bind that costs the server
 * an Argon2 verification and a failure write: the decoy below) and get the
 * same answer. */
#ifndef IDM_LOGIN_H
#define IDM_LOGIN_H

#include <stdbool.h>
#include <time.h>

#include "idm_account.h"
#include "idm_config.h"
#include "idm_log.h"

enum idm_auth_reason {
	IDM_AUTH_OK,
	IDM_AUTH_WRONG_PASSWORD,
	IDM_AUTH_EMPTY_PASSWORD,
	IDM_AUTH_NOT_A_PASSWORD, /* holds a line break: no dialog can deliver it */
	IDM_AUTH_UNKNOWN_USER,
	IDM_AUTH_LOCKED,
	IDM_AUTH_HARD_LOCKED,
	IDM_AUTH_DISABLED,       /* suspended, seconded, retired */
	IDM_AUTH_EXPIRED,        /* past idmValidUntil */
	IDM_AUTH_SERVER_LOCKED,  /* the server's ppolicy overlay locked it */
	IDM_AUTH_SERVER_EXPIRED, /* the right password, expired for the server */
	IDM_AUTH_UNAVAILABLE,
	IDM_AUTH_NOT_RECORDED, /* the right password, but the login could not be recorded */
	IDM_AUTH_ERROR,
};

/* For the log line: "wrong_password", "locked", ... */
const char *idm_auth_reason_name(enum idm_auth_reason r);

struct idm_last_login {
	time_t login, logout;        /* 0: never */
	char host[IDM_HOST_MAX + 1]; /* as stored: may be raw if written around idmgr */
	long failures;               /* failed attempts since that login */
};

struct idm_account_result {
	const char *reason; /* for the log line */
	char policy[65];
	char status[16];     /* idmStatus when the account is not active */
	time_t locked_until; /* reason "locked": when the lock ends, 0: an officer unlocks */
	long days_left;      /* password expiry in days, -1 when it does not expire */
	bool warn;           /* days_left is within warn_days */
};

struct idm_auth_result {
	enum idm_auth_reason reason;
	char policy[65];  /* the policy class that governed the attempt */
	bool must_change; /* the server's ppolicy said: change after reset */
	/* On success: the login before this one, for the session's message
	 * (auth records this login: a stack without a session line still
	 * keeps last-login times for the stale-ID sweep). */
	struct idm_last_login prev;
	/* On success: what the account phase would answer now (its return
	 * code in account_r), decided on the entry auth read, the server's
	 * time of the attempt and this login counted; an account phase in the
	 * same transaction need not ask the directory again.  account.reason
	 * NULL: not known (the phase asks). */
	int account_r;
	struct idm_account_result account;
};

/* The timing decoy: an entry beside the service identity (bind_dn's
 * parent), cn=IDM_DECOY_CN, whose password nobody knows, hashed with the
 * configured Argon2 costs, under a ppolicy that records failures and never
 * locks ("idmgr init" makes it).  Every refusal without a check binds to it
 * with a random password of the same length: the server does the Argon2
 * work and the failure write a wrong password costs, so an unknown user, a
 * locked or disabled account and a wrong password take the same round trips
 * and the same time; no guess is checked, and no password of a local
 * account reaches the directory.  *out malloc'ed. */
#define IDM_DECOY_CN "idmgr-decoy"
int idm_login_decoy_dn(const struct idm_config *cfg, char **out);
/* That bind, with a random password as long as password, tried first on
 * the server near is connected to (NULL: in order).  Nothing it does
 * changes an outcome. */
void idm_login_decoy_bind(const struct idm_config *cfg, const struct idm_log *log,
			  const struct idm_dir *near, const char *password);

/* IDM_OK, IDM_EAUTH (wrong password, locked, refused), IDM_ENOENT,
 * IDM_EUNAVAIL, IDM_ECONFIG, IDM_ENOMEM. */
int idm_login_authenticate(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
			   const char *password, const char *rhost, struct idm_auth_result *res);

/* account: IDM_OK, IDM_ESTATE (a new password is required), IDM_EDENIED
 * (locked, suspended, seconded, retired), IDM_ERANGE (past valid_until),
 * IDM_ENOENT, IDM_EUNAVAIL.  Never clears failures (cron and sudo call
 * this phase alone). */
int idm_login_account(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
		      bool ppolicy_must_change, struct idm_account_result *res);

/* session open: the previous login for the message.  from_auth is what
 * auth found in this process (it recorded this login already).  Without
 * it the entry is read and this login recorded here; the login before is
 * the one auth left in idmPreviousLogin when auth ran in another process
 * (sshd's keyboard-interactive child) within a few minutes, unless
 * auth_skipped (the account phase ran in this process without auth: an SSH
 * key), else the entry's last login. */
int idm_login_session_open(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
			   const char *rhost, const struct idm_last_login *from_auth,
			   bool auth_skipped, struct idm_last_login *prev);
int idm_login_session_close(const struct idm_config *cfg, const struct idm_log *log,
			    const char *uid);

#endif
