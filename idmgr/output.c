#include "config.h"

#include <string.h>

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
