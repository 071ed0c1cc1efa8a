/* idmgr_pwcheck.so -- slapd's password quality module (ppolicy
 * pwdCheckModule) running idmgr's own policy engine, lib/login/idm_policy.c
 * with its blocklist, on every password change a user makes: modify of
 * userPassword or RFC 3062 password modify (R-PW-1, R-PRIV-4).
 *
 * The policy entry names the module and, in pwdCheckModuleArg, which
 * idmgr.conf and which of its policies apply:
 *     pwdCheckModule: /usr/lib/ldap/idmgr_pwcheck.so
 *     pwdCheckModuleArg: /etc/idmgr/idmgr.conf standard
 * (a path without spaces, one space, a policy name).  slapd 2.5 dlopens the
 * module for each check and calls it under a global mutex, with the
 * cleartext and the entry before the change; the configuration is read for
 * each call, read-only, as slapd's user.
 *
 * Rules applied here: length in characters, character classes, the uid and
 * the person's names, the blocklist, the encoding.  History and minimum age
 * are slapd's (pwdInHistory, pwdMinAge), because only slapd holds the old
 * hashes.  The refusal text is every broken rule's message, one per line,
 * in the words pam_idmgr and idmgr passwd show; slapd sends it to the client
 * as the diagnostic message and frees it.  Any error (argument, unreadable
 * configuration or blocklist, unknown policy, memory) refuses the password
 * (fail closed) with a message saying the check could not be made; details
 * go to syslog. */
#include "config.h"

#include <lber.h>
#include <slapi-plugin.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "idm_config.h"
#include "idm_error.h"
#include "idm_log.h"
#include "idm_policy.h"
#include "idm_policy_text.h"

#define EXPORT __attribute__((visibility("default")))

#define CHECK_FAILED IDM_MSG_UNCHECKED

static void log_syslog(void *data, int priority, const char *msg)
{
	(void)data;
	syslog(LOG_AUTHPRIV | priority, "idmgr_pwcheck: %s", msg);
}

static const struct idm_log slog = { log_syslog, NULL, 0, NULL };

/* "PATH POLICY" into malloc'ed *path and *policy. */
static int parse_arg(const struct berval *arg, char **path, char **policy)
{
	const char *sp;

	*path = *policy = NULL;
	if (!arg || !arg->bv_val || arg->bv_len == 0 || memchr(arg->bv_val, '\0', arg->bv_len))
		return IDM_EINVAL;
	sp = memchr(arg->bv_val, ' ', arg->bv_len);
	if (!sp || sp == arg->bv_val || arg->bv_val[0] != '/' ||
	    (size_t)(sp - arg->bv_val) + 1 >= arg->bv_len ||
	    memchr(sp + 1, ' ', arg->bv_len - (size_t)(sp - arg->bv_val) - 1))
		return IDM_EINVAL;
	*path = strndup(arg->bv_val, (size_t)(sp - arg->bv_val));
	*policy = strndup(sp + 1, arg->bv_len - (size_t)(sp - arg->bv_val) - 1);
	if (!*path || !*policy) {
		free(*path);
		free(*policy);
		*path = *policy = NULL;
		return IDM_ENOMEM;
	}
	return IDM_OK;
}

/* The violations, one message a line, malloc'ed. */
static char *join(const struct idm_violations *v)
{
	size_t size = 1;
	char *text, *p;

	for (size_t i = 0; i < v->n; i++)
		size += strlen(v->v[i].message) + 1;
	text = malloc(size);
	if (!text)
		return NULL;
	p = text;
	for (size_t i = 0; i < v->n; i++) {
		size_t n = strlen(v->v[i].message);

		if (i)
			*p++ = '\n';
		memcpy(p, v->v[i].message, n);
		p += n;
	}
	*p = '\0';
	return text;
}

EXPORT int check_password(char *passwd, char **text, Slapi_Entry *e, struct berval *arg);

EXPORT int check_password(char *passwd, char **text, Slapi_Entry *e, struct berval *arg)
{
	struct idm_config *cfg = NULL;
	const struct idm_policy *p;
	struct idm_violations v;
	struct idm_pw_facts f;
	char *path = NULL, *policy = NULL, *uid = NULL, *given = NULL, *sn = NULL;
	int r;

	*text = NULL;
	memset(&v, 0, sizeof(v));
	r = parse_arg(arg, &path, &policy);
	if (r < 0) {
		idm_logf(&slog, LOG_ERR, "pwdCheckModuleArg must be \"/PATH/idmgr.conf POLICY\"");
		goto out;
	}
	r = idm_config_load(path, &slog, &cfg);
	if (r < 0)
		goto out;
	p = idm_config_policy(cfg, policy);
	if (!p) {
		idm_logf(&slog, LOG_ERR, "policy \"%s\" is not in %s", policy, path);
		r = IDM_ECONFIG;
		goto out;
	}
	if (e) {
		uid = slapi_entry_attr_get_charptr(e, "uid");
		given = slapi_entry_attr_get_charptr(e, "givenName");
		sn = slapi_entry_attr_get_charptr(e, "sn");
	}
	f = (struct idm_pw_facts){
		.uid = uid,
		.given_name = given,
		.surname = sn,
		.forced = true, /* minimum age: slapd's pwdMinAge */
		.now = time(NULL),
	};
	r = idm_policy_check(p, &cfg->argon2, &f, passwd ? passwd : "", passwd ? strlen(passwd) : 0,
			     &v, &slog);
	if (r == IDM_EPOLICY) {
		*text = join(&v);
		if (!*text)
			r = IDM_ENOMEM;
	} else if (r < 0) {
		idm_logf(&slog, LOG_ERR, "%s: the password could not be checked: %s",
			 uid ? uid : "?", idm_strerror(r));
	}
out:
	if (r < 0 && !*text)
		*text = strdup(CHECK_FAILED);
	slapi_ch_free_string(&uid);
	slapi_ch_free_string(&given);
	slapi_ch_free_string(&sn);
	idm_config_free(cfg);
	free(path);
	free(policy);
	explicit_bzero(&v, sizeof(v));
	return r == IDM_OK ? 0 : 1;
}
