/* The idmgr command's one table: every command with its options, who may
 * run it, which formats it prints and its usage line; and the prelude
 * (configuration, operator, password) every command shares.  The handlers
 * in cmd_*.c are options and output only. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "idm_audit.h"
#include "idm_i18n.h"
#include "idm_error.h"
#include "idm_operator.h"
#include "idm_time.h"

#define OPTS(...) ((const struct cmd_opt[]){ __VA_ARGS__, { .name = NULL } })
#define NO_OPTS ((const struct cmd_opt[]){ { .name = NULL } })
#define OPT(n, k)                    \
	{                            \
		.name = n, .kind = k \
	}
#define REQUIRED(n, k)                                 \
	{                                              \
		.name = n, .kind = k, .required = true \
	}

static const struct cmd_verb verbs[] = {
	{ "config", "check", cmd_config_check, CMD_CONFIG, 0, ARG_NONE,
	  OPTS({ .name = "config", .kind = OPT_CONFIG, .short_name = 'c' }, OPT("host", OPT_FLAG),
	       { .name = "host-root", .kind = OPT_TEXT, .needs = "host" }),
	  "config check [-c FILE] [--host [--host-root DIR]]" },
	{ "init", NULL, cmd_init, CMD_CONFIG, FMT_TEXT_JSON, ARG_NONE,
	  OPTS(REQUIRED("admin-dn", OPT_TEXT), OPT("admin-password-file", OPT_TEXT),
	       OPT("officer", OPT_LIST)),
	  "init --admin-dn DN [--admin-password-file FILE] [--officer UID:ROLE[,ROLE...]]... "
	  "[--format text|json]" },
	{ "passwd", NULL, cmd_passwd, CMD_CONFIG, 0, ARG_NONE,
	  OPTS(OPT("new-password-file", OPT_TEXT)),
	  "[-u UID] [--password-file FILE] passwd [--new-password-file FILE]" },

	{ "request", "template", cmd_request_template, CMD_NOTHING, 0, ARG_ONE, NO_OPTS,
	  "request template TYPE" },
	{ "request", "submit", cmd_request_submit, CMD_CONFIG, 0, ARG_ONE, NO_OPTS,
	  "request submit FORM" },
	{ "request", "list", cmd_request_list, CMD_OPERATOR, FMT_ALL, ARG_NONE,
	  OPTS(OPT("state", OPT_TEXT)), "request list [--state S] [--format text|json|csv]" },
	{ "request", "show", cmd_request_show, CMD_OPERATOR, FMT_TEXT_JSON, ARG_ONE, NO_OPTS,
	  "request show ID [--format text|json]" },
	{ "request", "approve", cmd_request_approve, CMD_CONFIG, 0, ARG_ONE, NO_OPTS,
	  "request approve ID" },
	{ "request", "reject", cmd_request_reject, CMD_CONFIG, 0, ARG_ONE,
	  OPTS(OPT("reason", OPT_TEXT)), "request reject ID --reason TEXT" },
	{ "request", "apply", cmd_request_apply, CMD_CONFIG, FMT_TEXT_JSON, ARG_ONE, NO_OPTS,
	  "request apply ID [--format text|json]" },

	{ "audit", "show", cmd_audit_show, CMD_OFFICER, FMT_TEXT_JSON, ARG_NONE,
	  OPTS(OPT("since", OPT_DATE)), "audit show [--since YYYY-MM-DD] [--format text|json]" },
	{ "audit", "verify", cmd_audit_verify, CMD_OFFICER, 0, ARG_NONE,
	  OPTS(OPT("anchor", OPT_ANCHOR)), "audit verify [--anchor SEQ:HASH]" },
	{ "audit", "reconcile", cmd_audit_reconcile, CMD_CONFIG, FMT_TEXT_JSON, ARG_NONE,
	  OPTS(OPT("since", OPT_SINCE)),
	  "audit reconcile [--since DATE|YYYYMMDDHHMMSSZ] [--format text|json]" },

	{ "user", "show", cmd_user_show, CMD_OFFICER, FMT_TEXT_JSON, ARG_ONE, NO_OPTS,
	  "user show UID [--format text|json]" },
	{ "user", "list", cmd_user_list, CMD_OFFICER, FMT_ALL, ARG_NONE,
	  OPTS(OPT("status", OPT_TEXT), OPT("privileged", OPT_FLAG), OPT("unit", OPT_TEXT)),
	  "user list [--status S] [--privileged] [--unit U] [--format text|json|csv]" },
	{ "user", "unlock", cmd_user_action, CMD_CONFIG, 0, ARG_ONE, NO_OPTS, "user unlock UID" },
	{ "user", "reset-password", cmd_user_reset_password, CMD_CONFIG, FMT_TEXT_JSON, ARG_ONE,
	  NO_OPTS, "user reset-password UID [--format text|json]" },
	{ "user", "expire-password", cmd_user_action, CMD_CONFIG, 0, ARG_ONE, NO_OPTS,
	  "user expire-password UID" },
	{ "user", "suspend", cmd_user_action, CMD_CONFIG, 0, ARG_ONE,
	  OPTS(OPT("reason", OPT_TEXT), OPT("manager", OPT_TEXT), OPT("emergency", OPT_FLAG)),
	  "user suspend UID --reason TEXT [--manager UID] [--emergency]" },

	{ "exception", "add", cmd_exception_add, CMD_CONFIG, 0, ARG_NONE,
	  OPTS(REQUIRED("subject", OPT_TEXT), REQUIRED("rule", OPT_TEXT),
	       REQUIRED("reason", OPT_TEXT), REQUIRED("until", OPT_DATE), OPT("emergency", OPT_FLAG)),
	  "exception add --subject UID --rule RULE --reason TEXT --until YYYY-MM-DD "
	  "[--emergency]" },
	{ "exception", "list", cmd_exception_list, CMD_OFFICER, FMT_ALL, ARG_NONE,
	  OPTS(OPT("subject", OPT_TEXT)), "exception list [--subject UID] [--format text|json|csv]" },
	{ "exception", "revoke", cmd_exception_close, CMD_CONFIG, 0, ARG_ONE, NO_OPTS,
	  "exception revoke ID" },
	{ "exception", "acknowledge", cmd_exception_close, CMD_CONFIG, 0, ARG_ONE, NO_OPTS,
	  "exception acknowledge ID" },

	{ "report", "privileged", cmd_report_accounts, CMD_OFFICER, FMT_ALL, ARG_NONE, NO_OPTS,
	  "report privileged|locked|suspended|exceptions|shared [--format text|json|csv]" },
	{ "report", "locked", cmd_report_accounts, CMD_OFFICER, FMT_ALL, ARG_NONE, NO_OPTS, NULL },
	{ "report", "suspended", cmd_report_accounts, CMD_OFFICER, FMT_ALL, ARG_NONE, NO_OPTS, NULL },
	{ "report", "exceptions", cmd_report_exceptions, CMD_OFFICER, FMT_ALL, ARG_NONE, NO_OPTS,
	  NULL },
	{ "report", "shared", cmd_report_shared, CMD_OFFICER, FMT_ALL, ARG_NONE, NO_OPTS, NULL },
	{ "report", "compliance", cmd_report_compliance, CMD_OFFICER, FMT_ALL, ARG_NONE,
	  OPTS(OPT("as-of", OPT_DATE)),
	  "report compliance [--as-of YYYY-MM-DD] [--format text|json|csv]" },
	{ "report", "notices", cmd_report_notices, CMD_OFFICER, FMT_ALL, ARG_NONE,
	  OPTS(OPT("all", OPT_FLAG)), "report notices [--all] [--format text|json|csv]" },

	{ "notify", NULL, cmd_notify, CMD_CONFIG, 0, ARG_NONE, NO_OPTS, "notify" },
	{ "sweep", NULL, cmd_sweep, CMD_CONFIG, FMT_ALL, ARG_NONE,
	  OPTS(OPT("as-of", OPT_DATE), OPT("inactive-days", OPT_DAYS), OPT("apply", OPT_FLAG)),
	  "sweep [--as-of YYYY-MM-DD] [--inactive-days N] [--apply]\n"
	  "                   [--format text|json|csv]" },
};

#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

/* The command overview (idmgr --help). */
static const struct {
	const char *name, *summary;
} groups[] = {
	{ "config check", N_("validate and print the effective configuration") },
	{ "init", N_("bootstrap the directory (directory administrator)") },
	{ "passwd", N_("change your own password under your policy") },
	{ "request", N_("template|submit|list|show|approve|reject|apply: written requests") },
	{ "audit", N_("show|verify|reconcile: the tamper-evident audit trail") },
	{ "user", N_("show|list|unlock|reset-password|expire-password|suspend: direct actions") },
	{ "exception", N_("add|list|revoke|acknowledge: exceptions to rules") },
	{ "report",
	  N_("privileged|locked|suspended|exceptions|shared|notices|compliance: for auditors") },
	{ "notify", N_("deliver the notices owed to officers (notify.command)") },
	{ "sweep", N_("the stale-ID sweep: report, or --apply to disable (R-REG-4)") },
};

void cmd_usage(FILE *fp)
{
	fprintf(fp, "%s",
		_("usage: idmgr [-c FILE] [-u OPERATOR] [--password-file FILE] COMMAND [ARGS]\n\n"
		  "commands:\n"));
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		fprintf(fp, "  %-14s %s\n", groups[i].name, idm_tr(groups[i].summary));
	fprintf(fp, "%s", _("\nSee idmgr(8).\n"));
}

/* Every usage line of the group: the word in the reader's language, the
 * synopses (command syntax) as written, aligned under the first. */
static void group_usage(const char *group)
{
	const char *word = _("usage:");
	int pad = 0;

	for (size_t i = 0; i < N_VERBS; i++) {
		if (strcmp(verbs[i].group, group) != 0 || !verbs[i].usage)
			continue;
		fprintf(stderr, "%*s idmgr %s\n", pad, pad ? "" : word, verbs[i].usage);
		pad = output_width(word);
	}
}

/* The one --format parser: a format the command prints, or a message
 * naming the ones it does. */
static int parse_format(struct cmd_ctx *ctx, const struct cmd_verb *v, const char *arg)
{
	static const char *const names[] = {
		[OUTPUT_TEXT] = "text", [OUTPUT_JSON] = "json", [OUTPUT_CSV] = "csv"
	};
	char list[32] = "";

	for (size_t f = 0; f < sizeof(names) / sizeof(names[0]); f++) {
		if (!(v->formats & (1u << f)))
			continue;
		if (strcmp(arg, names[f]) == 0) {
			ctx->format = (enum output_format)f;
			return 0;
		}
		if (*list)
			strcat(list, ", ");
		strcat(list, names[f]);
	}
	fprintf(stderr, _("idmgr: --format: \"%s\" is not one of %s\n"), arg, list);
	return -1;
}

static int parse_days(const char *arg, long *out)
{
	char *end = NULL;
	long v;

	if (!arg || !*arg || *arg == '-' || *arg == '+')
		return -1;
	v = strtol(arg, &end, 10);
	if (*end || v < 1 || v > 3650)
		return -1;
	*out = v;
	return 0;
}

/* One option's value, checked by its kind. */
static int take_value(struct cmd_ctx *ctx, struct cmd_call *c, size_t i, int argc)
{
	const struct cmd_opt *o = &c->verb->opts[i];

	c->opt[i].value = optarg;
	c->opt[i].n++;
	switch (o->kind) {
	case OPT_LIST:
		if (!c->opt[i].list && !(c->opt[i].list = calloc((size_t)argc, sizeof(char *))))
			return -1;
		c->opt[i].list[c->opt[i].n - 1] = optarg;
		return 0;
	case OPT_DATE:
	case OPT_SINCE:
		if (idm_date_parse(optarg, &c->opt[i].t) == IDM_OK ||
		    (o->kind == OPT_SINCE && idm_time_parse(optarg, &c->opt[i].t) == IDM_OK))
			return 0;
		fprintf(stderr, _("idmgr: --%s: \"%s\" is not a date (YYYY-MM-DD)\n"), o->name,
			optarg);
		return -1;
	case OPT_DAYS:
		if (parse_days(optarg, &c->opt[i].days) == 0)
			return 0;
		fprintf(stderr, _("idmgr: --%s: \"%s\" is not a number of days from 1 to 3650\n"),
			o->name, optarg);
		return -1;
	case OPT_CONFIG: ctx->config_path = optarg; return 0;
	case OPT_ANCHOR: {
		struct idm_audit_head h;
		const char *why = idm_audit_anchor_parse(optarg, &h);

		if (!why)
			return 0;
		fprintf(stderr, _("idmgr: --%s: \"%s\": %s\n"), o->name, optarg, idm_tr(why));
		return -1;
	}
	default: return 0;
	}
}

/* The command's options and its argument; argv[0] is the group, argv[1]
 * the verb when it has one.  0, or -1 with the message shown. */
static int parse(struct cmd_ctx *ctx, struct cmd_call *c, int argc, char **argv)
{
	const struct cmd_verb *v = c->verb;
	struct option opts[CMD_MAX_OPTS + 2] = { 0 };
	char shorts[2 * CMD_MAX_OPTS + 2] = "", *sp = shorts;
	size_t n = 0;
	int ch, idx;

	for (; v->opts[n].name; n++) {
		opts[n] = (struct option){ v->opts[n].name,
					   v->opts[n].kind == OPT_FLAG ? no_argument
								       : required_argument,
					   NULL,
					   v->opts[n].short_name ? v->opts[n].short_name : 256 };
		if (v->opts[n].short_name) {
			*sp++ = v->opts[n].short_name;
			*sp++ = ':';
		}
	}
	if (ctx->format_arg && !v->formats) { /* given before the command */
		fprintf(stderr, _("idmgr: --format: %s%s%s prints text only\n"), v->group,
			v->verb ? " " : "", v->verb ? v->verb : "");
		group_usage(v->group);
		return -1;
	}
	if (ctx->format_arg && parse_format(ctx, v, ctx->format_arg) < 0)
		return -1;
	if (v->formats)
		opts[n] = (struct option){ "format", required_argument, NULL, 257 };
	optind = 0; /* reinitialise getopt: options may follow arguments */
	while ((ch = getopt_long(argc, argv, shorts, opts, &idx)) != -1) {
		if (ch == 257 && parse_format(ctx, v, optarg) < 0)
			return -1;
		if (ch == 257)
			continue;
		if (ch == '?' || ch == ':') {
			group_usage(v->group);
			return -1;
		}
		if (ch != 256) /* a short option: which one */
			for (idx = 0; v->opts[idx].short_name != ch; idx++)
				;
		if (take_value(ctx, c, (size_t)idx, argc) < 0)
			return -1;
	}
	if (v->verb)
		optind++; /* past the verb, which getopt moved behind the options */
	if (optind < argc && v->arg != ARG_NONE)
		c->arg = argv[optind++];
	if (optind != argc || (v->arg == ARG_ONE && !c->arg))
		goto usage;
	for (size_t i = 0; i < n; i++)
		if ((v->opts[i].required && !c->opt[i].n) ||
		    (c->opt[i].n && v->opts[i].needs && !cmd_flag(c, v->opts[i].needs)))
			goto usage;
	return 0;
usage:
	group_usage(v->group);
	return -1;
}

/* Does an option of some command of group, named by the word w ("--NAME"
 * or "-X", no "=VALUE"), take the next word as its value? */
static bool takes_value(const char *group, const char *w)
{
	if (strcmp(w, "--format") == 0)
		return true;
	for (size_t i = 0; i < N_VERBS; i++) {
		if (strcmp(group, verbs[i].group) != 0)
			continue;
		for (const struct cmd_opt *o = verbs[i].opts; o->name; o++)
			if (o->kind != OPT_FLAG &&
			    ((w[1] == '-' && strcmp(w + 2, o->name) == 0) ||
			     (w[1] != '-' && o->short_name && w[1] == o->short_name && !w[2])))
				return true;
	}
	return false;
}

/* The verb of argv[0]'s group: its first word that is neither an option
 * nor an option's value, so that options (--format csv) may come before
 * it; NULL when there is none. */
static const char *verb_word(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (argv[i][0] != '-' || !argv[i][1])
			return argv[i];
		if (!strchr(argv[i], '=') && takes_value(argv[0], argv[i]))
			i++;
	}
	return NULL;
}

static const struct cmd_verb *find(int argc, char **argv, bool *group_known)
{
	const char *word = verb_word(argc, argv);

	*group_known = false;
	for (size_t i = 0; i < N_VERBS; i++) {
		if (strcmp(argv[0], verbs[i].group) != 0)
			continue;
		*group_known = true;
		if (!verbs[i].verb || (word && strcmp(word, verbs[i].verb) == 0))
			return &verbs[i];
	}
	return NULL;
}

int cmd_login(struct cmd_ctx *ctx, struct cmd_call *c)
{
	return ctx_operator_login(ctx, c->cfg, &c->op);
}

int cmd_dispatch(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cmd_call c = { 0 };
	bool group_known;
	int r = IDM_OK, status;

	c.verb = find(argc, argv, &group_known);
	if (!c.verb && group_known) {
		group_usage(argv[0]);
		return EXIT_INVALID;
	}
	if (!c.verb) {
		const char *word = verb_word(argc, argv);
		fprintf(stderr, _("idmgr: unknown command \"%s%s%s\"\n"), argv[0], word ? " " : "",
			word ? word : "");
		cmd_usage(stderr);
		return EXIT_INVALID;
	}
	if (parse(ctx, &c, argc, argv) < 0) {
		status = EXIT_INVALID;
		goto out;
	}
	if (c.verb->needs >= CMD_CONFIG && !(c.cfg = ctx_load_config(ctx))) {
		status = EXIT_INVALID;
		goto out;
	}
	if (c.verb->needs >= CMD_OPERATOR)
		r = cmd_login(ctx, &c);
	if (r == IDM_OK && c.verb->needs >= CMD_OFFICER) {
		char what[64];
		snprintf(what, sizeof(what), "%s %s", c.verb->group, c.verb->verb);
		r = idm_operator_officer(c.op, &ctx->log, what);
	}
	if (r == IDM_OK)
		r = c.verb->run(ctx, &c);
	status = exit_status(r);
out:
	for (size_t i = 0; i < CMD_MAX_OPTS; i++)
		free(c.opt[i].list);
	idm_operator_free(c.op);
	idm_config_free(c.cfg);
	return status;
}

static int opt_index(const struct cmd_call *c, const char *name)
{
	for (int i = 0; c->verb->opts[i].name; i++)
		if (strcmp(c->verb->opts[i].name, name) == 0)
			return i;
	return -1;
}

const char *cmd_opt(const struct cmd_call *c, const char *name)
{
	int i = opt_index(c, name);
	return i < 0 ? NULL : c->opt[i].value;
}

bool cmd_flag(const struct cmd_call *c, const char *name)
{
	int i = opt_index(c, name);
	return i >= 0 && c->opt[i].n > 0;
}

time_t cmd_opt_time(const struct cmd_call *c, const char *name)
{
	int i = opt_index(c, name);
	return i < 0 ? 0 : c->opt[i].t;
}

long cmd_opt_days(const struct cmd_call *c, const char *name)
{
	int i = opt_index(c, name);
	return i < 0 ? 0 : c->opt[i].days;
}

const char *const *cmd_opt_list(const struct cmd_call *c, const char *name, size_t *n)
{
	int i = opt_index(c, name);

	*n = i < 0 ? 0 : c->opt[i].n;
	return i < 0 ? NULL : (const char *const *)c->opt[i].list;
}
