/* cmd.h -- the idmgr command's subcommands: option parsing and output only;
 * the work is done by the core library. */
#ifndef IDMGR_CMD_H
#define IDMGR_CMD_H

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
	struct idm_log log;
};

/* Shows a message as the command shows the core's: errors and warnings,
 * the rest only with -v. */
void print_message(const struct cmd_ctx *ctx, int priority, const char *msg);

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

int cmd_request(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_audit(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_user(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_exception(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_report(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_sweep(struct cmd_ctx *ctx, int argc, char **argv);
/* The exceptions table (report exceptions, exception list). */
int exception_report(struct cmd_ctx *ctx, struct idm_operator *op, const struct idm_config *cfg,
		     const char *subject);
/* report compliance, report notices (argv[0] is the report's name). */
int report_compliance(struct cmd_ctx *ctx, int argc, char **argv);
int report_notices(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_notify(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_passwd(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_config_check(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_init(struct cmd_ctx *ctx, int argc, char **argv);

#endif
