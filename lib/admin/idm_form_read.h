/* idm_form_read.h -- a request form being read: where each key stood and
 * the messages so far (internal to idm_form.c, which checks the values,
 * and idm_form_scan.c, which finds the keys). */
#ifndef IDM_FORM_READ_H
#define IDM_FORM_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "idm_config.h"
#include "idm_form.h"
#include "idm_form_fields.h"
#include "idm_log.h"

struct message {
	int line;
	unsigned seq;
	struct idm_log_kept said; /* logged after the parse, sorted by line */
};

/* Where a key was given: the line of its name and of each list value. */
struct use {
	int line, first; /* the statement that counts (the last), the first */
	bool bad;        /* refused by the scan already: no further message */
	size_t n_values;
	int value_line[IDM_FORM_LIST_MAX];
};

struct parse {
	const struct idm_config *cfg;
	const char *name;
	time_t now;
	struct use uses[F_COUNT];
	int last_line;
	struct message *msgs;
	size_t n_msgs;
	unsigned n_errors;
	bool nomem;
};

/* Records an error at line (0: the file as a whole) for the report; fmt
 * is a msgid (po/Makevars names this function to xgettext), said to the
 * reader after "FILE:LINE: ". */
void idm_form_error_at(struct parse *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* s made safe to quote in a message (into buf). */
const char *idm_form_shown(const char *s, char *buf, size_t size);
#define SHOWN(s) idm_form_shown((s), (char[96]){ 0 }, 96)

/* Finds each key's line and each list value's in the prepared text,
 * reports unknown and repeated keys and blanks the statements of unknown
 * ones (idm_form_scan.c). */
void idm_form_scan(struct parse *p, char *text);

#endif
