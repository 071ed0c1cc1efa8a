#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_policy_text.h"

static const struct {
	enum idm_rule rule;
	const char *one, *many; /* many: the plural of one, by number [count] */
	int count;
} sentences[] = {
	{ IDM_RULE_ENCODING, IDM_MSG_ENCODING, NULL, 0 },
	{ IDM_RULE_LENGTH_MIN, IDM_MSG_LENGTH_MIN, NULL, 0 },
	{ IDM_RULE_LENGTH_MAX, IDM_MSG_LENGTH_MAX, NULL, 0 },
	{ IDM_RULE_CLASSES, IDM_MSG_CLASSES, NULL, 0 },
	{ IDM_RULE_USER_NAME, IDM_MSG_NAME_UID, NULL, 0 },
	{ IDM_RULE_USER_NAME, IDM_MSG_NAME_GIVEN, NULL, 0 },
	{ IDM_RULE_USER_NAME, IDM_MSG_NAME_SURNAME, NULL, 0 },
	{ IDM_RULE_BLOCKLIST, IDM_MSG_BLOCKLIST, NULL, 0 },
	{ IDM_RULE_REUSED, IDM_MSG_SAME, NULL, 0 },
	{ IDM_RULE_REUSED, IDM_MSG_REUSED, NULL, 0 },
	{ IDM_RULE_REUSED, IDM_MSG_REUSED_SERVER, NULL, 0 },
	{ IDM_RULE_MIN_AGE, IDM_MSG_MIN_AGE_DAYS, NULL, 0 },
	{ IDM_RULE_MIN_AGE, IDM_MSG_MIN_AGE_1_HOURS, 0 },
	{ IDM_RULE_MIN_AGE, IDM_MSG_MIN_AGE_HOURS, 1 },
	{ IDM_RULE_MIN_AGE, IDM_MSG_MIN_AGE_SERVER, 0 },
	{ IDM_RULE_MIN_AGE, IDM_MSG_TOO_RECENT, NULL, 0 },
	{ IDM_RULE_SERVER, IDM_MSG_WEAK, NULL, 0 },
	{ IDM_RULE_SERVER, IDM_MSG_UNCHECKED, NULL, 0 },
};

/* The format is one of the sentences' msgids or its translation, which
 * msgfmt -c holds to the same conversions; va_list: the one place a
 * format that is not a literal is used. */
static void put(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, size, fmt, ap);
	va_end(ap);
}

void idm_violations_say(struct idm_violations *out, enum idm_rule rule, const char *msgid,
			const char *many, long long n, long long a, long long b)
{
	if (out->n >= IDM_VIOLATION_MAX)
		return;
	out->v[out->n].rule = rule;
	put(out->v[out->n].message, sizeof(out->v[out->n].message),
	    many ? P_(msgid, many, n) : idm_tr(msgid), a, b);
	out->n++;
}

/* line against the template: literal text, and %lld for a decimal number
 * (at most two). */
static bool match(const char *tpl, const char *line, long long v[2])
{
	int k = 0;

	while (*tpl) {
		if (strncmp(tpl, "%lld", 4) == 0) {
			char *end;

			if (k == 2 || !(isdigit((unsigned char)*line) || *line == '-'))
				return false;
			v[k++] = strtoll(line, &end, 10);
			if (end == line)
				return false;
			line = end;
			tpl += 4;
		} else if (*tpl++ != *line++) {
			return false;
		}
	}
	return *line == '\0';
}

bool idm_policy_text_line(const char *line, enum idm_rule *rule, char *out, size_t size)
{
	for (size_t i = 0; i < sizeof(sentences) / sizeof(sentences[0]); i++) {
		long long v[2] = { 0, 0 };
		const char *one = sentences[i].one, *many = sentences[i].many;

		if (!match(one, line, v) && !(many && match(many, line, v)))
			continue;
		*rule = sentences[i].rule;
		put(out, size, many ? P_(one, many, v[sentences[i].count]) : idm_tr(one), v[0],
		    v[1]);
		return true;
	}
	return false;
}
