/* idmgr audit show|verify: the tamper-evident audit trail (R-AUD-1). */
#include "config.h"

#include <stdio.h>

#include "client.h"
#include "cmd.h"
#include "idm_i18n.h"
#include "idm_audit.h"
#include "idm_error.h"
#include "idm_log.h"
#include "idm_operator.h"
#include "idm_time.h"

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

/* A problem of the trail in the reader's language (issue 14, R-AUD-1). */
static void report(void *ctx, long seq, const struct idm_log_kept *problem)
{
	int *bad = ctx;

	(void)seq; /* the problem names its record */
	(*bad)++;
	output_said(stdout, "", problem, false);
}

/* audit reconcile runs in idmgrd, which alone reads slapd's log of writes
 * whole; the auditor gets which attributes each unexplained write changed. */
int cmd_audit_reconcile(struct cmd_ctx *ctx, struct cmd_call *c)
{
	const char *since = cmd_opt(c, "since");
	json_t *res = NULL, *w, *list;
	long checked;
	size_t i;
	int r = client_call(ctx, c->cfg, "audit.reconcile", json_pack("{s:s?}", "since", since),
			    &res);

	if (r < 0) {
		json_decref(res);
		return r;
	}
	list = json_object_get(res, "unexplained");
	checked = (long)json_integer_value(json_object_get(res, "checked"));
	if (ctx->format == OUTPUT_JSON) {
		output_json(stdout, json_pack("{s:I, s:O}", "checked", (json_int_t)checked,
					      "unexplained", list));
	} else {
		json_array_foreach (list, i, w)
			printf("%s %-8s %s by %s (%s) on %s\n",
			       json_string_value(json_object_get(w, "time")),
			       json_string_value(json_object_get(w, "type")),
			       json_string_value(json_object_get(w, "dn")),
			       *json_string_value(json_object_get(w, "who"))
				       ? json_string_value(json_object_get(w, "who"))
				       : "(unknown)",
			       json_string_value(json_object_get(w, "attributes")),
			       json_object_get(w, "server")
				       ? json_string_value(json_object_get(w, "server"))
				       : "(unknown)");
		if (json_array_size(list))
			printf(since ? _("%zu of %ld logged writes since %s are explained by no audited "
					 "action\n")
				     : _("%zu of %ld logged writes are explained by no audited action\n"),
			       json_array_size(list), checked, since ? since : "");
		else
			printf(since ? _("every one of %ld logged writes since %s is explained\n")
				     : _("every one of %ld logged writes is explained\n"),
			       checked, since ? since : "");
	}
	r = json_array_size(list) ? IDM_ESTATE : IDM_OK;
	json_decref(res);
	return r;
}

int cmd_audit_show(struct cmd_ctx *ctx, struct cmd_call *c)
{
	struct show_ctx s = { ctx->format, output_list_begin(ctx->format, NULL) };
	int r = idm_audit_list(c->op->d, c->cfg, cmd_opt_time(c, "since"), show_one, &s);

	return output_list_end(s.format, s.array, r);
}

/* With --anchor (checked by the dispatcher), also that the record of a
 * head published earlier still has its hash: a trail rewritten or cut
 * back since is named (R-AUD-1). */
int cmd_audit_verify(struct cmd_ctx *ctx, struct cmd_call *c)
{
	struct idm_audit_head anchor;
	const char *given = cmd_opt(c, "anchor");
	int bad = 0, r;
	long n = 0;

	(void)ctx;
	if (given && idm_audit_anchor_parse(given, &anchor))
		return IDM_EINVAL; /* (refused by the dispatcher already) */
	r = idm_audit_verify(c->op->d, c->cfg, given ? &anchor : NULL, report, &bad, &n);
	if (r == IDM_ESTATE)
		r = IDM_OK; /* the problems were reported */
	if (r == IDM_OK)
		r = idm_audit_verify_writers(c->op->d, c->cfg, report, &bad, NULL);
	if (r == IDM_ESTATE)
		r = IDM_OK;
	if (r == IDM_OK && bad == 0 && given)
		printf(_("audit trail intact: %ld records, chain verified, record %ld still has "
			 "the anchor's hash\n"),
		       n, anchor.seq);
	else if (r == IDM_OK && bad == 0)
		printf(_("audit trail intact: %ld records, chain verified\n"), n);
	else if (bad) {
		printf(_("audit trail NOT intact: %d problem(s) in %ld records\n"), bad, n);
		return IDM_ESTATE; /* tampering found: a refusal, not bad input */
	}
	return r;
}
