/* idm_entry.c -- entries as read back by the post-read control (RFC 4527)
 * and single values of search results; declared in idm_dir.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_dir.h"
#include "idm_error.h"
#include "idm_mods.h"
#include "idm_text.h"
#include "idm_time.h"

char *idm_entry_value(LDAP *ld, LDAPMessage *entry, const char *attr)
{
	struct berval **vals = ldap_get_values_len(ld, entry, attr);
	char *s = NULL;

	if (vals && vals[0] && !memchr(vals[0]->bv_val, '\0', vals[0]->bv_len)) {
		s = malloc(vals[0]->bv_len + 1);
		if (s) {
			memcpy(s, vals[0]->bv_val, vals[0]->bv_len);
			s[vals[0]->bv_len] = '\0';
		}
	}
	ldap_value_free_len(vals);
	return s;
}

time_t idm_entry_time(LDAP *ld, LDAPMessage *entry, const char *attr)
{
	char *v = idm_entry_value(ld, entry, attr);
	time_t t = 0;

	if (v && idm_time_parse(v, &t) < 0)
		t = 0;
	free(v);
	return t;
}

bool idm_entry_true(LDAP *ld, LDAPMessage *entry, const char *attr)
{
	char *v = idm_entry_value(ld, entry, attr);
	bool yes = v && strcmp(v, "TRUE") == 0;

	free(v);
	return yes;
}

int idm_entry_values(LDAP *ld, LDAPMessage *entry, const char *attr, char ***out, size_t *n)
{
	struct berval **vals = ldap_get_values_len(ld, entry, attr);
	int r = idm_strv_from_bervals(vals, out, n);

	ldap_value_free_len(vals);
	return r;
}

bool idm_entry_replace_differing(LDAP *ld, LDAPMessage *entry, struct idm_mods *m,
				 const char *const *names, const char *const *want, size_t n)
{
	bool changed = false;

	for (size_t i = 0; i < n; i++) {
		char *have = idm_entry_value(ld, entry, names[i]);

		if (!have || strcasecmp(have, want[i]) != 0) {
			idm_mods_add(m, LDAP_MOD_REPLACE, names[i], want[i]);
			changed = true;
		}
		free(have);
	}
	return changed;
}

const struct idm_attr *idm_entry_attr(const struct idm_entry *e, const char *name)
{
	for (size_t i = 0; e && i < e->n; i++)
		if (strcasecmp(e->attrs[i].name, name) == 0)
			return &e->attrs[i];
	return NULL;
}

const char *idm_entry_first(const struct idm_entry *e, const char *name)
{
	const struct idm_attr *a = idm_entry_attr(e, name);

	return a && a->n ? a->vals[0] : NULL;
}

void idm_entry_free(struct idm_entry *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++) {
		for (size_t k = 0; k < e->attrs[i].n; k++)
			free(e->attrs[i].vals[k]);
		free(e->attrs[i].vals);
		free(e->attrs[i].name);
	}
	free(e->attrs);
	free(e->dn);
	free(e);
}

/* Decodes a post-read control's value: a SearchResultEntry without the
 * message envelope (RFC 4527 section 3.2). */
int idm_entry_parse_read(const struct berval *value, struct idm_entry **out)
{
	BerElement *ber = ber_init((struct berval *)value);
	struct idm_entry *e = calloc(1, sizeof(*e));
	struct berval dn, type;
	int r = IDM_EINVAL;

	*out = NULL;
	if (!ber || !e)
		goto out;
	if (ber_scanf(ber, "{m{" /*}}*/, &dn) == LBER_ERROR || !(e->dn = idm_bv_strdup(&dn)))
		goto out;
	while (ber_scanf(ber, "{m" /*}*/, &type) != LBER_ERROR) {
		BerVarray vals = NULL;
		struct idm_attr *grown, *a;
		size_t n = 0;

		if (ber_scanf(ber, "[W]}", &vals) == LBER_ERROR)
			goto out;
		while (vals && vals[n].bv_val)
			n++;
		grown = realloc(e->attrs, (e->n + 1) * sizeof(*grown));
		if (!grown) {
			ber_bvarray_free(vals);
			goto out;
		}
		e->attrs = grown;
		a = &grown[e->n++];
		memset(a, 0, sizeof(*a));
		a->name = idm_bv_strdup(&type);
		a->vals = calloc(n + 1, sizeof(char *));
		for (size_t i = 0; a->vals && i < n; i++)
			if ((a->vals[i] = idm_bv_strdup(&vals[i])))
				a->n++;
		ber_bvarray_free(vals);
		if (!a->name || !a->vals || a->n != n)
			goto out;
	}
	*out = e;
	e = NULL;
	r = IDM_OK;
out:
	if (ber)
		ber_free(ber, 1);
	idm_entry_free(e);
	return r;
}

int idm_entry_read(struct idm_dir *d, const char *dn, const char *const *attrs,
		   struct idm_entry **out)
{
	LDAPMessage *res = NULL, *m;
	struct idm_entry *e = calloc(1, sizeof(*e));
	BerElement *ber = NULL;
	char *a, *dn_read = NULL;
	int r = e ? idm_dir_search(d, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res)
		  : IDM_ENOMEM;

	*out = NULL;
	m = r == IDM_OK ? ldap_first_entry(idm_dir_ldap(d), res) : NULL;
	if (r == IDM_OK && !m)
		r = IDM_ENOENT;
	if (r == IDM_OK &&
	    (!(dn_read = ldap_get_dn(idm_dir_ldap(d), m)) || !(e->dn = strdup(dn_read))))
		r = IDM_ENOMEM;
	a = r == IDM_OK ? ldap_first_attribute(idm_dir_ldap(d), m, &ber) : NULL;
	for (; a && r == IDM_OK; a = ldap_next_attribute(idm_dir_ldap(d), m, ber)) {
		struct berval **vals = ldap_get_values_len(idm_dir_ldap(d), m, a);
		size_t n = (size_t)ldap_count_values_len(vals);
		struct idm_attr *grown = realloc(e->attrs, (e->n + 1) * sizeof(*grown)), *at;

		if (grown) {
			e->attrs = grown;
			at = &grown[e->n++];
			memset(at, 0, sizeof(*at));
			at->name = strdup(a);
			at->vals = calloc(n + 1, sizeof(char *));
			for (size_t i = 0; at->vals && i < n; i++)
				if ((at->vals[i] = idm_bv_strdup(vals[i])))
					at->n++;
		}
		if (!grown || !at->name || !at->vals || at->n != n)
			r = IDM_ENOMEM;
		ldap_value_free_len(vals);
		ldap_memfree(a);
	}
	ldap_memfree(a); /* the one after a failure, or NULL */
	if (ber)
		ber_free(ber, 0);
	ldap_memfree(dn_read);
	ldap_msgfree(res);
	if (r == IDM_OK)
		*out = e;
	else
		idm_entry_free(e);
	return r;
}
