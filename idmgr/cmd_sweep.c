/* idmgr sweep: the monthly stale-ID sweep (R-REG-4; idmgr(8)).  Options and
 * output only: the sweep itself is idm_sweep_run().  Rows are printed as
 * the core finds them, in every format, so that output, like the core,
 * takes no memory per account. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "idm_i18n.h"
#include "idm_error.h"
#include "idm_operator.h"
#include "idm_sweep.h"
#include "idm_time.h"

struct out {
	enum output_format format;
	bool progress; /* stderr is a terminal */
	bool progress_shown;
	long rows;
};

static void gentime_or_empty(time_t t, char buf[IDM_GENTIME_LEN])
{
	if (t)
		idm_time_format(t, buf);
	else
		buf[0] = '\0';
}

static void clear_progress(struct out *o)
{
	if (o->progress_shown)
		fputs("\r\033[K", stderr);
	o->progress_shown = false;
}

static void progress(void *ctx, long accounts)
{
	struct out *o = ctx;

	if (!o->progress || accounts % 1000 != 0)
		return;
	fputc('\r', stderr); /* the line is written over */
	fprintf(stderr, _("sweep: %ld accounts read"), accounts);
	fflush(stderr);
	o->progress_shown = true;
}

static int finding(void *ctx, const struct idm_sweep_finding *f)
{
	struct out *o = ctx;
	const char *cls = idm_sweep_class_name(f->cls), *action = idm_sweep_action_name(f->action);
	const char *exempt_from =
		f->cls == IDM_SWEEP_EXEMPT ? idm_sweep_class_name(f->rule_class) : "";

	char login[IDM_GENTIME_LEN], created[IDM_GENTIME_LEN], valid[IDM_GENTIME_LEN],
		until[IDM_GENTIME_LEN];

	clear_progress(o);
	gentime_or_empty(f->last_login, login);
	gentime_or_empty(f->created, created);
	gentime_or_empty(f->valid_until, valid);
	gentime_or_empty(f->until, until);
	if (o->format == OUTPUT_JSON) {
		json_t *j;
		char *text;

		j = json_pack("{s:s, s:s?, s:s?, s:s, s:b, s:s?, s:s?, s:s?, s:s?, s:s?, s:s, s:s}",
			      "class", cls, "exempt_from", *exempt_from ? exempt_from : NULL, "uid",
			      f->uid, "dn", f->dn, "privileged", f->privileged, "status", f->status,
			      "last_login", *login ? login : NULL, "created",
			      *created ? created : NULL, "valid_until", *valid ? valid : NULL,
			      "until", *until ? until : NULL, "action", action, "detail",
			      f->detail ? f->detail : "");
		text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(j);
		if (!text)
			return IDM_ENOMEM;
		printf("%s\n    %s", o->rows ? "," : "", text);
		free(text);
	} else if (o->format == OUTPUT_CSV) {
		output_csv(stdout, cls, 0);
		output_csv(stdout, exempt_from, 0);
		output_csv(stdout, f->uid, 0);
		output_csv(stdout, f->dn, 0);
		output_csv(stdout, f->privileged ? "yes" : "no", 0);
		output_csv(stdout, f->status, 0);
		output_csv(stdout, login, 0);
		output_csv(stdout, created, 0);
		output_csv(stdout, valid, 0);
		output_csv(stdout, until, 0);
		output_csv(stdout, action, 0);
		output_csv(stdout, f->detail, 1);
	} else {
		char last[IDM_DATE_LEN], *detail;

		/* the words and the detail in the reader's language, the columns
		 * padded by display columns; JSON and CSV keep the English */
		idm_date_format(f->last_login, last);
		if (!(detail = idm_sweep_detail_dup(f, true)))
			return IDM_ENOMEM;
		output_label(stdout, idm_trc("sweep class", cls), 18);
		printf("%-16s %-4s ", f->uid ? f->uid : "-", f->privileged ? _("yes") : "-");
		output_label(stdout, f->status ? idm_trc("account status", f->status) : "-", 10);
		printf("%-10s ", last);
		output_label(stdout, idm_trc("sweep action", action), 14);
		output_text(stdout, detail);
		putchar('\n');
		free(detail);
	}
	o->rows++;
	return IDM_OK;
}

static void header(const struct out *o, const struct idm_sweep_options *so)
{
	char as_of[IDM_DATE_LEN];

	idm_date_format(so->now, as_of);
	if (o->format == OUTPUT_JSON) {
		json_t *h = json_pack("{s:s, s:I, s:I, s:b}", "as_of", as_of, "inactive_days",
				      (json_int_t)so->inactive_days, "never_used_days",
				      (json_int_t)so->never_used_days, "apply", so->apply);
		char *text = h ? json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

		/* the header's members, then the findings array streamed after them */
		if (text && strlen(text) > 2)
			printf("{\n  %.*s,\n  \"findings\": [", (int)strlen(text) - 2, text + 1);
		else
			printf("{\n  \"findings\": [");
		free(text);
		json_decref(h);
	} else if (o->format == OUTPUT_CSV) {
		puts("class,exempt_from,uid,dn,privileged,status,last_login,created,valid_until,"
		     "until,action,detail");
	} else {
		static const struct {
			const char *name;
			int width;
		} cols[] = { { N_("CLASS"), 18 },  { N_("UID"), 17 },        { N_("PRIV"), 5 },
			     { N_("STATUS"), 10 }, { N_("LAST LOGIN"), 11 }, { N_("ACTION"), 14 },
			     { N_("DETAIL"), 0 } };

		printf(_("sweep as of %s (inactive_days %ld, never_used_days %ld): %s\n"), as_of,
		       so->inactive_days, so->never_used_days,
		       so->apply ? _("disabling stale, never-used and expired IDs")
				 : _("report only, nothing is changed"));
		/* the column headings in the reader's language, padded by display
		 * columns */
		for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
			if (cols[i].width)
				output_label(stdout, idm_tr(cols[i].name), cols[i].width);
			else
				printf("%s\n", idm_tr(cols[i].name));
	}
}

static void footer(const struct out *o, const struct idm_sweep_summary *sum, int r)
{
	if (o->format == OUTPUT_JSON) {
		json_t *classes = json_object(), *actions = json_object(), *tail;
		char *text;

		for (int c = 0; c < IDM_SWEEP_CLASS_COUNT; c++)
			json_object_set_new(classes, idm_sweep_class_name((enum idm_sweep_class)c),
					    json_integer(sum->classes[c]));
		for (int a = 0; a < IDM_SWEEP_ACTION_COUNT; a++)
			json_object_set_new(actions, idm_sweep_action_name((enum idm_sweep_action)a),
					    json_integer(sum->actions[a]));
		tail = json_pack("{s:I, s:o, s:o, s:s?}", "accounts", (json_int_t)sum->accounts,
				 "classes", classes, "actions", actions, "error",
				 r == IDM_OK || (r == IDM_EDENIED && sum->actions[IDM_SWEEP_REFUSED])
					 ? NULL /* done; the refusals are among the findings */
					 : idm_strerror(r));
		text = tail ? json_dumps(tail, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		printf("\n  ],\n  \"summary\": %s\n}\n", text ? text : "null");
		free(text);
		json_decref(tail);
	} else if (o->format == OUTPUT_TEXT) {
		printf(P_("%ld accounts read; %ld finding", "%ld accounts read; %ld findings",
			  o->rows),
		       sum->accounts, o->rows);
		fputs(o->rows ? ":" : "", stdout);
		for (int c = 0; c < IDM_SWEEP_CLASS_COUNT; c++)
			if (sum->classes[c])
				printf(" %s %ld",
				       idm_trc("sweep class",
					       idm_sweep_class_name((enum idm_sweep_class)c)),
				       sum->classes[c]);
		printf("\n");
		if (sum->actions[IDM_SWEEP_DISABLED] || sum->actions[IDM_SWEEP_COMPLETED] ||
		    sum->actions[IDM_SWEEP_REFUSED] || sum->actions[IDM_SWEEP_CHANGED] ||
		    sum->actions[IDM_SWEEP_WOULD_DISABLE] || sum->actions[IDM_SWEEP_PENDING]) {
			fputs(_("actions:"), stdout);
			for (int a = 1; a < IDM_SWEEP_ACTION_COUNT; a++)
				if (sum->actions[a])
					printf(" %s %ld",
					       idm_trc("sweep action",
						       idm_sweep_action_name(
							       (enum idm_sweep_action)a)),
					       sum->actions[a]);
			printf("\n");
		}
	}
}

/* sweep --apply runs in the service, which alone may disable; its
 * findings stream back and are printed as they come, as a local sweep
 * prints them (a reader that stops reading makes the service's sweep wait). */
struct remote {
	struct out *o;
	const struct idm_sweep_options *so;
	bool ran; /* the header is printed: the operator was let in */
};

/* The detail's clauses as the service sent them (lib/service/idm_api_ops.c
 * said_json()); false when they are not of this version's shape (the text
 * shows the English detail then).  Strings point into j. */
static bool said_from_json(json_t *j, struct idm_sweep_said *d)
{
	size_t i, k;
	json_t *one, *v;

	d->n = 0;
	if (!json_is_array(j) || json_array_size(j) > IDM_SWEEP_CLAUSES)
		return false;
	json_array_foreach (j, i, one) {
		struct idm_sweep_clause *c = &d->c[d->n++];
		json_t *args = json_object_get(one, "args"), *ctx = json_object_get(one, "ctx");

		memset(c, 0, sizeof(*c));
		c->fmt = json_string_value(json_object_get(one, "msgid"));
		if (!c->fmt || json_array_size(args) > IDM_SWEEP_CLAUSE_ARGS ||
		    json_array_size(ctx) != json_array_size(args))
			return false;
		json_array_foreach (args, k, v) {
			json_t *x = json_array_get(ctx, k);
			if (!(c->args[k] = json_string_value(v)) ||
			    !(json_is_null(x) || json_is_string(x)))
				return false;
			c->ctx[k] = json_string_value(x);
		}
		c->nargs = (int)json_array_size(args);
	}
	return d->n > 0;
}

static void remote_finding(void *ctx, json_t *f)
{
	struct remote *rm = ctx;
	struct idm_sweep_said said;
	struct idm_sweep_finding fd = {
		.cls = (enum idm_sweep_class)json_integer_value(json_object_get(f, "class")),
		.rule_class =
			(enum idm_sweep_class)json_integer_value(json_object_get(f, "rule_class")),
		.action = (enum idm_sweep_action)json_integer_value(json_object_get(f, "action")),
		.uid = json_string_value(json_object_get(f, "uid")),
		.dn = json_string_value(json_object_get(f, "dn")),
		.status = json_string_value(json_object_get(f, "status")),
		.privileged = json_is_true(json_object_get(f, "privileged")),
		.last_login = (time_t)json_integer_value(json_object_get(f, "last_login")),
		.created = (time_t)json_integer_value(json_object_get(f, "created")),
		.valid_until = (time_t)json_integer_value(json_object_get(f, "valid_until")),
		.until = (time_t)json_integer_value(json_object_get(f, "until")),
		.detail = json_string_value(json_object_get(f, "detail")),
	};

	if (fd.cls >= IDM_SWEEP_CLASS_COUNT || fd.rule_class >= IDM_SWEEP_CLASS_COUNT ||
	    fd.action >= IDM_SWEEP_ACTION_COUNT || !fd.dn)
		return; /* not an answer of this version */
	if (said_from_json(json_object_get(f, "said"), &said))
		fd.said = &said;
	if (!rm->ran)
		header(rm->o, rm->so);
	rm->ran = true;
	finding(rm->o, &fd);
	fflush(stdout);
}

static int sweep_through_service(struct cmd_ctx *ctx, const struct idm_config *cfg, long inactive,
				 struct out *o, const struct idm_sweep_options *so,
				 struct idm_sweep_summary *sum, bool *ran)
{
	struct remote rm = { .o = o, .so = so };
	json_t *res = NULL, *args = json_object();
	int r;

	if (inactive)
		json_object_set_new(args, "inactive_days", json_integer(inactive));
	r = client_call_stream(ctx, cfg, "sweep.apply", args, remote_finding, &rm, &res);
	if (!rm.ran && json_object_get(res, "findings")) { /* ran, found nothing */
		header(o, so);
		rm.ran = true;
	}
	*ran = rm.ran;
	if (rm.ran && res) {
		sum->accounts = (long)json_integer_value(json_object_get(res, "accounts"));
		for (int c = 0; c < IDM_SWEEP_CLASS_COUNT; c++)
			sum->classes[c] = (long)json_integer_value(
				json_array_get(json_object_get(res, "classes"), c));
		for (int a = 0; a < IDM_SWEEP_ACTION_COUNT; a++)
			sum->actions[a] = (long)json_integer_value(
				json_array_get(json_object_get(res, "actions"), a));
	}
	json_decref(res);
	return r;
}

int cmd_sweep(struct cmd_ctx *ctx, struct cmd_call *c)
{
	struct idm_sweep_options so = { 0 };
	struct idm_sweep_summary sum = { 0 };
	struct out o = { 0 };
	const struct idm_config *cfg = c->cfg;
	long inactive = cmd_opt_days(c, "inactive-days");
	bool as_of = cmd_flag(c, "as-of"), ran = false;
	int r;

	so.apply = cmd_flag(c, "apply");
	if (so.apply && as_of) {
		/* Disabling acts on today's facts; a date is for looking ahead or back. */
		fprintf(stderr, "%s",
			_("idmgr: --apply acts on the present; --as-of is for reports only\n"));
		return IDM_EINVAL;
	}
	so.now = as_of ? cmd_opt_time(c, "as-of") : time(NULL);
	so.inactive_days = inactive ? inactive : cfg->sweep.inactive_days;
	so.never_used_days = cfg->sweep.never_used_days;
	so.finding = finding;
	so.progress = progress;
	so.ctx = &o;
	o.format = ctx->format;
	o.progress = isatty(STDERR_FILENO) == 1;
	if (so.apply) {
		r = sweep_through_service(ctx, cfg, inactive, &o, &so, &sum, &ran);
		if (ran) {
			footer(&o, &sum, r);
			fflush(stdout);
		}
	} else if ((r = cmd_login(ctx, c)) == IDM_OK) {
		ran = true;
		header(&o, &so);
		r = idm_sweep_run(c->op, cfg, &ctx->log, &so, &sum);
		clear_progress(&o);
		footer(&o, &sum, r);
		fflush(stdout);
	}
	if (r == IDM_EUNAVAIL && ran)
		fprintf(stderr,
			"idmgr: sweep stopped: the directory stopped answering after %ld accounts; "
			"every disable done so far is whole; run the sweep again to finish\n",
			sum.accounts);
	else if (r == IDM_EUNAVAIL)
		fprintf(stderr, "%s",
			_("idmgr: sweep: no directory server answered; nothing was done\n"));
	else if (r == IDM_EDENIED && sum.actions[IDM_SWEEP_REFUSED])
		fprintf(stderr, _("idmgr: sweep: %ld disable(s) refused; the rest is done\n"),
			sum.actions[IDM_SWEEP_REFUSED]);
	return r;
}
