/* idmgr config check: validate the configuration and print it. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "idm_error.h"

int cmd_config_check(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct idm_config *cfg;
	int c, r;

	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (c != 'c') {
			fprintf(stderr, "usage: idmgr config check [-c FILE]\n");
			return EXIT_INVALID;
		}
		ctx->config_path = optarg;
	}
	if (optind != argc) {
		fprintf(stderr, "usage: idmgr config check [-c FILE]\n");
		return EXIT_INVALID;
	}
	cfg = ctx_load_config(ctx);
	if (!cfg)
		return EXIT_INVALID;
	r = idm_config_check_files(cfg, &ctx->log);
	/* idmgrd's secret lives on the directory server only: checked where
	 * it is, with the messages idmgrd itself gives when it refuses. */
	if (access(cfg->service.bind_password_file, F_OK) == 0 &&
	    idm_config_check_service_files(cfg, &ctx->log) < 0)
		r = IDM_ECONFIG;
	if (r == IDM_OK) {
		char *version = NULL;
		printf("# %s: configuration is valid; effective values follow\n", cfg->path);
		/* Whether the service answers: a warning only, since hosts that
		 * only log users in never talk to it. */
		const char *where = *cfg->service.url ? cfg->service.url : cfg->service.socket;
		if (client_version(ctx, cfg, &version) == IDM_OK)
			printf("# service: idmgrd %s on %s\n", version, where);
		else
			printf("# service: idmgrd does not answer on %s; changes cannot be made "
			       "from here\n",
			       where);
		free(version);
		idm_config_print(cfg, stdout);
	}
	idm_config_free(cfg);
	return exit_status(r);
}
