#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_error.h"
#include "idm_escape.h"

static const char hex[] = "0123456789abcdef";

static bool filter_special(unsigned char c)
{
	return c == '*' || c == '(' || c == ')' || c == '\\' || c == '\0' || c >= 0x80;
}

/* Appends the escaped form of value to buf (which has room: 3 bytes per input
 * byte at most) and returns the new end. */
static char *filter_escape_into(char *p, const char *value, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		if (filter_special(c)) {
			*p++ = '\\';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		} else {
			*p++ = (char)c;
		}
	}
	return p;
}

int idm_filter_escape(const char *value, size_t len, char **out)
{
	char *buf, *end;

	*out = NULL;
	if (len > (SIZE_MAX - 1) / 3)
		return IDM_EINVAL;
	buf = malloc(len * 3 + 1);
	if (!buf)
		return IDM_ENOMEM;
	end = filter_escape_into(buf, value, len);
	*end = '\0';
	*out = buf;
	return IDM_OK;
}

int idm_filter_fmt(char **out, const char *template, ...)
{
	va_list ap;
	size_t need = 1;
	char *buf, *p;
	const char *t;

	*out = NULL;
	va_start(ap, template);
	for (t = template; *t; t++) {
		if (*t != '%') {
			need++;
			continue;
		}
		t++;
		if (*t == 's') {
			const char *v = va_arg(ap, const char *);
			if (!v || strlen(v) > 65536) {
				va_end(ap);
				return IDM_EINVAL;
			}
			need += strlen(v) * 3;
		} else if (*t == '%') {
			need++;
		} else {
			va_end(ap);
			return IDM_EINVAL; /* only %s and %% exist */
		}
	}
	va_end(ap);

	buf = malloc(need);
	if (!buf)
		return IDM_ENOMEM;
	va_start(ap, template);
	for (p = buf, t = template; *t; t++) {
		if (*t != '%') {
			*p++ = *t;
			continue;
		}
		t++;
		if (*t == '%') {
			*p++ = '%';
		} else {
			const char *v = va_arg(ap, const char *);
			p = filter_escape_into(p, v, strlen(v));
		}
	}
	va_end(ap);
	*p = '\0';
	*out = buf;
	return IDM_OK;
}

int idm_dn_escape(const char *value, size_t len, char **out)
{
	char *buf, *p;

	*out = NULL;
	if (len == 0 || len > (SIZE_MAX - 1) / 3)
		return IDM_EINVAL; /* an RDN value cannot be empty */
	buf = malloc(len * 3 + 1);
	if (!buf)
		return IDM_ENOMEM;
	p = buf;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		bool lead = i == 0 && (c == ' ' || c == '#');
		bool trail = i == len - 1 && c == ' ';
		if (c == '\0' || c < 0x20 || c == 0x7f) {
			*p++ = '\\';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		} else if (lead || trail || strchr(",+\"\\<>;=", c)) {
			*p++ = '\\';
			*p++ = (char)c;
		} else {
			*p++ = (char)c;
		}
	}
	*p = '\0';
	*out = buf;
	return IDM_OK;
}

int idm_dn_child(char **out, const char *attr, const char *value, const char *parent)
{
	char *esc = NULL;
	int r, n;
	size_t len;

	*out = NULL;
	r = idm_dn_escape(value, strlen(value), &esc);
	if (r < 0)
		return r;
	len = strlen(attr) + strlen(esc) + strlen(parent) + 3;
	*out = malloc(len);
	if (!*out) {
		r = IDM_ENOMEM;
		goto out;
	}
	n = snprintf(*out, len, "%s=%s,%s", attr, esc, parent);
	r = (n > 0 && (size_t)n < len) ? IDM_OK : IDM_EINVAL;
out:
	free(esc);
	return r;
}

int idm_dn_grandchild(char **out, const char *attr, const char *value, const char *ou,
		      const char *base)
{
	char *parent = NULL;
	int r = idm_dn_child(&parent, "ou", ou, base);

	*out = NULL;
	if (r == IDM_OK)
		r = idm_dn_child(out, attr, value, parent);
	free(parent);
	return r;
}

char *idm_printable(const char *in, const char *also, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return out;
	for (const unsigned char *p = (const unsigned char *)(in ? in : ""); *p; p++) {
		bool plain = *p >= 0x20 && *p < 0x7f && !strchr(also, *p);
		size_t need = plain ? 1 : 4;

		if (o + need > size - 1)
			break;
		if (plain) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
	return out;
}
