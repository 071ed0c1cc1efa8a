#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replica.h"

extern char **environ;

static void fail(const char *what, const char *arg)
{
	fprintf(stderr, "replica: %s: %s\n", what, arg);
	exit(99); /* a hard error for the automake test driver */
}

/* Appends text to a growing buffer. */
static void put(char **buf, size_t *len, const char *text)
{
	size_t n = strlen(text);
	char *grown = realloc(*buf, *len + n + 1);

	if (!grown)
		fail("out of memory", "");
	memcpy(grown + *len, text, n + 1);
	*buf = grown;
	*len += n;
}

/* The provider's slapd.conf with syncprov loaded and stacked on the main
 * database before the accesslog overlay (so that changes leave in CSN
 * order: slapd-accesslog-overlay.conf); the sandbox's slapd restarted with
 * it.  Once. */
static void add_syncprov(struct sandbox *sb)
{
	char path[700], *text, *out = NULL, *db, *log, first;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/slapd.conf", sb->dir);
	text = slurp(path);
	if (!text)
		fail("cannot read", path);
	if (strstr(text, "syncprov")) {
		free(text);
		return;
	}
	db = strstr(text, "\ndatabase");
	if (!db)
		fail("no database in", path);
	db[1] = '\0';
	put(&out, &len, text);
	put(&out, &len, "moduleload\tsyncprov.so\n");
	db[1] = 'd';
	log = strstr(db, "slapd-accesslog-overlay.conf");
	while (log && log > db && log[-1] != '\n')
		log--;
	if (!log)
		fail("no accesslog overlay in", path);
	first = *log;
	*log = '\0';
	put(&out, &len, db + 1);
	put(&out, &len, "overlay\t\tsyncprov\n");
	*log = first;
	put(&out, &len, log);
	write_file(path, out, 0600);
	free(out);
	free(text);
	if (sandbox_slapd_stop(sb) != 0 || sandbox_slapd_start(sb) != 0)
		fail("cannot restart the provider in", sb->dir);
}

/* The consumer's configuration: the provider's global part (schema and
 * modules) and main database, with its own folder, syncrepl and
 * (updateref) a referral for writes; no accesslog. */
static char *consumer_conf(const struct sandbox *sb, const struct replica *r, bool updateref)
{
	char path[700], line_buf[2048], *text, *out = NULL, *line, *save = NULL;
	size_t len = 0;
	bool global = true, main_db = false;

	snprintf(path, sizeof(path), "%s/slapd.conf", sb->dir);
	text = slurp(path);
	if (!text)
		fail("cannot read", path);
	/* the main database is the last one */
	const char *last = strstr(text, "\ndatabase");
	for (const char *p = last; p; p = strstr(p + 1, "\ndatabase"))
		last = p;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "database", 8) == 0) {
			global = false;
			main_db = line - 1 == last;
		}
		if (global) {
			if (strncmp(line, "pidfile", 7) == 0)
				snprintf(line_buf, sizeof(line_buf), "pidfile\t\t%s/slapd.pid",
					 r->dir);
			else if (strncmp(line, "argsfile", 8) == 0)
				snprintf(line_buf, sizeof(line_buf), "argsfile\t%s/slapd.args",
					 r->dir);
			else if (strstr(line, "syncprov"))
				continue;
			else
				snprintf(line_buf, sizeof(line_buf), "%s", line);
		} else if (!main_db || strstr(line, "accesslog") || strstr(line, "syncprov")) {
			continue;
		} else if (strncmp(line, "directory", 9) == 0) {
			snprintf(line_buf, sizeof(line_buf),
				 "directory\t\"%s/data\"\n"
				 "syncrepl\trid=001 provider=%s bindmethod=simple binddn=\"%s\" "
				 "credentials=\"%s\" searchbase=\"dc=example,dc=org\" "
				 "type=refreshAndPersist retry=\"1 +\" timeout=3%s%s",
				 r->dir, sb->uri, sb->admin_dn, sb->admin_password,
				 updateref ? "\nupdateref\t" : "", updateref ? sb->uri : "");
		} else {
			snprintf(line_buf, sizeof(line_buf), "%s", line);
		}
		put(&out, &len, line_buf);
		put(&out, &len, "\n");
	}
	free(text);
	return out;
}

/* ldapsearch as the directory administrator at uri: attr of the entries
 * under base in scope ("base", "sub"), as LDIF; NULL when it failed. */
static char *admin_search(const struct sandbox *sb, const char *uri, const char *base,
			  const char *scope, const char *attr)
{
	char *argv[] = { "/usr/bin/ldapsearch",
			 "-LLL",
			 "-o",
			 "ldif-wrap=no",
			 "-x",
			 "-H",
			 (char *)uri,
			 "-D",
			 (char *)sb->admin_dn,
			 "-y",
			 (char *)sb->admin_secret,
			 "-s",
			 (char *)scope,
			 "-b",
			 (char *)base,
			 (char *)attr,
			 NULL };
	char *out = NULL;

	if (run_cmd(argv, NULL, &out, NULL) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int count_entries(const struct sandbox *sb, const char *uri)
{
	char *out = admin_search(sb, uri, "dc=example,dc=org", "sub", "1.1");
	int n = -1;

	if (out) {
		n = 0;
		for (const char *p = out; (p = strstr(p, "dn: ")) != NULL; p += 4)
			n++;
	}
	free(out);
	return n;
}

void replica_start(struct sandbox *sb, const char *name, bool updateref, struct replica *r)
{
	char path[800], data[800], *conf;
	char *argv[] = {
		"/usr/bin/setsid", "/usr/sbin/slapd", "-d", "stats", "-f", path, "-h", r->uri, NULL
	};
	posix_spawn_file_actions_t fa;
	char log[800];
	pid_t pid;
	int i, want = -1, got = -1;

	add_syncprov(sb);
	snprintf(r->dir, sizeof(r->dir), "%s/%s", sb->dir, name);
	snprintf(r->uri, sizeof(r->uri), "ldap://127.0.0.1:%d/", closed_port());
	snprintf(data, sizeof(data), "%s/data", r->dir);
	if (mkdir(r->dir, 0700) < 0 || mkdir(data, 0700) < 0)
		fail("cannot make", data);
	conf = consumer_conf(sb, r, updateref);
	snprintf(path, sizeof(path), "%s/slapd.conf", r->dir);
	write_file(path, conf, 0600);
	free(conf);
	snprintf(log, sizeof(log), "%s/slapd.log", r->dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_APPEND | O_CREAT, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		fail("cannot start slapd for", r->dir);
	posix_spawn_file_actions_destroy(&fa);
	for (i = 0; i < 200; i++, usleep(100000)) {
		want = count_entries(sb, sb->uri);
		got = count_entries(sb, r->uri);
		if (want > 0 && got == want)
			return;
	}
	fprintf(stderr, "replica: %d of %d entries after 20 s (see %s)\n", got, want, log);
	exit(99);
}

void replica_stop(struct replica *r)
{
	char path[800], *text;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/slapd.pid", r->dir);
	text = slurp(path);
	pid = text ? (pid_t)atoi(text) : -1;
	free(text);
	if (pid <= 0 || kill(pid, SIGTERM) < 0)
		return;
	for (int i = 0; i < 200 && kill(pid, 0) == 0; i++)
		usleep(50000);
}

bool replica_caught_up(const struct sandbox *sb, const struct replica *r, const char *dn,
		       const char *attr)
{
	for (int i = 0; i < 100; i++, usleep(100000)) {
		char *want = admin_search(sb, sb->uri, dn, "base", attr),
		     *got = admin_search(sb, r->uri, dn, "base", attr);
		bool same = want && got && strcmp(want, got) == 0;

		free(want);
		free(got);
		if (same)
			return true;
	}
	return false;
}
