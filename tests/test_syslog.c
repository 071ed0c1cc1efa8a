/* The syslog line of each PAM outcome (R-LOGIN-3), as syslogd receives it.
 *
 * pam_idmgr.so logs through pam_syslog(3) -> vsyslog(3) -> the datagram
 * socket /dev/log (pam_wrapper passes it on with PAM_WRAPPER_USE_SYSLOG=1).
 * The test owns that socket: it enters a mount namespace of its own (as
 * root: unshare(CLONE_NEWNS), mounts made private), builds a copy of /dev
 * on a tmpfs (device nodes, symbolic links, the subfolders bound), binds
 * its own socket there as "log", and moves the copy over /dev.  Nothing
 * outside the test's processes sees it: the host's syslog (or the lack of
 * one, in a container) is untouched, and no syslogd needs to run.
 * Rejected alternatives: pam_wrapper's stderr copy of the message (it
 * drops the facility and priority, and is not what the module sends);
 * LD_PRELOAD of a syslog() replacement (a mock: the module's real call path
 * would not be tested). */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "idm_error.h"
#include "idm_passhash.h"
#include "idm_time.h"

static struct sandbox sb;
static char **self_argv;
static int log_fd = -1;
static char received[16384];          /* the datagrams of the last operation, one a line */
static const char *service = "idmgr"; /* the PAM service of the last start() */

static void fail_setup(const char *what, const char *arg)
{
	fprintf(stderr, "test_syslog: %s %s: %s\n", what, arg, strerror(errno));
	exit(99); /* a hard error: without its socket the suite proves nothing */
}

/* /dev again, on a tmpfs at dir, with our socket as dir/log; then moved
 * over /dev in this mount namespace. */
static void own_dev_log(void)
{
	char dir[600], path[900], target[PATH_MAX];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct dirent *e;
	struct stat st;
	ssize_t n;
	DIR *d;

	if (unshare(CLONE_NEWNS) < 0)
		fail_setup("unshare", "CLONE_NEWNS");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail_setup("mount --make-rprivate", "/");
	snprintf(dir, sizeof(dir), "%s/dev", sb.dir);
	if (mkdir(dir, 0755) < 0 || mount("tmpfs", dir, "tmpfs", MS_NOSUID, "mode=0755") < 0)
		fail_setup("tmpfs", dir);
	d = opendir("/dev");
	if (!d)
		fail_setup("opendir", "/dev");
	while ((e = readdir(d)) != NULL) {
		char from[300];
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, "log") == 0)
			continue;
		snprintf(from, sizeof(from), "/dev/%s", e->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(from, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			n = readlink(from, target, sizeof(target) - 1);
			if (n < 0)
				continue;
			target[n] = '\0';
			if (symlink(target, path) < 0)
				fail_setup("symlink", path);
		} else if (S_ISDIR(st.st_mode)) {
			if (mkdir(path, st.st_mode & 07777) < 0 ||
			    mount(from, path, NULL, MS_BIND | MS_REC, NULL) < 0)
				fail_setup("bind", path);
		} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
			if (mknod(path, st.st_mode, st.st_rdev) < 0)
				fail_setup("mknod", path);
		}
	}
	closedir(d);
	snprintf(path, sizeof(path), "%s/log", dir);
	if (strlen(path) >= sizeof(addr.sun_path))
		fail_setup("too long for a socket:", path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (log_fd < 0 || bind(log_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		fail_setup("bind", addr.sun_path);
	if (mount(dir, "/dev", NULL, MS_MOVE, NULL) < 0)
		fail_setup("mount --move", dir);
}

/* What the module sent since the last call, one datagram a line. */
static const char *drain(void)
{
	size_t used = 0;
	char buf[2048];
	ssize_t n;

	received[0] = '\0';
	while ((n = recv(log_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		used += (size_t)snprintf(received + used, sizeof(received) - used, "%s\n", buf);
		if (used >= sizeof(received))
			break;
	}
	return received;
}

/* The one received line holding "pam_idmgr(" and then phase; NULL when
 * there is none, and a failure when there are two. */
static const char *line_of(const char *phase)
{
	static char line[2048];
	char needle[64];
	const char *hit, *again;

	snprintf(needle, sizeof(needle), "): %s: user=", phase);
	hit = strstr(received, needle);
	if (!hit)
		return NULL;
	again = strstr(hit + 1, needle);
	ck_assert_msg(again == NULL, "two %s lines:\n%s", phase, received);
	while (hit > received && hit[-1] != '\n')
		hit--;
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(hit, "\n"), hit);
	return line;
}

/* The line of phase: sent to authpriv at priority prio (<PRI> = 10 * 8 +
 * prio), prefixed "pam_idmgr(SERVICE:TYPE): ", holding fields. */
static void assert_line(const char *phase, int prio, const char *type, const char *fields)
{
	const char *l = line_of(phase);
	char pri[16], prefix[64];

	ck_assert_msg(l != NULL, "no %s line; received:\n%s", phase, received);
	snprintf(pri, sizeof(pri), "<%d>", LOG_AUTHPRIV | prio);
	ck_assert_msg(strncmp(l, pri, strlen(pri)) == 0, "want %s (authpriv): %s", pri, l);
	snprintf(prefix, sizeof(prefix), "pam_idmgr(%s:%s): %s: ", service, type, phase);
	ck_assert_msg(strstr(l, prefix) != NULL, "want \"%s\": %s", prefix, l);
	ck_assert_msg(strstr(l, fields) != NULL, "want \"%s\" in:\n%s", fields, l);
}

static int conv_answers(int n, const struct pam_message **msg, struct pam_response **resp,
			void *data)
{
	return pam_script_conv(n, msg, resp, data);
}

static pam_handle_t *start_service(const char *name, const char *user, struct pam_script *c,
				   const char *rhost)
{
	static struct pam_conv pc;
	pam_handle_t *pamh = NULL;

	pc.conv = conv_answers;
	pc.appdata_ptr = c;
	service = name;
	ck_assert_int_eq(pam_start(name, user, &pc, &pamh), PAM_SUCCESS);
	if (rhost)
		pam_set_item(pamh, PAM_RHOST, rhost);
	pam_set_item(pamh, PAM_TTY, "pts/7");
	drain();
	return pamh;
}

static pam_handle_t *start(const char *user, struct pam_script *c, const char *rhost)
{
	return start_service("idmgr", user, c, rhost);
}

static void add_account(const char *uid, const char *pw)
{
	char ldif[2048], *hash = NULL, now[IDM_GENTIME_LEN];

	ck_assert_int_eq(idm_hash_password(&sb.cfg->argon2, pw, strlen(pw), &hash), IDM_OK);
	idm_time_format(time(NULL), now);
	snprintf(ldif, sizeof(ldif),
		 "dn: uid=%s,ou=people,dc=example,dc=org\n"
		 "objectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: idmAccount\n"
		 "uid: %s\ncn: %s\nsn: %s\nuidNumber: 31000\ngidNumber: 10000\n"
		 "homeDirectory: /home/%s\nuserPassword: %s\nidmPwdChangedTime: %s\n"
		 "idmStatus: active\n",
		 uid, uid, uid, uid, uid, hash, now);
	ck_assert_int_eq(sandbox_ldapadd(&sb, ldif), 0);
	free(hash);
}

/* A directory whose ACLs do not let the hosts record one account's login
 * and logout times (as an older release's slapd-acl.conf lacks a grant a
 * newer module needs): a rule for uid=norecord before the shipped ones,
 * slapd restarted with it.  Everyone else's access goes on to those. */
static void deny_recording(void)
{
	static const char rule[] =
		"access to dn.exact=\"uid=norecord,ou=people,dc=example,dc=org\"\n"
		"\t\tattrs=idmLastLoginTime,idmLastLogoutTime\n"
		"\tby dn.exact=\"cn=pam,ou=services,dc=example,dc=org\" read\n"
		"\tby * break\n\n";
	char path[700], *text, *acl, *out;
	size_t head;

	snprintf(path, sizeof(path), "%s/slapd.conf", sb.dir);
	text = slurp(path);
	ck_assert_ptr_nonnull(text);
	acl = strstr(text, "slapd-acl.conf");
	ck_assert_ptr_nonnull(acl);
	while (acl > text && acl[-1] != '\n')
		acl--;
	head = (size_t)(acl - text);
	out = malloc(strlen(text) + sizeof(rule));
	ck_assert_ptr_nonnull(out);
	memcpy(out, text, head);
	memcpy(out + head, rule, sizeof(rule) - 1);
	strcpy(out + head + sizeof(rule) - 1, acl);
	write_file(path, out, 0600);
	free(out);
	free(text);
	ck_assert_int_eq(sandbox_slapd_stop(&sb), 0);
	ck_assert_int_eq(sandbox_slapd_start(&sb), 0);
}

/* A service whose module line has an argument the module refuses. */
static void prepare(struct sandbox *s)
{
	sandbox_pam_service(s, "idmgr-badarg", s->conf, "no_such_argument");
}

static void setup(void)
{
	sandbox_start_for_pam(&sb, self_argv, prepare);
	/* restarted before /dev is ours: slapd's own syslog stays the host's */
	deny_recording();
	own_dev_log();
	add_account("logme", "Logged login passphrase");
	add_account("norecord", "Unrecorded login passphrase");
}

static void teardown(void)
{
	if (log_fd >= 0)
		close(log_fd);
	sandbox_stop(&sb);
}

/* A whole login: auth, account, session open and close, each one line. */
START_TEST(login_lines)
{
	struct pam_script c = { .answers = { "Logged login passphrase" } };
	pam_handle_t *pamh = start("logme", &c, "ws1.example.org");

	ck_assert_int_eq(pam_authenticate(pamh, 0), PAM_SUCCESS);
	drain();
	assert_line("auth", LOG_INFO, "auth",
		    "auth: user=logme service=idmgr rhost=ws1.example.org tty=pts/7 "
		    "result=Success reason=ok policy=standard");
	ck_assert_ptr_null(strstr(received, "Logged login passphrase")); /* never a password */
	ck_assert_int_eq(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
	drain();
	assert_line("account", LOG_INFO, "account",
		    "user=logme service=idmgr rhost=ws1.example.org tty=pts/7 result=Success "
		    "reason=ok policy=standard");
	ck_assert_int_eq(pam_open_session(pamh, 0), PAM_SUCCESS);
	drain();
	assert_line("session_open", LOG_INFO, "session",
		    "user=logme service=idmgr rhost=ws1.example.org tty=pts/7 result=Success "
		    "reason=ok policy=-");
	ck_assert_int_eq(pam_close_session(pamh, 0), PAM_SUCCESS);
	drain();
	assert_line("session_close", LOG_INFO, "session",
		    "user=logme service=idmgr rhost=ws1.example.org tty=pts/7 result=Success "
		    "reason=ok policy=-");
	pam_end(pamh, PAM_SUCCESS);
}
END_TEST

/* Refusals are logged at notice with their reason; an unknown user has no
 * policy; fields a client chose cannot forge others (space and '=' become
 * '?'), and an absent item is "-". */
START_TEST(refusal_lines)
{
	struct pam_script c = { .answers = { "not the passphrase" } };
	pam_handle_t *pamh = start("logme", &c, NULL);

	ck_assert_int_eq(pam_authenticate(pamh, 0), PAM_AUTH_ERR);
	drain();
	assert_line("auth", LOG_NOTICE, "auth",
		    "user=logme service=idmgr rhost=- tty=pts/7 result=Authentication failure "
		    "reason=wrong_password policy=standard");
	pam_end(pamh, PAM_SUCCESS);

	memset(&c, 0, sizeof(c));
	c.answers[0] = "whatever it is";
	pamh = start("nobody reason=ok", &c, "evil result=Success");
	ck_assert_int_eq(pam_authenticate(pamh, 0), PAM_USER_UNKNOWN);
	drain();
	assert_line("auth", LOG_NOTICE, "auth",
		    "user=nobody?reason?ok service=idmgr rhost=evil?result?Success tty=pts/7 "
		    "result=User not known to the underlying authentication module "
		    "reason=unknown_user policy=-");
	pam_end(pamh, PAM_SUCCESS);
}
END_TEST

/* The password phase: its preliminary check and the change each log a
 * line; a wrong current password is named.  (The test runs as root, whom
 * the module refuses unless the change is of an expired password.) */
START_TEST(password_lines)
{
	struct pam_script c = { .answers = { "not the current one", "Brand-new passphrase 99",
					     "Brand-new passphrase 99" } };
	pam_handle_t *pamh = start("logme", &c, NULL);

	ck_assert_int_eq(pam_chauthtok(pamh, PAM_CHANGE_EXPIRED_AUTHTOK), PAM_AUTHTOK_RECOVERY_ERR);
	drain();
	ck_assert_ptr_nonnull(strstr(received, "password: user=logme service=idmgr rhost=- "
					       "tty=pts/7 result=Success reason=prelim_ok policy=-"));
	ck_assert_ptr_nonnull(strstr(received, "reason=wrong_old_password policy=-"));
	ck_assert_ptr_null(strstr(received, "passphrase"));
	pam_end(pamh, PAM_SUCCESS);
}
END_TEST

/* The calling user (R-LOGIN-3): PAM_RUSER as su sets it; without it, the
 * real uid's name, as in a setuid program run by an ordinary user (the
 * test keeps euid 0 and sets only its real uid, as exec of a setuid-root
 * program does); "-" for root's own programs (sshd). */
START_TEST(calling_user_lines)
{
	struct pam_script c = { .answers = { "Logged login passphrase" } };
	pam_handle_t *pamh = start("logme", &c, NULL);

	pam_set_item(pamh, PAM_RUSER, "caller reason=ok");
	ck_assert_int_eq(pam_authenticate(pamh, 0), PAM_SUCCESS);
	drain();
	assert_line("auth", LOG_INFO, "auth", "reason=ok policy=standard ruser=caller?reason?ok");
	pam_end(pamh, PAM_SUCCESS);

	memset(&c, 0, sizeof(c));
	c.answers[0] = "not the passphrase";
	pamh = start("logme", &c, NULL);
	ck_assert_int_eq(setresuid(65534, 0, 0), 0); /* nobody, still euid 0 */
	ck_assert_int_eq(pam_authenticate(pamh, 0), PAM_AUTH_ERR);
	ck_assert_int_eq(setresuid(0, 0, 0), 0);
	drain();
	assert_line("auth", LOG_NOTICE, "auth",
		    "reason=wrong_password policy=standard ruser=nobody");
	pam_end(pamh, PAM_SUCCESS);

	memset(&c, 0, sizeof(c));
	c.answers[0] = "Logged login passphrase";
	pamh = start("logme", &c, NULL);
	ck_assert_int_eq(pam_authenticate(pamh, 0), PAM_SUCCESS);
	drain();
	assert_line("auth", LOG_INFO, "auth", "policy=standard ruser=-");
	pam_end(pamh, PAM_SUCCESS);
}
END_TEST

/* Every line says what happened (R-LOGIN-3): the right password whose
 * login the directory would not record fails, and its line says why, not
 * "ok"; a session is never refused, and its lines say whether the login
 * and logout times were recorded (a name the directory does not know: a
 * local account in a shared session stack). */
START_TEST(unrecorded_login_lines)
{
	struct pam_script c = { .answers = { "Unrecorded login passphrase" } };
	pam_handle_t *pamh = start("norecord", &c, "ws2.example.org");

	ck_assert_int_eq(pam_authenticate(pamh, 0), PAM_AUTH_ERR);
	drain();
	assert_line("auth", LOG_NOTICE, "auth",
		    "user=norecord service=idmgr rhost=ws2.example.org tty=pts/7 "
		    "result=Authentication failure reason=login_not_recorded policy=standard");
	pam_end(pamh, PAM_SUCCESS);

	/* a session without auth in this process (an SSH key login) */
	memset(&c, 0, sizeof(c));
	pamh = start("norecord", &c, "ws2.example.org");
	ck_assert_int_eq(pam_open_session(pamh, 0), PAM_SUCCESS);
	drain();
	assert_line("session_open", LOG_INFO, "session",
		    "user=norecord service=idmgr rhost=ws2.example.org tty=pts/7 result=Success "
		    "reason=login_not_recorded policy=-");
	ck_assert_int_eq(pam_close_session(pamh, 0), PAM_SUCCESS);
	drain();
	assert_line("session_close", LOG_INFO, "session",
		    "user=norecord service=idmgr rhost=ws2.example.org tty=pts/7 result=Success "
		    "reason=logout_not_recorded policy=-");
	pam_end(pamh, PAM_SUCCESS);

	memset(&c, 0, sizeof(c));
	pamh = start("localonly", &c, NULL);
	ck_assert_int_eq(pam_open_session(pamh, 0), PAM_SUCCESS);
	drain();
	assert_line("session_open", LOG_INFO, "session", "result=Success reason=unknown_user");
	ck_assert_int_eq(pam_close_session(pamh, 0), PAM_SUCCESS);
	drain();
	assert_line("session_close", LOG_INFO, "session", "result=Success reason=unknown_user");
	pam_end(pamh, PAM_SUCCESS);
}
END_TEST

/* A module line the module cannot use: the session still succeeds, and
 * its lines say so (result=Success) and why nothing was recorded. */
START_TEST(setup_failed_session_lines)
{
	struct pam_script c = { .answers = { "" } };
	pam_handle_t *pamh = start_service("idmgr-badarg", "logme", &c, NULL);

	ck_assert_int_eq(pam_open_session(pamh, 0), PAM_SUCCESS);
	drain();
	assert_line("session_open", LOG_INFO, "session",
		    "user=logme service=idmgr-badarg rhost=- tty=pts/7 result=Success "
		    "reason=setup_failed policy=-");
	ck_assert_ptr_nonnull(strstr(received, "unknown or invalid argument \"no_such_argument\""));
	ck_assert_int_eq(pam_close_session(pamh, 0), PAM_SUCCESS);
	drain();
	assert_line("session_close", LOG_INFO, "session",
		    "user=logme service=idmgr-badarg rhost=- tty=pts/7 result=Success "
		    "reason=setup_failed policy=-");
	pam_end(pamh, PAM_SUCCESS);
}
END_TEST

static Suite *syslog_suite(void)
{
	Suite *s = suite_create("syslog");
	TCase *tc = tcase_create("lines");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, login_lines);
	tcase_add_test(tc, refusal_lines);
	tcase_add_test(tc, password_lines);
	tcase_add_test(tc, calling_user_lines);
	tcase_add_test(tc, unrecorded_login_lines);
	tcase_add_test(tc, setup_failed_session_lines);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	self_argv = argv;
	setenv("PAM_WRAPPER_USE_SYSLOG", "1", 1); /* the real vsyslog(3), to /dev/log */
	return fx_run(syslog_suite(), NULL);
}
