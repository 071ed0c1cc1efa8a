/* idmgr config check: validate the configuration and print it; with
 * --host, whether this host's settings end idle access as
 * login.idle_timeout asks (R-LOGIN-1). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "idm_error.h"
#include "idm_i18n.h"
#include "idm_hostcheck.h"

/* The item's state, in the reader's language. */
static const char *state_text(enum idm_host_state s)
{
	return s == IDM_HOST_MEETS    ? _("meets")
	       : s == IDM_HOST_CHANGE ? _("change")
				      : _("not applicable");
}

static int host_check(struct cmd_ctx *ctx, const struct idm_config *cfg, const char *root)
{
	struct idm_host_report h;
	int r;

	if (cfg->login.idle_timeout <= 0) {
		idm_logf(&ctx->log, LOG_ERR,
			 N_("%s: login.idle_timeout is 0: no time-out to check"), cfg->path);
		return IDM_ECONFIG;
	}
	r = idm_host_check(root, cfg->login.idle_timeout, &h);
	if (r == IDM_EINVAL)
		idm_logf(&ctx->log, LOG_ERR, N_("--host-root: \"%s\" is not an absolute path"),
			 root);
	if (r < 0)
		return r;
	printf(_("# host settings below %s against login.idle_timeout = %ld seconds (R-LOGIN-1)\n"),
	       root, cfg->login.idle_timeout);
	for (int i = 0; i < IDM_HOST_ITEMS; i++) {
		const struct idm_host_item *it = &h.items[i];
		printf("%-13s ", it->name);
		output_label(stdout, state_text(it->state), 16);
		printf("%s\n", it->found);
		if (it->state == IDM_HOST_CHANGE)
			printf(_("%-13s   to change: %s\n"), "", it->change);
	}
	printf(_("# %zu to change\n"), h.n_change);
	return h.n_change ? IDM_ESTATE : IDM_OK;
}

int cmd_config_check(struct cmd_ctx *ctx, struct cmd_call *c)
{
	const struct idm_config *cfg = c->cfg;
	const char *root = cmd_opt(c, "host-root");
	int r;

	r = idm_config_check_files(cfg, &ctx->log);
	if (r == IDM_OK && cmd_flag(c, "host"))
		return host_check(ctx, cfg, root ? root : "/");
	/* idmgrd's secret lives on the directory server only: checked where
	 * it is, with the messages idmgrd itself gives when it refuses. */
	if (access(cfg->service.bind_password_file, F_OK) == 0 &&
	    idm_config_check_service_files(cfg, &ctx->log) < 0)
		r = IDM_ECONFIG;
	if (r == IDM_OK) {
		char *version = NULL;
		printf(_("# %s: configuration is valid; effective values follow\n"), cfg->path);
		/* Whether the service answers: a warning only, since hosts that
		 * only log users in never talk to it. */
		const char *where = *cfg->service.url ? cfg->service.url : cfg->service.socket;
		if (client_version(ctx, cfg, &version) == IDM_OK)
			printf(_("# service: idmgrd %s on %s\n"), version, where);
		else
			printf(_("# service: idmgrd does not answer on %s; changes cannot be made "
				 "from here\n"),
			       where);
		free(version);
		idm_config_print(cfg, stdout);
	}
	return r;
}
