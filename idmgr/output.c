#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "idm_escape.h"
#include "idm_i18n.h"
#include "idm_log.h"
#include "idm_shared.h"
#include "idm_time.h"
#include "output.h"

json_t *output_list_begin(enum output_format format, const char *csv_header)
{
	if (format == OUTPUT_CSV && csv_header)
		printf("%s\n", csv_header);
	return json_array();
}

int output_list_end(enum output_format format, json_t *array, int r)
{
	if (r == 0 && format == OUTPUT_JSON)
		output_json(stdout, array);
	else
		json_decref(array);
	return r;
}

int output_json(FILE *fp, json_t *v)
{
	int r;

	if (!v)
		return -1;
	r = json_dumpf(v, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', fp);
	json_decref(v);
	return r;
}

void output_csv(FILE *fp, const char *s, int last)
{
	fputc('"', fp);
	for (; s && *s; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
	fputc(last ? '\n' : ',', fp);
}

void output_time(time_t t, char buf[16])
{
	if (t)
		idm_time_format(t, buf);
	else
		strcpy(buf, "-");
}

int output_width(const char *label)
{
	wchar_t w[64];
	size_t n = mbstowcs(w, label, sizeof(w) / sizeof(w[0]) - 1);
	int cols = n == (size_t)-1 || n >= sizeof(w) / sizeof(w[0]) - 1 ? -1 : wcswidth(w, n);

	return cols < 0 ? (int)strlen(label) : cols; /* not text of this locale: bytes */
}

void output_label(FILE *fp, const char *label, int width)
{
	int cols = output_width(label);

	fputs(label, fp);
	do /* at least one space after a long label */
		fputc(' ', fp);
	while (++cols < width);
}

void output_holders(FILE *fp, const struct idm_shared *s)
{
	if (!s || s->n_holders == 0)
		fputs("-", fp);
	/* stored values may hold escape sequences (written around idmgr) */
	for (size_t i = 0; s && i < s->n_holders; i++) {
		char uid[260], status[260];
		idm_printable(s->holders[i].uid, "", uid, sizeof(uid));
		idm_printable(s->holders[i].status ? idm_trc("account status", s->holders[i].status)
						   : _("no account"),
			      "", status, sizeof(status));
		fprintf(fp, "%s%s (%s)", i ? ", " : "", uid, status);
	}
}

json_t *output_holders_json(const struct idm_shared *s)
{
	json_t *a = json_array();

	for (size_t i = 0; s && i < s->n_holders; i++)
		json_array_append_new(a, json_pack("{s:s, s:s?}", "uid", s->holders[i].uid,
						   "status", s->holders[i].status));
	return a;
}

void output_text(FILE *fp, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\x%02x", *p);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) /* U+0080..U+009F */
			fprintf(fp, "\\x%02x\\x%02x", p[0], p[1]), p++;
		else
			fputc(*p, fp);
	}
}

const char *const output_words[] = {
	NC_("request state", "pending"),
	NC_("request state", "approved"),
	NC_("request state", "applied"),
	NC_("request state", "rejected"),
	NC_("account status", "active"),
	NC_("account status", "suspended"),
	NC_("account status", "seconded"),
	NC_("account status", "retired"),
	NULL,
};

void output_said(FILE *fp, const char *lead, const struct idm_log_kept *k, bool args_said)
{
	const char *said[IDM_LOG_MAXARGS];
	char text[2048];
	bool ok = k->nargs >= 0 && k->fmt && *k->fmt;

	if (k->shown) {
		fputs(lead, fp);
		output_text(fp, k->shown);
		putc('\n', fp);
		return;
	}
	for (int i = 0; ok && i < k->nargs; i++)
		said[i] = args_said && *k->args[i] ? idm_tr(k->args[i]) : k->args[i];
	ok = ok && idm_log_render(text, sizeof(text), idm_tr(k->fmt), said, k->nargs) == 0;
	fputs(lead, fp);
	output_text(fp, ok ? text : k->text);
	putc('\n', fp);
}
