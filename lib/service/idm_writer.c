#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idm_error.h"
#include "idm_escape.h"
#include "idm_mods.h"
#include "idm_time.h"
#include "idm_writer.h"

struct idm_writer {
	const struct idm_log *log;
	char *dn;
	char value[300]; /* what this process wrote last */
	char host[256];
};

static void lease_value(struct idm_writer *w, char *buf, size_t size)
{
	char until[IDM_GENTIME_LEN];

	idm_time_format(time(NULL) + IDM_WRITER_LEASE, until);
	snprintf(buf, size, "%s %ld %s", w->host, (long)getpid(), until);
}

static int swap(struct idm_dir *d, const char *dn, const char *old, const char *new)
{
	return idm_dir_swap(d, dn, "description", old, new);
}

/* May the lease held as value be taken over now? */
static bool takeable(const struct idm_writer *w, const char *value)
{
	char host[256], until[32];
	long pid;
	time_t t;

	if (sscanf(value, "%255s %ld %31s", host, &pid, until) != 3 || idm_time_parse(until, &t) < 0)
		return true; /* not a lease anyone can hold */
	if (t < time(NULL))
		return true; /* expired */
	/* left by a process of this host that is gone (killed, crashed) */
	return strcmp(host, w->host) == 0 && pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

int idm_writer_claim(struct idm_dir *d, const struct idm_config *cfg, const struct idm_log *log,
		     struct idm_writer **out)
{
	static const char *const attrs[] = { "description", NULL };
	struct idm_writer *w = calloc(1, sizeof(*w));
	struct idm_mods *m = NULL;
	LDAPMessage *res = NULL;
	char *held = NULL;
	int r;

	*out = NULL;
	if (!w)
		return IDM_ENOMEM;
	w->log = log;
	if (gethostname(w->host, sizeof(w->host) - 1) < 0 || !*w->host)
		strcpy(w->host, "localhost");
	for (char *p = w->host; *p; p++)
		if (*p == ' ')
			*p = '_';
	r = idm_dn_child(&w->dn, "cn", "writer", cfg->ldap.idmgr_dn);
	if (r < 0)
		goto out;
	lease_value(w, w->value, sizeof(w->value));
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "applicationProcess");
	idm_mods_add(m, LDAP_MOD_ADD, "cn", "writer");
	idm_mods_add(m, LDAP_MOD_ADD, "description", w->value);
	r = idm_mods_array(m) ? idm_dir_add(d, w->dn, idm_mods_array(m)) : IDM_ENOMEM;
	if (r != IDM_EEXIST)
		goto out;
	r = idm_dir_search(d, w->dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res);
	if (r == IDM_OK && ldap_first_entry(idm_dir_ldap(d), res))
		held = idm_entry_value(idm_dir_ldap(d), ldap_first_entry(idm_dir_ldap(d), res),
				       "description");
	if (r < 0)
		goto out;
	if (held && !takeable(w, held)) {
		idm_logf(log, LOG_ERR,
			 "%s: another idmgrd is the writer (\"%s\": host, pid, lease until); one "
			 "instance writes (idmgrd(8))",
			 w->dn, held);
		r = IDM_EEXIST;
		goto out;
	}
	r = held ? swap(d, w->dn, held, w->value) : IDM_ESTATE;
	if (r == IDM_ESTATE) {
		idm_logf(log, LOG_ERR, "%s: another idmgrd took the writer's lease first", w->dn);
		r = IDM_EEXIST;
	} else if (r == IDM_OK) {
		idm_logf(log, LOG_NOTICE, "%s: took over the writer's lease \"%s\"", w->dn, held);
	}
out:
	idm_mods_free(m);
	ldap_msgfree(res);
	free(held);
	if (r == IDM_OK) {
		*out = w;
	} else {
		free(w->dn);
		free(w);
	}
	return r;
}

int idm_writer_renew(struct idm_writer *w, struct idm_dir *d)
{
	char next[sizeof(w->value)];
	int r;

	lease_value(w, next, sizeof(next));
	r = swap(d, w->dn, w->value, next);
	if (r == IDM_OK)
		memcpy(w->value, next, sizeof(next));
	else if (r == IDM_ESTATE)
		idm_logf(w->log, LOG_ERR, "%s: the writer's lease was taken by another idmgrd",
			 w->dn);
	return r;
}

void idm_writer_release(struct idm_writer *w, struct idm_dir *d)
{
	if (!w)
		return;
	if (d && swap(d, w->dn, w->value, "released") == IDM_OK)
		idm_dir_delete(d, w->dn);
	free(w->dn);
	free(w);
}
