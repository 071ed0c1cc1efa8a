#include "config.h"

#include <confuse.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_confuse_text.h"
#include "idm_error.h"
#include "idm_form.h"
#include "idm_form_fields.h"
#include "idm_form_read.h"
#include "idm_role.h"
#include "idm_secret.h"
#include "idm_text.h"
#include "idm_time.h"
#include "idm_uid.h"
#include "idm_i18n.h"

#define MAX_ERRORS 100 /* a file of junk need not produce thousands of lines */

static const char *const employee_types[] = {
	"regular", "nonregular", "dispatched", "contractor", "service",
};

/* ------------------------------------------------------------ messages */

/* libconfuse's error callback has no user pointer: the parse in progress
 * lives here, for this thread, during cfg_parse_buf(). */
static _Thread_local struct parse *current;

static void add_vmessage(struct parse *p, int line, const char *fmt, va_list ap)
{
	struct message *m;

	p->n_errors++;
	if (p->n_msgs >= MAX_ERRORS)
		return;
	m = realloc(p->msgs, (p->n_msgs + 1) * sizeof(*m));
	if (m)
		p->msgs = m;
	if (!m || idm_log_keep(&m[p->n_msgs].said, fmt, ap) < 0) {
		p->nomem = true;
		return;
	}
	m[p->n_msgs].line = line;
	m[p->n_msgs].seq = (unsigned)p->n_msgs;
	p->n_msgs++;
}

void idm_form_error_at(struct parse *p, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_vmessage(p, line, fmt, ap);
	va_end(ap);
}

static void confuse_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	if (current)
		add_vmessage(current, cfg && cfg->line > 0 ? cfg->line : 0, fmt, ap);
}

static int by_line(const void *a, const void *b)
{
	const struct message *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Logs every message in the order of the lines they cite, each after
 * "FILE:LINE" (or "FILE"), kept apart for the display sink (issue 14). */
static void flush_messages(struct parse *p, const struct idm_log *log)
{
	char where[1024];

	if (p->n_msgs > 1)
		qsort(p->msgs, p->n_msgs, sizeof(*p->msgs), by_line);
	for (size_t i = 0; i < p->n_msgs; i++) {
		if (p->msgs[i].line > 0)
			snprintf(where, sizeof(where), "%s:%d", p->name, p->msgs[i].line);
		else
			snprintf(where, sizeof(where), "%s", p->name);
		idm_log_kept(log, LOG_ERR, where, &p->msgs[i].said);
		idm_log_kept_clear(&p->msgs[i].said);
	}
	if (p->n_errors > p->n_msgs)
		idm_logf(log, LOG_ERR, N_("%s: %u more errors not shown"), p->name,
			 p->n_errors - (unsigned)p->n_msgs);
	free(p->msgs);
	p->msgs = NULL;
	p->n_msgs = 0;
}

/* ------------------------------------------------------------ text */

/* Whether s is acceptable text, else why not.  Values end up in
 * directory attributes (UTF-8 strings) and in people's terminals. */
enum text_problem { TEXT_OK, TEXT_LONG, TEXT_NOT_UTF8, TEXT_CONTROL };

static enum text_problem text_problem(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s);

	if (len > IDM_FORM_TEXT_MAX)
		return TEXT_LONG;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = idm_utf8_seq(u + i, len - i, &cp);

		if (n == 0)
			return TEXT_NOT_UTF8;
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return TEXT_CONTROL;
		i += n;
	}
	return TEXT_OK;
}

/* Reports why v (of key, at line) is not acceptable text; false when it is.
 * One whole sentence each, so that each is translated as one. */
static bool text_refused(struct parse *p, int line, const char *key, const char *v)
{
	switch (text_problem(v)) {
	case TEXT_OK: return false;
	case TEXT_LONG:
		idm_form_error_at(p, line, "%s: \"%s\" is longer than 1024 bytes", key, SHOWN(v));
		break;
	case TEXT_NOT_UTF8:
		idm_form_error_at(p, line, "%s: \"%s\" is not valid UTF-8", key, SHOWN(v));
		break;
	case TEXT_CONTROL:
		idm_form_error_at(p, line, "%s: \"%s\" holds a control character", key, SHOWN(v));
		break;
	}
	return true;
}

/* s made safe to quote in a message: controls, quotes, backslashes and
 * (in text that is not UTF-8) bytes above 0x7f escaped, cut at 64 bytes. */
const char *idm_form_shown(const char *s, char *buf, size_t size)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0, len = strlen(s);
	bool utf8 = true;

	for (size_t i = 0; utf8 && i < len;) {
		size_t n = idm_utf8_seq(u + i, len - i, NULL);
		utf8 = n > 0;
		i += n;
	}
	for (size_t i = 0; u[i];) {
		uint32_t cp = 0;
		size_t n = utf8 ? idm_utf8_seq(u + i, len - i, &cp) : 1;
		char piece[8];

		if (n == 1 && (u[i] < 0x20 || u[i] >= 0x7f))
			snprintf(piece, sizeof(piece), "\\x%02x", u[i]);
		else if (n == 1 && (u[i] == '"' || u[i] == '\\'))
			snprintf(piece, sizeof(piece), "\\%c", u[i]);
		else if (n == 2 && cp < 0xa0) /* C1 control */
			snprintf(piece, sizeof(piece), "\\u%04x", (unsigned)cp);
		else {
			memcpy(piece, u + i, n);
			piece[n] = '\0';
		}
		if (o + strlen(piece) + 4 > size || o >= 64) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		memcpy(buf + o, piece, strlen(piece));
		o += strlen(piece);
		i += n;
	}
	buf[o] = '\0';
	return buf;
}

/* A name that becomes the cn of a group: as names in idmgr.conf. */
static bool valid_group_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* ------------------------------------------------------------ checking */

static int line_of(const struct parse *p, enum field f, size_t i)
{
	const struct use *u = &p->uses[f];

	if (i < u->n_values && i < IDM_FORM_LIST_MAX && u->value_line[i] > 0)
		return u->value_line[i];
	return u->line;
}

static int dup_value(struct parse *p, const char *v, char **out)
{
	*out = strdup(v);
	if (!*out)
		p->nomem = true;
	return *out ? 0 : -1;
}

/* Checks one value of field f against its kind; on success stores it. */
static void check_value(struct parse *p, struct idm_form *form, enum field f, size_t i,
			const char *v)
{
	const char *key = idm_form_fields[f].name;
	int line = line_of(p, f, i);
	time_t t;

	if (text_refused(p, line, key, v))
		return;
	switch (idm_form_fields[f].kind) {
	case K_TYPE: /* read by check_fields() */
	case K_TEXT: break;
	case K_UID:
	case K_UIDS:
		if (idm_uid_check(p->cfg, v) < 0) {
			idm_form_error_at(p, line,
					  "%s: \"%s\" is not a valid uid (registration.uid_pattern %s)",
					  key, SHOWN(v), p->cfg->registration.uid_pattern);
			return;
		}
		break;
	case K_MAIL: {
		const char *at = strchr(v, '@');
		if (!at || strchr(at + 1, '@') || at == v || !at[1] || strchr(v, ' ')) {
			idm_form_error_at(p, line, "%s: \"%s\" is not a mail address (local@domain)",
					  key, SHOWN(v));
			return;
		}
		for (const char *c = v; *c; c++)
			if ((unsigned char)*c >= 0x80) {
				idm_form_error_at(p, line,
						  "%s: \"%s\" is not ASCII (the directory's mail "
						  "attribute is IA5)",
						  key, SHOWN(v));
				return;
			}
		break;
	}
	case K_UNIT:
		if (!idm_config_unit(p->cfg, v)) {
			idm_form_error_at(p, line, "%s: \"%s\" is not a unit of %s", key, SHOWN(v),
					  p->cfg->path ? p->cfg->path : "idmgr.conf");
			return;
		}
		break;
	case K_EMPLOYEE_TYPE: {
		size_t k = 0;
		while (k < sizeof(employee_types) / sizeof(employee_types[0]) &&
		       strcmp(v, employee_types[k]) != 0)
			k++;
		if (k == sizeof(employee_types) / sizeof(employee_types[0])) {
			idm_form_error_at(p, line,
					  "%s: \"%s\" is not one of regular, nonregular, dispatched, "
					  "contractor, service",
					  key, SHOWN(v));
			return;
		}
		break;
	}
	case K_DATE:
		if (idm_date_parse(v, &t) < 0) {
			idm_form_error_at(p, line, "%s: \"%s\" is not a date (YYYY-MM-DD)", key,
					  SHOWN(v));
			return;
		}
		if (p->now != 0 && t <= p->now) {
			idm_form_error_at(p, line, "%s: %s is not in the future", key, v);
			return;
		}
		*(f == F_VALID_UNTIL ? &form->valid_until : &form->until) = t;
		return;
	case K_GROUPS:
		if (!valid_group_name(v)) {
			idm_form_error_at(p, line,
					  "%s: \"%s\" is not a valid group name (letters, digits, "
					  "'.', '_', '-'; 1 to 64)",
					  key, SHOWN(v));
			return;
		}
		break;
	case K_ROLE:
		if (idm_role_from_name(v) < 0) {
			idm_form_error_at(p, line,
					  "%s: \"%s\" is not an officer role (ciso, security_chief, "
					  "system_admin, security_manager, contractor)",
					  key, SHOWN(v));
			return;
		}
		break;
	}

	switch (f) {
	case F_GROUPS:
		if (dup_value(p, v, &form->groups[form->n_groups]) == 0)
			form->n_groups++;
		break;
	case F_SHARED_WITH:
		if (dup_value(p, v, &form->shared_with[form->n_shared_with]) == 0)
			form->n_shared_with++;
		break;
	default:
		if (idm_form_text(form, f))
			dup_value(p, v, idm_form_text(form, f));
		break;
	}
}

/* The values of a list field, checked one by one. */
static void check_list(struct parse *p, cfg_t *cfg, struct idm_form *form, enum field f)
{
	unsigned n = cfg_size(cfg, idm_form_fields[f].name);
	char ***list = f == F_GROUPS ? &form->groups : &form->shared_with;

	if (n > IDM_FORM_LIST_MAX) {
		idm_form_error_at(p, p->uses[f].line, "%s: more than %d values",
				  idm_form_fields[f].name, IDM_FORM_LIST_MAX);
		return;
	}
	*list = calloc(n + 1, sizeof(char *));
	if (!*list) {
		p->nomem = true;
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		const char *v = cfg_getnstr(cfg, idm_form_fields[f].name, i);
		bool again = false;

		for (unsigned j = 0; j < i && !again; j++)
			again = strcmp(v, cfg_getnstr(cfg, idm_form_fields[f].name, j)) == 0;
		if (again)
			idm_form_error_at(p, line_of(p, f, i), "%s: \"%s\" is named twice",
					  idm_form_fields[f].name, SHOWN(v));
		else if (f == F_SHARED_WITH && form->uid && strcmp(v, form->uid) == 0)
			idm_form_error_at(p, line_of(p, f, i),
					  "shared_with: \"%s\" is the shared ID itself; "
					  "name the people who use it",
					  form->uid);
		else
			check_value(p, form, f, i, v);
	}
}

/* "given_name, surname or mail": the keys of mask, for messages. */
static void key_list(unsigned mask, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int f = 0; f < F_COUNT; f++) {
		if (!(mask & BIT(f)))
			continue;
		mask &= ~BIT(f);
		o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "%s%s",
				      idm_form_fields[f].name,
				      !mask                 ? ""
				      : (mask & (mask - 1)) ? ", "
							    : " or ");
	}
}

static void check_fields(struct parse *p, cfg_t *cfg, struct idm_form *form)
{
	const char *tname = cfg_size(cfg, "type") ? cfg_getstr(cfg, "type") : NULL;
	int type = -1, type_line = p->uses[F_TYPE].line;
	unsigned given = 0, allowed = ~0u, required = 0;
	char keys[256];

	if (p->uses[F_TYPE].bad) {
		/* reported by the scan */
	} else if (!tname || !*tname) {
		idm_form_error_at(p, type_line ? type_line : p->last_line,
				  "type: missing: register, modify, transfer, secondment, return, retire, "
				  "delete, grant-privilege or revoke-privilege");
	} else if ((type = idm_request_type_from_name(tname)) < 0) {
		idm_form_error_at(p, type_line,
				  "type: \"%s\" is not a request type (register, modify, "
				  "transfer, secondment, return, retire, delete, "
				  "grant-privilege, revoke-privilege)",
				  SHOWN(tname));
	} else {
		form->type = (enum idm_request_type)type;
		allowed = idm_form_types[type].required | idm_form_types[type].optional;
		required = idm_form_types[type].required;
	}
	if (!type_line)
		type_line = p->last_line;

	for (int f = F_TYPE + 1; f < F_COUNT; f++) {
		const char *key = idm_form_fields[f].name;
		unsigned n = cfg_size(cfg, key);

		const char *v = n && !is_list(f) ? cfg_getstr(cfg, key) : NULL;
		bool empty = is_list(f) ? n == 0 : !v || !*v;

		if (p->uses[f].bad)
			continue;

		if (n > 0 && !(allowed & BIT(f))) {
			idm_form_error_at(p, p->uses[f].line, "%s: not allowed in a %s request",
					  key, tname);
			continue;
		}
		if (empty) {
			if (!(required & BIT(f)))
				continue;
			if (n > 0)
				idm_form_error_at(p, p->uses[f].line,
						  "%s: is empty; a %s request needs it", key, tname);
			else
				idm_form_error_at(p, type_line,
						  "%s: missing; a %s request needs it", key, tname);
			continue;
		}
		given |= BIT(f);
		if (is_list(f))
			check_list(p, cfg, form, f);
		else
			check_value(p, form, f, 0, v);
	}
	if (type < 0)
		return;
	if (idm_form_types[type].one_of && !(given & idm_form_types[type].optional)) {
		key_list(idm_form_types[type].optional, keys, sizeof(keys));
		idm_form_error_at(p, type_line, "type: a %s request must give at least one of %s",
				  tname, keys);
	}
	if (idm_form_types[type].reserved && form->uid && idm_uid_reserved(p->cfg, form->uid))
		idm_form_error_at(p, p->uses[F_UID].line,
				  "uid: \"%s\" is a reserved name "
				  "(registration.reserved_names); a %s request may not use it (R-PRIV-5)",
				  form->uid, tname);
}

/* ------------------------------------------------------------ parse */

static cfg_t *form_init(void)
{
	cfg_opt_t opts[F_COUNT + 1]; /* cfg_init() copies them */
	cfg_t *cfg;

	for (int f = 0; f < F_COUNT; f++)
		opts[f] = is_list(f) ? (cfg_opt_t)CFG_STR_LIST(idm_form_fields[f].name, NULL,
							       CFGF_NODEFAULT)
				     : (cfg_opt_t)CFG_STR(idm_form_fields[f].name, NULL,
							  CFGF_NODEFAULT);
	opts[F_COUNT] = (cfg_opt_t)CFG_END();
	cfg = cfg_init(opts, CFGF_NONE);
	if (cfg)
		cfg_set_error_function(cfg, confuse_error);
	return cfg;
}

static int count_lines(const char *text)
{
	int lines = 1;

	for (const char *c = text; *c; c++)
		if (*c == '\n' && c[1])
			lines++;
	return lines;
}

int idm_form_parse(const struct idm_config *config, const char *name, const char *text, time_t now,
		   const struct idm_log *log, struct idm_form **out)
{
	struct parse *p = NULL;
	struct idm_form *form = NULL;
	char *copy = NULL;
	cfg_t *cfg = NULL;
	int r;

	*out = NULL;
	if (strlen(text) > IDM_FORM_MAX) {
		idm_logf(log, LOG_ERR, N_("%s: larger than %d bytes"), name, IDM_FORM_MAX);
		return IDM_EINVAL;
	}
	p = calloc(1, sizeof(*p));
	form = calloc(1, sizeof(*form));
	copy = strdup(text);
	idm_confuse_lock();
	cfg = form_init();
	idm_confuse_unlock();
	if (!p || !form || !copy || !cfg) {
		r = IDM_ENOMEM;
		goto out;
	}
	*p = (struct parse){ .cfg = config, .name = name, .now = now };
	p->last_line = count_lines(text);
	if (idm_confuse_prepare_text(copy, name, log, false) > 0) {
		r = IDM_EINVAL;
		goto out;
	}
	idm_form_scan(p, copy);
	current = p;
	cfg->line = 1;
	idm_confuse_lock();
	r = cfg_parse_buf(cfg, copy);
	idm_confuse_unlock();
	current = NULL;
	if (r == CFG_SUCCESS)
		check_fields(p, cfg, form);
	else if (p->n_errors == 0) /* out of memory inside libconfuse */
		p->nomem = true;
	r = p->nomem ? IDM_ENOMEM : p->n_errors ? IDM_EINVAL : IDM_OK;
	flush_messages(p, log);
	if (r == IDM_OK) {
		*out = form;
		form = NULL;
	}
out:
	if (cfg)
		idm_confuse_free(cfg);
	free(copy);
	free(p);
	idm_form_free(form);
	return r;
}

int idm_form_load(const struct idm_config *cfg, const char *path, time_t now,
		  const struct idm_log *log, struct idm_form **out)
{
	char *text = NULL;
	size_t len;
	int r;

	*out = NULL;
	r = idm_file_read(path, IDM_FORM_MAX, 0, log, &text, &len);
	if (r == IDM_OK)
		r = idm_form_parse(cfg, path, text, now, log, out);
	else if (r != IDM_ENOMEM)
		r = IDM_EINVAL; /* the reason is logged */
	free(text);
	return r;
}

/* ------------------------------------------------------------ free */

void idm_form_free(struct idm_form *f)
{
	if (!f)
		return;
	for (enum field k = 0; k < F_COUNT; k++)
		if (idm_form_text(f, k))
			free(*idm_form_text(f, k));
	idm_strv_free(f->groups, f->n_groups);
	idm_strv_free(f->shared_with, f->n_shared_with);
	free(f);
}
