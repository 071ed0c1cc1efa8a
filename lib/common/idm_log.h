/* idm_log.h -- the one sink for the core library's messages.
 *
 * The core never prints: it hands each message to the sink its caller
 * installed.  The PAM module binds it to pam_syslog(), the command to
 * stderr.  A NULL logger or function drops messages.  Never pass a password. */
#ifndef IDM_LOG_H
#define IDM_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <syslog.h>

typedef void (*idm_log_fn)(void *data, int priority, const char *msg);

/* The same message for a person to read (issue 14): fmt is the English
 * format, itself the msgid, and args[0..nargs) its arguments, each already
 * formatted by its own conversion.  The sink translates fmt in its reader's
 * language and puts the arguments in (idm_log_render()); what fn gets,
 * for syslog and the audit trail, stays English.  where, when not NULL, is
 * the place the message is about ("FILE:LINE", never translated): fn got
 * "WHERE: TEXT", and the sink shows it before the translation the same way. */
typedef void (*idm_show_fn)(void *data, int priority, const char *where, const char *fmt,
			    const char *const *args, int nargs);

#define IDM_LOG_MAXARGS 16

struct idm_log {
	idm_log_fn fn;
	void *data;
	int debug;        /* nonzero: LOG_DEBUG messages are passed on too */
	idm_show_fn show; /* NULL: none; else called after fn, with fn's data */
};

void idm_logf(const struct idm_log *log, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A message kept to be logged later, in an order of its own (a form's
 * line errors, logged sorted by line): its English text, and its format
 * and arguments for the display sink.  idm_log_keep() returns 0, or -1 out
 * of memory (k is then empty); idm_log_kept() logs k as "WHERE: TEXT" (or
 * TEXT when where is NULL); idm_log_kept_clear() frees k (NULL or empty
 * accepted).  idm_log_kept_copy() makes dst a copy of src (a kept
 * message with store, or one with text only and nargs -1): 0, or -1 out
 * of memory (dst then empty). */
struct idm_log_kept {
	char *text, *fmt, *store;
	int nargs; /* -1: a format not split: shown as text */
	const char *args[IDM_LOG_MAXARGS];
	char *shown; /* NULL, or the line already said in the reader's language */
};

int idm_log_keep(struct idm_log_kept *k, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void idm_log_kept(const struct idm_log *log, int priority, const char *where,
		  const struct idm_log_kept *k);
int idm_log_kept_copy(struct idm_log_kept *dst, const struct idm_log_kept *src);
void idm_log_kept_clear(struct idm_log_kept *k);
/* Keeps, beside k's English, the line as its reader is to see it when
 * some arguments are themselves words or sentences to translate (a status,
 * a finding's detail): fmt (a translation of k's format) rendered with
 * args (idm_log_render()) into k->shown.  0, or -1 when it does not fit
 * or out of memory (k->shown stays NULL: the reader sees k rendered as
 * usual). */
int idm_log_kept_show(struct idm_log_kept *k, const char *fmt, const char *const *args, int nargs);

/* Writes fmt (a translation of a logged format) with args put in for its
 * conversions, in order or by position (%2$s).  Never calls printf with
 * fmt: a format from a service's answer cannot read memory.  Returns 0, or
 * -1 when fmt names an argument that args lacks (the caller shows the
 * English text instead) or out is too short. */
int idm_log_render(char *out, size_t len, const char *fmt, const char *const *args, int nargs);

#endif
