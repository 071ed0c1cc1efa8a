#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "idm_log.h"

void idm_logf(const struct idm_log *log, int priority, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!log || !log->fn || (priority == LOG_DEBUG && !log->debug))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log->fn(log->data, priority, msg);
}
