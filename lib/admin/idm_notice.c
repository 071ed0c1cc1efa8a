/* Notices and their delivery (R-PRIV-2, R-VIO-1, R-EXC-2); see idm_notice.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/base64.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "idm_error.h"
#include "idm_escape.h"
#include "idm_mods.h"
#include "idm_notice.h"
#include "idm_role.h"
#include "idm_text.h"
#include "idm_time.h"
#include "idm_uid.h"
#include "idm_i18n.h"

#define MAX_TO 256
#define ID_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-"

static const char *const notice_attrs[] = { "idmRequestId",
					    "idmTime",
					    "idmActor",
					    "idmAction",
					    "idmSubject",
					    "idmDetail",
					    "idmRecipient",
					    "idmDeliveredTime",
					    "idmDeliveryAttempts",
					    "idmDeliveryError",
					    NULL };

/* Whom each action is owed to, besides the notice's idmRecipient uids. */
static unsigned roles_owed(const char *action)
{
	if (strcmp(action, "grant-privilege") == 0 || strcmp(action, "revoke-privilege") == 0)
		return (1u << IDM_ROLE_COUNT) - 1; /* the CISO notifies the officers (R-PRIV-2) */
	return 1u << IDM_ROLE_CISO;                /* suspend (R-VIO-1), emergencies (R-EXC-2) */
}

static const char *clause_of(const char *action)
{
	if (strcmp(action, "suspend") == 0)
		return "R-VIO-1";
	if (strncmp(action, "exception", 9) == 0)
		return "R-EXC-2";
	return "R-PRIV-2";
}

static void notice_free(void *p)
{
	struct idm_notice *n = p;

	if (!n)
		return;
	idm_strv_free(n->recipients, n->n_recipients);
	free(n->id);
	free(n->dn);
	free(n->action);
	free(n->subject);
	free(n->detail);
	free(n->actor);
	free(n->error);
	free(n);
}

static void *decode(LDAP *ld, LDAPMessage *m)
{
	struct idm_notice *n = calloc(1, sizeof(*n));
	char *dn = ldap_get_dn(ld, m), *t = NULL, *dt = NULL, *att = NULL;
	struct berval **v = ldap_get_values_len(ld, m, "idmRecipient");

	if (!n || !dn)
		goto bad;
	n->dn = strdup(dn);
	n->id = idm_entry_value(ld, m, "idmRequestId");
	n->action = idm_entry_value(ld, m, "idmAction");
	n->detail = idm_entry_value(ld, m, "idmDetail");
	n->actor = idm_entry_value(ld, m, "idmActor");
	n->subject = idm_entry_value(ld, m, "idmSubject");
	n->error = idm_entry_value(ld, m, "idmDeliveryError");
	t = idm_entry_value(ld, m, "idmTime");
	dt = idm_entry_value(ld, m, "idmDeliveredTime");
	att = idm_entry_value(ld, m, "idmDeliveryAttempts");
	/* the ID goes into a header (Message-ID): letters, digits and '-' only */
	if (!n->dn || !n->id || !*n->id || n->id[strspn(n->id, ID_CHARS)] || !n->action ||
	    !n->detail || !n->actor || !t || idm_time_parse(t, &n->time) < 0)
		goto bad; /* not a notice idmgr wrote: skipped */
	if (dt && idm_time_parse(dt, &n->delivered) < 0)
		n->delivered = 1; /* marked, if oddly: never send twice */
	n->attempts = att ? strtol(att, NULL, 10) : 0;
	if (n->attempts < 0)
		n->attempts = 0;
	if (idm_strv_from_bervals(v, &n->recipients, &n->n_recipients) < 0)
		goto bad;
	free(t);
	free(dt);
	free(att);
	ldap_value_free_len(v);
	ldap_memfree(dn);
	return n;
bad:
	free(t);
	free(dt);
	free(att);
	ldap_value_free_len(v);
	ldap_memfree(dn);
	notice_free(n);
	return NULL;
}

static int by_time(const void *a, const void *b)
{
	const struct idm_notice *x = *(const struct idm_notice *const *)a;
	const struct idm_notice *y = *(const struct idm_notice *const *)b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return strcmp(x->id, y->id);
}

struct visit {
	int (*each)(void *ctx, const struct idm_notice *n);
	void *ctx;
};

static int visit(void *ctx, const void *object)
{
	struct visit *v = ctx;

	return v->each(v->ctx, object);
}

int idm_notice_each(struct idm_dir *d, const struct idm_config *cfg, bool pending_only,
		    int (*each)(void *ctx, const struct idm_notice *n), void *ctx)
{
	struct visit v = { each, ctx };
	struct idm_sorted_listing l = { decode, by_time, notice_free, visit, &v };
	char *base = NULL;
	int r = idm_dn_child(&base, "ou", "notices", cfg->ldap.idmgr_dn);

	if (r == IDM_OK)
		r = idm_dir_search_sorted(d, base, LDAP_SCOPE_ONELEVEL,
					  pending_only
						  ? "(&(objectClass=idmNotice)(!(idmDeliveredTime=*)))"
						  : "(objectClass=idmNotice)",
					  notice_attrs, &l);
	free(base);
	return r;
}

/* ------------------------------------------------------------ the message */

struct buf {
	char *p;
	size_t n, cap;
	int err;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->err = IDM_ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* RFC 2047 "B" encoded words of at most 75 characters, never splitting a
 * UTF-8 sequence, folded onto continuation lines. */
static void put_encoded_words(struct buf *b, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text), i = 0;
	bool first = true;

	while (i < len) {
		char out[BASE64_ENCODE_RAW_LENGTH(45) + 1];
		size_t n = 0;
		while (i + n < len) {
			size_t k = idm_utf8_step(s + i + n, len - i - n);
			if (i + n + k > len || n + k > 45)
				break;
			n += k;
		}
		base64_encode_raw(out, n, s + i);
		out[BASE64_ENCODE_RAW_LENGTH(n)] = '\0';
		puts_(b, first ? "=?UTF-8?B?" : "\n =?UTF-8?B?");
		puts_(b, out);
		puts_(b, "?=");
		first = false;
		i += n;
	}
}

/* The body: control characters other than tab and newline dropped, lines
 * cut below RFC 5322's 998 octets at a character boundary. */
static void put_body_text(struct buf *b, const char *text)
{
	const unsigned char *s = (const unsigned char *)text, *end = s + strlen(text);
	size_t col = 0;

	while (*s) {
		size_t k = idm_utf8_step(s, (size_t)(end - s));
		if (*s == '\n') {
			put(b, "\n", 1);
			col = 0;
		} else if (*s >= 0x20 || *s == '\t') {
			if (col + k > 900) {
				put(b, "\n", 1);
				col = 0;
			}
			put(b, (const char *)s, k);
			col += k;
		}
		s += k;
	}
	if (col)
		put(b, "\n", 1);
}

int idm_notice_message(const struct idm_config *cfg, const struct idm_notice *n,
		       const char *const *to, size_t n_to, time_t now, char **out)
{
	struct buf b = { 0 };
	char date[64], subject[512], line[256];
	struct tm tm;

	*out = NULL;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	puts_(&b, "From: ");
	puts_(&b, cfg->notify.from);
	puts_(&b, "\nTo: ");
	for (size_t i = 0; i < n_to; i++) {
		puts_(&b, i ? ",\n " : "");
		puts_(&b, to[i]);
	}
	snprintf(subject, sizeof(subject), "[idmgr] %s: %s \xe2\x80\x94 %s", n->action,
		 n->subject ? n->subject : "-", clause_of(n->action));
	puts_(&b, "\nSubject: ");
	put_encoded_words(&b, subject);
	snprintf(line, sizeof(line),
		 "\nDate: %s\nMessage-ID: <%s@idmgr>\nMIME-Version: 1.0\n"
		 "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"
		 "Auto-Submitted: auto-generated\n\n",
		 date, n->id);
	puts_(&b, line);
	put_body_text(&b, n->detail);
	idm_time_format(n->time, date);
	puts_(&b, "\n-- \nNotice ");
	puts_(&b, n->id);
	puts_(&b, ", recorded ");
	puts_(&b, date);
	puts_(&b, " by ");
	put_body_text(&b, n->actor);
	if (b.err) {
		free(b.p);
		return b.err;
	}
	*out = b.p;
	return IDM_OK;
}

/* ------------------------------------------------------------ recipients */

struct to {
	char *v[MAX_TO];
	size_t n;
};

static void add_address(struct to *t, const struct idm_log *log, const char *who, const char *mail)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i], mail) == 0)
			return;
	if (!idm_mail_address_ok(mail, false)) {
		idm_logf(log, LOG_WARNING,
			 N_("notice: %s's mail \"%s\" is not a plain address; left out"), who, mail);
		return;
	}
	if (t->n < MAX_TO && (t->v[t->n] = strdup(mail)))
		t->n++;
}

/* The mail of the entry at dn (base search) or of the account uid. */
static int mail_of(struct idm_dir *d, const struct idm_config *cfg, const char *dn, const char *uid,
		   struct to *t)
{
	static const char *const attrs[] = { "mail", NULL };
	LDAPMessage *res = NULL, *e;
	char *filter = NULL;
	int r;

	if (uid) {
		if (idm_uid_check(cfg, uid) < 0)
			return IDM_OK;
		r = idm_filter_fmt(&filter, "(&(objectClass=idmAccount)(uid=%s))", uid);
		if (r == IDM_OK)
			r = idm_dir_search(d, cfg->ldap.people_dn, LDAP_SCOPE_SUBTREE, filter,
					   attrs, 2, &res);
	} else {
		r = idm_dir_search(d, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res);
	}
	if (r == IDM_ENOENT)
		r = IDM_OK;
	for (e = r == IDM_OK ? ldap_first_entry(idm_dir_ldap(d), res) : NULL; e;
	     e = ldap_next_entry(idm_dir_ldap(d), e)) {
		struct berval **v = ldap_get_values_len(idm_dir_ldap(d), e, "mail");
		for (int i = 0; v && v[i]; i++) {
			char *m = strndup(v[i]->bv_val, v[i]->bv_len);
			if (m)
				add_address(t, idm_dir_log(d), uid ? uid : dn, m);
			free(m);
		}
		ldap_value_free_len(v);
	}
	ldap_msgfree(res);
	free(filter);
	return r;
}

static int recipients(struct idm_dir *d, const struct idm_config *cfg, const struct idm_notice *n,
		      struct to *t)
{
	static const char *const attrs[] = { "member", NULL };
	unsigned roles = roles_owed(n->action);
	int r = IDM_OK;

	for (int role = 0; r == IDM_OK && role < IDM_ROLE_COUNT; role++) {
		LDAPMessage *res = NULL, *e;
		if (!(roles & (1u << role)) || !cfg->roles.dn[role])
			continue;
		r = idm_dir_search(d, cfg->roles.dn[role], LDAP_SCOPE_BASE, "(objectClass=*)",
				   attrs, 1, &res);
		e = r == IDM_OK ? ldap_first_entry(idm_dir_ldap(d), res) : NULL;
		if (e) {
			struct berval **v = ldap_get_values_len(idm_dir_ldap(d), e, "member");
			for (int i = 0; r == IDM_OK && v && v[i]; i++) {
				char *dn = strndup(v[i]->bv_val, v[i]->bv_len);
				r = dn ? (*dn ? mail_of(d, cfg, dn, NULL, t) : IDM_OK) : IDM_ENOMEM;
				free(dn);
			}
			ldap_value_free_len(v);
		}
		ldap_msgfree(res);
		if (r == IDM_ENOENT)
			r = IDM_OK; /* a role group init has not made: nobody to tell there */
	}
	for (size_t i = 0; r == IDM_OK && i < n->n_recipients; i++)
		r = mail_of(d, cfg, NULL, n->recipients[i], t);
	return r;
}

/* -------------------------------------------------------------- delivery */

/* Runs the command's words with text on stdin; IDM_OK on exit status 0,
 * else IDM_EIO with why (at most size bytes, with the program's first
 * words of output). */
static int run_command(const char *command, const char *text, char *why, size_t size)
{
	char *copy = strdup(command), *argv[IDM_NOTIFY_MAX_ARGS + 1], *save = NULL, *tok;
	char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	posix_spawn_file_actions_t fa;
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, argc = 0, status = 0, r = IDM_EIO;
	size_t len = strlen(text), sent = 0, got = 0;
	time_t deadline = time(NULL) + IDM_NOTIFY_TIMEOUT;
	char output[256] = "";
	pid_t pid = -1;
	bool fa_ok = false;

	snprintf(why, size, "could not start %s", command);
	if (!copy)
		return IDM_ENOMEM;
	for (tok = strtok_r(copy, " \t", &save); tok && argc < IDM_NOTIFY_MAX_ARGS;
	     tok = strtok_r(NULL, " \t", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	/* a socket, not a pipe, for stdin: send() with MSG_NOSIGNAL, so a
	 * program that exits early cannot kill idmgr with SIGPIPE */
	if (argc == 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 ||
	    pipe2(outp, O_CLOEXEC) < 0 || posix_spawn_file_actions_init(&fa) != 0)
		goto out;
	fa_ok = true;
	if (posix_spawn_file_actions_adddup2(&fa, in[1], 0) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, outp[1], 1) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, outp[1], 2) != 0 ||
	    posix_spawn(&pid, argv[0], &fa, NULL, argv, envp) != 0) {
		snprintf(why, size, "could not start %s: %s", argv[0], strerror(errno));
		pid = -1;
		goto out;
	}
	close(in[1]);
	close(outp[1]);
	in[1] = outp[1] = -1;
	fcntl(in[0], F_SETFL, O_NONBLOCK);
	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	while (time(NULL) < deadline && (in[0] >= 0 || outp[0] >= 0)) {
		struct pollfd p[2] = { { in[0], POLLOUT, 0 }, { outp[0], POLLIN, 0 } };
		if (poll(p, 2, 1000) < 0 && errno != EINTR)
			break;
		if (in[0] >= 0 && p[0].revents) {
			ssize_t w = send(in[0], text + sent, len - sent, MSG_NOSIGNAL);
			if (w > 0)
				sent += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || sent == len) {
				close(in[0]); /* end of the message */
				in[0] = -1;
			}
		}
		if (outp[0] >= 0 && p[1].revents) {
			char chunk[512];
			ssize_t k = read(outp[0], chunk, sizeof(chunk));
			if (k > 0 && got < sizeof(output) - 1) {
				size_t c = (size_t)k < sizeof(output) - 1 - got
						   ? (size_t)k
						   : sizeof(output) - 1 - got;
				memcpy(output + got, chunk, c);
				got += c;
				output[got] = '\0';
			}
			if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
				close(outp[0]);
				outp[0] = -1;
			}
		}
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (time(NULL) >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(why, size, "%s did not finish within %d seconds", argv[0],
				 IDM_NOTIFY_TIMEOUT);
			pid = -1;
			goto out;
		}
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	pid = -1;
	for (char *c = output; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && sent == len)
		r = IDM_OK;
	else if (WIFEXITED(status))
		snprintf(why, size, "%s exited with status %d%s%s", argv[0], WEXITSTATUS(status),
			 *output ? ": " : "", output);
	else
		snprintf(why, size, "%s was killed by signal %d", argv[0],
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	free(copy);
	return r;
}

/* Claims n for this run: idmDeliveryAttempts moves from what was read to
 * one more, in one modify; a concurrent run's claim makes it fail. */
static int claim(struct idm_dir *d, const struct idm_notice *n)
{
	struct idm_mods *m = idm_mods_new();
	char was[24], now[24];
	int r;

	snprintf(was, sizeof(was), "%ld", n->attempts);
	snprintf(now, sizeof(now), "%ld", n->attempts + 1);
	if (n->attempts > 0)
		idm_mods_add(m, LDAP_MOD_DELETE, "idmDeliveryAttempts", was);
	idm_mods_add(m, LDAP_MOD_ADD, "idmDeliveryAttempts", now);
	r = idm_mods_array(m) ? idm_dir_modify(d, n->dn, idm_mods_array(m)) : IDM_ENOMEM;
	idm_mods_free(m);
	return r;
}

static int mark(struct idm_dir *d, const struct idm_notice *n, bool delivered, const char *why)
{
	struct idm_mods *m = idm_mods_new();
	char now[IDM_GENTIME_LEN];
	int r;

	idm_time_format(time(NULL), now);
	if (delivered)
		idm_mods_add(m, LDAP_MOD_REPLACE, "idmDeliveredTime", now);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmDeliveryError", delivered ? NULL : why);
	r = idm_mods_array(m) ? idm_dir_modify(d, n->dn, idm_mods_array(m)) : IDM_ENOMEM;
	idm_mods_free(m);
	return r;
}

struct delivery {
	struct idm_dir *d;
	const struct idm_config *cfg;
	const struct idm_log *log;
	struct idm_notice_summary *sum;
};

static int deliver_one(void *ctx, const struct idm_notice *n)
{
	struct delivery *v = ctx;
	struct to t = { { 0 }, 0 };
	char *msg = NULL, why[512] = "";
	int r;

	if (n->delivered)
		return IDM_OK;
	if (claim(v->d, n) < 0) {
		idm_logf(v->log, LOG_INFO, N_("notice %s: being delivered by another run"), n->id);
		return IDM_OK; /* the other run delivers it */
	}
	r = recipients(v->d, v->cfg, n, &t);
	if (r == IDM_OK && t.n == 0) {
		snprintf(why, sizeof(why), "no recipient has a mail address");
		r = IDM_ESTATE;
	} else if (r < 0) {
		snprintf(why, sizeof(why), "recipients: %s", idm_strerror(r));
	}
	if (r == IDM_OK)
		r = idm_notice_message(v->cfg, n, (const char *const *)t.v, t.n, time(NULL), &msg);
	if (r == IDM_OK)
		r = run_command(v->cfg->notify.command, msg, why, sizeof(why));
	if (r == IDM_OK)
		r = mark(v->d, n, true, NULL);
	if (r == IDM_OK) {
		v->sum->delivered++;
		idm_logf(v->log, LOG_NOTICE, N_("notice %s (%s %s) delivered to %zu recipients"),
			 n->id, n->action, n->subject ? n->subject : "-", t.n);
	} else if (r != IDM_EUNAVAIL) {
		v->sum->failed++;
		v->sum->pending++;
		idm_logf(v->log, LOG_ERR, N_("notice %s not delivered: %s (tried again next run)"),
			 n->id, *why ? why : idm_strerror(r));
		mark(v->d, n, false, *why ? why : idm_strerror(r));
		r = IDM_OK;
	}
	for (size_t i = 0; i < t.n; i++)
		free(t.v[i]);
	free(msg);
	return r;
}

static int count_pending(void *ctx, const struct idm_notice *n)
{
	(void)n;
	((struct idm_notice_summary *)ctx)->pending++;
	return IDM_OK;
}

int idm_notice_deliver(struct idm_dir *d, const struct idm_config *cfg, const struct idm_log *log,
		       struct idm_notice_summary *sum)
{
	struct idm_notice_summary local = { 0 };
	struct delivery v = { d, cfg, log, sum ? sum : &local };
	int r;

	*v.sum = (struct idm_notice_summary){ 0 };
	if (!cfg->notify.command || !*cfg->notify.command) {
		r = idm_notice_each(d, cfg, true, count_pending, v.sum);
		return r < 0 ? r : IDM_ECONFIG;
	}
	r = idm_notice_each(d, cfg, true, deliver_one, &v);
	if (r == IDM_OK && v.sum->failed)
		r = IDM_ESTATE;
	return r;
}
