#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idm_error.h"
#include "idm_secret.h"
#include "idm_i18n.h"

#define SECRET_MAX 4096

void idm_secret_free(char *secret)
{
	if (!secret)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}

/* Opens path safely and checks its kind, size, owner and mode.  Returns the
 * descriptor or a negative idm_err; the reason has been logged. */
static int open_checked(const char *path, size_t max, int secret, int strict,
			const struct idm_log *log, struct stat *st)
{
	/* O_NONBLOCK: a FIFO planted at the path must not hang the caller. */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		int e = errno;
		idm_logf(log, LOG_ERR, "%s: %s", path,
			 e == ELOOP ? "is a symbolic link (refused)" : strerror(e));
		return e == ENOENT ? IDM_ENOENT : IDM_EIO;
	}
	if (fstat(fd, st) < 0) {
		idm_logf(log, LOG_ERR, "%s: %s", path, strerror(errno));
		goto bad;
	}
	if (!S_ISREG(st->st_mode)) {
		idm_logf(log, LOG_ERR, N_("%s: not a regular file"), path);
		goto bad;
	}
	if ((size_t)st->st_size > max) {
		idm_logf(log, LOG_ERR, N_("%s: larger than %zu bytes"), path, max);
		goto bad;
	}
	if ((secret || strict) && st->st_uid != 0 && st->st_uid != geteuid()) {
		idm_logf(log, LOG_ERR, N_("%s: owned by uid %u, must be owned by root or uid %u"),
			 path, (unsigned)st->st_uid, (unsigned)geteuid());
		goto bad;
	}
	if (secret && (st->st_mode & 077)) {
		idm_logf(log, LOG_ERR,
			 N_("%s: mode %04o gives access to group or others; it must be 0600 or stricter"),
			 path, (unsigned)(st->st_mode & 07777));
		goto bad;
	}
	if (strict && (st->st_mode & 022)) {
		idm_logf(log, LOG_ERR, N_("%s: mode %04o lets group or others write it"), path,
			 (unsigned)(st->st_mode & 07777));
		goto bad;
	}
	return fd;
bad:
	close(fd);
	return IDM_ECONFIG;
}

static int read_all(int fd, const char *path, size_t max, const struct idm_log *log, char **out,
		    size_t *len)
{
	char *buf = malloc(max + 1);
	size_t n = 0;

	if (!buf)
		return IDM_ENOMEM;
	for (;;) {
		ssize_t k = read(fd, buf + n, max + 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			idm_logf(log, LOG_ERR, "%s: %s", path, strerror(errno));
			explicit_bzero(buf, n);
			free(buf);
			return IDM_EIO;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > max) {
			idm_logf(log, LOG_ERR, N_("%s: larger than %zu bytes"), path, max);
			explicit_bzero(buf, n);
			free(buf);
			return IDM_ECONFIG;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return IDM_OK;
}

int idm_file_read(const char *path, size_t max, int strict, const struct idm_log *log, char **out,
		  size_t *len)
{
	struct stat st;
	int fd, r;

	*out = NULL;
	*len = 0;
	fd = open_checked(path, max, 0, strict, log, &st);
	if (fd < 0)
		return fd;
	r = read_all(fd, path, max, log, out, len);
	close(fd);
	if (r == IDM_OK && memchr(*out, '\0', *len)) {
		idm_logf(log, LOG_ERR, N_("%s: contains a NUL byte"), path);
		free(*out);
		*out = NULL;
		r = IDM_EINVAL;
	}
	return r;
}

int idm_secret_read(const char *path, const struct idm_log *log, char **out)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	*out = NULL;
	fd = open_checked(path, SECRET_MAX, 1, 1, log, &st);
	if (fd < 0)
		return IDM_ECONFIG; /* missing, unreadable or unsafe: a configuration error */
	r = read_all(fd, path, SECRET_MAX, log, &buf, &len);
	close(fd);
	if (r < 0)
		return r;
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		idm_logf(log, LOG_ERR, N_("%s: the secret is empty"), path);
		explicit_bzero(buf, len);
		free(buf);
		return IDM_ECONFIG;
	}
	*out = buf;
	return IDM_OK;
}

int idm_secret_check(const char *path, const struct idm_log *log)
{
	char *s = NULL;
	int r = idm_secret_read(path, log, &s);

	idm_secret_free(s);
	return r;
}

int idm_secret_write(const char *path, const char *secret, const struct idm_log *log)
{
	size_t plen = strlen(path), slen = strlen(secret);
	char *tmp = malloc(plen + 8);
	int fd = -1, r = IDM_EIO, e;
	struct stat st;
	ssize_t n;

	if (!tmp)
		return IDM_ENOMEM;
	snprintf(tmp, plen + 8, "%s.XXXXXX", path);
	if (lstat(path, &st) == 0) {
		idm_logf(log, LOG_ERR, N_("%s: exists already; not replaced"), path);
		r = IDM_EEXIST;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
	if (fd < 0) {
		e = errno;
		idm_logf(log, LOG_ERR, "%s: %s", tmp, strerror(e));
		goto out;
	}
	/* No trailing newline: ldapwhoami -y reads the whole file.  errno is
	 * taken at once: the logger (syslog) and unlink() may change it. */
	e = 0;
	if (fchmod(fd, 0600) < 0 || (n = write(fd, secret, slen)) < 0 || fsync(fd) < 0)
		e = errno;
	else if ((size_t)n != slen)
		e = ENOSPC; /* a short write sets no errno */
	if (e) {
		unlink(tmp);
		idm_logf(log, LOG_ERR, "%s: %s", tmp, strerror(e));
		goto out;
	}
	/* link() fails if path appeared meanwhile, so nothing is ever replaced. */
	if (link(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
		idm_logf(log, LOG_ERR, "%s: %s", path, strerror(e));
		r = e == EEXIST ? IDM_EEXIST : IDM_EIO;
		goto out;
	}
	unlink(tmp);
	r = IDM_OK;
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	return r;
}
