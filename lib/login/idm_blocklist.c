#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idm_blocklist.h"
#include "idm_error.h"
#include "idm_text.h"
#include "idm_i18n.h"

/* Large enough that a million short lines take few read() calls. */
#define CHUNK (128u * 1024)

static bool line_matches(const char *line, size_t n, const char *cand, size_t len)
{
	if (n > 0 && line[n - 1] == '\r')
		n--;
	/* The length test first: almost every line stops here. */
	if (n != len || n == 0 || line[0] == '#')
		return false;
	return idm_ascii_eq_folded(line, cand, n);
}

static int open_list(const char *path, const struct idm_log *log, struct stat *st)
{
	/* O_NONBLOCK: a FIFO planted at the path must not hang the caller
	 * before the regular-file test refuses it. */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		int e = errno;
		idm_logf(log, LOG_ERR, N_("blocklist %s: %s"), path,
			 e == ELOOP ? N_("is a symbolic link (refused)") : strerror(e));
		return IDM_EIO;
	}
	if (fstat(fd, st) < 0) {
		idm_logf(log, LOG_ERR, N_("blocklist %s: %s"), path, strerror(errno));
		close(fd);
		return IDM_EIO;
	}
	if (!S_ISREG(st->st_mode)) {
		idm_logf(log, LOG_ERR, N_("blocklist %s: not a regular file"), path);
		close(fd);
		return IDM_ECONFIG;
	}
	if ((unsigned long long)st->st_size > IDM_BLOCKLIST_MAX) {
		idm_logf(log, LOG_ERR, N_("blocklist %s: larger than %u bytes"), path,
			 IDM_BLOCKLIST_MAX);
		close(fd);
		return IDM_ECONFIG;
	}
	return fd;
}

static size_t count_newlines(const char *p, size_t n)
{
	size_t count = 0;
	const char *nl;

	while (n && (nl = memchr(p, '\n', n)) != NULL) {
		count++;
		n -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
	return count;
}

/* The one reader: streams the list through one buffer, refusing a NUL byte
 * anywhere (naming its line).  With a candidate, stops at the first line
 * that matches it (1); without, reads the whole list (config check). */
static int scan(const char *path, const char *candidate, size_t len, const struct idm_log *log)
{
	struct stat st;
	size_t cap, have = 0, total = 0, lines = 0; /* lines: complete lines before buf */
	bool skipping = false;                      /* inside a line too long to match */
	char *buf = NULL;
	int fd, r;

	fd = open_list(path, log, &st);
	if (fd < 0)
		return fd;
	/* No line of a list within the size cap can be this long. */
	if (candidate && (len == 0 || len >= IDM_BLOCKLIST_MAX)) {
		r = 0;
		goto out;
	}
	/* A line that fills the buffer without its newline is longer than
	 * the candidate plus "\r", so it can be skipped unread. */
	cap = candidate && len + 2 > CHUNK ? len + 2 : CHUNK;
	buf = malloc(cap);
	if (!buf) {
		r = IDM_ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t k = read(fd, buf + have, cap - have);
		size_t start = 0;
		char *nl, *nul;

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			idm_logf(log, LOG_ERR, N_("blocklist %s: %s"), path, strerror(errno));
			r = IDM_EIO;
			goto out;
		}
		if (k == 0) {
			/* The last line may lack its newline. */
			r = candidate && !skipping && line_matches(buf, have, candidate, len);
			goto out;
		}
		total += (size_t)k;
		if (total > IDM_BLOCKLIST_MAX) {
			idm_logf(log, LOG_ERR, N_("blocklist %s: grew beyond %u bytes while read"),
				 path, IDM_BLOCKLIST_MAX);
			r = IDM_ECONFIG;
			goto out;
		}
		nul = memchr(buf + have, '\0', (size_t)k);
		if (nul) {
			idm_logf(log, LOG_ERR,
				 N_("blocklist %s:%zu: holds a NUL byte: not a text list (refused)"),
				 path, lines + count_newlines(buf, (size_t)(nul - buf)) + 1);
			r = IDM_ECONFIG;
			goto out;
		}
		have += (size_t)k;
		while ((nl = memchr(buf + start, '\n', have - start)) != NULL) {
			size_t n = (size_t)(nl - (buf + start));

			if (candidate && !skipping && line_matches(buf + start, n, candidate, len)) {
				r = 1;
				goto out;
			}
			skipping = false;
			lines++;
			start += n + 1;
		}
		if (start == 0 && have == cap) {
			skipping = true;
			have = 0;
		} else {
			memmove(buf, buf + start, have - start);
			have -= start;
		}
	}
out:
	free(buf);
	close(fd);
	return r;
}

int idm_blocklist_contains(const char *path, const char *candidate, size_t len,
			   const struct idm_log *log)
{
	return scan(path, candidate ? candidate : "", candidate ? len : 0, log);
}

int idm_blocklist_check(const char *path, const struct idm_log *log)
{
	return scan(path, NULL, 0, log);
}
