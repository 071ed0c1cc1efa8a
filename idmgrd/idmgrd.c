/* idmgrd -- the one service that writes officers' changes (idmgrd(8)).
 *
 * Thin glue: HTTP (libmicrohttpd) on a Unix socket this program creates
 * (mode 0660), bodies handed to the protocol core (lib/service/idm_api.h),
 * one syslog line per request, refusals rate-limited per operator and per
 * peer.  Each connection is served by a thread of its own, and at most
 * service.threads connections are served at once (libmicrohttpd refuses
 * more): each request waits on the directory (an officer's bind costs slapd
 * an Argon2 verification), so one thread would make every officer wait for
 * every other's bind, while threads without a bound would let one client
 * exhaust the server.  A thread of its own per connection also lets a
 * streaming answer (the sweep) wait for a slow reader without stalling
 * other connections.  Each request has its own directory connections; the
 * configuration is read once, before any thread starts. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "idm_authcache.h"
#include "idm_dir.h"
#include "idm_dirpool.h"
#include "idm_error.h"
#include "idm_secret.h"
#include "idm_writer.h"
#include "idmgrd.h"

static void log_sink(void *data, int priority, const char *msg)
{
	const struct server *s = data;

	if (priority == LOG_DEBUG && !s->log.debug)
		return;
	syslog(LOG_AUTHPRIV | priority, "%s", msg);
	if (s->foreground && priority <= LOG_WARNING)
		fprintf(stderr, "idmgrd: %s\n", msg);
}

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: idmgrd [-c FILE] [-f] [-p PIDFILE] [-t] [-v]\n"
		"       idmgrd [-c FILE] -R DAYS\n"
		"  -c FILE     configuration (default %s)\n"
		"  -f          also write warnings to stderr (systemd, the sandbox)\n"
		"  -p PIDFILE  write the process id there once serving\n"
		"  -t          check the configuration and secret files, then exit\n"
		"  -R DAYS     reconcile slapd's log of writes of the last DAYS days (0: all)\n"
		"              with the audit trail, as idmgrd's identity; print, exit 1 on\n"
		"              any write no audited action explains (the monthly timer)\n"
		"  -v          log debug messages too\n"
		"See idmgrd(8).\n",
		IDM_DEFAULT_CONFIG);
}

static int write_pidfile(const struct server *s, const char *path)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (fd < 0 || write(fd, buf, (size_t)n) != n) {
		idm_logf(&s->log, LOG_ERR, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "check", no_argument, NULL, 't' },
		{ "reconcile", required_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct server s = { 0 };
	const char *config_path = IDM_DEFAULT_CONFIG, *pidfile = NULL;
	struct MHD_Daemon *mhd = NULL, *tls = NULL;
	char *tls_cert = NULL, *tls_key = NULL;
	struct idm_dir *probe = NULL;
	bool check_only = false, lease_started = false;
	long reconcile_days = -1;
	sigset_t sigs;
	int c, fd = -1, sig = 0, status = 2, r;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_POLL | MHD_USE_ERROR_LOG;

	s.log.fn = log_sink;
	s.log.data = &s;
	while ((c = getopt_long(argc, argv, "c:fp:tR:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'f': s.foreground = true; break;
		case 'p': pidfile = optarg; break;
		case 't': check_only = s.foreground = true; break;
		case 'R':
			if (!reconcile_days_parse(optarg, &reconcile_days))
				return 2;
			s.foreground = true;
			break;
		case 'v': s.log.debug = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	openlog("idmgrd", LOG_PID, LOG_AUTHPRIV);
	json_set_alloc_funcs(malloc, wiping_free);
	/* The same checks, with the same messages, as "idmgr config check". */
	if (idm_config_load(config_path, &s.log, &s.cfg) < 0)
		goto out;
	r = idm_config_check_files(s.cfg, &s.log);
	if (idm_config_check_service_files(s.cfg, &s.log) < 0 || r < 0) {
		idm_logf(&s.log, LOG_ERR, "%s: not starting", config_path);
		goto out;
	}
	/* Several instances: every connection to the writer's server only. */
	if (idm_config_pin_writer(s.cfg) < 0)
		goto out;
	if (reconcile_days >= 0) {
		status = reconcile_once(&s, reconcile_days);
		goto out;
	}
	if (check_only) {
		printf("%s: configuration OK for idmgrd %s (socket %s, identity %s)\n", config_path,
		       PACKAGE_VERSION, s.cfg->service.socket, s.cfg->service.bind_dn);
		status = 0;
		goto out;
	}
	s.by_operator =
		idm_ratelimit_new(s.cfg->service.max_refusals, s.cfg->service.refusal_window);
	/* many officers may share a host: a peer gets more room than one uid */
	s.by_peer =
		idm_ratelimit_new(s.cfg->service.max_refusals * 5, s.cfg->service.refusal_window);
	s.auth_cache = idm_authcache_new(s.cfg->service.cached_auth_timeout);
	s.writers = idm_dirpool_new();
	if (!s.by_operator || !s.by_peer || !s.auth_cache || !s.writers)
		goto out;

	/* SIGPIPE: a client killed mid-answer must not kill the service. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* inherited by MHD's threads */

	/* A wrong secret is a bad configuration: refuse to start.  A directory
	 * that does not answer yet is not: requests will say so. */
	r = idm_dir_open(s.cfg, &s.log, NULL, NULL, &probe);
	idm_dir_close(probe);
	probe = NULL;
	if (r == IDM_OK) {
		r = idm_dir_open_identity(s.cfg, &s.log, s.cfg->service.bind_dn,
					  s.cfg->service.bind_password_file, &probe);
		idm_dir_close(probe);
		if (r == IDM_ECONFIG) {
			idm_logf(&s.log, LOG_ERR, "the directory refused %s; not starting",
				 s.cfg->service.bind_dn);
			goto out;
		}
	} else {
		idm_logf(&s.log, LOG_WARNING, "no directory server answers yet; serving anyway");
	}

	if (lease_start(&s) < 0)
		goto out;
	lease_started = true;
	mhd = start_unix(&s, flags, &fd);
	if (!mhd)
		goto out;
	if (s.cfg->service.tls_port) {
		tls = start_tls(&s, flags, &tls_cert, &tls_key);
		if (!tls) {
			idm_logf(&s.log, LOG_ERR, "TLS on %s port %ld did not start; not starting",
				 s.cfg->service.tls_address, s.cfg->service.tls_port);
			goto stop;
		}
		idm_logf(&s.log, LOG_NOTICE, "serving TLS on %s port %ld",
			 s.cfg->service.tls_address, s.cfg->service.tls_port);
	}
	if (pidfile && write_pidfile(&s, pidfile) < 0)
		goto stop;
	idm_logf(&s.log, LOG_NOTICE, "idmgrd %s serving %s as %s (%ld threads; writes to %s)",
		 PACKAGE_VERSION, s.cfg->service.socket, s.cfg->service.bind_dn,
		 s.cfg->service.threads,
		 *s.cfg->service.writer_uri ? s.cfg->service.writer_uri
					    : "the first server of ldap.uri that answers");
	while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP)
		idm_logf(&s.log, LOG_NOTICE,
			 "SIGHUP: the configuration is read at start only; restart to change it");
	idm_logf(&s.log, LOG_NOTICE, "signal %d: stopping", sig);
	status = 0;
stop:
	if (tls)
		MHD_stop_daemon(tls);
	MHD_stop_daemon(mhd);
	close(fd);
	unlink(s.cfg->service.socket);
	/* the lease goes before the pid file: who waits for the pid file to go
	 * may start another instance at once */
	release_lease(&s, lease_started);
	lease_started = false;
	if (pidfile)
		unlink(pidfile);
out:
	release_lease(&s, lease_started);
	idm_writer_free(s.lease);
	free(tls_cert);
	idm_secret_free(tls_key);
	idm_ratelimit_free(s.by_operator);
	idm_ratelimit_free(s.by_peer);
	idm_authcache_free(s.auth_cache); /* wiped */
	idm_dirpool_free(s.writers);
	idm_config_free(s.cfg);
	closelog();
	return status;
}
