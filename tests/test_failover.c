/* Failover on the login path through real libpam against a real slapd
 * (issue 13): a hung first server is waited for once per login, not once
 * per connection and phase, and the next login right after does not wait
 * for it at all (idm_dir_health.h); the state file that carries it from
 * one login to the next counts only when it is root's alone, and a process
 * that is not root by its real uid (idmgr-chkpwd, run by a user) never
 * writes it.  A read-only replica listed first (a real second slapd,
 * syncrepl consumer of the sandbox, with and without updateref) fails no
 * login: reads go there, writes and the password check to the provider
 * (R-LOGIN-1, R-LOGIN-2, R-PW-1). */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "replica.h"
#include "idm_config.h"
#include "idm_dir_health.h"
#include "idm_error.h"
#include "idm_passhash.h"
#include "idm_password.h"
#include "idm_time.h"

#define TIMEOUT 3 /* ldap.timeout of the services below, seconds */
#define STATE IDM_RUNDIR "/ldap-down"

static struct sandbox sb;
static char **self_argv;
static const char *password = "Failover user passphrase 1";

/* An account whose password was set days ago (past the minimum age). */
static void add_user(const char *uid, int number, int days)
{
	char ldif[2048], *hash = NULL, now[IDM_GENTIME_LEN];

	ck_assert_int_eq(idm_hash_password(&sb.cfg->argon2, password, strlen(password), &hash),
			 IDM_OK);
	idm_time_format(time(NULL) - days * 86400L, now);
	snprintf(ldif, sizeof(ldif),
		 "dn: uid=%s,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\n"
		 "objectClass: posixAccount\nobjectClass: idmAccount\nuid: %s\ncn: %s\n"
		 "sn: %s\nuidNumber: %d\ngidNumber: 10000\nhomeDirectory: /home/%s\n"
		 "idmStatus: active\npwdChangedTime: %s\nuserPassword: %s\n",
		 uid, uid, uid, uid, number, uid, now, hash);
	free(hash);
	ck_assert_int_eq(sandbox_ldapadd(&sb, ldif), 0);
}

static void setup(void)
{
	sandbox_start_for_pam(&sb, self_argv, NULL);
	add_user("fo1", 61001, 0);
	add_user("rep1", 61002, 2);
	add_user("rep2", 61003, 2);
	add_user("trips", 61004, 0);
}

static void teardown(void)
{
	sandbox_stop(&sb);
}

/* A whole login as sshd makes it: auth, account, session open and close
 * in one transaction.  Its time in seconds; it must succeed. */
static double login_through(const char *service, const char *user)
{
	struct pam_script c;
	struct pam_conv pc = { pam_script_conv, &c };
	pam_handle_t *pamh = NULL;
	double t0 = now_s();
	int r;

	memset(&c, 0, sizeof(c));
	c.answers[0] = password;
	ck_assert_int_eq(pam_start(service, user, &pc, &pamh), PAM_SUCCESS);
	pam_set_item(pamh, PAM_RHOST, "failover.example.org");
	r = pam_authenticate(pamh, 0);
	if (r == PAM_SUCCESS)
		r = pam_acct_mgmt(pamh, 0);
	if (r == PAM_SUCCESS)
		r = pam_open_session(pamh, PAM_SILENT);
	if (r == PAM_SUCCESS)
		r = pam_close_session(pamh, PAM_SILENT);
	pam_end(pamh, r);
	ck_assert_msg(r == PAM_SUCCESS, "login through %s: %s", service, pam_strerror(NULL, r));
	return now_s() - t0;
}

/* Auth with password and/or the account phase of user through service,
 * in one transaction: the PAM code of the last phase run. */
static int phases(const char *service, const char *user, const char *pw, bool auth, bool account)
{
	struct pam_script c;
	struct pam_conv pc = { pam_script_conv, &c };
	pam_handle_t *pamh = NULL;
	int pr = PAM_SUCCESS;

	memset(&c, 0, sizeof(c));
	c.answers[0] = pw;
	ck_assert_int_eq(pam_start(service, user, &pc, &pamh), PAM_SUCCESS);
	if (auth)
		pr = pam_authenticate(pamh, 0);
	if (account && pr == PAM_SUCCESS)
		pr = pam_acct_mgmt(pamh, 0);
	pam_end(pamh, pr);
	return pr;
}

/* A service whose servers are uris, with ldap.timeout TIMEOUT. */
static void service(const char *name, const char *uris)
{
	char conf[700], file[128];

	snprintf(file, sizeof(file), "%s.conf", name);
	sandbox_config_variant(&sb, file, uris, TIMEOUT, conf, sizeof(conf));
	sandbox_pam_service(&sb, name, conf, "");
}

/* Issue 13: with the first server hung, a whole login (auth's service and
 * user connections, account, session open and close: five connections)
 * waits for it once, and the next login not at all. */
START_TEST(hung_first_server_waited_for_once)
{
	char uris[300];
	int fd, port = hanging_listener(&fd);
	double first, second;

	snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%d/ %s", port, sb.uri);
	service("idmgr-hung", uris);
	first = login_through("idmgr-hung", "fo1");
	second = login_through("idmgr-hung", "fo1");
	printf("hung first server, ldap.timeout %d s: first login %.2f s, the next %.2f s\n",
	       TIMEOUT, first, second);
	ck_assert_msg(first >= TIMEOUT - 0.5, "the hung server was not tried (%.2f s)", first);
	ck_assert_msg(first < 2 * TIMEOUT, "the first login waited %.2f s", first);
	ck_assert_msg(second < TIMEOUT, "the next login waited %.2f s", second);
	close(fd);
}
END_TEST

/* The only server hung: auth gives up after one wait (it is tried once,
 * not again as "marked down" by the failure it has just had), and the
 * next login, which finds it marked, waits once too (a mark reorders, it
 * never skips the last server). */
START_TEST(single_hung_server_tried_once)
{
	char uris[300];
	int fd, port = hanging_listener(&fd);
	double t0, first, second;

	snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%d/", port);
	service("idmgr-onlyhung", uris);
	t0 = now_s();
	ck_assert_int_eq(phases("idmgr-onlyhung", "fo1", password, true, false),
			 PAM_AUTHINFO_UNAVAIL);
	first = now_s() - t0;
	t0 = now_s();
	ck_assert_int_eq(phases("idmgr-onlyhung", "fo1", password, true, false),
			 PAM_AUTHINFO_UNAVAIL);
	second = now_s() - t0;
	printf("the only server hung, ldap.timeout %d s: auth refused after %.2f s, then %.2f s\n",
	       TIMEOUT, first, second);
	ck_assert_msg(first < 1.6 * TIMEOUT, "auth waited %.2f s", first);
	ck_assert_msg(second >= TIMEOUT - 0.5 && second < 1.6 * TIMEOUT, "auth waited %.2f s",
		      second);
	close(fd);
}
END_TEST

/* Writes the state file as text, owned by uid, with mode. */
static void plant(const char *text, uid_t uid, mode_t mode)
{
	mkdir(IDM_RUNDIR, 0700);
	write_file(STATE, text, 0600);
	ck_assert_int_eq(chown(STATE, uid, 0), 0);
	ck_assert_int_eq(chmod(STATE, mode), 0);
}

/* The sandbox's server marked down in the state file, a hung one after it
 * in the list: a mark that counts sends the login to the hung server first
 * (one timeout); a planted one (not root's, writable by others, from the
 * future, for a server not configured) changes nothing.  A mark only
 * reorders: the marked server is still tried. */
START_TEST(state_file_counts_only_when_root_s)
{
	char uris[300], line[400];
	int fd, port = hanging_listener(&fd);
	double t;

	snprintf(uris, sizeof(uris), "%s ldap://127.0.0.1:%d/", sb.uri, port);
	service("idmgr-order", uris);
	/* not root's */
	snprintf(line, sizeof(line), "%lld %s\n", (long long)time(NULL) + 50, sb.uri);
	plant(line, 65534, 0600);
	t = login_through("idmgr-order", "fo1");
	ck_assert_msg(t < TIMEOUT, "a file of nobody's counted (%.2f s)", t);
	/* root's but writable by others */
	plant(line, 0, 0666);
	t = login_through("idmgr-order", "fo1");
	ck_assert_msg(t < TIMEOUT, "a world-writable file counted (%.2f s)", t);
	/* from the future: beyond IDM_DIR_DOWN_SECONDS */
	snprintf(line, sizeof(line), "%lld %s\n", (long long)time(NULL) + 3600, sb.uri);
	plant(line, 0, 0600);
	t = login_through("idmgr-order", "fo1");
	ck_assert_msg(t < TIMEOUT, "a mark an hour ahead counted (%.2f s)", t);
	/* the real thing: root's alone, within the minute */
	snprintf(line, sizeof(line), "%lld %s\n", (long long)time(NULL) + 50, sb.uri);
	plant(line, 0, 0600);
	t = login_through("idmgr-order", "fo1");
	printf("sandbox marked down by a root-only state file: login %.2f s\n", t);
	ck_assert_msg(t >= TIMEOUT - 0.5, "a valid mark did not count (%.2f s)", t);
	ck_assert_msg(t < 2 * TIMEOUT, "the marked server was not used (%.2f s)", t);
	/* that login found the hung server dead and the marked one answering */
	t = login_through("idmgr-order", "fo1");
	ck_assert_msg(t < TIMEOUT, "the next login waited %.2f s", t);
	close(fd);
}
END_TEST

/* Who may write the state file: a process that is root by its effective
 * uid only (a setuid program such as idmgr-chkpwd, run by a user who can
 * make servers look dead with resource limits or signals) never does. */
START_TEST(state_file_never_written_by_a_user)
{
	char uri[128], *text;
	int status = -1;
	pid_t pid;

	snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d/", closed_port());
	/* a configuration naming it, as the loader only keeps configured URIs */
	free(sb.cfg->ldap.uris[0]);
	sb.cfg->ldap.uris[0] = strdup(uri);
	pid = fork();
	if (pid == 0) {
		struct idm_dir_health *h = idm_dir_health_new();

		if (setresuid(65534, 0, 0) < 0)
			_exit(3);
		idm_dir_health_mark(h, uri, true, time(NULL));
		idm_dir_health_save(h, IDM_RUNDIR, sb.cfg, NULL);
		idm_dir_health_free(h);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	text = slurp(STATE);
	ck_assert_msg(!text || !strstr(text, uri), "a user's process wrote the state file");
	free(text);
	/* root by both uids does */
	{
		struct idm_dir_health *h = idm_dir_health_new();

		idm_dir_health_mark(h, uri, true, time(NULL));
		idm_dir_health_save(h, IDM_RUNDIR, sb.cfg, NULL);
		idm_dir_health_free(h);
	}
	text = slurp(STATE);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, uri));
	free(text);
	free(sb.cfg->ldap.uris[0]);
	sb.cfg->ldap.uris[0] = strdup(sb.uri);
}
END_TEST

/* How many times needle is in the replica's log (its slapd logs stats). */
static long replica_log_count(const struct replica *r, const char *needle)
{
	char path[800], *text;
	long n = 0;

	usleep(300000);
	snprintf(path, sizeof(path), "%s/slapd.log", r->dir);
	text = slurp(path);
	ck_assert_ptr_nonnull(text);
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(text);
	return n;
}

/* The provider's values of attr on uid's entry, one a line ("" none). */
static char *provider(const char *uid, const char *attr)
{
	char dn[128];

	snprintf(dn, sizeof(dn), "uid=%s,ou=people,dc=example,dc=org", uid);
	return sandbox_admin_read(&sb, dn, attr);
}

static long lines(const char *text)
{
	long n = 0;

	for (const char *p = text; *p; p++)
		n += *p == '\n';
	return n;
}

/* Through a configuration listing replica r first: a whole login, a wrong
 * password, the account phase alone (a key login) and a password change
 * all work; the reads are the replica's, every write and the password
 * check the provider's; a wrong password is counted there. */
static void replica_first(const struct replica *r, const char *name, const char *uid)
{
	char uris[300], conf[700], dn[128], *v, *before;
	const char *fresh = "Replicated change passphrase 7";
	struct idm_config *cfg = NULL;
	struct idm_violations viol;
	long searches;
	int pr;

	snprintf(dn, sizeof(dn), "uid=%s,ou=people,dc=example,dc=org", uid);
	snprintf(uris, sizeof(uris), "%s %s", r->uri, sb.uri);
	service(name, uris);
	searches = replica_log_count(r, "SRCH base=\"ou=people,dc=example,dc=org\"");
	/* a whole login: recorded on the provider, nothing left to count */
	login_through(name, uid);
	ck_assert_int_gt(replica_log_count(r, "SRCH base=\"ou=people,dc=example,dc=org\""),
			 searches);
	v = provider(uid, "idmLastLoginTime");
	ck_assert_str_ne(v, "");
	free(v);
	v = provider(uid, "idmPreviousLogin");
	ck_assert_str_ne(v, "");
	free(v);
	v = provider(uid, "idmFailureTime");
	ck_assert_str_eq(v, "");
	free(v);
	/* a wrong password: counted on the provider, by idmgr and by slapd */
	pr = phases(name, uid, "not the passphrase", true, false);
	ck_assert_int_eq(pr, PAM_AUTH_ERR);
	v = provider(uid, "idmFailureTime");
	ck_assert_int_eq(lines(v), 1);
	free(v);
	v = provider(uid, "pwdFailureTime");
	ck_assert_int_eq(lines(v), 1);
	free(v);
	/* the account phase alone, as for an SSH key: reads only */
	pr = phases(name, uid, NULL, false, true);
	ck_assert_int_eq(pr, PAM_SUCCESS);
	/* the right password clears the count */
	login_through(name, uid);
	v = provider(uid, "idmFailureTime");
	ck_assert_str_eq(v, "");
	free(v);
	/* a password change made on the provider; the next login, before or
	 * after the replica has it, checks the new password there */
	before = provider(uid, "pwdChangedTime");
	snprintf(conf, sizeof(conf), "%s/%s.conf", sb.dir, name);
	ck_assert_int_eq(idm_config_load(conf, NULL, &cfg), IDM_OK);
	sleep(1); /* pwdChangedTime has whole seconds */
	ck_assert_int_eq(idm_password_change(cfg, NULL, uid, password, fresh, strlen(fresh), &viol),
			 IDM_OK);
	v = provider(uid, "pwdChangedTime");
	ck_assert_str_ne(v, before);
	free(v);
	free(before);
	pr = phases(name, uid, fresh, true, true);
	ck_assert_int_eq(pr, PAM_SUCCESS);
	ck_assert(replica_caught_up(&sb, r, dn, "pwdChangedTime"));
	idm_config_free(cfg);
}

START_TEST(replica_with_referral_listed_first)
{
	struct replica r;

	replica_start(&sb, "replica-ref", true, &r);
	replica_first(&r, "idmgr-replica-ref", "rep1");
	replica_stop(&r);
}
END_TEST

START_TEST(replica_without_referral_listed_first)
{
	struct replica r;

	replica_start(&sb, "replica-noref", false, &r);
	replica_first(&r, "idmgr-replica-noref", "rep2");
	replica_stop(&r);
}
END_TEST

/* The size of the sandbox's slapd log (it logs stats until a replica test
 * restarts it: the case below runs before those). */
static size_t log_size(void)
{
	char path[700], *text;
	size_t n;

	snprintf(path, sizeof(path), "%s/slapd.log", sb.dir);
	text = slurp(path);
	ck_assert_ptr_nonnull(text);
	n = strlen(text);
	free(text);
	return n;
}

static long conn_of(const char *line)
{
	const char *c = strstr(line, " conn=");

	return c ? strtol(c + 6, NULL, 10) : -1;
}

static bool listed(const long *ids, long n, long id)
{
	for (long i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* The connections accepted after offset in the sandbox's slapd log, and
 * the operations answered on them (*ops), but for idmgrd's (the sandbox
 * runs it; it writes a heartbeat now and then). */
static long connections_since(size_t offset, long *ops)
{
	char path[700], *text, *line, *save = NULL;
	long conns[64], theirs[64], n = 0, k = 0;

	usleep(500000); /* slapd logs after it answers */
	snprintf(path, sizeof(path), "%s/slapd.log", sb.dir);
	text = slurp(path);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_ge(strlen(text), offset);
	/* threads log in any order: first whose each connection is */
	for (const char *p = text + offset; (p = strstr(p, " conn=")); p++) {
		const char *bol = p, *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - bol) : strlen(bol);

		if (memmem(bol, len, "BIND dn=\"cn=idmgrd,", 19) && k < 64)
			theirs[k++] = conn_of(bol);
		if (memmem(bol, len, " ACCEPT from ", 13) && n < 64)
			conns[n++] = conn_of(bol);
		if (eol)
			p = eol;
	}
	*ops = 0;
	for (line = strtok_r(text + offset, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, " RESULT ") && listed(conns, n, conn_of(line)) &&
		    !listed(theirs, k, conn_of(line)))
			(*ops)++;
	for (long i = 0; i < n; i++)
		if (listed(theirs, k, conns[i]))
			conns[i--] = conns[--n];
	free(text);
	return n;
}

/* Issue 13, contract §8: the round trips of a login, counted in slapd's
 * log.  Auth: two connections (the service identity's and the user's) and
 * six operations (service bind, search, the attempt's record, the user's
 * bind, the login's record, the user's deletion of the spent attempt);
 * the account phase and session open of the same transaction: none. */
START_TEST(login_round_trips)
{
	struct pam_script c;
	struct pam_conv pc = { pam_script_conv, &c };
	pam_handle_t *pamh = NULL;
	long conns_auth, ops_auth, conns_rest, ops_rest;
	size_t start = log_size(), after_auth;

	memset(&c, 0, sizeof(c));
	c.answers[0] = password;
	ck_assert_int_eq(pam_start("idmgr", "trips", &pc, &pamh), PAM_SUCCESS);
	pam_set_item(pamh, PAM_RHOST, "192.0.2.10");
	ck_assert_int_eq(pam_authenticate(pamh, 0), PAM_SUCCESS);
	conns_auth = connections_since(start, &ops_auth);
	after_auth = log_size();
	ck_assert_int_eq(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
	ck_assert_int_eq(pam_open_session(pamh, PAM_SILENT), PAM_SUCCESS);
	conns_rest = connections_since(after_auth, &ops_rest);
	pam_end(pamh, PAM_SUCCESS);
	printf("round trips: auth %ld connections, %ld operations; account and session "
	       "open %ld, %ld\n",
	       conns_auth, ops_auth, conns_rest, ops_rest);
	fflush(stdout);
	ck_assert_int_eq(conns_auth, 2);
	ck_assert_int_eq(ops_auth, 6);
	if (conns_rest) { /* whose?  the log says */
		char path[700], *text;

		snprintf(path, sizeof(path), "%s/slapd.log", sb.dir);
		text = slurp(path);
		fprintf(stderr, "slapd after auth:\n%.4000s\n", text + after_auth);
		free(text);
	}
	ck_assert_int_eq(conns_rest, 0);
}
END_TEST

static Suite *failover_suite(void)
{
	Suite *s = suite_create("failover");
	TCase *tc = tcase_create("failover");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, hung_first_server_waited_for_once);
	tcase_add_test(tc, single_hung_server_tried_once);
	tcase_add_test(tc, state_file_counts_only_when_root_s);
	tcase_add_test(tc, state_file_never_written_by_a_user);
	tcase_add_test(tc, login_round_trips);
	tcase_add_test(tc, replica_with_referral_listed_first);
	tcase_add_test(tc, replica_without_referral_listed_first);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	self_argv = argv;
	setenv("IDMGR_SANDBOX_LOGLEVEL", "stats", 0);
	return fx_run(failover_suite(), NULL);
}
