/* The command as a client of idmgrd (idmgrd-api(7)): libcurl over the
 * service's Unix socket.  Every change to the directory goes this way; the
 * service authenticates the operator again and enforces every rule. */
#include "config.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "idm_i18n.h"
#include "idm_api.h"
#include "idm_error.h"
#include "idm_secret.h"
#include "prompt.h"

struct buf {
	char *data;
	size_t len, cap;
	bool too_big;
	/* a streaming answer: each complete line is handed over as it comes */
	void (*line)(struct buf *b, json_t *j);
	const struct cmd_ctx *ctx;
	client_item_fn item;
	void *item_ctx;
	json_t *last; /* the final line: the answer */
};

static void take_lines(struct buf *b)
{
	char *nl;

	while ((nl = memchr(b->data, '\n', b->len))) {
		size_t n = (size_t)(nl - b->data) + 1;
		json_t *j = json_loadb(b->data, n - 1, 0, NULL);
		if (j)
			b->line(b, j);
		explicit_bzero(b->data, n);
		memmove(b->data, b->data + n, b->len - n);
		b->len -= n;
		b->data[b->len] = '\0';
	}
}

/* The answer may hold a temporary password: grown by copying, old copies
 * wiped. */
static size_t collect(char *ptr, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	size_t add = size * n;

	if (b->too_big || b->len + add > 64u * 1024 * 1024) {
		b->too_big = true;
		return 0;
	}
	if (b->len + add + 1 > b->cap) {
		size_t cap = (b->len + add + 1) * 2;
		char *nd = malloc(cap);
		if (!nd)
			return 0;
		if (b->data) {
			memcpy(nd, b->data, b->len);
			explicit_bzero(b->data, b->cap);
			free(b->data);
		}
		b->data = nd;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, add);
	b->len += add;
	b->data[b->len] = '\0';
	if (b->line)
		take_lines(b);
	return add;
}

static void buf_clear(struct buf *b)
{
	if (b->data)
		explicit_bzero(b->data, b->cap);
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* One HTTP exchange with the idmgrd at where (an https:// URL or a Unix
 * socket's path).  body NULL: GET path.  *unsent: it failed before the
 * request could have reached a service (no connection, a certificate
 * refused), so another may be asked. */
static int exchange_at(const struct idm_config *cfg, const struct idm_log *log, const char *where,
		       bool more, const char *path, const char *body, long timeout,
		       bool small_buffer, struct buf *out, long *status, bool *unsent)
{
	char url[600], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	CURL *curl = curl_easy_init();
	CURLcode rc;
	int r = IDM_OK;

	*status = 0;
	if (!curl)
		return IDM_ENOMEM;
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, "Expect:");
	if (strncmp(where, "https://", 8) == 0) { /* another host: TLS, the certificate checked */
		size_t n = strlen(where);
		snprintf(url, sizeof(url), "%.*s%s", (int)(n && where[n - 1] == '/' ? n - 1 : n),
			 where, path);
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
		if (*cfg->service.ca_file)
			curl_easy_setopt(curl, CURLOPT_CAINFO, cfg->service.ca_file);
	} else {
		snprintf(url, sizeof(url), "http://idmgrd%s", path);
		curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, where);
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, cfg->ldap.timeout);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
	if (small_buffer) /* a stream: read no further ahead than needed */
		curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 1024L);
	if (body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	rc = curl_easy_perform(curl);
	*unsent = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
		  rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION;
	more = more && *unsent;
	if (rc != CURLE_OK) {
		const char *why = *errbuf ? errbuf : curl_easy_strerror(rc);
		if (more)
			idm_logf(log, LOG_WARNING,
				 N_("the idmgr service (idmgrd) does not answer on %s: %s; trying "
				    "the next"),
				 where, why);
		else
			idm_logf(log, LOG_ERR,
				 N_("the idmgr service (idmgrd) does not answer on %s: %s"), where,
				 why);
		r = IDM_EUNAVAIL;
	} else {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return r;
}

/* The n-th place idmgrd may answer (idmgrd(8)): service.url, else
 * service.socket, then each of service.failover; false past the last. */
static bool endpoint(const struct idm_config *cfg, size_t n, char *buf, size_t size)
{
	const char *p = cfg->service.failover;

	if (n == 0) {
		snprintf(buf, size, "%s",
			 *cfg->service.url ? cfg->service.url : cfg->service.socket);
		return true;
	}
	for (;;) {
		size_t len;
		p += strspn(p, " \t");
		len = strcspn(p, " \t");
		if (!len)
			return false;
		if (--n == 0) {
			snprintf(buf, size, "%.*s", (int)len, p);
			return true;
		}
		p += len;
	}
}

/* The exchange with the first idmgrd that answers as the writer: one that
 * cannot be reached, or refuses as a standby or because the writer's
 * server is down (HTTP 503, before doing anything), passes to the next;
 * one that fails after the request was sent does not (it may have been
 * done).  Past the last, the result of
 * the most telling refusal: one naming a server that is down before one
 * saying "standby". */
static int exchange(const struct idm_config *cfg, const struct idm_log *log, const char *path,
		    const char *body, long timeout, bool small_buffer, struct buf *out, long *status)
{
	struct buf keep = { 0 };
	long keep_status = 0;
	bool keep_standby = true;
	char where[600];
	int r = IDM_EUNAVAIL;

	for (size_t n = 0; endpoint(cfg, n, where, sizeof(where)); n++) {
		struct buf try = *out;
		json_t *j;
		char next[600];
		bool more = endpoint(cfg, n + 1, next, sizeof(next)), unsent = false;
		r = exchange_at(cfg, log, where, more, path, body, timeout, small_buffer, &try,
				status, &unsent);
		if (r == IDM_OK && *status != 503) {
			*out = try;
			buf_clear(&keep);
			return r;
		}
		if (r != IDM_OK && unsent) {
			buf_clear(&try);
			continue;
		}
		if (r != IDM_OK) { /* it may have been carried out: not sent elsewhere */
			*out = try;
			buf_clear(&keep);
			return r;
		}
		j = try.data ? json_loadb(try.data, try.len, 0, NULL) : NULL;
		if (!keep.data || (keep_standby && !json_is_true(json_object_get(j, "standby")))) {
			buf_clear(&keep);
			keep = try;
			keep_status = *status;
			keep_standby = json_is_true(json_object_get(j, "standby"));
		} else {
			buf_clear(&try);
		}
		json_decref(j);
		idm_logf(log, LOG_DEBUG, N_("%s: not the writer (HTTP 503); trying the next"),
			 where);
	}
	if (!keep.data)
		return r;
	/* the refusal, as an answer (a stream's too: its one line) */
	keep.line = out->line;
	keep.ctx = out->ctx;
	keep.item = out->item;
	keep.item_ctx = out->item_ctx;
	if (keep.line) {
		keep.last = json_loadb(keep.data, keep.len, 0, NULL);
		keep.len = 0;
	}
	*out = keep;
	*status = keep_status;
	return IDM_OK;
}

/* What the core logged in the service, shown as the command shows its own
 * messages (syslog already has them, from the service). */
static void print_messages(const struct cmd_ctx *ctx, json_t *messages)
{
	size_t i;
	json_t *m;

	json_array_foreach (messages, i, m) {
		int priority = (int)json_integer_value(json_object_get(m, "priority"));
		const char *text = json_string_value(json_object_get(m, "text"));
		const char *msgid = json_string_value(json_object_get(m, "msgid"));
		const char *where = json_string_value(json_object_get(m, "where"));
		json_t *a = json_object_get(m, "args"), *v;
		const char *args[IDM_LOG_MAXARGS];
		size_t j, n = json_array_size(a);

		if (!text)
			continue;
		json_array_foreach (a, j, v)
			if (j < IDM_LOG_MAXARGS && !(args[j] = json_string_value(v)))
				msgid = NULL;
		if (msgid && n <= IDM_LOG_MAXARGS) /* said in the reader's language */
			show_message(ctx, priority, where, msgid, args, (int)n, text);
		else /* an older service's answer */
			print_message(ctx, priority, text);
	}
}

static void stream_line(struct buf *b, json_t *j)
{
	json_t *v;

	if ((v = json_object_get(j, "message"))) {
		json_t *one = json_array();
		json_array_append(one, v);
		print_messages(b->ctx, one);
		json_decref(one);
	} else if ((v = json_object_get(j, "finding"))) {
		if (b->item)
			b->item(b->item_ctx, v);
	} else {
		json_decref(b->last);
		b->last = json_incref(j);
	}
	json_decref(j);
}

static int call(struct cmd_ctx *ctx, const struct idm_config *cfg, const char *op, json_t *args,
		client_item_fn item, void *item_ctx, json_t **result)
{
	const char *uid = ctx_operator_uid(ctx);
	char *password = NULL, *body = NULL;
	struct buf ans = { .ctx = ctx, .item = item, .item_ctx = item_ctx };
	json_t *req = NULL, *reply = NULL, *code;
	json_error_t jerr;
	long status = 0;
	int r;

	*result = NULL;
	if (item)
		ans.line = stream_line;
	if (!uid) {
		json_decref(args);
		return IDM_EINVAL;
	}
	r = ctx->password_file ? idm_secret_read(ctx->password_file, &ctx->log, &password)
			       : prompt_password(_("Your directory password: "), &password);
	if (r < 0) {
		json_decref(args);
		return r;
	}
	req = json_pack("{s:i, s:s, s:s, s:s, s:o, s:b}", "version", IDM_API_VERSION, "operator",
			uid, "password", password, "op", op, "args", args, "verbose",
			ctx->log.debug);
	idm_secret_free(password);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req); /* jansson's copies are wiped when freed (idmgr.c) */
	if (!body) {
		r = IDM_ENOMEM;
		goto out;
	}
	/* A sweep reads every account; other ops take a few round trips. */
	r = exchange(cfg, &ctx->log, IDM_API_PATH, body, item ? 3600 : 300, item != NULL, &ans,
		     &status);
	if (r < 0)
		goto out;
	if (item) { /* the answer is the last line */
		reply = ans.last;
		ans.last = NULL;
	} else {
		reply = json_loadb(ans.data ? ans.data : "", ans.len, 0, &jerr);
	}
	code = json_object_get(reply, "code");
	if (!json_is_integer(code)) {
		idm_logf(&ctx->log, LOG_ERR,
			 N_("the idmgr service answered HTTP %ld without a result"), status);
		r = IDM_EUNAVAIL;
		goto out;
	}
	print_messages(ctx, json_object_get(reply, "messages"));
	r = (int)json_integer_value(code);
	if (r > 0 || r < IDM_ELIMIT)
		r = IDM_EDIR;
	*result = json_incref(json_object_get(reply, "result"));
out:
	json_decref(reply);
	if (body) {
		explicit_bzero(body, strlen(body));
		free(body);
	}
	json_decref(ans.last);
	buf_clear(&ans);
	return r;
}

int client_call(struct cmd_ctx *ctx, const struct idm_config *cfg, const char *op, json_t *args,
		json_t **result)
{
	return call(ctx, cfg, op, args, NULL, NULL, result);
}

int client_call_stream(struct cmd_ctx *ctx, const struct idm_config *cfg, const char *op,
		       json_t *args, client_item_fn item, void *item_ctx, json_t **result)
{
	return call(ctx, cfg, op, args, item, item_ctx, result);
}

int client_version(const struct cmd_ctx *ctx, const struct idm_config *cfg, char **version)
{
	struct buf ans = { 0 };
	json_t *reply;
	const char *v;
	long status = 0;
	int r;

	*version = NULL;
	r = exchange(cfg, &ctx->log, IDM_API_VERSION_PATH, NULL, cfg->ldap.timeout, false, &ans,
		     &status);
	if (r < 0)
		return r;
	reply = json_loadb(ans.data ? ans.data : "", ans.len, 0, NULL);
	v = json_string_value(json_object_get(reply, "version"));
	if (status != 200 || !v) {
		idm_logf(&ctx->log, LOG_ERR, N_("%s answers, but not as idmgrd does (HTTP %ld)"),
			 cfg->service.socket, status);
		r = IDM_EUNAVAIL;
	} else if (asprintf(version, "%s (%s)", v,
			    json_string_value(json_object_get(reply, "state"))
				    ? json_string_value(json_object_get(reply, "state"))
				    : "?") < 0) {
		*version = NULL;
		r = IDM_ENOMEM;
	}
	json_decref(reply);
	buf_clear(&ans);
	return r;
}
