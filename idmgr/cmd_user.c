/* idmgr user unlock|show: direct operator actions (contract §7). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "idm_account.h"
#include "idm_error.h"
#include "idm_operator.h"
#include "idm_time.h"
#include "idm_user.h"

static const char user_usage[] = "usage: idmgr user unlock UID\n"
				 "       idmgr user show UID [--format text|json]\n";

static void when(time_t t, char buf[IDM_GENTIME_LEN])
{
	if (t)
		idm_time_format(t, buf);
	else
		strcpy(buf, "-");
}

static void show(const struct idm_config *cfg, const struct idm_account *a, enum output_format f)
{
	const struct idm_policy *p = idm_account_policy(cfg, a);
	char login[IDM_GENTIME_LEN], logout[IDM_GENTIME_LEN], locked[IDM_GENTIME_LEN],
		changed[IDM_GENTIME_LEN], until[IDM_GENTIME_LEN];

	when(a->last_login, login);
	when(a->last_logout, logout);
	when(a->locked_time, locked);
	when(a->pwd_changed, changed);
	when(a->valid_until, until);
	if (f == OUTPUT_JSON) {
		output_json(stdout,
			    json_pack("{s:s, s:s, s:s, s:b, s:s, s:b, s:I, s:s, s:s, s:s, s:s, s:s, s:I}",
				      "uid", a->uid, "dn", a->dn, "status", a->status ? a->status : "",
				      "privileged", a->privileged, "policy", p ? p->name : "",
				      "must_change", a->must_change, "failures",
				      (json_int_t)a->failure_count, "locked_since", locked,
				      "password_changed", changed, "valid_until", until, "last_login",
				      login, "last_logout", logout, "logins_since_change",
				      (json_int_t)a->login_count));
		return;
	}
	printf("uid           %s\ndn            %s\nstatus        %s\nprivileged    %s\n"
	       "policy        %s\nmust change   %s\nfailures      %ld\nlocked since  %s\n"
	       "pw changed    %s\nvalid until   %s\nlast login    %s from %s\nlast logout   %s\n",
	       a->uid, a->dn, a->status ? a->status : "-", a->privileged ? "yes" : "no",
	       p ? p->name : "(missing)", a->must_change ? "yes" : "no", a->failure_count, locked,
	       changed, until, login, a->last_host ? a->last_host : "-", logout);
}

int cmd_user(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct idm_config *cfg = NULL;
	struct idm_operator *op = NULL;
	struct idm_account *a = NULL;
	int r;

	if (argc == 5 && strcmp(argv[3], "--format") == 0) {
		int f = output_format_parse(argv[4], 0);
		if (f < 0) {
			fputs(user_usage, stderr);
			return EXIT_INVALID;
		}
		ctx->format = (enum output_format)f;
		argc = 3;
	}
	if (argc != 3 || (strcmp(argv[1], "unlock") != 0 && strcmp(argv[1], "show") != 0)) {
		fputs(user_usage, stderr);
		return EXIT_INVALID;
	}
	cfg = ctx_load_config(ctx);
	if (!cfg)
		return EXIT_INVALID;
	r = ctx_operator_login(ctx, cfg, &op);
	if (r == IDM_OK && strcmp(argv[1], "unlock") == 0) {
		r = idm_user_unlock(op, cfg, &ctx->log, argv[2]);
		if (r == IDM_OK)
			printf("%s: unlocked\n", argv[2]);
	} else if (r == IDM_OK) {
		if (!op->roles) {
			idm_logf(&ctx->log, LOG_ERR, "user show is for officers; %s holds no role", op->uid);
			r = IDM_EDENIED;
		} else {
			r = idm_account_lookup(op->d, cfg, argv[2], &a);
			if (r == IDM_OK)
				show(cfg, a, ctx->format);
			else if (r == IDM_ENOENT)
				idm_logf(&ctx->log, LOG_ERR, "no account %s", argv[2]);
		}
	}
	idm_account_free(a);
	idm_operator_free(op);
	idm_config_free(cfg);
	return exit_status(r);
}
