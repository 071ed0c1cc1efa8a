#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "idm_mods.h"

struct idm_mods {
	LDAPMod **mods; /* NULL-terminated */
	size_t n;
	bool failed;
};

struct idm_mods *idm_mods_new(void)
{
	struct idm_mods *m = calloc(1, sizeof(*m));

	if (m && !(m->mods = calloc(1, sizeof(LDAPMod *)))) {
		free(m);
		m = NULL;
	}
	return m;
}

static LDAPMod *find_or_add(struct idm_mods *m, int op, const char *attr)
{
	LDAPMod **grown, *mod;

	for (size_t i = 0; i < m->n; i++) {
		mod = m->mods[i];
		if ((mod->mod_op & ~LDAP_MOD_BVALUES) == op && strcmp(mod->mod_type, attr) == 0)
			return mod;
	}
	grown = realloc(m->mods, (m->n + 2) * sizeof(LDAPMod *));
	if (!grown)
		return NULL;
	m->mods = grown;
	mod = calloc(1, sizeof(*mod));
	if (!mod || !(mod->mod_type = strdup(attr))) {
		free(mod);
		return NULL;
	}
	mod->mod_op = op | LDAP_MOD_BVALUES;
	m->mods[m->n++] = mod;
	m->mods[m->n] = NULL;
	return mod;
}

void idm_mods_add(struct idm_mods *m, int op, const char *attr, const char *value)
{
	LDAPMod *mod;
	struct berval **grown, *bv;
	size_t n = 0;

	if (!m || m->failed)
		return;
	mod = find_or_add(m, op, attr);
	if (!mod)
		goto fail;
	if (!value)
		return;
	while (mod->mod_bvalues && mod->mod_bvalues[n])
		n++;
	grown = realloc(mod->mod_bvalues, (n + 2) * sizeof(*grown));
	if (!grown)
		goto fail;
	mod->mod_bvalues = grown;
	mod->mod_bvalues[n] = NULL;
	bv = malloc(sizeof(*bv));
	if (!bv || !(bv->bv_val = strdup(value))) {
		free(bv);
		goto fail;
	}
	bv->bv_len = strlen(value);
	grown[n] = bv;
	grown[n + 1] = NULL;
	return;
fail:
	m->failed = true;
}

LDAPMod **idm_mods_array(struct idm_mods *m)
{
	return m && !m->failed ? m->mods : NULL;
}

void idm_mods_free(struct idm_mods *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		LDAPMod *mod = m->mods[i];
		for (size_t k = 0; mod->mod_bvalues && mod->mod_bvalues[k]; k++) {
			explicit_bzero(mod->mod_bvalues[k]->bv_val, mod->mod_bvalues[k]->bv_len);
			free(mod->mod_bvalues[k]->bv_val);
			free(mod->mod_bvalues[k]);
		}
		free(mod->mod_bvalues);
		free(mod->mod_type);
		free(mod);
	}
	free(m->mods);
	free(m);
}
