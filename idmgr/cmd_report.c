/* idmgr report privileged|locked|suspended|exceptions: evidence for
 * auditors (R-PRIV-1, R-REV-1). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "idm_account.h"
#include "idm_error.h"
#include "idm_i18n.h"
#include "idm_escape.h"
#include "idm_lockout.h"
#include "idm_operator.h"
#include "idm_report.h"
#include "idm_shared.h"
#include "idm_time.h"

struct report {
	const char *kind;
	struct idm_operator *op;
	const struct idm_config *cfg;
	enum output_format format;
	json_t *array;
};

/* A fixed text of a row (an English msgid, N_): in the reader's language in
 * the text format, as it is in JSON and CSV. */
static const char *said(const struct report *r, const char *msgid)
{
	return r->format == OUTPUT_TEXT ? idm_tr(msgid) : msgid;
}

/* An account's idmStatus: a word of the reader's language in text. */
static const char *status_said(const struct report *r, const char *status)
{
	return r->format == OUTPUT_TEXT ? idm_trc("account status", status) : status;
}

/* Prints one row of four columns after uid, in the chosen format: names are
 * JSON keys (N_), said in the reader's language in the text format. */
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
			printf(" %s=%s", idm_tr(names[i]), values[i] ? values[i] : "-");
		putchar('\n');
	}
}

static int one(void *ctx, const struct idm_report_row *x)
{
	struct report *r = ctx;
	const struct idm_account *a = x->account;
	char c1[IDM_GENTIME_LEN], c2[IDM_GENTIME_LEN], n[24];

	if (strcmp(r->kind, "privileged") == 0) {
		static const char *const names[4] = { N_("request"), N_("granted_by"),
						      N_("granted"), N_("last_login") };
		if (x->granted_by)
			idm_time_format(x->granted, c1);
		else
			strcpy(c1, "-");
		output_time(a->last_login, c2);
		row(r, a->uid, names,
		    (const char *const[4]){ x->privilege_request ? x->privilege_request
								 : said(r, N_("(none: drift)")),
					    x->granted_by ? x->granted_by : "-", c1, c2 });
	} else if (strcmp(r->kind, "locked") == 0) {
		static const char *const names[4] = { N_("locked_since"), N_("failures"),
						      N_("kind"), N_("status") };
		output_time(a->locked_time, c1);
		snprintf(n, sizeof(n), "%ld", a->failure_count);
		row(r, a->uid, names,
		    (const char *const[4]){ c1, n,
					    said(r, x->lock == IDM_LOCK_HARD
							    ? N_("hard limit (operator unlock)")
						    : x->until_unlocked ? N_("until unlocked")
									: N_("timed")),
					    status_said(r, a->status) });
	} else { /* suspended */
		static const char *const names[4] = { N_("status"), N_("since"), N_("reason"),
						      N_("until") };
		row(r, a->uid, names,
		    (const char *const[4]){ status_said(r, a->status), x->status_time,
					    x->status_reason, x->until });
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
		printf(_("%-16s holders: "), s->uid); /* s->uid: a valid uid (filter) */
		output_holders(stdout, s);
		putchar('\n');
	}
	return IDM_OK;
}

int cmd_report_shared(struct cmd_ctx *ctx, struct cmd_call *c)
{
	struct report rep = { .format = ctx->format,
			      .array = output_list_begin(ctx->format, "uid,holder,holder_status") };
	int r = idm_shared_each(c->op->d, c->cfg, shared_one, &rep);

	return output_list_end(rep.format, rep.array, r);
}

int cmd_report_exceptions(struct cmd_ctx *ctx, struct cmd_call *c)
{
	return exception_report(ctx, c->op, c->cfg, NULL);
}

/* report privileged|locked|suspended */
int cmd_report_accounts(struct cmd_ctx *ctx, struct cmd_call *c)
{
	static const char *const headers[] = {
		[IDM_REPORT_PRIVILEGED] = "uid,request,granted_by,granted,last_login",
		[IDM_REPORT_LOCKED] = "uid,locked_since,failures,kind,status",
		[IDM_REPORT_SUSPENDED] = "uid,status,since,reason,until",
	};
	int kind = idm_report_kind_from_name(c->verb->verb);
	struct report rep = {
		.kind = c->verb->verb, .op = c->op, .cfg = c->cfg, .format = ctx->format
	};

	if (kind < 0)
		return IDM_EINVAL;
	rep.array = output_list_begin(ctx->format, headers[kind]);
	return output_list_end(rep.format, rep.array,
			       idm_report_accounts(rep.op, c->cfg, (enum idm_report_kind)kind, one,
						   &rep));
}
