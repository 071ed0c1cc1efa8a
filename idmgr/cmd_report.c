/* idmgr report privileged|locked|suspended|exceptions: evidence for
 * auditors (R-PRIV-1, R-REV-1). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "idm_account.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_lockout.h"
#include "idm_operator.h"
#include "idm_report.h"
#include "idm_shared.h"
#include "idm_time.h"

static const char report_usage[] =
	"usage: idmgr report privileged|locked|suspended|exceptions|shared [--format text|json|csv]\n"
	"       idmgr report compliance [--as-of YYYY-MM-DD] [--format text|json|csv]\n"
	"       idmgr report notices [--all] [--format text|json|csv]\n";

struct report {
	const char *kind;
	struct idm_operator *op;
	const struct idm_config *cfg;
	enum output_format format;
	json_t *array;
	time_t now;
};

/* Prints one row of four columns after uid, in the chosen format. */
static void row(struct report *r, const char *uid, const char *const names[4],
		const char *const values[4])
{
	if (r->format == OUTPUT_JSON) {
		json_t *o = json_object();
		json_object_set_new(o, "uid", json_string(uid));
		for (int i = 0; i < 4; i++)
			json_object_set_new(o, names[i],
					    values[i] ? json_string(values[i]) : json_null());
		json_array_append_new(r->array, o);
	} else if (r->format == OUTPUT_CSV) {
		output_csv(stdout, uid, 0);
		for (int i = 0; i < 4; i++)
			output_csv(stdout, values[i], i == 3);
	} else {
		printf("%-16s", uid);
		for (int i = 0; i < 4; i++)
			printf(" %s=%s", names[i], values[i] ? values[i] : "-");
		putchar('\n');
	}
}

static int one(void *ctx, const struct idm_report_row *x)
{
	struct report *r = ctx;
	const struct idm_account *a = x->account;
	char c1[IDM_GENTIME_LEN], c2[IDM_GENTIME_LEN], n[24];

	if (strcmp(r->kind, "privileged") == 0) {
		static const char *const names[4] = { "request", "granted_by", "granted",
						      "last_login" };
		if (x->granted_by)
			idm_time_format(x->granted, c1);
		else
			strcpy(c1, "-");
		output_time(a->last_login, c2);
		row(r, a->uid, names,
		    (const char *const[4]){ x->privilege_request ? x->privilege_request
								 : "(none: drift)",
					    x->granted_by ? x->granted_by : "-", c1, c2 });
	} else if (strcmp(r->kind, "locked") == 0) {
		static const char *const names[4] = { "locked_since", "failures", "kind", "status" };
		output_time(a->locked_time, c1);
		snprintf(n, sizeof(n), "%ld", a->failure_count);
		row(r, a->uid, names,
		    (const char *const[4]){ c1, n,
					    x->lock == IDM_LOCK_HARD ? "hard limit (operator unlock)"
					    : x->until_unlocked      ? "until unlocked"
								     : "timed",
					    a->status });
	} else { /* suspended */
		static const char *const names[4] = { "status", "since", "reason", "until" };
		row(r, a->uid, names,
		    (const char *const[4]){ a->status, x->status_time, x->status_reason, x->until });
	}
	return IDM_OK;
}

/* report shared (R-ID-1): every shared ID with its registered holders. */
static int shared_one(void *ctx, const struct idm_shared *s)
{
	struct report *r = ctx;

	if (r->format == OUTPUT_JSON) {
		json_array_append_new(r->array, json_pack("{s:s, s:o}", "uid", s->uid, "holders",
							  output_holders_json(s)));
	} else if (r->format == OUTPUT_CSV) {
		for (size_t i = 0; i < s->n_holders; i++) {
			char holder[260], status[260];
			idm_printable(s->holders[i].uid, "", holder, sizeof(holder));
			idm_printable(s->holders[i].status ? s->holders[i].status : "", "", status,
				      sizeof(status));
			output_csv(stdout, s->uid, 0);
			output_csv(stdout, holder, 0);
			output_csv(stdout, status, 1);
		}
	} else {
		printf("%-16s holders: ", s->uid); /* s->uid: a valid uid (filter) */
		output_holders(stdout, s);
		putchar('\n');
	}
	return IDM_OK;
}

int cmd_report(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct idm_config *cfg = NULL;
	struct report rep = { 0 };
	int r, f, kind = -1;

	if (argc >= 2 && strcmp(argv[1], "compliance") == 0)
		return report_compliance(ctx, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "notices") == 0)
		return report_notices(ctx, argc - 1, argv + 1);
	if (argc == 4 && strcmp(argv[2], "--format") == 0) {
		f = output_format_parse(argv[3], 1);
		if (f < 0) {
			fputs(report_usage, stderr);
			return EXIT_INVALID;
		}
		ctx->format = (enum output_format)f;
		argc = 2;
	}
	if (argc != 2) {
		fputs(report_usage, stderr);
		return EXIT_INVALID;
	}
	rep.kind = argv[1];
	if (strcmp(rep.kind, "exceptions") != 0 && strcmp(rep.kind, "shared") != 0 &&
	    (kind = idm_report_kind_from_name(rep.kind)) < 0) {
		fputs(report_usage, stderr);
		return EXIT_INVALID;
	}
	cfg = ctx_load_config(ctx);
	if (!cfg)
		return EXIT_INVALID;
	r = ctx_operator_login(ctx, cfg, &rep.op);
	if (r == IDM_OK)
		r = idm_operator_officer(rep.op, &ctx->log, "reports");
	if (r == IDM_OK && strcmp(rep.kind, "shared") == 0) {
		rep.format = ctx->format;
		rep.array = json_array();
		if (rep.format == OUTPUT_CSV)
			printf("uid,holder,holder_status\n");
		r = idm_shared_each(rep.op->d, cfg, shared_one, &rep);
		if (r == IDM_OK && rep.format == OUTPUT_JSON)
			output_json(stdout, rep.array);
		else
			json_decref(rep.array);
	} else if (r == IDM_OK && kind < 0) {
		r = exception_report(ctx, rep.op, cfg, NULL);
	} else if (r == IDM_OK) {
		rep.cfg = cfg;
		rep.format = ctx->format;
		rep.array = json_array();
		rep.now = time(NULL);
		if (rep.format == OUTPUT_CSV)
			printf("uid,%s\n", strcmp(rep.kind, "privileged") == 0
						   ? "request,granted_by,granted,last_login"
					   : strcmp(rep.kind, "locked") == 0
						   ? "locked_since,failures,kind,status"
						   : "status,since,reason,until");
		r = idm_report_accounts(rep.op, cfg, (enum idm_report_kind)kind, one, &rep);
		if (r == IDM_OK && rep.format == OUTPUT_JSON)
			output_json(stdout, rep.array);
		else
			json_decref(rep.array);
	}
	idm_operator_free(rep.op);
	idm_config_free(cfg);
	return exit_status(r);
}
