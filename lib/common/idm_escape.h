/* idm_escape.h -- the only place where values enter LDAP filters and DNs.
 *
 * idm_filter_fmt() builds a filter from a template in which every %s is a
 * value escaped per RFC 4515 (* ( ) \ NUL and non-ASCII bytes become \XX);
 * "%%" is a literal percent.  No other conversion exists, so a caller cannot
 * insert a raw value by mistake.
 * idm_dn_child() builds "ATTR=VALUE,PARENT" with VALUE escaped per RFC 4514.
 * Both return 0 or IDM_ENOMEM / IDM_EINVAL; *out is malloc'ed. */
#ifndef IDM_ESCAPE_H
#define IDM_ESCAPE_H

#include <stddef.h>

int idm_filter_escape(const char *value, size_t len, char **out);
int idm_filter_fmt(char **out, const char *template, ...);
int idm_dn_escape(const char *value, size_t len, char **out);
int idm_dn_child(char **out, const char *attr, const char *value, const char *parent);

#endif
