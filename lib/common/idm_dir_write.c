/* idm_dir_write.c -- writes to the directory that are safe to retry on the
 * next server (read back first), and the writes built on them.  Split from
 * idm_dir.c; the connection's insides are in idm_dir_conn.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "idm_dir.h"
#include "idm_dir_conn.h"
#include "idm_error.h"
#include "idm_mods.h"
#include "idm_random.h"
#include "idm_time.h"
#include "idm_i18n.h"

/* ------------------------------------------------ writes safe to retry */

enum write_kind { WRITE_MODIFY, WRITE_MODIFY_READ, WRITE_ADD, WRITE_DELETE };

/* One write: the modify-read also returns the entry after it (*out). */
struct write {
	enum write_kind kind;
	const char *dn;
	LDAPMod **mods;
	const char *const *attrs;
	struct idm_entry **out;
};

static int modify_read_once(struct idm_dir *d, const char *dn, LDAPMod **mods,
			    const char *const *attrs, struct idm_entry **out);
static int modify_ctrls(struct idm_dir *d, const char *dn, LDAPMod **mods, LDAPControl **ctrls,
			char **diag, LDAPControl ***rctrls);
static int await_result(struct idm_dir *d, int msgid, char **diag, LDAPControl ***rctrls);

static bool same_value(const struct berval *a, const struct berval *b)
{
	return a->bv_len == b->bv_len && strncasecmp(a->bv_val, b->bv_val, a->bv_len) == 0;
}

static bool has_value(struct berval **vals, const struct berval *v)
{
	for (size_t i = 0; vals && vals[i]; i++)
		if (same_value(vals[i], v))
			return true;
	return false;
}

/* Is v (any value, when v is NULL) added to attr by a change after
 * mods[i]?  Then that later change decides. */
static bool later_add(LDAPMod **mods, size_t i, const char *attr, const struct berval *v)
{
	for (size_t j = i + 1; mods[j]; j++) {
		int op = mods[j]->mod_op & ~LDAP_MOD_BVALUES;
		if (strcasecmp(mods[j]->mod_type, attr) != 0)
			continue;
		if (op == LDAP_MOD_REPLACE ||
		    (op == LDAP_MOD_ADD && (!v || has_value(mods[j]->mod_bvalues, v))))
			return true;
	}
	return false;
}

/* Does attr of entry e hold what the changes to attr in mods leave?
 * Processed in order on an unknown earlier state: REPLACE and
 * delete-all make the set exact, ADD and DELETE of values say which are
 * in and out.  An increment cannot be seen in a value: see below. */
static bool attr_in_place(LDAP *ld, LDAPMessage *e, LDAPMod **mods, const char *attr, bool add)
{
	struct berval **now = ldap_get_values_len(ld, e, attr);
	size_t n_now = (size_t)ldap_count_values_len(now);
	bool ok = true;

	for (size_t i = 0; ok && mods[i]; i++) {
		LDAPMod *m = mods[i];
		int op = add ? LDAP_MOD_ADD : m->mod_op & ~LDAP_MOD_BVALUES;
		struct berval **v = m->mod_bvalues;
		size_t n = 0;

		if (strcasecmp(m->mod_type, attr) != 0)
			continue;
		while (v && v[n])
			n++;
		switch (op) {
		case LDAP_MOD_ADD:
			for (size_t k = 0; ok && k < n; k++)
				ok = has_value(now, v[k]);
			break;
		case LDAP_MOD_DELETE:
			for (size_t k = 0; ok && k < n; k++)
				ok = !has_value(now, v[k]) || later_add(mods, i, attr, v[k]);
			if (n == 0)
				ok = n_now == 0 || later_add(mods, i, attr, NULL);
			break;
		case LDAP_MOD_REPLACE:
			ok = later_add(mods, i, attr, NULL) || n == n_now;
			for (size_t k = 0; ok && k < n; k++)
				ok = has_value(now, v[k]);
			break;
		case LDAP_MOD_INCREMENT:
			break; /* judged by the write's added values (write_in_place) */
		default: ok = false;
		}
	}
	ldap_value_free_len(now);
	return ok;
}

/* Is the entry at dn as this write leaves it (read back after a retry)?
 * A write with an increment counts as in place only when it added values
 * too and they are there: the write was atomic, its values unique. */
static bool write_in_place(struct idm_dir *d, const struct write *w)
{
	struct timeval tv = { .tv_sec = d->cfg->ldap.timeout, .tv_usec = 0 };
	LDAPMessage *res = NULL, *e;
	char **attrs = NULL;
	size_t n = 0;
	bool ok = false, increment = false, added = false;
	int rc;

	while (w->mods && w->mods[n]) {
		int op = w->mods[n]->mod_op & ~LDAP_MOD_BVALUES;
		increment = increment || op == LDAP_MOD_INCREMENT;
		added = added || (op == LDAP_MOD_ADD && w->mods[n]->mod_bvalues);
		n++;
	}
	if (increment && !added)
		return false;
	if (w->kind != WRITE_DELETE && !(attrs = calloc(n + 1, sizeof(char *))))
		return false;
	for (size_t i = 0; i < n; i++)
		attrs[i] = w->mods[i]->mod_type;
	rc = ldap_search_ext_s(d->ld, w->dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL,
			       NULL, &tv, 1, &res);
	if (w->kind == WRITE_DELETE) {
		ok = rc == LDAP_NO_SUCH_OBJECT;
	} else if (rc == LDAP_SUCCESS && (e = ldap_first_entry(d->ld, res))) {
		ok = true;
		for (size_t i = 0; ok && i < n; i++)
			ok = attr_in_place(d->ld, e, w->mods, w->mods[i]->mod_type,
					   w->kind == WRITE_ADD);
	}
	ldap_msgfree(res);
	free(attrs);
	/* The entry as it is now stands in for the post-read one: it may hold
	 * what others did after, never less than this write. */
	if (ok && w->kind == WRITE_MODIFY_READ)
		ok = idm_entry_read(d, w->dn, w->attrs, w->out) == IDM_OK;
	return ok;
}

static int write_once(struct idm_dir *d, const struct write *w)
{
	switch (w->kind) {
	case WRITE_MODIFY: return ldap_modify_ext_s(d->ld, w->dn, w->mods, NULL, NULL);
	case WRITE_MODIFY_READ:
		idm_entry_free(*w->out);
		*w->out = NULL;
		return modify_read_once(d, w->dn, w->mods, w->attrs, w->out);
	case WRITE_ADD: return ldap_add_ext_s(d->ld, w->dn, w->mods, NULL, NULL);
	default: return ldap_delete_ext_s(d->ld, w->dn, NULL, NULL);
	}
}

/* What a retry answers when the failed attempt had applied the write. */
static bool already_so(enum write_kind kind, int rc)
{
	switch (kind) {
	case WRITE_MODIFY:
	case WRITE_MODIFY_READ:
		return rc == LDAP_NO_SUCH_ATTRIBUTE || rc == LDAP_TYPE_OR_VALUE_EXISTS ||
		       rc == LDAP_CONSTRAINT_VIOLATION;
	case WRITE_ADD: return rc == LDAP_ALREADY_EXISTS;
	default: return rc == LDAP_NO_SUCH_OBJECT;
	}
}

/* One write with failover.  A server that failed during the write may
 * have applied it: when the retry answers "already so", the entry is read
 * back and the write counts as done if it is all in place. */
static int write_op(struct idm_dir *d, const struct write *w)
{
	size_t tries = d->cfg->ldap.n_uris;
	bool uncertain = false;
	int rc = idm_dir_fence(d);

	if (rc != LDAP_SUCCESS)
		return rc; /* not the writer (any more): nothing sent */
	for (;;) {
		bool read_only;

		rc = d->ld ? write_once(d, w) : LDAP_SERVER_DOWN;
		read_only = idm_dir_read_only(d, rc);
		if ((!read_only && !idm_dir_server_gone(rc)) || tries-- <= 1)
			break;
		if (read_only) {
			/* not made there: the write goes where writes are taken */
			idm_logf(d->log, LOG_INFO, N_("%s takes no writes; trying the next server"),
				 idm_dir_uri(d));
		} else {
			uncertain = uncertain || (d->ld && rc != LDAP_CONNECT_ERROR);
			idm_logf(d->log, LOG_WARNING, N_("%s: %s; trying the next server"),
				 idm_dir_uri(d), ldap_err2string(rc));
			idm_dir_server_failed(d);
		}
		rc = idm_dir_connect_from(d, d->uri + 1);
		if (rc != LDAP_SUCCESS)
			break;
	}
	if (uncertain && already_so(w->kind, rc) && write_in_place(d, w)) {
		idm_logf(d->log, LOG_NOTICE,
			 N_("%s: the server that failed had made this change already; not made twice"),
			 w->dn);
		rc = LDAP_SUCCESS;
	}
	return rc;
}

int idm_dir_modify(struct idm_dir *d, const char *dn, LDAPMod **mods)
{
	int rc = write_op(d, &(struct write){ WRITE_MODIFY, dn, mods, NULL, NULL });

	/* "already so" answers are the callers' to judge (compare-and-swap,
	 * idempotent effects): logged at debug level only. */
	if (rc != LDAP_SUCCESS)
		idm_logf(d->log,
			 rc == LDAP_NO_SUCH_ATTRIBUTE || rc == LDAP_TYPE_OR_VALUE_EXISTS ? LOG_DEBUG
											 : LOG_ERR,
			 "modify %s: %s", dn, ldap_err2string(rc));
	return idm_dir_map_rc(rc);
}

int idm_dir_modify_send(struct idm_dir *d, const char *dn, LDAPMod **mods, int *msgid)
{
	int rc = d->ld ? ldap_modify_ext(d->ld, dn, mods, NULL, NULL, msgid) : LDAP_SERVER_DOWN;

	if (rc != LDAP_SUCCESS)
		idm_logf(d->log, LOG_ERR, N_("modify %s: %s"), dn, ldap_err2string(rc));
	return idm_dir_map_rc(rc);
}

int idm_dir_modify_wait(struct idm_dir *d, int msgid)
{
	int rc = d->ld ? await_result(d, msgid, NULL, NULL) : LDAP_SERVER_DOWN;

	if (rc != LDAP_SUCCESS)
		idm_logf(d->log, rc == LDAP_NO_SUCH_ATTRIBUTE ? LOG_DEBUG : LOG_ERR, "modify: %s",
			 ldap_err2string(rc));
	return idm_dir_map_rc(rc);
}

int idm_dir_apply(struct idm_dir *d, const char *dn, struct idm_mods *m)
{
	LDAPMod **mods = idm_mods_array(m);
	int r = !mods ? IDM_ENOMEM : !mods[0] ? IDM_OK : idm_dir_modify(d, dn, mods);

	idm_mods_free(m);
	return r;
}

int idm_dir_add(struct idm_dir *d, const char *dn, LDAPMod **mods)
{
	int rc = write_op(d, &(struct write){ WRITE_ADD, dn, mods, NULL, NULL });

	if (rc != LDAP_SUCCESS && rc != LDAP_ALREADY_EXISTS)
		idm_logf(d->log, LOG_ERR, N_("add %s: %s"), dn, ldap_err2string(rc));
	return idm_dir_map_rc(rc);
}

int idm_dir_apply_add(struct idm_dir *d, const char *dn, struct idm_mods *m)
{
	LDAPMod **mods = idm_mods_array(m);
	int r = mods ? idm_dir_add(d, dn, mods) : IDM_ENOMEM;

	idm_mods_free(m);
	return r;
}

int idm_dir_modify_relax(struct idm_dir *d, const char *dn, LDAPMod **mods)
{
	LDAPControl relax = { .ldctl_oid = LDAP_CONTROL_RELAX, .ldctl_iscritical = 1 };
	LDAPControl *ctrls[2] = { &relax, NULL };
	int rc;

	rc = idm_dir_fence(d);
	if (rc == LDAP_SUCCESS)
		WITH_FAILOVER(d, modify_ctrls(d, dn, mods, ctrls, NULL, NULL));
	if (rc != LDAP_SUCCESS)
		idm_logf(d->log, LOG_ERR, N_("modify %s (relax): %s"), dn, ldap_err2string(rc));
	return idm_dir_map_rc(rc);
}

int idm_dir_password_modify(struct idm_dir *d, const char *dn, const char *password, size_t len,
			    int *pperr, char **text)
{
	struct berval val = { (ber_len_t)len, (char *)password }, *vals[2] = { &val, NULL };
	LDAPMod mod = { .mod_op = LDAP_MOD_REPLACE | LDAP_MOD_BVALUES,
			.mod_type = "userPassword",
			.mod_vals.modv_bvals = vals };
	LDAPMod *mods[2] = { &mod, NULL };
	LDAPControl *req = NULL, *ctrls[2] = { NULL, NULL }, **rctrls = NULL, *pp;
	char *diag = NULL;
	int rc;

	*pperr = -1;
	*text = NULL;
	if (!d->ld || idm_dir_fence(d) != LDAP_SUCCESS)
		return IDM_EUNAVAIL;
	rc = ldap_create_passwordpolicy_control(d->ld, &req);
	if (rc != LDAP_SUCCESS)
		goto out;
	ctrls[0] = req;
	/* Sent once: a change that may have been applied is not repeated on
	 * another server (it would be refused as too young or reused); only
	 * a read-only replica's refusal, which made nothing, sends it on. */
	rc = modify_ctrls(d, dn, mods, ctrls, &diag, &rctrls);
	for (size_t tries = d->cfg->ldap.n_uris; tries > 1 && idm_dir_read_only(d, rc); tries--) {
		idm_logf(d->log, LOG_INFO, N_("%s takes no writes; trying the next server"),
			 idm_dir_uri(d));
		ldap_memfree(diag);
		ldap_controls_free(rctrls);
		diag = NULL;
		rctrls = NULL;
		rc = idm_dir_connect_from(d, d->uri + 1);
		if (rc == LDAP_SUCCESS)
			rc = modify_ctrls(d, dn, mods, ctrls, &diag, &rctrls);
	}
	pp = ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, rctrls, NULL);
	if (pp) {
		ber_int_t expire = -1, grace = -1;
		LDAPPasswordPolicyError e = PP_noError;

		if (ldap_parse_passwordpolicy_control(d->ld, pp, &expire, &grace, &e) ==
			    LDAP_SUCCESS &&
		    e != PP_noError)
			*pperr = (int)e;
	}
	if (rc != LDAP_SUCCESS && diag && *diag)
		*text = strdup(diag);
out:
	if (rc != LDAP_SUCCESS)
		idm_logf(d->log, LOG_NOTICE, N_("password change of %s refused: %s%s%s"), dn,
			 ldap_err2string(rc), *pperr >= 0 ? ", " : "",
			 *pperr >= 0 ? ldap_passwordpolicy_err2txt((LDAPPasswordPolicyError)*pperr)
				     : "");
	ldap_memfree(diag);
	ldap_controls_free(rctrls);
	ldap_control_free(req);
	return idm_dir_map_rc(rc);
}

int idm_dir_delete(struct idm_dir *d, const char *dn)
{
	int rc = write_op(d, &(struct write){ WRITE_DELETE, dn, NULL, NULL, NULL });

	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT)
		idm_logf(d->log, LOG_ERR, N_("delete %s: %s"), dn, ldap_err2string(rc));
	return idm_dir_map_rc(rc);
}

int idm_dir_exists(struct idm_dir *d, const char *dn)
{
	static const char *const attrs[] = { "1.1", NULL };
	LDAPMessage *res = NULL;
	int r = idm_dir_search(d, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res);

	if (r == IDM_OK && ldap_count_entries(d->ld, res) < 1)
		r = IDM_ENOENT;
	ldap_msgfree(res);
	return r;
}

/* The answer to request msgid, waited for within the timeout: the
 * server's result code, its message and response controls as below. */
static int await_result(struct idm_dir *d, int msgid, char **diag, LDAPControl ***rctrls)
{
	struct timeval tv = { .tv_sec = d->cfg->ldap.timeout, .tv_usec = 0 };
	LDAPMessage *res = NULL;
	int rc, err = LDAP_OTHER;

	rc = ldap_result(d->ld, msgid, LDAP_MSG_ALL, &tv, &res);
	if (rc <= 0) {
		if (rc == 0)
			ldap_abandon_ext(d->ld, msgid, NULL, NULL);
		return rc == 0 ? LDAP_TIMEOUT : LDAP_SERVER_DOWN;
	}
	rc = ldap_parse_result(d->ld, res, &err, NULL, diag, NULL, rctrls, 1);
	return rc == LDAP_SUCCESS ? err : rc;
}

/* One modify with request controls, waited for within the timeout: the
 * server's result code, its message (*diag, ldap_memfree) and response
 * controls (*rctrls, ldap_controls_free), each NULL when not wanted. */
static int modify_ctrls(struct idm_dir *d, const char *dn, LDAPMod **mods, LDAPControl **ctrls,
			char **diag, LDAPControl ***rctrls)
{
	int rc, msgid;

	rc = ldap_modify_ext(d->ld, dn, mods, ctrls, NULL, &msgid);
	return rc == LDAP_SUCCESS ? await_result(d, msgid, diag, rctrls) : rc;
}

static int modify_read_once(struct idm_dir *d, const char *dn, LDAPMod **mods,
			    const char *const *attrs, struct idm_entry **out)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	LDAPControl *ctrl = NULL, *ctrls[2] = { NULL, NULL }, **rctrls = NULL, *pr;
	struct berval val = { 0, NULL };
	int rc;

	if (!ber)
		return LDAP_NO_MEMORY;
	if (ber_printf(ber, "{v}", (char **)attrs) == -1 || ber_flatten2(ber, &val, 0) == -1) {
		rc = LDAP_ENCODING_ERROR;
		goto out;
	}
	rc = ldap_control_create(LDAP_CONTROL_POST_READ, 1, &val, 1, &ctrl);
	if (rc != LDAP_SUCCESS)
		goto out;
	ctrls[0] = ctrl;
	rc = modify_ctrls(d, dn, mods, ctrls, NULL, &rctrls);
	if (rc != LDAP_SUCCESS)
		goto out;
	pr = ldap_control_find(LDAP_CONTROL_POST_READ, rctrls, NULL);
	if (!pr || idm_entry_parse_read(&pr->ldctl_value, out) < 0)
		rc = LDAP_PROTOCOL_ERROR; /* an answer we cannot trust */
out:
	ldap_controls_free(rctrls);
	ldap_control_free(ctrl);
	ber_free(ber, 1);
	return rc;
}

int idm_dir_modify_read(struct idm_dir *d, const char *dn, LDAPMod **mods, const char *const *attrs,
			struct idm_entry **out)
{
	int rc;

	*out = NULL;
	rc = write_op(d, &(struct write){ WRITE_MODIFY_READ, dn, mods, attrs, out });
	if (rc != LDAP_SUCCESS) {
		idm_entry_free(*out);
		*out = NULL;
		idm_logf(d->log, rc == LDAP_NO_SUCH_ATTRIBUTE ? LOG_DEBUG : LOG_ERR,
			 "modify %s: %s", dn, ldap_err2string(rc));
	}
	return idm_dir_map_rc(rc);
}

int idm_dir_server_time(struct idm_dir *d, const char *dn, const char *attr, time_t *now)
{
	static const char *const attrs[] = { "modifyTimestamp", NULL };
	char probe[64] = "idmgr-clock-probe#";
	struct idm_entry *e = NULL;
	struct idm_mods *m;
	const char *v;
	int r = idm_random_hex(probe + strlen(probe), 8);

	*now = 0;
	if (r < 0)
		return r;
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_ADD, attr, probe);
	idm_mods_add(m, LDAP_MOD_DELETE, attr, probe);
	r = idm_mods_array(m) ? idm_dir_modify_read(d, dn, idm_mods_array(m), attrs, &e)
			      : IDM_ENOMEM;
	idm_mods_free(m);
	if (r == IDM_OK) {
		v = idm_entry_first(e, "modifyTimestamp");
		if (!v || idm_time_parse(v, now) < 0)
			r = IDM_EINVAL; /* a reply we cannot trust */
	}
	idm_entry_free(e);
	return r;
}

int idm_dir_swap(struct idm_dir *d, const char *dn, const char *attr, const char *from,
		 const char *to)
{
	char *from_v[] = { (char *)from, NULL }, *to_v[] = { (char *)to, NULL };
	LDAPMod del = { .mod_op = LDAP_MOD_DELETE, .mod_type = (char *)attr, .mod_values = from_v };
	LDAPMod add = { .mod_op = LDAP_MOD_ADD, .mod_type = (char *)attr, .mod_values = to_v };
	LDAPMod *mods[] = { &del, &add, NULL };
	int r = idm_dir_modify(d, dn, mods);

	return r == IDM_ENOVALUE ? IDM_ESTATE : r; /* someone else moved it first */
}
