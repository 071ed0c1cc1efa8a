/* test_secret.c -- secret files: read, check, write (R-PW-5).
 *
 * Unit tests of the core library, without a directory server; fixtures
 * and the runner are tests/fixture.h.  Requirement IDs are those of
 * docs/requirements.md. */
#include "config.h"

#include <argon2.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <ldap.h>
#include <pthread.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "idm_blocklist.h"
#include "idm_config.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_log.h"
#include "idm_mods.h"
#include "idm_passhash.h"
#include "idm_random.h"
#include "idm_role.h"
#include "idm_secret.h"
#include "idm_time.h"
#include "idm_uid.h"

/* ================================================ secret files (R-PW-5) */

static void assert_secret(const char *content, size_t len, mode_t mode, int want_r,
			  const char *want, const char *want_msg)
{
	char path[PATH_MAX], *s = (char *)1;
	int r;

	capture_reset();
	fx_path(path, sizeof(path), "s.secret");
	unlink(path);
	fx_write_bytes("s.secret", content, len, mode, path, sizeof(path));
	r = idm_secret_read(path, &cap_log, &s);
	ck_assert_msg(r == want_r, "read returned %d, want %d; messages:\n%s", r, want_r,
		      captured.text);
	if (want) {
		ck_assert_str_eq(s, want);
		idm_secret_free(s);
	} else {
		ck_assert_ptr_null(s);
	}
	if (want_msg) {
		ck_assert_logged(want_msg);
		ck_assert_int_eq(logged_line(path, want_msg), 0); /* names the file */
	}
}

START_TEST(secret_read_first_line)
{
	assert_secret("s3cret\nsecond line\n", 19, 0600, IDM_OK, "s3cret", NULL);
	assert_secret("s3cret", 6, 0600, IDM_OK, "s3cret", NULL);
	assert_secret("s3cret\r\n", 8, 0600, IDM_OK, "s3cret", NULL);
	assert_secret("with space \t", 12, 0400, IDM_OK, "with space \t", NULL);
	ck_assert_str_eq(captured.text, "");
}
END_TEST

START_TEST(secret_read_refusals)
{
	char big[4098];

	assert_secret("", 0, 0600, IDM_ECONFIG, NULL, "the secret is empty");
	assert_secret("\nsecond\n", 8, 0600, IDM_ECONFIG, NULL, "the secret is empty");
	assert_secret("s3cret\n", 7, 0640, IDM_ECONFIG, NULL,
		      "mode 0640 gives access to group or others; it must be 0600 or stricter");
	assert_secret("s3cret\n", 7, 0604, IDM_ECONFIG, NULL, "mode 0604");
	memset(big, 'a', sizeof(big));
	assert_secret(big, 4097, 0600, IDM_ECONFIG, NULL, "larger than 4096 bytes");
	big[4095] = '\n'; /* 4 KiB exactly is allowed */
	big[4096] = '\0';
	capture_reset();
	{
		char path[PATH_MAX], *s = NULL;

		fx_write_bytes("max.secret", big, 4096, 0600, path, sizeof(path));
		ck_assert_int_eq(idm_secret_read(path, &cap_log, &s), IDM_OK);
		ck_assert_uint_eq(strlen(s), 4095);
		idm_secret_free(s);
	}
}
END_TEST

START_TEST(secret_read_symlink_and_missing)
{
	char real[PATH_MAX], link_path[PATH_MAX], *s = (char *)1;

	fx_write_text("real.secret", "s3cret\n", 0600, real, sizeof(real));
	fx_path(link_path, sizeof(link_path), "link.secret");
	ck_assert_int_eq(symlink(real, link_path), 0);
	ck_assert_int_lt(idm_secret_read(link_path, &cap_log, &s), 0);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(logged_line(link_path, "is a symbolic link (refused)"), 0);

	capture_reset();
	s = (char *)1;
	ck_assert_int_eq(idm_secret_read(real, &cap_log, &s), IDM_OK);
	ck_assert_str_eq(s, "s3cret");
	idm_secret_free(s);

	capture_reset();
	s = (char *)1;
	fx_path(link_path, sizeof(link_path), "absent.secret");
	ck_assert_int_eq(idm_secret_read(link_path, &cap_log, &s), IDM_ECONFIG);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(logged_line(link_path, "No such file or directory"), 0);
}
END_TEST

START_TEST(secret_write)
{
	char path[PATH_MAX], *content, *s = NULL;
	struct stat st;
	mode_t old = umask(0);
	DIR *d;
	struct dirent *e;
	int entries = 0;

	fx_path(path, sizeof(path), "new.secret");
	ck_assert_int_eq(idm_secret_write(path, "Tr0ub4dor&3", &cap_log), IDM_OK);
	umask(old);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_uid, geteuid());
	content = fx_slurp(path);
	ck_assert_str_eq(content, "Tr0ub4dor&3"); /* no newline added */
	ck_assert_int_eq(idm_secret_read(path, &cap_log, &s), IDM_OK);
	ck_assert_str_eq(s, "Tr0ub4dor&3");
	idm_secret_free(s);

	/* never replaces */
	ck_assert_int_eq(idm_secret_write(path, "other", &cap_log), IDM_EEXIST);
	ck_assert_int_eq(logged_line(path, "exists already; not replaced"), 0);
	content = fx_slurp(path);
	ck_assert_str_eq(content, "Tr0ub4dor&3");

	/* no temporary file left behind */
	d = opendir(fx_dir);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			entries++;
	closedir(d);
	ck_assert_int_eq(entries, 1);
}
END_TEST

/* A dangling symbolic link is not followed to create its target. */
/* A logger that changes errno, as syslog(3) may. */
static void clobbering_fn(void *data, int priority, const char *msg)
{
	fx_capture_fn(data, priority, msg);
	errno = ENOSPC;
}

struct racer {
	int inotify;
	char path[PATH_MAX];
};

/* As soon as idm_secret_write()'s temporary file appears, creates the
 * target, so that its link() finds the target there (the fsync() between
 * makes the window wide). */
static void *race_target(void *arg)
{
	struct racer *rc = arg;
	char events[4096];
	int fd;

	if (read(rc->inotify, events, sizeof(events)) > 0 &&
	    (fd = open(rc->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	return NULL;
}

/* A target that appears while the secret is written is never replaced, and
 * the answer is IDM_EEXIST even when the logger changed errno before it was
 * read (it once was read after the message and an unlink()). */
START_TEST(secret_write_race_is_eexist)
{
	const struct idm_log log = { clobbering_fn, NULL, 1, NULL };
	struct racer rc;
	pthread_t t;
	int r = IDM_OK;

	fx_path(rc.path, sizeof(rc.path), "raced.secret");
	for (int i = 0; i < 20 && r == IDM_OK; i++) {
		unlink(rc.path);
		rc.inotify = inotify_init1(IN_CLOEXEC);
		ck_assert_int_ge(rc.inotify, 0);
		ck_assert_int_ge(inotify_add_watch(rc.inotify, fx_dir, IN_CREATE), 0);
		ck_assert_int_eq(pthread_create(&t, NULL, race_target, &rc), 0);
		capture_reset();
		r = idm_secret_write(rc.path, "Tr0ub4dor&3", &log);
		ck_assert_int_eq(pthread_join(t, NULL), 0);
		close(rc.inotify);
	}
	ck_assert_msg(r == IDM_EEXIST, "idm_secret_write gave %d (%s); messages:\n%s", r,
		      idm_strerror(r), captured.text);
	ck_assert_logged("File exists");
	ck_assert_ptr_null(strstr(captured.text, "exists already")); /* the race, not lstat */
	ck_assert_str_eq(fx_slurp(rc.path), ""); /* the racer's file, not replaced */
}
END_TEST

START_TEST(secret_write_refuses_symlink)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct stat st;

	fx_path(path, sizeof(path), "link.secret");
	fx_path(target, sizeof(target), "target.secret");
	ck_assert_int_eq(symlink(target, path), 0);
	ck_assert_int_eq(idm_secret_write(path, "s3cret", &cap_log), IDM_EEXIST);
	ck_assert_int_ne(lstat(target, &st), 0);
}
END_TEST

static Suite *secret_suite(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = fx_tcase("files");

	tcase_add_test(tc, secret_read_first_line);
	tcase_add_test(tc, secret_read_refusals);
	tcase_add_test(tc, secret_read_symlink_and_missing);
	tcase_add_test(tc, secret_write);
	tcase_add_test(tc, secret_write_race_is_eexist);
	tcase_add_test(tc, secret_write_refuses_symlink);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(secret_suite(), NULL);
}
