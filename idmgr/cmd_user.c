/* idmgr user ...: direct operator actions on accounts (contract §7). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "idm_account.h"
#include "idm_lockout.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_operator.h"
#include "idm_secret.h"
#include "idm_shared.h"
#include "idm_time.h"
#include "idm_user.h"

static const char user_usage[] =
	"usage: idmgr user show UID [--format text|json]\n"
	"       idmgr user list [--status S] [--privileged] [--unit U] [--format text|json|csv]\n"
	"       idmgr user unlock UID\n"
	"       idmgr user reset-password UID [--format text|json]\n"
	"       idmgr user expire-password UID\n"
	"       idmgr user suspend UID --reason TEXT [--manager UID] [--emergency]\n";

static json_t *account_json(const struct idm_config *cfg, const struct idm_account *a)
{
	const struct idm_policy *p = idm_account_policy(cfg, a);
	char login[IDM_GENTIME_LEN], logout[IDM_GENTIME_LEN], locked[IDM_GENTIME_LEN],
		changed[IDM_GENTIME_LEN], until[IDM_GENTIME_LEN];

	output_time(a->last_login, login);
	output_time(a->last_logout, logout);
	output_time(idm_lockout_locked_since(idm_account_policy(cfg, a), a, time(NULL)), locked);
	output_time(a->pwd_changed, changed);
	output_time(a->valid_until, until);
	return json_pack("{s:s, s:s, s:s, s:b, s:s, s:b, s:I, s:s, s:s, s:s, s:s, s:s?, s:s, s:I}",
			 "uid", a->uid, "dn", a->dn, "status", a->status ? a->status : "",
			 "privileged", a->privileged, "policy", p ? p->name : "", "must_change",
			 a->must_change, "failures", (json_int_t)a->failure_count, "locked_since",
			 locked, "password_changed", changed, "valid_until", until, "last_login",
			 login, "last_login_host", a->last_host, "last_logout", logout,
			 "logins_since_change", (json_int_t)a->login_count);
}

static void show_text(const struct idm_config *cfg, const struct idm_account *a)
{
	const struct idm_policy *p = idm_account_policy(cfg, a);
	char login[IDM_GENTIME_LEN], logout[IDM_GENTIME_LEN], locked[IDM_GENTIME_LEN],
		changed[IDM_GENTIME_LEN], until[IDM_GENTIME_LEN], host[4 * IDM_HOST_MAX + 1];

	output_time(a->last_login, login);
	output_time(a->last_logout, logout);
	output_time(idm_lockout_locked_since(idm_account_policy(cfg, a), a, time(NULL)), locked);
	output_time(a->pwd_changed, changed);
	output_time(a->valid_until, until);
	/* a stored host may hold escape sequences (written around idmgr) */
	idm_printable(a->last_host ? a->last_host : "-", "", host, sizeof(host));
	printf("uid           %s\ndn            %s\nstatus        %s\nprivileged    %s\n"
	       "policy        %s\nmust change   %s\nfailures      %ld\nlocked since  %s\n"
	       "pw changed    %s\nvalid until   %s\nlast login    %s from %s\nlast logout   %s\n",
	       a->uid, a->dn, a->status ? a->status : "-", a->privileged ? "yes" : "no",
	       p ? p->name : "(missing)", a->must_change ? "yes" : "no", a->failure_count, locked,
	       changed, until, login, host, logout);
}

struct list_ctx {
	const struct idm_config *cfg;
	enum output_format format;
	json_t *array;
};

static int list_one(void *ctx, const struct idm_account *a)
{
	struct list_ctx *l = ctx;
	char login[IDM_GENTIME_LEN], locked[IDM_GENTIME_LEN];

	output_time(a->last_login, login);
	output_time(idm_lockout_locked_since(idm_account_policy(l->cfg, a), a, time(NULL)), locked);
	if (l->format == OUTPUT_JSON) {
		json_array_append_new(l->array, account_json(l->cfg, a));
	} else if (l->format == OUTPUT_CSV) {
		output_csv(stdout, a->uid, 0);
		output_csv(stdout, a->status, 0);
		output_csv(stdout, a->privileged ? "yes" : "no", 0);
		output_csv(stdout, login, 0);
		output_csv(stdout, locked, 1);
	} else {
		printf("%-16s %-10s %-4s last login %-16s locked %s\n", a->uid,
		       a->status ? a->status : "-", a->privileged ? "priv" : "", login, locked);
	}
	return IDM_OK;
}

static int user_list(struct idm_operator *op, const struct idm_config *cfg,
		     enum output_format format, const char *status, int privileged, const char *unit)
{
	struct list_ctx l = { cfg, format, json_array() };
	int r = IDM_OK;

	if (format == OUTPUT_CSV)
		printf("uid,status,privileged,last_login,locked_since\n");
	r = idm_user_list(op, cfg, status, unit, privileged, list_one, &l);
	if (r == IDM_OK && format == OUTPUT_JSON)
		output_json(stdout, l.array);
	else
		json_decref(l.array);
	return r;
}

int cmd_user(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "status", required_argument, NULL, 's' },
		{ "unit", required_argument, NULL, 'U' },
		{ "privileged", no_argument, NULL, 'P' },
		{ "reason", required_argument, NULL, 'r' },
		{ "manager", required_argument, NULL, 'm' },
		{ "emergency", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct idm_config *cfg = NULL;
	struct idm_operator *op = NULL;
	struct idm_account *a = NULL;
	json_t *res = NULL;
	const char *sub, *uid = NULL, *status = NULL, *unit = NULL, *reason = NULL, *manager = NULL;
	int c, f, privileged = 0, emergency = 0, r;

	if (argc < 2) {
		fputs(user_usage, stderr);
		return EXIT_INVALID;
	}
	sub = argv[1];
	optind = 0; /* reinitialise getopt: options may follow arguments */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			f = output_format_parse(optarg, strcmp(sub, "list") == 0);
			if (f < 0) {
				fputs(user_usage, stderr);
				return EXIT_INVALID;
			}
			ctx->format = (enum output_format)f;
			break;
		case 's': status = optarg; break;
		case 'U': unit = optarg; break;
		case 'P': privileged = 1; break;
		case 'r': reason = optarg; break;
		case 'm': manager = optarg; break;
		case 'e': emergency = 1; break;
		default: fputs(user_usage, stderr); return EXIT_INVALID;
		}
	}
	optind++; /* past the subcommand, which getopt moved behind the options */
	if (optind < argc)
		uid = argv[optind++];
	if (optind != argc || (strcmp(sub, "list") != 0 && !uid) ||
	    (strcmp(sub, "list") == 0 && uid)) {
		fputs(user_usage, stderr);
		return EXIT_INVALID;
	}
	cfg = ctx_load_config(ctx);
	if (!cfg)
		return EXIT_INVALID;
	if (strcmp(sub, "unlock") == 0) {
		r = client_call(ctx, cfg, "user.unlock", json_pack("{s:s}", "uid", uid), &res);
		if (r == IDM_OK)
			printf("%s: unlocked\n", uid);
		goto out;
	}
	if (strcmp(sub, "reset-password") == 0) {
		const char *pw;
		r = client_call(ctx, cfg, "user.reset-password", json_pack("{s:s}", "uid", uid),
				&res);
		pw = json_string_value(json_object_get(res, "temporary_password"));
		if (r == IDM_OK && !pw)
			r = IDM_EDIR;
		if (r == IDM_OK && ctx->format == OUTPUT_JSON)
			output_json(stdout,
				    json_pack("{s:s, s:s}", "uid", uid, "temporary_password", pw));
		else if (r == IDM_OK)
			printf("temporary password for %s: %s (shown once; it must be changed at the "
			       "next login)\n",
			       uid, pw);
		goto out;
	}
	if (strcmp(sub, "expire-password") == 0) {
		r = client_call(ctx, cfg, "user.expire-password", json_pack("{s:s}", "uid", uid),
				&res);
		if (r == IDM_OK)
			printf("%s: must change the password at the next login\n", uid);
		goto out;
	}
	if (strcmp(sub, "suspend") == 0) {
		r = client_call(ctx, cfg, "user.suspend",
				json_pack("{s:s, s:s?, s:s?, s:b}", "uid", uid, "reason", reason,
					  "manager", manager, "emergency", emergency),
				&res);
		if (r == IDM_OK)
			printf("%s: suspended%s\n", uid,
			       emergency ? " (emergency, reported to the CISO)" : "");
		goto out;
	}
	r = ctx_operator_login(ctx, cfg, &op);
	if (r < 0)
		goto out;
	if (!op->roles) {
		idm_logf(&ctx->log, LOG_ERR, "user %s is for officers; %s holds no role", sub,
			 op->uid);
		r = IDM_EDENIED;
	} else if (strcmp(sub, "show") == 0) {
		struct idm_shared *sh = NULL;
		r = idm_account_lookup(op->d, cfg, uid, &a);
		if (r == IDM_OK)
			r = idm_shared_of(op->d, cfg, uid, &sh);
		if (r == IDM_OK && ctx->format == OUTPUT_JSON) {
			json_t *o = account_json(cfg, a);
			json_object_set_new(o, "shared_with", output_holders_json(sh));
			output_json(stdout, o);
		} else if (r == IDM_OK) {
			show_text(cfg, a);
			printf("shared with   ");
			output_holders(stdout, sh);
			putchar('\n');
		}
		idm_shared_free(sh);
		if (r == IDM_ENOENT)
			idm_logf(&ctx->log, LOG_ERR, "no account %s", uid);
	} else if (strcmp(sub, "list") == 0) {
		r = user_list(op, cfg, ctx->format, status, privileged, unit);
	} else {
		fputs(user_usage, stderr);
		r = IDM_EINVAL;
	}
out:
	json_decref(res);
	idm_account_free(a);
	idm_operator_free(op);
	idm_config_free(cfg);
	return exit_status(r);
}
