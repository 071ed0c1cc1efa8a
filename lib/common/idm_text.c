/* idm_text.c -- see idm_text.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "idm_error.h"
#include "idm_text.h"

size_t idm_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t need;
	uint32_t v, min;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		if (cp)
			*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 2, v = s[0] & 0x1Fu, min = 0x80;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 3, v = s[0] & 0x0Fu, min = 0x800;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 4, v = s[0] & 0x07u, min = 0x10000;
	else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3Fu);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	if (cp)
		*cp = v;
	return need;
}

size_t idm_utf8_step(const unsigned char *s, size_t n)
{
	size_t k = idm_utf8_seq(s, n, NULL);

	return k ? k : n ? 1 : 0;
}

unsigned char idm_ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

bool idm_ascii_eq_folded(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (idm_ascii_lower((unsigned char)a[i]) != idm_ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

bool idm_ascii_contains_folded(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0 || nlen > hlen)
		return false;
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (idm_ascii_eq_folded(hay + i, needle, nlen))
			return true;
	return false;
}

bool idm_short_name(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '-'))
			return false;
	return n >= 1 && n <= 64;
}

int idm_name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (names[i] && strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

const char *idm_name_of(const char *const *names, size_t n, size_t i)
{
	return i < n && names[i] ? names[i] : "?";
}

char *idm_bv_strdup(const struct berval *bv)
{
	char *s;

	if (!bv || (!bv->bv_val && bv->bv_len) ||
	    (bv->bv_len && memchr(bv->bv_val, '\0', bv->bv_len)))
		return NULL;
	s = malloc(bv->bv_len + 1);
	if (s) {
		if (bv->bv_len)
			memcpy(s, bv->bv_val, bv->bv_len);
		s[bv->bv_len] = '\0';
	}
	return s;
}

int idm_strv_from_bervals(struct berval **vals, char ***out, size_t *n)
{
	size_t count = 0;

	*n = 0;
	while (vals && vals[count])
		count++;
	*out = calloc(count + 1, sizeof(char *));
	if (!*out)
		return IDM_ENOMEM;
	for (size_t i = 0; i < count; i++) {
		if (vals[i]->bv_len && memchr(vals[i]->bv_val, '\0', vals[i]->bv_len))
			continue;
		if (!((*out)[*n] = idm_bv_strdup(vals[i]))) {
			idm_strv_free(*out, *n);
			*out = NULL;
			*n = 0;
			return IDM_ENOMEM;
		}
		(*n)++;
	}
	return IDM_OK;
}

void idm_strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
