/* pam_idmgr.so -- PAM glue over the idmgr core library (pam_idmgr(8)).
 *
 * Only argument parsing, the conversation, the log line and the mapping of
 * core results to PAM codes live here; the login logic is idm_login.c.  The
 * module reads no environment: its configuration comes from the config=
 * argument or the built-in default path.  What the user reads is in the
 * application's language (its locale; the module never sets one), from the
 * catalogue in the configured locale folder (idm_i18n.h); the log lines stay
 * English. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "idm_config.h"
#include "idm_dir_health.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_i18n.h"
#include "idm_log.h"
#include "idm_lockout.h"
#include "idm_login.h"
#include "idm_password.h"

#define EXPORT __attribute__((visibility("default")))

/* PAM data handed from auth to account and session in one transaction. */
#define DATA_PREV "idmgr:previous_login"
#define DATA_MUST_CHANGE "idmgr:ppolicy_must_change"
static const char must_change_flag[] = "1";
/* Set by account when auth did not run in this process (an SSH key login):
 * the session then ignores what an auth elsewhere left (idm_login.h). */
#define DATA_NO_AUTH "idmgr:account_without_auth"
static const char no_auth_flag[] = "1";
/* What the account phase would answer, decided by auth on the entry it
 * read (idm_auth_result): an account phase of the same user soon after in
 * the same transaction takes it instead of asking the directory again. */
#define DATA_ACCOUNT "idmgr:account_verdict"
#define ACCOUNT_FRESH 60 /* seconds */
struct account_verdict {
	time_t decided;
	int r;
	struct idm_account_result res;
	char user[];
};
/* The configuration, loaded by the transaction's first phase. */
#define DATA_CONFIG "idmgr:configuration"
/* The servers found not answering, for the rest of the transaction. */
#define DATA_HEALTH "idmgr:directory_health"

struct ctx {
	pam_handle_t *pamh;
	struct idm_log log;
	struct idm_config *cfg;
	const char *user, *service, *rhost, *tty, *ruser;
	int retry;   /* retry=N: new passwords asked at most N times */
	bool cached; /* cfg belongs to the transaction's PAM data */
};

static void log_pam(void *data, int priority, const char *msg)
{
	pam_syslog((pam_handle_t *)data, priority, "%s", msg);
}

static void cleanup_config(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	idm_config_free(data);
}

/* The configuration an earlier phase of this transaction loaded from
 * path, or NULL: each phase reads the file only when no earlier one did. */
static struct idm_config *cached_config(pam_handle_t *pamh, const char *path)
{
	const void *data = NULL;

	if (pam_get_data(pamh, DATA_CONFIG, &data) != PAM_SUCCESS || !data)
		return NULL;
	return strcmp(((const struct idm_config *)data)->path, path) == 0 ? (struct idm_config *)data
									  : NULL;
}

static void cleanup_health(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	idm_dir_health_free(data);
}

/* The transaction's servers found not answering: made by its first phase
 * from the host's state file, then handed on as PAM data.  NULL (out of
 * memory): every connection tries the servers in order. */
static struct idm_dir_health *health_of(pam_handle_t *pamh, const struct idm_config *cfg,
					const struct idm_log *log)
{
	const void *data = NULL;
	struct idm_dir_health *h;

	if (pam_get_data(pamh, DATA_HEALTH, &data) == PAM_SUCCESS && data)
		return (struct idm_dir_health *)data;
	if (!(h = idm_dir_health_new()))
		return NULL;
	idm_dir_health_load(h, IDM_RUNDIR, cfg, log);
	if (pam_set_data(pamh, DATA_HEALTH, h, cleanup_health) != PAM_SUCCESS) {
		idm_dir_health_free(h);
		return NULL;
	}
	return h;
}

/* Parses the arguments, loads the configuration and reads the items every
 * log line names.  An unknown argument is an error (fail closed). */
static int setup(struct ctx *c, pam_handle_t *pamh, int argc, const char **argv)
{
	const char *config = IDM_DEFAULT_CONFIG;
	int pr;

	idm_i18n_init();
	memset(c, 0, sizeof(*c));
	c->pamh = pamh;
	c->log.fn = log_pam;
	c->log.data = pamh;
	c->retry = 3;
	/* the items every log line names, also the line of a failed setup */
	pam_get_item(pamh, PAM_SERVICE, (const void **)&c->service);
	pam_get_item(pamh, PAM_RHOST, (const void **)&c->rhost);
	pam_get_item(pamh, PAM_TTY, (const void **)&c->tty);
	pam_get_item(pamh, PAM_RUSER, (const void **)&c->ruser);
	pam_get_item(pamh, PAM_USER, (const void **)&c->user);
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "config=", 7) == 0 && argv[i][7] == '/')
			config = argv[i] + 7;
		else if (strncmp(argv[i], "retry=", 6) == 0 && argv[i][6] >= '1' &&
			 argv[i][6] <= '9' && argv[i][7] == '\0')
			c->retry = argv[i][6] - '0';
		else if (strcmp(argv[i], "debug") == 0)
			c->log.debug = 1;
		else if (strcmp(argv[i], "use_first_pass") == 0 ||
			 strcmp(argv[i], "try_first_pass") == 0 ||
			 strcmp(argv[i], "use_authtok") == 0)
			; /* understood by pam_get_authtok() itself */
		else {
			pam_syslog(pamh, LOG_ERR, "unknown or invalid argument \"%s\"", argv[i]);
			return PAM_SERVICE_ERR;
		}
	}
	pr = pam_get_user(pamh, &c->user, NULL);
	if (pr != PAM_SUCCESS || !c->user || !*c->user)
		return pr == PAM_SUCCESS ? PAM_USER_UNKNOWN : pr;
	c->cfg = cached_config(pamh, config);
	if (!c->cfg) {
		if (idm_config_load(config, &c->log, &c->cfg) < 0)
			return PAM_SERVICE_ERR;
		/* kept for the transaction's later phases: else loaded again */
		c->cached = pam_set_data(pamh, DATA_CONFIG, c->cfg, cleanup_config) == PAM_SUCCESS;
	} else {
		c->cached = true;
	}
	c->cfg->ldap.health = health_of(pamh, c->cfg, &c->log);
	return PAM_SUCCESS;
}

/* The end of every phase: what was learnt of the servers is kept for the
 * host's next logins (idm_dir_health.h), the configuration freed. */
static void finish(struct ctx *c)
{
	if (c->cfg && c->cfg->ldap.health)
		idm_dir_health_save(c->cfg->ldap.health, IDM_RUNDIR, c->cfg, &c->log);
	if (!c->cached)
		idm_config_free(c->cfg);
	c->cfg = NULL;
}

/* A field of the log line as the caller gave it, made safe: anything but
 * a printable, non-space, non-'=' ASCII byte becomes '?', so a crafted user
 * name cannot forge other fields or lines. */
static const char *field(const char *in, char *buf, size_t size)
{
	size_t i = 0;

	for (; in && in[i] && i + 1 < size; i++) {
		unsigned char ch = (unsigned char)in[i];
		buf[i] = ch > 0x20 && ch < 0x7f && ch != '=' ? (char)ch : '?';
	}
	buf[i] = '\0';
	return i ? buf : "-";
}

/* Who called: PAM_RUSER as the application set it (su does), else, in a
 * setuid program run by someone other than root, the real uid's name (its
 * number when it has none); "-" for a daemon running as root (sshd). */
static const char *calling_user(const struct ctx *c, char *buf, size_t size)
{
	struct passwd pw, *found = NULL;
	char pwbuf[1024];
	uid_t uid = getuid();

	if (c->ruser && *c->ruser)
		return field(c->ruser, buf, size);
	if (uid == 0)
		return "-";
	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &found) == 0 && found && found->pw_name)
		return field(found->pw_name, buf, size);
	snprintf(buf, size, "%u", (unsigned)uid);
	return buf;
}

/* One syslog line per outcome (R-LOGIN-3); never a password. */
static void log_outcome(const struct ctx *c, const char *phase, int pr, const char *reason,
			const char *policy)
{
	char user[72], service[72], rhost[260], tty[72], ruser[72];

	pam_syslog(c->pamh, pr == PAM_SUCCESS ? LOG_INFO : LOG_NOTICE,
		   "%s: user=%s service=%s rhost=%s tty=%s result=%s reason=%s policy=%s ruser=%s",
		   phase, field(c->user, user, sizeof(user)),
		   field(c->service, service, sizeof(service)),
		   field(c->rhost, rhost, sizeof(rhost)), field(c->tty, tty, sizeof(tty)),
		   pam_strerror(c->pamh, pr), reason, policy ? policy : "-",
		   calling_user(c, ruser, sizeof(ruser)));
}

static void cleanup_data(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	free(data);
}

/* The one table from core results to PAM codes of the auth phase. */
static int auth_code(int r)
{
	switch (r) {
	case IDM_OK: return PAM_SUCCESS;
	case IDM_ENOENT: return PAM_USER_UNKNOWN;
	case IDM_EUNAVAIL: return PAM_AUTHINFO_UNAVAIL;
	case IDM_ECONFIG: return PAM_SERVICE_ERR;
	case IDM_ENOMEM: return PAM_BUF_ERR;
	default: return PAM_AUTH_ERR; /* wrong password, locked, refused, unexpected */
	}
}

/* ... and of the account phase. */
static int account_code(int r)
{
	switch (r) {
	case IDM_OK: return PAM_SUCCESS;
	case IDM_ENOENT: return PAM_USER_UNKNOWN;
	case IDM_EUNAVAIL: return PAM_AUTHINFO_UNAVAIL;
	case IDM_ESTATE: return PAM_NEW_AUTHTOK_REQD;
	case IDM_ERANGE: return PAM_ACCT_EXPIRED;
	case IDM_ECONFIG: return PAM_SERVICE_ERR;
	case IDM_ENOMEM: return PAM_BUF_ERR;
	default: return PAM_PERM_DENIED;
	}
}

static void format_time(time_t t, char *buf, size_t size);

/* Why the account phase refused, in one sentence for the user (R-VIO-1,
 * R-PW-2, R-PRIV-4).  The auth phase says nothing of the kind: there an
 * unknown user, a locked account and a wrong password must look alike. */
static void say_refusal(pam_handle_t *pamh, const struct idm_account_result *res)
{
	char when[64];

	if (strcmp(res->reason, "locked") == 0 && res->locked_until) {
		format_time(res->locked_until, when, sizeof(when));
		pam_error(pamh, _("Your account is locked after too many failed logins until %s."),
			  when);
	} else if (strcmp(res->reason, "locked") == 0) {
		pam_error(pamh, _("Your account is locked after too many failed logins; "
				  "an officer must unlock it."));
	} else if (strcmp(res->reason, "locked_hard_limit") == 0) {
		pam_error(pamh,
			  _("Your account is locked after %d failed logins; "
			    "an officer must unlock it."),
			  IDM_LOCKOUT_HARD_LIMIT);
	} else if (strcmp(res->reason, "account_expired") == 0) {
		pam_error(pamh, _("Your account has expired; ask your security officer."));
	} else if (strcmp(res->status, "suspended") == 0) {
		pam_error(pamh, _("Your account is suspended; ask your security officer."));
	} else if (strcmp(res->status, "seconded") == 0) {
		pam_error(pamh, _("Your account is not usable during your secondment."));
	} else if (strcmp(res->status, "retired") == 0) {
		pam_error(pamh, _("Your account is retired."));
	} else if (strcmp(res->reason, "account_disabled") == 0) {
		pam_error(pamh, _("Your account is disabled; ask your security officer."));
	}
}

/* Run as an ordinary user (a screen locker), the module cannot read the
 * service secret: the setuid helper idmgr-chkpwd checks the caller's own
 * password, with the built-in configuration, counting failures like auth.
 * fork and execve with an empty environment, the password on a pipe. */
static int chkpwd(const char *user, const char *password)
{
	char *const args[] = { (char *)IDM_CHKPWD, (char *)user, NULL };
	char *const envp[] = { NULL };
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	int fds[2], status = -1, pr = PAM_AUTH_ERR;
	size_t len = strlen(password) + 1;
	pid_t pid, w;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return PAM_SYSTEM_ERR;
	/* The application's SIGCHLD handler must not reap our child. */
	sigaction(SIGCHLD, &dfl, &old);
	pid = fork();
	if (pid == 0) {
		if (dup2(fds[0], STDIN_FILENO) < 0)
			_exit(4);
		execve(IDM_CHKPWD, args, envp);
		_exit(4);
	}
	close(fds[0]);
	if (pid > 0) {
		/* The helper reads up to the NUL; after a short write it sees
		 * a password that is not the user's. */
		ssize_t k = write(fds[1], password, len);

		(void)k;
		close(fds[1]);
		while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
		if (w == pid && WIFEXITED(status)) {
			switch (WEXITSTATUS(status)) {
			case 0: pr = PAM_SUCCESS; break;
			case 1: pr = PAM_AUTH_ERR; break;
			case 2: pr = PAM_AUTHINFO_UNAVAIL; break;
			default: pr = PAM_SERVICE_ERR; break;
			}
		} else {
			pr = PAM_SERVICE_ERR;
		}
	} else {
		close(fds[1]);
		pr = PAM_SYSTEM_ERR;
	}
	sigaction(SIGCHLD, &old, NULL);
	return pr;
}

/* Without it the account phase asks the directory itself: no harm. */
static void keep_verdict(pam_handle_t *pamh, const char *user, const struct idm_auth_result *res)
{
	size_t n = strlen(user) + 1;
	struct account_verdict *v = malloc(sizeof(*v) + n);

	if (!v)
		return;
	v->decided = time(NULL);
	v->r = res->account_r;
	v->res = res->account;
	memcpy(v->user, user, n);
	if (pam_set_data(pamh, DATA_ACCOUNT, v, cleanup_data) != PAM_SUCCESS)
		free(v);
}

/* auth's verdict for this user, when fresh; NULL otherwise. */
static const struct account_verdict *auth_verdict(pam_handle_t *pamh, const char *user)
{
	const void *data = NULL;
	const struct account_verdict *v;
	time_t now = time(NULL);

	if (pam_get_data(pamh, DATA_ACCOUNT, &data) != PAM_SUCCESS || !data)
		return NULL;
	v = data;
	return strcmp(v->user, user) == 0 && now >= v->decided && now - v->decided <= ACCOUNT_FRESH
		       ? v
		       : NULL;
}

static int authenticate_unprivileged(pam_handle_t *pamh)
{
	const char *user = NULL, *password = NULL;
	char ufield[72];
	int pr;

	pr = pam_get_user(pamh, &user, NULL);
	if (pr != PAM_SUCCESS || !user || !*user)
		return pr == PAM_SUCCESS ? PAM_USER_UNKNOWN : pr;
	pr = pam_get_authtok(pamh, PAM_AUTHTOK, &password, NULL);
	if (pr != PAM_SUCCESS)
		return pr == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_AUTH_ERR;
	pr = chkpwd(user, password);
	pam_syslog(pamh, pr == PAM_SUCCESS ? LOG_INFO : LOG_NOTICE,
		   "auth: user=%s uid=%u result=%s reason=checked_by_%s",
		   field(user, ufield, sizeof(ufield)), (unsigned)getuid(), pam_strerror(pamh, pr),
		   "idmgr-chkpwd");
	return pr;
}

EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ctx c;
	struct idm_auth_result res = { .reason = IDM_AUTH_ERROR };
	const char *password = NULL;
	struct idm_last_login *prev;
	int pr, r;

	if (geteuid() != 0)
		return authenticate_unprivileged(pamh);
	pr = setup(&c, pamh, argc, argv);
	if (pr != PAM_SUCCESS)
		goto out;
	pr = pam_get_authtok(pamh, PAM_AUTHTOK, &password, NULL);
	if (pr != PAM_SUCCESS) {
		pr = pr == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_AUTH_ERR;
		goto out;
	}
	r = idm_login_authenticate(c.cfg, &c.log, c.user, password, c.rhost, &res);
	pr = auth_code(r);
	/* only who gave the right password learns this */
	if (res.reason == IDM_AUTH_SERVER_EXPIRED && !(flags & PAM_SILENT))
		pam_error(pamh, _("Your password has expired and can no longer be used; "
				  "ask an officer to reset it."));
	if (pr == PAM_SUCCESS) {
		/* Without it the session reads the entry itself: no harm. */
		prev = malloc(sizeof(*prev));
		if (prev) {
			*prev = res.prev;
			if (pam_set_data(pamh, DATA_PREV, prev, cleanup_data) != PAM_SUCCESS)
				free(prev);
		}
		if (res.account.reason)
			keep_verdict(pamh, c.user, &res);
		/* The account phase must learn that the server demands a change:
		 * a flag that cannot be handed on fails the login (fail closed).
		 * Static data, so that nothing is allocated that could fail. */
		if (res.must_change && pam_set_data(pamh, DATA_MUST_CHANGE,
						    (void *)must_change_flag, NULL) != PAM_SUCCESS) {
			pam_syslog(pamh, LOG_ERR, "cannot hand on the server's must-change flag");
			res.reason = IDM_AUTH_ERROR;
			pr = PAM_BUF_ERR;
		}
	}
out:
	log_outcome(&c, "auth", pr, idm_auth_reason_name(res.reason), res.policy);
	finish(&c);
	return pr;
}

EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}

EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ctx c;
	struct idm_account_result res = { .reason = "error" };
	const struct account_verdict *verdict;
	const void *must = NULL, *from_auth = NULL;
	int pr, r;

	pr = setup(&c, pamh, argc, argv);
	if (pr != PAM_SUCCESS)
		goto out;
	pam_get_data(pamh, DATA_MUST_CHANGE, &must);
	if (pam_get_data(pamh, DATA_PREV, &from_auth) != PAM_SUCCESS)
		pam_set_data(pamh, DATA_NO_AUTH, (void *)no_auth_flag, NULL);
	verdict = auth_verdict(pamh, c.user);
	if (verdict) {
		/* auth decided it a moment ago on the entry it read */
		r = verdict->r;
		res = verdict->res;
	} else {
		r = idm_login_account(c.cfg, &c.log, c.user, must != NULL, &res);
	}
	pr = account_code(r);
	if (flags & PAM_SILENT)
		;
	else if (pr == PAM_NEW_AUTHTOK_REQD) {
		if (strcmp(res.reason, "password_expired") == 0)
			pam_info(pamh, _("Your password has expired. You must change it now."));
		else if (strcmp(res.reason, "max_logins_reached") == 0)
			pam_info(pamh,
				 _("Your password has been used for the allowed number of logins. "
				   "You must change it now."));
		else
			pam_info(pamh, _("You must change your password now."));
	} else if (pr == PAM_PERM_DENIED || pr == PAM_ACCT_EXPIRED) {
		say_refusal(pamh, &res);
	} else if (pr == PAM_SUCCESS && res.warn) {
		pam_info(pamh, _("Your password will expire in %ld day(s)."), res.days_left);
	}
out:
	log_outcome(&c, "account", pr, res.reason, res.policy);
	finish(&c);
	return pr;
}

static void format_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (!t || !localtime_r(&t, &tm) || !strftime(buf, size, _("%a %b %e %H:%M:%S %Y"), &tm))
		snprintf(buf, size, "%s", _("never"));
}

/* What a session line says of its bookkeeping (the session itself is
 * never refused): the time recorded, not a directory account, no server
 * answered, or the write failed (not_recorded). */
static const char *session_reason(int r, const char *not_recorded)
{
	switch (r) {
	case IDM_OK: return "ok";
	case IDM_ENOENT: return "unknown_user";
	case IDM_EUNAVAIL: return "directory_unavailable";
	default: return not_recorded;
	}
}

EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ctx c;
	struct idm_last_login prev;
	const void *from_auth = NULL, *no_auth = NULL;
	char when[64], logout[64], host[4 * IDM_HOST_MAX + 1];
	int pr, r;

	/* A session is never refused (contract §6): the login has been decided
	 * by auth and account; bookkeeping problems are logged only. */
	pr = setup(&c, pamh, argc, argv);
	if (pr != PAM_SUCCESS) {
		/* what setup could not do is logged by it; the session is not
		 * refused, and the line says what the module returned */
		log_outcome(&c, "session_open", PAM_SUCCESS, "setup_failed", NULL);
		finish(&c);
		return PAM_SUCCESS;
	}
	pam_get_data(pamh, DATA_PREV, &from_auth);
	pam_get_data(pamh, DATA_NO_AUTH, &no_auth);
	r = idm_login_session_open(c.cfg, &c.log, c.user, c.rhost, from_auth, no_auth != NULL,
				   &prev);
	pr = PAM_SUCCESS;
	if (flags & PAM_SILENT)
		goto out;
	if (*c.cfg->login.banner)
		pam_info(pamh, "%s", c.cfg->login.banner);
	if (r == IDM_OK && c.cfg->login.show_last_login) {
		format_time(prev.login, when, sizeof(when));
		format_time(prev.logout, logout, sizeof(logout));
		/* The stored host may predate its escaping, or have been
		 * written around idmgr: no escape sequence reaches the user's
		 * terminal. */
		idm_printable(*prev.host ? prev.host : "?", "", host, sizeof(host));
		if (prev.login)
			pam_info(pamh,
				 _("Last login: %s from %s, last logout: %s; %ld failed login attempt(s) since"),
				 when, host, logout, prev.failures);
		else
			pam_info(pamh, _("First login; %ld failed login attempt(s) before it"),
				 prev.failures);
	}
out:
	log_outcome(&c, "session_open", pr, session_reason(r, "login_not_recorded"), NULL);
	finish(&c);
	return pr;
}

EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ctx c;
	int pr;

	(void)flags;
	pr = setup(&c, pamh, argc, argv);
	log_outcome(&c, "session_close", PAM_SUCCESS,
		    pr != PAM_SUCCESS
			    ? "setup_failed"
			    : session_reason(idm_login_session_close(c.cfg, &c.log, c.user),
					     "logout_not_recorded"),
		    NULL);
	finish(&c);
	return PAM_SUCCESS;
}

/* The one table from a change's result to the PAM code, the log line's
 * reason and the sentence the user is told (NULL: none beyond the policy's
 * own messages); the last row is every other result. */
static const struct change_outcome {
	int r, pr;
	const char *reason, *say;
} change_outcomes[] = {
	{ IDM_OK, PAM_SUCCESS, "changed", NULL },
	{ IDM_EPOLICY, PAM_AUTHTOK_ERR, "policy", NULL },
	{ IDM_EAUTH, PAM_AUTHTOK_RECOVERY_ERR, "wrong_old_password",
	  N_("The current password is not right.") },
	/* said only to who gave the right current password (idm_password.h) */
	{ IDM_ESTATE, PAM_PERM_DENIED, "locked",
	  N_("Your account is locked after too many failed logins; the password was not changed.") },
	{ IDM_EDENIED, PAM_PERM_DENIED, "refused_by_directory",
	  N_("The directory does not let this account change its password now; ask an "
	     "administrator.") },
	{ IDM_EUNAVAIL, PAM_AUTHINFO_UNAVAIL, "directory_unavailable", NULL },
	{ IDM_ENOENT, PAM_USER_UNKNOWN, "unknown_user", NULL },
	{ IDM_ECONFIG, PAM_SERVICE_ERR, "configuration", NULL },
	{ 1, PAM_AUTHTOK_ERR, "refused", NULL },
};

static const struct change_outcome *change_outcome_of(int r)
{
	size_t i = 0, last = sizeof(change_outcomes) / sizeof(change_outcomes[0]) - 1;

	while (i < last && change_outcomes[i].r != r)
		i++;
	return &change_outcomes[i];
}

/* The password phase (R-PW-1, R-PW-3, R-PW-4): the user's own change, one
 * message per broken rule, retry=N.  Root changing another user's
 * directory password is refused: operator resets are "idmgr user
 * reset-password", audited and temporary (security-notes: admins who reset
 * must not bypass history and quality). */
EXPORT int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ctx c;
	struct idm_account_result acct;
	struct idm_violations v;
	const char *old = NULL, *new = NULL, *reason = "error";
	int pr, r = IDM_OK;

	pr = setup(&c, pamh, argc, argv);
	if (pr != PAM_SUCCESS)
		goto out;
	if (flags & PAM_PRELIM_CHECK) {
		if (getuid() == 0 && !(flags & PAM_CHANGE_EXPIRED_AUTHTOK)) {
			pam_error(pamh,
				  _("Directory passwords are not set by root: an operator "
				    "issues a temporary one with \"idmgr user reset-password %s\"."),
				  c.user);
			reason = "root_change_refused";
			pr = PAM_PERM_DENIED;
			goto out;
		}
		/* Reachable and managed?  The account phase's lookup says. */
		r = idm_login_account(c.cfg, &c.log, c.user, false, &acct);
		pr = r == IDM_ENOENT     ? PAM_USER_UNKNOWN
		     : r == IDM_EUNAVAIL ? PAM_AUTHINFO_UNAVAIL
		     : r == IDM_ECONFIG  ? PAM_SERVICE_ERR
					 : PAM_SUCCESS;
		reason = pr == PAM_SUCCESS ? "prelim_ok" : acct.reason;
		goto out;
	}
	if (!(flags & PAM_UPDATE_AUTHTOK)) {
		pr = PAM_SERVICE_ERR;
		goto out;
	}
	pr = pam_get_authtok(pamh, PAM_OLDAUTHTOK, &old, _("Current password: "));
	if (pr != PAM_SUCCESS)
		goto out;
	for (int attempt = 0; attempt < c.retry; attempt++) {
		pr = pam_get_authtok(pamh, PAM_AUTHTOK, &new, NULL);
		if (pr != PAM_SUCCESS)
			break;
		bool too_soon = false;

		r = idm_password_change(c.cfg, &c.log, c.user, old, new, strlen(new), &v);
		if (r != IDM_EPOLICY)
			break;
		for (size_t i = 0; i < v.n; i++) {
			pam_error(pamh, "%s", v.v[i].message);
			too_soon |= v.v[i].rule == IDM_RULE_MIN_AGE;
		}
		pam_set_item(pamh, PAM_AUTHTOK, NULL);
		if (too_soon)
			break; /* no other password would do: the dialog ends here */
	}
	if (pr == PAM_SUCCESS) {
		const struct change_outcome *o = change_outcome_of(r);

		if (o->say)
			pam_error(pamh, "%s", _(o->say));
		pr = o->pr;
		reason = o->reason;
	}
out:
	log_outcome(&c, "password", pr, reason, NULL);
	finish(&c);
	return pr;
}
