#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_account.h"
#include "idm_effect.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_lockout.h"
#include "idm_login.h"
#include "idm_passhash.h"
#include "idm_random.h"
#include "idm_secret.h"
#include "idm_mods.h"
#include "idm_server_lock.h"
#include "idm_time.h"

/* The ppolicy lockout values that agree with policy p. */
struct lockout_values {
	long max_failure, interval, duration;
};

static void lockout_of(const struct idm_policy *p, struct lockout_values *out)
{
	out->max_failure = p->lockout_threshold;
	out->duration = p->lockout_duration;
	out->interval = p->lockout_window;
	if (p->lockout_duration > 0 && p->lockout_duration < p->lockout_window)
		out->interval = p->lockout_duration;
}

void idm_server_lockout_add(struct idm_mods *m, const struct idm_policy *p)
{
	struct lockout_values lo;
	char v[3][24];

	lockout_of(p, &lo);
	snprintf(v[0], sizeof(v[0]), "%ld", lo.max_failure);
	snprintf(v[1], sizeof(v[1]), "%ld", lo.interval);
	snprintf(v[2], sizeof(v[2]), "%ld", lo.duration);
	idm_mods_add(m, LDAP_MOD_ADD, "pwdLockout", "TRUE");
	idm_mods_add(m, LDAP_MOD_ADD, "pwdMaxFailure", v[0]);
	idm_mods_add(m, LDAP_MOD_ADD, "pwdFailureCountInterval", v[1]);
	idm_mods_add(m, LDAP_MOD_ADD, "pwdLockoutDuration", v[2]);
}

static int modify(struct idm_dir *d, const char *dn, struct idm_mods *m)
{
	int r = idm_mods_array(m) ? idm_dir_modify(d, dn, idm_mods_array(m)) : IDM_ENOMEM;

	idm_mods_free(m);
	return r;
}

/* Failures the decoy keeps: enough that each refusal writes one. */
#define DECOY_RECORDED 5

static int sync_policy(struct idm_dir *d, const struct idm_policy *p, const char *parent,
		       idm_ppolicy_note_fn note, void *ctx)
{
	/* pwdMaxRecordedFailure only for the decoy (without it slapd records
	 * no failure where pwdMaxFailure is 0); last, so others skip it */
	static const char *const all[] = {
		"pwdLockout",         "pwdMaxFailure",         "pwdFailureCountInterval",
		"pwdLockoutDuration", "pwdMaxRecordedFailure", NULL
	};
	const char *names[6], *want[5];
	struct lockout_values lo;
	char values[5][24];
	struct idm_mods *m = idm_mods_new();
	char *dn = NULL;
	int r = idm_dn_child(&dn, "cn", p->name, parent);

	lockout_of(p, &lo);
	snprintf(values[0], sizeof(values[0]), "TRUE");
	snprintf(values[1], sizeof(values[1]), "%ld", lo.max_failure);
	snprintf(values[2], sizeof(values[2]), "%ld", lo.interval);
	snprintf(values[3], sizeof(values[3]), "%ld", lo.duration);
	snprintf(values[4], sizeof(values[4]), "%d", DECOY_RECORDED);
	for (int i = 0; i < 6; i++)
		names[i] = i == 4 && lo.max_failure > 0 ? NULL : all[i];
	for (int i = 0; i < 5; i++)
		want[i] = values[i];
	/* The lockout part of the policy entry; the password rules are added
	 * to it by their owner (idm-schema(5)). */
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "device");
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "pwdPolicy");
	idm_mods_add(m, LDAP_MOD_ADD, "cn", p->name);
	idm_mods_add(m, LDAP_MOD_ADD, "pwdAttribute", "userPassword");
	if (r == IDM_OK)
		r = idm_ppolicy_entry_sync(d, dn, m, names, want, NULL, note, ctx);
	idm_mods_free(m);
	free(dn);
	return r;
}

int idm_server_lock_policies(struct idm_dir *d, const struct idm_config *cfg,
			     idm_ppolicy_note_fn note, void *ctx)
{
	/* the timing decoy's: failures recorded (a write, as on a real
	 * account), never a lock (a locked entry answers without Argon2) */
	static const struct idm_policy decoy = {
		.name = IDM_DECOY_CN,
		.lockout_threshold = 0,
		.lockout_window = 900,
	};
	char *parent = NULL;
	int r = idm_dn_child(&parent, "ou", "policies", cfg->ldap.base_dn);

	for (size_t i = 0; r == IDM_OK && i < cfg->n_policies; i++)
		r = sync_policy(d, &cfg->policies[i], parent, note, ctx);
	if (r == IDM_OK)
		r = sync_policy(d, &decoy, parent, note, ctx);
	free(parent);
	return r;
}

/* The decoy's password: a random secret nobody keeps, hashed with the
 * configured costs, so that a bind to it costs what a user's does. */
static int decoy_hash(const struct idm_config *cfg, char **hash)
{
	char *secret = NULL;
	int r = idm_random_password(32, &secret);

	*hash = NULL;
	if (r == IDM_OK)
		r = idm_hash_password(&cfg->argon2, secret, strlen(secret), hash);
	idm_secret_free(secret);
	return r;
}

int idm_server_lock_decoy(struct idm_dir *d, const struct idm_config *cfg, idm_ppolicy_note_fn note,
			  void *ctx)
{
	static const char *const attrs[] = { "userPassword", NULL };
	struct idm_mods *m = NULL;
	LDAPMessage *res = NULL, *e;
	char *dn = NULL, *policies = NULL, *policy = NULL, *hash = NULL, *have = NULL;
	int r = idm_login_decoy_dn(cfg, &dn);

	if (r == IDM_OK)
		r = idm_dn_child(&policies, "ou", "policies", cfg->ldap.base_dn);
	if (r == IDM_OK)
		r = idm_dn_child(&policy, "cn", IDM_DECOY_CN, policies);
	if (r == IDM_OK)
		r = idm_dir_search(d, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res);
	if (r == IDM_OK) {
		/* costs changed since: hash again, or the decoy answers faster */
		e = ldap_first_entry(idm_dir_ldap(d), res);
		have = e ? idm_entry_value(idm_dir_ldap(d), e, "userPassword") : NULL;
		if (have && !idm_hash_weaker(have, &cfg->argon2)) {
			r = note(ctx, dn, IDM_PP_EXISTS);
			goto out;
		}
		r = decoy_hash(cfg, &hash);
		m = idm_mods_new();
		idm_mods_add(m, LDAP_MOD_REPLACE, "userPassword", hash);
		if (r == IDM_OK)
			r = idm_mods_array(m) ? idm_dir_modify(d, dn, idm_mods_array(m))
					      : IDM_ENOMEM;
		if (r == IDM_OK)
			r = note(ctx, dn, IDM_PP_UPDATED);
		goto out;
	}
	if (r != IDM_ENOENT)
		goto out;
	r = decoy_hash(cfg, &hash);
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "applicationProcess");
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "simpleSecurityObject");
	idm_mods_add(m, LDAP_MOD_ADD, "cn", IDM_DECOY_CN);
	idm_mods_add(m, LDAP_MOD_ADD, "description",
		     "idmgr: refusals bind here so that they cost what a wrong password costs");
	idm_mods_add(m, LDAP_MOD_ADD, "userPassword", hash);
	idm_mods_add(m, LDAP_MOD_ADD, "pwdPolicySubentry", policy);
	if (r == IDM_OK)
		r = idm_mods_array(m) ? idm_dir_add(d, dn, idm_mods_array(m)) : IDM_ENOMEM;
	if (r == IDM_OK)
		r = note(ctx, dn, IDM_PP_CREATED);
out:
	idm_mods_free(m);
	ldap_msgfree(res);
	if (have)
		explicit_bzero(have, strlen(have));
	free(have);
	idm_secret_free(hash);
	free(dn);
	free(policies);
	free(policy);
	return r;
}

struct upgrade {
	struct idm_dir *d;
	const struct idm_config *cfg;
	idm_ppolicy_note_fn note;
	void *ctx;
	char now[IDM_GENTIME_LEN];
};

static int upgrade_one(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct upgrade *u = ctx;
	struct idm_account *a = NULL;
	struct idm_mods *m = idm_mods_new();
	char *count = idm_entry_value(ld, e, "idmFailureCount");
	char *logins = idm_entry_value(ld, e, "idmLoginCount");
	char *claim = idm_entry_value(ld, e, "idmFirstPasswordIssued");
	char *hard = idm_entry_value(ld, e, "idmHardLockTime");
	char *start = idm_entry_value(ld, e, "pwdStartTime");
	char *until = idm_entry_value(ld, e, "idmValidUntil");
	char *end = idm_entry_value(ld, e, "pwdEndTime");
	const struct idm_policy *p;
	bool any = false;
	int r = idm_account_from_entry(ld, e, &a);

	if (r < 0)
		goto out;
	if (count) {
		/* a counter the hosts could lower: at the limit it becomes the
		 * mark they cannot remove; below it, the attempt values count */
		if (!hard && strtol(count, NULL, 10) >= IDM_LOCKOUT_HARD_LIMIT)
			idm_mods_add(m, LDAP_MOD_ADD, "idmHardLockTime", u->now);
		idm_mods_add(m, LDAP_MOD_DELETE, "idmFailureCount", NULL);
		any = true;
	}
	if (logins) {
		/* a count the user could reset: one that had reached max_logins
		 * becomes the server's demand for a change.  -1 was idmgrd's
		 * claim of a first temporary password not issued yet (the
		 * versions before idmFirstPasswordIssued): it stays a claim;
		 * any other value means the account's password was issued. */
		long n = strtol(logins, NULL, 10);
		p = idm_account_policy(u->cfg, a);
		if (p && p->max_logins > 0 && n >= p->max_logins)
			idm_mods_add(m, LDAP_MOD_REPLACE, "pwdReset", "TRUE");
		if (!claim)
			idm_mods_add(m, LDAP_MOD_ADD, "idmFirstPasswordIssued",
				     n < 0 ? "FALSE" : "TRUE");
		idm_mods_add(m, LDAP_MOD_DELETE, "idmLoginCount", NULL);
		any = true;
	}
	if ((!a->status || strcasecmp(a->status, "active") != 0) && !start) {
		idm_effect_status_lock(m, a->status ? a->status : "");
		any = true;
	}
	if (until && !end) {
		idm_mods_add(m, LDAP_MOD_REPLACE, "pwdEndTime", until);
		any = true;
	}
	if (any) {
		r = modify(u->d, a->dn, m);
		m = NULL;
		if (r == IDM_OK)
			r = u->note(u->ctx, a->dn, IDM_PP_UPDATED);
	}
out:
	idm_mods_free(m);
	idm_account_free(a);
	free(count);
	free(logins);
	free(claim);
	free(hard);
	free(start);
	free(until);
	free(end);
	return r;
}

int idm_server_lock_upgrade(struct idm_dir *d, const struct idm_config *cfg,
			    idm_ppolicy_note_fn note, void *ctx)
{
	static const char *const extra[] = { "idmLoginCount", "idmFirstPasswordIssued",
					     "pwdStartTime", "pwdEndTime", NULL };
	static const char filter[] =
		"(&(objectClass=idmAccount)(|(idmFailureCount=*)(idmLoginCount=*)"
		"(&(!(idmStatus=active))(!(pwdStartTime=*)))(&(idmValidUntil=*)(!(pwdEndTime=*)))))";
	struct upgrade u = { d, cfg, note, ctx, "" };
	const char *attrs[IDM_ACCOUNT_ATTRS_MAX];
	int r = idm_account_attrs_with(extra, attrs, IDM_ACCOUNT_ATTRS_MAX);

	if (r < 0)
		return r;
	idm_time_format(time(NULL), u.now);
	return idm_dir_search_paged(d, cfg->ldap.people_dn, LDAP_SCOPE_SUBTREE, filter, attrs, 500,
				    upgrade_one, &u);
}
