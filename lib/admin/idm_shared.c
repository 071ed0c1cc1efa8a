/* Shared IDs and their holders (R-ID-1); see idm_shared.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "idm_error.h"
#include "idm_escape.h"
#include "idm_shared.h"
#include "idm_uid.h"

static const char *const shared_attrs[] = { "uid", "idmSharedWith", NULL };

void idm_shared_free(struct idm_shared *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_holders; i++) {
		free(s->holders[i].uid);
		free(s->holders[i].status);
	}
	free(s->holders);
	free(s->uid);
	free(s->dn);
	free(s);
}

static int holder_cmp(const void *a, const void *b)
{
	return strcmp(((const struct idm_shared_holder *)a)->uid,
		      ((const struct idm_shared_holder *)b)->uid);
}

/* The holder's idmStatus, or NULL when no managed account has that uid (a
 * stored value that is no valid uid is never searched for). */
static int holder_status(struct idm_dir *d, const struct idm_config *cfg, const char *uid,
			 char **out)
{
	static const char *const attrs[] = { "idmStatus", NULL };
	LDAPMessage *res = NULL, *e;
	char *filter = NULL;
	int r;

	*out = NULL;
	if (idm_uid_check(cfg, uid) < 0)
		return IDM_OK;
	r = idm_filter_fmt(&filter, "(&(objectClass=idmAccount)(uid=%s))", uid);
	if (r == IDM_OK)
		r = idm_dir_search(d, cfg->ldap.people_dn, LDAP_SCOPE_SUBTREE, filter, attrs, 2,
				   &res);
	if (r == IDM_OK && ldap_count_entries(idm_dir_ldap(d), res) == 1) {
		e = ldap_first_entry(idm_dir_ldap(d), res);
		*out = idm_entry_value(idm_dir_ldap(d), e, "idmStatus");
		if (!*out)
			*out = strdup("-");
		if (!*out)
			r = IDM_ENOMEM;
	}
	ldap_msgfree(res);
	free(filter);
	return r;
}

static int decode(struct idm_dir *d, const struct idm_config *cfg, LDAP *ld, LDAPMessage *e,
		  struct idm_shared **out)
{
	struct idm_shared *s = calloc(1, sizeof(*s));
	struct berval **vals = ldap_get_values_len(ld, e, "idmSharedWith");
	char *dn = ldap_get_dn(ld, e);
	size_t n = vals ? (size_t)ldap_count_values_len(vals) : 0;
	int r = s && dn ? IDM_OK : IDM_ENOMEM;

	*out = NULL;
	if (r == IDM_OK) {
		s->dn = strdup(dn);
		s->uid = idm_entry_value(ld, e, "uid");
		s->holders = calloc(n ? n : 1, sizeof(*s->holders));
		if (!s->dn || !s->uid || !s->holders)
			r = IDM_ENOMEM;
	}
	for (size_t i = 0; r == IDM_OK && i < n; i++) {
		s->holders[i].uid = strndup(vals[i]->bv_val, vals[i]->bv_len);
		if (!s->holders[i].uid) {
			r = IDM_ENOMEM;
			break;
		}
		s->n_holders++;
		r = holder_status(d, cfg, s->holders[i].uid, &s->holders[i].status);
	}
	if (r == IDM_OK && s->n_holders > 1)
		qsort(s->holders, s->n_holders, sizeof(*s->holders), holder_cmp);
	ldap_value_free_len(vals);
	ldap_memfree(dn);
	if (r == IDM_OK)
		*out = s;
	else
		idm_shared_free(s);
	return r;
}

int idm_shared_of(struct idm_dir *d, const struct idm_config *cfg, const char *uid,
		  struct idm_shared **out)
{
	LDAPMessage *res = NULL;
	char *filter = NULL;
	int r;

	*out = NULL;
	if (idm_uid_check(cfg, uid) < 0)
		return IDM_ENOENT;
	r = idm_filter_fmt(&filter, "(&(objectClass=idmAccount)(uid=%s))", uid);
	if (r == IDM_OK)
		r = idm_dir_search(d, cfg->ldap.people_dn, LDAP_SCOPE_SUBTREE, filter, shared_attrs,
				   2, &res);
	if (r == IDM_OK && ldap_count_entries(idm_dir_ldap(d), res) != 1)
		r = ldap_count_entries(idm_dir_ldap(d), res) > 1 ? IDM_EINVAL : IDM_ENOENT;
	if (r == IDM_OK)
		r = decode(d, cfg, idm_dir_ldap(d), ldap_first_entry(idm_dir_ldap(d), res), out);
	ldap_msgfree(res);
	free(filter);
	return r;
}

struct walk {
	struct idm_dir *d;
	const struct idm_config *cfg;
	int (*each)(void *ctx, const struct idm_shared *s);
	void *ctx;
};

static int walk_one(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct walk *w = ctx;
	struct idm_shared *s = NULL;
	int r = decode(w->d, w->cfg, ld, e, &s);

	if (r == IDM_OK && s->uid)
		r = w->each(w->ctx, s);
	idm_shared_free(s);
	return r;
}

int idm_shared_each(struct idm_dir *d, const struct idm_config *cfg,
		    int (*each)(void *ctx, const struct idm_shared *s), void *ctx)
{
	struct walk w = { d, cfg, each, ctx };

	return idm_dir_search_paged(d, cfg->ldap.people_dn, LDAP_SCOPE_SUBTREE,
				    "(&(objectClass=idmAccount)(idmSharedWith=*))", shared_attrs,
				    500, walk_one, &w);
}
