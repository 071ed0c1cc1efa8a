#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "idm_error.h"
#include "idm_escape.h"
#include "idm_mods.h"
#include "idm_time.h"
#include "idm_writer.h"
#include "idm_i18n.h"

#define VALUE_MAX 320

struct idm_writer {
	const struct idm_log *log;
	char *dn;
	char host[256];
	long lease; /* seconds */
	pthread_mutex_t mu;
	unsigned long serial;
	bool held;
	int last;              /* the last step's result */
	char value[VALUE_MAX]; /* held: what this process wrote last */
	char next[VALUE_MAX];  /* held: the renewal in flight ("" when none) */
	double until;          /* held: may write while now() < until */
	char seen[VALUE_MAX];  /* not held: the holder's value as last read */
	double seen_since;     /* ... unchanged since then */
};

/* Seconds on a clock that no one sets and that runs on while the process
 * is stopped or the machine sleeps. */
static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_BOOTTIME, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int idm_writer_new(const struct idm_config *cfg, const struct idm_log *log, struct idm_writer **out)
{
	struct idm_writer *w = calloc(1, sizeof(*w));
	int r;

	*out = NULL;
	if (!w)
		return IDM_ENOMEM;
	w->log = log;
	w->lease = cfg->service.writer_lease > 0 ? cfg->service.writer_lease : 30;
	w->last = IDM_EUNAVAIL;
	if (gethostname(w->host, sizeof(w->host) - 1) < 0 || !*w->host)
		strcpy(w->host, "localhost");
	for (char *p = w->host; *p; p++)
		if (*p == ' ')
			*p = '_';
	r = idm_dn_child(&w->dn, "cn", "writer", cfg->ldap.idmgr_dn);
	if (r < 0) {
		free(w);
		return r;
	}
	pthread_mutex_init(&w->mu, NULL);
	*out = w;
	return IDM_OK;
}

void idm_writer_free(struct idm_writer *w)
{
	if (!w)
		return;
	pthread_mutex_destroy(&w->mu);
	free(w->dn);
	free(w);
}

long idm_writer_period(const struct idm_writer *w)
{
	return w->lease / 3 > 0 ? w->lease / 3 : 1;
}

static void lease_value(struct idm_writer *w, char *buf, size_t size)
{
	char until[IDM_GENTIME_LEN];

	idm_time_format(time(NULL) + w->lease, until);
	snprintf(buf, size, "%s %ld %s %lu %ld", w->host, (long)getpid(), until, ++w->serial,
		 w->lease);
}

static int swap(struct idm_dir *d, const char *dn, const char *old, const char *new)
{
	return idm_dir_swap(d, dn, "description", old, new);
}

/* The lease's value on d (*value malloc'ed; NULL when the entry has none). */
static int read_value(struct idm_writer *w, struct idm_dir *d, char **value)
{
	static const char *const attrs[] = { "description", NULL };
	LDAPMessage *res = NULL, *e;
	int r = idm_dir_search(d, w->dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res);

	*value = NULL;
	if (r == IDM_OK && (e = ldap_first_entry(idm_dir_ldap(d), res)))
		*value = idm_entry_value(idm_dir_ldap(d), e, "description");
	else if (r == IDM_OK)
		r = IDM_ENOENT;
	ldap_msgfree(res);
	return r;
}

/* Is process pid of this host gone?  A zombie counts as gone: where PID 1
 * does not reap orphans, kill(pid, 0) still succeeds on a dead idmgrd. */
static bool gone(long pid)
{
	char path[64], stat[512], *p;
	FILE *f;
	size_t n;

	if (kill((pid_t)pid, 0) < 0)
		return errno == ESRCH;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = '\0';
	p = strrchr(stat, ')');
	return p && (p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

/* May the lease held as value be taken over now?  Called with w->mu. */
static bool takeable(struct idm_writer *w, const char *value, double t)
{
	char host[256], until[32];
	unsigned long serial;
	long pid, lease = 0;

	if (strcmp(value, w->seen) != 0) { /* renewed (or new) since last seen */
		snprintf(w->seen, sizeof(w->seen), "%s", value);
		w->seen_since = t;
	}
	if (sscanf(value, "%255s %ld %31s", host, &pid, until) != 3)
		return true; /* "released", or not a lease anyone can hold */
	/* the holder's lease, when it says (instances configured apart) */
	if (sscanf(value, "%*s %*d %*s %lu %ld", &serial, &lease) != 2 || lease < w->lease)
		lease = w->lease;
	if (t - w->seen_since >= (double)lease)
		return true; /* not renewed for a whole lease: its holder stopped */
	/* left by a process of this host that is gone (killed, crashed) */
	return strcmp(host, w->host) == 0 && pid > 0 && pid != (long)getpid() && gone(pid);
}

/* Not held: claim it (an add), or take it over. */
static int claim(struct idm_writer *w, struct idm_dir *d, double t0)
{
	struct idm_mods *m = idm_mods_new();
	char mine[VALUE_MAX], *held = NULL;
	int r;

	pthread_mutex_lock(&w->mu);
	lease_value(w, mine, sizeof(mine));
	pthread_mutex_unlock(&w->mu);
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "applicationProcess");
	idm_mods_add(m, LDAP_MOD_ADD, "cn", "writer");
	idm_mods_add(m, LDAP_MOD_ADD, "description", mine);
	r = idm_dir_apply_add(d, w->dn, m);
	if (r == IDM_EEXIST) {
		r = read_value(w, d, &held);
		pthread_mutex_lock(&w->mu);
		bool may = r == IDM_OK && held && takeable(w, held, now());
		pthread_mutex_unlock(&w->mu);
		if (r == IDM_OK && !may) {
			r = IDM_EEXIST;
		} else if (r == IDM_OK) {
			r = swap(d, w->dn, held, mine);
			if (r == IDM_ESTATE)
				r = IDM_EEXIST; /* another took it first */
			else if (r == IDM_OK)
				idm_logf(w->log, LOG_NOTICE,
					 N_("%s: took over the writer's lease \"%s\" on %s"), w->dn,
					 held, idm_dir_uri(d));
		} else if (r == IDM_ENOENT) {
			r = IDM_EEXIST; /* released in between: the next step claims it */
		}
	} else if (r == IDM_OK) {
		idm_logf(w->log, LOG_NOTICE, N_("%s: holds the writer's lease on %s"), w->dn,
			 idm_dir_uri(d));
	}
	pthread_mutex_lock(&w->mu);
	if (r == IDM_OK) {
		w->held = true;
		memcpy(w->value, mine, sizeof(mine));
		w->until = t0 + (double)(w->lease - w->lease / 3);
	}
	pthread_mutex_unlock(&w->mu);
	free(held);
	return r;
}

int idm_writer_step(struct idm_writer *w, struct idm_dir *d)
{
	double t0 = now(); /* before the request: the holder's time counts from here */
	char next[VALUE_MAX], cur[VALUE_MAX];
	bool held;
	int r;

	if (!d) { /* the writer's server does not answer: nobody writes */
		pthread_mutex_lock(&w->mu);
		w->last = IDM_EUNAVAIL;
		pthread_mutex_unlock(&w->mu);
		return IDM_EUNAVAIL;
	}
	pthread_mutex_lock(&w->mu);
	held = w->held;
	memcpy(cur, w->value, sizeof(cur));
	if (held) {
		lease_value(w, next, sizeof(next));
		memcpy(w->next, next, sizeof(next)); /* the fence accepts either */
	}
	pthread_mutex_unlock(&w->mu);
	if (!held) {
		int was = w->last;
		r = claim(w, d, t0);
		if (r == IDM_EEXIST && was != IDM_EEXIST)
			idm_logf(w->log, LOG_NOTICE,
				 N_("%s: another idmgrd is the writer (\"%s\": host, pid, lease "
				    "until); standing by (idmgrd(8))"),
				 w->dn, w->seen);
	} else {
		r = swap(d, w->dn, cur, next);
		pthread_mutex_lock(&w->mu);
		w->next[0] = '\0';
		if (r == IDM_OK) {
			memcpy(w->value, next, sizeof(next));
			w->until = t0 + (double)(w->lease - w->lease / 3);
		} else if (r == IDM_ESTATE || r == IDM_ENOENT) {
			w->held = false;
			r = IDM_ESTATE;
		}
		pthread_mutex_unlock(&w->mu);
		if (r == IDM_ESTATE)
			idm_logf(w->log, LOG_ERR,
				 N_("%s: the writer's lease was taken by another idmgrd; standing by"),
				 w->dn);
	}
	pthread_mutex_lock(&w->mu);
	w->last = r;
	pthread_mutex_unlock(&w->mu);
	return r;
}

bool idm_writer_held(struct idm_writer *w)
{
	bool held;

	pthread_mutex_lock(&w->mu);
	held = w->held && now() < w->until;
	pthread_mutex_unlock(&w->mu);
	return held;
}

const char *idm_writer_state(struct idm_writer *w, char *holder, size_t size)
{
	const char *state;

	pthread_mutex_lock(&w->mu);
	state = w->last == IDM_EUNAVAIL       ? "unreachable"
		: w->held && now() < w->until ? "writer"
					      : "standby";
	snprintf(holder, size, "%s", w->held ? w->value : w->seen);
	pthread_mutex_unlock(&w->mu);
	return state;
}

int idm_writer_fence(struct idm_writer *w, struct idm_dir *d)
{
	char mine[VALUE_MAX], next[VALUE_MAX], *on_server = NULL;
	bool ours;
	int r;

	if (!idm_writer_held(w)) {
		idm_logf(idm_dir_log(d), LOG_ERR,
			 N_("this idmgrd does not hold the writer's lease (any more): the write is "
			    "not made"));
		return IDM_ESTATE;
	}
	pthread_mutex_lock(&w->mu);
	memcpy(mine, w->value, sizeof(mine));
	memcpy(next, w->next, sizeof(next));
	pthread_mutex_unlock(&w->mu);
	r = read_value(w, d, &on_server);
	/* ours: the value last written, or a renewal in flight (the server may
	 * have made it before this process knows) */
	pthread_mutex_lock(&w->mu);
	ours = on_server &&
	       (strcmp(on_server, mine) == 0 || (*next && strcmp(on_server, next) == 0) ||
		strcmp(on_server, w->value) == 0);
	pthread_mutex_unlock(&w->mu);
	if (r == IDM_OK && !ours) {
		idm_logf(idm_dir_log(d), LOG_ERR,
			 N_("%s on %s is \"%s\", not this idmgrd's: another is the writer; the "
			    "write is not made"),
			 w->dn, idm_dir_uri(d), on_server ? on_server : "");
		pthread_mutex_lock(&w->mu);
		if (strcmp(w->value, mine) == 0)
			w->held = false;
		pthread_mutex_unlock(&w->mu);
		r = IDM_ESTATE;
	} else if (r == IDM_OK && !idm_writer_held(w)) {
		r = IDM_ESTATE; /* the read took the rest of the time */
	} else if (r != IDM_OK) {
		r = IDM_ESTATE;
	}
	free(on_server);
	return r;
}

void idm_writer_release(struct idm_writer *w, struct idm_dir *d)
{
	char mine[VALUE_MAX];
	bool held;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	held = w->held;
	w->held = false;
	memcpy(mine, w->value, sizeof(mine));
	pthread_mutex_unlock(&w->mu);
	/* The entry stays: a delete after the swap could remove the lease of
	 * a standby that took it over in between. */
	if (held && d)
		(void)swap(d, w->dn, mine, "released");
}
