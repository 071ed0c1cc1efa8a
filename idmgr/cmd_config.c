/* idmgr config check: validate the configuration and print it. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>

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
	if (r == IDM_OK) {
		printf("# %s: configuration is valid; effective values follow\n", cfg->path);
		idm_config_print(cfg, stdout);
	}
	idm_config_free(cfg);
	return exit_status(r);
}
