/* bench_sweep -- the stale-ID sweep over 1 000, 10 000 and 100 000 accounts
 * against ldapsearch paging the same attributes (-E pr=1000/noprompt) as
 * the same officer, in one run (contract §8: <= 2x at 100 000; peak memory
 * at 100 000 <= 1.5x that at 1 000).
 *
 * The accounts are loaded offline with slapadd into the sandbox's own slapd
 * (stop it, slapadd -f DIR/slapd.conf, start it again: far faster than
 * ldapadd): the bootstrapped directory is kept with slapcat once, and each
 * size starts from it.  The mix is a directory's after some years: most
 * accounts in use, a few percent stale, never used, expired, seconded,
 * retired (some still in groups) or suspended, one in a thousand
 * privileged; every account in use is a member of two groups the size of
 * the directory, like "mail" and "internet".  Peak memory is the maximum
 * resident set of each child (wait4). */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "idm_error.h"
#include "idm_password.h"
#include "idm_sweep.h"
#include "idm_time.h"

#define ROUNDS 5
#define DAY 86400L

extern char **environ;

static struct sandbox sb;
static char pwfile[700], officer_dn[128];

static void die(const char *what)
{
	fprintf(stderr, "bench_sweep: %s\n", what);
	sandbox_stop(&sb); /* stops slapd too, by its pid file */
	exit(1);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Children are started by a small process forked first thing: a child's
 * peak resident set (ru_maxrss) starts from the memory of the process that
 * forked it (Linux carries the old image's peak over exec), and this
 * program grows well beyond idmgr (an Argon2 hash, the LDIF). */
static int to_spawner = -1, from_spawner = -1;

struct spawned {
	int status;
	double secs;
	long rss_kib;
};

static void spawner(int in, int out)
{
	char buf[8192], *argv[64];

	for (;;) {
		uint32_t len;
		struct spawned res = { -1, 0, 0 };
		struct rusage ru;
		double t0;
		int n = 0, status;
		pid_t pid;

		if (read(in, &len, sizeof(len)) != sizeof(len) || len >= sizeof(buf) ||
		    read(in, buf, len) != (ssize_t)len)
			_exit(0);
		buf[len] = '\0';
		/* out_path NUL argv[0] NUL argv[1] NUL ... */
		for (size_t off = strlen(buf) + 1; off < len && n < 63; off += strlen(buf + off) + 1)
			argv[n++] = buf + off;
		argv[n] = NULL;
		t0 = now_s();
		pid = fork();
		if (pid == 0) {
			int fd0 = open("/dev/null", O_RDONLY),
			    fd1 = open(buf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd0 < 0 || fd1 < 0 || dup2(fd0, 0) < 0 || dup2(fd1, 1) < 0)
				_exit(127);
			execv(argv[0], argv);
			_exit(127);
		}
		if (pid > 0 && wait4(pid, &status, 0, &ru) == pid) {
			res.secs = now_s() - t0;
			res.rss_kib = ru.ru_maxrss;
			res.status =
				WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		if (write(out, &res, sizeof(res)) != sizeof(res))
			_exit(1);
	}
}

static void spawner_start(void)
{
	int req[2], rep[2];
	pid_t pid;

	if (pipe(req) < 0 || pipe(rep) < 0 || (pid = fork()) < 0) {
		fprintf(stderr, "bench_sweep: cannot fork\n");
		exit(1);
	}
	if (pid == 0) {
		close(req[1]);
		close(rep[0]);
		spawner(req[0], rep[1]);
	}
	close(req[0]);
	close(rep[1]);
	to_spawner = req[1];
	from_spawner = rep[0];
}

/* Runs argv with stdout to out_path (NULL: /dev/null) and stderr to ours;
 * returns the exit status; *secs and *rss_kib (may be NULL) are its wall
 * time and peak resident set. */
static int spawn(char *const argv[], const char *out_path, double *secs, long *rss_kib)
{
	char buf[8192];
	size_t len = 0;
	uint32_t n;
	struct spawned res;

	len += (size_t)snprintf(buf, sizeof(buf), "%s", out_path ? out_path : "/dev/null") + 1;
	for (int i = 0; argv[i] && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s", argv[i]) + 1;
	if (len >= sizeof(buf))
		return -1;
	n = (uint32_t)len;
	if (write(to_spawner, &n, sizeof(n)) != sizeof(n) ||
	    write(to_spawner, buf, len) != (ssize_t)len ||
	    read(from_spawner, &res, sizeof(res)) != sizeof(res))
		return -1;
	if (secs)
		*secs = res.secs;
	if (rss_kib)
		*rss_kib = res.rss_kib;
	return res.status;
}

static void slapd_stop(void)
{
	if (sandbox_slapd_stop(&sb) < 0)
		die("slapd does not stop");
}

static void slapd_start(void)
{
	if (sandbox_slapd_start(&sb) < 0)
		die("slapd did not answer");
}

static void tool(const char *name, const char *ldif_or_out, bool add)
{
	char conf[700], path[64];
	/* -b: the main database (the sandbox's first one is slapd's log of
	 * writes, cn=accesslog) */
	char *argv[] = { path, "-b", "dc=example,dc=org", "-f",
			 conf, "-l", (char *)ldif_or_out, add ? "-q" : NULL,
			 NULL }; /* slapadd -q: quick; slapcat has none */

	snprintf(conf, sizeof(conf), "%s/slapd.conf", sb.dir);
	snprintf(path, sizeof(path), "/usr/sbin/%s", name);
	if (spawn(argv, NULL, NULL, NULL) != 0)
		die(name);
}

/* A small deterministic generator: the same directory every run. */
static uint32_t rnd_state = 2463534242u;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* The accounts of a directory of n: LDIF for slapadd. */
static void write_accounts(const char *path, long n, time_t now)
{
	FILE *f = fopen(path, "we");
	char t1[IDM_GENTIME_LEN], t2[IDM_GENTIME_LEN], t3[IDM_GENTIME_LEN];
	char *members = NULL;
	size_t mlen = 0;
	FILE *m = open_memstream(&members, &mlen);

	if (!f || !m)
		die("cannot write the LDIF");
	rnd_state = 2463534242u;
	for (long i = 0; i < n; i++) {
		long k = i % 100;
		time_t created = now - (time_t)(30 + rnd() % 1800) * DAY;
		time_t login = now - (time_t)(rnd() % 60) * DAY - rnd() % DAY;
		const char *status = "active";
		bool in_groups = false;

		fprintf(f,
			"dn: uid=b%07ld,ou=people,dc=example,dc=org\n"
			"objectClass: inetOrgPerson\nobjectClass: posixAccount\n"
			"objectClass: idmAccount\nuid: b%07ld\ncn: Bench User %ld\nsn: User\n"
			"givenName: Bench\nmail: b%07ld@example.org\ndepartmentNumber: %s\n"
			"employeeType: regular\nuidNumber: %ld\ngidNumber: 10000\n"
			"homeDirectory: /home/b%07ld\nloginShell: /bin/bash\n"
			"userPassword: {ARGON2}$argon2id$v=19$m=19456,t=2,p=1$"
			"YmVuY2hzYWx0YmVuY2g$QmVuY2htYXJrSGFzaEJlbmNobWFya0hhc2hCZW5jaA\n"
			"pwdChangedTime: %s\nidmLoginCount: %u\ncreateTimestamp: %s\n",
			i, i, i, i, i % 2 ? "benefits" : "finance", 200000 + i, i,
			(idm_time_format(now - (time_t)(rnd() % 170) * DAY, t1), t1), rnd() % 300,
			(idm_time_format(created, t2), t2));
		if (k < 80) { /* in use */
			in_groups = true;
		} else if (k < 85) { /* stale */
			login = now - (time_t)(100 + rnd() % 600) * DAY;
		} else if (k < 87) { /* never used */
			login = 0;
		} else if (k == 87) { /* expired, still active */
			idm_time_format(now - (time_t)(1 + rnd() % 90) * DAY, t3);
			fprintf(f, "idmValidUntil: %s\n", t3);
		} else if (k < 90) { /* seconded; overdue for one of the two */
			status = "seconded";
			idm_time_format(now + (k == 88 ? -1 : 1) * (time_t)(1 + rnd() % 200) * DAY,
					t3);
			fprintf(f, "idmUntil: %s\n", t3);
		} else if (k < 95) { /* retired; one in ten still in the groups */
			status = "retired";
			in_groups = i % 1000 == 90;
		} else {
			status = "suspended";
		}
		fprintf(f, "idmStatus: %s\n", status);
		if (login) {
			idm_time_format(login, t1);
			fprintf(f,
				"idmLastLoginTime: %s\nidmLastLoginHost: host%u.example.org\n"
				"idmLastLogoutTime: %s\n",
				t1, rnd() % 500, t1);
			if (k % 3 == 0)
				fprintf(f, "authTimestamp: %s\n", t1);
		}
		if (i % 1000 == 7)
			fprintf(f, "idmPrivileged: TRUE\n");
		fputc('\n', f);
		if (in_groups)
			fprintf(m, "memberUid: b%07ld\n", i);
	}
	fclose(m);
	for (int g = 0; g < 2; g++)
		fprintf(f,
			"dn: cn=bench-%s,ou=groups,dc=example,dc=org\nobjectClass: posixGroup\n"
			"cn: bench-%s\ngidNumber: %d\n%s\n",
			g ? "internet" : "mail", g ? "internet" : "mail", 90001 + g, members);
	free(members);
	if (fclose(f) != 0)
		die("cannot write the LDIF");
}

struct figures {
	long n;
	double sweep, search, load;
	long sweep_rss, search_rss;
	long rows;
};

static long count_lines(const char *path)
{
	char *text = slurp(path);
	long n = 0;

	for (char *p = text; p && *p; p++)
		n += *p == '\n';
	free(text);
	return n;
}

static void measure(long n, time_t now, const char *base, struct figures *fig)
{
	char ldif[700], data[700], csv[700], cmd[800];
	char *sweep_argv[] = { getenv("IDMGR_BIN"),
			       "-c",
			       sb.conf,
			       "-u",
			       "takahashi",
			       "--password-file",
			       pwfile,
			       "sweep",
			       "--format",
			       "csv",
			       NULL };
	char *search_argv[32];
	double ts[ROUNDS], tl[ROUNDS], t0;
	int k = 0;

	search_argv[k++] = "/usr/bin/ldapsearch";
	search_argv[k++] = "-LLL";
	search_argv[k++] = "-x";
	search_argv[k++] = "-H";
	search_argv[k++] = sb.uri;
	search_argv[k++] = "-D";
	search_argv[k++] = officer_dn;
	search_argv[k++] = "-y";
	search_argv[k++] = pwfile;
	search_argv[k++] = "-b";
	search_argv[k++] = "ou=people,dc=example,dc=org";
	search_argv[k++] = "-E";
	search_argv[k++] = "pr=1000/noprompt";
	search_argv[k++] = "(objectClass=idmAccount)";
	for (size_t i = 0; idm_sweep_account_attrs[i]; i++)
		search_argv[k++] = (char *)idm_sweep_account_attrs[i];
	search_argv[k] = NULL;

	fig->n = n;
	snprintf(ldif, sizeof(ldif), "%s/accounts.ldif", sb.dir);
	snprintf(data, sizeof(data), "%s/data", sb.dir);
	snprintf(csv, sizeof(csv), "%s/sweep.csv", sb.dir);
	write_accounts(ldif, n, now);
	slapd_stop();
	/* a fresh database: the bootstrapped directory, then the accounts */
	snprintf(cmd, sizeof(cmd), "%s/data.mdb", data);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/lock.mdb", data);
	unlink(cmd);
	t0 = now_s();
	tool("slapadd", base, true);
	tool("slapadd", ldif, true);
	fig->load = now_s() - t0;
	slapd_start();
	/* warm both paths once (the database into the page cache) */
	if (spawn(search_argv, NULL, NULL, NULL) != 0 || spawn(sweep_argv, csv, NULL, NULL) != 0)
		die("a warm-up run failed");
	fig->rows = count_lines(csv) - 1;
	fig->sweep_rss = fig->search_rss = 0;
	for (int i = 0; i < ROUNDS; i++) { /* interleaved: the same machine state */
		long rss;
		if (spawn(sweep_argv, NULL, &ts[i], &rss) != 0)
			die("idmgr sweep failed");
		if (rss > fig->sweep_rss)
			fig->sweep_rss = rss;
		if (spawn(search_argv, NULL, &tl[i], &rss) != 0)
			die("ldapsearch failed");
		if (rss > fig->search_rss)
			fig->search_rss = rss;
	}
	qsort(ts, ROUNDS, sizeof(double), cmp);
	qsort(tl, ROUNDS, sizeof(double), cmp);
	fig->sweep = ts[ROUNDS / 2];
	fig->search = tl[ROUNDS / 2];
	printf("%7ld accounts: sweep %7.3f s, ldapsearch %7.3f s, ratio %.2f; peak RSS sweep "
	       "%6ld KiB, ldapsearch %6ld KiB; %ld findings (slapadd %.1f s)\n",
	       n, fig->sweep, fig->search, fig->sweep / fig->search, fig->sweep_rss,
	       fig->search_rss, fig->rows, fig->load);
	fflush(stdout);
	unlink(ldif);
}

int main(int argc, char **argv)
{
	static long sizes[] = { 1000, 10000, 100000 };
	struct figures fig[3];
	struct idm_violations v;
	char base[700], *temp;
	const char *newpw = "Sweep benchmark officer 2026!";
	time_t now = time(NULL);
	double ratio, growth;
	size_t n_attrs = 0;

	while (idm_sweep_account_attrs[n_attrs])
		n_attrs++;
	(void)argc;
	(void)argv;
	spawner_start();
	if (getenv("BENCH_SIZES")) /* "A B C": other sizes, for trying things */
		sscanf(getenv("BENCH_SIZES"), "%ld %ld %ld", &sizes[0], &sizes[1], &sizes[2]);
	sandbox_start(&sb, true);
	temp = sandbox_officer_password(&sb, "takahashi");
	if (idm_password_change(sb.cfg, NULL, "takahashi", temp, newpw, strlen(newpw), &v) != IDM_OK)
		die("cannot change the officer's temporary password");
	free(temp);
	snprintf(pwfile, sizeof(pwfile), "%s/takahashi.pw", sb.dir);
	write_file(pwfile, newpw, 0600);
	snprintf(officer_dn, sizeof(officer_dn), "uid=takahashi,ou=people,dc=example,dc=org");
	snprintf(base, sizeof(base), "%s/base.ldif", sb.dir);
	slapd_stop();
	tool("slapcat", base, false);
	slapd_start();
	printf("sweep (report mode, --format csv) against ldapsearch -E pr=1000/noprompt of the "
	       "same %zu attributes, both as the same system_admin; median of %d\n",
	       n_attrs, ROUNDS);
	for (int i = 0; i < 3; i++)
		measure(sizes[i], now, base, &fig[i]);
	if (getenv("BENCH_HOLD")) { /* debugging: keep the last directory */
		printf("holding %s (%s)\n", sb.dir, sb.uri);
		fflush(stdout);
		pause();
	}
	ratio = fig[2].sweep / fig[2].search;
	growth = (double)fig[2].sweep_rss / (double)fig[0].sweep_rss;
	printf("ratio at 100000: %.2f (target <= 2.00): %s\n", ratio,
	       ratio <= 2.0 ? "met" : "NOT met");
	printf("peak RSS 100000 / 1000: %ld / %ld KiB = %.2f (target <= 1.50): %s\n",
	       fig[2].sweep_rss, fig[0].sweep_rss, growth, growth <= 1.5 ? "met" : "NOT met");
	slapd_stop();
	sandbox_stop(&sb);
	return 0;
}
