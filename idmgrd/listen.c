/* listen.c -- where idmgrd listens: its Unix socket (mode 0660, for
 * officers on this host and the local tools) and, with service.tls_port,
 * a TLS port for officers on other hosts; both served by the same
 * handler (http.c). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "idm_secret.h"
#include "idmgrd.h"

/* The listening socket: AF_UNIX at path, mode 0660.  A socket left by a
 * dead instance is replaced; anything else at path is refused. */
static int listen_unix(const struct server *s, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		idm_logf(&s->log, LOG_ERR, "%s: too long for a Unix socket", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			idm_logf(&s->log, LOG_ERR,
				 "%s exists and is not a socket; not replacing it", path);
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		idm_logf(&s->log, LOG_ERR, "socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		idm_logf(&s->log, LOG_ERR, "%s: bind: %s", path, strerror(errno));
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, 0660) < 0 || listen(fd, 64) < 0) {
		idm_logf(&s->log, LOG_ERR, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

struct MHD_Daemon *start_unix(struct server *s, unsigned flags, int *fd)
{
	struct MHD_Daemon *mhd;

	*fd = listen_unix(s, s->cfg->service.socket);
	if (*fd < 0)
		return NULL;
	mhd = http_start(s, flags, 0,
			 (const struct MHD_OptionItem[]){
				 { MHD_OPTION_LISTEN_SOCKET, *fd, NULL },
				 { MHD_OPTION_END, 0, NULL },
			 });
	if (!mhd) {
		idm_logf(&s->log, LOG_ERR, "%s: the HTTP server did not start",
			 s->cfg->service.socket);
		close(*fd);
		unlink(s->cfg->service.socket);
	}
	return mhd;
}

/* The TLS listener for officers on other hosts (service.tls_port): the
 * same handler, certificate and key read once at start (the key's file
 * checked as a secret). */
struct MHD_Daemon *start_tls(struct server *s, unsigned flags, char **cert, char **key)
{
	const struct idm_config *c = s->cfg;
	struct sockaddr_storage ss = { 0 };
	size_t len;

	if (idm_file_read(c->service.tls_cert, 1024 * 1024, 1, &s->log, cert, &len) < 0 ||
	    idm_file_read(c->service.tls_key, 64 * 1024, 1, &s->log, key, &len) < 0)
		return NULL;
	if (inet_pton(AF_INET6, c->service.tls_address, &((struct sockaddr_in6 *)&ss)->sin6_addr) ==
	    1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)c->service.tls_port);
		flags |= MHD_USE_IPv6;
	} else {
		ss.ss_family = AF_INET;
		inet_pton(AF_INET, c->service.tls_address, &((struct sockaddr_in *)&ss)->sin_addr);
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)c->service.tls_port);
	}
	return http_start(s, flags | MHD_USE_TLS, (uint16_t)c->service.tls_port,
			  (const struct MHD_OptionItem[]){
				  { MHD_OPTION_SOCK_ADDR, 0, &ss },
				  { MHD_OPTION_HTTPS_MEM_CERT, 0, *cert },
				  { MHD_OPTION_HTTPS_MEM_KEY, 0, *key },
				  { MHD_OPTION_END, 0, NULL },
			  });
}
