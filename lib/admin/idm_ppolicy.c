#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_error.h"
#include "idm_escape.h"
#include "idm_mods.h"
#include "idm_ppolicy.h"
#include "idm_server_lock.h"
#include "idm_time.h"

int idm_ppolicy_container(const struct idm_config *cfg, char **out)
{
	*out = NULL;
	if (asprintf(out, "ou=policies,%s", cfg->ldap.base_dn) < 0) {
		*out = NULL;
		return IDM_ENOMEM;
	}
	return IDM_OK;
}

int idm_ppolicy_dn(const struct idm_config *cfg, const char *policy, char **out)
{
	return idm_dn_grandchild(out, "cn", policy, "policies", cfg->ldap.base_dn);
}

int idm_ppolicy_subentry(const struct idm_config *cfg, const char *policy, char **out)
{
	*out = NULL;
	if (!policy || strcmp(policy, IDM_PPOLICY_DEFAULT) == 0)
		return IDM_OK;
	return idm_ppolicy_dn(cfg, policy, out);
}

/* The attributes of the password rules in a policy entry, kept in line
 * with the configuration on every run. */
#define N_OWNED 9
/* The lockout an entry gets when this creates it: the lockout attributes
 * belong to the lockout side (idm_server_lock.h), which keeps them in line
 * with the policy itself on every run. */
struct owned {
	const char *name;
	char value[PATH_MAX + 80];
};

static void owned_values(const struct idm_config *cfg, const struct idm_policy *p,
			 struct owned o[N_OWNED])
{
	static const char *const names[N_OWNED] = {
		"pwdAttribute",      "pwdCheckQuality",    "pwdCheckModule",
		"pwdCheckModuleArg", "pwdInHistory",       "pwdMinAge",
		"pwdMustChange",     "pwdAllowUserChange", "pwdSafeModify",
	};
	/* seconds in time_t: 36500 days would overflow a 32-bit long */
	long long min_age = (long long)idm_days(p->min_age_days > 36500 ? 36500 : p->min_age_days);

	for (int i = 0; i < N_OWNED; i++)
		o[i].name = names[i];
	snprintf(o[0].value, sizeof(o[0].value), "userPassword");
	/* 2: a pre-hashed value (which the module cannot check) is refused */
	snprintf(o[1].value, sizeof(o[1].value), "2");
	snprintf(o[2].value, sizeof(o[2].value), "%s", cfg->ppolicy.check_module);
	snprintf(o[3].value, sizeof(o[3].value), "%s %s", cfg->ppolicy.check_config, p->name);
	snprintf(o[4].value, sizeof(o[4].value), "%ld", p->history);
	snprintf(o[5].value, sizeof(o[5].value), "%lld", min_age);
	/* a password set by a password administrator must be changed */
	snprintf(o[6].value, sizeof(o[6].value), "TRUE");
	snprintf(o[7].value, sizeof(o[7].value), "TRUE");
	snprintf(o[8].value, sizeof(o[8].value), "FALSE");
}

int idm_ppolicy_entry_sync(struct idm_dir *d, const char *dn, struct idm_mods *create,
			   const char *const *names, const char *const *want, const char *add_class,
			   idm_ppolicy_note_fn note, void *ctx)
{
	LDAPMessage *res = NULL, *e;
	struct idm_mods *m = NULL;
	bool changed = false;
	size_t n = 0;
	int r = idm_dir_search(d, dn, LDAP_SCOPE_BASE, "(objectClass=pwdPolicy)", names, 1, &res);

	while (names[n])
		n++;
	e = r == IDM_OK ? ldap_first_entry(idm_dir_ldap(d), res) : NULL;
	if (r == IDM_ENOENT || (r == IDM_OK && !e)) {
		for (size_t i = 0; i < n; i++)
			idm_mods_add(create, LDAP_MOD_ADD, names[i], want[i]);
		r = idm_mods_array(create) ? idm_dir_add(d, dn, idm_mods_array(create)) : IDM_ENOMEM;
		if (r == IDM_OK)
			r = note(ctx, dn, IDM_PP_CREATED);
		goto out;
	}
	if (r < 0)
		goto out;
	m = idm_mods_new();
	changed = idm_entry_replace_differing(idm_dir_ldap(d), e, m, names, want, n);
	if (changed && add_class) {
		/* an entry of an older release may lack the class */
		struct idm_mods *oc = idm_mods_new();

		idm_mods_add(oc, LDAP_MOD_ADD, "objectClass", add_class);
		if (idm_mods_array(oc))
			idm_dir_modify(d, dn, idm_mods_array(oc)); /* "exists" is fine */
		idm_mods_free(oc);
	}
	if (changed)
		r = idm_mods_array(m) ? idm_dir_modify(d, dn, idm_mods_array(m)) : IDM_ENOMEM;
	if (r == IDM_OK)
		r = note(ctx, dn, changed ? IDM_PP_UPDATED : IDM_PP_EXISTS);
out:
	idm_mods_free(m);
	ldap_msgfree(res);
	return r;
}

static int sync_one(struct idm_dir *d, const struct idm_config *cfg, const struct idm_policy *p,
		    idm_ppolicy_note_fn note, void *ctx)
{
	struct owned o[N_OWNED];
	const char *attrs[N_OWNED + 1], *want[N_OWNED];
	struct idm_mods *m = idm_mods_new();
	char *dn = NULL;
	int r;

	owned_values(cfg, p, o);
	for (int i = 0; i < N_OWNED; i++) {
		attrs[i] = o[i].name;
		want[i] = o[i].value;
	}
	attrs[N_OWNED] = NULL;
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "device");
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "pwdPolicy");
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "pwdPolicyChecker");
	idm_mods_add(m, LDAP_MOD_ADD, "cn", p->name);
	idm_mods_add(m, LDAP_MOD_ADD, "description",
		     "idmgr: the server side of the policy of the same name in idmgr.conf");
	idm_server_lockout_add(m, p);
	r = idm_ppolicy_dn(cfg, p->name, &dn);
	if (r == IDM_OK)
		r = idm_ppolicy_entry_sync(d, dn, m, attrs, want, "pwdPolicyChecker", note, ctx);
	idm_mods_free(m);
	free(dn);
	return r;
}

int idm_ppolicy_sync(struct idm_dir *d, const struct idm_config *cfg, idm_ppolicy_note_fn note,
		     void *ctx)
{
	int r = IDM_OK;

	for (size_t i = 0; r == IDM_OK && i < cfg->n_policies; i++)
		r = sync_one(d, cfg, &cfg->policies[i], note, ctx);
	return r;
}

/* ---------------------------------------------------------- migration */

/* The syntax of userPassword (octet string), as slapd writes it into each
 * pwdHistory value. */
#define OCTET_STRING_OID "1.3.6.1.4.1.1466.115.121.1.40"

struct migrate {
	struct idm_dir *d;
	const struct idm_config *cfg;
	idm_ppolicy_note_fn note;
	void *ctx;
};

static bool has_value(LDAP *ld, LDAPMessage *e, const char *attr)
{
	struct berval **v = ldap_get_values_len(ld, e, attr);
	bool any = v && v[0];

	ldap_value_free_len(v);
	return any;
}

/* "STAMP#HASH" into "STAMP#OID#LEN#HASH" (NULL when malformed). */
static char *history_value(const struct berval *old)
{
	const char *hash = memchr(old->bv_val, '#', old->bv_len);
	size_t stamp, len;
	char *out = NULL;

	if (!hash || memchr(old->bv_val, '\0', old->bv_len))
		return NULL;
	stamp = (size_t)(hash - old->bv_val);
	hash++;
	len = old->bv_len - stamp - 1;
	if (asprintf(&out, "%.*s#%s#%zu#%.*s", (int)stamp, old->bv_val, OCTET_STRING_OID, len,
		     (int)len, hash) < 0)
		return NULL;
	return out;
}

static int migrate_one(void *arg, LDAP *ld, LDAPMessage *e)
{
	struct migrate *mg = arg;
	struct idm_mods *m = idm_mods_new();
	struct berval **hist = ldap_get_values_len(ld, e, "idmPasswordHistory");
	char *dn = ldap_get_dn(ld, e), *must = idm_entry_value(ld, e, "idmMustChange");
	char *changed = idm_entry_value(ld, e, "idmPwdChangedTime");
	char *policy = idm_entry_value(ld, e, "idmPolicy");
	char *priv = idm_entry_value(ld, e, "idmPrivileged");
	char *subentry = NULL;
	int r = IDM_OK;

	if (!dn) {
		r = IDM_ENOMEM;
		goto out;
	}
	if (must) {
		if (strcmp(must, "TRUE") == 0 && !has_value(ld, e, "pwdReset"))
			idm_mods_add(m, LDAP_MOD_ADD, "pwdReset", "TRUE");
		idm_mods_add(m, LDAP_MOD_DELETE, "idmMustChange", NULL);
	}
	if (changed) {
		if (!has_value(ld, e, "pwdChangedTime"))
			idm_mods_add(m, LDAP_MOD_ADD, "pwdChangedTime", changed);
		idm_mods_add(m, LDAP_MOD_DELETE, "idmPwdChangedTime", NULL);
	}
	if (hist && hist[0]) {
		for (size_t i = 0; hist[i]; i++) {
			char *v = history_value(hist[i]);

			if (v)
				idm_mods_add(m, LDAP_MOD_ADD, "pwdHistory", v);
			free(v);
		}
		idm_mods_add(m, LDAP_MOD_DELETE, "idmPasswordHistory", NULL);
	}
	if (!has_value(ld, e, "pwdPolicySubentry")) {
		r = idm_ppolicy_subentry(mg->cfg,
					 policy                              ? policy
					 : priv && strcmp(priv, "TRUE") == 0 ? "privileged"
									     : IDM_PPOLICY_DEFAULT,
					 &subentry);
		if (r < 0)
			goto out;
		if (subentry)
			idm_mods_add(m, LDAP_MOD_ADD, "pwdPolicySubentry", subentry);
	}
	if (!idm_mods_array(m)) {
		r = IDM_ENOMEM;
		goto out;
	}
	if (idm_mods_array(m)[0]) {
		r = idm_dir_modify_relax(mg->d, dn, idm_mods_array(m));
		if (r == IDM_OK)
			r = mg->note(mg->ctx, dn, IDM_PP_UPDATED);
	}
out:
	free(subentry);
	free(policy);
	free(priv);
	free(changed);
	free(must);
	ldap_value_free_len(hist);
	ldap_memfree(dn);
	idm_mods_free(m);
	return r;
}

int idm_ppolicy_migrate(struct idm_dir *d, const struct idm_config *cfg, idm_ppolicy_note_fn note,
			void *ctx)
{
	static const char *const attrs[] = {
		"idmMustChange",  "idmPwdChangedTime", "idmPasswordHistory",
		"idmPolicy",      "idmPrivileged",     "pwdReset",
		"pwdChangedTime", "pwdPolicySubentry", NULL,
	};
	static const char filter[] =
		"(&(objectClass=idmAccount)(|(idmMustChange=*)(idmPwdChangedTime=*)"
		"(idmPasswordHistory=*)(&(!(pwdPolicySubentry=*))(|(idmPrivileged=TRUE)"
		"(idmPolicy=*)))))";
	struct migrate mg = { d, cfg, note, ctx };

	return idm_dir_search_paged(d, cfg->ldap.people_dn, LDAP_SCOPE_ONELEVEL, filter, attrs, 500,
				    migrate_one, &mg);
}
