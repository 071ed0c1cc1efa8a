/* cmd.h -- the idmgr command's subcommands: option parsing and output only;
 * the work is done by the core library. */
#ifndef IDMGR_CMD_H
#define IDMGR_CMD_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "idm_config.h"
#include "idm_log.h"
#include "output.h"

/* Exit statuses (contract §7). */
enum {
	EXIT_DONE = 0,
	EXIT_REFUSED = 1,
	EXIT_INVALID = 2,
	EXIT_UNAVAILABLE = 3,
};

struct cmd_ctx {
	const char *config_path;
	const char *operator_uid;
	const char *password_file;
	enum output_format format;
	const char *format_arg; /* --format given before the command, or NULL */
	struct idm_log log;
};

/* Shows a message as the command shows the core's: errors and warnings,
 * the rest only with -v.  show_message() says fmt in the reader's language
 * after "WHERE: " when where is not NULL (idm_show_fn); english is the
 * whole English line to fall back on, or NULL. */
void print_message(const struct cmd_ctx *ctx, int priority, const char *msg);
void show_message(const struct cmd_ctx *ctx, int priority, const char *where, const char *fmt,
		  const char *const *args, int nargs, const char *english);

/* Maps a core error to the exit status (the one table of it). */
int exit_status(int err);
/* Loads the configuration, logging errors; NULL on failure. */
struct idm_config *ctx_load_config(struct cmd_ctx *ctx);

/* The operator: -u, else SUDO_USER, else the login name (contract §7). */
const char *ctx_operator_uid(struct cmd_ctx *ctx);

struct idm_operator;
/* Authenticates the operator (password from --password-file or the
 * terminal) and checks the account may act; logs why not.  Returns an
 * idm_err. */
int ctx_operator_login(struct cmd_ctx *ctx, const struct idm_config *cfg, struct idm_operator **op);

/* The dispatcher (dispatch.c): one table of every command, its options,
 * who may run it and its usage line.  A command's handler gets the parsed
 * call with the prelude done, and returns an idm_err (mapped by
 * exit_status()). */
enum cmd_needs {
	CMD_NOTHING,  /* no configuration */
	CMD_CONFIG,   /* the configuration; the handler asks idmgrd (client.c) */
	CMD_OPERATOR, /* and the operator logged in to the directory */
	CMD_OFFICER,  /* and the operator holds a role */
};

enum cmd_opt_kind {
	OPT_FLAG,   /* no value */
	OPT_TEXT,   /* a value, the last one given */
	OPT_LIST,   /* a value, every one given, in order */
	OPT_DATE,   /* YYYY-MM-DD */
	OPT_SINCE,  /* YYYY-MM-DD or a GeneralizedTime */
	OPT_DAYS,   /* a number of days, 1 to 3650 */
	OPT_CONFIG, /* the configuration file, as -c before the command */
	OPT_ANCHOR, /* SEQ:HASH, a head of the audit trail published earlier */
};

struct cmd_opt {
	const char *name;
	enum cmd_opt_kind kind;
	bool required;
	char short_name;   /* or 0 */
	const char *needs; /* the option it goes with, or NULL */
};

enum cmd_arg { ARG_NONE, ARG_ONE, ARG_OPTIONAL };

/* Which formats a command prints: a set of (1 << OUTPUT_x); 0: no --format. */
#define FMT_TEXT_JSON ((1u << OUTPUT_TEXT) | (1u << OUTPUT_JSON))
#define FMT_ALL (FMT_TEXT_JSON | (1u << OUTPUT_CSV))

#define CMD_MAX_OPTS 8

struct cmd_call;
struct cmd_verb {
	const char *group, *verb; /* verb NULL: the group is the command */
	int (*run)(struct cmd_ctx *ctx, struct cmd_call *call);
	enum cmd_needs needs;
	unsigned formats;
	enum cmd_arg arg;
	const struct cmd_opt *opts; /* ends with { NULL } */
	const char *usage;          /* after "idmgr "; NULL: told by the row before */
};

struct cmd_call {
	const struct cmd_verb *verb;
	struct idm_config *cfg;  /* CMD_CONFIG and up */
	struct idm_operator *op; /* CMD_OPERATOR and up */
	const char *arg;         /* the positional argument, or NULL */
	struct {
		const char *value; /* the last value given */
		const char **list; /* OPT_LIST: every value given, in order */
		size_t n;          /* how many times given; 0: not given */
		time_t t;          /* OPT_DATE, OPT_SINCE */
		long days;         /* OPT_DAYS */
	} opt[CMD_MAX_OPTS];
};

/* An option's value (the last given), or NULL when not given. */
const char *cmd_opt(const struct cmd_call *c, const char *name);
/* Whether it was given (flags), its parsed date, its days, its values. */
bool cmd_flag(const struct cmd_call *c, const char *name);
time_t cmd_opt_time(const struct cmd_call *c, const char *name);
long cmd_opt_days(const struct cmd_call *c, const char *name);
const char *const *cmd_opt_list(const struct cmd_call *c, const char *name, size_t *n);
/* Logs the operator in (the CMD_OPERATOR prelude), for a handler whose
 * need depends on its options. */
int cmd_login(struct cmd_ctx *ctx, struct cmd_call *c);
/* Parses the global options' command words and runs the command. */
int cmd_dispatch(struct cmd_ctx *ctx, int argc, char **argv);
void cmd_usage(FILE *fp);

/* The exceptions table (report exceptions, exception list). */
int exception_report(struct cmd_ctx *ctx, struct idm_operator *op, const struct idm_config *cfg,
		     const char *subject);

/* The handlers (the table in dispatch.c names them). */
int cmd_request_template(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_request_submit(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_request_list(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_request_show(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_request_approve(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_request_reject(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_request_apply(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_audit_show(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_audit_verify(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_audit_reconcile(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_user_show(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_user_list(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_user_action(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_user_reset_password(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_exception_add(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_exception_list(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_exception_close(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_report_accounts(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_report_exceptions(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_report_shared(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_report_compliance(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_report_notices(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_notify(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_sweep(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_passwd(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_config_check(struct cmd_ctx *ctx, struct cmd_call *c);
int cmd_init(struct cmd_ctx *ctx, struct cmd_call *c);

#endif
