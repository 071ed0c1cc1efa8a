#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_action.h"
#include "idm_error.h"
#include "idm_time.h"
#include "idm_i18n.h"

#define MARK_MAGIC "idmgr-pending-1 "

static const char *const mark_attrs[] = { "idmAuditPending", NULL };

/* ------------------------------------------------------- the mark's text */

struct buf {
	char *s;
	size_t n, size;
	bool failed;
};

static void put(struct buf *b, const char *s, size_t len)
{
	if (b->failed)
		return;
	if (b->n + len + 1 > b->size) {
		size_t size = (b->n + len + 1) * 2;
		char *grown = realloc(b->s, size);
		if (!grown) {
			b->failed = true;
			return;
		}
		b->s = grown;
		b->size = size;
	}
	memcpy(b->s + b->n, s, len);
	b->n += len;
	b->s[b->n] = '\0';
}

static void put_field(struct buf *b, const char *v)
{
	char len[24];

	if (!v || !*v) {
		put(b, "-,", 2);
		return;
	}
	snprintf(len, sizeof(len), "%zu:", strlen(v));
	put(b, len, strlen(len));
	put(b, v, strlen(v));
	put(b, ",", 1);
}

static int serialize(struct idm_action *a)
{
	struct buf b = { 0 };
	char when[IDM_GENTIME_LEN];

	idm_time_format(a->time, when);
	put(&b, MARK_MAGIC, strlen(MARK_MAGIC));
	put(&b, a->token, strlen(a->token));
	put(&b, " ", 1);
	put(&b, when, strlen(when));
	put(&b, " ", 1);
	put_field(&b, a->actor);
	put_field(&b, a->action);
	put_field(&b, a->subject);
	put_field(&b, a->request_id);
	put_field(&b, a->outcome);
	put_field(&b, a->detail);
	free(a->mark);
	a->mark = b.failed ? NULL : b.s;
	if (b.failed)
		free(b.s);
	return a->mark ? IDM_OK : IDM_ENOMEM;
}

/* One LEN:BYTES, field or "-," at *p; *out NULL for an absent field. */
static int get_field(const char **p, char **out)
{
	const char *s = *p;
	char *end;
	unsigned long len;

	*out = NULL;
	if (s[0] == '-' && s[1] == ',') {
		*p = s + 2;
		return IDM_OK;
	}
	if (*s < '0' || *s > '9')
		return IDM_EINVAL;
	errno = 0;
	len = strtoul(s, &end, 10);
	if (errno || *end != ':' || len > 16384 || strnlen(end + 1, len + 1) < len + 1 ||
	    end[1 + len] != ',')
		return IDM_EINVAL;
	*out = strndup(end + 1, len);
	if (!*out)
		return IDM_ENOMEM;
	*p = end + 2 + len;
	return IDM_OK;
}

int idm_action_parse(const char *value, struct idm_action *a)
{
	char when[IDM_GENTIME_LEN];
	const char *p = value;
	int r = IDM_OK;

	memset(a, 0, sizeof(*a));
	if (strncmp(p, MARK_MAGIC, strlen(MARK_MAGIC)) != 0)
		return IDM_EINVAL;
	p += strlen(MARK_MAGIC);
	if (strspn(p, "0123456789abcdef") != IDM_AUDIT_TOKEN_LEN || p[IDM_AUDIT_TOKEN_LEN] != ' ')
		return IDM_EINVAL;
	memcpy(a->token, p, IDM_AUDIT_TOKEN_LEN);
	p += IDM_AUDIT_TOKEN_LEN + 1;
	if (strlen(p) < IDM_GENTIME_LEN || p[IDM_GENTIME_LEN - 1] != ' ')
		return IDM_EINVAL;
	memcpy(when, p, IDM_GENTIME_LEN - 1);
	when[IDM_GENTIME_LEN - 1] = '\0';
	if (idm_time_parse(when, &a->time) < 0)
		return IDM_EINVAL;
	p += IDM_GENTIME_LEN;
	char **fields[] = { &a->actor,      &a->action,  &a->subject,
			    &a->request_id, &a->outcome, &a->detail };
	for (size_t i = 0; r == IDM_OK && i < sizeof(fields) / sizeof(fields[0]); i++)
		r = get_field(&p, fields[i]);
	if (r == IDM_OK && (*p || !a->actor || !a->action || !a->outcome))
		r = IDM_EINVAL;
	if (r == IDM_OK)
		r = (a->mark = strdup(value)) ? IDM_OK : IDM_ENOMEM;
	if (r < 0)
		idm_action_clear(a);
	return r;
}

void idm_action_clear(struct idm_action *a)
{
	if (!a)
		return;
	free(a->actor);
	free(a->action);
	free(a->subject);
	free(a->request_id);
	free(a->outcome);
	free(a->detail);
	free(a->mark);
	memset(a, 0, sizeof(*a));
}

static bool same_opt(const char *want, const char *have)
{
	return !want || !*want || (have && strcmp(want, have) == 0);
}

/* Is the mark value one of actor for ev (action, and subject and request
 * id where ev names them)? */
static bool mark_matches(const char *value, const char *actor, const struct idm_audit_event *ev,
			 struct idm_action *out)
{
	struct idm_action a;

	if (idm_action_parse(value, &a) < 0)
		return false;
	if (strcasecmp(a.actor, actor) == 0 && strcmp(a.action, ev->action) == 0 &&
	    same_opt(ev->subject, a.subject) && same_opt(ev->request_id, a.request_id)) {
		if (out)
			*out = a;
		else
			idm_action_clear(&a);
		return true;
	}
	idm_action_clear(&a);
	return false;
}

const char *idm_action_find_mark(char *const *values, size_t n, const char *actor,
				 const char *action)
{
	struct idm_audit_event ev = { .action = action };

	for (size_t i = 0; i < n; i++)
		if (mark_matches(values[i], actor, &ev, NULL))
			return values[i];
	return NULL;
}

/* -------------------------------------------------------------- actions */

static int dup_opt(char **out, const char *v)
{
	*out = NULL;
	if (!v || !*v)
		return IDM_OK;
	*out = strdup(v);
	return *out ? IDM_OK : IDM_ENOMEM;
}

/* A mark of op for ev on dn: IDM_OK with *a filled, IDM_ENOENT none. */
static int find_on_entry(struct idm_operator *op, const char *dn, const struct idm_audit_event *ev,
			 struct idm_action *a)
{
	LDAPMessage *res = NULL, *e;
	struct berval **vals = NULL;
	int r = idm_dir_search(op->d, dn, LDAP_SCOPE_BASE, "(idmAuditPending=*)", mark_attrs, 1,
			       &res);

	if (r == IDM_OK) {
		e = ldap_first_entry(idm_dir_ldap(op->d), res);
		vals = e ? ldap_get_values_len(idm_dir_ldap(op->d), e, "idmAuditPending") : NULL;
		r = IDM_ENOENT;
		for (size_t i = 0; vals && vals[i] && r == IDM_ENOENT; i++) {
			char *v = strndup(vals[i]->bv_val, vals[i]->bv_len);
			if (!v)
				r = IDM_ENOMEM;
			else if (strlen(v) == vals[i]->bv_len && mark_matches(v, op->dn, ev, a))
				r = IDM_OK;
			free(v);
		}
	}
	ldap_value_free_len(vals);
	ldap_msgfree(res);
	return r;
}

int idm_action_start(struct idm_operator *op, const char *dn, const struct idm_audit_event *ev,
		     struct idm_action *a)
{
	int r;

	memset(a, 0, sizeof(*a));
	r = idm_audit_event_check(idm_dir_log(op->d), ev);
	if (r < 0)
		return r;
	if (dn) {
		r = find_on_entry(op, dn, ev, a);
		if (r == IDM_OK) {
			a->resumed = true;
			idm_logf(idm_dir_log(op->d), LOG_NOTICE,
				 N_("%s %s: completing an earlier run whose audit record is owed"),
				 ev->action,
				 a->request_id ? a->request_id
				 : a->subject  ? a->subject
					       : dn);
			return IDM_OK;
		}
		if (r != IDM_ENOENT)
			return r;
	}
	r = idm_audit_new_token(a->token);
	a->time = time(NULL);
	if (r == IDM_OK)
		r = dup_opt(&a->actor, op->dn);
	if (r == IDM_OK)
		r = dup_opt(&a->action, ev->action);
	if (r == IDM_OK)
		r = dup_opt(&a->subject, ev->subject);
	if (r == IDM_OK)
		r = dup_opt(&a->request_id, ev->request_id);
	if (r == IDM_OK)
		r = dup_opt(&a->outcome, ev->outcome);
	if (r == IDM_OK)
		r = dup_opt(&a->detail, ev->detail);
	if (r == IDM_OK)
		r = serialize(a);
	if (r < 0)
		idm_action_clear(a);
	return r;
}

int idm_action_set(struct idm_action *a, const char *outcome, const char *detail)
{
	char *o = NULL, *d = NULL;

	if ((outcome && !(o = strdup(outcome))) || (detail && !(d = strdup(detail)))) {
		free(o);
		return IDM_ENOMEM;
	}
	if (o) {
		free(a->outcome);
		a->outcome = o;
	}
	if (d) {
		free(a->detail);
		a->detail = d;
	}
	return serialize(a);
}

void idm_action_mark(const struct idm_action *a, struct idm_mods *m)
{
	idm_mods_add(m, LDAP_MOD_ADD, "idmAuditPending", a->mark);
}

int idm_action_finish(struct idm_operator *op, const struct idm_config *cfg,
		      const struct idm_log *log, const char *dn, struct idm_action *a)
{
	struct idm_audit_event ev = {
		.action = a->action,
		.subject = a->subject,
		.request_id = a->request_id,
		.outcome = a->outcome,
		.detail = a->detail,
		.token = a->token,
	};
	struct idm_mods *m;
	int r = idm_operator_record(op, cfg, log, &ev);

	if (r == IDM_OK && dn) {
		m = idm_mods_new();
		idm_mods_add(m, LDAP_MOD_DELETE, "idmAuditPending", a->mark);
		r = idm_dir_apply(op->d, dn, m);
		if (r == IDM_ENOVALUE || r == IDM_ENOENT)
			r = IDM_OK; /* removed by another run, or the entry is gone */
	}
	if (r < 0)
		idm_logf(log, LOG_ERR,
			 N_("%s %s is done, but its audit record is owed; run the same command again "
			    "to complete it"),
			 a->action,
			 a->request_id ? a->request_id
			 : a->subject  ? a->subject
				       : "");
	return r;
}

/* ------------------------------------------------------------ object IDs */

static void format_id(char prefix, time_t t, const char hex8[8], char out[IDM_OBJECT_ID_LEN])
{
	char day[IDM_GENTIME_LEN];

	idm_time_format(t, day);
	snprintf(out, IDM_OBJECT_ID_LEN, "%c%.8s-%.8s", prefix, day, hex8);
}

int idm_object_id_new(char prefix, char out[IDM_OBJECT_ID_LEN])
{
	char token[IDM_AUDIT_TOKEN_LEN + 1];
	int r = idm_audit_new_token(token);

	out[0] = '\0';
	if (r == IDM_OK)
		format_id(prefix, time(NULL), token, out);
	return r;
}

void idm_action_object_id(const struct idm_action *a, char prefix, unsigned salt,
			  char out[IDM_OBJECT_ID_LEN])
{
	format_id(prefix, a->time, a->token + (salt % 2) * 8, out);
}
