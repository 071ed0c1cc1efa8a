/* idm_log.h -- the one sink for the core library's messages.
 *
 * The core never prints: it hands each message to the sink its caller
 * installed.  The PAM module binds it to pam_syslog(), the command to
 * stderr.  A NULL logger or function drops messages.  Never pass a password. */
#ifndef IDM_LOG_H
#define IDM_LOG_H

#include <syslog.h>

typedef void (*idm_log_fn)(void *data, int priority, const char *msg);

struct idm_log {
	idm_log_fn fn;
	void *data;
	int debug; /* nonzero: LOG_DEBUG messages are passed on too */
};

void idm_logf(const struct idm_log *log, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
