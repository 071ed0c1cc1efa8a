/* idm_log.h -- the one sink for the core library's messages.
 *
 * The core never prints: it hands each message to the sink its caller
 * installed.  The PAM module binds it to pam_syslog(), the command to
 * stderr.  A NULL logger or function drops messages.  Never pass a password. */
#ifndef IDM_LOG_H
#define IDM_LOG_H

#include <stddef.h>
#include <syslog.h>

typedef void (*idm_log_fn)(void *data, int priority, const char *msg);

/* The same message for a person to read (issue 14): fmt is the English
 * format, itself the msgid, and args[0..nargs) its arguments, each already
 * formatted by its own conversion.  The sink translates fmt in its reader's
 * language and puts the arguments in (idm_log_render()); what fn gets,
 * for syslog and the audit trail, stays English. */
typedef void (*idm_show_fn)(void *data, int priority, const char *fmt, const char *const *args,
			    int nargs);

#define IDM_LOG_MAXARGS 16

struct idm_log {
	idm_log_fn fn;
	void *data;
	int debug;        /* nonzero: LOG_DEBUG messages are passed on too */
	idm_show_fn show; /* NULL: none; else called after fn, with fn's data */
};

void idm_logf(const struct idm_log *log, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes fmt (a translation of a logged format) with args put in for its
 * conversions, in order or by position (%2$s).  Never calls printf with
 * fmt: a format from a service's answer cannot read memory.  Returns 0, or
 * -1 when fmt names an argument that args lacks (the caller shows the
 * English text instead) or out is too short. */
int idm_log_render(char *out, size_t len, const char *fmt, const char *const *args, int nargs);

#endif
