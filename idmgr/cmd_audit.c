/* idmgr audit show|verify: the tamper-evident audit trail (R-AUD-1). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "idm_audit.h"
#include "idm_error.h"
#include "idm_operator.h"
#include "idm_time.h"

static const char audit_usage[] = "usage: idmgr audit show [--since YYYY-MM-DD] [--format text|json]\n"
				  "       idmgr audit verify\n";

struct show_ctx {
	enum output_format format;
	json_t *array;
};

static int show_one(void *ctx, const struct idm_audit_record *r)
{
	struct show_ctx *s = ctx;
	char t[IDM_GENTIME_LEN];

	idm_time_format(r->time, t);
	if (s->format == OUTPUT_JSON) {
		json_array_append_new(
			s->array,
			json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s?, s:s, s:s}", "seq",
				  (json_int_t)r->seq, "time", t, "actor", r->actor, "action", r->action,
				  "subject", r->subject, "request", r->request_id, "outcome", r->outcome,
				  "detail", r->detail, "prev_hash", r->prev_hash, "hash", r->hash));
	} else {
		printf("%6ld %s %-14s %-16s %-20s %s  (%s)\n", r->seq, t, r->action,
		       r->subject ? r->subject : "-", r->request_id ? r->request_id : "-", r->outcome,
		       r->actor);
	}
	return 0;
}

static void report(void *ctx, long seq, const char *problem)
{
	int *bad = ctx;

	(void)seq; /* the problem names its record */
	(*bad)++;
	printf("%s\n", problem);
}

int cmd_audit(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct idm_config *cfg = NULL;
	struct idm_operator *op = NULL;
	const char *sub;
	time_t since = 0;
	int c, r, f;

	if (argc < 2) {
		fputs(audit_usage, stderr);
		return EXIT_INVALID;
	}
	sub = argv[1];
	optind = 0; /* reinitialise getopt: options may follow arguments */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (idm_date_parse(optarg, &since) < 0) {
				fprintf(stderr, "idmgr: --since: \"%s\" is not a date (YYYY-MM-DD)\n", optarg);
				return EXIT_INVALID;
			}
			break;
		case 'F':
			f = output_format_parse(optarg, 0);
			if (f < 0) {
				fprintf(stderr, "idmgr: --format: \"%s\" is not text or json\n", optarg);
				return EXIT_INVALID;
			}
			ctx->format = (enum output_format)f;
			break;
		default: fputs(audit_usage, stderr); return EXIT_INVALID;
		}
	}
	optind++; /* past the subcommand, which getopt moved behind the options */
	if (optind != argc || (strcmp(sub, "show") != 0 && strcmp(sub, "verify") != 0)) {
		fputs(audit_usage, stderr);
		return EXIT_INVALID;
	}
	cfg = ctx_load_config(ctx);
	if (!cfg)
		return EXIT_INVALID;
	r = ctx_operator_login(ctx, cfg, &op);
	if (r == IDM_OK && !op->roles) {
		idm_logf(&ctx->log, LOG_ERR, "the audit trail is for officers; %s holds no role", op->uid);
		r = IDM_EDENIED;
	}
	if (r == IDM_OK && strcmp(sub, "show") == 0) {
		struct show_ctx s = { ctx->format, json_array() };
		r = idm_audit_list(op->d, cfg, since, show_one, &s);
		if (r == IDM_OK && ctx->format == OUTPUT_JSON)
			output_json(stdout, s.array);
		else
			json_decref(s.array);
	} else if (r == IDM_OK) {
		int bad = 0;
		long n = 0;
		r = idm_audit_verify(op->d, cfg, NULL, report, &bad, &n);
		if (r == IDM_ESTATE)
			r = IDM_OK; /* the problems were reported */
		if (r == IDM_OK && bad == 0)
			printf("audit trail intact: %ld records, chain verified\n", n);
		else if (bad) {
			printf("audit trail NOT intact: %d problem(s) in %ld records\n", bad, n);
			if (r == IDM_OK)
				r = IDM_EINVAL;
			idm_operator_free(op);
			idm_config_free(cfg);
			return EXIT_REFUSED; /* tampering found: a refusal, not bad input */
		}
	}
	idm_operator_free(op);
	idm_config_free(cfg);
	return exit_status(r);
}
