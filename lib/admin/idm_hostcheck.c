/* The host's idle time-out settings (R-LOGIN-1); see idm_hostcheck.h. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "idm_error.h"
#include "idm_hostcheck.h"
#include "idm_i18n.h"
#include "idm_text.h"

#define MAX_FILE (1024 * 1024)
#define MAX_DEPTH 4

/* The verdict of one item: meets, or what to change (fmt, in the reader's
 * language: the report is shown, never stored). */
__attribute__((format(printf, 3, 4))) static void judge(struct idm_host_item *it, bool meets,
							const char *fmt, ...)
{
	va_list ap;

	it->state = meets ? IDM_HOST_MEETS : IDM_HOST_CHANGE;
	if (meets)
		return;
	va_start(ap, fmt);
	vsnprintf(it->change, sizeof(it->change), fmt, ap);
	va_end(ap);
}

/* The whole file root+path, NUL-terminated, or NULL when absent or not a
 * readable regular file. */
static char *slurp_host(const char *root, const char *path)
{
	char full[4096];
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	size_t got = 0;
	int fd;

	if (snprintf(full, sizeof(full), "%s%s", root, path) >= (int)sizeof(full))
		return NULL;
	fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < MAX_FILE &&
	    (buf = malloc((size_t)st.st_size + 1))) {
		while (got < (size_t)st.st_size &&
		       (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
			got += (size_t)n;
		buf[got] = '\0';
	}
	close(fd);
	return buf;
}

static bool exists(const char *root, const char *path)
{
	char full[4096];

	snprintf(full, sizeof(full), "%s%s", root, path);
	return access(full, F_OK) == 0;
}

/* The files matching root+pattern (glob, sorted), as paths below root. */
static size_t host_glob(const char *root, const char *pattern, char ***out)
{
	char full[4096];
	glob_t g;
	size_t n = 0, skip = strlen(root);

	*out = NULL;
	snprintf(full, sizeof(full), "%s%s", root, pattern);
	if (glob(full, 0, NULL, &g) != 0)
		return 0;
	*out = calloc(g.gl_pathc + 1, sizeof(char *));
	for (size_t i = 0; *out && i < g.gl_pathc; i++)
		if (((*out)[n] = strdup(g.gl_pathv[i] + skip)))
			n++;
	globfree(&g);
	return n;
}

/* A line at a time: *line points at the next line (cut at '\n'), leading
 * blanks skipped, trailing blanks and CR removed. */
static char *next_line(char **cursor)
{
	char *s = *cursor, *e;

	if (!s || !*s)
		return NULL;
	e = strchr(s, '\n');
	*cursor = e ? e + 1 : s + strlen(s);
	if (e)
		*e = '\0';
	while (isspace((unsigned char)*s))
		s++;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]);)
		*--e = '\0';
	return s;
}

/* A systemd time span ("600", "10min", "5m 30s", "infinity") in seconds;
 * -1 when it is none, 0 for infinity or 0. */
static long timespan(const char *s)
{
	long total = 0;

	if (strcmp(s, "infinity") == 0)
		return 0;
	while (*s) {
		char *end;
		long v;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		errno = 0;
		v = strtol(s, &end, 10);
		if (end == s || errno || v < 0)
			return -1;
		s = end;
		while (isspace((unsigned char)*s))
			s++;
		if (strncmp(s, "min", 3) == 0)
			s += 3, v *= 60;
		else if (strncmp(s, "ms", 2) == 0)
			s += 2, v /= 1000;
		else if (strncmp(s, "sec", 3) == 0)
			s += 3;
		else if (*s == 'h')
			s += strncmp(s, "hr", 2) == 0 ? 2 : 1, v *= 3600;
		else if (*s == 'm')
			s += 1, v *= 60;
		else if (*s == 's')
			s += 1;
		else if (*s == 'd')
			s += 1, v *= 86400;
		else if (*s && !isdigit((unsigned char)*s))
			return -1;
		total += v;
	}
	return total;
}

/* What a program of this host prints, for the running settings: argv[0] an
 * absolute path, run without a shell, with an empty environment but PATH,
 * stdin and stderr /dev/null, at most PROGRAM_OUTPUT bytes within
 * PROGRAM_SECONDS; NULL when it cannot run, fails or takes longer. */
#define PROGRAM_OUTPUT (64 * 1024)
#define PROGRAM_SECONDS 5
static char *program_output(char *const argv[])
{
	char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
	posix_spawn_file_actions_t fa;
	int out[2], status = 0;
	char *text = access(argv[0], X_OK) == 0 ? calloc(1, PROGRAM_OUTPUT + 1) : NULL;
	size_t got = 0;
	time_t deadline = time(NULL) + PROGRAM_SECONDS;
	pid_t pid = -1;

	if (!text || pipe2(out, O_CLOEXEC) < 0) {
		free(text);
		return NULL;
	}
	if (posix_spawn_file_actions_init(&fa) == 0) {
		if (posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
		    posix_spawn_file_actions_adddup2(&fa, out[1], 1) != 0 ||
		    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0) != 0 ||
		    posix_spawn(&pid, argv[0], &fa, NULL, argv, envp) != 0)
			pid = -1;
		posix_spawn_file_actions_destroy(&fa);
	}
	close(out[1]);
	while (pid > 0 && time(NULL) < deadline) {
		struct pollfd p = { out[0], POLLIN, 0 };
		ssize_t k;

		if (poll(&p, 1, 500) <= 0)
			continue;
		k = read(out[0], text + got, PROGRAM_OUTPUT - got);
		if (k <= 0 && !(k < 0 && errno == EINTR))
			break;
		got += k > 0 ? (size_t)k : 0;
		if (got == PROGRAM_OUTPUT)
			break;
	}
	close(out[0]);
	if (pid > 0 && waitpid(pid, &status, WNOHANG) == 0) {
		if (time(NULL) >= deadline)
			kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (pid <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* The running systemd-logind's StopIdleSessionUSec in seconds (busctl):
 * -1 when systemd is not running or logind does not answer or knows no
 * such property (before systemd 252). */
static long running_logind(void)
{
	char *argv[] = { "/usr/bin/busctl",
			 "get-property",
			 "org.freedesktop.login1",
			 "/org/freedesktop/login1",
			 "org.freedesktop.login1.Manager",
			 "StopIdleSessionUSec",
			 NULL };
	char *text;
	unsigned long long usec;
	long v = -1;

	if (access("/run/systemd/system", F_OK) != 0 || !(text = program_output(argv)))
		return -1;
	if (sscanf(text, "t %llu", &usec) == 1)
		v = usec == 0 || usec / 1000000 > 0x7fffffffLL ? 0 : (long)(usec / 1000000);
	free(text);
	return v;
}

static void check_logind(const char *root, long idle, struct idm_host_item *it)
{
	static const char *const sources[] = { "/usr/lib/systemd/logind.conf.d/*.conf",
					       "/etc/systemd/logind.conf",
					       "/etc/systemd/logind.conf.d/*.conf" };
	char value[64] = "", where[300] = "";

	for (size_t s = 0; s < sizeof(sources) / sizeof(sources[0]); s++) {
		char **files = NULL;
		size_t n = strchr(sources[s], '*') ? host_glob(root, sources[s], &files) : 0;
		if (!strchr(sources[s], '*')) {
			files = calloc(2, sizeof(char *));
			if (files && (files[0] = strdup(sources[s])))
				n = 1;
		}
		for (size_t i = 0; i < n; i++) {
			char *text = slurp_host(root, files[i]), *cur = text, *line;
			bool login = false;
			while ((line = next_line(&cur))) {
				if (*line == '[')
					login = strcmp(line, "[Login]") == 0;
				else if (login && strncmp(line, "StopIdleSessionSec", 18) == 0) {
					char *v = line + 18;
					while (*v == ' ' || *v == '\t')
						v++;
					if (*v++ != '=')
						continue;
					while (*v == ' ' || *v == '\t')
						v++;
					snprintf(value, sizeof(value), "%s", v);
					snprintf(where, sizeof(where), "%s", files[i]);
				}
			}
			free(text);
		}
		idm_strv_free(files, n);
	}
	long v = *value ? timespan(value) : 0, running = *root ? -1 : running_logind();
	if (running >= 0) {
		/* what the running daemon uses (its files may be newer) */
		v = running;
		snprintf(it->found, sizeof(it->found),
			 _("StopIdleSessionSec=%ld (running systemd-logind)"), running);
	} else if (*value)
		snprintf(it->found, sizeof(it->found), "StopIdleSessionSec=%s (%s)", value, where);
	else
		snprintf(it->found, sizeof(it->found), "%s",
			 _("StopIdleSessionSec not set (systemd's default: infinity)"));
	judge(it, v > 0 && v <= idle,
	      _("set StopIdleSessionSec=%ld under [Login] in "
		"/etc/systemd/logind.conf.d/idmgr-idle.conf (shipped: conf/idle/logind-idmgr.conf), "
		"then: systemctl restart systemd-logind"),
	      idle);
}

struct sshd_state {
	long interval, count;
	bool have_interval, have_count, in_match;
	char where[300];
};

static void sshd_file(const char *root, const char *path, struct sshd_state *st, int depth)
{
	char *text = depth < MAX_DEPTH ? slurp_host(root, path) : NULL, *cur = text, *line;

	while (!st->in_match && (line = next_line(&cur))) {
		char *key = line, *val;
		if (*line == '#' || !*line)
			continue;
		val = key + strcspn(key, " \t=");
		if (*val)
			*val++ = '\0';
		val += strspn(val, " \t=");
		if (strcasecmp(key, "Match") == 0) {
			st->in_match = true; /* what follows applies to some connections only */
		} else if (strcasecmp(key, "Include") == 0) {
			char pattern[1024], **files = NULL;
			size_t n;
			for (char *tok = strtok(val, " \t"); tok; tok = strtok(NULL, " \t")) {
				snprintf(pattern, sizeof(pattern), "%s%s",
					 *tok == '/' ? "" : "/etc/ssh/", tok);
				n = host_glob(root, pattern, &files);
				for (size_t i = 0; i < n; i++)
					sshd_file(root, files[i], st, depth + 1);
				idm_strv_free(files, n);
			}
		} else if (strcasecmp(key, "ClientAliveInterval") == 0 && !st->have_interval) {
			st->have_interval = true;
			st->interval = timespan(val);
			snprintf(st->where, sizeof(st->where), "%s", path);
		} else if (strcasecmp(key, "ClientAliveCountMax") == 0 && !st->have_count) {
			st->have_count = true;
			st->count = strtol(val, NULL, 10);
		}
	}
	free(text);
}

/* sshd's effective settings (sshd -T: the files as sshd reads them, Match
 * blocks, Includes and defaults resolved); false when it cannot tell. */
static bool sshd_effective(struct sshd_state *out)
{
	char *argv[] = { "/usr/sbin/sshd", "-T", NULL }, *text = program_output(argv), *cur = text,
	     *line;
	struct sshd_state st = { 0 };

	while (text && (line = next_line(&cur))) {
		if (strncmp(line, "clientaliveinterval ", 20) == 0)
			st.interval = strtol(line + 20, NULL, 10), st.have_interval = true;
		else if (strncmp(line, "clientalivecountmax ", 20) == 0)
			st.count = strtol(line + 20, NULL, 10), st.have_count = true;
	}
	free(text);
	if (st.have_interval && st.have_count)
		*out = st;
	return st.have_interval && st.have_count;
}

static void check_sshd(const char *root, long idle, struct idm_host_item *it)
{
	struct sshd_state st = { .interval = 0, .count = 3 };

	if (!exists(root, "/etc/ssh/sshd_config")) {
		it->state = IDM_HOST_NOT_APPLICABLE;
		snprintf(it->found, sizeof(it->found), "%s", _("no /etc/ssh/sshd_config"));
		return;
	}
	if (!*root && sshd_effective(&st))
		snprintf(it->found, sizeof(it->found),
			 _("ClientAliveInterval %ld, ClientAliveCountMax %ld (sshd -T)"),
			 st.interval, st.count);
	else
		sshd_file(root, "/etc/ssh/sshd_config", &st, 0);
	if (!*it->found)
		snprintf(it->found, sizeof(it->found),
			 "ClientAliveInterval %ld, ClientAliveCountMax %ld%s%s%s", st.interval,
			 st.count, st.have_interval ? " (" : " (defaults)",
			 st.have_interval ? st.where : "", st.have_interval ? ")" : "");
	judge(it, st.interval > 0 && st.count > 0 && st.interval * st.count <= idle,
	      _("put ClientAliveInterval %ld and ClientAliveCountMax 2 in "
		"/etc/ssh/sshd_config.d/idmgr-idle.conf (shipped: conf/idle/sshd-idmgr.conf; the "
		"first value sshd reads wins, so before other settings), then: systemctl reload ssh"),
	      idle / 2 > 0 ? idle / 2 : 1);
}

/* TMOUT=N in a shell start-up file, and whether it is made read-only. */
static void shell_file(const char *root, const char *path, long *best, bool *ro, char *where,
		       size_t size)
{
	char *text = slurp_host(root, path), *cur = text, *line;

	while ((line = next_line(&cur))) {
		char *p = strstr(line, "TMOUT=");

		if (strncmp(line, "readonly", 8) == 0 && strstr(line, "TMOUT"))
			*ro = true;
		if (*line == '#' || !p ||
		    (p > line && (isalnum((unsigned char)p[-1]) || p[-1] == '_')))
			continue;
		long v = strtol(p + 6, NULL, 10);
		if (v > 0 && (*best == 0 || v < *best)) {
			*best = v;
			snprintf(where, size, "%s", path);
		}
		if (strstr(line, "readonly") || strstr(line, "declare -r") ||
		    strstr(line, "typeset -r"))
			*ro = true;
	}
	free(text);
}

static void check_shell(const char *root, long idle, struct idm_host_item *it)
{
	char where[300] = "", **files = NULL;
	long best = 0;
	bool ro = false;
	size_t n;

	shell_file(root, "/etc/profile", &best, &ro, where, sizeof(where));
	shell_file(root, "/etc/bash.bashrc", &best, &ro, where, sizeof(where));
	n = host_glob(root, "/etc/profile.d/*.sh", &files);
	for (size_t i = 0; i < n; i++)
		shell_file(root, files[i], &best, &ro, where, sizeof(where));
	idm_strv_free(files, n);
	if (best)
		snprintf(it->found, sizeof(it->found), "TMOUT=%ld%s (%s)", best,
			 ro ? ", read-only" : ", not read-only", where);
	else
		snprintf(it->found, sizeof(it->found), "%s", _("TMOUT not set"));
	judge(it, best > 0 && best <= idle && ro,
	      _("install /etc/profile.d/idmgr-tmout.sh (shipped: conf/idle/profile-tmout.sh) with "
		"TMOUT=%ld, read-only so that a user cannot unset it"),
	      idle);
}

static void check_gnome(const char *root, long idle, struct idm_host_item *it)
{
	char **files = NULL, **locks = NULL, where[300] = "";
	size_t n, nl;
	long delay = -1;
	bool lock = false, locked_delay = false, locked_lock = false;

	if (!exists(root, "/etc/dconf/db") && !exists(root, "/usr/bin/gnome-shell")) {
		it->state = IDM_HOST_NOT_APPLICABLE;
		snprintf(it->found, sizeof(it->found), "%s",
			 _("no GNOME (no /etc/dconf/db, no gnome-shell)"));
		return;
	}
	n = host_glob(root, "/etc/dconf/db/*.d/*", &files);
	for (size_t i = 0; i < n; i++) {
		char *text = slurp_host(root, files[i]), *cur = text, *line, section[128] = "";
		while ((line = next_line(&cur))) {
			if (*line == '[') {
				snprintf(section, sizeof(section), "%s", line);
			} else if (strcmp(section, "[org/gnome/desktop/session]") == 0 &&
				   strncmp(line, "idle-delay=", 11) == 0) {
				const char *v = line + 11;
				if (strncmp(v, "uint32 ", 7) == 0)
					v += 7;
				delay = strtol(v, NULL, 10);
				snprintf(where, sizeof(where), "%s", files[i]);
			} else if (strcmp(section, "[org/gnome/desktop/screensaver]") == 0 &&
				   strncmp(line, "lock-enabled=", 13) == 0) {
				lock = strcmp(line + 13, "true") == 0;
			}
		}
		free(text);
	}
	nl = host_glob(root, "/etc/dconf/db/*.d/locks/*", &locks);
	for (size_t i = 0; i < nl; i++) {
		char *text = slurp_host(root, locks[i]), *cur = text, *line;
		while ((line = next_line(&cur))) {
			locked_delay |= strcmp(line, "/org/gnome/desktop/session/idle-delay") == 0;
			locked_lock |=
				strcmp(line, "/org/gnome/desktop/screensaver/lock-enabled") == 0;
		}
		free(text);
	}
	idm_strv_free(files, n);
	idm_strv_free(locks, nl);
	snprintf(it->found, sizeof(it->found), "idle-delay %ld%s, lock-enabled %s, %slocked%s%s%s",
		 delay, delay < 0 ? " (not set: GNOME's default 300)" : "",
		 lock ? "true" : "not set", locked_delay && locked_lock ? "" : "not ",
		 *where ? " (" : "", where, *where ? ")" : "");
	judge(it, delay > 0 && delay <= idle && lock && locked_delay && locked_lock,
	      _("install /etc/dconf/db/local.d/00-idmgr-lock and locks/idmgr-lock (shipped: "
		"conf/idle/dconf-idmgr-lock, conf/idle/dconf-idmgr-lock.locks) with idle-delay=uint32 "
		"%ld and lock-enabled=true, then: dconf update"),
	      idle);
}

/* "H:MM:SS" or minutes, as XScreenSaver writes them; -1 if none. */
static long xss_time(const char *s)
{
	int h, m, sec;

	if (sscanf(s, "%d:%d:%d", &h, &m, &sec) == 3)
		return h * 3600L + m * 60L + sec;
	return isdigit((unsigned char)*s) ? strtol(s, NULL, 10) * 60 : -1;
}

static void check_xscreensaver(const char *root, long idle, struct idm_host_item *it)
{
	static const char path[] = "/etc/X11/app-defaults/XScreenSaver";
	char *text, *cur, *line;
	long timeout = -1;
	bool lock = false;

	if (!exists(root, "/usr/bin/xscreensaver") && !exists(root, path)) {
		it->state = IDM_HOST_NOT_APPLICABLE;
		snprintf(it->found, sizeof(it->found), "%s", _("no xscreensaver"));
		return;
	}
	cur = text = slurp_host(root, path);
	while ((line = next_line(&cur))) {
		if (strncmp(line, "*timeout:", 9) == 0)
			timeout = xss_time(line + 9 + strspn(line + 9, " \t"));
		else if (strncmp(line, "*lock:", 6) == 0)
			lock = strcasecmp(line + 6 + strspn(line + 6, " \t"), "True") == 0;
	}
	free(text);
	snprintf(it->found, sizeof(it->found), "*timeout %ld s, *lock %s (%s)", timeout,
		 lock ? "True" : "False", path);
	judge(it, timeout > 0 && timeout <= idle && lock,
	      _("set *timeout: %ld:%02ld:%02ld and *lock: True in %s (shipped: "
		"conf/idle/xscreensaver-idmgr), as the package's conffile"),
	      idle / 3600, idle / 60 % 60, idle % 60, path);
}

int idm_host_check(const char *root, long idle_timeout, struct idm_host_report *out)
{
	static const char *const names[IDM_HOST_ITEMS] = { "logind", "sshd", "shell", "gnome",
							   "xscreensaver" };
	char r[2048];

	memset(out, 0, sizeof(*out));
	if (!root || root[0] != '/' || idle_timeout <= 0 ||
	    snprintf(r, sizeof(r), "%s", root) >= (int)sizeof(r))
		return IDM_EINVAL;
	for (size_t n = strlen(r); n > 0 && r[n - 1] == '/';)
		r[--n] = '\0'; /* "/" becomes "": paths below start with '/' */
	for (int i = 0; i < IDM_HOST_ITEMS; i++)
		out->items[i].name = names[i];
	check_logind(r, idle_timeout, &out->items[0]);
	check_sshd(r, idle_timeout, &out->items[1]);
	check_shell(r, idle_timeout, &out->items[2]);
	check_gnome(r, idle_timeout, &out->items[3]);
	check_xscreensaver(r, idle_timeout, &out->items[4]);
	for (int i = 0; i < IDM_HOST_ITEMS; i++)
		out->n_change += out->items[i].state == IDM_HOST_CHANGE;
	return IDM_OK;
}
