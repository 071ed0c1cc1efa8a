#include "config.h"

#include <string.h>

#include "idm_time.h"
#include "output.h"

int output_format_parse(const char *s, int allow_csv)
{
	if (strcmp(s, "text") == 0)
		return OUTPUT_TEXT;
	if (strcmp(s, "json") == 0)
		return OUTPUT_JSON;
	if (allow_csv && strcmp(s, "csv") == 0)
		return OUTPUT_CSV;
	return -1;
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
