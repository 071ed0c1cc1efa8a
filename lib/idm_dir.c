#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "idm_dir.h"
#include "idm_error.h"
#include "idm_secret.h"

struct idm_dir {
	const struct idm_config *cfg;
	const struct idm_log *log;
	LDAP *ld;
	size_t uri; /* index into cfg->ldap.uris of the server in use */
	char *dn, *password;
	int last_rc;
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
	default: return server_gone(rc) ? IDM_EUNAVAIL : IDM_EDIR;
	}
}

static void drop(struct idm_dir *d)
{
	if (d->ld)
		ldap_unbind_ext_s(d->ld, NULL, NULL);
	d->ld = NULL;
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
		rc = ldap_sasl_bind_s(ld, d->dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
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
	struct idm_dir *d;
	int rc;

	*out = NULL;
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
	d->last_rc = rc;
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

LDAP *idm_dir_ldap(struct idm_dir *d)
{
	return d->ld;
}

const char *idm_dir_uri(const struct idm_dir *d)
{
	return d->cfg->ldap.uris[d->uri];
}

int idm_dir_last_result(const struct idm_dir *d)
{
	return d->last_rc;
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
		(d)->last_rc = rc;                                                           \
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
		d->last_rc = rc;
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

int idm_dir_modify(struct idm_dir *d, const char *dn, LDAPMod **mods)
{
	int rc;

	WITH_FAILOVER(d, ldap_modify_ext_s(d->ld, dn, mods, NULL, NULL));
	if (rc != LDAP_SUCCESS)
		idm_logf(d->log, rc == LDAP_NO_SUCH_ATTRIBUTE ? LOG_DEBUG : LOG_ERR, "modify %s: %s",
			 dn, ldap_err2string(rc));
	return map_rc(rc);
}

int idm_dir_add(struct idm_dir *d, const char *dn, LDAPMod **mods)
{
	int rc;

	WITH_FAILOVER(d, ldap_add_ext_s(d->ld, dn, mods, NULL, NULL));
	if (rc != LDAP_SUCCESS && rc != LDAP_ALREADY_EXISTS)
		idm_logf(d->log, LOG_ERR, "add %s: %s", dn, ldap_err2string(rc));
	return map_rc(rc);
}

int idm_dir_delete(struct idm_dir *d, const char *dn)
{
	int rc;

	WITH_FAILOVER(d, ldap_delete_ext_s(d->ld, dn, NULL, NULL));
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

char *idm_entry_value(LDAP *ld, LDAPMessage *entry, const char *attr)
{
	struct berval **vals = ldap_get_values_len(ld, entry, attr);
	char *s = NULL;

	if (vals && vals[0] && !memchr(vals[0]->bv_val, '\0', vals[0]->bv_len)) {
		s = malloc(vals[0]->bv_len + 1);
		if (s) {
			memcpy(s, vals[0]->bv_val, vals[0]->bv_len);
			s[vals[0]->bv_len] = '\0';
		}
	}
	ldap_value_free_len(vals);
	return s;
}
