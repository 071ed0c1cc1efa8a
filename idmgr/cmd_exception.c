/* idmgr exception add|list|revoke|acknowledge (R-EXC-1..3). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "idm_i18n.h"
#include "idm_error.h"
#include "idm_exception.h"
#include "idm_operator.h"
#include "idm_time.h"

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
		/* the state in the reader's language, padded by display columns */
		printf(_("%-20s %-14s %-30s until %s  "), e->id, e->subject, e->rule, until);
		output_label(stdout, idm_trc("exception state", state), 15);
		printf("%s\n", e->reason ? e->reason : "");
	}
	return 0;
}

int exception_report(struct cmd_ctx *ctx, struct idm_operator *op, const struct idm_config *cfg,
		     const char *subject)
{
	struct print_ctx p = { ctx->format,
			       output_list_begin(ctx->format, "id,subject,rule,until,state,reason"),
			       time(NULL) };
	int r = idm_exception_list(op->d, cfg, subject, print_exception, &p);

	return output_list_end(p.format, p.array, r);
}

int cmd_exception_list(struct cmd_ctx *ctx, struct cmd_call *c)
{
	return exception_report(ctx, c->op, c->cfg, cmd_opt(c, "subject"));
}

int cmd_exception_add(struct cmd_ctx *ctx, struct cmd_call *c)
{
	json_t *res = NULL;
	int r = client_call(ctx, c->cfg, "exception.add",
			    json_pack("{s:s, s:s, s:s, s:s, s:b}", "subject", cmd_opt(c, "subject"),
				      "rule", cmd_opt(c, "rule"), "reason", cmd_opt(c, "reason"),
				      "until", cmd_opt(c, "until"), "emergency",
				      cmd_flag(c, "emergency")),
			    &res);

	if (r == IDM_OK)
		printf("%s\n", json_string_value(json_object_get(res, "id")));
	json_decref(res);
	return r;
}

/* exception revoke|acknowledge ID */
int cmd_exception_close(struct cmd_ctx *ctx, struct cmd_call *c)
{
	bool revoke = strcmp(c->verb->verb, "revoke") == 0;
	json_t *res = NULL;
	int r = client_call(ctx, c->cfg, revoke ? "exception.revoke" : "exception.acknowledge",
			    json_pack("{s:s}", "id", c->arg), &res);

	if (r == IDM_OK)
		printf(revoke ? _("%s: revoked\n") : _("%s: acknowledged\n"), c->arg);
	json_decref(res);
	return r;
}
