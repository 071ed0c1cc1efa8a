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
#include "idm_mods.h"
#include "idm_passhash.h"
#include "idm_password.h"
#include "idm_time.h"
#include "idm_uid.h"

/* What the user's own entry says that the policy needs. */
struct own {
	char *hash, *given_name, *surname;
	char **history;
	size_t n_history;
};

static void own_free(struct own *o)
{
	if (o->hash)
		explicit_bzero(o->hash, strlen(o->hash));
	free(o->hash);
	free(o->given_name);
	free(o->surname);
	for (size_t i = 0; i < o->n_history; i++)
		free(o->history[i]);
	free(o->history);
}

static int read_own(struct idm_dir *d, const char *dn, struct own *o)
{
	static const char *const attrs[] = { "userPassword", "idmPasswordHistory", "givenName", "sn",
					     NULL };
	LDAP *ld = idm_dir_ldap(d);
	LDAPMessage *res = NULL, *e;
	struct berval **vals = NULL;
	int r;

	memset(o, 0, sizeof(*o));
	r = idm_dir_search(d, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res);
	if (r < 0)
		goto out;
	e = ldap_first_entry(ld, res);
	if (!e) {
		r = IDM_ENOENT;
		goto out;
	}
	o->hash = idm_entry_value(ld, e, "userPassword");
	o->given_name = idm_entry_value(ld, e, "givenName");
	o->surname = idm_entry_value(ld, e, "sn");
	vals = ldap_get_values_len(ld, e, "idmPasswordHistory");
	o->history = calloc((size_t)ldap_count_values_len(vals) + 1, sizeof(char *));
	if (!o->history) {
		r = IDM_ENOMEM;
		goto out;
	}
	for (size_t i = 0; vals && vals[i]; i++)
		if (!memchr(vals[i]->bv_val, '\0', vals[i]->bv_len) &&
		    (o->history[o->n_history] = strndup(vals[i]->bv_val, vals[i]->bv_len)))
			o->n_history++;
out:
	ldap_value_free_len(vals);
	ldap_msgfree(res);
	return r;
}

static bool password_expired(const struct idm_policy *p, const struct idm_account *a, time_t now)
{
	return p->max_age_days > 0 &&
	       (a->pwd_changed == 0 || now - a->pwd_changed >= p->max_age_days * 86400L);
}

int idm_password_change(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
			const char *old_password, const char *new_password, size_t new_len,
			struct idm_violations *v)
{
	struct idm_dir *d = NULL, *svc = NULL;
	struct idm_account *a = NULL;
	const struct idm_policy *p = NULL;
	struct idm_attempt at;
	bool counted = false;
	struct own own = { 0 };
	struct idm_pw_facts facts;
	struct idm_mods *m = NULL;
	char *dn = NULL, *hash = NULL, **history = NULL, now_s[IDM_GENTIME_LEN];
	size_t n_history = 0;
	time_t now = time(NULL);
	int r;

	memset(v, 0, sizeof(*v));
	if (idm_uid_check(cfg, uid) < 0)
		return IDM_ENOENT;
	if (!old_password || !*old_password)
		return IDM_EAUTH; /* an empty bind would be anonymous */
	/* The old password is a guess like any login: counted before it is
	 * checked, where this host holds the service identity (PAM hosts do;
	 * an officer's laptop may not: there the server's ppolicy backstop
	 * counts). */
	if (idm_dir_open_service(cfg, NULL, &svc) == IDM_OK &&
	    idm_account_lookup(svc, cfg, uid, &a) == IDM_OK && (p = idm_account_policy(cfg, a))) {
		r = idm_lockout_record(svc, p, a->dn, &at);
		if (r < 0)
			goto out;
		counted = true;
		if (at.verdict != IDM_LOCK_CHECK) {
			idm_logf(log, LOG_NOTICE, "%s: password change refused: the account is locked",
				 uid);
			r = IDM_EAUTH;
			goto out;
		}
	}
	/* The account's own entry, wherever below people_dn it sits: the one
	 * just found, or found without the service identity. */
	if (a)
		r = (dn = strdup(a->dn)) ? IDM_OK : IDM_ENOMEM;
	else
		r = idm_account_bind_dn(cfg, log, uid, &dn);
	idm_account_free(a);
	a = NULL;
	if (r < 0)
		goto out;
	r = idm_dir_open(cfg, log, dn, old_password, &d);
	if (counted && r == IDM_EAUTH)
		idm_lockout_failed(svc, p, dn, &at);
	else if (counted && r == IDM_OK)
		idm_lockout_clear(svc, dn); /* the old password was right */
	if (r < 0)
		goto out;
	r = idm_account_lookup(d, cfg, uid, &a);
	if (r < 0)
		goto out;
	if (idm_account_usable(a, now) != IDM_OK) {
		idm_logf(log, LOG_NOTICE, "%s: password change refused: account %s", uid,
			 a->status ? a->status : "not active");
		r = IDM_EDENIED;
		goto out;
	}
	p = idm_account_policy(cfg, a);
	if (!p) {
		idm_logf(log, LOG_ERR, "%s: policy \"%s\" is not in %s", uid, a->policy, cfg->path);
		r = IDM_ECONFIG;
		goto out;
	}
	r = read_own(d, a->dn, &own);
	if (r < 0)
		goto out;
	facts = (struct idm_pw_facts){
		.uid = uid,
		.given_name = own.given_name,
		.surname = own.surname,
		.current_password = old_password,
		.history = (const char *const *)own.history,
		.n_history = own.n_history,
		.changed = a->pwd_changed,
		/* a change that is demanded is never "too soon" */
		.forced = a->must_change || password_expired(p, a, now) ||
			  (p->max_logins > 0 && a->login_count >= p->max_logins),
		.now = now,
	};
	r = idm_policy_check(p, &cfg->argon2, &facts, new_password, new_len, v, log);
	if (r < 0)
		goto out;
	r = idm_hash_password(&cfg->argon2, new_password, new_len, &hash);
	if (r == IDM_OK)
		r = idm_history_next(p, (const char *const *)own.history, own.n_history, own.hash, now,
				     &history, &n_history);
	if (r < 0)
		goto out;
	idm_time_format(now, now_s);
	m = idm_mods_new();
	/* REPLACE throughout: a ppolicy server wants a deleted password value
	 * in clear, and a replace needs none. */
	idm_mods_add(m, LDAP_MOD_REPLACE, "userPassword", hash);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmPasswordHistory", NULL);
	for (size_t i = 0; i < n_history; i++)
		idm_mods_add(m, LDAP_MOD_REPLACE, "idmPasswordHistory", history[i]);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmPwdChangedTime", now_s);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmMustChange", "FALSE");
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmLoginCount", "0");
	r = idm_mods_array(m) ? idm_dir_modify(d, a->dn, idm_mods_array(m)) : IDM_ENOMEM;
	if (r == IDM_OK)
		idm_logf(log, LOG_INFO, "%s: password changed (policy %s)", uid, p->name);
out:
	idm_dir_close(svc);
	idm_mods_free(m);
	idm_history_free(history, n_history);
	if (hash)
		explicit_bzero(hash, strlen(hash));
	free(hash);
	own_free(&own);
	idm_account_free(a);
	idm_dir_close(d);
	free(dn);
	return r;
}
