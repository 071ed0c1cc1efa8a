#include "config.h"

#include <ldap.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_account.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_reconcile.h"
#include "idm_time.h"
#include "idm_i18n.h"

/* What slapd itself writes (ppolicy, lastbind) and the server-set
 * attributes every write carries. */
static const char *const bookkeeping[] = {
	"pwdFailureTime",  "pwdAccountLockedTime",  "pwdChangedTime", "pwdGraceUseTime",
	"pwdLastSuccess",  "authTimestamp",         "entryCSN",       "modifiersName",
	"modifyTimestamp", "structuralObjectClass", "entryUUID",      "creatorsName",
	"createTimestamp",
};

static bool is_bookkeeping(const char *attr, size_t len)
{
	for (size_t i = 0; i < sizeof(bookkeeping) / sizeof(bookkeeping[0]); i++)
		if (strlen(bookkeeping[i]) == len && strncasecmp(bookkeeping[i], attr, len) == 0)
			return true;
	return false;
}

struct walk {
	struct idm_dir *d;
	const struct idm_config *cfg;
	int (*each)(void *ctx, const struct idm_unexplained *w);
	void *ctx;
	long checked;
};

/* "uid=x,ou=people,..." is at or below base (case-insensitive suffix at a
 * comma). */
static bool under(const char *dn, const char *base)
{
	size_t n = strlen(dn), b = strlen(base);

	return n >= b && strcasecmp(dn + n - b, base) == 0 && (n == b || dn[n - b - 1] == ',');
}

/* The time of the last lock of dn logged before start (0: none): the
 * value of pwdAccountLockedTime its write set. */
static time_t last_lock(struct walk *w, const char *dn, const char *start)
{
	static const char *const attrs[] = { "reqMod", NULL };
	static const char prefix[] = "pwdAccountLockedTime:";
	LDAPMessage *res = NULL, *e;
	LDAP *ld = idm_dir_ldap(w->d);
	char *filter = NULL;
	time_t when = 0;

	if (idm_filter_fmt(&filter,
			   "(&(objectClass=auditWriteObject)(reqResult=0)(reqDN=%s)(reqStart<=%s))",
			   dn, start) == IDM_OK &&
	    idm_dir_search(w->d, w->cfg->service.accesslog_dn, LDAP_SCOPE_ONELEVEL, filter, attrs,
			   0, &res) == IDM_OK)
		for (e = ldap_first_entry(ld, res); e; e = ldap_next_entry(ld, e)) {
			struct berval **v = ldap_get_values_len(ld, e, "reqMod");
			for (int i = 0; v && v[i]; i++) {
				time_t t;
				char value[32];
				const char *p = v[i]->bv_val;
				if (v[i]->bv_len < sizeof(prefix) + 2 ||
				    strncasecmp(p, prefix, sizeof(prefix) - 1) != 0 ||
				    p[sizeof(prefix) - 1] == '-')
					continue;
				snprintf(value, sizeof(value), "%.*s",
					 (int)(v[i]->bv_len - sizeof(prefix) - 1),
					 p + sizeof(prefix) + 1);
				if (idm_time_parse(value, &t) == IDM_OK && t > when)
					when = t;
			}
			ldap_value_free_len(v);
		}
	ldap_msgfree(res);
	free(filter);
	return when;
}

/* ppolicy removes a lock itself only when a bind succeeds after the lock
 * ran out: under a policy with a lockout_duration, that long after the
 * lock it set.  (slapd adds the removal of the failures to anyone's
 * unlock, so the shape of the write does not tell; the time does.)  A
 * policy with no duration never unlocks by itself: any unlock is by hand. */
static bool ppolicy_unlock(struct walk *w, const char *dn, const char *start)
{
	static const char *const attrs[] = { "idmPolicy", "idmPrivileged", NULL };
	const struct idm_policy *p = NULL;
	LDAPMessage *res = NULL, *e;
	LDAP *ld = idm_dir_ldap(w->d);
	time_t at, locked;

	if (idm_dir_search(w->d, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res) == IDM_OK &&
	    (e = ldap_first_entry(ld, res)) != NULL) {
		char *policy = idm_entry_value(ld, e, "idmPolicy"),
		     *priv = idm_entry_value(ld, e, "idmPrivileged");
		p = idm_config_policy(w->cfg, policy                                  ? policy
					      : priv && strcasecmp(priv, "TRUE") == 0 ? "privileged"
										      : "standard");
		free(policy);
		free(priv);
	}
	ldap_msgfree(res);
	if (!p || p->lockout_duration <= 0 || idm_time_parse(start, &at) < 0)
		return false;
	locked = last_lock(w, dn, start);
	return locked > 0 && at >= locked + p->lockout_duration;
}

static int one(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct walk *w = ctx;
	char *start = idm_entry_value(ld, e, "reqStart"),
	     *who = idm_entry_value(ld, e, "reqAuthzID");
	char *type = idm_entry_value(ld, e, "reqType"), *dn = idm_entry_value(ld, e, "reqDN");
	struct berval **mods = ldap_get_values_len(ld, e, "reqMod");
	char attrs[1024] = "";
	bool only_bookkeeping = true;
	/* what it did to ppolicy's lock and failures */
	bool lock_set = false, lock_del = false, fail_add = false, hand;
	int r = IDM_OK;

	w->checked++;
	if (who && strncasecmp(who, "dn:", 3) == 0)
		memmove(who, who + 3, strlen(who + 3) + 1);
	for (int i = 0; mods && mods[i]; i++) {
		const char *v = mods[i]->bv_val, *colon = memchr(v, ':', mods[i]->bv_len);
		size_t len = colon ? (size_t)(colon - v) : mods[i]->bv_len;
		char op = colon && (size_t)(colon - v) + 1 < mods[i]->bv_len ? colon[1] : '?';
		if (len == 20 && strncasecmp(v, "pwdAccountLockedTime", len) == 0) {
			lock_del |= op == '-';
			lock_set |= op != '-';
		}
		if (len == 14 && strncasecmp(v, "pwdFailureTime", len) == 0)
			fail_add |= op != '-';
		if (is_bookkeeping(v, len))
			continue;
		only_bookkeeping = false;
		/* each attribute once, names only */
		if (strlen(attrs) + len + 2 < sizeof(attrs)) {
			char name[128];
			snprintf(name, sizeof(name), "%.*s", (int)(len < 127 ? len : 127), v);
			if (!strstr(attrs, name)) {
				if (*attrs)
					strcat(attrs, ",");
				strcat(attrs, name);
			}
		}
	}
	if (!dn || !type || !under(dn, w->cfg->ldap.base_dn))
		goto out; /* not the directory idmgr protects */
	if (who && *w->cfg->service.bind_dn && strcasecmp(who, w->cfg->service.bind_dn) == 0)
		goto out; /* idmgrd: an audited action */
	if (who && strcasecmp(who, w->cfg->ldap.bind_dn) == 0 && under(dn, w->cfg->ldap.people_dn))
		goto out; /* the hosts' login records */
	if (who && strcasecmp(who, dn) == 0)
		goto out; /* a user's own password change */
	/* ppolicy's own lock comes with the failure that made it; its unlock,
	 * in its time only */
	hand = (lock_set && !fail_add) || (lock_del && !ppolicy_unlock(w, dn, start ? start : ""));
	if (strcmp(type, "modify") == 0 && mods && only_bookkeeping && !hand)
		goto out; /* slapd's own (ppolicy, lastbind) */
	if (hand)
		snprintf(attrs + strlen(attrs), sizeof(attrs) - strlen(attrs), "%s%s",
			 *attrs ? "," : "", "pwdAccountLockedTime");
	{
		struct idm_unexplained u = { .time = start ? start : "",
					     .who = who ? who : "",
					     .type = type,
					     .dn = dn,
					     .attrs = attrs };
		r = w->each(w->ctx, &u);
	}
out:
	ldap_value_free_len(mods);
	free(start);
	free(who);
	free(type);
	free(dn);
	return r;
}

int idm_reconcile(struct idm_dir *d, const struct idm_config *cfg, time_t since,
		  int (*each)(void *ctx, const struct idm_unexplained *w), void *ctx, long *checked)
{
	static const char *const attrs[] = { "reqStart", "reqAuthzID", "reqType",
					     "reqDN",    "reqMod",     NULL };
	struct walk w = { .d = d, .cfg = cfg, .each = each, .ctx = ctx };
	char *filter = NULL, when[IDM_GENTIME_LEN];
	int r;

	if (checked)
		*checked = 0;
	idm_time_format(since, when);
	r = since > 0
		    ? idm_filter_fmt(&filter,
				     "(&(objectClass=auditWriteObject)(reqResult=0)(reqStart>=%s))",
				     when)
		    : idm_filter_fmt(&filter, "(&(objectClass=auditWriteObject)(reqResult=0))");
	if (r == IDM_OK)
		r = idm_dir_search_paged(d, cfg->service.accesslog_dn, LDAP_SCOPE_ONELEVEL, filter,
					 attrs, 500, one, &w);
	if (r == IDM_ENOENT)
		idm_logf(idm_dir_log(d), LOG_ERR,
			 N_("%s: no accesslog this identity may read (slapd-accesslog.conf)"),
			 cfg->service.accesslog_dn);
	if (checked)
		*checked = w.checked;
	free(filter);
	return r;
}
