/* idmgr passwd: change one's own password through the same core path as
 * the PAM password phase (R-PW-1, R-PW-3, R-PW-4). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "idm_i18n.h"
#include "idm_error.h"
#include "idm_password.h"
#include "idm_secret.h"
#include "prompt.h"

int cmd_passwd(struct cmd_ctx *ctx, struct cmd_call *c)
{
	struct idm_violations v;
	const char *newfile = cmd_opt(c, "new-password-file"), *uid = ctx_operator_uid(ctx);
	char *old = NULL, *new = NULL, *again = NULL;
	int r;

	if (!uid)
		return IDM_EINVAL;
	r = ctx->password_file ? idm_secret_read(ctx->password_file, &ctx->log, &old)
			       : prompt_password(_("Current password: "), &old);
	if (r == IDM_OK && newfile)
		r = idm_secret_read(newfile, &ctx->log, &new);
	else if (r == IDM_OK) {
		r = prompt_password(_("New password: "), &new);
		if (r == IDM_OK)
			r = prompt_password(_("Retype new password: "), &again);
		if (r == IDM_OK && strcmp(new, again) != 0) {
			fprintf(stderr, "%s",
				_("idmgr: the two new passwords differ; nothing changed\n"));
			r = IDM_EINVAL;
		}
	}
	if (r < 0)
		goto out;
	r = idm_password_change(c->cfg, &ctx->log, uid, old, new, strlen(new), &v);
	if (r == IDM_EPOLICY) {
		fprintf(stderr, "%s", _("idmgr: the new password was refused; nothing changed:\n"));
		for (size_t i = 0; i < v.n; i++)
			fprintf(stderr, "  - %s\n", v.v[i].message);
	} else if (r == IDM_EAUTH) {
		fprintf(stderr, _("idmgr: %s: the current password is not right\n"), uid);
	} else if (r == IDM_ESTATE) {
		/* said only after the current password proved right */
		fprintf(stderr,
			_("idmgr: %s: the account is locked after too many failed logins; "
			  "the password was not changed\n"),
			uid);
	} else if (r == IDM_OK) {
		printf(_("password changed for %s\n"), uid);
	}
out:
	idm_secret_free(old);
	idm_secret_free(new);
	idm_secret_free(again);
	return r;
}
