#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_bootstrap.h"
#include "idm_effect.h"
#include "idm_dir.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_mods.h"
#include "idm_numbers.h"
#include "idm_passhash.h"
#include "idm_ppolicy.h"
#include "idm_random.h"
#include "idm_secret.h"
#include "idm_server_lock.h"
#include "idm_uid.h"
#include "idm_i18n.h"

/* The service identity's secret is long and random: its hash need not be
 * slow, so binding as it costs no noticeable Argon2 time. */
static const struct idm_argon2_params service_hash = { 256, 1, 1 };
#define SERVICE_SECRET_LEN 40

struct boot {
	const struct idm_config *cfg;
	const struct idm_log *log;
	struct idm_dir *d;
	struct idm_bootstrap_result *res;
};

/* ------------------------------------------------------------ officer specs */

int idm_officer_spec_parse(const struct idm_config *cfg, const struct idm_log *log,
			   const char *text, struct idm_officer_spec *out)
{
	const char *colon = strchr(text, ':');
	char *roles = NULL, *tok, *save = NULL;
	int r = IDM_OK;

	memset(out, 0, sizeof(*out));
	if (!colon || colon == text || !colon[1]) {
		idm_logf(log, LOG_ERR, N_("officer \"%s\": expected UID:ROLE[,ROLE...]"), text);
		return IDM_EINVAL;
	}
	out->uid = strndup(text, (size_t)(colon - text));
	roles = strdup(colon + 1);
	if (!out->uid || !roles) {
		r = IDM_ENOMEM;
		goto out;
	}
	if (idm_uid_check(cfg, out->uid) < 0) {
		idm_logf(log, LOG_ERR, N_("officer \"%s\": uid does not match uid_pattern %s"),
			 out->uid, cfg->registration.uid_pattern);
		r = IDM_EINVAL;
	} else if (idm_uid_reserved(cfg, out->uid)) {
		idm_logf(log, LOG_ERR, N_("officer \"%s\": uid is a reserved name (R-PRIV-5)"),
			 out->uid);
		r = IDM_EINVAL;
	}
	for (tok = strtok_r(roles, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int role = idm_role_from_name(tok);
		if (role < 0) {
			idm_logf(log, LOG_ERR,
				 N_("officer \"%s\": unknown role \"%s\" (ciso, security_chief, "
				    "system_admin, security_manager, contractor)"),
				 out->uid, tok);
			r = IDM_EINVAL;
		} else {
			out->roles |= 1u << role;
		}
	}
	if (r == IDM_OK && out->roles == 0) {
		idm_logf(log, LOG_ERR, N_("officer \"%s\": no role given"), out->uid);
		r = IDM_EINVAL;
	}
out:
	free(roles);
	if (r < 0)
		idm_officer_spec_clear(out);
	return r;
}

void idm_officer_spec_clear(struct idm_officer_spec *spec)
{
	free(spec->uid);
	spec->uid = NULL;
	spec->roles = 0;
}

/* ---------------------------------------------------------------- helpers */

static int note(struct boot *b, const char *dn, enum idm_bootstrap_action action)
{
	struct idm_bootstrap_result *res = b->res;
	struct idm_bootstrap_step *grown;

	for (size_t i = 0; i < res->n_steps; i++)
		if (strcmp(res->steps[i].dn, dn) == 0)
			return IDM_OK; /* a parent met again */
	grown = realloc(res->steps, (res->n_steps + 1) * sizeof(*grown));
	if (!grown)
		return IDM_ENOMEM;
	res->steps = grown;
	grown[res->n_steps].dn = strdup(dn);
	grown[res->n_steps].action = action;
	if (!grown[res->n_steps].dn)
		return IDM_ENOMEM;
	res->n_steps++;
	idm_logf(b->log, LOG_INFO, "%s %s",
		 action == IDM_BOOT_CREATED   ? "created"
		 : action == IDM_BOOT_UPDATED ? "updated"
					      : "exists ",
		 dn);
	return IDM_OK;
}

/* Adds the entry unless it exists.  *created tells which happened. */
static int ensure(struct boot *b, const char *dn, struct idm_mods *m, bool *created)
{
	int r;

	if (created)
		*created = false;
	r = idm_dir_exists(b->d, dn);
	if (r == IDM_OK)
		return note(b, dn, IDM_BOOT_EXISTS);
	if (r != IDM_ENOENT)
		return r;
	if (!idm_mods_array(m))
		return IDM_ENOMEM;
	r = idm_dir_add(b->d, dn, idm_mods_array(m));
	if (r == IDM_EEXIST) /* created meanwhile by a concurrent init */
		return note(b, dn, IDM_BOOT_EXISTS);
	if (r < 0)
		return r;
	if (created)
		*created = true;
	return note(b, dn, IDM_BOOT_CREATED);
}

/* Splits dn into its first RDN's attribute and value and its parent. */
static int split_dn(const char *dn, char **attr, char **value, const char **parent)
{
	LDAPDN ldn = NULL;
	int r = IDM_EINVAL;

	*attr = *value = NULL;
	if (ldap_str2dn(dn, &ldn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || !ldn || !ldn[0])
		goto out;
	if (ldn[0][1]) /* multi-valued RDN: not ours to create */
		goto out;
	*attr = strndup(ldn[0][0]->la_attr.bv_val, ldn[0][0]->la_attr.bv_len);
	*value = strndup(ldn[0][0]->la_value.bv_val, ldn[0][0]->la_value.bv_len);
	if (!*attr || !*value) {
		r = IDM_ENOMEM;
		goto out;
	}
	/* The parent starts after the first unescaped comma. */
	*parent = "";
	for (const char *p = dn; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == ',') {
			*parent = p + 1;
			break;
		}
	}
	r = IDM_OK;
out:
	if (ldn)
		ldap_dnfree(ldn);
	if (r < 0) {
		free(*attr);
		free(*value);
		*attr = *value = NULL;
	}
	return r;
}

/* Creates a container (the base entry, or an organizational unit) and,
 * first, its missing parents down to the base. */
static int ensure_container(struct boot *b, const char *dn)
{
	char *attr = NULL, *value = NULL;
	const char *parent = NULL;
	struct idm_mods *m = NULL;
	bool is_base = strcasecmp(dn, b->cfg->ldap.base_dn) == 0;
	int r;

	r = idm_dir_exists(b->d, dn);
	if (r == IDM_OK)
		return note(b, dn, IDM_BOOT_EXISTS);
	if (r != IDM_ENOENT)
		return r;
	r = split_dn(dn, &attr, &value, &parent);
	if (r < 0) {
		idm_logf(b->log, LOG_ERR, N_("%s: cannot create an entry for this DN"), dn);
		goto out;
	}
	if (!is_base && *parent && (r = ensure_container(b, parent)) < 0)
		goto out;
	m = idm_mods_new();
	if (is_base && strcasecmp(attr, "dc") == 0) {
		idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "dcObject");
		idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "organization");
		idm_mods_add(m, LDAP_MOD_ADD, "dc", value);
		idm_mods_add(m, LDAP_MOD_ADD, "o", value);
	} else if (strcasecmp(attr, "ou") == 0) {
		idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "organizationalUnit");
		idm_mods_add(m, LDAP_MOD_ADD, "ou", value);
	} else {
		idm_logf(b->log, LOG_ERR,
			 N_("%s does not exist and is neither a dc= base nor an ou= container: "
			    "create it first"),
			 dn);
		r = IDM_ENOENT;
		goto out;
	}
	r = ensure(b, dn, m, NULL);
out:
	idm_mods_free(m);
	free(attr);
	free(value);
	return r;
}

static int note_policy(void *ctx, const char *dn, enum idm_ppolicy_action a)
{
	return note(ctx, dn,
		    a == IDM_PP_CREATED   ? IDM_BOOT_CREATED
		    : a == IDM_PP_UPDATED ? IDM_BOOT_UPDATED
					  : IDM_BOOT_EXISTS);
}

/* slapd's policy entries, one per policy section (idm_ppolicy.h). */
static int ensure_policies(struct boot *b)
{
	char *dn = NULL;
	int r = idm_ppolicy_container(b->cfg, &dn);

	if (r == IDM_OK)
		r = ensure_container(b, dn);
	if (r == IDM_OK)
		r = idm_ppolicy_sync(b->d, b->cfg, note_policy, b);
	free(dn);
	return r;
}

static int ensure_pool(struct boot *b)
{
	char *dn = NULL, uidn[24], gidn[24];
	struct idm_mods *m = idm_mods_new();
	int r = idm_numbers_dn(b->cfg, &dn);

	if (r == IDM_OK) {
		snprintf(uidn, sizeof(uidn), "%ld", b->cfg->registration.uid_number_min);
		snprintf(gidn, sizeof(gidn), "%ld", b->cfg->registration.gid_number_min);
		idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "idmNumberPool");
		idm_mods_add(m, LDAP_MOD_ADD, "cn", "numbers");
		idm_mods_add(m, LDAP_MOD_ADD, "idmNextUidNumber", uidn);
		idm_mods_add(m, LDAP_MOD_ADD, "idmNextGidNumber", gidn);
		r = ensure(b, dn, m, NULL);
	}
	idm_mods_free(m);
	free(dn);
	return r;
}

static int ensure_posix_group(struct boot *b, const char *cn)
{
	char *dn = NULL, gidn[24];
	struct idm_mods *m = NULL;
	long gid;
	int r = idm_dn_child(&dn, "cn", cn, b->cfg->ldap.groups_dn);

	if (r < 0)
		return r;
	r = idm_dir_exists(b->d, dn);
	if (r == IDM_OK) {
		r = note(b, dn, IDM_BOOT_EXISTS);
		goto out;
	}
	if (r != IDM_ENOENT)
		goto out;
	r = idm_number_alloc(b->d, b->cfg, IDM_GID_NUMBER, &gid);
	if (r < 0)
		goto out;
	snprintf(gidn, sizeof(gidn), "%ld", gid);
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "posixGroup");
	idm_mods_add(m, LDAP_MOD_ADD, "cn", cn);
	idm_mods_add(m, LDAP_MOD_ADD, "gidNumber", gidn);
	r = ensure(b, dn, m, NULL);
out:
	idm_mods_free(m);
	free(dn);
	return r;
}

static int ensure_groups(struct boot *b)
{
	const struct idm_config *c = b->cfg;
	int r = ensure_posix_group(b, c->registration.primary_group);

	for (size_t i = 0; r == IDM_OK && i < c->n_units; i++)
		for (size_t k = 0; r == IDM_OK && k < c->units[i].n_groups; k++)
			r = ensure_posix_group(b, c->units[i].groups[k]);
	for (size_t i = 0; r == IDM_OK && i < c->n_regular_staff_groups; i++)
		r = ensure_posix_group(b, c->regular_staff_groups[i]);
	return r;
}

/* The service identity and its secret file.  The secret is written first
 * and the entry added after, so an interrupted run is completed by the next
 * one (which reuses the secret already written). */
static int ensure_identity(struct boot *b, const char *dn, const char *secret_file,
			   const char *description, bool *written)
{
	char *attr = NULL, *value = NULL, *secret = NULL, *hash = NULL;
	const char *parent = NULL;
	struct idm_mods *m = NULL;
	int r;

	r = idm_dir_exists(b->d, dn);
	if (r == IDM_OK) {
		r = note(b, dn, IDM_BOOT_EXISTS);
		if (r == IDM_OK && idm_secret_check(secret_file, NULL) < 0)
			idm_logf(b->log, LOG_WARNING,
				 N_("%s exists but %s is missing or unusable: set a new secret for it "
				    "by hand, or delete the entry and run init again"),
				 dn, secret_file);
		return r;
	}
	if (r != IDM_ENOENT)
		return r;
	r = split_dn(dn, &attr, &value, &parent);
	if (r < 0 || strcasecmp(attr, "cn") != 0) {
		idm_logf(b->log, LOG_ERR, N_("bind_dn %s: must be a cn= entry to be created"), dn);
		r = IDM_ECONFIG;
		goto out;
	}
	if (*parent && (r = ensure_container(b, parent)) < 0)
		goto out;
	if (idm_secret_read(secret_file, NULL, &secret) < 0) {
		r = idm_random_password(SERVICE_SECRET_LEN, &secret);
		if (r == IDM_OK)
			r = idm_secret_write(secret_file, secret, b->log);
		if (r < 0)
			goto out;
		*written = true;
	}
	r = idm_hash_password(&service_hash, secret, strlen(secret), &hash);
	if (r < 0)
		goto out;
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "applicationProcess");
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "simpleSecurityObject");
	idm_mods_add(m, LDAP_MOD_ADD, "cn", value);
	idm_mods_add(m, LDAP_MOD_ADD, "description", description);
	idm_mods_add(m, LDAP_MOD_ADD, "userPassword", hash);
	r = ensure(b, dn, m, NULL);
out:
	idm_mods_free(m);
	idm_secret_free(secret);
	idm_secret_free(hash);
	free(attr);
	free(value);
	return r;
}

/* The hosts' identity and idmgrd's, the one that writes officers' changes. */
static int ensure_services(struct boot *b)
{
	const struct idm_config *c = b->cfg;
	int r = ensure_identity(b, c->ldap.bind_dn, c->ldap.bind_password_file,
				"idmgr: the hosts' service identity", &b->res->secret_written);

	if (r == IDM_OK && *c->service.bind_dn)
		r = ensure_identity(b, c->service.bind_dn, c->service.bind_password_file,
				    "idmgrd: the only writer of officers' changes",
				    &b->res->writer_secret_written);
	return r;
}

static int ensure_officer(struct boot *b, const struct idm_officer_spec *spec, const char *gid)
{
	const struct idm_config *c = b->cfg;
	struct idm_bootstrap_result *res = b->res;
	struct idm_bootstrap_officer *o, *grown;
	struct idm_mods *m = NULL;
	char *hash = NULL, *subentry = NULL;
	long uidnum;
	bool created = false;
	int r;

	grown = realloc(res->officers, (res->n_officers + 1) * sizeof(*grown));
	if (!grown)
		return IDM_ENOMEM;
	res->officers = grown;
	o = &grown[res->n_officers++];
	memset(o, 0, sizeof(*o));
	o->roles = spec->roles;
	if (!(o->uid = strdup(spec->uid)))
		return IDM_ENOMEM;
	r = idm_dn_child(&o->dn, "uid", spec->uid, c->ldap.people_dn);
	if (r < 0)
		return r;
	r = idm_dir_exists(b->d, o->dn);
	if (r == IDM_OK)
		return note(b, o->dn, IDM_BOOT_EXISTS);
	if (r != IDM_ENOENT)
		return r;

	r = idm_random_password((size_t)c->registration.temp_password_length, &o->temp_password);
	if (r == IDM_OK)
		r = idm_hash_password(&c->argon2, o->temp_password, strlen(o->temp_password), &hash);
	if (r == IDM_OK)
		r = idm_number_alloc(b->d, c, IDM_UID_NUMBER, &uidnum);
	if (r < 0)
		goto out;
	r = idm_ppolicy_subentry(c, "privileged", &subentry);
	if (r < 0)
		goto out;
	m = idm_effect_new_account(&(struct idm_new_account){
		.uid = spec->uid,
		.cn = spec->uid,
		.sn = spec->uid,
		.employee_type = "regular",
		.uid_number = uidnum,
		.gid_number = gid,
	});
	idm_mods_add(m, LDAP_MOD_ADD, "userPassword", hash);
	idm_mods_add(m, LDAP_MOD_ADD, "idmPrivileged", "TRUE");
	/* made privileged by the bootstrap, not by a request: not drift */
	idm_mods_add(m, LDAP_MOD_ADD, "idmPrivilegeRequest", "init");
	/* under the privileged policy (R-PRIV-4); the entry builder adds
	 * pwdReset: ppolicy restricts the officer to changing the temporary
	 * password (R-PW-4) */
	idm_mods_add(m, LDAP_MOD_ADD, "pwdPolicySubentry", subentry);
	r = ensure(b, o->dn, m, &created);
out:
	if (!created) {
		/* Existing officers keep their password: none is shown. */
		idm_secret_free(o->temp_password);
		o->temp_password = NULL;
	}
	idm_mods_free(m);
	idm_secret_free(hash);
	free(subentry);
	return r;
}

/* Only officers created by this run join role groups: an existing ID's
 * roles change only through grant-privilege / revoke-privilege requests. */
static bool joins(const struct idm_bootstrap_officer *o, enum idm_role role)
{
	return o->temp_password && (o->roles & (1u << role));
}

/* A groupOfNames needs a member: an empty role holds the empty DN, which
 * matches no operator. */
static int ensure_role(struct boot *b, enum idm_role role)
{
	const char *dn = b->cfg->roles.dn[role];
	char *attr = NULL, *value = NULL;
	const char *parent = NULL;
	struct idm_mods *m = NULL;
	bool any = false, created = false;
	int r;

	r = split_dn(dn, &attr, &value, &parent);
	if (r < 0 || strcasecmp(attr, "cn") != 0) {
		idm_logf(b->log, LOG_ERR, N_("roles %s: %s must be a cn= entry"),
			 idm_role_name(role), dn);
		r = IDM_ECONFIG;
		goto out;
	}
	if (*parent && (r = ensure_container(b, parent)) < 0)
		goto out;
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "groupOfNames");
	idm_mods_add(m, LDAP_MOD_ADD, "cn", value);
	idm_mods_add(m, LDAP_MOD_ADD, "description", idm_role_name(role));
	for (size_t i = 0; i < b->res->n_officers; i++) {
		if (!joins(&b->res->officers[i], role))
			continue;
		idm_mods_add(m, LDAP_MOD_ADD, "member", b->res->officers[i].dn);
		any = true;
	}
	if (!any)
		idm_mods_add(m, LDAP_MOD_ADD, "member", "");
	r = ensure(b, dn, m, &created);
	if (r < 0 || created || !any)
		goto out;
	/* The group existed: add the officers named now, one at a time, so one
	 * already a member does not make the others fail. */
	for (size_t i = 0; i < b->res->n_officers && r == IDM_OK; i++) {
		struct idm_mods *one;
		if (!joins(&b->res->officers[i], role))
			continue;
		one = idm_mods_new();
		idm_mods_add(one, LDAP_MOD_ADD, "member", b->res->officers[i].dn);
		r = idm_dir_apply(b->d, dn, one);
		if (r == IDM_OK) {
			char *what = NULL;
			if (asprintf(&what, "%s (member %s)", dn, b->res->officers[i].dn) < 0) {
				r = IDM_ENOMEM;
				break;
			}
			r = note(b, what, IDM_BOOT_UPDATED);
			free(what);
		} else if (r == IDM_EEXIST) {
			r = IDM_OK;
		}
	}
out:
	idm_mods_free(m);
	free(attr);
	free(value);
	return r;
}

/* The trail's container's entryUUID, for the configuration to pin. */
static int audit_uuid(struct boot *b)
{
	static const char *const attrs[] = { "entryUUID", NULL };
	LDAPMessage *res = NULL, *e;
	char *dn = NULL;
	int r = idm_dn_child(&dn, "ou", "audit", b->cfg->ldap.idmgr_dn);

	if (r == IDM_OK)
		r = idm_dir_search(b->d, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res);
	if (r == IDM_OK && (e = ldap_first_entry(idm_dir_ldap(b->d), res)))
		b->res->audit_uuid = idm_entry_value(idm_dir_ldap(b->d), e, "entryUUID");
	if (r == IDM_OK && *b->cfg->service.audit_container_uuid && b->res->audit_uuid &&
	    strcasecmp(b->res->audit_uuid, b->cfg->service.audit_container_uuid) != 0)
		idm_logf(b->log, LOG_WARNING,
			 N_("%s has entryUUID %s, but the configuration pins %s: was it replaced?"),
			 dn, b->res->audit_uuid, b->cfg->service.audit_container_uuid);
	ldap_msgfree(res);
	free(dn);
	return r;
}

int idm_bootstrap(const struct idm_config *cfg, const struct idm_log *log, const char *admin_dn,
		  const char *admin_password, const struct idm_officer_spec *officers,
		  size_t n_officers, struct idm_bootstrap_result **out)
{
	struct boot b = { .cfg = cfg, .log = log };
	const char *containers[3] = { cfg->ldap.people_dn, cfg->ldap.groups_dn, cfg->ldap.idmgr_dn };
	static const char *const idmgr_ous[] = { "requests", "audit", "exceptions", "notices" };
	char *gid = NULL;
	int r;

	*out = NULL;
	b.res = calloc(1, sizeof(*b.res));
	if (!b.res)
		return IDM_ENOMEM;
	r = idm_dir_open(cfg, log, admin_dn, admin_password, &b.d);
	if (r == IDM_EAUTH)
		idm_logf(log, LOG_ERR, N_("%s: the directory refused the administrator's password"),
			 admin_dn);
	if (r < 0)
		goto out;

	r = ensure_container(&b, cfg->ldap.base_dn);
	for (size_t i = 0; r == IDM_OK && i < 3; i++)
		r = ensure_container(&b, containers[i]);
	for (size_t i = 0; r == IDM_OK && i < sizeof(idmgr_ous) / sizeof(idmgr_ous[0]); i++) {
		char *dn = NULL;
		r = idm_dn_child(&dn, "ou", idmgr_ous[i], cfg->ldap.idmgr_dn);
		if (r == IDM_OK)
			r = ensure_container(&b, dn);
		free(dn);
	}
	if (r == IDM_OK)
		r = ensure_policies(&b);
	if (r == IDM_OK)
		r = ensure_pool(&b);
	if (r == IDM_OK)
		r = ensure_groups(&b);
	if (r == IDM_OK)
		r = ensure_services(&b);
	if (r == IDM_OK)
		r = idm_primary_gid(b.d, b.cfg, &gid);
	for (size_t i = 0; r == IDM_OK && i < n_officers; i++)
		r = ensure_officer(&b, &officers[i], gid);
	for (int role = 0; r == IDM_OK && role < IDM_ROLE_COUNT; role++)
		r = ensure_role(&b, (enum idm_role)role);
	/* a directory of an older release: its password state into slapd's */
	if (r == IDM_OK)
		r = idm_ppolicy_migrate(b.d, cfg, note_policy, &b);
	if (r == IDM_OK)
		r = audit_uuid(&b);
	/* slapd's side of lockout and status (idm_server_lock.h), and the
	 * move of an older directory's lock state into it */
	if (r == IDM_OK)
		r = idm_server_lock_policies(b.d, cfg, note_policy, &b);
	if (r == IDM_OK)
		r = idm_server_lock_decoy(b.d, cfg, note_policy, &b);
	if (r == IDM_OK)
		r = idm_server_lock_upgrade(b.d, cfg, note_policy, &b);
out:
	free(gid);
	idm_dir_close(b.d);
	*out = b.res; /* also on failure: it says what was done before */
	return r;
}

void idm_bootstrap_result_free(struct idm_bootstrap_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->n_steps; i++)
		free(res->steps[i].dn);
	free(res->steps);
	for (size_t i = 0; i < res->n_officers; i++) {
		free(res->officers[i].uid);
		free(res->officers[i].dn);
		idm_secret_free(res->officers[i].temp_password);
	}
	free(res->officers);
	free(res->audit_uuid);
	free(res);
}
