/* idm_escape.h -- the only place where values enter LDAP filters and DNs.
 *
 * idm_filter_fmt() builds a filter from a template in which every %s is a
 * value escaped per RFC 4515 (* ( ) \ NUL and non-ASCII bytes become \XX);
 * "%%" is a literal percent.  No other conversion exists, so a caller cannot
 * insert a raw value by mistake.
 * idm_dn_child() builds "ATTR=VALUE,PARENT" with VALUE escaped per RFC 4514.
 * Both return 0 or IDM_ENOMEM / IDM_EINVAL; *out is malloc'ed.
 * idm_printable() escapes text for storage and terminals (below). */
#ifndef IDM_ESCAPE_H
#define IDM_ESCAPE_H

#include <stddef.h>

int idm_filter_escape(const char *value, size_t len, char **out);
int idm_filter_fmt(char **out, const char *template, ...);
int idm_dn_escape(const char *value, size_t len, char **out);
int idm_dn_child(char **out, const char *attr, const char *value, const char *parent);
/* "ATTR=VALUE,ou=OU,BASE", both values escaped. */
int idm_dn_grandchild(char **out, const char *attr, const char *value, const char *ou,
		      const char *base);

/* Text a client chose (PAM_RHOST), made printable for storing or showing:
 * every byte outside printable ASCII (0x20..0x7e), and each byte of also,
 * becomes \xHH, so that no escape sequence reaches a terminal and the
 * value is valid IA5.  Writes at most size - 1 bytes and the NUL, never
 * part of an escape; returns out.  To store, pass also = "\\" (the form
 * then reads back unambiguously); to show a stored value, also = "". */
char *idm_printable(const char *in, const char *also, char *out, size_t size);

#endif
