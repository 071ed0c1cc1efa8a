/* idmgr init: bootstrap the directory (contract §5). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "idm_i18n.h"
#include "idm_bootstrap.h"
#include "idm_error.h"
#include "idm_secret.h"
#include "prompt.h"

static const char *action_name(enum idm_bootstrap_action a)
{
	return a == IDM_BOOT_CREATED ? "created" : a == IDM_BOOT_UPDATED ? "updated" : "exists";
}

static json_t *roles_json(unsigned roles)
{
	json_t *a = json_array();

	for (int i = 0; i < IDM_ROLE_COUNT; i++)
		if (roles & (1u << i))
			json_array_append_new(a, json_string(idm_role_name(i)));
	return a;
}

static void print_text(const struct idm_config *cfg, const struct idm_bootstrap_result *res)
{
	for (size_t i = 0; i < res->n_steps; i++)
		printf("%-8s %s\n", action_name(res->steps[i].action), res->steps[i].dn);
	if (res->secret_written)
		printf(_("wrote    %s (the service identity's secret)\n"),
		       cfg->ldap.bind_password_file);
	if (res->writer_secret_written)
		printf(_("wrote    %s (idmgrd's secret)\n"), cfg->service.bind_password_file);
	if (res->audit_uuid && !*cfg->service.audit_container_uuid)
		printf(_("pin      the audit trail's container: service { audit_container_uuid = "
			 "\"%s\" } in %s\n"),
		       res->audit_uuid, cfg->path);
	for (size_t i = 0; i < res->n_officers; i++) {
		const struct idm_bootstrap_officer *o = &res->officers[i];
		printf(_("officer  %s ("), o->uid);
		for (int k = 0, first = 1; k < IDM_ROLE_COUNT; k++)
			if (o->roles & (1u << k)) {
				printf("%s%s", first ? "" : ", ", idm_trc("role", idm_role_name(k)));
				first = 0;
			}
		if (o->temp_password)
			printf(_("): temporary password %s -- shown once; change it with "
				 "\"idmgr -u %s passwd\" before acting\n"),
			       o->temp_password, o->uid);
		else
			printf("%s", _("): exists; password unchanged\n"));
	}
}

static void print_json(const struct idm_config *cfg, const struct idm_bootstrap_result *res)
{
	json_t *root = json_object(), *steps = json_array(), *officers = json_array();

	for (size_t i = 0; i < res->n_steps; i++)
		json_array_append_new(steps, json_pack("{s:s, s:s}", "dn", res->steps[i].dn,
						       "action", action_name(res->steps[i].action)));
	for (size_t i = 0; i < res->n_officers; i++) {
		const struct idm_bootstrap_officer *o = &res->officers[i];
		json_array_append_new(officers, json_pack("{s:s, s:s, s:o, s:s?}", "uid", o->uid,
							  "dn", o->dn, "roles", roles_json(o->roles),
							  "temporary_password", o->temp_password));
	}
	json_object_set_new(root, "steps", steps);
	json_object_set_new(root, "service_secret_file",
			    res->secret_written ? json_string(cfg->ldap.bind_password_file)
						: json_null());
	json_object_set_new(root, "idmgrd_secret_file",
			    res->writer_secret_written ? json_string(cfg->service.bind_password_file)
						       : json_null());
	json_object_set_new(root, "audit_container_uuid",
			    res->audit_uuid ? json_string(res->audit_uuid) : json_null());
	json_object_set_new(root, "officers", officers);
	output_json(stdout, root);
}

int cmd_init(struct cmd_ctx *ctx, struct cmd_call *c)
{
	const char *pwfile = cmd_opt(c, "admin-password-file");
	size_t n_specs = 0, n = 0;
	const char *const *specs = cmd_opt_list(c, "officer", &n_specs);
	struct idm_officer_spec *officers = calloc(n_specs + 1, sizeof(*officers));
	struct idm_bootstrap_result *res = NULL;
	char *password = NULL;
	int r = officers ? IDM_OK : IDM_ENOMEM;

	for (; r == IDM_OK && n < n_specs; n++)
		r = idm_officer_spec_parse(c->cfg, &ctx->log, specs[n], &officers[n]);
	if (r < 0)
		goto out;
	r = pwfile ? idm_secret_read(pwfile, &ctx->log, &password)
		   : prompt_password(_("Directory administrator's password: "), &password);
	if (r < 0)
		goto out;
	r = idm_bootstrap(c->cfg, &ctx->log, cmd_opt(c, "admin-dn"), password, officers, n, &res);
	if (res) {
		if (ctx->format == OUTPUT_JSON)
			print_json(c->cfg, res);
		else
			print_text(c->cfg, res);
	}
	if (r < 0)
		fprintf(stderr, _("idmgr: init stopped: %s; run it again to complete it\n"),
			idm_tr(idm_strerror(r)));
out:
	idm_bootstrap_result_free(res);
	idm_secret_free(password);
	for (size_t i = 0; i < n; i++)
		idm_officer_spec_clear(&officers[i]);
	free(officers);
	return r;
}
