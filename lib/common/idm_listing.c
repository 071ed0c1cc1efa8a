/* idm_listing.c -- sorted listings over a paged search (idm_dir.h). */
#include "config.h"

#include <stdlib.h>

#include "idm_dir.h"
#include "idm_error.h"

struct sorted {
	const struct idm_sorted_listing *l;
	void **all;
	size_t n, cap;
};

static int sorted_collect(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct sorted *s = ctx;
	void *o = s->l->decode(ld, e);

	if (!o)
		return IDM_OK;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void **grown = realloc(s->all, cap * sizeof(*grown));
		if (!grown) {
			s->l->release(o);
			return IDM_ENOMEM;
		}
		s->all = grown;
		s->cap = cap;
	}
	s->all[s->n++] = o;
	return IDM_OK;
}

int idm_dir_search_sorted(struct idm_dir *d, const char *base, int scope, const char *filter,
			  const char *const *attrs, const struct idm_sorted_listing *l)
{
	struct sorted s = { .l = l };
	int r = idm_dir_search_paged(d, base, scope, filter, attrs, 500, sorted_collect, &s);

	if (r == IDM_OK && s.n)
		qsort(s.all, s.n, sizeof(*s.all), l->cmp);
	for (size_t i = 0; r == IDM_OK && i < s.n; i++)
		r = l->each(l->ctx, s.all[i]);
	for (size_t i = 0; i < s.n; i++)
		l->release(s.all[i]);
	free(s.all);
	return r;
}
