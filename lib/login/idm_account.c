#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_account.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_lockout.h"
#include "idm_text.h"
#include "idm_time.h"
#include "idm_uid.h"
#include "idm_i18n.h"

const char *const idm_account_attrs[] = {
	/* pwdReset and pwdChangedTime: kept by slapd's ppolicy overlay, which
	 * no user can write around; an account whose password was never
	 * changed is as old as the entry (createTimestamp). */
	"uid",
	"idmStatus",
	"idmPolicy",
	"idmPrivileged",
	"pwdReset",
	"pwdChangedTime",
	"createTimestamp",
	"idmValidUntil",
	"idmLoginCount",
	"idmFailureCount",
	"idmLockedTime",
	"idmLastLoginTime",
	"idmLastLoginHost",
	"idmLastLogoutTime",
	"idmFailureTime",
	"idmHardLockTime",
	"authTimestamp",
	"idmLoginTime",
	"idmPreviousLogin",
	NULL,
};

int idm_account_attrs_with(const char *const *extra, const char **out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; idm_account_attrs[i]; i++)
		if (n + 1 < cap)
			out[n++] = idm_account_attrs[i];
		else
			return IDM_ERANGE;
	for (size_t i = 0; extra[i]; i++)
		if (n + 1 < cap)
			out[n++] = extra[i];
		else
			return IDM_ERANGE;
	out[n] = NULL;
	return IDM_OK;
}

int idm_account_from_entry(LDAP *ld, LDAPMessage *e, struct idm_account **out)
{
	struct idm_account *a = calloc(1, sizeof(*a));
	char *dn = ldap_get_dn(ld, e), *v;

	*out = NULL;
	if (!a || !dn) {
		ldap_memfree(dn);
		free(a);
		return IDM_ENOMEM;
	}
	a->dn = strdup(dn);
	ldap_memfree(dn);
	a->uid = idm_entry_value(ld, e, "uid");
	a->status = idm_entry_value(ld, e, "idmStatus");
	a->policy = idm_entry_value(ld, e, "idmPolicy");
	a->privileged = idm_entry_true(ld, e, "idmPrivileged");
	a->must_change = idm_entry_true(ld, e, "pwdReset");
	v = idm_entry_value(ld, e, "pwdChangedTime");
	a->pwd_changed = idm_entry_time(ld, e, v ? "pwdChangedTime" : "createTimestamp");
	free(v);
	a->valid_until = idm_entry_time(ld, e, "idmValidUntil");
	v = idm_entry_value(ld, e, "idmFailureCount"); /* obsolete: only its hard limit counts */
	a->hard_locked = v && strtol(v, NULL, 10) >= IDM_LOCKOUT_HARD_LIMIT;
	free(v);
	v = idm_entry_value(ld, e, "idmHardLockTime");
	a->hard_locked = a->hard_locked || v;
	free(v);
	a->last_success = idm_entry_time(ld, e, "authTimestamp");
	if (idm_entry_values(ld, e, "idmFailureTime", &a->failure_values, &a->n_failure_values) < 0 ||
	    idm_entry_values(ld, e, "idmLockedTime", &a->lock_values, &a->n_lock_values) < 0) {
		idm_account_free(a);
		return IDM_ENOMEM;
	}
	{
		char **logins = NULL;
		size_t n = 0;
		if (idm_entry_values(ld, e, "idmLoginTime", &logins, &n) < 0) {
			idm_account_free(a);
			return IDM_ENOMEM;
		}
		a->login_count = idm_account_logins_since(logins, n, a->pwd_changed);
		idm_strv_free(logins, n);
	}
	{
		struct idm_lock_values lv;
		idm_lockout_values_of(a, &lv);
		a->failure_count = idm_lockout_failures(&lv);
		a->locked_time = idm_lockout_latest_lock(&lv);
	}
	a->last_login = idm_entry_time(ld, e, "idmLastLoginTime");
	a->last_logout = idm_entry_time(ld, e, "idmLastLogoutTime");
	a->last_host = idm_entry_value(ld, e, "idmLastLoginHost");
	a->prev_login = idm_entry_value(ld, e, "idmPreviousLogin");
	if (!a->dn || !a->uid) {
		idm_account_free(a);
		return IDM_EINVAL;
	}
	*out = a;
	return IDM_OK;
}

long idm_account_logins_since(char *const *values, size_t n, time_t changed)
{
	char stamp[IDM_GENTIME_LEN];
	long count = 0;
	time_t t;

	for (size_t i = 0; i < n; i++) {
		snprintf(stamp, sizeof(stamp), "%.*s", IDM_GENTIME_LEN - 1, values[i]);
		/* a value we cannot read counts: never fewer logins; a login in
		 * the second of the change is the one that made it (PAM's auth
		 * records it before the password phase changes the password) */
		if (idm_time_parse(stamp, &t) < 0 || t > changed)
			count++;
	}
	return count;
}

int idm_account_lookup(struct idm_dir *d, const struct idm_config *cfg, const char *uid,
		       struct idm_account **out)
{
	LDAPMessage *res = NULL, *e;
	LDAP *ld = idm_dir_ldap(d);
	struct idm_account *a = NULL;
	char *filter = NULL;
	int r;

	*out = NULL;
	if (idm_uid_check(cfg, uid) < 0 || idm_uid_reserved(cfg, uid))
		return IDM_ENOENT; /* no directory call for an invalid or reserved uid
				      (root's login never waits for the directory) */
	r = idm_filter_fmt(&filter, "(&(objectClass=idmAccount)(uid=%s))", uid);
	if (r < 0)
		return r;
	r = idm_dir_search(d, cfg->ldap.people_dn, LDAP_SCOPE_SUBTREE, filter, idm_account_attrs, 2,
			   &res);
	free(filter);
	if (r < 0) {
		ldap_msgfree(res);
		if (r == IDM_ELIMIT) {
			idm_logf(idm_dir_log(d), LOG_ERR,
				 N_("uid %s names several entries under %s"), uid,
				 cfg->ldap.people_dn);
			return IDM_EINVAL;
		}
		return r;
	}
	if (ldap_count_entries(ld, res) != 1) {
		int n = ldap_count_entries(ld, res);
		ldap_msgfree(res);
		if (n > 1) /* ambiguous: never pick one */
			idm_logf(idm_dir_log(d), LOG_ERR, N_("uid %s names %d entries under %s"),
				 uid, n, cfg->ldap.people_dn);
		return n > 1 ? IDM_EINVAL : IDM_ENOENT;
	}
	e = ldap_first_entry(ld, res);
	r = idm_account_from_entry(ld, e, &a);
	ldap_msgfree(res);
	if (r < 0)
		return r;
	*out = a;
	return IDM_OK;
}

void idm_account_free(struct idm_account *a)
{
	if (!a)
		return;
	free(a->dn);
	free(a->uid);
	free(a->status);
	free(a->policy);
	free(a->last_host);
	idm_strv_free(a->failure_values, a->n_failure_values);
	idm_strv_free(a->lock_values, a->n_lock_values);
	free(a->prev_login);
	free(a);
}

const struct idm_policy *idm_account_policy(const struct idm_config *cfg,
					    const struct idm_account *a)
{
	/* A policy named in the entry but not configured is NULL: the caller
	 * must refuse, not fall back to a weaker class. */
	if (a->policy)
		return idm_config_policy(cfg, a->policy);
	return idm_config_policy(cfg, a->privileged ? "privileged" : "standard");
}

int idm_account_usable(const struct idm_account *a, time_t now)
{
	if (!a->status || strcasecmp(a->status, "active") != 0)
		return IDM_EDENIED;
	if (a->valid_until && now >= a->valid_until)
		return IDM_ERANGE;
	return IDM_OK;
}

enum idm_change_due idm_account_change_due(const struct idm_policy *p, const struct idm_account *a,
					   bool ppolicy_reset, bool this_login_counted, time_t now)
{
	/* the logins before the one being decided */
	long used = a->login_count - (this_login_counted && a->login_count > 0 ? 1 : 0);

	if (p && p->max_logins > 0 && used >= p->max_logins)
		return IDM_CHANGE_MAX_LOGINS;
	if (a->must_change || ppolicy_reset)
		return IDM_CHANGE_RESET;
	if (p && p->max_age_days > 0 &&
	    (a->pwd_changed == 0 || now >= idm_time_add_days(a->pwd_changed, p->max_age_days)))
		return IDM_CHANGE_EXPIRED;
	return IDM_CHANGE_NONE;
}

int idm_account_bind_dn(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
			char **dn)
{
	struct idm_dir *d = NULL;
	struct idm_account *a = NULL;
	int r;

	*dn = NULL;
	if (idm_uid_check(cfg, uid) < 0)
		return IDM_ENOENT;
	r = idm_dir_open_service(cfg, NULL, &d);
	if (r < 0)
		r = idm_dir_open(cfg, NULL, NULL, NULL, &d);
	if (r == IDM_OK)
		r = idm_account_lookup(d, cfg, uid, &a);
	idm_dir_close(d);
	if (r == IDM_OK) {
		*dn = strdup(a->dn);
		r = *dn ? IDM_OK : IDM_ENOMEM;
	} else if (r != IDM_ENOMEM && r != IDM_EINVAL) {
		/* nobody here may search: the account must sit right below people_dn */
		idm_logf(log, LOG_DEBUG, N_("%s: no search for its entry possible (%s); trying %s"),
			 uid, idm_strerror(r), cfg->ldap.people_dn);
		r = idm_dn_child(dn, "uid", uid, cfg->ldap.people_dn);
	}
	idm_account_free(a);
	return r;
}
