#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_api_ops.h"
#include "idm_error.h"
#include "idm_secret.h"

/* ------------------------------------------------------------ parsing */

static bool text_ok(const char *s, size_t len, bool lines)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\0' || ch == 0x7f ||
		    (ch < 0x20 && !(lines && (ch == '\n' || ch == '\t'))))
			return false;
	}
	return true;
}

static int check_arg(const struct arg *a, json_t *v, const char *op, char *why, size_t n)
{
	switch (a->type) {
	case ARG_WORD:
	case ARG_TEXT:
		if (!json_is_string(v)) {
			snprintf(why, n, "%s: args.%s: must be a string", op, a->name);
			return IDM_EINVAL;
		}
		if (json_string_length(v) == 0 && a->required) {
			snprintf(why, n, "%s: args.%s: must not be empty", op, a->name);
			return IDM_EINVAL;
		}
		if (json_string_length(v) > a->max) {
			snprintf(why, n, "%s: args.%s: longer than %zu bytes", op, a->name, a->max);
			return IDM_EINVAL;
		}
		if (!text_ok(json_string_value(v), json_string_length(v), a->type == ARG_TEXT)) {
			snprintf(why, n, "%s: args.%s: holds a control character", op, a->name);
			return IDM_EINVAL;
		}
		return IDM_OK;
	case ARG_BOOL:
		if (!json_is_boolean(v)) {
			snprintf(why, n, "%s: args.%s: must be true or false", op, a->name);
			return IDM_EINVAL;
		}
		return IDM_OK;
	case ARG_DAYS:
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 3650) {
			snprintf(why, n, "%s: args.%s: must be a number of days from 1 to 3650", op,
				 a->name);
			return IDM_EINVAL;
		}
		return IDM_OK;
	}
	return IDM_EINVAL;
}

static int check_args(const struct idm_api_op *op, json_t *args, char *why, size_t n)
{
	const char *key;
	json_t *v;

	if (!json_is_object(args)) {
		snprintf(why, n, "%s: args: must be an object", op->name);
		return IDM_EINVAL;
	}
	json_object_foreach (args, key, v) {
		const struct arg *a = NULL;
		for (size_t i = 0; i < ARGS_MAX && op->args[i].name; i++)
			if (strcmp(op->args[i].name, key) == 0)
				a = &op->args[i];
		if (a && json_is_null(v) && !a->required)
			continue; /* null: absent */
		if (!a) {
			/* the key is the client's text: show only what is printable */
			snprintf(why, n, "%s: args: unknown member \"%.64s\"", op->name,
				 text_ok(key, strlen(key), false) ? key : "?");
			return IDM_EINVAL;
		}
		if (check_arg(a, v, op->name, why, n) < 0)
			return IDM_EINVAL;
	}
	for (size_t i = 0; i < ARGS_MAX && op->args[i].name; i++)
		if (op->args[i].required && !json_object_get(args, op->args[i].name)) {
			snprintf(why, n, "%s: args.%s: required member is missing", op->name,
				 op->args[i].name);
			return IDM_EINVAL;
		}
	return IDM_OK;
}

static const char *const top_members[] = { "version", "operator", "password",
					   "op",      "args",     "verbose" };

int idm_api_parse(const char *body, size_t len, struct idm_api_request **out, char *why,
		  size_t why_size)
{
	struct idm_api_request *req = NULL;
	json_t *root = NULL, *v;
	json_error_t jerr;
	const char *key;
	int r = IDM_EINVAL;

	*out = NULL;
	snprintf(why, why_size, "invalid request");
	if (len > IDM_API_BODY_MAX) {
		snprintf(why, why_size, "request body: more than %d bytes", IDM_API_BODY_MAX);
		return IDM_ERANGE;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		/* jerr.text may quote the body, password included: position only */
		snprintf(why, why_size, "request body: not JSON (line %d, column %d)", jerr.line,
			 jerr.column);
		goto out;
	}
	if (!json_is_object(root)) {
		snprintf(why, why_size, "request body: must be a JSON object");
		goto out;
	}
	json_object_foreach (root, key, v) {
		bool known = false;
		for (size_t i = 0; i < sizeof(top_members) / sizeof(top_members[0]); i++)
			known |= strcmp(key, top_members[i]) == 0;
		if (!known) {
			snprintf(why, why_size, "request: unknown member \"%.64s\"",
				 text_ok(key, strlen(key), false) ? key : "?");
			goto out;
		}
	}
	v = json_object_get(root, "version");
	if (!json_is_integer(v) || json_integer_value(v) != IDM_API_VERSION) {
		snprintf(why, why_size, "request: version: must be %d", IDM_API_VERSION);
		goto out;
	}
	req = calloc(1, sizeof(*req));
	if (!req) {
		r = IDM_ENOMEM;
		goto out;
	}
	v = json_object_get(root, "op");
	if (!json_is_string(v)) {
		snprintf(why, why_size, "request: op: required string is missing");
		goto out;
	}
	for (size_t i = 0; i < idm_api_op_count; i++)
		if (strcmp(idm_api_ops[i].name, json_string_value(v)) == 0)
			req->op = &idm_api_ops[i];
	if (!req->op) {
		snprintf(why, why_size, "request: op: \"%.64s\" is not an operation",
			 text_ok(json_string_value(v), json_string_length(v), false)
				 ? json_string_value(v)
				 : "?");
		goto out;
	}
	v = json_object_get(root, "operator");
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > ID_MAX ||
	    !text_ok(json_string_value(v), json_string_length(v), false)) {
		snprintf(why, why_size,
			 "request: operator: must be a uid of 1 to %d printable bytes", ID_MAX);
		goto out;
	}
	req->operator_uid = strdup(json_string_value(v));
	v = json_object_get(root, "password");
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 4096 ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(why, why_size, "request: password: must be a string of 1 to 4096 bytes");
		goto out;
	}
	req->password = strdup(json_string_value(v));
	v = json_object_get(root, "verbose");
	if (v && !json_is_boolean(v)) {
		snprintf(why, why_size, "request: verbose: must be true or false");
		goto out;
	}
	req->verbose = json_is_true(v);
	v = json_object_get(root, "args");
	if (!v) {
		snprintf(why, why_size, "request: args: required object is missing");
		goto out;
	}
	if (check_args(req->op, v, why, why_size) < 0)
		goto out;
	req->args = json_incref(v);
	if (!req->operator_uid || !req->password) {
		r = IDM_ENOMEM;
		goto out;
	}
	r = IDM_OK;
out:
	json_decref(root);
	if (r == IDM_OK)
		*out = req;
	else
		idm_api_request_free(req);
	return r;
}

void idm_api_request_free(struct idm_api_request *req)
{
	if (!req)
		return;
	free(req->operator_uid);
	idm_secret_free(req->password);
	json_decref(req->args);
	free(req);
}
