#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "idm_dir.h"
#include "idm_error.h"
#include "idm_mods.h"
#include "idm_random.h"
#include "idm_time.h"
#include "idm_secret.h"

struct idm_dir {
	const struct idm_config *cfg;
	const struct idm_log *log;
	LDAP *ld;
	size_t uri; /* index into cfg->ldap.uris of the server in use */
	char *dn, *password;
	int ppolicy; /* password policy error of the last bind, or -1 */
};

/* Result codes after which another server may answer. */
static bool server_gone(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR ||
	       rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY || rc == LDAP_TIMELIMIT_EXCEEDED;
}

static int map_rc(int rc)
{
	switch (rc) {
	case LDAP_SUCCESS: return IDM_OK;
	case LDAP_INVALID_CREDENTIALS: return IDM_EAUTH;
	case LDAP_NO_SUCH_OBJECT: return IDM_ENOENT;
	case LDAP_ALREADY_EXISTS: return IDM_EEXIST;
	case LDAP_INSUFFICIENT_ACCESS:
	case LDAP_INAPPROPRIATE_AUTH:
	case LDAP_UNWILLING_TO_PERFORM: return IDM_EDENIED;
	case LDAP_NO_MEMORY: return IDM_ENOMEM;
	case LDAP_NO_SUCH_ATTRIBUTE: return IDM_ENOVALUE;
	case LDAP_TYPE_OR_VALUE_EXISTS: return IDM_EEXIST;
	case LDAP_OBJECT_CLASS_VIOLATION:
	case LDAP_CONSTRAINT_VIOLATION:
	case LDAP_UNDEFINED_TYPE: return IDM_ESCHEMA;
	case LDAP_SIZELIMIT_EXCEEDED:
	case LDAP_ADMINLIMIT_EXCEEDED: return IDM_ELIMIT;
	default: return server_gone(rc) ? IDM_EUNAVAIL : IDM_EDIR;
	}
}

static void drop(struct idm_dir *d)
{
	if (d->ld)
		ldap_unbind_ext_s(d->ld, NULL, NULL);
	d->ld = NULL;
}

/* A simple bind that asks for the password-policy response control (a
 * server running the ppolicy overlay answers "success" to a bind with a
 * reset password and says "must change" only in that control). */
static int bind_with_ppolicy(struct idm_dir *d, LDAP *ld, struct berval *cred)
{
	struct timeval tv = { .tv_sec = d->cfg->ldap.timeout, .tv_usec = 0 };
	LDAPControl *req = NULL, *ctrls[2] = { NULL, NULL }, **rctrls = NULL, *pp;
	LDAPMessage *res = NULL;
	int rc, msgid, err = LDAP_OTHER;

	d->ppolicy = -1;
	rc = ldap_create_passwordpolicy_control(ld, &req);
	if (rc != LDAP_SUCCESS)
		return rc;
	ctrls[0] = req;
	rc = ldap_sasl_bind(ld, d->dn, LDAP_SASL_SIMPLE, cred, ctrls, NULL, &msgid);
	if (rc != LDAP_SUCCESS)
		goto out;
	rc = ldap_result(ld, msgid, LDAP_MSG_ALL, &tv, &res);
	if (rc <= 0) {
		rc = rc == 0 ? LDAP_TIMEOUT : LDAP_SERVER_DOWN;
		goto out;
	}
	rc = ldap_parse_result(ld, res, &err, NULL, NULL, NULL, &rctrls, 0);
	if (rc != LDAP_SUCCESS)
		goto out;
	rc = err;
	pp = ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, rctrls, NULL);
	if (pp) {
		ber_int_t expire = -1, grace = -1;
		LDAPPasswordPolicyError pperr = PP_noError;
		if (ldap_parse_passwordpolicy_control(ld, pp, &expire, &grace, &pperr) == LDAP_SUCCESS)
			d->ppolicy = pperr == PP_noError ? -1 : (int)pperr;
	}
out:
	ldap_controls_free(rctrls);
	ldap_msgfree(res);
	ldap_control_free(req);
	return rc;
}

/* Connects to URI number i and binds.  Returns an LDAP result code. */
static int connect_one(struct idm_dir *d, size_t i)
{
	const struct idm_config *cfg = d->cfg;
	struct timeval tv = { .tv_sec = cfg->ldap.timeout, .tv_usec = 0 };
	int version = LDAP_VERSION3, rc;
	struct berval cred = { 0, NULL };
	LDAP *ld = NULL;

	rc = ldap_initialize(&ld, cfg->ldap.uris[i]);
	if (rc != LDAP_SUCCESS)
		return rc;
	if ((rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON)))
		goto fail;
	if (*cfg->ldap.ca_file) {
		int require = LDAP_OPT_X_TLS_HARD, newctx = 0;
		if ((rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cfg->ldap.ca_file)) ||
		    (rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &require)) ||
		    (rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &newctx)))
			goto fail;
	}
	rc = ldap_connect(ld);
	if (rc != LDAP_SUCCESS)
		goto fail;
	if (cfg->ldap.starttls) {
		rc = ldap_start_tls_s(ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			idm_logf(d->log, LOG_ERR, "%s: StartTLS failed: %s", cfg->ldap.uris[i],
				 ldap_err2string(rc));
			/* A server refusing TLS is not an answer we may use. */
			rc = LDAP_CONNECT_ERROR;
			goto fail;
		}
	}
	if (d->dn) {
		cred.bv_val = d->password;
		cred.bv_len = strlen(d->password);
		rc = bind_with_ppolicy(d, ld, &cred);
		if (rc != LDAP_SUCCESS)
			goto fail;
	}
	d->ld = ld;
	d->uri = i;
	return LDAP_SUCCESS;
fail:
	ldap_unbind_ext_s(ld, NULL, NULL);
	return rc;
}

/* Tries the servers from number first on, wrapping once round the list. */
static int connect_from(struct idm_dir *d, size_t first)
{
	size_t n = d->cfg->ldap.n_uris;
	int rc = LDAP_SERVER_DOWN;

	drop(d);
	for (size_t k = 0; k < n; k++) {
		size_t i = (first + k) % n;
		rc = connect_one(d, i);
		if (rc == LDAP_SUCCESS)
			return rc;
		if (!server_gone(rc))
			return rc; /* a real answer, e.g. invalid credentials */
		idm_logf(d->log, LOG_WARNING, "%s: %s; trying the next server", d->cfg->ldap.uris[i],
			 ldap_err2string(rc));
	}
	return rc;
}

int idm_dir_open(const struct idm_config *cfg, const struct idm_log *log, const char *dn,
		 const char *password, struct idm_dir **out)
{
	return idm_dir_open_pp(cfg, log, dn, password, NULL, out);
}

int idm_dir_open_pp(const struct idm_config *cfg, const struct idm_log *log, const char *dn,
		    const char *password, int *ppolicy, struct idm_dir **out)
{
	struct idm_dir *d;
	int rc;

	*out = NULL;
	if (ppolicy)
		*ppolicy = -1;
	if (dn && (!password || !*password))
		return IDM_EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return IDM_ENOMEM;
	d->cfg = cfg;
	d->log = log;
	if (dn && (!(d->dn = strdup(dn)) || !(d->password = strdup(password)))) {
		idm_dir_close(d);
		return IDM_ENOMEM;
	}
	rc = connect_from(d, 0);
	if (ppolicy)
		*ppolicy = d->ppolicy;
	if (rc != LDAP_SUCCESS) {
		if (server_gone(rc))
			idm_logf(log, LOG_ERR, "no directory server answered (%zu tried)",
				 cfg->ldap.n_uris);
		idm_dir_close(d);
		return map_rc(rc);
	}
	*out = d;
	return IDM_OK;
}

int idm_dir_open_service(const struct idm_config *cfg, const struct idm_log *log,
			 struct idm_dir **out)
{
	char *secret = NULL;
	int r;

	*out = NULL;
	r = idm_secret_read(cfg->ldap.bind_password_file, log, &secret);
	if (r < 0)
		return r;
	r = idm_dir_open(cfg, log, cfg->ldap.bind_dn, secret, out);
	if (r == IDM_EAUTH) {
		idm_logf(log, LOG_ERR, "the service identity %s was refused by the directory",
			 cfg->ldap.bind_dn);
		r = IDM_ECONFIG;
	}
	idm_secret_free(secret);
	return r;
}

void idm_dir_close(struct idm_dir *d)
{
	if (!d)
		return;
	drop(d);
	idm_secret_free(d->password);
	free(d->dn);
	free(d);
}

const struct idm_log *idm_dir_log(const struct idm_dir *d)
{
	return d->log;
}

LDAP *idm_dir_ldap(struct idm_dir *d)
{
	return d->ld;
}

const char *idm_dir_uri(const struct idm_dir *d)
{
	return d->cfg->ldap.uris[d->uri];
}

/* Runs op; when the server is gone, reconnects to the following servers and
 * runs it again, at most once per server. */
#define WITH_FAILOVER(d, call)                                                               \
	do {                                                                                 \
		size_t tries_ = (d)->cfg->ldap.n_uris;                                       \
		for (;;) {                                                                   \
			rc = (d)->ld ? (call) : LDAP_SERVER_DOWN;                            \
			if (!server_gone(rc) || tries_-- <= 1)                               \
				break;                                                       \
			idm_logf((d)->log, LOG_WARNING, "%s: %s; trying the next server",    \
				 idm_dir_uri(d), ldap_err2string(rc));                       \
			rc = connect_from((d), (d)->uri + 1);                                \
			if (rc != LDAP_SUCCESS)                                              \
				break;                                                       \
		}                                                                            \
	} while (0)

int idm_dir_search(struct idm_dir *d, const char *base, int scope, const char *filter,
		   const char *const *attrs, int sizelimit, LDAPMessage **res)
{
	struct timeval tv = { .tv_sec = d->cfg->ldap.timeout, .tv_usec = 0 };
	int rc;

	*res = NULL;
	WITH_FAILOVER(d, (ldap_msgfree(*res), *res = NULL,
			  ldap_search_ext_s(d->ld, base, scope, filter, (char **)attrs, 0, NULL,
					    NULL, &tv, sizelimit, res)));
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT)
		idm_logf(d->log, LOG_ERR, "search %s %s: %s", base, filter, ldap_err2string(rc));
	return map_rc(rc);
}

static int search_page(struct idm_dir *d, const char *base, int scope, const char *filter,
		       const char *const *attrs, int page_size, struct berval *cookie,
		       LDAPMessage **res)
{
	struct timeval tv = { .tv_sec = d->cfg->ldap.timeout, .tv_usec = 0 };
	LDAPControl *ctrl = NULL, *ctrls[2] = { NULL, NULL };
	int rc;

	rc = ldap_create_page_control(d->ld, page_size, cookie->bv_val ? cookie : NULL, 1, &ctrl);
	if (rc != LDAP_SUCCESS)
		return rc;
	ctrls[0] = ctrl;
	rc = ldap_search_ext_s(d->ld, base, scope, filter, (char **)attrs, 0, ctrls, NULL, &tv, 0,
			       res);
	ldap_control_free(ctrl);
	return rc;
}

int idm_dir_search_paged(struct idm_dir *d, const char *base, int scope, const char *filter,
			 const char *const *attrs, int page_size, idm_dir_entry_fn each, void *ctx)
{
	struct berval cookie = { 0, NULL };
	int rc, r = IDM_OK;

	do {
		LDAPMessage *res = NULL, *e;
		LDAPControl **rctrls = NULL;
		int err = LDAP_SUCCESS;
		ber_int_t total;

		/* A page cookie belongs to one server: no failover in mid-search. */
		rc = d->ld ? search_page(d, base, scope, filter, attrs, page_size, &cookie, &res)
			   : LDAP_SERVER_DOWN;
		if (rc == LDAP_SUCCESS)
			rc = ldap_parse_result(d->ld, res, &err, NULL, NULL, NULL, &rctrls, 0);
		if (rc == LDAP_SUCCESS)
			rc = err;
		if (rc != LDAP_SUCCESS) {
			idm_logf(d->log, LOG_ERR, "paged search %s %s: %s", base, filter,
				 ldap_err2string(rc));
			r = map_rc(rc);
		}
		for (e = rc == LDAP_SUCCESS ? ldap_first_entry(d->ld, res) : NULL; e && r == IDM_OK;
		     e = ldap_next_entry(d->ld, e))
			r = each(ctx, d->ld, e);
		ber_memfree(cookie.bv_val);
		cookie.bv_val = NULL;
		cookie.bv_len = 0;
		if (r == IDM_OK && rctrls) {
			LDAPControl *pc = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL);
			if (!pc || ldap_parse_pageresponse_control(d->ld, pc, &total, &cookie) !=
					   LDAP_SUCCESS) {
				cookie.bv_val = NULL;
				cookie.bv_len = 0;
			}
		}
		ldap_controls_free(rctrls);
		ldap_msgfree(res);
	} while (r == IDM_OK && cookie.bv_val && cookie.bv_len > 0);
	ber_memfree(cookie.bv_val);
	return r;
}

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
		default:
			ok = false;
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
	int rc;

	for (;;) {
		rc = d->ld ? write_once(d, w) : LDAP_SERVER_DOWN;
		if (!server_gone(rc) || tries-- <= 1)
			break;
		uncertain = uncertain || (d->ld && rc != LDAP_CONNECT_ERROR);
		idm_logf(d->log, LOG_WARNING, "%s: %s; trying the next server", idm_dir_uri(d),
			 ldap_err2string(rc));
		rc = connect_from(d, d->uri + 1);
		if (rc != LDAP_SUCCESS)
			break;
	}
	if (uncertain && already_so(w->kind, rc) && write_in_place(d, w)) {
		idm_logf(d->log, LOG_NOTICE,
			 "%s: the server that failed had made this change already; not made twice",
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
	return map_rc(rc);
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
		idm_logf(d->log, LOG_ERR, "add %s: %s", dn, ldap_err2string(rc));
	return map_rc(rc);
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

	WITH_FAILOVER(d, modify_ctrls(d, dn, mods, ctrls, NULL, NULL));
	if (rc != LDAP_SUCCESS)
		idm_logf(d->log, LOG_ERR, "modify %s (relax): %s", dn, ldap_err2string(rc));
	return map_rc(rc);
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
	if (!d->ld)
		return IDM_EUNAVAIL;
	rc = ldap_create_passwordpolicy_control(d->ld, &req);
	if (rc != LDAP_SUCCESS)
		goto out;
	ctrls[0] = req;
	/* Sent once: a change that may have been applied is not repeated on
	 * another server (it would be refused as too young or reused). */
	rc = modify_ctrls(d, dn, mods, ctrls, &diag, &rctrls);
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
		idm_logf(d->log, LOG_NOTICE, "password change of %s refused: %s%s%s", dn,
			 ldap_err2string(rc), *pperr >= 0 ? ", " : "",
			 *pperr >= 0 ? ldap_passwordpolicy_err2txt((LDAPPasswordPolicyError)*pperr)
				     : "");
	ldap_memfree(diag);
	ldap_controls_free(rctrls);
	ldap_control_free(req);
	return map_rc(rc);
}

int idm_dir_delete(struct idm_dir *d, const char *dn)
{
	int rc = write_op(d, &(struct write){ WRITE_DELETE, dn, NULL, NULL, NULL });

	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT)
		idm_logf(d->log, LOG_ERR, "delete %s: %s", dn, ldap_err2string(rc));
	return map_rc(rc);
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

/* One modify with request controls, waited for within the timeout: the
 * server's result code, its message (*diag, ldap_memfree) and response
 * controls (*rctrls, ldap_controls_free), each NULL when not wanted. */
static int modify_ctrls(struct idm_dir *d, const char *dn, LDAPMod **mods, LDAPControl **ctrls,
			char **diag, LDAPControl ***rctrls)
{
	struct timeval tv = { .tv_sec = d->cfg->ldap.timeout, .tv_usec = 0 };
	LDAPMessage *res = NULL;
	int rc, msgid, err = LDAP_OTHER;

	rc = ldap_modify_ext(d->ld, dn, mods, ctrls, NULL, &msgid);
	if (rc != LDAP_SUCCESS)
		return rc;
	rc = ldap_result(d->ld, msgid, LDAP_MSG_ALL, &tv, &res);
	if (rc <= 0) {
		if (rc == 0)
			ldap_abandon_ext(d->ld, msgid, NULL, NULL);
		return rc == 0 ? LDAP_TIMEOUT : LDAP_SERVER_DOWN;
	}
	rc = ldap_parse_result(d->ld, res, &err, NULL, diag, NULL, rctrls, 1);
	return rc == LDAP_SUCCESS ? err : rc;
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

int idm_dir_modify_read(struct idm_dir *d, const char *dn, LDAPMod **mods,
			const char *const *attrs, struct idm_entry **out)
{
	int rc;

	*out = NULL;
	rc = write_op(d, &(struct write){ WRITE_MODIFY_READ, dn, mods, attrs, out });
	if (rc != LDAP_SUCCESS) {
		idm_entry_free(*out);
		*out = NULL;
		idm_logf(d->log, rc == LDAP_NO_SUCH_ATTRIBUTE ? LOG_DEBUG : LOG_ERR, "modify %s: %s",
			 dn, ldap_err2string(rc));
	}
	return map_rc(rc);
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
