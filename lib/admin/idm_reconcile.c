#include "config.h"

#include <ctype.h>
#include <ldap.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_account.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_i18n.h"
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

#define SIDS_MAX 8 /* serverIDs one server is known by (a changed serverID) */

/* One server of ldap.uri and the serverIDs its own writes carry, as
 * learned from its log (docs/design.md, "Reconciling several servers"). */
struct server {
	const char *uri;
	struct idm_dir *d;
	bool opened; /* d opened here (else the caller's) */
	/* d's configuration: the caller's with uri alone (d keeps a pointer
	 * to it, so it lives as long as d) */
	struct idm_config alone;
	char *alone_uris[1];
	int sid[SIDS_MAX];
	size_t n_sid;
};

struct walk {
	struct idm_dir *d; /* the server being read: servers[at] */
	const struct idm_config *cfg;
	struct server *servers;
	size_t n_servers, at;
	int (*each)(void *ctx, const struct idm_unexplained *w);
	void *ctx;
	long checked;
	/* CSNs already named from a serverID no server owns (the same write
	 * in two logs): each named once */
	char **named;
	size_t n_named;
};

/* The serverID in a CSN ("YYYYmmddHHMMSS.uuuuuuZ#cnt#SID#mod", the SID in
 * hex), or -1. */
static int csn_sid(const char *csn)
{
	const char *p = csn ? strchr(csn, '#') : NULL;
	char *end;
	long sid;

	p = p ? strchr(p + 1, '#') : NULL;
	if (!p || !isxdigit((unsigned char)p[1]))
		return -1;
	sid = strtol(p + 1, &end, 16);
	return *end == '#' && sid >= 0 && sid <= 0xfff ? (int)sid : -1;
}

static bool has_sid(const struct server *s, int sid)
{
	for (size_t i = 0; i < s->n_sid; i++)
		if (s->sid[i] == sid)
			return true;
	return false;
}

static void add_sid(struct server *s, int sid)
{
	if (sid >= 0 && !has_sid(s, sid) && s->n_sid < SIDS_MAX)
		s->sid[s->n_sid++] = sid;
}

/* How many servers own sid; *at the last one. */
static size_t owners(const struct walk *w, int sid, size_t *at)
{
	size_t n = 0;

	for (size_t i = 0; sid >= 0 && i < w->n_servers; i++)
		if (has_sid(&w->servers[i], sid)) {
			*at = i;
			n++;
		}
	return n;
}

/* Which server a write of serverID sid was made on: the index of the one
 * that owns it; n_servers when none does, or more than one (then it is
 * judged wherever it is logged). */
static size_t owner(const struct walk *w, int sid)
{
	size_t at = 0;

	return owners(w, sid, &at) == 1 ? at : w->n_servers;
}

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
	char *csn = idm_entry_value(ld, e, "entryCSN");
	struct berval **mods = ldap_get_values_len(ld, e, "reqMod");
	char attrs[1024] = "";
	bool only_bookkeeping = true;
	/* what it did to ppolicy's lock and failures */
	bool lock_set = false, lock_del = false, fail_add = false, hand;
	size_t made_on = owner(w, csn_sid(csn));
	int r = IDM_OK;

	/* A write made on another server of ldap.uri is judged there, where
	 * its log names who made it; here it is logged as replication's. */
	if (made_on != w->n_servers && made_on != w->at)
		goto out;
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
	if (made_on == w->n_servers && w->n_servers > 1 && csn) {
		/* no server known to have made it: named where first logged */
		char **more;
		for (size_t i = 0; i < w->n_named; i++)
			if (strcmp(w->named[i], csn) == 0)
				goto out;
		more = realloc(w->named, (w->n_named + 1) * sizeof(*more));
		if (!more) {
			r = IDM_ENOMEM;
			goto out;
		}
		w->named = more;
		w->named[w->n_named++] = csn;
		csn = NULL;
	}
	{
		struct idm_unexplained u = { .time = start ? start : "",
					     .who = who ? who : "",
					     .type = type,
					     .dn = dn,
					     .attrs = attrs,
					     .server = w->servers[w->at].uri };
		r = w->each(w->ctx, &u);
	}
out:
	free(csn);
	ldap_value_free_len(mods);
	free(start);
	free(who);
	free(type);
	free(dn);
	return r;
}

static int learn_one(void *ctx, LDAP *ld, LDAPMessage *e)
{
	char *csn = idm_entry_value(ld, e, "entryCSN");

	add_sid(ctx, csn_sid(csn));
	free(csn);
	return IDM_OK;
}

static int first_one(void *ctx, LDAP *ld, LDAPMessage *e)
{
	learn_one(ctx, ld, e);
	return IDM_EEXIST; /* one is enough */
}

/* The serverIDs of s's own writes: those of the writes logged there by
 * idmgrd's or the hosts' identity, since when (NULL: all), else of the
 * first such write in its whole log.  (Replication logs every write it
 * brings as its own identity, the directory administrator's: a write
 * logged with any other identity was made on that server.) */
static int learn(struct walk *w, struct server *s, const char *when)
{
	static const char *const attrs[] = { "entryCSN", NULL };
	const struct idm_config *cfg = w->cfg;
	const char *svc = *cfg->service.bind_dn ? cfg->service.bind_dn : cfg->ldap.bind_dn;
	char *filter = NULL;
	int r = IDM_OK;

	if (when)
		r = idm_filter_fmt(&filter,
				   "(&(objectClass=auditWriteObject)(reqResult=0)(reqStart>=%s)"
				   "(|(reqAuthzID=%s)(reqAuthzID=%s)))",
				   when, svc, cfg->ldap.bind_dn);
	if (r == IDM_OK && filter)
		r = idm_dir_search_paged(s->d, cfg->service.accesslog_dn, LDAP_SCOPE_ONELEVEL,
					 filter, attrs, 500, learn_one, s);
	free(filter);
	filter = NULL;
	if (r == IDM_OK && s->n_sid == 0) {
		r = idm_filter_fmt(&filter,
				   "(&(objectClass=auditWriteObject)(reqResult=0)"
				   "(|(reqAuthzID=%s)(reqAuthzID=%s)))",
				   svc, cfg->ldap.bind_dn);
		/* since: none in the window, so one from before is enough */
		if (r == IDM_OK)
			r = idm_dir_search_paged(s->d, cfg->service.accesslog_dn,
						 LDAP_SCOPE_ONELEVEL, filter, attrs, when ? 1 : 500,
						 when ? first_one : learn_one, s);
		if (r == IDM_EEXIST)
			r = IDM_OK;
	}
	free(filter);
	return r;
}

/* One server whose own writes were not found (none through idmgrd's or
 * the hosts' identity: say only the directory administrator wrote there)
 * is known by elimination when exactly one serverID of the directory's
 * contextCSN (one value per server that ever wrote) is no other server's. */
static void eliminate(struct walk *w)
{
	static const char *const attrs[] = { "contextCSN", NULL };
	struct server *unknown = NULL;
	LDAPMessage *res = NULL, *e;
	struct berval **v = NULL;
	int found = -1;
	size_t at;

	for (size_t i = 0; i < w->n_servers; i++)
		if (w->servers[i].n_sid == 0) {
			if (unknown)
				return;
			unknown = &w->servers[i];
		}
	if (!unknown ||
	    idm_dir_search(unknown->d, w->cfg->ldap.base_dn, LDAP_SCOPE_BASE, "(objectClass=*)",
			   attrs, 1, &res) != IDM_OK ||
	    !(e = ldap_first_entry(idm_dir_ldap(unknown->d), res)))
		goto out;
	v = ldap_get_values_len(idm_dir_ldap(unknown->d), e, "contextCSN");
	for (int i = 0; v && v[i]; i++) {
		char csn[80];
		int sid;
		snprintf(csn, sizeof(csn), "%.*s", (int)v[i]->bv_len, v[i]->bv_val);
		sid = csn_sid(csn);
		if (sid < 0 || owners(w, sid, &at) > 0)
			continue;
		if (found >= 0 && found != sid)
			goto out; /* two candidates: not known */
		found = sid;
	}
	add_sid(unknown, found);
out:
	ldap_value_free_len(v);
	ldap_msgfree(res);
}

/* s->d: a connection as idmgrd to s->uri alone (d when that is d's
 * server, d NULL: none to reuse). */
static int connect_to(struct walk *w, struct idm_dir *d, const struct idm_log *log, struct server *s)
{
	if (d && idm_config_same_uri(s->uri, idm_dir_uri(d))) {
		s->d = d;
		return IDM_OK;
	}
	s->alone = *w->cfg;
	s->alone_uris[0] = (char *)s->uri;
	s->alone.ldap.uris = s->alone_uris;
	s->alone.ldap.n_uris = 1;
	s->alone.ldap.servers = NULL;
	s->alone.ldap.n_servers = 0;
	s->alone.ldap.health = NULL;
	s->opened = true;
	return idm_dir_open_identity(&s->alone, log, w->cfg->service.bind_dn,
				     w->cfg->service.bind_password_file, &s->d);
}

int idm_reconcile(struct idm_dir *d, const struct idm_config *cfg, time_t since,
		  int (*each)(void *ctx, const struct idm_unexplained *w), void *ctx, long *checked)
{
	static const char *const attrs[] = { "reqStart", "reqAuthzID", "reqType", "reqDN",
					     "reqMod",   "entryCSN",   NULL };
	char *const *uris = cfg->ldap.servers ? cfg->ldap.servers : cfg->ldap.uris;
	struct walk w = { .cfg = cfg,
			  .each = each,
			  .ctx = ctx,
			  .n_servers = cfg->ldap.servers ? cfg->ldap.n_servers : cfg->ldap.n_uris };
	const struct idm_log *log = idm_dir_log(d);
	char *filter = NULL, when[IDM_GENTIME_LEN];
	const char *failed = NULL; /* the server whose log was not read */
	struct idm_dir *reuse = d;
	int r;

	if (checked)
		*checked = 0;
	idm_time_format(since, when);
	w.servers = calloc(w.n_servers ? w.n_servers : 1, sizeof(*w.servers));
	r = w.servers ? IDM_OK : IDM_ENOMEM;
	for (size_t i = 0; r == IDM_OK && i < w.n_servers; i++) {
		struct server *s = &w.servers[i];
		s->uri = uris[i];
		r = connect_to(&w, reuse, log, s);
		if (s->d == reuse)
			reuse = NULL;
		if (r == IDM_OK)
			r = learn(&w, s, since > 0 ? when : NULL);
		if (r < 0)
			failed = s->uri;
	}
	if (r == IDM_OK && w.n_servers > 1)
		eliminate(&w);
	if (r == IDM_OK)
		r = since > 0 ? idm_filter_fmt(&filter,
					       "(&(objectClass=auditWriteObject)(reqResult=0)"
					       "(reqStart>=%s))",
					       when)
			      : idm_filter_fmt(&filter,
					       "(&(objectClass=auditWriteObject)(reqResult=0))");
	for (size_t i = 0; r == IDM_OK && i < w.n_servers; i++) {
		w.at = i;
		w.d = w.servers[i].d;
		r = idm_dir_search_paged(w.d, cfg->service.accesslog_dn, LDAP_SCOPE_ONELEVEL,
					 filter, attrs, 500, one, &w);
		if (r < 0)
			failed = w.servers[i].uri;
	}
	if (r == IDM_ENOENT) { /* the deployment's to fix, not a missing entry */
		idm_logf(log, LOG_ERR,
			 N_("audit reconcile: %s: %s: no accesslog this identity may read "
			    "(slapd-accesslog.conf): not reconciled"),
			 failed, cfg->service.accesslog_dn);
		r = IDM_ECONFIG;
	} else if (r < 0 && failed)
		idm_logf(log, LOG_ERR,
			 N_("audit reconcile: %s: its log of writes was not read (%s): not "
			    "reconciled"),
			 failed, idm_strerror(r));
	if (checked)
		*checked = r == IDM_OK ? w.checked : 0;
	for (size_t i = 0; w.servers && i < w.n_servers; i++)
		if (w.servers[i].opened)
			idm_dir_close(w.servers[i].d);
	for (size_t i = 0; i < w.n_named; i++)
		free(w.named[i]);
	free(w.named);
	free(w.servers);
	free(filter);
	return r;
}
