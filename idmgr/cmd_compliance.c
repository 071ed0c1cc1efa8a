/* idmgr report compliance (R-REV-1), idmgr report notices and idmgr
 * notify (R-PRIV-2, R-VIO-1, R-EXC-2): options and output only; the
 * report is computed by idm_compliance_run(), delivery by
 * idm_notice_deliver(). */
#include "config.h"

#include <stdio.h>

#include "client.h"
#include "cmd.h"
#include "idm_compliance.h"
#include "idm_error.h"
#include "idm_i18n.h"
#include "idm_notice.h"
#include "idm_operator.h"
#include "idm_role.h"
#include "idm_time.h"

static json_t *lines_json(const struct idm_lines *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i].text));
	return a;
}

/* The verdict for the reader (JSON and CSV keep idm_verdict_name()). */
static const char *verdict_text(enum idm_verdict v)
{
	return v == IDM_VERDICT_HOLDS      ? _("holds")
	       : v == IDM_VERDICT_FINDINGS ? _("findings")
					   : _("not checked");
}

/* The text report in the reader's language: the frame, the titles, the
 * verdicts and the lines, each line's values as the directory has them. */
static void print_text(const struct idm_compliance *c, const char *uri)
{
	size_t holds = 0, findings = 0, unchecked = 0;
	char as_of[IDM_DATE_LEN];

	for (size_t i = 0; i < IDM_CLAUSE_COUNT; i++) {
		enum idm_verdict v = c->clauses[i].verdict;
		holds += v == IDM_VERDICT_HOLDS;
		findings += v == IDM_VERDICT_FINDINGS;
		unchecked += v == IDM_VERDICT_NOT_CHECKED;
	}
	idm_date_format(c->as_of, as_of);
	printf(_("idmgr self-inspection report (R-REV-1) as of %s, directory %s\n"), as_of, uri);
	printf(_("summary: %d clauses: %zu hold, %zu with findings, %zu not checked\n"),
	       IDM_CLAUSE_COUNT, holds, findings, unchecked);
	for (size_t i = 0; i < IDM_CLAUSE_COUNT; i++) {
		const struct idm_clause_report *cr = &c->clauses[i];
		printf("\n%s  %s: %s\n", cr->clause, idm_tr(cr->title), verdict_text(cr->verdict));
		if (cr->why_not_checked.text)
			output_said(stdout, _("    not checked: "), &cr->why_not_checked, true);
		for (size_t j = 0; j < cr->findings.n; j++)
			output_said(stdout, "  ! ", &cr->findings.v[j], false);
		if (cr->findings.more)
			printf(P_("  ! and %ld more finding\n", "  ! and %ld more findings\n",
				  cr->findings.more),
			       cr->findings.more);
		for (size_t j = 0; j < cr->evidence.n; j++)
			output_said(stdout, "    ", &cr->evidence.v[j], false);
		if (cr->evidence.more)
			printf(P_("    and %ld more line of evidence\n",
				  "    and %ld more lines of evidence\n", cr->evidence.more),
			       cr->evidence.more);
	}
}

static void print_json(const struct idm_compliance *c)
{
	json_t *clauses = json_array();
	char as_of[IDM_DATE_LEN];

	for (size_t i = 0; i < IDM_CLAUSE_COUNT; i++) {
		const struct idm_clause_report *cr = &c->clauses[i];
		json_array_append_new(clauses,
				      json_pack("{s:s, s:s, s:s, s:s?, s:o, s:I, s:o, s:I}",
						"clause", cr->clause, "title", cr->title, "verdict",
						idm_verdict_name(cr->verdict),
						"not_checked_because", cr->why_not_checked.text,
						"findings", lines_json(&cr->findings),
						"more_findings", (json_int_t)cr->findings.more,
						"evidence", lines_json(&cr->evidence),
						"more_evidence", (json_int_t)cr->evidence.more));
	}
	idm_date_format(c->as_of, as_of);
	output_json(stdout, json_pack("{s:s, s:I, s:o}", "as_of", as_of, "clauses_with_findings",
				      (json_int_t)c->n_with_findings, "clauses", clauses));
}

static void print_csv(const struct idm_compliance *c)
{
	printf("clause,verdict,kind,text\n");
	for (size_t i = 0; i < IDM_CLAUSE_COUNT; i++) {
		const struct idm_clause_report *cr = &c->clauses[i];
		const char *v = idm_verdict_name(cr->verdict);
		output_csv(stdout, cr->clause, 0);
		output_csv(stdout, v, 0);
		output_csv(stdout, "verdict", 0);
		output_csv(stdout, cr->why_not_checked.text ? cr->why_not_checked.text : cr->title,
			   1);
		for (size_t j = 0; j < cr->findings.n + cr->evidence.n; j++) {
			bool f = j < cr->findings.n;
			output_csv(stdout, cr->clause, 0);
			output_csv(stdout, v, 0);
			output_csv(stdout, f ? "finding" : "evidence", 0);
			output_csv(stdout,
				   f ? cr->findings.v[j].text
				     : cr->evidence.v[j - cr->findings.n].text,
				   1);
		}
	}
}

/* A string member of the service's answer, "-" when it has none. */
static const char *member(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "-";
}

/* R-AUD-1, threat model item 4: the writes slapd logged that no audited
 * action explains, from idmgrd (which alone reads the log whole), for the
 * CISO and the security_chief; other officers' reports say it was not
 * asked.  Lines in English in JSON and CSV, as every line of evidence. */
static int reconcile_into(struct cmd_ctx *ctx, const struct idm_config *cfg,
			  struct idm_operator *op, struct idm_compliance *c)
{
	const unsigned may = (1u << IDM_ROLE_CISO) | (1u << IDM_ROLE_SECURITY_CHIEF);
	char since[IDM_GENTIME_LEN];
	json_t *res = NULL, *list, *w;
	time_t from;
	size_t i;
	int r;

	if (!(op->roles & may))
		return idm_compliance_add(c, IDM_CLAUSE_AUD1, false,
					  N_("writes that bypass the service: not reconciled (audit "
					     "reconcile is for the ciso and the security_chief)"));
	r = idm_compliance_reconcile_since(op, cfg, c->as_of, &from);
	if (r == IDM_ENOENT)
		return idm_compliance_add(c, IDM_CLAUSE_AUD1, false,
					  N_("writes that bypass the service: not reconciled: the "
					     "trail has no record yet"));
	if (r < 0)
		return r;
	idm_time_format(from, since);
	r = client_call(ctx, cfg, "audit.reconcile", json_pack("{s:s}", "since", since), &res);
	if (r < 0) {
		json_decref(res);
		return idm_compliance_add(c, IDM_CLAUSE_AUD1, false,
					  N_("writes that bypass the service: not reconciled: idmgrd: %s"),
					  idm_strerror(r));
	}
	list = json_object_get(res, "unexplained");
	r = idm_compliance_add(c, IDM_CLAUSE_AUD1, false,
			       N_("reconcile (idmgrd): %lld writes slapd logged since %s, %zu "
				  "explained by no audited action"),
			       (long long)json_integer_value(json_object_get(res, "checked")),
			       since, json_array_size(list));
	json_array_foreach (list, i, w) {
		const char *who = json_string_value(json_object_get(w, "who"));

		if (r < 0)
			break;
		if (who && *who)
			r = idm_compliance_add(c, IDM_CLAUSE_AUD1, true,
					       N_("write explained by no audited action: %s %s %s by %s (%s) on %s"),
					       member(w, "time"), member(w, "type"), member(w, "dn"),
					       who, member(w, "attributes"), member(w, "server"));
		else
			r = idm_compliance_add(c, IDM_CLAUSE_AUD1, true,
					       N_("write explained by no audited action: %s %s %s by (unknown) (%s) on %s"),
					       member(w, "time"), member(w, "type"), member(w, "dn"),
					       member(w, "attributes"), member(w, "server"));
	}
	json_decref(res);
	return r;
}

int cmd_report_compliance(struct cmd_ctx *ctx, struct cmd_call *call)
{
	struct idm_compliance *c = NULL;
	time_t as_of = cmd_flag(call, "as-of") ? cmd_opt_time(call, "as-of") : time(NULL);
	int r = idm_compliance_run(call->op, call->cfg, &ctx->log, as_of, &c);

	if (r == IDM_OK)
		r = reconcile_into(ctx, call->cfg, call->op, c);
	if (r == IDM_OK && ctx->format == OUTPUT_JSON)
		print_json(c);
	else if (r == IDM_OK && ctx->format == OUTPUT_CSV)
		print_csv(c);
	else if (r == IDM_OK)
		print_text(c, idm_dir_uri(call->op->d));
	/* exit 1 when any clause has findings (R-REV-1) */
	r = r == IDM_OK && c->n_with_findings ? IDM_ESTATE : r;
	idm_compliance_free(c);
	return r;
}

struct notices {
	enum output_format format;
	json_t *array;
};

static int notice_row(void *ctx, const struct idm_notice *n)
{
	struct notices *l = ctx;
	char t[IDM_GENTIME_LEN], dt[IDM_GENTIME_LEN], att[24];

	output_time(n->time, t);
	output_time(n->delivered, dt);
	snprintf(att, sizeof(att), "%ld", n->attempts);
	if (l->format == OUTPUT_JSON) {
		json_t *to = json_array();
		for (size_t i = 0; i < n->n_recipients; i++)
			json_array_append_new(to, json_string(n->recipients[i]));
		json_array_append_new(l->array,
				      json_pack("{s:s, s:s, s:s, s:s?, s:s, s:o, s:s?, s:I, s:s?, s:s}",
						"id", n->id, "time", t, "action", n->action,
						"subject", n->subject, "detail", n->detail,
						"recipients", to, "delivered",
						n->delivered ? dt : NULL, "attempts",
						(json_int_t)n->attempts, "last_error", n->error,
						"actor", n->actor));
	} else if (l->format == OUTPUT_CSV) {
		const char *v[] = { n->id,
				    t,
				    n->action,
				    n->subject ? n->subject : "",
				    n->delivered ? dt : "",
				    att,
				    n->error ? n->error : "",
				    n->detail };
		for (size_t i = 0; i < 8; i++)
			output_csv(stdout, v[i], i == 7);
	} else {
		printf(_("%s %s %-16s %-12s %s (attempts %ld"), n->id, t, n->action,
		       n->subject ? n->subject : "-", n->delivered ? _("delivered") : _("PENDING"),
		       n->attempts);
		if (n->error) {
			fputs(_("; last error: "), stdout);
			output_text(stdout, n->error);
		}
		fputs(")\n    ", stdout);
		output_text(stdout, n->detail);
		putchar('\n');
	}
	return IDM_OK;
}

int cmd_report_notices(struct cmd_ctx *ctx, struct cmd_call *c)
{
	struct notices l = {
		ctx->format,
		output_list_begin(ctx->format,
				  "id,time,action,subject,delivered,attempts,last_error,detail"),
	};
	int r = idm_notice_each(c->op->d, c->cfg, !cmd_flag(c, "all"), notice_row, &l);

	return output_list_end(l.format, l.array, r);
}

/* The retry of undelivered notices, by idmgrd (which alone writes them). */
int cmd_notify(struct cmd_ctx *ctx, struct cmd_call *c)
{
	json_t *res = NULL;
	int r = client_call(ctx, c->cfg, "notices.deliver", json_object(), &res);

	if (r == IDM_OK || r == IDM_ESTATE)
		printf(_("%lld notices delivered, %lld pending\n"),
		       (long long)json_integer_value(json_object_get(res, "delivered")),
		       (long long)json_integer_value(json_object_get(res, "pending")));
	json_decref(res);
	return r;
}
