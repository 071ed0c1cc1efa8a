/* idmgr audit show|verify: the tamper-evident audit trail (R-AUD-1). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "idm_audit.h"
#include "idm_error.h"
#include "idm_operator.h"
#include "idm_time.h"

static const char audit_usage[] =
	"usage: idmgr audit show [--since YYYY-MM-DD] [--format text|json]\n"
	"       idmgr audit verify\n"
	"       idmgr audit reconcile [--since DATE|YYYYMMDDHHMMSSZ] "
	"[--format text|json]\n";

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
		json_array_append_new(s->array,
				      json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s?, s:s, s:s}",
						"seq", (json_int_t)r->seq, "time", t, "actor",
						r->actor, "action", r->action, "subject",
						r->subject, "request", r->request_id, "outcome",
						r->outcome, "detail", r->detail, "prev_hash",
						r->prev_hash, "hash", r->hash));
	} else {
		printf("%6ld %s %-14s %-16s %-20s %s  (%s)\n", r->seq, t, r->action,
		       r->subject ? r->subject : "-", r->request_id ? r->request_id : "-",
		       r->outcome, r->actor);
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

/* audit reconcile runs in idmgrd, which alone reads slapd's log of writes
 * whole; the auditor gets which attributes each unexplained write changed. */
static int reconcile(struct cmd_ctx *ctx, const struct idm_config *cfg, const char *since)
{
	json_t *res = NULL, *w, *list;
	long checked;
	size_t i;
	int r = client_call(ctx, cfg, "audit.reconcile", json_pack("{s:s?}", "since", since), &res);

	if (r < 0) {
		json_decref(res);
		return exit_status(r);
	}
	list = json_object_get(res, "unexplained");
	checked = (long)json_integer_value(json_object_get(res, "checked"));
	if (ctx->format == OUTPUT_JSON) {
		output_json(stdout, json_pack("{s:I, s:O}", "checked", (json_int_t)checked,
					      "unexplained", list));
	} else {
		json_array_foreach (list, i, w)
			printf("%s %-8s %s by %s (%s)\n",
			       json_string_value(json_object_get(w, "time")),
			       json_string_value(json_object_get(w, "type")),
			       json_string_value(json_object_get(w, "dn")),
			       *json_string_value(json_object_get(w, "who"))
				       ? json_string_value(json_object_get(w, "who"))
				       : "(unknown)",
			       json_string_value(json_object_get(w, "attributes")));
		if (json_array_size(list))
			printf("%zu of %ld logged writes%s%s are explained by no audited action\n",
			       json_array_size(list), checked, since ? " since " : "",
			       since ? since : "");
		else
			printf("every one of %ld logged writes%s%s is explained\n", checked,
			       since ? " since " : "", since ? since : "");
	}
	r = json_array_size(list) ? EXIT_REFUSED : EXIT_DONE;
	json_decref(res);
	return r;
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
	const char *sub, *since_text = NULL;
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
			since_text = optarg;
			if (idm_date_parse(optarg, &since) < 0 &&
			    (strcmp(argv[1], "reconcile") != 0 ||
			     idm_time_parse(optarg, &since) < 0)) {
				fprintf(stderr,
					"idmgr: --since: \"%s\" is not a date (YYYY-MM-DD)\n",
					optarg);
				return EXIT_INVALID;
			}
			break;
		case 'F':
			f = output_format_parse(optarg, 0);
			if (f < 0) {
				fprintf(stderr, "idmgr: --format: \"%s\" is not text or json\n",
					optarg);
				return EXIT_INVALID;
			}
			ctx->format = (enum output_format)f;
			break;
		default: fputs(audit_usage, stderr); return EXIT_INVALID;
		}
	}
	optind++; /* past the subcommand, which getopt moved behind the options */
	if (optind != argc || (strcmp(sub, "show") != 0 && strcmp(sub, "verify") != 0 &&
			       strcmp(sub, "reconcile") != 0)) {
		fputs(audit_usage, stderr);
		return EXIT_INVALID;
	}
	cfg = ctx_load_config(ctx);
	if (!cfg)
		return EXIT_INVALID;
	if (strcmp(sub, "reconcile") == 0) {
		r = reconcile(ctx, cfg, since_text);
		idm_config_free(cfg);
		return r;
	}
	r = ctx_operator_login(ctx, cfg, &op);
	if (r == IDM_OK && !op->roles) {
		idm_logf(&ctx->log, LOG_ERR, "the audit trail is for officers; %s holds no role",
			 op->uid);
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
		if (r == IDM_OK)
			r = idm_audit_verify_writers(op->d, cfg, report, &bad, NULL);
		if (r == IDM_ESTATE)
			r = IDM_OK;
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
