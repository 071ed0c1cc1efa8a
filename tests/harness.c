#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <ldap.h>
#include <strings.h>

#include "harness.h"
#include "idm_dir.h"
#include "idm_error.h"
#include "idm_password.h"

extern char **environ;

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "harness: %s: %s\n", what, arg);
	exit(99); /* a hard error for the automake test driver */
}

char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	FILE *mem = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, mem);
	fclose(f);
	fclose(mem);
	return buf;
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void write_file(const char *path, const char *text, unsigned mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, (mode_t)mode) < 0)
		die("cannot write", path);
	close(fd);
}

int run_cmd(char *const argv[], const char *stdin_text, char **out, char **err)
{
	int in_p[2], out_p[2], err_p[2], status = -1;
	posix_spawn_file_actions_t fa;
	size_t olen = 0, elen = 0, off = 0, inlen = stdin_text ? strlen(stdin_text) : 0;
	char *obuf = NULL, *ebuf = NULL;
	FILE *sinks[2];
	struct pollfd p[3];
	pid_t pid;

	signal(SIGPIPE, SIG_IGN); /* a child that exits early must not kill us */
	if (pipe2(in_p, O_CLOEXEC) || pipe2(out_p, O_CLOEXEC) || pipe2(err_p, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in_p[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out_p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err_p[1], 2);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	close(in_p[0]);
	close(out_p[1]);
	close(err_p[1]);
	sinks[0] = open_memstream(&obuf, &olen);
	sinks[1] = open_memstream(&ebuf, &elen);
	p[0] = (struct pollfd){ out_p[0], POLLIN, 0 };
	p[1] = (struct pollfd){ err_p[0], POLLIN, 0 };
	p[2] = (struct pollfd){ inlen ? in_p[1] : -1, POLLOUT, 0 };
	if (!inlen)
		close(in_p[1]);
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			char b[4096];
			ssize_t n;
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			n = read(p[i].fd, b, sizeof(b));
			if (n > 0) {
				fwrite(b, 1, (size_t)n, sinks[i]);
			} else {
				close(p[i].fd);
				p[i].fd = -1;
			}
		}
		if (p[2].fd >= 0 && p[2].revents) {
			ssize_t n = write(p[2].fd, stdin_text + off, inlen - off);
			if (n > 0)
				off += (size_t)n;
			if (n <= 0 || off >= inlen) {
				close(p[2].fd);
				p[2].fd = -1;
			}
		}
	}
	if (p[2].fd >= 0)
		close(p[2].fd);
	fclose(sinks[0]);
	fclose(sinks[1]);
	if (pid > 0 && waitpid(pid, &status, 0) == pid)
		status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	else
		status = -1;
	if (out)
		*out = obuf;
	else
		free(obuf);
	if (err)
		*err = ebuf;
	else
		free(ebuf);
	return status;
}

int run_cmd_va(char *argv[32], int n, char **out, char **err, va_list ap)
{
	const char *a;

	while ((a = va_arg(ap, const char *)) && n < 31)
		argv[n++] = (char *)a;
	argv[n] = NULL;
	return run_cmd(argv, NULL, out, err);
}

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

/* Reads KEY=VALUE from DIR/sandbox.env. */
static void env_value(const char *text, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, "\n");
			if (n >= size)
				die("value too long", key);
			memcpy(out, p + klen + 1, n);
			out[n] = '\0';
			return;
		}
	}
	die("sandbox.env lacks", key);
}

void sandbox_start(struct sandbox *sb, bool init)
{
	sandbox_start_providers(sb, init, 1);
}

void sandbox_env(const struct sandbox *sb, const char *key, char *buf, size_t size)
{
	char path[700], *env;

	snprintf(path, sizeof(path), "%s/sandbox.env", sb->dir);
	env = slurp(path);
	if (!env)
		die("missing", path);
	env_value(env, key, buf, size);
	free(env);
}

void sandbox_start_providers(struct sandbox *sb, bool init, int providers)
{
	const char *cmd = env_or("IDMGR_SANDBOX_CMD", "../idmgr-sandbox");
	char *argv[7], *out = NULL, *err = NULL;
	int status;

	memset(sb, 0, sizeof(*sb));
	snprintf(sb->dir, sizeof(sb->dir), "%s/idmgr-test-XXXXXX", env_or("TMPDIR", "/tmp"));
	if (!mkdtemp(sb->dir))
		die("mkdtemp failed", sb->dir);
	argv[0] = (char *)cmd;
	argv[1] = "start";
	argv[2] = sb->dir;
	argv[3] = "--providers";
	argv[4] = providers == 2 ? "2" : "1";
	argv[5] = init ? NULL : "--no-init";
	argv[6] = NULL;
	status = run_cmd(argv, NULL, &out, &err);
	if (status != 0) {
		fprintf(stderr, "%s%s", out ? out : "", err ? err : "");
		die("idmgr-sandbox start failed", sb->dir);
	}
	free(out);
	free(err);
	sandbox_attach(sb, sb->dir, init);
}

void sandbox_attach(struct sandbox *sb, const char *dir, bool init)
{
	char *env, path[700], port[16];

	if (sb->dir != dir)
		snprintf(sb->dir, sizeof(sb->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/sandbox.env", sb->dir);
	env = slurp(path);
	if (!env)
		die("missing", path);
	env_value(env, "LDAP_URI", sb->uri, sizeof(sb->uri));
	env_value(env, "IDMGR_CONF", sb->conf, sizeof(sb->conf));
	env_value(env, "ADMIN_SECRET", sb->admin_secret, sizeof(sb->admin_secret));
	env_value(env, "PAM_SERVICE_DIR", sb->pam_dir, sizeof(sb->pam_dir));
	env_value(env, "ADMIN_DN", sb->admin_dn, sizeof(sb->admin_dn));
	env_value(env, "LDAP_PORT", port, sizeof(port));
	sb->port = atoi(port);
	free(env);
	env = slurp(sb->admin_secret);
	if (!env)
		die("missing", sb->admin_secret);
	snprintf(sb->admin_password, sizeof(sb->admin_password), "%s", env);
	free(env);
	if (init && idm_config_load(sb->conf, NULL, &sb->cfg) < 0)
		die("cannot load", sb->conf);
}

void sandbox_pam_service(const struct sandbox *sb, const char *name, const char *conf,
			 const char *args)
{
	char path[800], text[2400];
	const char *module = env_or("IDMGR_PAM_MODULE", "../pam_module/.libs/pam_idmgr.so");
	static const char *const phases[] = { "auth", "account", "password", "session" };
	size_t used = 0;

	for (size_t i = 0; i < 4; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "%-8s required %s config=%s%s%s\n", phases[i], module,
					 conf, *args ? " " : "", args);
	snprintf(path, sizeof(path), "%s/%s", sb->pam_dir, name);
	write_file(path, text, 0644);
}

void sandbox_config_variant(const struct sandbox *sb, const char *name, const char *uris,
			    int timeout, char *buf, size_t size)
{
	char *text = slurp(sb->conf), *line, *save = NULL;
	FILE *out;

	if (!text)
		die("cannot read", sb->conf);
	snprintf(buf, size, "%s/%s", sb->dir, name);
	out = fopen(buf, "we");
	if (!out)
		die("cannot write", buf);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *p = line + strspn(line, " \t");
		if (strncmp(p, "uri ", 4) == 0)
			fprintf(out, "  uri = \"%s\"\n", uris);
		else if (strncmp(p, "timeout ", 8) == 0)
			fprintf(out, "  timeout = %d\n", timeout);
		else
			fprintf(out, "%s\n", line);
	}
	fclose(out);
	chmod(buf, 0600);
	free(text);
}

void sandbox_start_for_pam(struct sandbox *sb, char **argv, void (*prepare)(struct sandbox *sb))
{
	sandbox_start_for_pam_init(sb, argv, prepare, true);
}

void sandbox_start_for_pam_init(struct sandbox *sb, char **argv,
				void (*prepare)(struct sandbox *sb), bool init)
{
	char asan[1024];
	const char *dir = getenv("IDMGR_TEST_SANDBOX");

	if (dir && getenv("PAM_WRAPPER")) {
		memset(sb, 0, sizeof(*sb));
		sandbox_attach(sb, dir, true);
		return;
	}
	sandbox_start(sb, init);
	if (prepare)
		prepare(sb);
	setenv("IDMGR_TEST_SANDBOX", sb->dir, 1);
	setenv("PAM_WRAPPER", "1", 1);
	setenv("PAM_WRAPPER_SERVICE_DIR", sb->pam_dir, 1);
	setenv("LD_PRELOAD", "libpam_wrapper.so", 1);
	/* pam_wrapper loads libpam with RTLD_DEEPBIND, which AddressSanitizer
	 * refuses; this (oddly named) switch of pam_wrapper turns it off. */
	setenv("UID_WRAPPER_DISABLE_DEEPBIND", "1", 1);
	/* Under AddressSanitizer the preloaded pam_wrapper comes before the
	 * ASan runtime in the library list; that order is harmless here. */
	snprintf(asan, sizeof(asan), "%s%sverify_asan_link_order=0", env_or("ASAN_OPTIONS", ""),
		 getenv("ASAN_OPTIONS") && *getenv("ASAN_OPTIONS") ? ":" : "");
	setenv("ASAN_OPTIONS", asan, 1);
	idm_config_free(sb->cfg);
	execv("/proc/self/exe", argv);
	sandbox_stop(sb);
	die("cannot re-execute", argv[0]);
}

void sandbox_stop(struct sandbox *sb)
{
	const char *cmd = env_or("IDMGR_SANDBOX_CMD", "../idmgr-sandbox");
	char *argv[] = { (char *)cmd, "stop", sb->dir, NULL };

	idm_config_free(sb->cfg);
	sb->cfg = NULL;
	if (sb->dir[0])
		run_cmd(argv, NULL, NULL, NULL);
	sb->dir[0] = '\0';
}

static pid_t slapd_pid(const struct sandbox *sb)
{
	char path[700], *text;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/slapd.pid", sb->dir);
	text = slurp(path);
	pid = text ? (pid_t)atoi(text) : -1;
	free(text);
	return pid;
}

static bool running(pid_t pid)
{
	char path[64], *stat, *p;
	bool alive;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	stat = slurp(path);
	if (!stat)
		return false;
	p = strrchr(stat, ')');
	alive = p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
	free(stat);
	return alive;
}

int sandbox_slapd_stop(struct sandbox *sb)
{
	pid_t pid = slapd_pid(sb);

	if (pid <= 0 || kill(pid, SIGTERM) < 0) {
		fprintf(stderr, "harness: no slapd to stop in %s\n", sb->dir);
		return -1;
	}
	for (int i = 0; i < 600 && running(pid); i++)
		usleep(50000);
	waitpid(pid, NULL, WNOHANG); /* ours after a restart: reaped */
	if (running(pid)) {
		fprintf(stderr, "harness: slapd %d does not stop\n", (int)pid);
		return -1;
	}
	return 0;
}

int sandbox_slapd_start(struct sandbox *sb)
{
	char conf[700], log[700];
	char *argv[] = {
		"/usr/bin/setsid", "/usr/sbin/slapd", "-d", "none", "-f", conf, "-h", sb->uri, NULL
	};
	char *who[] = { "/usr/bin/ldapwhoami", "-x", "-H", sb->uri, "-D", sb->admin_dn, "-y",
			sb->admin_secret,      NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int i, r;

	snprintf(conf, sizeof(conf), "%s/slapd.conf", sb->dir);
	snprintf(log, sizeof(log), "%s/slapd.log", sb->dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_APPEND | O_CREAT, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		fprintf(stderr, "harness: cannot start slapd: %s\n", strerror(r));
		return -1;
	}
	for (i = 0; i < 300 && run_cmd(who, NULL, NULL, NULL) != 0; i++)
		usleep(100000);
	if (i == 300) {
		fprintf(stderr, "harness: slapd did not come back in %s\n", sb->dir);
		return -1;
	}
	return 0;
}

char *sandbox_officer_password(const struct sandbox *sb, const char *uid)
{
	char path[700];
	json_error_t jerr;
	json_t *root, *officers, *o;
	size_t i;
	char *pw = NULL;

	snprintf(path, sizeof(path), "%s/officers.json", sb->dir);
	root = json_load_file(path, 0, &jerr);
	if (!root)
		die("cannot read", path);
	officers = json_object_get(root, "officers");
	json_array_foreach (officers, i, o) {
		if (strcmp(json_string_value(json_object_get(o, "uid")), uid) == 0 &&
		    json_string_value(json_object_get(o, "temporary_password")))
			pw = strdup(json_string_value(json_object_get(o, "temporary_password")));
	}
	json_decref(root);
	if (!pw)
		die("no temporary password for", uid);
	return pw;
}

int hanging_listener(int *fd)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t len = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(*fd, 64) < 0 ||
	    getsockname(*fd, (struct sockaddr *)&a, &len) < 0)
		die("cannot make a hanging listener", "127.0.0.1");
	return ntohs(a.sin_port);
}

int closed_port(void)
{
	int fd, port = hanging_listener(&fd);

	close(fd); /* nothing listens there any more */
	return port;
}

static int ldap_tool(const struct sandbox *sb, const char *tool, const char *ldif)
{
	/* relax: fixtures may set what slapd alone keeps (pwdChangedTime) */
	char *argv[] = { (char *)tool, "-x",
			 "-H",         (char *)sb->uri,
			 "-D",         (char *)sb->admin_dn,
			 "-y",         (char *)sb->admin_secret,
			 "-e",         "relax",
			 NULL };
	char *err = NULL;
	int status = run_cmd(argv, ldif, NULL, &err);

	if (status != 0)
		fprintf(stderr, "%s failed (%d): %s\n", tool, status, err ? err : "");
	free(err);
	return status;
}

char *sandbox_officer_ready_password(const struct sandbox *sb, const char *uid)
{
	char path[700], *pw, *temp, fresh[128];
	struct idm_violations v;

	snprintf(path, sizeof(path), "%s/%s.ready", sb->dir, uid);
	pw = slurp(path);
	if (pw)
		return pw;
	temp = sandbox_officer_password(sb, uid);
	if (!temp || !sb->cfg)
		die("no temporary password for", uid);
	snprintf(fresh, sizeof(fresh), "%s-Ready-2026", temp);
	if (idm_password_change(sb->cfg, NULL, uid, temp, fresh, strlen(fresh), &v) != IDM_OK)
		die("cannot replace the temporary password of", uid);
	write_file(path, fresh, 0600);
	free(temp);
	return strdup(fresh);
}

void sandbox_add_config(const struct sandbox *sb, const char *text)
{
	char *old = slurp(sb->conf), *grown;
	size_t size;

	if (!old)
		die("cannot read", sb->conf);
	size = strlen(old) + strlen(text) + 1;
	grown = malloc(size);
	if (!grown)
		die("out of memory", sb->conf);
	snprintf(grown, size, "%s%s", old, text);
	write_file(sb->conf, grown, 0600);
	free(old);
	free(grown);
	sandbox_init_again(sb);
}

int sandbox_run_init(const struct sandbox *sb, const char *conf, bool verbose, char **out,
		     char **err, ...)
{
	char *argv[32];
	va_list ap;
	int n = 0, r;

	argv[n++] = (char *)env_or("IDMGR_BIN", "../idmgr/idmgr");
	argv[n++] = "-c";
	argv[n++] = (char *)(conf ? conf : sb->conf);
	if (verbose)
		argv[n++] = "--verbose";
	argv[n++] = "init";
	argv[n++] = "--admin-dn";
	argv[n++] = (char *)sb->admin_dn;
	argv[n++] = "--admin-password-file";
	argv[n++] = (char *)sb->admin_secret;
	va_start(ap, err);
	r = run_cmd_va(argv, n, out, err, ap);
	va_end(ap);
	return r;
}

void sandbox_init_again(const struct sandbox *sb)
{
	char *out = NULL, *err = NULL;

	if (sandbox_run_init(sb, NULL, false, &out, &err, NULL) != 0) {
		fprintf(stderr, "%s%s", out ? out : "", err ? err : "");
		die("idmgr init (again) failed", sb->conf);
	}
	free(out);
	free(err);
}

const char *sandbox_policy_line(const char *extra, char *buf, size_t size)
{
	const char *p = strstr(extra, "idmPolicy: ");

	if (p) {
		p += strlen("idmPolicy: ");
		snprintf(buf, size, "pwdPolicySubentry: cn=%.*s,ou=policies,dc=example,dc=org\n",
			 (int)strcspn(p, "\n"), p);
	} else if (strstr(extra, "idmPrivileged: TRUE")) {
		snprintf(buf, size,
			 "pwdPolicySubentry: cn=privileged,ou=policies,dc=example,dc=org\n");
	} else {
		snprintf(buf, size, "%s", "");
	}
	return buf;
}

char *sandbox_admin_read(const struct sandbox *sb, const char *dn, const char *attr)
{
	LDAP *ld = NULL;
	struct berval cred = { strlen(sb->admin_password), (char *)sb->admin_password };
	char *attrs[] = { (char *)attr, NULL }, *res;
	LDAPMessage *msg = NULL, *e;
	struct berval **vals = NULL;
	size_t size = 1, used = 0;
	int v3 = LDAP_VERSION3;
	bool hist = strcasecmp(attr, "pwdHistory") == 0;

	if (ldap_initialize(&ld, sb->uri) != LDAP_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != LDAP_SUCCESS ||
	    ldap_sasl_bind_s(ld, sb->admin_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL) !=
		    LDAP_SUCCESS ||
	    ldap_search_ext_s(ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL, NULL,
			      NULL, 1, &msg) != LDAP_SUCCESS ||
	    !(e = ldap_first_entry(ld, msg)))
		die("cannot read as the administrator", dn);
	vals = ldap_get_values_len(ld, e, attr);
	for (size_t i = 0; vals && vals[i]; i++)
		size += vals[i]->bv_len + 1;
	res = calloc(1, size);
	if (!res)
		die("out of memory", dn);
	for (size_t i = 0; vals && vals[i]; i++) {
		const char *v = vals[i]->bv_val, *end = v + vals[i]->bv_len;

		/* pwdHistory is "TIME#SYNTAX#LENGTH#VALUE": keep VALUE */
		for (int k = 0; hist && k < 3 && v; k++) {
			v = memchr(v, '#', (size_t)(end - v));
			v = v ? v + 1 : NULL;
		}
		if (!v)
			continue;
		memcpy(res + used, v, (size_t)(end - v));
		used += (size_t)(end - v);
		res[used++] = '\n';
	}
	ldap_value_free_len(vals);
	ldap_msgfree(msg);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return res;
}

int sandbox_ldapadd(const struct sandbox *sb, const char *ldif)
{
	return ldap_tool(sb, "/usr/bin/ldapadd", ldif);
}

int sandbox_ldapmodify(const struct sandbox *sb, const char *ldif)
{
	return ldap_tool(sb, "/usr/bin/ldapmodify", ldif);
}

int pam_script_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_script *c = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		size_t used = strlen(c->shown);
		snprintf(c->shown + used, sizeof(c->shown) - used, "%s\n", msg[i]->msg);
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
		    msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
			const char *a = c->next < 12 ? c->answers[c->next++] : NULL;
			r[i].resp = strdup(a ? a : "");
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}
