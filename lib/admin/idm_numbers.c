#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "idm_error.h"
#include "idm_escape.h"
#include "idm_mods.h"
#include "idm_numbers.h"
#include "idm_random.h"
#include "idm_i18n.h"

#define CAS_TRIES 50

int idm_numbers_dn(const struct idm_config *cfg, char **out)
{
	return idm_dn_child(out, "cn", "numbers", cfg->ldap.idmgr_dn);
}

static int parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return IDM_EINVAL;
	v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 2147483646)
		return IDM_EINVAL;
	*out = v;
	return IDM_OK;
}

int idm_number_alloc(struct idm_dir *d, const struct idm_config *cfg, enum idm_number_kind kind,
		     long *out)
{
	const char *attr = kind == IDM_UID_NUMBER ? "idmNextUidNumber" : "idmNextGidNumber";
	long min = kind == IDM_UID_NUMBER ? cfg->registration.uid_number_min
					  : cfg->registration.gid_number_min;
	const char *attrs[] = { attr, NULL };
	char *dn = NULL;
	int r;

	r = idm_numbers_dn(cfg, &dn);
	if (r < 0)
		return r;
	for (int tries = 0; tries < CAS_TRIES; tries++) {
		LDAPMessage *res = NULL;
		struct idm_mods *m = NULL;
		char *cur = NULL, next[24], token[17];
		long v;

		r = idm_dir_search(d, dn, LDAP_SCOPE_BASE, "(objectClass=idmNumberPool)", attrs, 1,
				   &res);
		if (r == IDM_OK) {
			LDAPMessage *e = ldap_first_entry(idm_dir_ldap(d), res);
			cur = e ? idm_entry_value(idm_dir_ldap(d), e, attr) : NULL;
			r = parse_long(cur, &v);
		}
		ldap_msgfree(res);
		if (r == IDM_OK && v < min) {
			/* Only idmgrd writes the pool; a value below the minimum was
			 * written around it.  Handing it out could give uidNumber 0. */
			idm_logf(idm_dir_log(d), LOG_ERR,
				 N_("%s: %s is %ld, below the configured minimum %ld: nothing is "
				    "handed out until the directory administrator repairs it"),
				 dn, attr, v, min);
			r = IDM_ESTATE;
			free(cur);
			break;
		}
		/* The token tells this allocation from another that moved the
		 * pool the same way, when a retry must read it back (idm_dir.h). */
		if (r == IDM_OK)
			r = idm_random_hex(token, 8);
		if (r == IDM_OK) {
			snprintf(next, sizeof(next), "%ld", v + 1);
			m = idm_mods_new();
			idm_mods_add(m, LDAP_MOD_DELETE, attr, cur);
			idm_mods_add(m, LDAP_MOD_ADD, attr, next);
			idm_mods_add(m, LDAP_MOD_REPLACE, "idmToken", token);
			r = idm_dir_apply(d, dn, m);
		}
		free(cur);
		if (r == IDM_OK) {
			*out = v;
			break;
		}
		if (r != IDM_ENOVALUE)
			break; /* not a lost race */
	}
	free(dn);
	return r;
}

int idm_primary_gid(struct idm_dir *d, const struct idm_config *cfg, char **out)
{
	static const char *const attrs[] = { "gidNumber", NULL };
	LDAPMessage *res = NULL, *e;
	char *dn = NULL;
	int r = idm_dn_child(&dn, "cn", cfg->registration.primary_group, cfg->ldap.groups_dn);

	*out = NULL;
	if (r == IDM_OK)
		r = idm_dir_search(d, dn, LDAP_SCOPE_BASE, "(objectClass=posixGroup)", attrs, 1,
				   &res);
	if (r == IDM_OK) {
		e = ldap_first_entry(idm_dir_ldap(d), res);
		*out = e ? idm_entry_value(idm_dir_ldap(d), e, "gidNumber") : NULL;
		if (!*out)
			r = IDM_ENOENT;
	}
	ldap_msgfree(res);
	free(dn);
	return r;
}
