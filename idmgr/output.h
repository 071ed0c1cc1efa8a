/* output.h -- output for people (text) or scripts (json, csv). */
#ifndef IDMGR_OUTPUT_H
#define IDMGR_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

enum output_format { OUTPUT_TEXT, OUTPUT_JSON, OUTPUT_CSV };

/* One CSV field (RFC 4180: quoted, quotes doubled), then ',' or, when
 * last, a newline. */
void output_csv(FILE *fp, const char *s, int last);
/* A time stamp for people, or "-" for 0. */
void output_time(time_t t, char buf[16]);
/* Prints a JSON value (compact keys order kept) and a newline; steals v. */
int output_json(FILE *fp, json_t *v);

/* A listing: begin prints the CSV header line (format csv) and returns the
 * array JSON rows are collected in; end prints the array (format json)
 * when r is IDM_OK, frees it, and returns r. */
json_t *output_list_begin(enum output_format format, const char *csv_header);
int output_list_end(enum output_format format, json_t *array, int r);

/* Prints text from the directory for a terminal: UTF-8 kept, but C0 and
 * C1 control characters and DEL (escape sequences written around idmgr)
 * shown as \xHH. */
void output_text(FILE *fp, const char *s);

/* A label of a "label  value" listing, padded with spaces to width
 * columns of the terminal (wide characters count two; the label is in the
 * reader's language), at least one space after it. */
void output_label(FILE *fp, const char *label, int width);
/* The columns label takes on a terminal (its bytes when it is not text of
 * this locale). */
int output_width(const char *label);

/* The words of the data that no table of the core holds, marked for
 * xgettext in their contexts (idm_trc): a request's states ("request
 * state") and an account's idmStatus values ("account status").  Said in
 * the reader's language in text output only. */
extern const char *const output_words[];

struct idm_log_kept;
/* lead, then one message a core function kept (idm_log_keep()) in the
 * reader's language: its msgid translated and its arguments, the
 * directory's values, put in as they are (or, with args_said, the
 * arguments too: msgids such as an error's text); the English text when
 * the translation does not fit its arguments.  Shown without control
 * characters (output_text()): the messages quote directory values. */
void output_said(FILE *fp, const char *lead, const struct idm_log_kept *k, bool args_said);

struct idm_shared;
/* A shared ID's holders (R-ID-1): "uid (status), ..." where a holder with
 * no account shows "(no account)", or "-" when it is not shared; and as a
 * JSON array of {uid, status} (status null: no account). */
void output_holders(FILE *fp, const struct idm_shared *s);
json_t *output_holders_json(const struct idm_shared *s);

#endif
