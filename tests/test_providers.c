/* Two multi-provider slapds, one idmgrd per server (idmgrd(8), "Several
 * instances"; docs/design.md "Several directory servers"; R-SOD-2, R-REG-1,
 * R-AUD-1): the sandbox's --providers 2 mode, real syncprov/syncrepl
 * replication both ways.  Exactly one instance holds the writer's lease,
 * on the configured writer's server; the standby refuses and the command
 * passes on to the writer; concurrent applies and approvals through the
 * two instances; the writer killed, the writer paused, the writer's
 * server stopped; reconcile judging each write on the server it was made
 * on (threat model item 4); the audit trail intact on both servers after
 * all. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "idm_dir.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_login.h"
#include "idm_time.h"
#include "officers.h"

#define SUFFIX "dc=example,dc=org"
#define PEOPLE "ou=people," SUFFIX
#define IDMGR "ou=idmgr," SUFFIX
#define LEASE_DN "cn=writer," IDMGR
#define LEASE 6 /* writer_lease in the sandbox's two-provider configuration */

static struct sandbox sb;
static char uri2[128], conf2[600], only1[700], only2[700];
static struct idm_config *cfg1, *cfg2; /* one server each, no failover */

static const char register_form[] = "type = \"register\"\n"
				    "form_ref = \"HR-2026-9\"\n"
				    "applicant = \"watanabe\"\n"
				    "reason = \"New hire\"\n"
				    "uid = \"%s\"\n"
				    "given_name = \"Jiro\"\n"
				    "surname = \"Suzuki\"\n"
				    "mail = \"%s@example.org\"\n"
				    "unit = \"benefits\"\n"
				    "employee_type = \"regular\"\n";

static void variant(const char *name, const char *socket, const char *failover, const char *uri,
		    char *buf, size_t size);

static void setup(void)
{
	sandbox_start_providers(&sb, true, 2);
	officers_ready(&sb, NULL, NULL);
	sandbox_env(&sb, "LDAP_URI2", uri2, sizeof(uri2));
	sandbox_env(&sb, "IDMGR_CONF2", conf2, sizeof(conf2));
	variant("only1.conf", NULL, NULL, sb.uri, only1, sizeof(only1));
	variant("only2.conf", NULL, NULL, uri2, only2, sizeof(only2));
	if (idm_config_load(only1, NULL, &cfg1) < 0 || idm_config_load(only2, NULL, &cfg2) < 0) {
		fprintf(stderr, "test_providers: cannot load %s or %s\n", only1, only2);
		sandbox_stop(&sb); /* no teardown after a failed setup */
		abort();
	}
}

static void teardown(void)
{
	idm_config_free(cfg1);
	idm_config_free(cfg2);
	sandbox_stop(&sb);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* idmgr as uid with the configuration conf. */
static int idmgr_with(const char *conf, const char *uid, char **out, char **err, const char *a1,
		      const char *a2, const char *a3)
{
	struct sandbox s = sb;
	char *o = NULL, *e = NULL;
	int st;

	snprintf(s.conf, sizeof(s.conf), "%s", conf);
	st = idmgr_as(&s, uid, &o, &e, a1, a2, a3, NULL);
	if (out)
		*out = o;
	else
		free(o);
	if (err)
		*err = e;
	else
		free(e);
	return st;
}

/* A copy of the sandbox's configuration with the service's socket and
 * failover lines replaced (socket NULL: kept), or (uri not NULL) reading
 * that one server, without writer_uri (a command reads where it is told). */
static void variant(const char *name, const char *socket, const char *failover, const char *uri,
		    char *buf, size_t size)
{
	char *text = slurp(sb.conf), *line, *save = NULL;
	FILE *f;

	ck_assert_ptr_nonnull(text);
	snprintf(buf, size, "%s/%s", sb.dir, name);
	f = fopen(buf, "we");
	ck_assert_ptr_nonnull(f);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *p = line + strspn(line, " \t");
		if (socket && strncmp(p, "socket =", 8) == 0)
			fprintf(f, "  socket = \"%s/%s\"\n", sb.dir, socket);
		else if (uri && strncmp(p, "uri =", 5) == 0)
			fprintf(f, "  uri = \"%s\"\n", uri);
		else if (uri && strncmp(p, "writer_uri =", 12) == 0)
			continue;
		else if (socket && strncmp(p, "failover =", 10) == 0)
			fprintf(f, "  failover = \"%s%s%s\"\n", *failover ? sb.dir : "",
				*failover ? "/" : "", failover);
		else
			fprintf(f, "%s\n", line);
	}
	fclose(f);
	chmod(buf, 0600);
	free(text);
}

/* The values of attr of dn on one server, as the directory administrator
 * reads them ("a|b|"). */
static char *state_on(const struct idm_config *cfg, const char *dn, const char *attr)
{
	const char *attrs[] = { attr, NULL };
	struct idm_dir *d = NULL;
	LDAPMessage *res = NULL, *e;
	struct berval **v;
	char buf[8192] = "";

	ck_assert_int_eq(idm_dir_open(cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	if (idm_dir_search(d, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, &res) == IDM_OK &&
	    (e = ldap_first_entry(idm_dir_ldap(d), res))) {
		v = ldap_get_values_len(idm_dir_ldap(d), e, attr);
		for (int i = 0; v && v[i]; i++) {
			strncat(buf, v[i]->bv_val, sizeof(buf) - strlen(buf) - 2);
			strcat(buf, "|");
		}
		ldap_value_free_len(v);
	} else {
		strcpy(buf, "(none)");
	}
	ldap_msgfree(res);
	idm_dir_close(d);
	return strdup(buf);
}

/* Waits (up to 15 s) until dn's attr is the same on both servers; that
 * value. */
static char *converged(const char *dn, const char *attr)
{
	for (int i = 0; i < 150; i++) {
		char *a = state_on(cfg1, dn, attr), *b = state_on(cfg2, dn, attr);
		if (strcmp(a, b) == 0) {
			free(b);
			return a;
		}
		free(a);
		free(b);
		usleep(100000);
	}
	ck_abort_msg("%s %s: the two servers do not converge", dn, attr);
	return NULL;
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lease's value names this pid (as "HOST PID ..."). */
static bool lease_names(const char *value, pid_t pid)
{
	char want[32];

	snprintf(want, sizeof(want), " %d ", (int)pid);
	return strstr(value, want) != NULL;
}

/* Seconds from t0 until the idmgrd that conf reaches first answers config
 * check as the writer ("ready"); -1 when not within limit seconds. */
static double until_writer(const char *conf, double t0, double limit)
{
	while (now() - t0 < limit) {
		char *o = NULL;
		int st = idmgr_with(conf, NULL, &o, NULL, "config", "check", NULL);
		bool ready = st == 0 && strstr(o, "(ready)");
		free(o);
		if (ready)
			return now() - t0;
		usleep(100000);
	}
	return -1;
}

static char *submit_approved(const char *uid)
{
	char text[1024], name[64], *path, *id = NULL, *err = NULL;

	snprintf(text, sizeof(text), register_form, uid, uid);
	snprintf(name, sizeof(name), "%s.form", uid);
	path = form_file(&sb, name, text);
	ck_assert_msg(idmgr_with(sb.conf, "tanaka", &id, &err, "request", "submit", path) == 0,
		      "submit: %s", err);
	id[strcspn(id, "\n")] = '\0';
	free(err);
	free(path);
	ck_assert_int_eq(idmgr_with(sb.conf, "suzuki", NULL, NULL, "request", "approve", id), 0);
	ck_assert_int_eq(idmgr_with(conf2, "takahashi", NULL, NULL, "request", "approve", id), 0);
	return id;
}

/* Exactly one instance holds the writer's lease, and it lives on the
 * writer's server (replicated to the other): the first instance's; the
 * second answers config check as a standby. */
START_TEST(one_instance_holds_the_lease)
{
	char *v1, *v2, *out = NULL;

	v1 = converged(LEASE_DN, "description");
	ck_assert_msg(lease_names(v1, idmgrd_instance_pid(&sb, "")), "lease \"%s\"", v1);
	ck_assert_msg(!lease_names(v1, idmgrd_instance_pid(&sb, "2")), "lease \"%s\"", v1);
	v2 = state_on(cfg2, LEASE_DN, "description");
	ck_assert_str_eq(v1, v2);
	ck_assert_int_eq(idmgr_with(sb.conf, NULL, &out, NULL, "config", "check", NULL), 0);
	ck_assert_msg(strstr(out, "(ready)"), "%s", out);
	free(out);
	ck_assert_int_eq(idmgr_with(conf2, NULL, &out, NULL, "config", "check", NULL), 0);
	ck_assert_msg(strstr(out, "(standby)"), "%s", out);
	free(out);
	free(v1);
	free(v2);
}
END_TEST

/* The standby refuses a change (503, exit 3, naming the lease); the same
 * command with the writer in service.failover gets it done there. */
START_TEST(standby_refuses_client_passes_on)
{
	char alone[700], *out = NULL, *err = NULL;

	variant("standby-alone.conf", "idmgrd2.sock", "", NULL, alone, sizeof(alone));
	ck_assert_int_eq(idmgr_with(alone, "takahashi", &out, &err, "user", "unlock", "watanabe"),
			 3);
	ck_assert_msg(strstr(err, "is not the writer (standby"), "%s", err);
	free(out);
	free(err);
	/* the notices' delivery and the sweep's disables: the same rule */
	ck_assert_int_eq(idmgr_with(alone, "takahashi", &out, &err, "notify", NULL, NULL), 3);
	ck_assert_msg(strstr(err, "is not the writer (standby"), "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_with(alone, "takahashi", &out, &err, "sweep", "--apply", NULL), 3);
	ck_assert_msg(strstr(err, "is not the writer (standby"), "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_with(conf2, "takahashi", &out, &err, "sweep", "--apply", NULL), 0);
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_with(conf2, "takahashi", &out, &err, "user", "unlock", "watanabe"),
			 0);
	ck_assert_msg(strstr(out, "watanabe: unlocked"), "%s%s", out, err);
	free(out);
	free(err);
}
END_TEST

/* Two applies of one request at once, one through each instance: one
 * winner, whose temporary password works on both servers once replicated;
 * the other prints none. */
START_TEST(concurrent_applies_through_both_instances)
{
	char *id = submit_approved("saburo"), *pw;
	const char *const confs[2] = { sb.conf, conf2 };
	struct idm_dir *d = NULL;

	pw = idmgr_racing_applies(&sb, confs, id, "saburo");
	ck_assert_int_eq(idm_dir_open(cfg1, NULL, "uid=saburo," PEOPLE, pw, &d), IDM_OK);
	idm_dir_close(d);
	free(converged("uid=saburo," PEOPLE, "userPassword"));
	ck_assert_int_eq(idm_dir_open(cfg2, NULL, "uid=saburo," PEOPLE, pw, &d), IDM_OK);
	idm_dir_close(d);
	free(pw);
	free(id);
}
END_TEST

/* Two approvals at once, one through each instance: both kept, on both
 * servers (R-SOD-2). */
START_TEST(concurrent_approvals_through_both_instances)
{
	char text[1024], *path, *id = NULL, *err = NULL, *dn = NULL, *ap;
	int st1, st2, null = open("/dev/null", O_WRONLY);
	pid_t p1, p2;

	snprintf(text, sizeof(text), register_form, "shiro", "shiro");
	path = form_file(&sb, "shiro.form", text);
	ck_assert_int_eq(idmgr_with(sb.conf, "tanaka", &id, &err, "request", "submit", path), 0);
	id[strcspn(id, "\n")] = '\0';
	free(err);
	p1 = idmgr_spawn(&sb, sb.conf, "suzuki", "request", "approve", id, null);
	p2 = idmgr_spawn(&sb, conf2, "takahashi", "request", "approve", id, null);
	ck_assert_int_eq(waitpid(p1, &st1, 0), p1);
	ck_assert_int_eq(waitpid(p2, &st2, 0), p2);
	close(null);
	ck_assert(WIFEXITED(st1) && WEXITSTATUS(st1) == 0);
	ck_assert(WIFEXITED(st2) && WEXITSTATUS(st2) == 0);
	ck_assert_int_eq(idm_dn_child(&dn, "idmRequestId", id, "ou=requests," IDMGR), IDM_OK);
	ap = converged(dn, "idmApproval");
	ck_assert_msg(strstr(ap, "security_chief") && strstr(ap, "system_admin"), "%s", ap);
	free(ap);
	ap = converged(dn, "idmRequestState");
	ck_assert_str_eq(ap, "approved|");
	free(ap);
	free(dn);
	free(id);
	free(path);
}
END_TEST

/* The entries under base on one server, as the directory administrator
 * reads them: their DNs, sorted, one per line. */
static char *dns_on(const struct idm_config *cfg, const char *base)
{
	static const char *const attrs[] = { "1.1", NULL };
	struct idm_dir *d = NULL;
	LDAPMessage *res = NULL, *e;
	size_t n = 0, size = 1;
	char **dn = NULL, *all;

	ck_assert_int_eq(idm_dir_open(cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	ck_assert_int_eq(idm_dir_search(d, base, LDAP_SCOPE_ONELEVEL, "(objectClass=*)", attrs, 0,
					&res),
			 IDM_OK);
	for (e = ldap_first_entry(idm_dir_ldap(d), res); e; e = ldap_next_entry(idm_dir_ldap(d), e)) {
		char *v = ldap_get_dn(idm_dir_ldap(d), e);
		dn = realloc(dn, (n + 1) * sizeof(*dn));
		ck_assert_ptr_nonnull(dn);
		dn[n] = strdup(v);
		size += strlen(v) + 1;
		ldap_memfree(v);
		n++;
	}
	qsort(dn, n, sizeof(*dn), by_string);
	all = calloc(1, size);
	for (size_t i = 0; i < n; i++) {
		strcat(all, dn[i]);
		strcat(all, "\n");
		free(dn[i]);
	}
	free(dn);
	ldap_msgfree(res);
	idm_dir_close(d);
	return all;
}

/* The second server, as a sandbox of its own (DIR/p2), for stopping and
 * starting its slapd. */
static struct sandbox peer(void)
{
	struct sandbox s = sb;

	ck_assert_int_lt(snprintf(s.dir, sizeof(s.dir), "%.*s/p2", (int)sizeof(s.dir) - 4, sb.dir),
			 (int)sizeof(s.dir));
	snprintf(s.uri, sizeof(s.uri), "%s", uri2);
	return s;
}

/* Waits (up to 15 s) until the entries under base are the same on both
 * servers; asserts it. */
static void same_children(const char *base)
{
	char *a = NULL, *b = NULL;

	for (int i = 0; i < 150; i++) {
		a = dns_on(cfg1, base);
		b = dns_on(cfg2, base);
		if (strcmp(a, b) == 0 || i == 149)
			break;
		free(a);
		free(b);
		usleep(100000);
	}
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
}

/* Many changes at once through the writer (8 officers' commands, three
 * rounds): every request and every audit record reaches the other server,
 * and the trail there is intact.  slapd's replication drops a change that
 * reaches a consumer after a newer one from the same server, so idmgrd
 * sends its writes one at a time (idmgrd(8), "One writer, several
 * instances"). */
START_TEST(concurrent_writes_all_replicate)
{
	int null = open("/dev/null", O_WRONLY);
	char *out = NULL, *err = NULL;

	for (int round = 0; round < 3; round++) {
		pid_t pid[8];
		for (int i = 0; i < 8; i++) {
			char uid[32], name[64], text[1024], *path;
			snprintf(uid, sizeof(uid), "conc%d-%d", round, i);
			snprintf(text, sizeof(text), register_form, uid, uid);
			snprintf(name, sizeof(name), "%s.form", uid);
			path = form_file(&sb, name, text);
			pid[i] = idmgr_spawn(&sb, sb.conf, "tanaka", "request", "submit", path,
					     null);
			free(path);
		}
		for (int i = 0; i < 8; i++) {
			int st;
			ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
			ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "submit %d failed", i);
		}
	}
	close(null);
	free(converged("cn=head,ou=audit," IDMGR, "idmHead"));
	same_children("ou=audit," IDMGR);
	same_children("ou=requests," IDMGR);
	ck_assert_msg(idmgr_with(only2, "watanabe", &out, &err, "audit", "verify", NULL) == 0,
		      "audit verify on server 2: %s%s", out, err);
	free(out);
	free(err);
}
END_TEST

/* The writer killed (SIGKILL: no release): the standby takes the lease
 * over within the lease's time and carries out the next apply, which the
 * command sent to the dead writer's socket first. */
START_TEST(writer_killed_standby_takes_over)
{
	char *id = submit_approved("goro"), *out = NULL, *err = NULL, *v;
	pid_t old = idmgrd_instance_pid(&sb, ""), standby = idmgrd_instance_pid(&sb, "2");
	double t0, took;

	ck_assert_int_eq(kill(old, SIGKILL), 0);
	t0 = now();
	took = until_writer(conf2, t0, 2.0 * LEASE);
	ck_assert_msg(took >= 0 && took <= LEASE, "took over after %.1f s", took);
	fprintf(stderr, "test_providers: standby took over %.2f s after SIGKILL (lease %d s)\n",
		took, LEASE);
	ck_assert_int_eq(idmgr_with(sb.conf, "takahashi", &out, &err, "request", "apply", id), 0);
	ck_assert_msg(strstr(out, "temporary password for goro: "), "%s%s", out, err);
	free(out);
	free(err);
	v = state_on(cfg1, LEASE_DN, "description");
	ck_assert_msg(lease_names(v, standby), "lease \"%s\"", v);
	free(v);
	idmgrd_instance_start(&sb, ""); /* back, as the standby now */
	ck_assert_int_eq(idmgr_with(sb.conf, NULL, &out, NULL, "config", "check", NULL), 0);
	ck_assert_msg(strstr(out, "(standby)"), "%s", out);
	free(out);
	free(id);
}
END_TEST

/* The writer paused (SIGSTOP): its lease is not renewed, so after a whole
 * lease the standby takes it over; the old writer, continued, refuses
 * (its own time to write ran out before the takeover) and does not win the
 * lease back. */
START_TEST(paused_writer_is_fenced)
{
	char alone[700], *out = NULL, *err = NULL, *v;
	pid_t paused = idmgrd_instance_pid(&sb, "2"), other = idmgrd_instance_pid(&sb, "");
	double t0 = now(), took;

	ck_assert_int_eq(kill(paused, SIGSTOP), 0);
	took = until_writer(sb.conf, t0, 3.0 * LEASE);
	/* not before the paused holder's own time ran out: at least a lease
	 * after its last renewal, which came at most a third of one before */
	ck_assert_msg(took >= LEASE - LEASE / 3 - 0.5, "took over after %.1f s", took);
	fprintf(stderr, "test_providers: a paused writer's lease taken over after %.2f s\n", took);
	ck_assert_int_eq(kill(paused, SIGCONT), 0);
	variant("paused-alone.conf", "idmgrd2.sock", "", NULL, alone, sizeof(alone));
	ck_assert_int_eq(idmgr_with(alone, "takahashi", &out, &err, "user", "unlock", "watanabe"),
			 3);
	ck_assert_msg(strstr(err, "not the writer"), "%s", err);
	free(out);
	free(err);
	sleep(LEASE / 3 + 1); /* its lease thread runs again: the renewal fails */
	v = state_on(cfg1, LEASE_DN, "description");
	ck_assert_msg(lease_names(v, other), "lease \"%s\"", v);
	free(v);
}
END_TEST

/* The writer's server stopped: changes are refused with a message naming
 * it, nothing is half written (the request stays approved, no account on
 * the other server), reads still work (from the other server); once it is
 * back, the apply goes through. */
START_TEST(writer_server_down_fails_closed)
{
	char *id = submit_approved("rokuro"), *out = NULL, *err = NULL, *dn = NULL, *s;
	int st = 1;

	ck_assert_int_eq(idm_dn_child(&dn, "idmRequestId", id, "ou=requests," IDMGR), IDM_OK);
	free(converged(dn, "idmApproval"));
	/* Every write replicated before the writer's server stops: this case
	 * is about failing closed, not about catching up (a record its peer
	 * lacked would be deleted in the refresh: docs/design.md,
	 * "Replication must deliver one server's changes in order"). */
	free(converged("cn=head,ou=audit," IDMGR, "idmHead"));
	ck_assert_int_eq(sandbox_slapd_stop(&sb), 0);
	sleep(LEASE / 3 + 1); /* both instances' lease threads find it down */
	ck_assert_int_eq(idmgr_with(sb.conf, "takahashi", &out, &err, "request", "apply", id), 3);
	ck_assert_msg(strstr(err, sb.uri) && strstr(err, "does not answer"), "%s", err);
	ck_assert_msg(!strstr(out, "temporary password"), "%s", out);
	free(out);
	free(err);
	s = state_on(cfg2, dn, "idmRequestState");
	ck_assert_str_eq(s, "approved|");
	free(s);
	s = state_on(cfg2, "uid=rokuro," PEOPLE, "uid");
	ck_assert_str_eq(s, "(none)");
	free(s);
	ck_assert_int_eq(idmgr_with(sb.conf, "watanabe", &out, &err, "request", "show", id), 0);
	ck_assert_msg(strstr(out, "rokuro"), "%s%s", out, err);
	free(out);
	free(err);
	ck_assert_int_eq(sandbox_slapd_start(&sb), 0);
	for (int i = 0; i < 40 && st != 0; i++) {
		usleep(250000);
		st = idmgr_with(sb.conf, "takahashi", &out, &err, "request", "apply", id);
		if (st != 0) {
			free(out);
			free(err);
		}
	}
	ck_assert_int_eq(st, 0);
	ck_assert_msg(strstr(out, "temporary password for rokuro: "), "%s%s", out, err);
	free(out);
	free(err);
	s = converged(dn, "idmRequestState");
	ck_assert_str_eq(s, "applied|");
	free(s);
	free(dn);
	free(id);
}
END_TEST

/* Writes the other server never saw, then both servers restarted, the
 * other one first: the writer's server catches up from a peer that lacks
 * its latest requests and audit records, and keeps them; the peer then
 * receives them (R-AUD-1: nothing recorded is lost to replication). */
START_TEST(writer_restarts_with_writes_its_peer_lacks)
{
	struct sandbox p2 = peer();
	char *out = NULL, *err = NULL;

	free(converged("cn=head,ou=audit," IDMGR, "idmHead"));
	ck_assert_int_eq(sandbox_slapd_stop(&p2), 0);
	for (int i = 0; i < 3; i++) {
		char uid[32], name[64], text[1024], *path;
		snprintf(uid, sizeof(uid), "lagging%d", i);
		snprintf(text, sizeof(text), register_form, uid, uid);
		snprintf(name, sizeof(name), "%s.form", uid);
		path = form_file(&sb, name, text);
		ck_assert_msg(idmgr_with(sb.conf, "tanaka", &out, &err, "request", "submit",
					 path) == 0,
			      "submit %s: %s", uid, err);
		free(out);
		free(err);
		free(path);
	}
	ck_assert_int_eq(sandbox_slapd_stop(&sb), 0);
	ck_assert_int_eq(sandbox_slapd_start(&p2), 0);
	ck_assert_int_eq(sandbox_slapd_start(&sb), 0);
	free(converged("cn=head,ou=audit," IDMGR, "idmHead"));
	same_children("ou=audit," IDMGR);
	same_children("ou=requests," IDMGR);
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(idmgr_with(i ? only2 : only1, "watanabe", &out, &err, "audit",
					 "verify", NULL) == 0,
			      "audit verify on server %d: %s%s", i + 1, out, err);
		free(out);
		free(err);
	}
	ck_assert_int_eq(idmgr_with(only2, "watanabe", &out, &err, "request", "list", NULL), 0);
	ck_assert_msg(strstr(out, "lagging0") && strstr(out, "lagging2"), "%s", out);
	free(out);
	free(err);
}
END_TEST

/* The fence: the lease on the writer's server no longer this holder's
 * (here the directory administrator wrote another's value, as a takeover
 * the holder has not noticed yet would): the holder's next write is not
 * made -- it reads the lease right before -- and nothing of the request
 * is stored.  A standby takes the orphaned lease over after a lease. */
START_TEST(fence_stops_a_holder_that_lost_the_lease)
{
	char text[1024], *path, *out = NULL, *err = NULL, *before, *after;
	char ldif[512];
	int st = 1;

	snprintf(text, sizeof(text), register_form, "hachiro", "hachiro");
	path = form_file(&sb, "hachiro.form", text);
	before = state_on(cfg1, "ou=requests," IDMGR, "modifyTimestamp");
	snprintf(ldif, sizeof(ldif),
		 "dn: %s\nchangetype: modify\nreplace: description\n"
		 "description: elsewhere 1 20990101000000Z 1 %d\n\n",
		 LEASE_DN, LEASE);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, ldif), 0);
	ck_assert_int_eq(idmgr_with(sb.conf, "tanaka", &out, &err, "request", "submit", path), 3);
	ck_assert_msg(strstr(err, "not this idmgrd's") && strstr(err, "the write is not made"),
		      "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_with(sb.conf, "watanabe", &out, &err, "request", "list", NULL), 0);
	ck_assert_msg(!strstr(out, "hachiro"), "%s", out);
	free(out);
	free(err);
	after = state_on(cfg1, "ou=requests," IDMGR, "modifyTimestamp");
	ck_assert_str_eq(before, after);
	for (int i = 0; i < 15 * LEASE && st != 0; i++) { /* taken over, served again */
		usleep(200000);
		st = idmgr_with(sb.conf, "tanaka", &out, &err, "request", "submit", path);
		free(out);
		free(err);
	}
	ck_assert_int_eq(st, 0);
	free(before);
	free(after);
	free(path);
}
END_TEST

/* How many writes the log of one server holds that match filter (the
 * accesslog, as idmgrd reads it). */
static int logged_on(const struct idm_config *cfg, const char *filter)
{
	static const char *const attrs[] = { "1.1", NULL };
	char secret[700];
	struct idm_dir *d = NULL;
	LDAPMessage *res = NULL;
	int n;

	snprintf(secret, sizeof(secret), "%s/idmgrd.secret", sb.dir);
	ck_assert_int_eq(idm_dir_open_identity(cfg, NULL, "cn=idmgrd,ou=services," SUFFIX, secret,
					       &d),
			 IDM_OK);
	ck_assert_int_eq(idm_dir_search(d, "cn=accesslog", LDAP_SCOPE_ONELEVEL, filter, attrs, 0,
					&res),
			 IDM_OK);
	n = ldap_count_entries(idm_dir_ldap(d), res);
	ldap_msgfree(res);
	idm_dir_close(d);
	return n;
}

/* One of the two instances serves as the writer (the tests before may
 * have left a lease to take over; the command passes on from a standby):
 * asserts it within three leases. */
static void writer_serving(void)
{
	char path[700], *log[2];
	size_t n[2];

	for (double t0 = now(); now() - t0 < 3.0 * LEASE;)
		if (until_writer(sb.conf, now(), 0.1) >= 0 || until_writer(conf2, now(), 0.1) >= 0)
			return;
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/idmgrd%s.log", sb.dir, i ? "2" : "");
		log[i] = slurp(path);
		n[i] = log[i] ? strlen(log[i]) : 0;
	}
	ck_abort_msg("no idmgrd serves as the writer; the ends of their logs:\n%s\n--\n%s",
		     log[0] ? log[0] + (n[0] > 2000 ? n[0] - 2000 : 0) : "(none)",
		     log[1] ? log[1] + (n[1] > 2000 ? n[1] - 2000 : 0) : "(none)");
}

/* Threat model 4, R-AUD-1: the directory administrator's write made on
 * the peer -- not the writer's server, whose log alone idmgrd read -- is
 * named, with the peer's URI, once (its copy in the writer's log is
 * replication's).  The peer has made no write yet through idmgrd's or
 * the hosts' identity, so its serverID is known by elimination. */
START_TEST(item4_reconcile_names_the_rootdn_write_on_the_peer)
{
	struct sandbox p2 = peer();
	char since[IDM_GENTIME_LEN], want[400], *out = NULL, *err = NULL, *v;

	writer_serving();
	sleep(1);
	idm_time_format(time(NULL), since);
	ck_assert_int_eq(sandbox_ldapmodify(&p2, "dn: cn=ciso,ou=roles," IDMGR "\n"
						 "changetype: modify\nreplace: description\n"
						 "description: planted on the peer\n"),
			 0);
	v = converged("cn=ciso,ou=roles," IDMGR, "description");
	ck_assert_str_eq(v, "planted on the peer|");
	free(v);
	/* the writer's server logged it as any replicated change */
	ck_assert_int_eq(logged_on(cfg1, "(&(reqDN=cn=ciso,ou=roles," IDMGR ")"
					 "(reqAuthzID=cn=admin," SUFFIX ")(reqMod=description:=*))"),
			 1);
	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "audit", "reconcile", "--since", since,
				  NULL),
			 1);
	snprintf(want, sizeof(want),
		 "modify   cn=ciso,ou=roles,ou=idmgr,dc=example,dc=org by "
		 "cn=admin,dc=example,dc=org (description) on %s\n",
		 uri2);
	ck_assert_msg(strstr(out, want) && strstr(out, "1 of "), "%s%s", out, err);
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "suzuki", &out, &err, "audit", "reconcile", "--since", since,
				  "--format", "json", NULL),
			 1);
	snprintf(want, sizeof(want), "\"server\": \"%s\"", uri2);
	ck_assert_msg(strstr(out, want), "%s%s", out, err);
	free(out);
	free(err);
}
END_TEST

/* Threat model 4, R-AUD-1: what the hosts and a user write on the peer
 * is explained there.  A new user's first login on the second server (the
 * hosts' login records, through the login path pam_idmgr runs, with that
 * server alone in ldap.uri) and their own password change there reach
 * the writer's server as replication's writes, by cn=admin -- which
 * reconcile named until it read every server's log.  Judged on the
 * server each was made on, none is named; neither are the peer's copies
 * of idmgrd's writes. */
START_TEST(item4_reconcile_explains_logins_and_own_changes_on_the_peer)
{
	static const char prefix[] = "temporary password for kuro: ", fresh[] = "Lantern-quartz 58";
	char since[IDM_GENTIME_LEN], *id, *out = NULL, *err = NULL, *pw, *text = NULL;
	struct idm_auth_result res;
	struct idm_dir *d = NULL;
	int pperr = -1;

	writer_serving();
	sleep(1);
	idm_time_format(time(NULL), since);
	id = submit_approved("kuro");
	ck_assert_int_eq(idmgr_with(sb.conf, "takahashi", &out, &err, "request", "apply", id), 0);
	pw = strstr(out, prefix);
	ck_assert_msg(pw, "%s%s", out, err);
	pw = strndup(pw + strlen(prefix), strcspn(pw + strlen(prefix), " \n")); /* " (shown once" */
	free(out);
	free(err);
	free(converged("uid=kuro," PEOPLE, "entryCSN"));
	memset(&res, 0, sizeof(res));
	ck_assert_int_eq(idm_login_authenticate(cfg2, NULL, "kuro", pw, "peer-host", &res), IDM_OK);
	ck_assert_int_eq(idm_dir_open(cfg2, NULL, "uid=kuro," PEOPLE, pw, &d), IDM_OK);
	ck_assert_int_eq(idm_dir_password_modify(d, "uid=kuro," PEOPLE, fresh, strlen(fresh),
						 &pperr, &text),
			 IDM_OK);
	idm_dir_close(d);
	free(text);
	free(converged("uid=kuro," PEOPLE, "entryCSN"));
	/* made on the peer by their makers; on the writer's server by cn=admin */
	ck_assert_int_ge(logged_on(cfg2, "(&(reqDN=uid=kuro," PEOPLE ")"
					 "(reqAuthzID=cn=pam,ou=services," SUFFIX "))"),
			 1);
	ck_assert_int_eq(logged_on(cfg2, "(&(reqDN=uid=kuro," PEOPLE ")"
					 "(reqAuthzID=uid=kuro," PEOPLE ")(reqMod=userPassword:*))"),
			 1);
	ck_assert_int_eq(logged_on(cfg1, "(&(reqDN=uid=kuro," PEOPLE ")"
					 "(reqAuthzID=cn=pam,ou=services," SUFFIX "))"),
			 0);
	ck_assert_int_ge(logged_on(cfg1, "(&(reqDN=uid=kuro," PEOPLE ")"
					 "(reqAuthzID=cn=admin," SUFFIX ")(reqMod=userPassword:*))"),
			 1);
	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "audit", "reconcile", "--since", since,
				  NULL),
			 0);
	ck_assert_msg(strstr(out, "is explained"), "%s%s", out, err);
	free(out);
	free(err);
	/* the new password is the one both servers check */
	ck_assert_int_eq(idm_dir_open(cfg1, NULL, "uid=kuro," PEOPLE, fresh, &d), IDM_OK);
	idm_dir_close(d);
	free(pw);
	free(id);
}
END_TEST

/* R-AUD-1: a server whose log cannot be read leaves the writes made
 * there unjudged: reconcile names it and says "not reconciled", never
 * "explained" -- through idmgr (exit 3) and idmgrd -R, the monthly
 * timer's command (exit 3).  Once the peer is back, it reconciles. */
START_TEST(reconcile_needs_every_server_log)
{
	struct sandbox p2 = peer();
	char *out[2] = { NULL, NULL }, *err[2] = { NULL, NULL };
	char *argv[] = { getenv("IDMGRD_BIN"), "-c", sb.conf, "-R", "1", NULL };
	int st[2];

	writer_serving();
	ck_assert_int_eq(sandbox_slapd_stop(&p2), 0);
	st[0] = idmgr_as(&sb, "sato", &out[0], &err[0], "audit", "reconcile", NULL);
	st[1] = run_cmd(argv, NULL, &out[1], &err[1]);
	ck_assert_int_eq(sandbox_slapd_start(&p2), 0); /* before any assertion */
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(st[i] == 3, "%s: exit %d", i ? "idmgrd -R" : "idmgr", st[i]);
		ck_assert_msg(strstr(err[i], uri2) && strstr(err[i], "not reconciled"), "%s",
			      err[i]);
		ck_assert_msg(!strstr(out[i], "explained"), "%s", out[i]);
		free(out[i]);
		free(err[i]);
	}
	free(converged("cn=head,ou=audit," IDMGR, "idmHead"));
	ck_assert_int_eq(run_cmd(argv, NULL, &out[0], &err[0]), 1); /* the peer's planted write */
	ck_assert_msg(strstr(out[0], "(description) on ") && strstr(out[0], uri2), "%s%s", out[0],
		      err[0]);
	free(out[0]);
	free(err[0]);
}
END_TEST

/* After all of the above, the audit trail is intact on both servers (each
 * read on its own, by an officer, R-AUD-1). */
START_TEST(audit_intact_on_both_servers)
{
	char *out = NULL, *err = NULL;

	free(converged("cn=head,ou=audit," IDMGR, "idmHead"));
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(idmgr_with(i ? only2 : only1, "watanabe", &out, &err, "audit",
					 "verify", NULL) == 0,
			      "audit verify on server %d: %s%s", i + 1, out, err);
		ck_assert_msg(strstr(out, "intact"), "%s", out);
		free(out);
		free(err);
	}
}
END_TEST

static Suite *providers_suite(void)
{
	Suite *s = suite_create("providers");
	TCase *tc = tcase_create("two-providers");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, one_instance_holds_the_lease);
	tcase_add_test(tc, standby_refuses_client_passes_on);
	tcase_add_test(tc, concurrent_applies_through_both_instances);
	tcase_add_test(tc, concurrent_approvals_through_both_instances);
	tcase_add_test(tc, concurrent_writes_all_replicate);
	tcase_add_test(tc, writer_killed_standby_takes_over);
	tcase_add_test(tc, paused_writer_is_fenced);
	tcase_add_test(tc, writer_server_down_fails_closed);
	tcase_add_test(tc, writer_restarts_with_writes_its_peer_lacks);
	tcase_add_test(tc, fence_stops_a_holder_that_lost_the_lease);
	tcase_add_test(tc, item4_reconcile_names_the_rootdn_write_on_the_peer);
	tcase_add_test(tc, item4_reconcile_explains_logins_and_own_changes_on_the_peer);
	tcase_add_test(tc, reconcile_needs_every_server_log);
	tcase_add_test(tc, audit_intact_on_both_servers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(providers_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
