/* idmgr passwd: change one's own password through the same core path as
 * the PAM password phase (R-PW-1, R-PW-3, R-PW-4). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "idm_error.h"
#include "idm_password.h"
#include "idm_secret.h"
#include "prompt.h"

static const char passwd_usage[] =
	"usage: idmgr [-u UID] [--password-file FILE] passwd [--new-password-file FILE]\n";

int cmd_passwd(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "new-password-file", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct idm_config *cfg = NULL;
	struct idm_violations v;
	const char *newfile = NULL, *uid;
	char *old = NULL, *new = NULL, *again = NULL;
	int c, r = IDM_OK, status = EXIT_INVALID;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'n') {
			fputs(passwd_usage, stderr);
			return EXIT_INVALID;
		}
		newfile = optarg;
	}
	if (optind != argc) {
		fputs(passwd_usage, stderr);
		return EXIT_INVALID;
	}
	uid = ctx_operator_uid(ctx);
	if (!uid)
		return EXIT_INVALID;
	cfg = ctx_load_config(ctx);
	if (!cfg)
		return EXIT_INVALID;
	r = ctx->password_file ? idm_secret_read(ctx->password_file, &ctx->log, &old)
			       : prompt_password("Current password: ", &old);
	if (r == IDM_OK && newfile)
		r = idm_secret_read(newfile, &ctx->log, &new);
	else if (r == IDM_OK) {
		r = prompt_password("New password: ", &new);
		if (r == IDM_OK)
			r = prompt_password("Retype new password: ", &again);
		if (r == IDM_OK && strcmp(new, again) != 0) {
			fprintf(stderr, "idmgr: the two new passwords differ; nothing changed\n");
			r = IDM_EINVAL;
		}
	}
	if (r < 0) {
		status = exit_status(r);
		goto out;
	}
	r = idm_password_change(cfg, &ctx->log, uid, old, new, strlen(new), &v);
	if (r == IDM_EPOLICY) {
		fprintf(stderr, "idmgr: the new password was refused; nothing changed:\n");
		for (size_t i = 0; i < v.n; i++)
			fprintf(stderr, "  - %s\n", v.v[i].message);
	} else if (r == IDM_EAUTH) {
		fprintf(stderr, "idmgr: %s: the current password is not right\n", uid);
	} else if (r == IDM_OK) {
		printf("password changed for %s\n", uid);
	}
	status = exit_status(r);
out:
	idm_secret_free(old);
	idm_secret_free(new);
	idm_secret_free(again);
	idm_config_free(cfg);
	return status;
}
