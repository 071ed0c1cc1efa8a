#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idm_error.h"
#include "idm_password.h"
#include "officers.h"

static const char *const sample[] = { "sato", "suzuki", "takahashi", "tanaka", "watanabe", "ito" };

static void pwfile(struct sandbox *sb, const char *uid, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s.pw", sb->dir, uid);
}

static void ready(struct sandbox *sb, const char *uid, char *temp, int i)
{
	struct idm_violations v;
	char newpw[64], path[700];

	snprintf(newpw, sizeof(newpw), "Officer pass %d for duty!", i);
	ck_assert_int_eq(idm_password_change(sb->cfg, NULL, uid, temp, newpw, strlen(newpw), &v),
			 IDM_OK);
	pwfile(sb, uid, path, sizeof(path));
	write_file(path, newpw, 0600);
	free(temp);
}

void officers_ready(struct sandbox *sb, const char *extra_uid, const char *extra_temp)
{
	for (size_t i = 0; i < sizeof(sample) / sizeof(sample[0]); i++)
		ready(sb, sample[i], sandbox_officer_password(sb, sample[i]), (int)i);
	if (extra_uid)
		ready(sb, extra_uid, strdup(extra_temp), 99);
}

char *officer_password(const struct sandbox *sb, const char *uid)
{
	char path[700], *pw;

	snprintf(path, sizeof(path), "%s/%s.pw", sb->dir, uid);
	pw = slurp(path);
	ck_assert_ptr_nonnull(pw);
	return pw;
}

int idmgr_as(struct sandbox *sb, const char *uid, char **out, char **err, ...)
{
	char path[700], *argv[32];
	va_list ap;
	int n = 0, r;

	argv[n++] = getenv("IDMGR_BIN");
	argv[n++] = "-c";
	argv[n++] = sb->conf;
	if (uid) {
		pwfile(sb, uid, path, sizeof(path));
		argv[n++] = "-u";
		argv[n++] = (char *)uid;
		argv[n++] = "--password-file";
		argv[n++] = path;
	}
	va_start(ap, err);
	r = run_cmd_va(argv, n, out, err, ap);
	va_end(ap);
	return r;
}

char *form_file(struct sandbox *sb, const char *name, const char *text)
{
	char *path = malloc(700);

	snprintf(path, 700, "%s/%s", sb->dir, name);
	write_file(path, text, 0644);
	return path;
}

char *request_submit(struct sandbox *sb, const char *submitter, const char *name, const char *form)
{
	char *path = form_file(sb, name, form), *out = NULL, *err = NULL;

	ck_assert_msg(idmgr_as(sb, submitter, &out, &err, "request", "submit", path, NULL) == 0,
		      "submit: %s", err);
	out[strcspn(out, "\n")] = '\0';
	free(err);
	free(path);
	return out;
}

char *request_through(struct sandbox *sb, const char *form, const char *submitter, const char *a1,
		      const char *a2, const char *applier, char **id)
{
	static int n;
	char name[32], *out = NULL, *err = NULL;

	snprintf(name, sizeof(name), "form-%d", n++);
	*id = request_submit(sb, submitter, name, form);
	ck_assert_msg(idmgr_as(sb, a1, &out, &err, "request", "approve", *id, NULL) == 0,
		      "approve by %s: %s", a1, err);
	free(out);
	free(err);
	ck_assert_msg(idmgr_as(sb, a2, &out, &err, "request", "approve", *id, NULL) == 0,
		      "approve by %s: %s", a2, err);
	free(out);
	free(err);
	ck_assert_msg(idmgr_as(sb, applier, &out, &err, "request", "apply", *id, NULL) == 0,
		      "apply: %s", err);
	free(err);
	return out;
}

pid_t idmgr_spawn(struct sandbox *sb, const char *conf, const char *uid, const char *a1,
		  const char *a2, const char *a3, int outfd)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char path[700];
		pwfile(sb, uid, path, sizeof(path));
		dup2(outfd, 1);
		execl(getenv("IDMGR_BIN"), "idmgr", "-c", conf, "-u", uid, "--password-file", path,
		      a1, a2, a3, (char *)NULL);
		_exit(127);
	}
	return pid;
}

char *idmgr_racing_applies(struct sandbox *sb, const char *const confs[2], const char *id,
			   const char *uid)
{
	char *outs[2] = { NULL, NULL }, *pw = NULL, want[128];
	int fds[2][2], st[2], printed = 0;
	pid_t p[2];

	snprintf(want, sizeof(want), "temporary password for %s: ", uid);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(pipe(fds[i]), 0);
		p[i] = idmgr_spawn(sb, confs[i], i ? "tanaka" : "takahashi", "request", "apply", id,
				   fds[i][1]);
		close(fds[i][1]);
	}
	for (int i = 0; i < 2; i++) {
		char buf[4096] = "";
		ssize_t n, got = 0;
		while ((n = read(fds[i][0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
			got += n;
		close(fds[i][0]);
		outs[i] = strdup(buf);
		ck_assert_int_eq(waitpid(p[i], &st[i], 0), p[i]);
		ck_assert_msg(WIFEXITED(st[i]) && WEXITSTATUS(st[i]) == 0, "apply %d: %s", i,
			      outs[i]);
	}
	for (int i = 0; i < 2; i++) {
		char *q = strstr(outs[i], want);
		if (!q)
			continue;
		printed++;
		free(pw);
		pw = strndup(q + strlen(want), 16);
	}
	ck_assert_msg(printed == 1, "%d temporary passwords printed:\n%s\n%s", printed, outs[0],
		      outs[1]);
	free(outs[0]);
	free(outs[1]);
	return pw;
}

pid_t idmgrd_instance_pid(const struct sandbox *sb, const char *n)
{
	char path[700], *text;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/idmgrd%s.pid", sb->dir, n);
	text = slurp(path);
	ck_assert_ptr_nonnull(text);
	pid = (pid_t)atoi(text);
	free(text);
	return pid;
}

void idmgrd_instance_stop(const struct sandbox *sb, const char *n)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/idmgrd%s.pid", sb->dir, n);
	ck_assert_int_eq(kill(idmgrd_instance_pid(sb, n), SIGTERM), 0);
	for (int i = 0; i < 100 && access(path, F_OK) == 0; i++)
		usleep(100000); /* it removes its pid file last */
	ck_assert_int_ne(access(path, F_OK), 0);
}

void idmgrd_instance_start(const struct sandbox *sb, const char *n)
{
	char pidfile[700], conf[700];
	pid_t pid;

	snprintf(pidfile, sizeof(pidfile), "%s/idmgrd%s.pid", sb->dir, n);
	snprintf(conf, sizeof(conf), "%s/idmgr%s.conf", sb->dir, n);
	unlink(pidfile);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		setsid();
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (fork() == 0)
			execl(getenv("IDMGRD_BIN"), "idmgrd", "-f", "-c", conf, "-p", pidfile,
			      (char *)NULL);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	for (int i = 0; i < 100 && access(pidfile, F_OK) != 0; i++)
		usleep(100000);
	ck_assert_int_eq(access(pidfile, F_OK), 0);
}
