#include "config.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_effect.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_mods.h"
#include "idm_passhash.h"
#include "idm_random.h"
#include "idm_secret.h"
#include "idm_time.h"

static int modify(struct idm_dir *d, const char *dn, struct idm_mods *m)
{
	int r = idm_mods_array(m) ? idm_dir_modify(d, dn, idm_mods_array(m)) : IDM_ENOMEM;

	idm_mods_free(m);
	return r;
}

int idm_effect_status(struct idm_dir *d, const char *dn, const char *status, const char *reason,
		      time_t until)
{
	struct idm_mods *m = idm_mods_new();
	char now[IDM_GENTIME_LEN], end[IDM_GENTIME_LEN];

	idm_time_format(time(NULL), now);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmStatus", status);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmStatusTime", now);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmStatusReason", reason && *reason ? reason : NULL);
	if (until) {
		idm_time_format(until, end);
		idm_mods_add(m, LDAP_MOD_REPLACE, "idmUntil", end);
	} else {
		idm_mods_add(m, LDAP_MOD_REPLACE, "idmUntil", NULL);
	}
	idm_effect_status_lock(m, status);
	return modify(d, dn, m);
}

void idm_effect_status_lock(struct idm_mods *m, const char *status)
{
	/* REPLACE: idempotent, and no error when absent.  pwdStartTime rather
	 * than pwdAccountLockedTime, which belongs to the lockout: an
	 * officer's unlock must never lift a suspension (docs/design.md). */
	idm_mods_add(m, LDAP_MOD_REPLACE, "pwdStartTime",
		     strcmp(status, "active") == 0 ? NULL : IDM_NOT_BEFORE_NEVER);
}

void idm_effect_valid_until(struct idm_mods *m, int op, time_t valid_until)
{
	char end[IDM_GENTIME_LEN];

	idm_time_format(valid_until, end);
	idm_mods_add(m, op, "idmValidUntil", end);
	idm_mods_add(m, op, "pwdEndTime", end);
}

int idm_effect_group(struct idm_dir *d, const struct idm_config *cfg, const char *cn,
		     const char *uid, bool add)
{
	struct idm_mods *m = idm_mods_new();
	char *dn = NULL;
	int r = idm_dn_child(&dn, "cn", cn, cfg->ldap.groups_dn);

	idm_mods_add(m, add ? LDAP_MOD_ADD : LDAP_MOD_DELETE, "memberUid", uid);
	if (r == IDM_OK)
		r = modify(d, dn, m);
	else
		idm_mods_free(m);
	if (r < 0 && (idm_dir_last_result(d) == LDAP_TYPE_OR_VALUE_EXISTS ||
		      idm_dir_last_result(d) == LDAP_NO_SUCH_ATTRIBUTE))
		r = IDM_OK; /* already as wanted */
	free(dn);
	return r;
}

struct strv {
	char **v;
	size_t n;
};

static int collect_cn(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct strv *s = ctx;
	char *cn = idm_entry_value(ld, e, "cn"), **grown;

	if (!cn)
		return IDM_OK;
	grown = realloc(s->v, (s->n + 2) * sizeof(char *));
	if (!grown) {
		free(cn);
		return IDM_ENOMEM;
	}
	s->v = grown;
	s->v[s->n++] = cn;
	s->v[s->n] = NULL;
	return IDM_OK;
}

int idm_effect_groups_of(struct idm_dir *d, const struct idm_config *cfg, const char *uid,
			 char ***out, size_t *n)
{
	static const char *const attrs[] = { "cn", NULL };
	struct strv s = { calloc(1, sizeof(char *)), 0 };
	char *filter = NULL;
	int r = s.v ? idm_filter_fmt(&filter, "(&(objectClass=posixGroup)(memberUid=%s))", uid)
		    : IDM_ENOMEM;

	if (r == IDM_OK)
		r = idm_dir_search_paged(d, cfg->ldap.groups_dn, LDAP_SCOPE_SUBTREE, filter, attrs, 500,
					 collect_cn, &s);
	free(filter);
	if (r < 0) {
		idm_effect_strv_free(s.v, s.n);
		return r;
	}
	*out = s.v;
	*n = s.n;
	return IDM_OK;
}

void idm_effect_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

bool idm_effect_in(const char *cn, char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(cn, list[i]) == 0)
			return true;
	return false;
}

int idm_effect_temp_password(struct idm_dir *d, const struct idm_config *cfg, const char *dn,
			     char **pw)
{
	struct idm_mods *m;
	char *hash = NULL;
	int r;

	*pw = NULL;
	r = idm_random_password((size_t)cfg->registration.temp_password_length, pw);
	if (r == IDM_OK)
		r = idm_hash_password(&cfg->argon2, *pw, strlen(*pw), &hash);
	if (r < 0)
		goto out;
	/* A system_admin is a password administrator (manage on
	 * userPassword, slapd-acl.conf): ppolicy sets pwdReset itself, and the
	 * user's change is the next thing the server lets them do (R-PW-4). */
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_REPLACE, "userPassword", hash);
	r = modify(d, dn, m);
	if (r == IDM_OK)
		r = idm_effect_must_change(d, dn);
	if (r == IDM_OK) {
		m = idm_mods_new();
		idm_mods_add(m, LDAP_MOD_REPLACE, "idmLoginTime", NULL);
		modify(d, dn, m); /* best effort: the old password's logins, which no longer count */
	}
out:
	idm_secret_free(hash);
	if (r < 0) {
		idm_secret_free(*pw);
		*pw = NULL;
	}
	return r;
}

int idm_effect_must_change(struct idm_dir *d, const char *dn)
{
	struct idm_mods *m = idm_mods_new();
	int r;

	/* An add, never a replace: officers may add TRUE, not remove it
	 * (slapd-acl.conf); already set is done. */
	idm_mods_add(m, LDAP_MOD_ADD, "pwdReset", "TRUE");
	r = modify(d, dn, m);
	if (r < 0 && idm_dir_last_result(d) == LDAP_TYPE_OR_VALUE_EXISTS)
		r = IDM_OK;
	return r;
}

int idm_effect_no_password(struct idm_dir *d, const char *dn)
{
	struct idm_mods *m = idm_mods_new();

	/* slapd's pwdHistory stays, readable by nobody (slapd-acl.conf). */
	idm_mods_add(m, LDAP_MOD_REPLACE, "userPassword", NULL);
	return modify(d, dn, m);
}

int idm_effect_role(struct idm_dir *d, const struct idm_config *cfg, enum idm_role role,
		    const char *member_dn, bool add)
{
	struct idm_mods *m = idm_mods_new();
	int r;

	idm_mods_add(m, add ? LDAP_MOD_ADD : LDAP_MOD_DELETE, "member", member_dn);
	r = modify(d, cfg->roles.dn[role], m);
	if (r < 0 && (idm_dir_last_result(d) == LDAP_TYPE_OR_VALUE_EXISTS ||
		      idm_dir_last_result(d) == LDAP_NO_SUCH_ATTRIBUTE))
		r = IDM_OK;
	if (r < 0 && !add && idm_dir_last_result(d) == LDAP_OBJECT_CLASS_VIOLATION) {
		/* the last member of a groupOfNames: leave the empty DN in its place */
		m = idm_mods_new();
		idm_mods_add(m, LDAP_MOD_DELETE, "member", member_dn);
		idm_mods_add(m, LDAP_MOD_ADD, "member", "");
		r = modify(d, cfg->roles.dn[role], m);
	}
	return r;
}

int idm_effect_notice(struct idm_dir *d, const struct idm_config *cfg, const char *actor_dn,
		      const char *action, const char *subject, const char *text)
{
	struct idm_mods *m = idm_mods_new();
	unsigned char rnd[4];
	char id[32], now[IDM_GENTIME_LEN], *base = NULL, *dn = NULL;
	int r = idm_random_bytes(rnd, sizeof(rnd));

	idm_time_format(time(NULL), now);
	snprintf(id, sizeof(id), "N%.8s-%02x%02x%02x%02x", now, rnd[0], rnd[1], rnd[2], rnd[3]);
	if (r == IDM_OK)
		r = idm_dn_child(&base, "ou", "notices", cfg->ldap.idmgr_dn);
	if (r == IDM_OK)
		r = idm_dn_child(&dn, "idmRequestId", id, base);
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "idmNotice");
	idm_mods_add(m, LDAP_MOD_ADD, "idmRequestId", id);
	idm_mods_add(m, LDAP_MOD_ADD, "idmTime", now);
	idm_mods_add(m, LDAP_MOD_ADD, "idmActor", actor_dn);
	idm_mods_add(m, LDAP_MOD_ADD, "idmAction", action);
	idm_mods_add(m, LDAP_MOD_ADD, "idmDetail", text);
	if (subject)
		idm_mods_add(m, LDAP_MOD_ADD, "idmSubject", subject);
	if (r == IDM_OK)
		r = idm_mods_array(m) ? idm_dir_add(d, dn, idm_mods_array(m)) : IDM_ENOMEM;
	idm_mods_free(m);
	free(base);
	free(dn);
	return r;
}
