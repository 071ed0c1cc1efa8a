#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "idm_log.h"

/* One conversion of a format: its text ("%-*.3lld" with any '*' already
 * replaced by the number read), where it ends, its conversion and length. */
struct spec {
	char text[32];
	const char *end;
	char conv, len[3];
};

static int parse_spec(const char *p, va_list *ap, struct spec *s)
{
	size_t n = 0;

	s->text[n++] = *p++;
	while (*p && strchr("-+ #0'*.0123456789hlLqjzt", *p)) {
		if (*p == '*') {
			int w = ap ? va_arg(*ap, int) : 0;
			int k = snprintf(s->text + n, sizeof(s->text) - n, "%d", w);
			if (k < 0 || (size_t)k >= sizeof(s->text) - n)
				return -1;
			n += (size_t)k;
		} else if (n + 1 < sizeof(s->text)) {
			s->text[n++] = *p;
		} else {
			return -1;
		}
		p++;
	}
	if (!*p || n + 2 > sizeof(s->text))
		return -1;
	s->conv = *p;
	s->text[n++] = *p++;
	s->text[n] = '\0';
	s->end = p;
	/* the length modifier: the letters just before the conversion */
	size_t k = n - 1, m = 0;
	while (k > 1 && strchr("hlLqjzt", s->text[k - 1]) && m < 2)
		k--, m++;
	memcpy(s->len, s->text + k, m);
	s->len[m] = '\0';
	return 0;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* Formats the argument of one conversion into out (va_arg by its type). */
static int format_arg(char *out, size_t len, const struct spec *s, va_list *ap)
{
	const char *l = s->len;

	switch (s->conv) {
	case 'd':
	case 'i':
		if (!strcmp(l, "ll") || !strcmp(l, "q"))
			return snprintf(out, len, s->text, va_arg(*ap, long long));
		if (!strcmp(l, "l"))
			return snprintf(out, len, s->text, va_arg(*ap, long));
		if (!strcmp(l, "z") || !strcmp(l, "t"))
			return snprintf(out, len, s->text, va_arg(*ap, ssize_t));
		if (!strcmp(l, "j"))
			return snprintf(out, len, s->text, va_arg(*ap, intmax_t));
		return snprintf(out, len, s->text, va_arg(*ap, int));
	case 'u':
	case 'o':
	case 'x':
	case 'X':
		if (!strcmp(l, "ll") || !strcmp(l, "q"))
			return snprintf(out, len, s->text, va_arg(*ap, unsigned long long));
		if (!strcmp(l, "l"))
			return snprintf(out, len, s->text, va_arg(*ap, unsigned long));
		if (!strcmp(l, "z") || !strcmp(l, "t"))
			return snprintf(out, len, s->text, va_arg(*ap, size_t));
		if (!strcmp(l, "j"))
			return snprintf(out, len, s->text, va_arg(*ap, uintmax_t));
		return snprintf(out, len, s->text, va_arg(*ap, unsigned int));
	case 'c': return snprintf(out, len, s->text, va_arg(*ap, int));
	case 's': return snprintf(out, len, s->text, va_arg(*ap, const char *));
	case 'p': return snprintf(out, len, s->text, va_arg(*ap, void *));
	case 'f':
	case 'F':
	case 'e':
	case 'E':
	case 'g':
	case 'G':
	case 'a':
	case 'A':
		if (!strcmp(l, "L"))
			return snprintf(out, len, s->text, va_arg(*ap, long double));
		return snprintf(out, len, s->text, va_arg(*ap, double));
	default: /* %n, %m and the unknown: not split, shown in English only */ return -1;
	}
}

/* Splits what fmt's conversions print into args (in store); the count, or
 * -1 for a format with a conversion it does not split. */
static int split(const char *fmt, va_list ap, char *store, size_t size, const char **args)
{
	size_t used = 0;
	int n = 0;
	struct spec s;
	va_list aq;

	va_copy(aq, ap);
	for (const char *p = fmt; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '%') {
			p++;
			continue;
		}
		int k = n < IDM_LOG_MAXARGS && parse_spec(p, &aq, &s) == 0
				? format_arg(store + used, size - used, &s, &aq)
				: -1;
		if (k < 0 || (size_t)k >= size - used) {
			n = -1;
			break;
		}
		args[n++] = store + used;
		used += (size_t)k + 1;
		p = s.end - 1;
	}
	va_end(aq);
	return n;
}
#pragma GCC diagnostic pop

int idm_log_render(char *out, size_t len, const char *fmt, const char *const *args, int nargs)
{
	size_t o = 0;
	int next = 0;
	struct spec s;

	for (const char *p = fmt; *p;) {
		const char *put;
		char one[2] = { *p, '\0' };

		if (*p != '%' || p[1] == '%') {
			put = one;
			p += *p == '%' ? 2 : 1;
		} else {
			int idx = next++;
			const char *q = p; /* parse_spec skips the '%' (or '$') at q */
			if (p[1] >= '1' && p[1] <= '9') { /* %2$s */
				char *e;
				long v = strtol(p + 1, &e, 10);
				if (*e == '$') { /* beyond IDM_LOG_MAXARGS: never given */
					idx = v <= IDM_LOG_MAXARGS ? (int)v - 1 : -1;
					q = e;
				}
			}
			if (parse_spec(q, NULL, &s) < 0 || !strchr("diouxXcspfFeEgGaA", s.conv) ||
			    idx < 0 || idx >= nargs)
				return -1;
			put = args[idx];
			p = s.end;
		}
		size_t k = strlen(put);
		if (o + k >= len)
			return -1;
		memcpy(out + o, put, k);
		o += k;
	}
	if (!len)
		return -1;
	out[o] = '\0';
	return 0;
}

void idm_logf(const struct idm_log *log, int priority, const char *fmt, ...)
{
	char msg[1024], store[2048];
	const char *args[IDM_LOG_MAXARGS];
	va_list ap;
	int n;

	if (!log || !log->fn || (priority == LOG_DEBUG && !log->debug))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log->fn(log->data, priority, msg);
	if (!log->show)
		return;
	va_start(ap, fmt);
	n = split(fmt, ap, store, sizeof(store), args);
	va_end(ap);
	if (n < 0) /* shown as logged, in English */
		log->show(log->data, priority, NULL, "%s", (const char *const[]){ msg }, 1);
	else
		log->show(log->data, priority, NULL, fmt, args, n);
	explicit_bzero(store, sizeof(store));
}

/* The bytes of args[0..n) in store, where they lie one after the other. */
static size_t args_size(const char *store, const char *const *args, int n)
{
	return n > 0 ? (size_t)(args[n - 1] - store) + strlen(args[n - 1]) + 1 : 0;
}

int idm_log_keep(struct idm_log_kept *k, const char *fmt, va_list ap)
{
	char store[2048];
	size_t used;
	va_list aq;
	int r;

	*k = (struct idm_log_kept){ .nargs = -1 };
	va_copy(aq, ap);
	r = vasprintf(&k->text, fmt, aq);
	va_end(aq);
	if (r < 0) {
		k->text = NULL;
		return -1;
	}
	k->fmt = strdup(fmt);
	va_copy(aq, ap);
	k->nargs = split(fmt, aq, store, sizeof(store), k->args);
	va_end(aq);
	used = args_size(store, k->args, k->nargs);
	k->store = malloc(used ? used : 1);
	if (!k->fmt || !k->store) {
		explicit_bzero(store, sizeof(store));
		idm_log_kept_clear(k);
		return -1;
	}
	memcpy(k->store, store, used);
	for (int i = 0; i < k->nargs; i++)
		k->args[i] = k->store + (k->args[i] - store);
	explicit_bzero(store, sizeof(store));
	return 0;
}

void idm_log_kept(const struct idm_log *log, int priority, const char *where,
		  const struct idm_log_kept *k)
{
	if (!log || !log->fn || !k->text || (priority == LOG_DEBUG && !log->debug))
		return;
	if (where)
		idm_logf(&(struct idm_log){ .fn = log->fn, .data = log->data, .debug = log->debug },
			 priority, "%s: %s", where, k->text);
	else
		log->fn(log->data, priority, k->text);
	if (!log->show)
		return;
	if (k->nargs < 0)
		log->show(log->data, priority, where, "%s", (const char *const[]){ k->text }, 1);
	else
		log->show(log->data, priority, where, k->fmt, k->args, k->nargs);
}

int idm_log_kept_copy(struct idm_log_kept *dst, const struct idm_log_kept *src)
{
	size_t used = src->nargs > 0 ? args_size(src->store, src->args, src->nargs) : 0;

	*dst = (struct idm_log_kept){ .nargs = src->nargs };
	dst->text = src->text ? strdup(src->text) : NULL;
	dst->fmt = src->fmt ? strdup(src->fmt) : NULL;
	dst->shown = src->shown ? strdup(src->shown) : NULL;
	dst->store = malloc(used ? used : 1);
	if ((src->text && !dst->text) || (src->fmt && !dst->fmt) || (src->shown && !dst->shown) ||
	    !dst->store) {
		dst->nargs = -1; /* no arguments in store yet */
		idm_log_kept_clear(dst);
		return -1;
	}
	if (used)
		memcpy(dst->store, src->store, used);
	for (int i = 0; i < src->nargs; i++)
		dst->args[i] = dst->store + (src->args[i] - src->store);
	return 0;
}

void idm_log_kept_clear(struct idm_log_kept *k)
{
	if (!k)
		return;
	if (k->store) /* the arguments' text: a value of a form, an account's name */
		explicit_bzero(k->store, args_size(k->store, k->args, k->nargs));
	free(k->store);
	free(k->fmt);
	free(k->text);
	free(k->shown);
	*k = (struct idm_log_kept){ .nargs = -1 };
}

int idm_log_kept_show(struct idm_log_kept *k, const char *fmt, const char *const *args, int nargs)
{
	char text[2048];

	free(k->shown);
	k->shown = NULL;
	if (idm_log_render(text, sizeof(text), fmt, args, nargs) < 0)
		return -1;
	k->shown = strdup(text);
	return k->shown ? 0 : -1;
}
