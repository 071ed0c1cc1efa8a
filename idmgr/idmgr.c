/* idmgr -- the identity and credential lifecycle command (idmgr(8)). */
#include "config.h"

#include <getopt.h>
#include <locale.h>
#include <malloc.h>
#include <pwd.h>
#include <syslog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "idm_error.h"
#include "idm_i18n.h"
#include "idm_operator.h"
#include "idm_secret.h"
#include "prompt.h"

/* Notices and worse to syslog (authpriv), in English, where the one line
 * per audited action goes; errors and warnings to stderr, progress too with
 * -v, in the reader's language (log_show). */
static void log_syslog(void *data, int priority, const char *msg)
{
	(void)data;
	if (priority <= LOG_NOTICE)
		syslog(LOG_AUTHPRIV | priority, "%s", msg);
}

/* libldap's error texts (ldap_err2string(), OpenLDAP 2.5), which the core
 * puts into its messages as arguments: listed here only for xgettext, so
 * that show_message() says them in the reader's language as it says every
 * argument that is a msgid; what is logged keeps libldap's English. */
static const char *const ldap_texts[] __attribute__((unused)) = {
	N_("Referral Limit Exceeded"),
	N_("Client Loop"),
	N_("More results to return"),
	N_("No results returned"),
	N_("Control not found"),
	N_("Not Supported"),
	N_("Connect error"),
	N_("Out of memory"),
	N_("Bad parameter to an ldap routine"),
	N_("User cancelled operation"),
	N_("Bad search filter"),
	N_("Timed out"),
	N_("Decoding error"),
	N_("Encoding error"),
	N_("Local error"),
	N_("Can't contact LDAP server"),
	N_("Success"),
	N_("Operations error"),
	N_("Protocol error"),
	N_("Time limit exceeded"),
	N_("Size limit exceeded"),
	N_("Compare False"),
	N_("Compare True"),
	N_("Authentication method not supported"),
	N_("Strong(er) authentication required"),
	N_("Partial results and referral received"),
	N_("Referral"),
	N_("Administrative limit exceeded"),
	N_("Critical extension is unavailable"),
	N_("Confidentiality required"),
	N_("SASL bind in progress"),
	N_("No such attribute"),
	N_("Undefined attribute type"),
	N_("Inappropriate matching"),
	N_("Constraint violation"),
	N_("Type or value exists"),
	N_("Invalid syntax"),
	N_("No such object"),
	N_("Alias problem"),
	N_("Invalid DN syntax"),
	N_("Entry is a leaf"),
	N_("Alias dereferencing problem"),
	N_("Inappropriate authentication"),
	N_("Invalid credentials"),
	N_("Insufficient access"),
	N_("Server is busy"),
	N_("Server is unavailable"),
	N_("Server is unwilling to perform"),
	N_("Loop detected"),
	N_("Naming violation"),
	N_("Object class violation"),
	N_("Operation not allowed on non-leaf"),
	N_("Operation not allowed on RDN"),
	N_("Already exists"),
	N_("Cannot modify object class"),
	N_("Results too large"),
	N_("Operation affects multiple DSAs"),
	N_("Virtual List View error"),
	N_("Other (e.g., implementation specific) error"),
	N_("LCUP Resources Exhausted"),
	N_("LCUP Security Violation"),
	N_("LCUP Invalid Data"),
	N_("LCUP Unsupported Scheme"),
	N_("LCUP Reload Required"),
	N_("Cancelled"),
	N_("No Operation to Cancel"),
	N_("Too Late to Cancel"),
	N_("Cannot Cancel"),
	N_("Assertion Failed"),
	N_("Proxied Authorization Denied"),
	N_("Content Sync Refresh Required"),
};

static void log_show(void *data, int priority, const char *where, const char *fmt,
		     const char *const *args, int nargs)
{
	show_message(data, priority, where, fmt, args, nargs, NULL);
}

/* fmt translated with args put in, after "WHERE: "; english when that
 * fails (a translation or a service's answer that does not match its
 * arguments), or fmt with the arguments put in when english is NULL. */
void show_message(const struct cmd_ctx *ctx, int priority, const char *where, const char *fmt,
		  const char *const *args, int nargs, const char *english)
{
	char text[2048], line[2304];
	const char *said[IDM_LOG_MAXARGS];

	/* an argument that is itself a msgid (a rule, an error's text, an
	 * action) is said in the reader's language too, but not in a message
	 * about a place in a file: its arguments are the file's own words (a
	 * form's key "uid", its values), shown as written (docs/design.md,
	 * "Which texts are translated") */
	for (int i = 0; i < nargs && i < IDM_LOG_MAXARGS; i++)
		said[i] = *args[i] && !where ? idm_tr(args[i]) : args[i];
	if (idm_log_render(text, sizeof(text), *fmt ? idm_tr(fmt) : fmt, said, nargs) != 0) {
		if (english) {
			print_message(ctx, priority, english);
			return;
		}
		if (idm_log_render(text, sizeof(text), fmt, args, nargs) != 0)
			snprintf(text, sizeof(text), "%s", fmt);
	}
	if (where)
		snprintf(line, sizeof(line), "%s: %s", where, text);
	print_message(ctx, priority, where ? line : text);
}

void print_message(const struct cmd_ctx *ctx, int priority, const char *msg)
{
	if (priority > LOG_WARNING && !ctx->log.debug)
		return;
	fprintf(stderr, "idmgr: %s%s\n",
		priority <= LOG_ERR       ? ""
		: priority == LOG_WARNING ? "warning: "
					  : "",
		msg);
}

/* jansson keeps copies of what it prints, temporary passwords included:
 * wipe every block it frees. */
static void wiping_free(void *p)
{
	if (p)
		explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

int exit_status(int err)
{
	static const struct {
		int err, status;
	} table[] = {
		{ IDM_OK, EXIT_DONE },
		{ IDM_EDENIED, EXIT_REFUSED },
		{ IDM_EPOLICY, EXIT_REFUSED },
		{ IDM_ESTATE, EXIT_REFUSED },
		{ IDM_EAUTH, EXIT_REFUSED },
		{ IDM_EEXIST, EXIT_REFUSED },
		{ IDM_ENOENT, EXIT_REFUSED },
		{ IDM_EDIR, EXIT_REFUSED },
		{ IDM_EINVAL, EXIT_INVALID },
		{ IDM_ECONFIG, EXIT_INVALID },
		{ IDM_ERANGE, EXIT_INVALID },
		{ IDM_EIO, EXIT_INVALID },
		{ IDM_EUNAVAIL, EXIT_UNAVAILABLE },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].err == err)
			return table[i].status;
	return EXIT_REFUSED; /* IDM_ENOMEM and anything unforeseen: not done */
}

struct idm_config *ctx_load_config(struct cmd_ctx *ctx)
{
	struct idm_config *cfg = NULL;

	if (idm_config_load(ctx->config_path, &ctx->log, &cfg) < 0)
		return NULL;
	return cfg;
}

const char *ctx_operator_uid(struct cmd_ctx *ctx)
{
	const struct passwd *pw;
	const char *sudo = getenv("SUDO_USER");

	if (ctx->operator_uid)
		return ctx->operator_uid;
	if (sudo && *sudo)
		return ctx->operator_uid = sudo;
	pw = getpwuid(getuid());
	if (pw && pw->pw_name)
		return ctx->operator_uid = pw->pw_name;
	fputs(_("idmgr: who is the operator? Give -u UID\n"), stderr);
	return NULL;
}

int ctx_operator_login(struct cmd_ctx *ctx, const struct idm_config *cfg, struct idm_operator **op)
{
	const char *uid = ctx_operator_uid(ctx);
	char *password = NULL;
	int r;

	*op = NULL;
	if (!uid)
		return IDM_EINVAL;
	r = ctx->password_file ? idm_secret_read(ctx->password_file, &ctx->log, &password)
			       : prompt_password(_("Your directory password: "), &password);
	if (r == IDM_OK)
		r = idm_operator_login(cfg, &ctx->log, uid, password, IDM_OPERATOR_ACT, op);
	idm_secret_free(password);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "operator", required_argument, NULL, 'u' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' }, /* checked by the command's table */
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_ctx ctx = {
		.config_path = IDM_DEFAULT_CONFIG,
		.format = OUTPUT_TEXT,
		.log = { .fn = log_syslog, .show = log_show },
	};
	int c;

	ctx.log.data = &ctx;
	/* the user's language for what is shown (LANG, LC_ALL, LC_MESSAGES);
	 * syslog, the audit trail and JSON/CSV keys stay English */
	setlocale(LC_ALL, "");
	bindtextdomain(PACKAGE, LOCALEDIR);
	textdomain(PACKAGE);
	openlog("idmgr", LOG_PID, LOG_AUTHPRIV);
	json_set_alloc_funcs(malloc, wiping_free);
	while ((c = getopt_long(argc, argv, "+c:u:p:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': ctx.config_path = optarg; break;
		case 'u': ctx.operator_uid = optarg; break;
		case 'p': ctx.password_file = optarg; break;
		case 'v': ctx.log.debug = 1; break;
		case 'f': ctx.format_arg = optarg; break;
		case 'h': cmd_usage(stdout); return EXIT_DONE;
		default: cmd_usage(stderr); return EXIT_INVALID;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		cmd_usage(stderr);
		return EXIT_INVALID;
	}
	return cmd_dispatch(&ctx, argc, argv);
}
