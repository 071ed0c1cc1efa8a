/* lease_thread.c -- idmgrd's writer's lease (idm_writer.h): claimed at
 * start, then renewed by a thread of its own every period while the
 * service runs, and given up when it stops.  Requests are served only
 * while it is held (writer_now). */
#include "config.h"

#include <stdatomic.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "idm_dir.h"
#include "idm_error.h"
#include "idm_writer.h"
#include "idmgrd.h"

/* The lease, on a connection of its own to the writer's server only
 * (idm_config_pin_writer), kept from step to step; one that went away
 * (slapd restarted, an idle timeout) is opened again at once. */
static int lease_step(struct server *s)
{
	int r = IDM_EUNAVAIL;

	for (int fresh = 0; fresh < 2; fresh++) {
		bool kept = s->lease_d != NULL;
		if (!kept) {
			if (idm_dir_open_identity(s->cfg, &s->log, s->cfg->service.bind_dn,
						  s->cfg->service.bind_password_file,
						  &s->lease_d) != IDM_OK) {
				idm_dir_close(s->lease_d);
				s->lease_d = NULL;
			} else {
				idm_dir_unfence(s->lease_d);
			}
		}
		r = idm_writer_step(s->lease, s->lease_d);
		if (r == IDM_OK || r == IDM_EEXIST || r == IDM_ESTATE)
			break;
		idm_dir_close(s->lease_d);
		s->lease_d = NULL;
		if (!kept)
			break;
	}
	return r;
}

/* Before each write of the service's identity: the lease still ours, read
 * on the writer's server (idm_dir_set_fence). */
static int fence(struct idm_dir *d, void *ctx)
{
	return idm_writer_fence(((struct server *)ctx)->lease, d);
}

void release_lease(struct server *s, bool started)
{
	struct idm_dir *d = NULL;

	if (started) {
		atomic_store(&s->stopping, true);
		pthread_join(s->lease_thread, NULL);
	}
	idm_dir_close(s->lease_d);
	s->lease_d = NULL;
	if (s->lease && idm_writer_held(s->lease) &&
	    idm_dir_open_identity(s->cfg, &s->log, s->cfg->service.bind_dn,
				  s->cfg->service.bind_password_file, &d) < 0)
		d = NULL;
	if (d)
		idm_dir_unfence(d);
	idm_writer_release(s->lease, d);
	idm_dir_close(d);
}

static void *lease_main(void *arg)
{
	struct server *s = arg;

	while (!atomic_load(&s->stopping)) {
		for (long i = 0; i < idm_writer_period(s->lease) * 10 && !atomic_load(&s->stopping);
		     i++)
			usleep(100000);
		if (!atomic_load(&s->stopping))
			lease_step(s);
	}
	return NULL;
}

int lease_start(struct server *s)
{
	/* One writer: the lease, claimed now when free; an instance that does
	 * not get it stands by (refusing requests) and takes it over later. */
	if (!*s->cfg->service.writer_uri && s->cfg->ldap.n_uris > 1)
		idm_logf(&s->log, LOG_WARNING,
			 "ldap.uri names %zu servers and service.writer_uri is not set: with "
			 "two providers set it, the same in every instance (idmgrd(8))",
			 s->cfg->ldap.n_uris);
	if (idm_writer_new(s->cfg, &s->log, &s->lease) < 0)
		return -1;
	idm_dir_set_fence(s->cfg->service.bind_dn, fence, s);
	if (lease_step(s) == IDM_EEXIST)
		idm_logf(&s->log, LOG_NOTICE, "standing by: another idmgrd is the writer");
	if (pthread_create(&s->lease_thread, NULL, lease_main, s) != 0)
		return -1;
	return 0;
}

bool writer_now(struct server *s)
{
	char holder[8];

	return strcmp(idm_writer_state(s->lease, holder, sizeof(holder)), "writer") == 0;
}
