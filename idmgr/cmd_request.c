/* idmgr request ...: written, dual-approved requests (contract §7). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "idm_error.h"
#include "idm_form.h"
#include "idm_operator.h"
#include "idm_request.h"
#include "idm_time.h"

static const char request_usage[] =
	"usage: idmgr request template TYPE\n"
	"       idmgr request submit FORM\n"
	"       idmgr request list [--state S] [--format text|json|csv]\n"
	"       idmgr request show ID [--format text|json]\n"
	"       idmgr request approve ID\n"
	"       idmgr request reject ID --reason TEXT\n"
	"       idmgr request apply ID [--format text|json]\n";

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
		printf("%-20s %-17s %-9s %-16s %s\n", r->id, idm_request_type_name(r->type),
		       r->state, r->subject, t);
	}
	return 0;
}

static void show_text(const struct idm_request *r)
{
	char t[IDM_GENTIME_LEN];

	idm_time_format(r->time, t);
	printf("request    %s\ntype       %s\nstate      %s\nsubject    %s\napplicant  %s\n"
	       "form_ref   %s\nreason     %s\nsubmitted  %s by %s\n",
	       r->id, idm_request_type_name(r->type), r->state, r->subject,
	       r->applicant ? r->applicant : "-", r->form_ref ? r->form_ref : "-",
	       r->reason ? r->reason : "-", t, r->submitter ? r->submitter : "-");
	for (size_t i = 0; i < r->n_approvals; i++) {
		char at[IDM_GENTIME_LEN];
		idm_time_format(r->approvals[i].time, at);
		printf("approved   %s by %s at %s\n", idm_role_name(r->approvals[i].role),
		       r->approvals[i].dn, at);
	}
	if (r->detail)
		printf("detail     %s\n", r->detail);
	printf("--- form\n%s", r->form_text ? r->form_text : "");
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
	printf("%s: applied: %s\n", id, summary ? summary : "done");
	if (pw)
		printf("temporary password for %s: %s (shown once; it must be changed at "
		       "the first login)\n",
		       uid ? uid : "", pw);
}

static int parse_format(struct cmd_ctx *ctx, const char *arg, int allow_csv)
{
	int f = output_format_parse(arg, allow_csv);

	if (f < 0) {
		fprintf(stderr, "idmgr: --format: \"%s\" is not one of text, json%s\n", arg,
			allow_csv ? ", csv" : "");
		return -1;
	}
	ctx->format = (enum output_format)f;
	return 0;
}

int cmd_request(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'F' },
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct idm_config *cfg = NULL;
	struct idm_operator *op = NULL;
	struct idm_form *form = NULL;
	struct idm_request *req = NULL;
	json_t *res = NULL;
	const char *sub, *arg = NULL, *state = NULL, *reason = NULL;
	int c, r = IDM_OK, status = EXIT_INVALID;

	if (argc < 2) {
		fputs(request_usage, stderr);
		return EXIT_INVALID;
	}
	sub = argv[1];
	optind = 0; /* reinitialise getopt: options may follow arguments */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': state = optarg; break;
		case 'r': reason = optarg; break;
		case 'F':
			if (parse_format(ctx, optarg, strcmp(sub, "list") == 0) < 0)
				return EXIT_INVALID;
			break;
		default: fputs(request_usage, stderr); return EXIT_INVALID;
		}
	}
	optind++; /* past the subcommand, which getopt moved behind the options */
	if (optind < argc)
		arg = argv[optind++];
	if (optind != argc || (strcmp(sub, "list") != 0 && !arg)) {
		fputs(request_usage, stderr);
		return EXIT_INVALID;
	}
	if (strcmp(sub, "template") == 0) {
		int t = idm_request_type_from_name(arg);
		if (t < 0) {
			fprintf(stderr, "idmgr: unknown request type \"%s\"\n", arg);
			return EXIT_INVALID;
		}
		fputs(idm_form_template((enum idm_request_type)t), stdout);
		return EXIT_DONE;
	}
	cfg = ctx_load_config(ctx);
	if (!cfg)
		return EXIT_INVALID;
	if (strcmp(sub, "submit") == 0) {
		/* The whole form is validated before anything else is asked. */
		r = idm_form_load(cfg, arg, time(NULL), &ctx->log, &form);
		if (r < 0) {
			fprintf(stderr, "idmgr: %s: nothing was stored\n", arg);
			goto done;
		}
	}
	if (strcmp(sub, "reject") == 0 && (!reason || !*reason)) {
		fprintf(stderr, "idmgr: request reject needs --reason TEXT\n");
		r = IDM_EINVAL;
		goto done;
	}
	if (strcmp(sub, "submit") == 0) {
		/* The service checks the form again, in the canonical text
		 * the request keeps. */
		char *text = NULL;
		r = idm_form_serialize(form, &text);
		if (r == IDM_OK)
			r = client_call(ctx, cfg, "request.submit",
					json_pack("{s:s, s:s}", "form", text, "name", arg), &res);
		free(text);
		if (r == IDM_OK)
			printf("%s\n", json_string_value(json_object_get(res, "id")));
		goto done;
	}
	if (strcmp(sub, "approve") == 0) {
		r = client_call(ctx, cfg, "request.approve", json_pack("{s:s}", "id", arg), &res);
		if (r == IDM_OK)
			printf("%s: approved as %s; the request is now %s\n", arg,
			       json_string_value(json_object_get(res, "role")),
			       json_string_value(json_object_get(res, "state")));
		goto done;
	}
	if (strcmp(sub, "reject") == 0) {
		r = client_call(ctx, cfg, "request.reject",
				json_pack("{s:s, s:s}", "id", arg, "reason", reason), &res);
		if (r == IDM_OK)
			printf("%s: rejected\n", arg);
		goto done;
	}
	if (strcmp(sub, "apply") == 0) {
		r = client_call(ctx, cfg, "request.apply", json_pack("{s:s}", "id", arg), &res);
		if (r == IDM_OK)
			print_apply(ctx, arg, res);
		goto done;
	}
	r = ctx_operator_login(ctx, cfg, &op);
	if (r < 0)
		goto done;
	if (strcmp(sub, "list") == 0) {
		struct list_out o = { ctx->format, json_array() };
		if (ctx->format == OUTPUT_CSV)
			printf("id,type,state,subject,applicant,submitted\n");
		r = idm_request_list(op->d, cfg, state, print_one, &o);
		if (r == IDM_OK && ctx->format == OUTPUT_JSON)
			output_json(stdout, o.array);
		else
			json_decref(o.array);
	} else if (strcmp(sub, "show") == 0) {
		r = idm_request_get(op->d, cfg, arg, &req);
		if (r == IDM_OK && ctx->format == OUTPUT_JSON)
			output_json(stdout, request_json(req));
		else if (r == IDM_OK)
			show_text(req);
	} else {
		fputs(request_usage, stderr);
		r = IDM_EINVAL;
	}
done:
	status = exit_status(r);
	json_decref(res);
	idm_request_free(req);
	idm_form_free(form);
	idm_operator_free(op);
	idm_config_free(cfg);
	return status;
}
