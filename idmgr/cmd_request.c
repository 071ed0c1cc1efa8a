/* idmgr request ...: written, dual-approved requests (contract §7). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "idm_i18n.h"
#include "idm_error.h"
#include "idm_form.h"
#include "idm_operator.h"
#include "idm_request.h"
#include "idm_time.h"

static json_t *request_json(const struct idm_request *r)
{
	json_t *o = json_object(), *ap = json_array(), *done = json_array();
	char t[IDM_GENTIME_LEN];

	idm_time_format(r->time, t);
	for (size_t i = 0; i < r->n_approvals; i++) {
		char at[IDM_GENTIME_LEN];
		idm_time_format(r->approvals[i].time, at);
		json_array_append_new(ap, json_pack("{s:s, s:s, s:s}", "role",
						    idm_role_name(r->approvals[i].role), "by",
						    r->approvals[i].dn, "time", at));
	}
	for (size_t i = 0; i < r->n_done; i++)
		json_array_append_new(done, json_string(r->done[i]));
	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "type", json_string(idm_request_type_name(r->type)));
	json_object_set_new(o, "state", json_string(r->state));
	json_object_set_new(o, "subject", json_string(r->subject));
	json_object_set_new(o, "applicant", r->applicant ? json_string(r->applicant) : json_null());
	json_object_set_new(o, "form_ref", r->form_ref ? json_string(r->form_ref) : json_null());
	json_object_set_new(o, "reason", r->reason ? json_string(r->reason) : json_null());
	json_object_set_new(o, "submitted_by",
			    r->submitter ? json_string(r->submitter) : json_null());
	json_object_set_new(o, "submitted", json_string(t));
	json_object_set_new(o, "approvals", ap);
	json_object_set_new(o, "done", done);
	json_object_set_new(o, "detail", r->detail ? json_string(r->detail) : json_null());
	return o;
}

struct list_out {
	enum output_format format;
	json_t *array;
};

static int print_one(void *ctx, const struct idm_request *r)
{
	struct list_out *o = ctx;
	char t[IDM_GENTIME_LEN];

	idm_time_format(r->time, t);
	if (o->format == OUTPUT_JSON) {
		json_array_append_new(o->array, request_json(r));
	} else if (o->format == OUTPUT_CSV) {
		output_csv(stdout, r->id, 0);
		output_csv(stdout, idm_request_type_name(r->type), 0);
		output_csv(stdout, r->state, 0);
		output_csv(stdout, r->subject, 0);
		output_csv(stdout, r->applicant, 0);
		output_csv(stdout, t, 1);
	} else {
		/* type and state in the reader's language, padded by display
		 * columns; JSON and CSV keep the words of forms and scripts */
		printf("%-20s ", r->id);
		output_label(stdout, idm_trc("request type", idm_request_type_name(r->type)), 18);
		output_label(stdout, idm_trc("request state", r->state), 10);
		printf("%-16s %s\n", r->subject, t);
	}
	return 0;
}

#define LABEL_WIDTH 11

/* One "label  value" line of request show, the label in the reader's
 * language. */
static void line(const char *label, const char *value)
{
	output_label(stdout, label, LABEL_WIDTH);
	printf("%s\n", value);
}

static void show_text(const struct idm_request *r)
{
	char t[IDM_GENTIME_LEN];

	idm_time_format(r->time, t);
	line(_("request"), r->id);
	line(_("type"), idm_trc("request type", idm_request_type_name(r->type)));
	line(_("state"), idm_trc("request state", r->state));
	line(_("subject"), r->subject);
	line(_("applicant"), r->applicant ? r->applicant : "-");
	line(_("form_ref"), r->form_ref ? r->form_ref : "-");
	line(_("reason"), r->reason ? r->reason : "-");
	output_label(stdout, _("submitted"), LABEL_WIDTH);
	printf(_("%s by %s\n"), t, r->submitter ? r->submitter : "-");
	for (size_t i = 0; i < r->n_approvals; i++) {
		char at[IDM_GENTIME_LEN];
		idm_time_format(r->approvals[i].time, at);
		output_label(stdout, _("approved"), LABEL_WIDTH);
		printf(_("%s by %s at %s\n"), idm_trc("role", idm_role_name(r->approvals[i].role)),
		       r->approvals[i].dn, at);
	}
	if (r->detail)
		line(_("detail"), r->detail);
	printf(_("--- form\n%s"), r->form_text ? r->form_text : "");
}

static void print_apply(const struct cmd_ctx *ctx, const char *id, json_t *res)
{
	const char *uid = json_string_value(json_object_get(res, "uid"));
	const char *summary = json_string_value(json_object_get(res, "summary"));
	const char *pw = json_string_value(json_object_get(res, "temporary_password"));

	if (ctx->format == OUTPUT_JSON) {
		output_json(stdout, json_pack("{s:s, s:s, s:s?, s:s?}", "request", id, "uid",
					      uid ? uid : "", "summary", summary,
					      "temporary_password", pw));
		return;
	}
	printf(_("%s: applied: %s\n"), id, summary ? summary : _("done"));
	if (pw)
		printf(_("temporary password for %s: %s (shown once; it must be changed at "
			 "the first login)\n"),
		       uid ? uid : "", pw);
}

int cmd_request_template(struct cmd_ctx *ctx, struct cmd_call *c)
{
	int t = idm_request_type_from_name(c->arg);

	(void)ctx;
	if (t < 0) {
		fprintf(stderr, _("idmgr: unknown request type \"%s\"\n"), c->arg);
		return IDM_EINVAL;
	}
	fputs(idm_form_template((enum idm_request_type)t), stdout);
	return IDM_OK;
}

int cmd_request_submit(struct cmd_ctx *ctx, struct cmd_call *c)
{
	struct idm_form *form = NULL;
	json_t *res = NULL;
	char *text = NULL;
	/* The whole form is validated before anything else is asked. */
	int r = idm_form_load(c->cfg, c->arg, time(NULL), &ctx->log, &form);

	if (r < 0) {
		fprintf(stderr, _("idmgr: %s: nothing was stored\n"), c->arg);
		return r;
	}
	/* The service checks the form again, in the canonical text the
	 * request keeps. */
	r = idm_form_serialize(form, &text);
	if (r == IDM_OK)
		r = client_call(ctx, c->cfg, "request.submit",
				json_pack("{s:s, s:s}", "form", text, "name", c->arg), &res);
	free(text);
	if (r == IDM_OK)
		printf("%s\n", json_string_value(json_object_get(res, "id")));
	json_decref(res);
	idm_form_free(form);
	return r;
}

int cmd_request_approve(struct cmd_ctx *ctx, struct cmd_call *c)
{
	json_t *res = NULL;
	int r = client_call(ctx, c->cfg, "request.approve", json_pack("{s:s}", "id", c->arg), &res);

	if (r == IDM_OK)
		printf(_("%s: approved as %s; the request is now %s\n"), c->arg,
		       idm_trc("role", json_string_value(json_object_get(res, "role"))),
		       idm_trc("request state", json_string_value(json_object_get(res, "state"))));
	json_decref(res);
	return r;
}

int cmd_request_reject(struct cmd_ctx *ctx, struct cmd_call *c)
{
	const char *reason = cmd_opt(c, "reason");
	json_t *res = NULL;
	int r;

	if (!reason || !*reason) {
		fprintf(stderr, "%s", _("idmgr: request reject needs --reason TEXT\n"));
		return IDM_EINVAL;
	}
	r = client_call(ctx, c->cfg, "request.reject",
			json_pack("{s:s, s:s}", "id", c->arg, "reason", reason), &res);
	if (r == IDM_OK)
		printf(_("%s: rejected\n"), c->arg);
	json_decref(res);
	return r;
}

int cmd_request_apply(struct cmd_ctx *ctx, struct cmd_call *c)
{
	json_t *res = NULL;
	int r = client_call(ctx, c->cfg, "request.apply", json_pack("{s:s}", "id", c->arg), &res);

	if (r == IDM_OK)
		print_apply(ctx, c->arg, res);
	json_decref(res);
	return r;
}

int cmd_request_list(struct cmd_ctx *ctx, struct cmd_call *c)
{
	struct list_out o = {
		ctx->format,
		output_list_begin(ctx->format, "id,type,state,subject,applicant,submitted"),
	};
	int r = idm_request_list(c->op->d, c->cfg, cmd_opt(c, "state"), print_one, &o);

	return output_list_end(o.format, o.array, r);
}

int cmd_request_show(struct cmd_ctx *ctx, struct cmd_call *c)
{
	struct idm_request *req = NULL;
	int r = idm_request_get(c->op->d, c->cfg, c->arg, &req);

	if (r == IDM_OK && ctx->format == OUTPUT_JSON)
		output_json(stdout, request_json(req));
	else if (r == IDM_OK)
		show_text(req);
	idm_request_free(req);
	return r;
}
