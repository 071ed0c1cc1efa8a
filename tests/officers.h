/* officers.h -- integration-test helpers for officers' commands: every
 * sample officer of the sandbox replaces the temporary password once
 * (R-PW-4), then tests run the real idmgr as any of them. */
#ifndef TESTS_OFFICERS_H
#define TESTS_OFFICERS_H

#include <sys/types.h>

#include "harness.h"

/* Changes every sample officer's temporary password (and extra's, whose
 * temporary password is given), writing each new one to DIR/UID.pw. */
void officers_ready(struct sandbox *sb, const char *extra_uid, const char *extra_temp);
/* The password officers_ready wrote for uid (DIR/UID.pw, malloc'ed);
 * asserts it is there. */
char *officer_password(const struct sandbox *sb, const char *uid);
/* Runs idmgr as operator uid (NULL: none) with the NULL-terminated
 * arguments; returns the exit status, captures stdout and stderr. */
int idmgr_as(struct sandbox *sb, const char *uid, char **out, char **err, ...);
/* Writes a form file into the sandbox folder; returns its path. */
char *form_file(struct sandbox *sb, const char *name, const char *text);
/* Writes form into DIR/name and submits it as submitter (asserted to
 * succeed); returns the request ID (malloc'ed). */
char *request_submit(struct sandbox *sb, const char *submitter, const char *name, const char *form);
/* submit (as submitter), approve by a1 and a2, apply by applier; asserts
 * each succeeds; returns apply's stdout and the request ID. */
char *request_through(struct sandbox *sb, const char *form, const char *submitter, const char *a1,
		      const char *a2, const char *applier, char **id);

/* Starts idmgr with the configuration conf as operator uid (password from
 * DIR/UID.pw) and the three arguments, its standard output on outfd;
 * returns its pid. */
pid_t idmgr_spawn(struct sandbox *sb, const char *conf, const char *uid, const char *a1,
		  const char *a2, const char *a3, int outfd);
/* Two "request apply ID" at once, by takahashi through confs[0] and tanaka
 * through confs[1]: asserts that both succeed and that exactly one prints
 * a temporary password for uid; returns that password (malloc'ed). */
char *idmgr_racing_applies(struct sandbox *sb, const char *const confs[2], const char *id,
			   const char *uid);

/* The sandbox's idmgrd instance n ("" the first, "2" the second), which
 * idmgr-sandbox started (not a child of this process): its pid, read from
 * DIR/idmgrd{n}.pid (asserted there); */
pid_t idmgrd_instance_pid(const struct sandbox *sb, const char *n);
/* stopped (SIGTERM; waits until it removed its pid file, which it does
 * last; asserts it did); */
void idmgrd_instance_stop(const struct sandbox *sb, const char *n);
/* started again as idmgr-sandbox does (DIR/idmgr{n}.conf, in a session of
 * its own); waits for its pid file (asserts it came). */
void idmgrd_instance_start(const struct sandbox *sb, const char *n);

#endif
