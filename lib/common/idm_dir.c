#include "config.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "idm_dir.h"
#include "idm_dir_conn.h"
#include "idm_dir_health.h"
#include "idm_error.h"
#include "idm_secret.h"
#include "idm_i18n.h"

/* Result codes after which another server may answer. */
bool idm_dir_server_gone(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR ||
	       rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY || rc == LDAP_TIMELIMIT_EXCEEDED;
}

bool idm_dir_read_only(struct idm_dir *d, int rc)
{
	char *diag = NULL;
	bool shadow = false;

	if (rc == LDAP_REFERRAL)
		return true;
	if (rc != LDAP_UNWILLING_TO_PERFORM || !d->ld)
		return false;
	if (ldap_get_option(d->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag) == LDAP_OPT_SUCCESS && diag)
		shadow = strstr(diag, "shadow context") != NULL;
	ldap_memfree(diag);
	return shadow;
}

int idm_dir_map_rc(int rc)
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
	default: return idm_dir_server_gone(rc) ? IDM_EUNAVAIL : IDM_EDIR;
	}
}

static const char *fence_dn;
static idm_dir_fence_fn fence_fn;
static void *fence_ctx;

void idm_dir_set_fence(const char *dn, idm_dir_fence_fn fn, void *ctx)
{
	fence_dn = dn;
	fence_fn = fn;
	fence_ctx = ctx;
}

void idm_dir_unfence(struct idm_dir *d)
{
	d->unfenced = true;
}

int idm_dir_fence(struct idm_dir *d)
{
	if (!fence_fn || d->unfenced || !d->dn || strcasecmp(d->dn, fence_dn) != 0)
		return LDAP_SUCCESS;
	return fence_fn(d, fence_ctx) == IDM_OK ? LDAP_SUCCESS : LDAP_UNAVAILABLE;
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
		if (ldap_parse_passwordpolicy_control(ld, pp, &expire, &grace, &pperr) ==
		    LDAP_SUCCESS)
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
			idm_logf(d->log, LOG_ERR, N_("%s: StartTLS failed: %s"), cfg->ldap.uris[i],
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

void idm_dir_server_failed(struct idm_dir *d)
{
	idm_dir_health_mark(d->cfg->ldap.health, d->cfg->ldap.uris[d->uri], true, time(NULL));
}

/* Tries the servers from number first on, wrapping once round the list:
 * first those not marked down, then the marked ones (a mark changes the
 * order only: a login waits for a hung server once, not once for every
 * connection it opens). */
int idm_dir_connect_from(struct idm_dir *d, size_t first)
{
	struct idm_dir_health *h = d->cfg->ldap.health;
	size_t n = d->cfg->ldap.n_uris;
	time_t now = time(NULL);
	/* marked down before this call (a server failing now is not tried
	 * twice); no memory: every server in order, unmarked */
	bool *down = h ? calloc(n ? n : 1, sizeof(bool)) : NULL;
	int rc = LDAP_SERVER_DOWN;

	drop(d);
	for (size_t i = 0; down && i < n; i++)
		down[i] = idm_dir_health_down(h, d->cfg->ldap.uris[i], now);
	for (int marked = 0; marked < (down ? 2 : 1); marked++) {
		for (size_t k = 0; k < n; k++) {
			size_t i = (first + k) % n;
			const char *uri = d->cfg->ldap.uris[i];

			if (down && down[i] != (marked == 1))
				continue;
			rc = connect_one(d, i);
			if (rc == LDAP_SUCCESS || !idm_dir_server_gone(rc)) {
				/* an answer, even "invalid credentials" */
				idm_dir_health_mark(h, uri, false, now);
				goto out;
			}
			idm_dir_health_mark(h, uri, true, time(NULL));
			idm_logf(d->log, LOG_WARNING, N_("%s: %s; trying the next server"), uri,
				 ldap_err2string(rc));
		}
	}
out:
	free(down);
	return rc;
}

int idm_dir_open(const struct idm_config *cfg, const struct idm_log *log, const char *dn,
		 const char *password, struct idm_dir **out)
{
	return idm_dir_open_pp(cfg, log, dn, password, NULL, out);
}

static int open_from(const struct idm_config *cfg, const struct idm_log *log, const char *dn,
		     const char *password, int *ppolicy, size_t first, struct idm_dir **out)
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
	rc = idm_dir_connect_from(d, first);
	if (ppolicy)
		*ppolicy = d->ppolicy;
	if (rc != LDAP_SUCCESS) {
		if (idm_dir_server_gone(rc))
			idm_logf(log, LOG_ERR, N_("no directory server answered (%zu tried)"),
				 cfg->ldap.n_uris);
		idm_dir_close(d);
		return idm_dir_map_rc(rc);
	}
	*out = d;
	return IDM_OK;
}

int idm_dir_open_pp(const struct idm_config *cfg, const struct idm_log *log, const char *dn,
		    const char *password, int *ppolicy, struct idm_dir **out)
{
	return open_from(cfg, log, dn, password, ppolicy, 0, out);
}

int idm_dir_open_near(const struct idm_dir *near, const struct idm_config *cfg,
		      const struct idm_log *log, const char *dn, const char *password, int *ppolicy,
		      struct idm_dir **out)
{
	return open_from(cfg, log, dn, password, ppolicy, near && near->ld ? near->uri : 0, out);
}

int idm_dir_open_identity(const struct idm_config *cfg, const struct idm_log *log, const char *dn,
			  const char *secret_file, struct idm_dir **out)
{
	char *secret = NULL;
	int r;

	*out = NULL;
	r = idm_secret_read(secret_file, log, &secret);
	if (r < 0)
		return r;
	r = idm_dir_open(cfg, log, dn, secret, out);
	if (r == IDM_EAUTH) {
		idm_logf(log, LOG_ERR, N_("the service identity %s was refused by the directory"),
			 dn);
		r = IDM_ECONFIG;
	}
	idm_secret_free(secret);
	return r;
}

int idm_dir_open_service(const struct idm_config *cfg, const struct idm_log *log,
			 struct idm_dir **out)
{
	return idm_dir_open_identity(cfg, log, cfg->ldap.bind_dn, cfg->ldap.bind_password_file, out);
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

void idm_dir_set_log(struct idm_dir *d, const struct idm_log *log)
{
	d->log = log;
}

bool idm_dir_idle_ok(struct idm_dir *d)
{
	struct pollfd p = { .fd = -1, .events = POLLIN };

	if (!d->ld || ldap_get_option(d->ld, LDAP_OPT_DESC, &p.fd) != LDAP_OPT_SUCCESS || p.fd < 0)
		return false;
	/* nothing is owed on an idle connection: anything readable is the
	 * server's notice of disconnection or its end of file */
	return poll(&p, 1, 0) == 0;
}

LDAP *idm_dir_ldap(struct idm_dir *d)
{
	return d->ld;
}

const char *idm_dir_uri(const struct idm_dir *d)
{
	return d->cfg->ldap.uris[d->uri];
}

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
		idm_logf(d->log, LOG_ERR, N_("search %s %s: %s"), base, filter, ldap_err2string(rc));
	return idm_dir_map_rc(rc);
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
			idm_logf(d->log, LOG_ERR, N_("paged search %s %s: %s"), base, filter,
				 ldap_err2string(rc));
			r = idm_dir_map_rc(rc);
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
