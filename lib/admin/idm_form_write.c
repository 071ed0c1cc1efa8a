/* idm_form_write.c -- a request form written out: idm_form_serialize() and
 * the blank templates idm_form_template() hands out.  Split from
 * idm_form.c. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "idm_error.h"
#include "idm_form.h"
#include "idm_form_fields.h"
#include "idm_time.h"

/* ------------------------------------------------------------ writing */

static void put_quoted(FILE *fp, const char *s)
{
	fputc('\'', fp);
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('\'', fp);
}

static void put_scalar(FILE *fp, const char *key, const char *v)
{
	if (!v)
		return;
	fprintf(fp, "%s = ", key);
	put_quoted(fp, v);
	fputc('\n', fp);
}

static void put_date(FILE *fp, const char *key, time_t t)
{
	char buf[IDM_DATE_LEN];

	if (t == 0)
		return;
	idm_date_format(t, buf);
	put_scalar(fp, key, buf);
}

static void put_list(FILE *fp, const char *key, char *const *list, size_t n)
{
	if (n == 0)
		return;
	fprintf(fp, "%s = {", key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", fp);
		put_quoted(fp, list[i]);
	}
	fputs("}\n", fp);
}

int idm_form_serialize(const struct idm_form *f, char **out)
{
	char *text = NULL;
	size_t size = 0;
	FILE *fp;
	int r;

	*out = NULL;
	if ((unsigned)f->type >= IDM_REQ_TYPE_COUNT)
		return IDM_EINVAL;
	fp = open_memstream(&text, &size);
	if (!fp)
		return IDM_ENOMEM;
	for (enum field k = 0; k < F_COUNT; k++) {
		const char *key = idm_form_fields[k].name;
		if (k == F_TYPE)
			put_scalar(fp, key, idm_request_type_name(f->type));
		else if (k == F_VALID_UNTIL || k == F_UNTIL)
			put_date(fp, key, k == F_UNTIL ? f->until : f->valid_until);
		else if (k == F_GROUPS)
			put_list(fp, key, f->groups, f->n_groups);
		else if (k == F_SHARED_WITH)
			put_list(fp, key, f->shared_with, f->n_shared_with);
		else
			put_scalar(fp, key, *idm_form_text((struct idm_form *)f, k));
	}
	r = ferror(fp) ? IDM_ENOMEM : IDM_OK;
	if (fclose(fp) != 0)
		r = IDM_ENOMEM;
	if (r == IDM_OK)
		*out = text;
	else
		free(text);
	return r;
}

/* ------------------------------------------------------------ templates */

#define TEMPLATE_MAX 4096

static char templates[IDM_REQ_TYPE_COUNT][TEMPLATE_MAX];
static pthread_once_t templates_once = PTHREAD_ONCE_INIT;

static void put_field(FILE *fp, int type, enum field f)
{
	const char *what = f == F_UID      ? idm_form_types[type].uid
			   : f == F_GROUPS ? idm_form_types[type].groups
			   : f == F_ROLE   ? idm_form_types[type].role
					   : idm_form_fields[f].what;

	fprintf(fp, "# %s\n%s = %s\n", what, idm_form_fields[f].name, is_list(f) ? "{}" : "''");
}

static void make_templates(void)
{
	for (int t = 0; t < IDM_REQ_TYPE_COUNT; t++) {
		FILE *fp = fmemopen(templates[t], TEMPLATE_MAX, "w");

		if (!fp)
			continue; /* left empty; idm_form_template() returns NULL */
		fprintf(fp,
			"# idmgr request form: %s (see idmgr-request(5)).\n"
			"# Effect: %s.\n"
			"# Write each value between the single quotes; a ' or \\ inside a\n"
			"# value is written \\' or \\\\.\n"
			"type = '%s'\n",
			idm_request_type_name((enum idm_request_type)t), idm_form_types[t].effect,
			idm_request_type_name((enum idm_request_type)t));
		fputs("\n# ---- required\n", fp);
		for (int f = F_TYPE + 1; f < F_COUNT; f++)
			if (idm_form_types[t].required & BIT(f))
				put_field(fp, t, (enum field)f);
		if (idm_form_types[t].optional)
			fprintf(fp, "\n# ---- %s (an empty value is left out)\n",
				idm_form_types[t].one_of ? "at least one of these" : "optional");
		for (int f = F_TYPE + 1; f < F_COUNT; f++)
			if (idm_form_types[t].optional & BIT(f))
				put_field(fp, t, (enum field)f);
		if (ferror(fp) || ftell(fp) >= TEMPLATE_MAX - 1)
			templates[t][0] = '\0'; /* too small a buffer: a bug the tests catch */
		fclose(fp);
	}
}

const char *idm_form_template(enum idm_request_type t)
{
	if ((unsigned)t >= IDM_REQ_TYPE_COUNT)
		return NULL;
	pthread_once(&templates_once, make_templates);
	return templates[t][0] ? templates[t] : NULL;
}
