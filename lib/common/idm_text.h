/* idm_text.h -- small text helpers, each written once: UTF-8 decoding,
 * ASCII case folding, string vectors, berval copies and the short names
 * (1 to 64 of [a-z0-9-]) that rule and action names are.  No directory
 * access; shared by the login path and the admin core. */
#ifndef IDM_TEXT_H
#define IDM_TEXT_H

#include <lber.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of the well-formed UTF-8 sequence at s, which has n bytes left
 * (RFC 3629): 1 to 4, or 0 when there is none (an overlong form, a
 * surrogate, a code point past U+10FFFF, a cut sequence, a stray byte).
 * *cp (unless NULL) is its code point. */
size_t idm_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);
/* The same, but a byte that starts no sequence counts as one: for walking
 * text character by character without splitting one. */
size_t idm_utf8_step(const unsigned char *s, size_t n);

/* ASCII case folding: A-Z to a-z, every other byte kept. */
unsigned char idm_ascii_lower(unsigned char c);
/* a and b (n bytes each) equal under ASCII folding. */
bool idm_ascii_eq_folded(const char *a, const char *b, size_t n);
/* needle (nlen bytes, at least 1) within hay (hlen) under ASCII folding. */
bool idm_ascii_contains_folded(const char *hay, size_t hlen, const char *needle, size_t nlen);

/* A short name: 1 to 64 of [a-z0-9-] (rule names, audit actions). */
bool idm_short_name(const char *s);

/* Names of an enum's values: the index of s among names (n of them), or
 * -1 (also for s NULL); and names[i], or "?" when i is out of range. */
int idm_name_index(const char *const *names, size_t n, const char *s);
const char *idm_name_of(const char *const *names, size_t n, size_t i);

/* A berval as a C string, malloc'ed; NULL for NULL, out of memory or a
 * value with a NUL inside (never treated as a string). */
char *idm_bv_strdup(const struct berval *bv);
/* The values of vals (NULL-terminated, as ldap_get_values_len() gives)
 * as C strings, values with a NUL inside left out: *out NULL-terminated,
 * *n their number.  IDM_OK or IDM_ENOMEM (*out then NULL). */
int idm_strv_from_bervals(struct berval **vals, char ***out, size_t *n);
/* Frees n strings of v, then v; NULL is fine. */
void idm_strv_free(char **v, size_t n);

#endif
