/* fixture.c -- see fixture.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"

struct fx_captured captured;
const struct idm_log cap_log = { fx_capture_fn, NULL, 1, NULL };
char fx_dir[PATH_MAX];
static char fx_root[PATH_MAX];

void fx_capture_fn(void *data, int priority, const char *msg)
{
	size_t room = sizeof(captured.text) - captured.len;
	int n;

	(void)data;
	(void)priority;
	n = snprintf(captured.text + captured.len, room, "%s\n", msg);
	if (n > 0)
		captured.len += (size_t)n < room ? (size_t)n : room - 1;
}

void capture_reset(void)
{
	captured.text[0] = '\0';
	captured.len = 0;
}

const char *logged(const char *needle)
{
	const char *hit = strstr(captured.text, needle);

	if (!hit)
		return NULL;
	while (hit > captured.text && hit[-1] != '\n')
		hit--;
	return hit;
}

int logged_line(const char *name, const char *needle)
{
	const char *m = logged(needle);
	size_t plen = strlen(name);
	int line = 0;

	if (!m || strncmp(m, name, plen) != 0 || m[plen] != ':')
		return -1;
	for (m += plen + 1; *m >= '0' && *m <= '9'; m++)
		line = line * 10 + (*m - '0');
	return *m == ':' ? line : 0;
}

int line_in(const char *text, const char *needle)
{
	const char *hit = strstr(text, needle);
	int line = 1;

	if (!hit)
		return 0;
	for (const char *p = text; p < hit; p++)
		if (*p == '\n')
			line++;
	return line;
}

/* ------------------------------------------------------------ ownership */

#define FX_MAX 64
static struct {
	void *p;
	void (*release)(void *);
} kept[FX_MAX];
static size_t n_kept;

void *fx_keep_with(void *p, void (*release)(void *))
{
	if (!p)
		return NULL;
	ck_assert_uint_lt(n_kept, FX_MAX);
	kept[n_kept].p = p;
	kept[n_kept].release = release;
	n_kept++;
	return p;
}

void *fx_keep(void *p)
{
	return fx_keep_with(p, free);
}

void fx_release(void)
{
	while (n_kept > 0) {
		n_kept--;
		kept[n_kept].release(kept[n_kept].p);
	}
}

/* ------------------------------------------------------------ folders */

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void fx_root_setup(void)
{
	const char *base = getenv("TMPDIR");

	if (!base || !*base)
		base = "/tmp";
	snprintf(fx_root, sizeof(fx_root), "%s/idm-%s-XXXXXX", base, program_invocation_short_name);
	if (!mkdtemp(fx_root)) {
		fprintf(stderr, "mkdtemp %s: %s\n", fx_root, strerror(errno));
		exit(EXIT_FAILURE);
	}
}

void fx_root_teardown(void)
{
	remove_tree(fx_root);
	fx_root[0] = '\0';
}

void fx_dir_setup(void)
{
	ck_assert_int_lt(snprintf(fx_dir, sizeof(fx_dir), "%s/t-XXXXXX", fx_root),
			 (int)sizeof(fx_dir));
	ck_assert_msg(mkdtemp(fx_dir) != NULL, "mkdtemp %s: %s", fx_dir, strerror(errno));
	capture_reset();
}

void fx_dir_teardown(void)
{
	fx_release();
	if (fx_dir[0])
		remove_tree(fx_dir);
	fx_dir[0] = '\0';
}

TCase *fx_tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, fx_root_setup, fx_root_teardown);
	tcase_add_checked_fixture(tc, fx_dir_setup, fx_dir_teardown);
	return tc;
}

void fx_path(char *out, size_t n, const char *name)
{
	ck_assert_int_lt(snprintf(out, n, "%s/%s", fx_dir, name), (int)n);
}

void fx_write_bytes(const char *name, const void *data, size_t len, mode_t mode, char *out, size_t n)
{
	int fd;

	fx_path(out, n, name);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0, "%s: %s", out, strerror(errno));
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

void fx_write_text(const char *name, const char *text, mode_t mode, char *out, size_t n)
{
	fx_write_bytes(name, text, strlen(text), mode, out, n);
}

char *fx_slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long size;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	return fx_keep(buf);
}

/* ------------------------------------------------------------ runner */

int fx_run(Suite *first, ...)
{
	SRunner *sr = srunner_create(first);
	Suite *s;
	va_list ap;
	int failed;

	va_start(ap, first);
	while ((s = va_arg(ap, Suite *)) != NULL)
		srunner_add_suite(sr, s);
	va_end(ap);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
