/* idmgr-chkpwd -- the setuid-root helper pam_idmgr.so runs when it is loaded
 * by a program running as an ordinary user (a screen locker, pamtester as
 * the user), which cannot read the service secret: like pam_unix's
 * unix_chkpwd, it checks the calling user's own password and nothing else
 * (pam_idmgr(8), "Screen lockers"; issue 13).
 *
 *   idmgr-chkpwd USER        the password on standard input, up to a NUL,
 *                            newline or end of file (at most 512 bytes)
 *
 * Exit status: 0 the password is right and the account may log in; 1 wrong
 * password or refused account (counted by the lockout like any attempt);
 * 2 the directory does not answer; 3 a broken configuration; 4 a refused
 * call: USER is not the real uid's name, standard input is a terminal, or
 * the arguments are wrong.
 *
 * What it trusts: nothing of the caller but the real uid and the password.
 * The environment is cleared before anything else; the configuration is the
 * built-in path (no argument or variable names another: a configuration
 * chosen by the caller could send the service secret to the caller's
 * server); it checks the password through the same idm_login_authenticate()
 * as the module, so failures count towards the lockout and a locked account
 * stays locked.  A failure costs IDM_CHKPWD_DELAY seconds before the answer,
 * so a process calling it in a loop gets few guesses per minute besides the
 * lockout. */
#include "config.h"

#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "idm_config.h"
#include "idm_dir_health.h"
#include "idm_error.h"
#include "idm_log.h"
#include "idm_login.h"

#define IDM_CHKPWD_DELAY 2
#define MAX_PASSWORD 512

enum { OK = 0, FAILED = 1, UNAVAIL = 2, CONFIG = 3, REFUSED = 4 };

static void log_syslog(void *data, int priority, const char *msg)
{
	(void)data;
	syslog(priority, "%s", msg);
}

/* The password from standard input, up to NUL, newline or EOF. */
static int read_password(char *buf, size_t size)
{
	size_t n = 0;
	ssize_t k;
	char ch;

	while (n + 1 < size && (k = read(STDIN_FILENO, &ch, 1)) == 1 && ch != '\0' && ch != '\n')
		buf[n++] = ch;
	buf[n] = '\0';
	return n + 1 < size ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct idm_log log = { .fn = log_syslog };
	struct idm_config *cfg = NULL;
	struct idm_auth_result res;
	char password[MAX_PASSWORD + 1], name[64];
	struct passwd *pw;
	uid_t uid = getuid();
	int r, rc;

	clearenv();
	signal(SIGPIPE, SIG_IGN);
	openlog("idmgr-chkpwd", LOG_PID, LOG_AUTHPRIV);
	pw = getpwuid(uid);
	if (argc != 2 || !pw || strcmp(argv[1], pw->pw_name) != 0 ||
	    strlen(pw->pw_name) >= sizeof(name)) {
		syslog(LOG_WARNING, "refused: uid %u asked about %s", (unsigned)uid,
		       argc == 2 && strlen(argv[1]) < 64 ? argv[1] : "(bad arguments)");
		return REFUSED;
	}
	snprintf(name, sizeof(name), "%s", pw->pw_name);
	if (isatty(STDIN_FILENO)) {
		/* Only pam_idmgr.so calls it, through a pipe. */
		syslog(LOG_WARNING, "refused: %s ran it on a terminal", name);
		return REFUSED;
	}
	if (read_password(password, sizeof(password)) < 0) {
		explicit_bzero(password, sizeof(password));
		syslog(LOG_WARNING, "refused: %s gave more than %d bytes", name, MAX_PASSWORD);
		return REFUSED;
	}
	if (idm_config_load(IDM_DEFAULT_CONFIG, &log, &cfg) < 0) {
		explicit_bzero(password, sizeof(password));
		return CONFIG;
	}
	/* The host's servers found not answering, read (root's file) but never
	 * written: a user could make a server look dead (idm_dir_health.h). */
	cfg->ldap.health = idm_dir_health_new();
	idm_dir_health_load(cfg->ldap.health, IDM_RUNDIR, cfg, &log);
	r = idm_login_authenticate(cfg, &log, name, password, "localhost", &res);
	explicit_bzero(password, sizeof(password));
	rc = r == IDM_OK ? OK : r == IDM_EUNAVAIL ? UNAVAIL : r == IDM_ECONFIG ? CONFIG : FAILED;
	syslog(rc == OK ? LOG_INFO : LOG_NOTICE,
	       "auth: user=%s uid=%u result=%s reason=%s policy=%s", name, (unsigned)uid,
	       rc == OK ? "ok" : "refused", idm_auth_reason_name(res.reason), res.policy);
	idm_dir_health_free(cfg->ldap.health);
	idm_config_free(cfg);
	if (rc != OK)
		sleep(IDM_CHKPWD_DELAY);
	return rc;
}
