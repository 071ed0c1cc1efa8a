#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_blocklist.h"
#include "idm_error.h"
#include "idm_policy.h"
#include "idm_policy_text.h"
#include "idm_text.h"
#include "idm_time.h"
#include "idm_i18n.h"

#define NAME_MIN_CHARS 3
#define DAY ((long long)IDM_DAY)

void idm_violations_add(struct idm_violations *out, enum idm_rule rule, const char *fmt, ...)
{
	va_list ap;

	if (out->n >= IDM_VIOLATION_MAX)
		return;
	out->v[out->n].rule = rule;
	va_start(ap, fmt);
	vsnprintf(out->v[out->n].message, sizeof(out->v[out->n].message), fmt, ap);
	va_end(ap);
	out->n++;
}

/* ------------------------------------------------------------- text */

struct text_facts {
	size_t chars; /* code points; a stray byte counts as one */
	bool bad;     /* not UTF-8, or a NUL */
	int classes;
};

static void scan(const char *s, size_t len, struct text_facts *t)
{
	const unsigned char *u = (const unsigned char *)s;
	bool lower = false, upper = false, digit = false, other = false;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < len;) {
		size_t k = idm_utf8_seq(u + i, len - i, NULL);

		if (k == 0) {
			t->bad = true;
			k = 1;
		} else if (u[i] == '\0') {
			t->bad = true;
		}
		if (u[i] >= 'a' && u[i] <= 'z')
			lower = true;
		else if (u[i] >= 'A' && u[i] <= 'Z')
			upper = true;
		else if (u[i] >= '0' && u[i] <= '9')
			digit = true;
		else
			other = true;
		t->chars++;
		i += k;
	}
	t->classes = lower + upper + digit + other;
}

static size_t count_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; n++)
		i += idm_utf8_step((const unsigned char *)s + i, len - i);
	return n;
}

/* Writes s reversed by code points (each character's bytes kept in order)
 * into r, which has room for len bytes. */
static void reverse_chars(const char *s, size_t len, char *r)
{
	size_t i = 0;

	while (i < len) {
		size_t k = idm_utf8_step((const unsigned char *)s + i, len - i);

		memcpy(r + len - i - k, s + i, k);
		i += k;
	}
}

/* 1 when the name (len bytes) appears in the candidate forwards or
 * backwards, 0 when not or when it is too short to count. */
static int name_in(const char *cand, size_t clen, const char *name, size_t len)
{
	char *rev;
	int hit;

	if (count_chars(name, len) < NAME_MIN_CHARS)
		return 0;
	if (idm_ascii_contains_folded(cand, clen, name, len))
		return 1;
	rev = malloc(len);
	if (!rev)
		return IDM_ENOMEM;
	reverse_chars(name, len, rev);
	hit = idm_ascii_contains_folded(cand, clen, rev, len);
	free(rev);
	return hit;
}

static bool name_separator(char c)
{
	return c == ' ' || c == '.' || c == '_' || c == '-' || c == '\'' || c == ',';
}

/* The whole name, then each of its parts. */
static int name_or_part_in(const char *cand, size_t clen, const char *name)
{
	size_t len = strlen(name);
	int r = name_in(cand, clen, name, len);

	for (size_t i = 0; r == 0 && i < len;) {
		size_t j = i;

		while (j < len && !name_separator(name[j]))
			j++;
		if (j > i && (i > 0 || j < len))
			r = name_in(cand, clen, name + i, j - i);
		i = j + 1;
	}
	return r;
}

/* ----------------------------------------------------------- history */

struct hentry {
	const char *value;
	const char *hash; /* after '#'; NULL when absent */
	time_t t;
	bool dated;
	size_t idx; /* input position: keeps the sort stable */
};

static int hentry_cmp(const void *a, const void *b)
{
	const struct hentry *x = a, *y = b;

	if (x->dated != y->dated)
		return x->dated ? -1 : 1;
	if (x->dated && x->t != y->t)
		return x->t > y->t ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void hentry_parse(const char *v, size_t idx, struct hentry *e)
{
	const char *h = strchr(v, '#');
	char stamp[32];

	e->value = v;
	e->hash = h ? h + 1 : NULL;
	e->t = 0;
	e->dated = false;
	e->idx = idx;
	if (h && (size_t)(h - v) < sizeof(stamp)) {
		memcpy(stamp, v, (size_t)(h - v));
		stamp[h - v] = '\0';
		e->dated = idm_time_parse(stamp, &e->t) == IDM_OK;
	}
}

/* The entries of h (NULL values dropped), newest first. */
static int history_sorted(const char *const *h, size_t n, struct hentry **out, size_t *count)
{
	struct hentry *e;
	size_t k = 0;

	*out = NULL;
	*count = 0;
	if (n == 0)
		return IDM_OK;
	e = calloc(n, sizeof(*e));
	if (!e)
		return IDM_ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (h[i])
			hentry_parse(h[i], i, &e[k++]);
	qsort(e, k, sizeof(*e), hentry_cmp);
	*out = e;
	*count = k;
	return IDM_OK;
}

static void log_skipped(const struct idm_log *log, const char *uid, const struct hentry *e, int why)
{
	enum idm_argon2_type type;
	struct idm_argon2_params c;
	char when[IDM_GENTIME_LEN] = "an unknown date";

	if (e->dated)
		idm_time_format(e->t, when);
	if (why == IDM_ERANGE && idm_hash_params(e->hash, &type, &c) == IDM_OK)
		idm_logf(log, LOG_WARNING,
			 N_("user %s: password history entry of %s skipped: its Argon2 costs "
			    "(m=%u KiB, t=%u, p=%u) exceed the bounds"),
			 uid ? uid : "?", when, c.memory_kib, c.iterations, c.parallelism);
	else
		idm_logf(log, LOG_WARNING,
			 N_("user %s: password history entry of %s skipped: not an Argon2 hash "
			    "this module can verify"),
			 uid ? uid : "?", when);
}

/* 1 when candidate verifies against one of the newest p->history entries. */
static int reused(const struct idm_policy *p, const struct idm_argon2_params *argon2,
		  const struct idm_pw_facts *f, const char *candidate, size_t len,
		  const struct idm_log *log)
{
	struct idm_argon2_params max;
	struct hentry *e = NULL;
	size_t n = 0;
	int r;

	if (p->history <= 0 || f->n_history == 0 || !f->history)
		return 0;
	idm_hash_bounds(argon2, &max);
	/* libargon2 starts one thread per lane: only our own lane count. */
	if (max.parallelism > argon2->parallelism)
		max.parallelism = argon2->parallelism > 0 ? argon2->parallelism : 1;
	r = history_sorted(f->history, f->n_history, &e, &n);
	if (r < 0)
		goto out;
	if (n > (size_t)p->history)
		n = (size_t)p->history;
	for (size_t i = 0; i < n; i++) {
		int v = e[i].hash ? idm_hash_verify(e[i].hash, candidate, len, &max) : IDM_EINVAL;

		if (v == IDM_OK) {
			r = 1;
			goto out;
		}
		if (v == IDM_ENOMEM) {
			r = v;
			goto out;
		}
		if (v != IDM_EAUTH)
			log_skipped(log, f->uid, &e[i], v);
	}
	r = 0;
out:
	free(e);
	return r;
}

/* ------------------------------------------------------------ rules */

time_t idm_policy_next_change(const struct idm_policy *p, const struct idm_pw_facts *f)
{
	/* Clamped so that a hand-made policy cannot overflow the sum. */
	long long days = p->min_age_days > 36500 ? 36500 : p->min_age_days;
	long long until = (long long)f->changed + days * DAY;

	if (f->forced || f->changed == 0 || days <= 0 || (long long)f->now >= until)
		return 0;
	return (time_t)until;
}

static void min_age_rule(const struct idm_policy *p, const struct idm_pw_facts *f,
			 struct idm_violations *out)
{
	long long until = idm_policy_next_change(p, f), wait, hours;

	if (until == 0)
		return;
	wait = until - (long long)f->now;
	hours = (wait + 3599) / 3600;
	if (hours > 48)
		idm_violations_say(out, IDM_RULE_MIN_AGE, IDM_MSG_MIN_AGE_DAYS, NULL, 0,
				   p->min_age_days, (wait + DAY - 1) / DAY);
	else if (p->min_age_days == 1)
		idm_violations_say(out, IDM_RULE_MIN_AGE, IDM_MSG_MIN_AGE_1_HOURS, hours, hours, 0);
	else
		idm_violations_say(out, IDM_RULE_MIN_AGE, IDM_MSG_MIN_AGE_HOURS, hours,
				   p->min_age_days, hours);
}

static int name_rule(const struct idm_pw_facts *f, const char *candidate, size_t len,
		     struct idm_violations *out)
{
	const struct {
		const char *value, *msgid;
	} names[] = {
		{ f->uid, IDM_MSG_NAME_UID },
		{ f->given_name, IDM_MSG_NAME_GIVEN },
		{ f->surname, IDM_MSG_NAME_SURNAME },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int r;

		if (!names[i].value)
			continue;
		r = name_or_part_in(candidate, len, names[i].value);
		if (r < 0)
			return r;
		if (r) {
			idm_violations_say(out, IDM_RULE_USER_NAME, names[i].msgid, NULL, 0, 0, 0);
			break;
		}
	}
	return IDM_OK;
}

int idm_policy_check(const struct idm_policy *p, const struct idm_argon2_params *argon2,
		     const struct idm_pw_facts *f, const char *candidate, size_t len,
		     struct idm_violations *out, const struct idm_log *log)
{
	struct text_facts t;
	bool too_long;
	int r;

	out->n = 0;
	min_age_rule(p, f, out);

	scan(candidate, len, &t);
	if (t.bad)
		idm_violations_say(out, IDM_RULE_ENCODING, IDM_MSG_ENCODING, NULL, 0, 0, 0);
	if (p->min_length > 0 && t.chars < (size_t)p->min_length)
		idm_violations_say(out, IDM_RULE_LENGTH_MIN, IDM_MSG_LENGTH_MIN, NULL, 0,
				   p->min_length, (long long)t.chars);
	too_long = p->max_length > 0 && t.chars > (size_t)p->max_length;
	if (too_long)
		idm_violations_say(out, IDM_RULE_LENGTH_MAX, IDM_MSG_LENGTH_MAX, NULL, 0,
				   p->max_length, (long long)t.chars);
	if (p->min_classes > 0 && t.classes < p->min_classes)
		idm_violations_say(out, IDM_RULE_CLASSES, IDM_MSG_CLASSES, NULL, 0, p->min_classes,
				   t.classes);
	if (p->reject_user_name) {
		r = name_rule(f, candidate, len, out);
		if (r < 0)
			goto out;
	}

	/* A password already refused for its length is not worth reading a
	 * list or running Argon2 for: a megabyte must cost microseconds. */
	if (too_long) {
		r = IDM_EPOLICY;
		goto out;
	}
	if (p->blocklist_file && p->blocklist_file[0]) {
		r = idm_blocklist_contains(p->blocklist_file, candidate, len, log);
		if (r < 0)
			goto out;
		if (r)
			idm_violations_say(out, IDM_RULE_BLOCKLIST, IDM_MSG_BLOCKLIST, NULL, 0, 0,
					   0);
	}
	if (f->current_password && strlen(f->current_password) == len &&
	    memcmp(f->current_password, candidate, len) == 0) {
		idm_violations_say(out, IDM_RULE_REUSED, IDM_MSG_SAME, NULL, 0, 0, 0);
	} else {
		r = reused(p, argon2, f, candidate, len, log);
		if (r < 0)
			goto out;
		if (r)
			idm_violations_say(out, IDM_RULE_REUSED, IDM_MSG_REUSED, NULL, 0,
					   p->history, 0);
	}
	r = out->n ? IDM_EPOLICY : IDM_OK;
out:
	return r;
}

/* ------------------------------------------------------ new history */

void idm_history_free(char **h, size_t n)
{
	if (!h)
		return;
	idm_strv_free(h, n);
}

int idm_history_next(const struct idm_policy *p, const char *const *history, size_t n_history,
		     const char *old_hash, time_t now, char ***out, size_t *n)
{
	size_t keep = p->history > 0 ? (size_t)p->history : 0, k = 0, count = 0;
	struct hentry *e = NULL;
	char **res = NULL;
	int r;

	*out = NULL;
	*n = 0;
	r = history_sorted(history, n_history, &e, &count);
	if (r < 0)
		goto out;
	res = calloc(keep + 1, sizeof(*res));
	if (!res) {
		r = IDM_ENOMEM;
		goto out;
	}
	/* First whatever the clocks say: a stamp from a host whose clock ran
	 * ahead must not push the password just replaced out of the list. */
	if (keep > 0 && old_hash) {
		char stamp[IDM_GENTIME_LEN];
		size_t size = IDM_GENTIME_LEN + 1 + strlen(old_hash);

		idm_time_format(now, stamp);
		res[k] = malloc(size);
		if (!res[k]) {
			r = IDM_ENOMEM;
			goto out;
		}
		snprintf(res[k++], size, "%s#%s", stamp, old_hash);
	}
	for (size_t i = 0; i < count && k < keep; i++) {
		res[k] = strdup(e[i].value);
		if (!res[k]) {
			r = IDM_ENOMEM;
			goto out;
		}
		k++;
	}
	*out = res;
	*n = k;
	res = NULL;
	r = IDM_OK;
out:
	idm_history_free(res, k);
	free(e);
	return r;
}
