/* pam_idmgr.so -- PAM glue over the idmgr core library (pam_idmgr(8)).
 *
 * Only argument parsing and the mapping of core results to PAM codes live
 * here.  The module reads no environment: its configuration comes from the
 * config= argument or the built-in default path. */
#include "config.h"

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "idm_account.h"
#include "idm_config.h"
#include "idm_error.h"
#include "idm_log.h"

#define EXPORT __attribute__((visibility("default")))

struct args {
	const char *config;
	bool debug;
};

static void log_pam(void *data, int priority, const char *msg)
{
	pam_syslog((pam_handle_t *)data, priority, "%s", msg);
}

/* Parses the module arguments; an unknown one is an error (fail closed). */
static int parse_args(pam_handle_t *pamh, int argc, const char **argv, struct args *a)
{
	a->config = IDM_DEFAULT_CONFIG;
	a->debug = false;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "config=", 7) == 0 && argv[i][7] == '/')
			a->config = argv[i] + 7;
		else if (strcmp(argv[i], "debug") == 0)
			a->debug = true;
		else if (strcmp(argv[i], "use_first_pass") == 0 ||
			 strcmp(argv[i], "try_first_pass") == 0 || strcmp(argv[i], "use_authtok") == 0)
			; /* understood by pam_get_authtok() itself */
		else {
			pam_syslog(pamh, LOG_ERR, "unknown or invalid argument \"%s\"", argv[i]);
			return PAM_SERVICE_ERR;
		}
	}
	return PAM_SUCCESS;
}

/* Sets up the logger and loads the configuration. */
static int setup(pam_handle_t *pamh, int argc, const char **argv, struct idm_log *log,
		 struct idm_config **cfg)
{
	struct args a;
	int r = parse_args(pamh, argc, argv, &a);

	*cfg = NULL;
	log->fn = log_pam;
	log->data = pamh;
	log->debug = a.debug;
	if (r != PAM_SUCCESS)
		return r;
	if (idm_config_load(a.config, log, cfg) < 0)
		return PAM_SERVICE_ERR;
	return PAM_SUCCESS;
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

EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct idm_log log;
	struct idm_config *cfg = NULL;
	const char *user = NULL, *service = NULL, *rhost = NULL, *password = NULL;
	int pr, r;

	(void)flags;
	pr = setup(pamh, argc, argv, &log, &cfg);
	if (pr != PAM_SUCCESS)
		return pr;
	pr = pam_get_user(pamh, &user, NULL);
	if (pr != PAM_SUCCESS || !user) {
		idm_config_free(cfg);
		return pr == PAM_SUCCESS ? PAM_USER_UNKNOWN : pr;
	}
	pam_get_item(pamh, PAM_SERVICE, (const void **)&service);
	pam_get_item(pamh, PAM_RHOST, (const void **)&rhost);
	pr = pam_get_authtok(pamh, PAM_AUTHTOK, &password, NULL);
	if (pr != PAM_SUCCESS) {
		idm_config_free(cfg);
		return pr == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_AUTH_ERR;
	}
	r = idm_account_authenticate(cfg, &log, user, password);
	pr = auth_code(r);
	pam_syslog(pamh, LOG_NOTICE, "auth user=%s service=%s rhost=%s result=%s reason=%s", user,
		   service ? service : "", rhost ? rhost : "", pam_strerror(pamh, pr), idm_strerror(r));
	idm_config_free(cfg);
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
	struct idm_log log;
	struct idm_config *cfg = NULL;
	const char *user = NULL;
	int pr, r;

	(void)flags;
	pr = setup(pamh, argc, argv, &log, &cfg);
	if (pr != PAM_SUCCESS)
		return pr;
	pr = pam_get_user(pamh, &user, NULL);
	if (pr != PAM_SUCCESS || !user) {
		idm_config_free(cfg);
		return PAM_USER_UNKNOWN;
	}
	r = idm_account_check(cfg, &log, user, time(NULL));
	pr = account_code(r);
	if (pr == PAM_NEW_AUTHTOK_REQD)
		pam_info(pamh, "You must change your password now.");
	pam_syslog(pamh, LOG_NOTICE, "account user=%s result=%s reason=%s", user,
		   pam_strerror(pamh, pr), idm_strerror(r));
	idm_config_free(cfg);
	return pr;
}
