/* idm_sweep_preload.c -- what a sweep reads once, before the walk: the
 * exceptions in force, the applied grant-privilege requests, and the
 * members of the role groups with what is wrong with each.  Split from
 * idm_sweep.c (idm_sweep_run.h). */
#include "config.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_dir.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_exception.h"
#include "idm_sweep.h"
#include "idm_sweep_run.h"
#include "idm_i18n.h"
#include "idm_text.h"

static int keep_exception(void *ctx, const struct idm_exception *e)
{
	struct sweep *s = ctx;
	struct exc *grown, *x;

	if (!idm_exception_in_force(e, s->o->now))
		return IDM_OK; /* expired and revoked ones stay for review, not here */
	grown = realloc(s->exc, (s->n_exc + 1) * sizeof(*grown));
	if (!grown)
		return IDM_ENOMEM;
	s->exc = grown;
	x = &grown[s->n_exc];
	x->subject = strdup(e->subject);
	x->rule = strdup(e->rule);
	x->id = strdup(e->id);
	x->until = e->until;
	s->n_exc++;
	return x->subject && x->rule && x->id ? IDM_OK : IDM_ENOMEM;
}

static int by_subject_rule(const void *a, const void *b)
{
	const struct exc *x = a, *y = b;
	int c = strcmp(x->subject, y->subject);

	return c ? c : strcmp(x->rule, y->rule);
}

int idm_sweep_load_exceptions(struct sweep *s)
{
	int r = idm_exception_list(s->op->d, s->cfg, NULL, keep_exception, s);

	if (r == IDM_ENOENT) /* no ou=exceptions: none */
		r = IDM_OK;
	if (r == IDM_OK && s->n_exc > 1)
		qsort(s->exc, s->n_exc, sizeof(*s->exc), by_subject_rule);
	return r;
}

const struct exc *idm_sweep_find_exception(const struct sweep *s, const char *uid, const char *rule)
{
	struct exc key = { .subject = (char *)uid, .rule = (char *)rule };

	return s->n_exc ? bsearch(&key, s->exc, s->n_exc, sizeof(*s->exc), by_subject_rule) : NULL;
}

static int keep_grant(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct sweep *s = ctx;
	struct grant g = { idm_entry_value(ld, e, "idmSubject"),
			   idm_entry_value(ld, e, "idmRequestId") },
		     *grown;
	int r = IDM_OK;

	if (g.subject && g.id) {
		grown = realloc(s->grants, (s->n_grants + 1) * sizeof(*grown));
		if (grown) {
			s->grants = grown;
			grown[s->n_grants++] = g;
			g.subject = g.id = NULL;
		} else {
			r = IDM_ENOMEM;
		}
	}
	free(g.subject);
	free(g.id);
	return r;
}

static int by_subject_id(const void *a, const void *b)
{
	const struct grant *x = a, *y = b;
	int c = strcmp(x->subject, y->subject);

	return c ? c : strcmp(x->id, y->id);
}

/* The applied grant-privilege requests: an idmPrivilegeRequest on an
 * account must name one of them, for that very uid. */
int idm_sweep_load_grants(struct sweep *s)
{
	static const char *const attrs[] = { "idmRequestId", "idmSubject", NULL };
	static const char filter[] = "(&(objectClass=idmRequest)(idmRequestState=applied)"
				     "(idmRequestType=grant-privilege))";
	char *base = NULL;
	int r = idm_dn_child(&base, "ou", "requests", s->cfg->ldap.idmgr_dn);

	if (r == IDM_OK)
		r = idm_dir_search_paged(s->op->d, base, LDAP_SCOPE_ONELEVEL, filter, attrs,
					 s->page_size, keep_grant, s);
	if (r == IDM_ENOENT)
		r = IDM_OK;
	free(base);
	if (r == IDM_OK && s->n_grants > 1)
		qsort(s->grants, s->n_grants, sizeof(*s->grants), by_subject_id);
	return r;
}

bool idm_sweep_granted(const struct sweep *s, const char *uid, const char *id)
{
	struct grant key = { (char *)uid, (char *)id };

	return s->n_grants &&
	       bsearch(&key, s->grants, s->n_grants, sizeof(*s->grants), by_subject_id);
}

static bool has_value(struct berval **vals, const char *v)
{
	for (size_t i = 0; vals && vals[i]; i++)
		if (vals[i]->bv_len == strlen(v) &&
		    strncasecmp(vals[i]->bv_val, v, vals[i]->bv_len) == 0)
			return true;
	return false;
}

/* What is wrong with one role member: read its entry. */
static int check_member(struct sweep *s, struct member *m)
{
	static const char *const attrs[] = { "uid", "idmStatus", "idmPrivileged", "objectClass",
					     NULL };
	LDAPMessage *res = NULL, *e = NULL;
	LDAP *ld;
	struct berval **oc = NULL;
	char *priv = NULL;
	int r = idm_dir_search(s->op->d, m->dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res);
	const char *problem = NULL;

	ld = idm_dir_ldap(s->op->d);
	if (r == IDM_OK && ld)
		e = ldap_first_entry(ld, res);
	if (r == IDM_ENOENT || (r == IDM_OK && !e)) {
		problem = N_("no such entry");
		r = IDM_OK;
	} else if (r == IDM_OK) {
		oc = ldap_get_values_len(ld, e, "objectClass");
		m->uid = idm_entry_value(ld, e, "uid");
		m->status = idm_entry_value(ld, e, "idmStatus");
		priv = idm_entry_value(ld, e, "idmPrivileged");
		m->privileged = priv && strcmp(priv, "TRUE") == 0;
		if (!has_value(oc, "idmAccount"))
			problem = N_("not an account idmgr manages");
		else if (!idm_sweep_is_status(m->status, "active"))
			problem = N_("the account is not active");
	}
	if (problem && !(m->problem = strdup(problem)))
		r = IDM_ENOMEM;
	ldap_value_free_len(oc);
	ldap_msgfree(res);
	free(priv);
	return r;
}

static int add_member(struct sweep *s, const struct berval *dn, int role)
{
	struct member *grown;

	if (dn->bv_len == 0)
		return IDM_OK; /* the empty DN stands for "nobody" in an empty role */
	for (size_t i = 0; i < s->n_members; i++)
		if (strlen(s->members[i].dn) == dn->bv_len &&
		    strncasecmp(s->members[i].dn, dn->bv_val, dn->bv_len) == 0) {
			s->members[i].roles |= 1u << role;
			return IDM_OK;
		}
	grown = realloc(s->members, (s->n_members + 1) * sizeof(*grown));
	if (!grown)
		return IDM_ENOMEM;
	s->members = grown;
	memset(&grown[s->n_members], 0, sizeof(*grown));
	grown[s->n_members].roles = 1u << role;
	if (!(grown[s->n_members].dn = idm_bv_strdup(dn)))
		return IDM_ENOMEM;
	s->n_members++;
	return IDM_OK;
}

/* The role groups: their members (each looked up once) and who created
 * them (the identity that ran idmgr init). */
int idm_sweep_load_roles(struct sweep *s)
{
	static const char *const attrs[] = { "member", "creatorsName", NULL };
	int r = IDM_OK;

	for (int i = 0; r == IDM_OK && i < IDM_ROLE_COUNT; i++) {
		LDAPMessage *res = NULL, *e;
		struct berval **vals = NULL;
		char *creator = NULL;
		LDAP *ld;

		r = idm_dir_search(s->op->d, s->cfg->roles.dn[i], LDAP_SCOPE_BASE,
				   "(objectClass=*)", attrs, 1, &res);
		ld = idm_dir_ldap(s->op->d);
		if (r == IDM_ENOENT) { /* a role nobody holds */
			ldap_msgfree(res);
			r = IDM_OK;
			continue;
		}
		e = r == IDM_OK && ld ? ldap_first_entry(ld, res) : NULL;
		if (e) {
			vals = ldap_get_values_len(ld, e, "member");
			creator = idm_entry_value(ld, e, "creatorsName");
		}
		for (size_t k = 0; r == IDM_OK && vals && vals[k]; k++)
			r = add_member(s, vals[k], i);
		if (r == IDM_OK && creator) {
			bool known = false;
			for (size_t k = 0; k < s->n_creators; k++)
				known = known || strcasecmp(s->creators[k], creator) == 0;
			if (!known) {
				char **grown =
					realloc(s->creators, (s->n_creators + 1) * sizeof(*grown));
				if (grown) {
					s->creators = grown;
					grown[s->n_creators++] = creator;
					creator = NULL;
				} else {
					r = IDM_ENOMEM;
				}
			}
		}
		free(creator);
		ldap_value_free_len(vals);
		ldap_msgfree(res);
	}
	for (size_t k = 0; r == IDM_OK && k < s->n_members; k++)
		r = check_member(s, &s->members[k]);
	return r;
}

/* One of the first officers idmgr init made: no register request made the
 * account, and whoever created the role groups (the directory
 * administrator, at the bootstrap) created it. */
bool idm_sweep_made_by_init(const struct sweep *s, const struct acct *a)
{
	if (a->request_id || !a->creator)
		return false;
	for (size_t k = 0; k < s->n_creators; k++)
		if (strcasecmp(s->creators[k], a->creator) == 0)
			return true;
	return false;
}
