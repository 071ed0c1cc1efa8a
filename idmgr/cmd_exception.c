/* idmgr exception add|list|revoke|acknowledge (R-EXC-1..3). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "idm_error.h"
#include "idm_exception.h"
#include "idm_operator.h"
#include "idm_time.h"

static const char exception_usage[] =
	"usage: idmgr exception add --subject UID --rule RULE --reason TEXT --until YYYY-MM-DD "
	"[--emergency]\n"
	"       idmgr exception list [--subject UID] [--format text|json|csv]\n"
	"       idmgr exception revoke ID\n"
	"       idmgr exception acknowledge ID\n";

struct print_ctx {
	enum output_format format;
	json_t *array;
	time_t now;
};

static int print_exception(void *ctx, const struct idm_exception *e)
{
	struct print_ctx *p = ctx;
	char until[IDM_GENTIME_LEN], granted[IDM_GENTIME_LEN];
	const char *state = idm_exception_state(e, p->now);

	idm_time_format(e->until, until);
	idm_time_format(e->time, granted);
	if (p->format == OUTPUT_JSON) {
		json_array_append_new(p->array,
				      json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:s?, s:b, s:s?, s:s}",
						"id", e->id, "subject", e->subject, "rule", e->rule,
						"reason", e->reason, "granted", granted, "until",
						until, "granted_by", e->granted_by, "emergency",
						e->emergency, "acknowledged_by", e->acknowledged_by,
						"state", state));
	} else if (p->format == OUTPUT_CSV) {
		output_csv(stdout, e->id, 0);
		output_csv(stdout, e->subject, 0);
		output_csv(stdout, e->rule, 0);
		output_csv(stdout, until, 0);
		output_csv(stdout, state, 0);
		output_csv(stdout, e->reason, 1);
	} else {
		printf("%-20s %-14s %-30s until %s  %-14s %s\n", e->id, e->subject, e->rule, until,
		       state, e->reason ? e->reason : "");
	}
	return 0;
}

int exception_report(struct cmd_ctx *ctx, struct idm_operator *op, const struct idm_config *cfg,
		     const char *subject)
{
	struct print_ctx p = { ctx->format, json_array(), time(NULL) };
	int r;

	if (ctx->format == OUTPUT_CSV)
		printf("id,subject,rule,until,state,reason\n");
	r = idm_exception_list(op->d, cfg, subject, print_exception, &p);
	if (r == IDM_OK && ctx->format == OUTPUT_JSON)
		output_json(stdout, p.array);
	else
		json_decref(p.array);
	return r;
}

int cmd_exception(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "subject", required_argument, NULL, 's' },
		{ "rule", required_argument, NULL, 'r' },
		{ "reason", required_argument, NULL, 'R' },
		{ "until", required_argument, NULL, 'u' },
		{ "emergency", no_argument, NULL, 'e' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct idm_config *cfg = NULL;
	struct idm_operator *op = NULL;
	const char *sub, *subject = NULL, *rule = NULL, *reason = NULL, *arg = NULL;
	const char *until_text = NULL;
	json_t *res = NULL;
	time_t until = 0;
	int c, f, emergency = 0, r;

	if (argc < 2) {
		fputs(exception_usage, stderr);
		return EXIT_INVALID;
	}
	sub = argv[1];
	optind = 0; /* reinitialise getopt: options may follow arguments */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': subject = optarg; break;
		case 'r': rule = optarg; break;
		case 'R': reason = optarg; break;
		case 'e': emergency = 1; break;
		case 'u':
			until_text = optarg;
			if (idm_date_parse(optarg, &until) < 0) {
				fprintf(stderr,
					"idmgr: --until: \"%s\" is not a date (YYYY-MM-DD)\n",
					optarg);
				return EXIT_INVALID;
			}
			break;
		case 'F':
			f = output_format_parse(optarg, 1);
			if (f < 0) {
				fputs(exception_usage, stderr);
				return EXIT_INVALID;
			}
			ctx->format = (enum output_format)f;
			break;
		default: fputs(exception_usage, stderr); return EXIT_INVALID;
		}
	}
	optind++; /* past the subcommand, which getopt moved behind the options */
	if (optind < argc)
		arg = argv[optind++];
	if (optind != argc || (strcmp(sub, "add") == 0 && (!subject || !rule || !reason || !until)) ||
	    ((strcmp(sub, "revoke") == 0 || strcmp(sub, "acknowledge") == 0) && !arg)) {
		fputs(exception_usage, stderr);
		return EXIT_INVALID;
	}
	cfg = ctx_load_config(ctx);
	if (!cfg)
		return EXIT_INVALID;
	if (strcmp(sub, "add") == 0) {
		r = client_call(ctx, cfg, "exception.add",
				json_pack("{s:s, s:s, s:s, s:s, s:b}", "subject", subject, "rule",
					  rule, "reason", reason, "until", until_text, "emergency",
					  emergency),
				&res);
		if (r == IDM_OK)
			printf("%s\n", json_string_value(json_object_get(res, "id")));
		goto out;
	}
	if (strcmp(sub, "revoke") == 0 || strcmp(sub, "acknowledge") == 0) {
		r = client_call(ctx, cfg,
				strcmp(sub, "revoke") == 0 ? "exception.revoke"
							   : "exception.acknowledge",
				json_pack("{s:s}", "id", arg), &res);
		if (r == IDM_OK)
			printf("%s: %s\n", arg,
			       strcmp(sub, "revoke") == 0 ? "revoked" : "acknowledged");
		goto out;
	}
	r = ctx_operator_login(ctx, cfg, &op);
	if (r < 0)
		goto out;
	if (strcmp(sub, "list") == 0) {
		if (!op->roles) {
			idm_logf(&ctx->log, LOG_ERR,
				 "exceptions are for officers; %s holds no role", op->uid);
			r = IDM_EDENIED;
		} else {
			r = exception_report(ctx, op, cfg, subject);
		}
	} else {
		fputs(exception_usage, stderr);
		r = IDM_EINVAL;
	}
out:
	json_decref(res);
	idm_operator_free(op);
	idm_config_free(cfg);
	return exit_status(r);
}
