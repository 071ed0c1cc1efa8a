/* idm_dir_health.c -- servers found not answering (idm_dir_health.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idm_dir_health.h"
#include "idm_i18n.h"

#define MAX_MARKS 32
#define MAX_FILE 8192
#define STATE_FILE "ldap-down"

struct mark {
	char *uri;
	time_t until; /* down until then; 0: answering */
	bool changed; /* set here since loaded or saved */
};

struct idm_dir_health {
	struct mark marks[MAX_MARKS];
	size_t n;
};

struct idm_dir_health *idm_dir_health_new(void)
{
	return calloc(1, sizeof(struct idm_dir_health));
}

void idm_dir_health_free(struct idm_dir_health *h)
{
	for (size_t i = 0; h && i < h->n; i++)
		free(h->marks[i].uri);
	free(h);
}

static struct mark *find(const struct idm_dir_health *h, const char *uri)
{
	for (size_t i = 0; h && i < h->n; i++)
		if (strcmp(h->marks[i].uri, uri) == 0)
			return (struct mark *)&h->marks[i];
	return NULL;
}

/* The mark of uri, made when absent; NULL when full or out of memory. */
static struct mark *slot(struct idm_dir_health *h, const char *uri)
{
	struct mark *m = find(h, uri);

	if (m || h->n == MAX_MARKS)
		return m;
	m = &h->marks[h->n];
	if (!(m->uri = strdup(uri)))
		return NULL;
	m->until = 0;
	m->changed = false;
	h->n++;
	return m;
}

bool idm_dir_health_down(const struct idm_dir_health *h, const char *uri, time_t now)
{
	const struct mark *m = find(h, uri);

	return m && m->until > now;
}

void idm_dir_health_mark(struct idm_dir_health *h, const char *uri, bool down, time_t now)
{
	struct mark *m;

	if (!h || !(m = down ? slot(h, uri) : find(h, uri)))
		return;
	if (!down && m->until == 0)
		return; /* nothing to forget */
	m->until = down ? now + IDM_DIR_DOWN_SECONDS : 0;
	m->changed = true;
}

static bool configured(const struct idm_config *cfg, const char *uri)
{
	for (size_t i = 0; i < cfg->ldap.n_uris; i++)
		if (strcmp(cfg->ldap.uris[i], uri) == 0)
			return true;
	return false;
}

/* The folder, when it is root's and nobody else may write in it. */
static bool dir_trusted(const char *dir)
{
	struct stat st;

	return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 &&
	       !(st.st_mode & (S_IWGRP | S_IWOTH));
}

/* The file's text (NUL-terminated, at most MAX_FILE bytes), when it is a
 * regular file of root's that nobody else may write; NULL otherwise. */
static char *read_state(const char *dir, const struct idm_log *log)
{
	char path[4096], *text = NULL;
	struct stat st;
	ssize_t k;
	size_t len = 0;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE) >= (int)sizeof(path) ||
	    !dir_trusted(dir))
		return NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) || st.st_size > MAX_FILE) {
		idm_logf(log, LOG_WARNING,
			 N_("%s: not a root-only file of at most %d bytes; ignored"), path,
			 MAX_FILE);
		goto out;
	}
	if (!(text = malloc(MAX_FILE + 1)))
		goto out;
	while (len < MAX_FILE && (k = read(fd, text + len, MAX_FILE - len)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			free(text);
			text = NULL;
			goto out;
		}
		len += (size_t)k;
	}
	text[len] = '\0';
out:
	close(fd);
	return text;
}

/* Calls each() on every valid line of the state file: a URI of cfg and an
 * UNTIL after now and at most IDM_DIR_DOWN_SECONDS ahead (a mark from the
 * future is no mark). */
static void each_mark(const char *dir, const struct idm_config *cfg, const struct idm_log *log,
		      time_t now, void (*each)(struct idm_dir_health *, const char *, time_t),
		      struct idm_dir_health *h)
{
	char *text = read_state(dir, log), *line, *save = NULL;

	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *end, *uri;
		long long until;

		errno = 0;
		until = strtoll(line, &end, 10);
		if (errno || end == line || *end != ' ')
			continue;
		uri = end + 1;
		if (until <= now || until > now + IDM_DIR_DOWN_SECONDS || !configured(cfg, uri))
			continue;
		each(h, uri, (time_t)until);
	}
	free(text);
}

static void take(struct idm_dir_health *h, const char *uri, time_t until)
{
	struct mark *m = slot(h, uri);

	if (m && !m->changed && until > m->until)
		m->until = until;
}

void idm_dir_health_load(struct idm_dir_health *h, const char *dir, const struct idm_config *cfg,
			 const struct idm_log *log)
{
	if (h)
		each_mark(dir, cfg, log, time(NULL), take, h);
}

void idm_dir_health_save(struct idm_dir_health *h, const char *dir, const struct idm_config *cfg,
			 const struct idm_log *log)
{
	char tmp[4096], path[4096];
	time_t now = time(NULL);
	bool changed = false;
	FILE *f = NULL;
	int fd;

	for (size_t i = 0; h && i < h->n; i++)
		changed = changed || h->marks[i].changed;
	if (!changed || getuid() != 0 || geteuid() != 0)
		return;
	if (snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, STATE_FILE) >= (int)sizeof(tmp))
		return;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return;
	if (!dir_trusted(dir)) {
		idm_logf(log, LOG_WARNING, N_("%s: not root's alone; servers' state not kept"), dir);
		return;
	}
	each_mark(dir, cfg, log, now, take, h); /* others' marks; what changed here decides */
	fd = mkstemp(tmp);                      /* 0600 */
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return;
	}
	for (size_t i = 0; i < h->n; i++) {
		if (h->marks[i].until > now && !strchr(h->marks[i].uri, '\n'))
			fprintf(f, "%lld %s\n", (long long)h->marks[i].until, h->marks[i].uri);
		h->marks[i].changed = false;
	}
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		unlink(tmp);
}
