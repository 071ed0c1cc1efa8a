/* fixture.h -- what the Check test programs share, so that none carries a
 * copy: a sink that captures the core's messages, scratch folders made and
 * removed around each test, file writers and readers, teardown-owned
 * allocations, and the one suite runner.
 *
 * Folders: each tcase gets one (fx_root_setup, an unchecked fixture run by
 * the runner's process) and each test one inside it (fx_dir_setup, a
 * checked fixture): a test that fails in a forked child never reaches its
 * teardown, the tcase's teardown still removes what it left.
 * Allocations kept with fx_keep*() are released by fx_dir_teardown(), so a
 * failed assertion (a longjmp under CK_FORK=no, as valgrind runs use) leaks
 * nothing. */
#ifndef TESTS_FIXTURE_H
#define TESTS_FIXTURE_H

#include <check.h>
#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "idm_log.h"

/* ------------------------------------------------------------ messages */

/* Every message of the core since capture_reset(), one per line. */
struct fx_captured {
	char text[32768];
	size_t len;
};
extern struct fx_captured captured;
extern const struct idm_log cap_log; /* debug messages included */
void fx_capture_fn(void *data, int priority, const char *msg);
void capture_reset(void);
/* The captured message (a whole line) holding needle, or NULL. */
const char *logged(const char *needle);
/* For the message holding needle: -1 when there is none or it does not
 * start with "NAME:", 0 when it names no line ("NAME: ..."), else the line
 * of "NAME:LINE: ...". */
int logged_line(const char *name, const char *needle);
#define ck_assert_logged(needle)                                                                \
	ck_assert_msg(logged(needle) != NULL, "no message holds \"%s\"; messages:\n%s", needle, \
		      captured.text)
/* 1-based line of the first occurrence of needle in text, 0 when absent. */
int line_in(const char *text, const char *needle);

/* ------------------------------------------------------------ folders */

extern char fx_dir[PATH_MAX]; /* this test's folder */
void fx_root_setup(void);
void fx_root_teardown(void);
void fx_dir_setup(void);    /* also resets the capture */
void fx_dir_teardown(void); /* also releases what was kept */
/* A tcase with both fixtures. */
TCase *fx_tcase(const char *name);

/* DIR/name into out (n bytes). */
void fx_path(char *out, size_t n, const char *name);
/* Writes len bytes to a new DIR/name with exactly that mode; its path goes
 * to out (n bytes). */
void fx_write_bytes(const char *name, const void *data, size_t len, mode_t mode, char *out,
		    size_t n);
void fx_write_text(const char *name, const char *text, mode_t mode, char *out, size_t n);
/* The whole file, NUL-terminated, kept (freed by teardown). */
char *fx_slurp(const char *path);

/* ------------------------------------------------------------ ownership */

/* p freed (or release(p) called) by fx_dir_teardown; NULL is ignored.
 * Both return p. */
void *fx_keep(void *p);
void *fx_keep_with(void *p, void (*release)(void *));
void fx_release(void);

/* ------------------------------------------------------------ runner */

/* Runs the suites (a NULL-terminated list) as CK_ENV, CK_FORK,
 * CK_RUN_SUITE and CK_RUN_CASE say; the exit status for main. */
int fx_run(Suite *first, ...);

#endif
