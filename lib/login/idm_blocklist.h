/* idm_blocklist.h -- a list of refused passwords in a text file (R-PW-1,
 * policy key blocklist_file).
 *
 * One password per line, ending in \n or \r\n; empty lines and lines
 * starting with '#' are ignored, nothing else is trimmed.  A candidate
 * matches a line when they are equal with ASCII letters folded (other bytes,
 * UTF-8 included, compare exactly): a list is for whole passwords, not
 * fragments.
 *
 * The PAM module is loaded afresh in each program, so nothing is cached or
 * indexed: each call streams the file through one buffer and compares only
 * lines of the candidate's length -- a million lines take a few
 * milliseconds.  The file is read(), not mmap()ed: an administrator who
 * rewrites the list in place would otherwise kill passwd or sshd with
 * SIGBUS.  Opened without following symbolic links; it must be a regular
 * file of at most IDM_BLOCKLIST_MAX bytes, and a text file: a NUL byte
 * anywhere (a UTF-16 or binary file, which would match nothing) is an error
 * naming its line (the password is refused either way: a line that matches
 * in a part read before the NUL is reported as listed).  config check reads the list with the same code, so it
 * gives the same verdict in the same bounded memory (one 128 KiB buffer). */
#ifndef IDM_BLOCKLIST_H
#define IDM_BLOCKLIST_H

#include <stddef.h>

#include "idm_log.h"

#define IDM_BLOCKLIST_MAX (256u * 1024 * 1024)

/* 1 when candidate (len bytes) is on the list at path, 0 when not; a
 * negative idm_err (logged, naming the file) when the list cannot be read
 * (IDM_EIO) or is not a regular file or too large (IDM_ECONFIG), so that
 * the caller fails closed. */
int idm_blocklist_contains(const char *path, const char *candidate, size_t len,
			   const struct idm_log *log);

/* Reads the whole list as idm_blocklist_contains() does: 0 when every
 * candidate could be checked against it, else that negative idm_err. */
int idm_blocklist_check(const char *path, const struct idm_log *log);

#endif
