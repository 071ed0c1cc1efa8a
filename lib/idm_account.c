#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_account.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_passhash.h"
#include "idm_time.h"
#include "idm_uid.h"

static const char *const account_attrs[] = {
	"uid", "idmStatus", "idmPolicy", "idmPrivileged", "idmMustChange", "idmPwdChangedTime",
	"idmValidUntil", "idmLoginCount", NULL,
};

static bool is_true(const char *v)
{
	return v && strcmp(v, "TRUE") == 0;
}

static time_t time_or_zero(const char *v)
{
	time_t t;

	return v && idm_time_parse(v, &t) == IDM_OK ? t : 0;
}

int idm_account_lookup(struct idm_dir *d, const struct idm_config *cfg, const char *uid,
		       struct idm_account **out)
{
	LDAPMessage *res = NULL, *e;
	LDAP *ld = idm_dir_ldap(d);
	struct idm_account *a = NULL;
	char *filter = NULL, *dn, *v;
	int r;

	*out = NULL;
	if (idm_uid_check(cfg, uid) < 0)
		return IDM_ENOENT; /* no directory call for an invalid uid */
	r = idm_filter_fmt(&filter, "(&(objectClass=idmAccount)(uid=%s))", uid);
	if (r < 0)
		return r;
	r = idm_dir_search(d, cfg->ldap.people_dn, LDAP_SCOPE_SUBTREE, filter, account_attrs, 2,
			   &res);
	free(filter);
	if (r < 0) {
		ldap_msgfree(res);
		return r == IDM_EDIR && idm_dir_last_result(d) == LDAP_SIZELIMIT_EXCEEDED ? IDM_EINVAL
											 : r;
	}
	if (ldap_count_entries(ld, res) != 1) {
		ldap_msgfree(res);
		return IDM_ENOENT;
	}
	e = ldap_first_entry(ld, res);
	a = calloc(1, sizeof(*a));
	dn = ldap_get_dn(ld, e);
	if (!a || !dn) {
		ldap_memfree(dn);
		ldap_msgfree(res);
		free(a);
		return IDM_ENOMEM;
	}
	a->dn = strdup(dn);
	ldap_memfree(dn);
	a->uid = strdup(uid);
	a->status = idm_entry_value(ld, e, "idmStatus");
	a->policy = idm_entry_value(ld, e, "idmPolicy");
	v = idm_entry_value(ld, e, "idmPrivileged");
	a->privileged = is_true(v);
	free(v);
	v = idm_entry_value(ld, e, "idmMustChange");
	a->must_change = is_true(v);
	free(v);
	v = idm_entry_value(ld, e, "idmPwdChangedTime");
	a->pwd_changed = time_or_zero(v);
	free(v);
	v = idm_entry_value(ld, e, "idmValidUntil");
	a->valid_until = time_or_zero(v);
	free(v);
	v = idm_entry_value(ld, e, "idmLoginCount");
	a->login_count = v ? strtol(v, NULL, 10) : 0;
	free(v);
	ldap_msgfree(res);
	if (!a->dn || !a->uid) {
		idm_account_free(a);
		return IDM_ENOMEM;
	}
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
	free(a);
}

const struct idm_policy *idm_account_policy(const struct idm_config *cfg,
					    const struct idm_account *a)
{
	const struct idm_policy *p = a->policy ? idm_config_policy(cfg, a->policy) : NULL;

	if (p)
		return p;
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

/* The Argon2 work a bind as a real user costs the server, done here when no
 * bind happens, so timing does not tell an unknown or refused account from
 * a wrong password. */
static void equalise_cost(const struct idm_config *cfg, const char *password)
{
	char *hash = NULL;

	if (idm_hash_password(&cfg->argon2, password, strlen(password), &hash) == IDM_OK)
		explicit_bzero(hash, strlen(hash));
	free(hash);
}

int idm_account_authenticate(const struct idm_config *cfg, const struct idm_log *log,
			     const char *uid, const char *password)
{
	struct idm_dir *svc = NULL, *user = NULL;
	struct idm_account *a = NULL;
	int r;

	if (!password || !*password) {
		/* An empty simple bind is an anonymous bind that "succeeds". */
		equalise_cost(cfg, "");
		return IDM_EAUTH;
	}
	r = idm_dir_open_service(cfg, log, &svc);
	if (r < 0)
		goto out;
	r = idm_account_lookup(svc, cfg, uid, &a);
	if (r < 0) {
		if (r == IDM_ENOENT)
			equalise_cost(cfg, password);
		goto out;
	}
	if (idm_account_usable(a, time(NULL)) != IDM_OK) {
		idm_logf(log, LOG_NOTICE, "%s: account is %s%s", uid, a->status ? a->status : "?",
			 idm_account_usable(a, time(NULL)) == IDM_ERANGE ? " but expired" : "");
		equalise_cost(cfg, password);
		r = IDM_EAUTH;
		goto out;
	}
	r = idm_dir_open(cfg, log, a->dn, password, &user);
out:
	idm_dir_close(user);
	idm_dir_close(svc);
	idm_account_free(a);
	return r;
}

int idm_account_check(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
		      time_t now)
{
	struct idm_dir *svc = NULL;
	struct idm_account *a = NULL;
	const struct idm_policy *p;
	int r;

	r = idm_dir_open_service(cfg, log, &svc);
	if (r == IDM_OK)
		r = idm_account_lookup(svc, cfg, uid, &a);
	if (r == IDM_OK)
		r = idm_account_usable(a, now);
	if (r == IDM_OK) {
		p = idm_account_policy(cfg, a);
		if (a->must_change)
			r = IDM_ESTATE;
		else if (p && p->max_age_days > 0 &&
			 (a->pwd_changed == 0 || now - a->pwd_changed >= p->max_age_days * 86400L))
			r = IDM_ESTATE;
		else if (p && p->max_logins > 0 && a->login_count >= p->max_logins)
			r = IDM_ESTATE;
	}
	idm_account_free(a);
	idm_dir_close(svc);
	return r;
}
