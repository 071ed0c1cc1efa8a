/* For the people the policy binds, through the real idmgr against a real
 * slapd: shared IDs and their holders (R-ID-1), the self-inspection report
 * (R-REV-1), notices that arrive (R-PRIV-2, R-VIO-1, R-EXC-2) and the
 * host's idle time-out settings (R-LOGIN-1). */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "idm_error.h"
#include "idm_notice.h"
#include "idm_time.h"
#include "officers.h"

static struct sandbox sb;

static const char register_tmpl[] = "type = \"register\"\nform_ref = \"HR-7\"\n"
				    "applicant = \"watanabe\"\nreason = \"Staff\"\nuid = \"%s\"\n"
				    "given_name = \"Hanako\"\nsurname = \"Yamada\"\n"
				    "unit = \"benefits\"\nemployee_type = \"regular\"\n%s";

static void registered(const char *uid, const char *extra)
{
	char form[1024], *id = NULL, *out;

	snprintf(form, sizeof(form), register_tmpl, uid, extra);
	out = request_through(&sb, form, "tanaka", "suzuki", "takahashi", "takahashi", &id);
	free(out);
	free(id);
}

static void setup(void)
{
	sandbox_start(&sb, true);
	officers_ready(&sb, NULL, NULL);
	registered("hanako", "");
	/* R-ID-1: a counter terminal's ID used by two registered people */
	registered("desk", "shared_with = {'tanaka', 'hanako'}\n");
}

static void teardown(void)
{
	sandbox_stop(&sb);
}

/* R-ID-1: the holders written by a register request are read back by
 * "user show" and "report shared", in text, JSON and CSV. */
START_TEST(shared_id_lists_its_holders)
{
	char *out = NULL, *err = NULL;
	json_t *root, *h;

	ck_assert_msg(idmgr_as(&sb, "sato", &out, &err, "user", "show", "desk", NULL) == 0, "%s",
		      err);
	ck_assert_ptr_nonnull(strstr(out, "shared with   hanako (active), tanaka (active)\n"));
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "user", "show", "hanako", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "shared with   -\n"));
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "user", "show", "desk", "--format",
				  "json", NULL),
			 0);
	root = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(root);
	h = json_object_get(root, "shared_with");
	ck_assert_int_eq(json_array_size(h), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 0), "uid")), "hanako");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 1), "status")),
			 "active");
	json_decref(root);
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &out, &err, "report", "shared", NULL), 0);
	ck_assert_str_eq(out, "desk             holders: hanako (active), tanaka (active)\n");
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &out, &err, "report", "shared", "--format",
				  "csv", NULL),
			 0);
	ck_assert_str_eq(out, "uid,holder,holder_status\n\"desk\",\"hanako\",\"active\"\n"
			      "\"desk\",\"tanaka\",\"active\"\n");
	free(out);
	free(err);
	/* a holder whose account went away is shown as such, not hidden */
	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: uid=desk,ou=people,dc=example,dc=org\n"
						 "changetype: modify\nadd: idmSharedWith\n"
						 "idmSharedWith: gone\nidmSharedWith: x\x1b[2J\n"),
			 0);
	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &out, &err, "report", "shared", "--format",
				  "json", NULL),
			 0);
	root = json_loads(out, 0, NULL);
	h = json_object_get(json_array_get(root, 0), "holders");
	ck_assert_int_eq(json_array_size(h), 4);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 0), "uid")), "gone");
	ck_assert(json_is_null(json_object_get(json_array_get(h, 0), "status")));
	json_decref(root);
	free(out);
	free(err);
	/* a value written around idmgr with an escape sequence is shown escaped */
	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &out, &err, "report", "shared", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "gone (no account), hanako (active), tanaka (active), "
					  "x\\x1b[2J (no account)\n"));
	ck_assert_ptr_null(strchr(out, '\x1b'));
	free(out);
	free(err);
}
END_TEST

static json_t *clause(json_t *report, const char *id)
{
	json_t *c;
	size_t i;

	json_array_foreach (json_object_get(report, "clauses"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "clause")), id) == 0)
			return c;
	ck_abort_msg("no clause %s", id);
	return NULL;
}

static const char *verdict(json_t *report, const char *id)
{
	return json_string_value(json_object_get(clause(report, id), "verdict"));
}

/* The lines of a clause's findings or evidence (key), one a line, for
 * strstr(). */
static char *lines_of(json_t *report, const char *id, const char *key)
{
	json_t *f = json_object_get(clause(report, id), key), *v;
	char *out = calloc(1, 65536);
	size_t i;

	json_array_foreach (f, i, v) {
		strncat(out, json_string_value(v), 65536 - strlen(out) - 2);
		strcat(out, "\n");
	}
	return out;
}

static char *findings(json_t *report, const char *id)
{
	return lines_of(report, id, "findings");
}

static char *evidence_of(json_t *report, const char *id)
{
	return lines_of(report, id, "evidence");
}

static json_t *compliance_json(const char *as_of, int want)
{
	char *out = NULL, *err = NULL;
	json_t *root;
	int rc = idmgr_as(&sb, "watanabe", &out, &err, "report", "compliance", "--as-of", as_of,
			  "--format", "json", NULL);

	ck_assert_msg(rc == want, "exit %d: %s", rc, err);
	root = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(root);
	free(out);
	free(err);
	return root;
}

/* R-REV-1: the self-inspection report in text, JSON and CSV, with its exit
 * status: the fresh directory holds today (no login recorded: R-LOGIN-3 not
 * checked); years later passwords are past their age, temporary ones
 * unchanged and IDs stale; a policy entry without its check module and a
 * gap in the audit trail are findings of R-PW-1 and R-AUD-1. */
START_TEST(compliance_report)
{
	char *out = NULL, *err = NULL, *f, *module, ldif[1024];
	json_t *root;

	ck_assert_msg(idmgr_as(&sb, "watanabe", &out, &err, "report", "compliance", NULL) == 0,
		      "%s", err);
	ck_assert_ptr_nonnull(strstr(out, "idmgr self-inspection report (R-REV-1) as of "));
	ck_assert_ptr_nonnull(
		strstr(out, "summary: 9 clauses: 8 hold, 0 with findings, 1 not checked\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nR-PW-1  passwords long enough and hard to guess: holds\n"
					  "    policy standard: min_length 12,"));
	ck_assert_ptr_nonnull(strstr(out, "ou=policies,dc=example,dc=org: pwdCheckModule /"));
	ck_assert_ptr_nonnull(strstr(out, "    sato (active): grant init (a first officer)\n"));
	ck_assert_ptr_nonnull(strstr(out, "R-LOGIN-3  access records kept: hosts that logged in: "
					  "not checked\n    not checked: no login recorded"));
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &out, &err, "report", "compliance", "--format",
				  "csv", NULL),
			 0);
	ck_assert_ptr_nonnull(
		strstr(out, "clause,verdict,kind,text\n\"R-PW-1\",\"holds\",\"verdict\","));
	free(out);
	free(err);

	root = compliance_json("2030-01-01", 1);
	ck_assert_str_eq(json_string_value(json_object_get(root, "as_of")), "2030-01-01");
	ck_assert_str_eq(verdict(root, "R-PW-1"), "holds");
	ck_assert_str_eq(verdict(root, "R-AUD-1"), "holds");
	ck_assert_str_eq(verdict(root, "R-PW-3"), "findings");
	f = findings(root, "R-PW-3");
	ck_assert_ptr_nonnull(strstr(f, "sato: password changed "));
	ck_assert_ptr_nonnull(strstr(f, "older than policy privileged's max_age_days 90\n"));
	free(f);
	f = findings(root, "R-PW-4");
	ck_assert_ptr_nonnull(strstr(f, "hanako: temporary password issued "));
	free(f);
	f = findings(root, "R-REG-4");
	ck_assert_ptr_nonnull(strstr(f, "desk: never-used: "));
	free(f);
	json_decref(root);

	/* the policy entry loses its check module; the trail gets a gap */
	module = sandbox_admin_read(&sb, "cn=standard,ou=policies,dc=example,dc=org",
				    "pwdCheckModule");
	ck_assert_ptr_nonnull(strchr(module, '/'));
	module[strcspn(module, "\n")] = '\0';
	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: cn=standard,ou=policies,dc=example,dc=org\n"
						 "changetype: modify\ndelete: pwdCheckModule\n"),
			 0);
	ck_assert_int_eq(sandbox_ldapadd(&sb, "dn: idmSeq=999,ou=audit,ou=idmgr,dc=example,dc=org\n"
					      "objectClass: idmAuditRecord\nidmSeq: 999\n"
					      "idmTime: 20261201000000Z\nidmActor: cn=admin\n"
					      "idmAction: forged\nidmOutcome: done\n"
					      "idmPrevHash: 0\nidmHash: 0\n"),
			 0);
	root = compliance_json("2026-12-01", 1);
	f = findings(root, "R-PW-1");
	ck_assert_ptr_nonnull(strstr(f, "policy standard: cn=standard,ou=policies,dc=example,dc=org "
					"names no pwdCheckModule"));
	free(f);
	ck_assert_str_eq(verdict(root, "R-AUD-1"), "findings");
	f = findings(root, "R-AUD-1");
	ck_assert_ptr_nonnull(strstr(f, "999"));
	free(f);
	json_decref(root);
	snprintf(ldif, sizeof(ldif),
		 "dn: cn=standard,ou=policies,dc=example,dc=org\nchangetype: modify\n"
		 "add: pwdCheckModule\npwdCheckModule: %s\n",
		 module);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, ldif), 0);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: idmSeq=999,ou=audit,ou=idmgr,dc=example,dc=org\n"
						 "changetype: delete\n"),
			 0);
	free(module);
	/* R-LOGIN-3: a login recorded on a host in the period */
	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: uid=desk,ou=people,dc=example,dc=org\n"
						 "changetype: modify\nreplace: idmLastLoginTime\n"
						 "idmLastLoginTime: 20261120093000Z\n-\n"
						 "replace: idmLastLoginHost\n"
						 "idmLastLoginHost: ws-17.example.org\n"),
			 0);
	root = compliance_json("2026-12-01", 0);
	ck_assert_int_eq(json_integer_value(json_object_get(root, "clauses_with_findings")), 0);
	ck_assert_str_eq(verdict(root, "R-LOGIN-3"), "holds");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(clause(root, "R-LOGIN-3"),
									  "evidence"),
							  0)),
			 "ws-17.example.org: last login of 1 accounts, newest 2026-11-20");
	json_decref(root);
}
END_TEST

/* A copy of the sandbox's idmgr.conf with text appended; returns its path. */
static char *conf_with(const char *name, const char *text)
{
	char *path = malloc(700), *base = slurp(sb.conf), *all;

	snprintf(path, 700, "%s/%s.conf", sb.dir, name);
	ck_assert_int_gt(asprintf(&all, "%s\n%s", base, text), 0);
	write_file(path, all, 0644);
	free(all);
	free(base);
	return path;
}

static int config_check(const char *conf, char **out, char **err, const char *root)
{
	char *argv[] = { getenv("IDMGR_BIN"),    "-c",          (char *)conf, "config", "check",
			 root ? "--host" : NULL, "--host-root", (char *)root, NULL };

	return run_cmd(argv, NULL, out, err);
}

/* The new keys are validated with a reason naming file, line and key. */
START_TEST(new_keys_validated)
{
	static const struct {
		const char *text, *message;
	} bad[] = {
		{ "notify {\n command = \"sendmail -t\"\n}\n",
		  "must start with the program's absolute path" },
		{ "notify {\n command = \"/usr/sbin/sendmail -t -f'x y'\"\n}\n",
		  "the character ' is not allowed: the command runs without a shell" },
		{ "notify {\n from = \"Officers <x@example.org>\"\n}\n", "is not a mail address" },
		{ "login {\n idle_timeout = 90000\n}\n",
		  "idle_timeout: 90000 is out of range: must be 0 to 86400 seconds" },
	};
	char *out = NULL, *err = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *path = conf_with("bad", bad[i].text);
		ck_assert_int_eq(config_check(path, &out, &err, NULL), 2);
		ck_assert_msg(strstr(err, bad[i].message) && strstr(err, path), "%zu: %s", i, err);
		free(out);
		free(err);
		free(path);
	}
	/* the effective values are printed */
	ck_assert_int_eq(config_check(sb.conf, &out, &err, NULL), 0);
	ck_assert_msg(strstr(out, "  idle_timeout=600\n") != NULL, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "notify {\n  command=\"\"\n"));
	free(out);
	free(err);
	/* without a command, notify delivers nothing and says why */
	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &out, &err, "notify", NULL), 2);
	ck_assert_ptr_nonnull(strstr(err, "notify.command is not set: 0 notices stay pending"));
	free(out);
	free(err);
}
END_TEST

/* Installs a shipped file of conf/idle/ at rel below root. */
static void install(const char *root, const char *shipped, const char *rel)
{
	char src[700], dst[1200], *text, *cmd;

	snprintf(src, sizeof(src), "%s/idle/%s", getenv("IDMGR_DATADIR"), shipped);
	snprintf(dst, sizeof(dst), "%s%s", root, rel);
	ck_assert_int_gt(asprintf(&cmd, "%s", dst), 0);
	*strrchr(cmd, '/') = '\0';
	{
		char *argv[] = { "/bin/mkdir", "-p", cmd, NULL };
		ck_assert_int_eq(run_cmd(argv, NULL, NULL, NULL), 0);
	}
	free(cmd);
	text = slurp(src);
	ck_assert_msg(text != NULL, "%s", src);
	write_file(dst, text, 0644);
	free(text);
}

/* R-LOGIN-1: "config check --host" reads a host's idle settings (a scratch
 * root here) and says what to change; the shipped files meet the default
 * time-out; a weaker setting or a shorter login.idle_timeout is named. */
START_TEST(idle_timeout_host_check)
{
	char root[700], path[1200], *out = NULL, *err = NULL, *conf;

	snprintf(root, sizeof(root), "%s/hostroot", sb.dir);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	ck_assert_int_eq(config_check(sb.conf, &out, &err, root), 1);
	ck_assert_ptr_nonnull(strstr(out, "login.idle_timeout = 600 seconds (R-LOGIN-1)\n"));
	ck_assert_ptr_nonnull(
		strstr(out, "logind        change          StopIdleSessionSec not set"));
	ck_assert_ptr_nonnull(strstr(out, "to change: set StopIdleSessionSec=600 under [Login]"));
	ck_assert_ptr_nonnull(strstr(out, "sshd          not applicable  no /etc/ssh/sshd_config\n"));
	ck_assert_ptr_nonnull(strstr(out, "shell         change          TMOUT not set\n"));
	ck_assert_ptr_nonnull(strstr(out, "gnome         not applicable"));
	ck_assert_ptr_nonnull(strstr(out, "# 2 to change\n"));
	free(out);
	free(err);

	install(root, "logind-idmgr.conf", "/etc/systemd/logind.conf.d/idmgr-idle.conf");
	install(root, "sshd-idmgr.conf", "/etc/ssh/sshd_config.d/idmgr-idle.conf");
	snprintf(path, sizeof(path), "%s/etc/ssh/sshd_config", root);
	/* Debian's: the drop-ins first; a later line does not override them */
	write_file(path,
		   "Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\n"
		   "ClientAliveInterval 0\nMatch User backup\n  ClientAliveInterval 9999\n",
		   0644);
	install(root, "profile-tmout.sh", "/etc/profile.d/idmgr-tmout.sh");
	install(root, "dconf-idmgr-lock", "/etc/dconf/db/local.d/00-idmgr-lock");
	install(root, "dconf-idmgr-lock.locks", "/etc/dconf/db/local.d/locks/idmgr-lock");
	install(root, "xscreensaver-idmgr", "/etc/X11/app-defaults/XScreenSaver");
	ck_assert_msg(config_check(sb.conf, &out, &err, root) == 0, "%s%s", out, err);
	ck_assert_ptr_nonnull(strstr(out, "logind        meets           StopIdleSessionSec=600 "
					  "(/etc/systemd/logind.conf.d/idmgr-idle.conf)\n"));
	ck_assert_ptr_nonnull(
		strstr(out, "sshd          meets           ClientAliveInterval 300, "
			    "ClientAliveCountMax 2 (/etc/ssh/sshd_config.d/idmgr-idle.conf)"));
	ck_assert_ptr_nonnull(strstr(out, "shell         meets           TMOUT=600, read-only"));
	ck_assert_ptr_nonnull(strstr(out, "gnome         meets           idle-delay 600, "
					  "lock-enabled true, locked"));
	ck_assert_ptr_nonnull(
		strstr(out, "xscreensaver  meets           *timeout 600 s, *lock True"));
	ck_assert_ptr_nonnull(strstr(out, "# 0 to change\n"));
	free(out);
	free(err);

	/* logind: the last drop-in wins; systemd's time spans */
	snprintf(path, sizeof(path), "%s/etc/systemd/logind.conf.d/zz-site.conf", root);
	write_file(path, "[Login]\nStopIdleSessionSec = 5min 30s\n", 0644);
	ck_assert_int_eq(config_check(sb.conf, &out, &err, root), 0);
	ck_assert_ptr_nonnull(
		strstr(out, "logind        meets           StopIdleSessionSec=5min 30s"));
	free(out);
	free(err);
	write_file(path, "[Login]\nStopIdleSessionSec=1h\n", 0644);
	ck_assert_int_eq(config_check(sb.conf, &out, &err, root), 1);
	ck_assert_ptr_nonnull(strstr(out, "logind        change          StopIdleSessionSec=1h "
					  "(/etc/systemd/logind.conf.d/zz-site.conf)"));
	free(out);
	free(err);
	unlink(path);

	/* a weaker shell setting, then a policy stricter than the files */
	snprintf(path, sizeof(path), "%s/etc/profile.d/idmgr-tmout.sh", root);
	write_file(path, "export TMOUT=3600\n", 0644);
	ck_assert_int_eq(config_check(sb.conf, &out, &err, root), 1);
	ck_assert_ptr_nonnull(strstr(out, "shell         change          TMOUT=3600, not read-only"));
	ck_assert_ptr_nonnull(strstr(out, "# 1 to change\n"));
	free(out);
	free(err);
	conf = conf_with("strict", "login {\n idle_timeout = 300\n}\n");
	ck_assert_int_eq(config_check(conf, &out, &err, root), 1);
	ck_assert_ptr_nonnull(strstr(out, "to change: set StopIdleSessionSec=300 under [Login]"));
	ck_assert_ptr_nonnull(strstr(out, "to change: put ClientAliveInterval 150 and "
					  "ClientAliveCountMax 2"));
	ck_assert_ptr_nonnull(strstr(out, "# 5 to change\n"));
	free(out);
	free(err);
	free(conf);
	ck_assert_int_eq(config_check(sb.conf, &out, &err, "relative/root"), 2);
	free(out);
	free(err);
}
END_TEST

/* The shipped snippets as the real programs read them: sshd -t accepts
 * the drop-in, and bash refuses to unset the read-only TMOUT. */
START_TEST(idle_snippets_accepted_by_their_programs)
{
	char cfg[700], key[700], text[2048], *out = NULL, *err = NULL;
	bool made_run_sshd = access("/run/sshd", F_OK) != 0;

	snprintf(key, sizeof(key), "%s/ssh_host_key", sb.dir);
	{
		char *argv[] = {
			"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key, NULL
		};
		ck_assert_int_eq(run_cmd(argv, NULL, NULL, NULL), 0);
	}
	snprintf(cfg, sizeof(cfg), "%s/sshd_config", sb.dir);
	snprintf(text, sizeof(text), "Include %s/idle/sshd-idmgr.conf\nHostKey %s\n",
		 getenv("IDMGR_DATADIR"), key);
	write_file(cfg, text, 0600);
	if (made_run_sshd) /* sshd -t wants its privilege separation folder */
		ck_assert_int_eq(mkdir("/run/sshd", 0755), 0);
	{
		char *argv[] = { "/usr/sbin/sshd", "-T", "-f", cfg, NULL };
		int rc = run_cmd(argv, NULL, &out, &err);
		if (made_run_sshd)
			rmdir("/run/sshd");
		ck_assert_msg(rc == 0, "%s", err);
	}
	ck_assert_ptr_nonnull(strstr(out, "clientaliveinterval 300\n"));
	ck_assert_ptr_nonnull(strstr(out, "clientalivecountmax 2\n"));
	free(out);
	free(err);
	snprintf(text, sizeof(text), ". %s/idle/profile-tmout.sh; echo $TMOUT; unset TMOUT",
		 getenv("IDMGR_DATADIR"));
	{
		char *argv[] = { "/bin/bash", "-c", text, NULL };
		ck_assert_int_ne(run_cmd(argv, NULL, &out, &err), 0);
	}
	ck_assert_str_eq(out, "600\n");
	ck_assert_ptr_nonnull(strstr(err, "readonly variable"));
	free(out);
	free(err);
}
END_TEST

/* idmgrd reads idmgr.conf once: after a change to it, the sandbox's
 * service is stopped and started again as idmgr-sandbox starts it (same
 * arguments, so that "idmgr-sandbox stop" finds and stops it). */
static void restart_service(void)
{
	char pidfile[700], sock[700], log[700], *text;
	pid_t pid, child;
	int i;

	snprintf(pidfile, sizeof(pidfile), "%s/idmgrd.pid", sb.dir);
	snprintf(sock, sizeof(sock), "%s/idmgrd.sock", sb.dir);
	snprintf(log, sizeof(log), "%s/idmgrd.log", sb.dir);
	text = slurp(pidfile);
	ck_assert_ptr_nonnull(text);
	pid = (pid_t)strtol(text, NULL, 10);
	free(text);
	ck_assert_int_gt(pid, 1);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	for (i = 0; i < 100 && kill(pid, 0) == 0; i++)
		usleep(100000);
	ck_assert_int_lt(i, 100);
	unlink(pidfile);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		char *argv[] = { getenv("IDMGRD_BIN"), "-f", "-c", sb.conf, "-p", pidfile, NULL };
		int fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0600);
		setsid();
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	for (i = 0; i < 100 && (access(pidfile, F_OK) != 0 || access(sock, F_OK) != 0); i++)
		usleep(100000);
	ck_assert_msg(i < 100, "idmgrd did not come back (%s)", log);
}

/* R-PRIV-2, R-VIO-1, R-EXC-2: notices arrive through the configured
 * program (a stub sendmail that appends what it gets to a file), as
 * RFC 5322 messages with a UTF-8 subject (RFC 2047) to the CISO's and the
 * manager's mail; one that cannot be delivered is listed by "report
 * notices", counted by the compliance report and delivered by the next
 * run ("idmgr notify"). */
START_TEST(notices_arrive)
{
	char path[700], script[2048], conf[1024], *out = NULL, *err = NULL, *mail;
	json_t *root;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/sendmail", sb.dir);
	snprintf(script, sizeof(script),
		 "#!/bin/sh\n"
		 "if [ -e %s/mail.fail ]; then echo '451 mail server down' >&2; exit 75; fi\n"
		 "{ echo \"argv: $*\"; cat; echo '=== end'; } >>%s/mail.out\n",
		 sb.dir, sb.dir);
	write_file(path, script, 0755);
	snprintf(conf, sizeof(conf),
		 "notify {\n  command = \"%s -t -i\"\n  from = \"idmgr@example.org\"\n}\n", path);
	fp = fopen(sb.conf, "a");
	ck_assert_ptr_nonnull(fp);
	fputs(conf, fp);
	fclose(fp);
	restart_service();
	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: uid=sato,ou=people,dc=example,dc=org\n"
						 "changetype: modify\nreplace: mail\n"
						 "mail: sato@example.org\n\n"
						 "dn: uid=watanabe,ou=people,dc=example,dc=org\n"
						 "changetype: modify\nreplace: mail\n"
						 "mail: watanabe@example.org\n"),
			 0);

	/* R-VIO-1: the CISO and the manager; the reason in Japanese */
	ck_assert_msg(idmgr_as(&sb, "suzuki", &out, &err, "user", "suspend", "hanako", "--reason",
			       "\xe6\xbc\x8f\xe3\x81\x88\xe3\x81\x84\xe3\x81\xae\xe7\x96\x91\xe3\x81\x84",
			       "--manager", "watanabe", NULL) == 0,
		      "%s", err);
	free(out);
	free(err);
	snprintf(path, sizeof(path), "%s/mail.out", sb.dir);
	mail = slurp(path);
	ck_assert_ptr_nonnull(mail);
	ck_assert_ptr_nonnull(
		strstr(mail,
		       "argv: -t -i\nFrom: idmgr@example.org\n"
		       "To: sato@example.org,\n watanabe@example.org\n"
		       "Subject: =?UTF-8?B?W2lkbWdyXSBzdXNwZW5kOiBoYW5ha28g4oCUIFItVklPLTE=?=\n"));
	ck_assert_ptr_nonnull(strstr(mail, "\nMIME-Version: 1.0\nContent-Type: text/plain; "
					   "charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"));
	ck_assert_ptr_nonnull(strstr(mail, "hanako suspended by suzuki: "
					   "\xe6\xbc\x8f\xe3\x81\x88\xe3\x81\x84\xe3\x81\xae"));
	free(mail);
	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &out, &err, "report", "notices", NULL), 0);
	ck_assert_str_eq(out, "");
	free(out);
	free(err);

	/* R-EXC-2: the mail server is down; the action stands, the notice waits */
	snprintf(path, sizeof(path), "%s/mail.fail", sb.dir);
	write_file(path, "", 0600);
	ck_assert_msg(idmgr_as(&sb, "takahashi", &out, &err, "exception", "add", "--subject",
			       "desk", "--rule", "inactive", "--reason", "Counter closed",
			       "--until", "2027-01-01", "--emergency", NULL) == 0,
		      "%s", err);
	ck_assert_ptr_nonnull(strstr(err, "not delivered: "));
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &out, &err, "report", "notices", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, " exception-emergency desk "));
	ck_assert_ptr_nonnull(strstr(out, "PENDING (attempts 1; last error: "));
	ck_assert_ptr_nonnull(strstr(out, "exited with status 75: 451 mail server down"));
	free(out);
	free(err);
	root = compliance_json("2026-12-01", 1);
	ck_assert_str_eq(verdict(root, "R-PRIV-2, R-VIO-1, R-EXC-2"), "findings");
	json_decref(root);

	/* the next run delivers it */
	unlink(path);
	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &out, &err, "notify", NULL), 0);
	ck_assert_str_eq(out, "1 notices delivered, 0 pending\n");
	free(out);
	free(err);
	snprintf(path, sizeof(path), "%s/mail.out", sb.dir);
	mail = slurp(path);
	ck_assert_ptr_nonnull(
		strstr(mail,
		       "To: sato@example.org\nSubject: "
		       "=?UTF-8?B?W2lkbWdyXSBleGNlcHRpb24tZW1lcmdlbmN5OiBkZXNrIOKAlCBSLUVYQy0y?=\n"));
	free(mail);
	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &out, &err, "report", "notices", "--all",
				  "--format", "json", NULL),
			 0);
	root = json_loads(out, 0, NULL);
	ck_assert_int_eq(json_array_size(root), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *n = json_array_get(root, i);
		bool emergency = strcmp(json_string_value(json_object_get(n, "action")),
					"exception-emergency") == 0;
		ck_assert_int_eq(json_integer_value(json_object_get(n, "attempts")),
				 emergency ? 2 : 1);
		ck_assert(json_is_string(json_object_get(n, "delivered")));
	}
	json_decref(root);
	free(out);
	free(err);
}
END_TEST

/* Decodes the RFC 2047 "B" words of a folded Subject value. */
static char *decode_words(const char *v)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = calloc(1, 1024);
	size_t n = 0;

	while ((v = strstr(v, "=?UTF-8?B?"))) {
		const char *end = strstr(v + 10, "?=");
		unsigned acc = 0, bits = 0;
		ck_assert_ptr_nonnull(end);
		/* RFC 2047 section 2: an encoded word is at most 75 characters */
		ck_assert_int_le(end + 2 - v, 75);
		for (const char *p = v + 10; p < end && *p != '='; p++) {
			acc = acc << 6 | (unsigned)(strchr(b64, *p) - b64);
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				out[n++] = (char)(acc >> bits & 0xff);
			}
		}
		/* never a character cut between two words */
		ck_assert((out[n - 1] & 0x80) == 0 || (out[n - 1] & 0xc0) == 0x80);
		v = end + 2;
	}
	return out;
}

/* The message as sendmail gets it: a subject longer than one encoded word
 * is split between characters, never inside one; the body keeps UTF-8,
 * drops control characters and cuts lines below RFC 5322's 998 octets. */
START_TEST(notice_message_encoding)
{
	struct idm_config cfg = { 0 };
	struct idm_notice n = { 0 };
	const char *to[] = { "sato@example.org", "watanabe@example.org" };
	char detail[3000], *msg = NULL, *subject, *body, *line;

	cfg.notify.from = "idmgr@example.org";
	n.id = "N20261201-0a1b2c3d";
	n.action = "exception-emergency";
	n.subject = "a.long.uid.name-of.thirty1";
	n.actor = "uid=takahashi,ou=people,dc=example,dc=org";
	n.time = 1796083200;
	memset(detail, 'x', sizeof(detail));
	memcpy(detail, "\xe6\xbc\x8f\xe3\x81\x88\xe3\x81\x84\x1b[2J\r\nnext", 19);
	detail[sizeof(detail) - 1] = '\0';
	n.detail = detail;
	ck_assert_int_eq(idm_notice_message(&cfg, &n, to, 2, 1796083200, &msg), IDM_OK);
	ck_assert_ptr_nonnull(strstr(msg, "From: idmgr@example.org\nTo: sato@example.org,\n "
					  "watanabe@example.org\nSubject: =?UTF-8?B?"));
	ck_assert_ptr_nonnull(strstr(msg, "\nDate: Tue, 01 Dec 2026 00:00:00 +0000\n"
					  "Message-ID: <N20261201-0a1b2c3d@idmgr>\n"));
	subject = decode_words(strstr(msg, "Subject: "));
	ck_assert_str_eq(subject,
			 "[idmgr] exception-emergency: a.long.uid.name-of.thirty1 \xe2\x80\x94 R-EXC-2");
	free(subject);
	body = strstr(msg, "\n\n") + 2;
	ck_assert_ptr_null(strchr(body, '\x1b'));
	ck_assert_ptr_null(strchr(body, '\r'));
	ck_assert(strncmp(body, "\xe6\xbc\x8f\xe3\x81\x88\xe3\x81\x84[2J\nnext", 16) == 0);
	for (line = body; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0))
		ck_assert_int_lt(strcspn(line, "\n"), 998);
	ck_assert_ptr_nonnull(strstr(body, "\n-- \nNotice N20261201-0a1b2c3d, recorded "
					   "20261201000000Z by uid=takahashi,"));
	free(msg);
}
END_TEST

/* R-LOGIN-1: on the host itself ("/") the running settings are asked of
 * the programs: sshd's effective ones (sshd -T, whose privilege-separation
 * folder is made for it when missing and removed after), logind's from the
 * running daemon when systemd runs (else its files, as here). */
START_TEST(host_check_asks_sshd)
{
	char *out = NULL, *err = NULL, *expect = NULL, *cmd_out = NULL;
	char *sshd_t[] = { "/usr/sbin/sshd", "-T", NULL };
	bool made = mkdir("/run/sshd", 0755) == 0;
	int rc = config_check(sb.conf, &out, &err, "/"), trc = run_cmd(sshd_t, NULL, &cmd_out, NULL);
	long interval = -1, count = -1;
	const char *p;

	if (made)
		rmdir("/run/sshd");
	ck_assert_msg(rc == 0 || rc == 1, "exit %d: %s", rc, err);
	ck_assert_int_eq(trc, 0);
	p = strstr(cmd_out, "\nclientaliveinterval ");
	ck_assert_ptr_nonnull(p);
	interval = strtol(p + 21, NULL, 10);
	p = strstr(cmd_out, "\nclientalivecountmax ");
	ck_assert_ptr_nonnull(p);
	count = strtol(p + 21, NULL, 10);
	ck_assert_int_ge(asprintf(&expect,
				  "ClientAliveInterval %ld, ClientAliveCountMax %ld (sshd -T)\n",
				  interval, count),
			 0);
	ck_assert_msg(strstr(out, expect), "\"%s\" not in:\n%s", expect, out);
	if (access("/run/systemd/system", F_OK) != 0)
		ck_assert_ptr_null(strstr(out, "(running systemd-logind)"));
	free(expect);
	free(cmd_out);
	free(out);
	free(err);
}
END_TEST

/* The report as JSON, run by uid; its exit status in *rc. */
static json_t *compliance_by(const char *uid, int *rc)
{
	char *out = NULL, *err = NULL;
	json_t *root;

	*rc = idmgr_as(&sb, uid, &out, &err, "report", "compliance", "--format", "json", NULL);
	root = json_loads(out, 0, NULL);
	ck_assert_msg(root != NULL, "exit %d: %s", *rc, err);
	free(out);
	free(err);
	return root;
}

static int count_of(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* R-AUD-1, R-REV-1, threat model item 4: for the CISO (and the
 * security_chief) the report carries idmgrd's reconcile of slapd's log of
 * writes; a write the directory administrator makes around idmgr is a
 * finding of R-AUD-1 naming the entry and attribute (exit 1); the report
 * of an officer who may not reconcile says so. */
START_TEST(compliance_report_reconciles)
{
	json_t *before, *after, *other;
	char *f0, *f1, *ev;
	int rc;

	sleep(1); /* after the trail's first record (idm_compliance_reconcile_since()) */
	before = compliance_by("sato", &rc);
	f0 = findings(before, "R-AUD-1");
	ev = evidence_of(before, "R-AUD-1");
	ck_assert_msg(strstr(ev, "reconcile (idmgrd): "), "%s", ev);
	free(ev);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: cn=staff,ou=groups,dc=example,dc=org\n"
						 "changetype: modify\nreplace: description\n"
						 "description: changed around idmgr\n"),
			 0);
	after = compliance_by("sato", &rc);
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(verdict(after, "R-AUD-1"), "findings");
	f1 = findings(after, "R-AUD-1");
	ck_assert_int_eq(count_of(f1, "cn=staff,ou=groups,dc=example,dc=org by "
				      "cn=admin,dc=example,dc=org (description)"),
			 count_of(f0, "cn=staff,ou=groups,dc=example,dc=org by "
				      "cn=admin,dc=example,dc=org (description)") +
				 1);
	ck_assert_ptr_nonnull(strstr(f1, "write explained by no audited action: "));
	other = compliance_by("watanabe", &rc);
	ev = evidence_of(other, "R-AUD-1");
	ck_assert_msg(strstr(ev, "writes that bypass the service: not reconciled (audit reconcile "
				 "is for the ciso and the security_chief)"),
		      "%s", ev);
	free(ev);
	free(f0);
	free(f1);
	json_decref(before);
	json_decref(after);
	json_decref(other);
}
END_TEST

/* One modify of uid's lock mark as the directory administrator: a lock
 * set at when, or (when 0) none. */
static void set_lock(const char *uid, time_t when)
{
	char ldif[512], t[IDM_GENTIME_LEN];

	idm_time_format(when, t);
	if (when)
		snprintf(ldif, sizeof(ldif),
			 "dn: uid=%s,ou=people,dc=example,dc=org\nchangetype: modify\n"
			 "replace: idmLockedTime\nidmLockedTime: %s\n",
			 uid, t);
	else
		snprintf(ldif, sizeof(ldif),
			 "dn: uid=%s,ou=people,dc=example,dc=org\nchangetype: modify\n"
			 "delete: idmLockedTime\n",
			 uid);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, ldif), 0);
}

static json_t *show_json(const char *uid)
{
	char *out = NULL, *err = NULL;
	json_t *o;

	ck_assert_msg(idmgr_as(&sb, "sato", &out, &err, "user", "show", uid, "--format", "json",
			       NULL) == 0,
		      "%s", err);
	o = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(o);
	free(out);
	free(err);
	return o;
}

static const char *str_of(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	ck_assert_msg(v != NULL, "no string %s", key);
	return v;
}

/* R-ID-1, R-PW-3, contract §6: user show says the unit and employee type,
 * when the lock in force ends (the server's lock mark plus the policy's
 * lockout_duration; "until an officer unlocks" where it is 0), and the
 * password's age and the date max_age_days ends it, in text and JSON; the
 * existing keys stay. */
START_TEST(user_show_says_unit_type_lock_end_and_expiry)
{
	char *out = NULL, *err = NULL, want[IDM_GENTIME_LEN], line[128];
	time_t lock = time(NULL) - 60, changed, expires;
	json_t *o;

	set_lock("hanako", lock);
	o = show_json("hanako");
	ck_assert_str_eq(str_of(o, "unit"), "benefits");
	ck_assert_str_eq(str_of(o, "employee_type"), "regular");
	ck_assert_str_eq(str_of(o, "policy"), "standard");
	idm_time_format(lock + 900, want); /* standard: lockout_duration = 900 */
	ck_assert_str_eq(str_of(o, "locked_until"), want);
	ck_assert(json_is_false(json_object_get(o, "locked_until_unlock")));
	idm_time_format(lock, want);
	ck_assert_str_eq(str_of(o, "locked_since"), want); /* kept */
	ck_assert_int_eq(idm_time_parse(str_of(o, "password_changed"), &changed), IDM_OK);
	ck_assert_int_eq(idm_time_parse(str_of(o, "password_expires"), &expires), IDM_OK);
	ck_assert_int_eq(expires - changed, 180 * 86400); /* standard: max_age_days = 180 */
	ck_assert_int_eq(json_integer_value(json_object_get(o, "password_age_days")),
			 (time(NULL) - changed) / 86400);
	json_decref(o);

	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "user", "show", "hanako", NULL), 0);
	ck_assert_msg(strstr(out, "\nstatus        active\nunit          benefits\n"
				  "employee type regular\nprivileged    no\n"),
		      "%s", out);
	idm_time_format(lock + 900, want);
	snprintf(line, sizeof(line), "\nlocked until  %s\n", want);
	ck_assert_msg(strstr(out, line), "\"%s\" not in:\n%s", line, out);
	snprintf(line, sizeof(line), "\npw age        %ld days\n",
		 (long)((time(NULL) - changed) / 86400));
	ck_assert_msg(strstr(out, line), "\"%s\" not in:\n%s", line, out);
	idm_time_format(expires, want);
	snprintf(line, sizeof(line), "\npw expires    %s\n", want);
	ck_assert_msg(strstr(out, line), "\"%s\" not in:\n%s", line, out);
	free(out);
	free(err);

	/* a lock that ran out ends nothing */
	set_lock("hanako", time(NULL) - 901);
	o = show_json("hanako");
	ck_assert_str_eq(str_of(o, "locked_until"), "-");
	json_decref(o);
	set_lock("hanako", 0);

	/* the privileged policy: lockout_duration = 0, locked until unlocked */
	o = show_json("ito");
	ck_assert_str_eq(str_of(o, "policy"), "privileged");
	ck_assert_str_eq(str_of(o, "locked_until"), "-");
	json_decref(o);
	set_lock("ito", time(NULL) - 3600);
	o = show_json("ito");
	ck_assert(json_is_true(json_object_get(o, "locked_until_unlock")));
	json_decref(o);
	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "user", "show", "ito", NULL), 0);
	ck_assert_msg(strstr(out, "\nlocked until  until an officer unlocks\n"), "%s", out);
	free(out);
	free(err);
	set_lock("ito", 0);
}
END_TEST

/* The one --format parser (idmgr/dispatch.c) takes --format F and
 * --format=F anywhere in the command line: after the report's name, before
 * it, and before the command; each prints what "report privileged
 * --format csv" prints (R-REV-1, R-PRIV-1). */
START_TEST(format_anywhere_in_the_command_line)
{
	static const char *const placed[][5] = {
		{ "report", "privileged", "--format=csv", NULL },
		{ "report", "--format", "csv", "privileged", NULL },
		{ "report", "--format=csv", "privileged", NULL },
		{ "--format", "csv", "report", "privileged", NULL },
		{ "--format=csv", "report", "privileged", NULL },
	};
	char *want = NULL, *out = NULL, *err = NULL;

	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &want, &err, "report", "privileged", "--format",
				  "csv", NULL),
			 0);
	ck_assert_msg(strncmp(want, "uid,", 4) == 0, "not CSV: %s", want);
	free(err);
	for (size_t i = 0; i < sizeof(placed) / sizeof(placed[0]); i++) {
		int rc = idmgr_as(&sb, "watanabe", &out, &err, placed[i][0], placed[i][1],
				  placed[i][2], placed[i][3], NULL);
		ck_assert_msg(rc == 0, "%zu: exit %d: %s", i, rc, err);
		ck_assert_str_eq(out, want);
		free(out);
		free(err);
	}
	/* a report with options of its own, --format before its name */
	int rc = idmgr_as(&sb, "watanabe", &out, &err, "report", "--format=json", "compliance",
			  "--as-of", "2026-06-01", NULL);
	ck_assert_msg((rc == 0 || rc == 1) && out[0] == '{', "exit %d, not JSON: %s%s", rc, out,
		      err);
	free(out);
	free(err);
	free(want);
}
END_TEST

static Suite *people_suite(void)
{
	Suite *s = suite_create("people");
	TCase *tc = tcase_create("directory");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, shared_id_lists_its_holders);
	tcase_add_test(tc, compliance_report);
	tcase_add_test(tc, format_anywhere_in_the_command_line);
	tcase_add_test(tc, user_show_says_unit_type_lock_end_and_expiry);
	tcase_add_test(tc, new_keys_validated);
	tcase_add_test(tc, idle_timeout_host_check);
	tcase_add_test(tc, idle_snippets_accepted_by_their_programs);
	tcase_add_test(tc, notices_arrive);
	tcase_add_test(tc, compliance_report_reconciles);
	tcase_add_test(tc, host_check_asks_sshd);
	suite_add_tcase(s, tc);
	tc = tcase_create("message");
	tcase_add_test(tc, notice_message_encoding);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(people_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
