#include "config.h"

#include <ldap.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_error.h"
#include "idm_escape.h"
#include "idm_reconcile.h"
#include "idm_time.h"

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

static int one(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct walk *w = ctx;
	char *start = idm_entry_value(ld, e, "reqStart"),
	     *who = idm_entry_value(ld, e, "reqAuthzID");
	char *type = idm_entry_value(ld, e, "reqType"), *dn = idm_entry_value(ld, e, "reqDN");
	struct berval **mods = ldap_get_values_len(ld, e, "reqMod");
	char attrs[1024] = "";
	bool only_bookkeeping = true;
	int r = IDM_OK;

	w->checked++;
	if (who && strncasecmp(who, "dn:", 3) == 0)
		memmove(who, who + 3, strlen(who + 3) + 1);
	for (int i = 0; mods && mods[i]; i++) {
		const char *v = mods[i]->bv_val, *colon = memchr(v, ':', mods[i]->bv_len);
		size_t len = colon ? (size_t)(colon - v) : mods[i]->bv_len;
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
	if (strcmp(type, "modify") == 0 && mods && only_bookkeeping)
		goto out; /* slapd's own (ppolicy, lastbind) */
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
	struct walk w = { .cfg = cfg, .each = each, .ctx = ctx };
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
			 "%s: no accesslog this identity may read (slapd-accesslog.conf)",
			 cfg->service.accesslog_dn);
	if (checked)
		*checked = w.checked;
	free(filter);
	return r;
}
