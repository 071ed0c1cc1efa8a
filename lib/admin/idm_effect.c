#include "config.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_action.h"
#include "idm_effect.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_mods.h"
#include "idm_passhash.h"
#include "idm_random.h"
#include "idm_secret.h"
#include "idm_text.h"
#include "idm_time.h"

struct idm_mods *idm_effect_status_changes(const char *status, const char *reason, time_t until)
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
	return m;
}

int idm_effect_status(struct idm_dir *d, const char *dn, const char *status, const char *reason,
		      time_t until)
{
	return idm_dir_apply(d, dn, idm_effect_status_changes(status, reason, until));
}

struct idm_mods *idm_effect_new_account(const struct idm_new_account *a)
{
	struct idm_mods *m = idm_mods_new();
	char uidn[24], *home = NULL;

	snprintf(uidn, sizeof(uidn), "%ld", a->uid_number);
	if (asprintf(&home, "/home/%s", a->uid) < 0) {
		home = NULL;
		idm_mods_free(m);
		return NULL;
	}
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "inetOrgPerson");
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "posixAccount");
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "idmAccount");
	idm_mods_add(m, LDAP_MOD_ADD, "uid", a->uid);
	idm_mods_add(m, LDAP_MOD_ADD, "cn", a->cn);
	idm_mods_add(m, LDAP_MOD_ADD, "sn", a->sn);
	if (a->given_name)
		idm_mods_add(m, LDAP_MOD_ADD, "givenName", a->given_name);
	if (a->mail)
		idm_mods_add(m, LDAP_MOD_ADD, "mail", a->mail);
	if (a->unit)
		idm_mods_add(m, LDAP_MOD_ADD, "departmentNumber", a->unit);
	idm_mods_add(m, LDAP_MOD_ADD, "employeeType", a->employee_type);
	idm_mods_add(m, LDAP_MOD_ADD, "uidNumber", uidn);
	idm_mods_add(m, LDAP_MOD_ADD, "gidNumber", a->gid_number);
	idm_mods_add(m, LDAP_MOD_ADD, "homeDirectory", home);
	idm_mods_add(m, LDAP_MOD_ADD, "loginShell", "/bin/bash");
	idm_mods_add(m, LDAP_MOD_ADD, "idmStatus", "active");
	/* the temporary password must be changed first (R-PW-4): ppolicy
	 * restricts the new account to that */
	idm_mods_add(m, LDAP_MOD_ADD, "pwdReset", "TRUE");
	free(home);
	return m;
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
		r = idm_dir_apply(d, dn, m);
	else
		idm_mods_free(m);
	if (r == IDM_EEXIST || r == IDM_ENOVALUE)
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
		r = idm_dir_search_paged(d, cfg->ldap.groups_dn, LDAP_SCOPE_SUBTREE, filter, attrs,
					 500, collect_cn, &s);
	free(filter);
	if (r < 0) {
		idm_strv_free(s.v, s.n);
		return r;
	}
	*out = s.v;
	*n = s.n;
	return IDM_OK;
}

bool idm_effect_in(const char *cn, char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(cn, list[i]) == 0)
			return true;
	return false;
}

int idm_effect_temp_password_changes(const struct idm_config *cfg, struct idm_mods **out, char **pw)
{
	char *hash = NULL;
	int r;

	*out = NULL;
	*pw = NULL;
	r = idm_random_password((size_t)cfg->registration.temp_password_length, pw);
	if (r == IDM_OK)
		r = idm_hash_password(&cfg->argon2, *pw, strlen(*pw), &hash);
	/* A system_admin is a password administrator (manage on
	 * userPassword, slapd-acl.conf): ppolicy sets pwdReset itself, and the
	 * user's change is the next thing the server lets them do (R-PW-4);
	 * the caller adds it too (idm_effect_must_change()) in case it was not. */
	if (r == IDM_OK) {
		*out = idm_mods_new();
		idm_mods_add(*out, LDAP_MOD_REPLACE, "userPassword", hash);
		/* a new password: the old one's logins go (they count no more) */
		idm_mods_add(*out, LDAP_MOD_REPLACE, "idmLoginTime", NULL);
		if (!idm_mods_array(*out))
			r = IDM_ENOMEM;
	}
	idm_secret_free(hash);
	if (r < 0) {
		idm_mods_free(*out);
		*out = NULL;
		idm_secret_free(*pw);
		*pw = NULL;
	}
	return r;
}

int idm_effect_temp_password(struct idm_dir *d, const struct idm_config *cfg, const char *dn,
			     char **pw)
{
	struct idm_mods *m = NULL;
	int r = idm_effect_temp_password_changes(cfg, &m, pw);

	if (r == IDM_OK)
		r = idm_dir_apply(d, dn, m);
	if (r == IDM_OK)
		r = idm_effect_must_change(d, dn);
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
	r = idm_dir_apply(d, dn, m);
	return r == IDM_EEXIST ? IDM_OK : r;
}

int idm_effect_no_password(struct idm_dir *d, const char *dn)
{
	struct idm_mods *m = idm_mods_new();

	/* slapd's pwdHistory stays, readable by nobody (slapd-acl.conf). */
	idm_mods_add(m, LDAP_MOD_REPLACE, "userPassword", NULL);
	return idm_dir_apply(d, dn, m);
}

int idm_effect_role(struct idm_dir *d, const struct idm_config *cfg, enum idm_role role,
		    const char *member_dn, bool add)
{
	struct idm_mods *m = idm_mods_new();
	int r;

	idm_mods_add(m, add ? LDAP_MOD_ADD : LDAP_MOD_DELETE, "member", member_dn);
	r = idm_dir_apply(d, cfg->roles.dn[role], m);
	if (r == IDM_EEXIST || r == IDM_ENOVALUE)
		r = IDM_OK;
	if (r == IDM_ESCHEMA && !add) {
		/* the last member of a groupOfNames: leave the empty DN in its place */
		m = idm_mods_new();
		idm_mods_add(m, LDAP_MOD_DELETE, "member", member_dn);
		idm_mods_add(m, LDAP_MOD_ADD, "member", "");
		r = idm_dir_apply(d, cfg->roles.dn[role], m);
	}
	return r;
}

int idm_effect_notice(struct idm_dir *d, const struct idm_config *cfg, const char *actor_dn,
		      const char *action, const char *subject, const char *text)
{
	char id[IDM_OBJECT_ID_LEN];
	int r = idm_object_id_new('N', id);

	return r < 0 ? r : idm_effect_notice_as(d, cfg, actor_dn, id, action, subject, text);
}

int idm_effect_notice_as(struct idm_dir *d, const struct idm_config *cfg, const char *actor_dn,
			 const char *id, const char *action, const char *subject, const char *text)
{
	return idm_effect_notice_to(d, cfg, actor_dn, id, action, subject, text, NULL);
}

int idm_effect_notice_to(struct idm_dir *d, const struct idm_config *cfg, const char *actor_dn,
			 const char *id, const char *action, const char *subject, const char *text,
			 const char *recipient)
{
	struct idm_mods *m = idm_mods_new();
	char now[IDM_GENTIME_LEN], *base = NULL, *dn = NULL;
	int r = idm_dn_child(&base, "ou", "notices", cfg->ldap.idmgr_dn);

	idm_time_format(time(NULL), now);
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
	if (recipient)
		idm_mods_add(m, LDAP_MOD_ADD, "idmRecipient", recipient);
	if (r == IDM_OK)
		r = idm_dir_apply_add(d, dn, m);
	else
		idm_mods_free(m);
	free(base);
	free(dn);
	return r;
}
