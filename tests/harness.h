/* harness.h -- integration-test harness: a private slapd per suite, started
 * through the very idmgr-sandbox command the demo uses, and helpers to run
 * the built programs and capture what a user would see. */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <security/pam_appl.h>

#include "idm_config.h"
#include "idm_log.h"

struct sandbox {
	char dir[512];
	char uri[128];
	char conf[600];
	char admin_secret[600];
	char pam_dir[600];
	char admin_dn[64];
	char admin_password[128];
	int port;
	struct idm_config *cfg;
};

/* Starts a sandbox in a fresh temporary folder; aborts the test program
 * when it cannot (an integration suite without its directory proves
 * nothing). */
void sandbox_start(struct sandbox *sb, bool init);
/* The same with two multi-provider slapds (the second in DIR/p2) and one
 * idmgrd per server (idmgr-sandbox start --providers 2): sb describes the
 * first; sandbox_env() reads the second's LDAP_URI2, IDMGR_CONF2, ... */
void sandbox_start_providers(struct sandbox *sb, bool init, int providers);
/* The value of key in DIR/sandbox.env; aborts when it is not there. */
void sandbox_env(const struct sandbox *sb, const char *key, char *buf, size_t size);
void sandbox_stop(struct sandbox *sb);
/* Stops the sandbox's slapd (SIGTERM; waits until it is gone, reaps it if
 * this process started it), and starts it again as idmgr-sandbox does
 * (same configuration and URI, a session of its own, messages appended to
 * DIR/slapd.log), waiting until it answers.  0, or -1 after a message.
 * (test_sweep stops it mid-sweep and starts it after checking the
 * command's answer.) */
int sandbox_slapd_stop(struct sandbox *sb);
int sandbox_slapd_start(struct sandbox *sb);
/* Reads the settings of the sandbox already running in dir. */
void sandbox_attach(struct sandbox *sb, const char *dir, bool init);

/* For PAM tests: pam_wrapper must be preloaded and told its service folder
 * before the process starts.  Unless already done, starts a sandbox, sets
 * LD_PRELOAD, PAM_WRAPPER=1, PAM_WRAPPER_SERVICE_DIR and re-executes the
 * program; the re-executed program attaches to that sandbox and stops it
 * when done (sandbox_stop). */
void sandbox_start_for_pam(struct sandbox *sb, char **argv, void (*prepare)(struct sandbox *sb));
/* The same with the choice of "start --no-init" (init false). */
void sandbox_start_for_pam_init(struct sandbox *sb, char **argv,
				void (*prepare)(struct sandbox *sb), bool init);
/* Writes DIR/pam.d/NAME using pam_idmgr.so with config=CONF plus args. */
void sandbox_pam_service(const struct sandbox *sb, const char *name, const char *conf,
			 const char *args);
/* A copy of the sandbox configuration with other URIs and timeout; returns
 * its path in buf. */
void sandbox_config_variant(const struct sandbox *sb, const char *name, const char *uris,
			    int timeout, char *buf, size_t size);

/* Runs argv (argv[0] a path) with stdin_text on its standard input;
 * captures stdout and stderr (malloc'ed, may be NULL when not wanted).
 * Returns the exit status, or -1. */
int run_cmd(char *const argv[], const char *stdin_text, char **out, char **err);
/* The same for argv[0..n-1] (room for 32 pointers) followed by the
 * NULL-ended arguments in ap. */
int run_cmd_va(char *argv[32], int n, char **out, char **err, va_list ap);

/* The temporary password of a sample officer from DIR/officers.json. */
char *sandbox_officer_password(const struct sandbox *sb, const char *uid);

/* The password of a sample officer after it replaced the temporary one
 * (slapd lets a session bound with a temporary password do nothing else):
 * the first call changes it, later ones (any process) read DIR/UID.ready. */
char *sandbox_officer_ready_password(const struct sandbox *sb, const char *uid);

/* Captured messages: cap_log and captured in fixture.h. */

/* A scripted PAM conversation: password prompts are answered from
 * answers[] in order (then ""), every message shown is appended to shown. */
struct pam_script {
	const char *answers[12];
	size_t next;
	char shown[8192];
};
int pam_script_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data);
/* PAM auth then account for uid with the "idmgr" service, as a login does
 * (tests/harness_pam.c); the first failing code. */
int pam_login(const char *uid, const char *pw);

/* Reads a whole file (test fixtures); NULL when absent. */
char *slurp(const char *path);
/* Seconds on the monotonic clock, for timing whole steps. */
double now_s(void);
/* Writes text to path with the given mode. */
void write_file(const char *path, const char *text, unsigned mode);

/* A TCP listener on 127.0.0.1 that accepts connections and never answers
 * (the kernel completes the handshake); returns the port, *fd to close. */
int hanging_listener(int *fd);
/* A loopback port with nothing listening. */
int closed_port(void);

/* Appends text (policy sections) to the sandbox's idmgr.conf, then runs
 * "idmgr init" again so that slapd's policy entries follow it. */
void sandbox_add_config(const struct sandbox *sb, const char *text);
/* Runs "idmgr -c CONF [--verbose] init --admin-dn DN --admin-password-file
 * FILE" as the sandbox's directory administrator, then the NULL-ended
 * further arguments (--officer, --format, ...); conf NULL: the sandbox's.
 * Returns the exit status; captures stdout and stderr (NULL: not wanted). */
int sandbox_run_init(const struct sandbox *sb, const char *conf, bool verbose, char **out,
		     char **err, ...);
/* Runs "idmgr init" again as the directory administrator, as an
 * administrator does after adding policy sections to idmgr.conf: slapd's
 * policy entries follow the configuration.  Aborts on failure. */
void sandbox_init_again(const struct sandbox *sb);
/* The pwdPolicySubentry line an LDIF fixture needs for extra (its
 * "idmPolicy: X" or "idmPrivileged: TRUE"), or "" for the default. */
const char *sandbox_policy_line(const char *extra, char *buf, size_t size);
/* A password-data attribute as the directory administrator reads it (all
 * values, one a line, malloc'ed, "" when none); pwdHistory values are cut
 * to the stored hash. */
char *sandbox_admin_read(const struct sandbox *sb, const char *dn, const char *attr);

/* Adds an LDIF text as the directory administrator (ldapadd). 0 on success. */
int sandbox_ldapadd(const struct sandbox *sb, const char *ldif);
/* ldapmodify as the directory administrator. */
int sandbox_ldapmodify(const struct sandbox *sb, const char *ldif);

#endif
