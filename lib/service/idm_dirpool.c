#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "idm_dirpool.h"
#include "idm_error.h"
#include "idm_i18n.h"

struct idle {
	struct idm_dir *d;
	time_t since; /* CLOCK_MONOTONIC seconds */
};

struct idm_dirpool {
	pthread_mutex_t mu;
	struct idle idle[IDM_DIRPOOL_IDLE];
	int n;
};

static time_t mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec;
}

struct idm_dirpool *idm_dirpool_new(void)
{
	struct idm_dirpool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	return p;
}

void idm_dirpool_free(struct idm_dirpool *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++)
		idm_dir_close(p->idle[i].d);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

static int open_new(const struct idm_config *cfg, const struct idm_log *log, struct idm_dir **out)
{
	if (!*cfg->service.bind_dn) {
		idm_logf(log, LOG_ERR, N_("%s: service: bind_dn is not set"), cfg->path);
		return IDM_ECONFIG;
	}
	return idm_dir_open_identity(cfg, log, cfg->service.bind_dn,
				     cfg->service.bind_password_file, out);
}

int idm_dirpool_get(struct idm_dirpool *p, const struct idm_config *cfg, const struct idm_log *log,
		    struct idm_dir **out)
{
	struct idm_dir *d = NULL;
	time_t now = mono();

	*out = NULL;
	if (!p)
		return open_new(cfg, log, out);
	pthread_mutex_lock(&p->mu);
	/* the most recently used first: the one least likely to be stale */
	while (!d && p->n > 0) {
		struct idle it = p->idle[--p->n];
		if (now - it.since < IDM_DIRPOOL_IDLE_SECONDS && idm_dir_idle_ok(it.d))
			d = it.d;
		else
			idm_dir_close(it.d);
	}
	pthread_mutex_unlock(&p->mu);
	if (!d)
		return open_new(cfg, log, out);
	idm_dir_set_log(d, log);
	*out = d;
	return IDM_OK;
}

void idm_dirpool_put(struct idm_dirpool *p, struct idm_dir *d, bool reusable)
{
	if (!d)
		return;
	if (!p || !reusable) {
		idm_dir_close(d);
		return;
	}
	idm_dir_set_log(d, NULL); /* the request's log is gone with it */
	pthread_mutex_lock(&p->mu);
	if (p->n == IDM_DIRPOOL_IDLE) { /* full: the oldest goes */
		idm_dir_close(p->idle[0].d);
		for (int i = 1; i < p->n; i++)
			p->idle[i - 1] = p->idle[i];
		p->n--;
	}
	p->idle[p->n].d = d;
	p->idle[p->n].since = mono();
	p->n++;
	pthread_mutex_unlock(&p->mu);
}
