/* The idmgrd protocol without HTTP or a directory (idmgrd-api(7),
 * lib/service/idm_api.h): what the parser accepts and refuses, with the
 * member named, never echoing a password; and the refusal rate limiter.
 * R-AUD-2 (input checked for range and validity). */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "idm_api.h"
#include "idm_error.h"
#include "idm_ratelimit.h"

static int parse(const char *body, char *why, struct idm_api_request **req)
{
	return idm_api_parse(body, strlen(body), req, why, 256);
}

START_TEST(accepts_each_operation)
{
	static const char *const good[] = {
		"{\"version\":1,\"operator\":\"suzuki\",\"password\":\"pw\",\"op\":\"request.approve\","
		"\"args\":{\"id\":\"R1\"}}",
		"{\"version\":1,\"operator\":\"tanaka\",\"password\":\"pw\",\"op\":\"request.submit\","
		"\"args\":{\"form\":\"type = 'register'\\nuid = 'a'\\n\",\"name\":\"f.form\"}}",
		"{\"version\":1,\"operator\":\"t\",\"password\":\"pw\",\"op\":\"user.suspend\","
		"\"args\":{\"uid\":\"a\",\"manager\":null,\"emergency\":true},\"verbose\":true}",
		"{\"version\":1,\"operator\":\"s\",\"password\":\"pw\",\"op\":\"sweep.apply\","
		"\"args\":{\"inactive_days\":90}}",
		"{\"version\":1,\"operator\":\"s\",\"password\":\"pw\",\"op\":\"audit.reconcile\","
		"\"args\":{}}",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct idm_api_request *req = NULL;
		char why[256];
		ck_assert_msg(parse(good[i], why, &req) == IDM_OK, "%zu: %s", i, why);
		ck_assert_ptr_nonnull(req);
		ck_assert_ptr_nonnull(req->op);
		idm_api_request_free(req);
	}
}
END_TEST

/* Each malformed request is refused naming what is wrong, and the reason
 * never holds the password. */
START_TEST(refuses_with_the_member_named)
{
	static const struct {
		const char *body, *why;
	} bad[] = {
		{ "not json Secret-1", "not JSON" },
		{ "[1]", "must be a JSON object" },
		{ "{\"version\":2}", "version: must be 1" },
		{ "{\"version\":1,\"op\":\"request.approve\",\"operator\":\"a\",\"password\":\"Secret-1\","
		  "\"args\":{\"id\":\"R\"},\"role\":\"ciso\"}",
		  "unknown member \"role\"" },
		{ "{\"version\":1,\"op\":\"user.delete\",\"operator\":\"a\",\"password\":\"Secret-1\","
		  "\"args\":{}}",
		  "\"user.delete\" is not an operation" },
		{ "{\"version\":1,\"op\":\"request.approve\",\"operator\":\"a\",\"password\":\"Secret-1\","
		  "\"args\":{}}",
		  "args.id: required member is missing" },
		{ "{\"version\":1,\"op\":\"request.approve\",\"operator\":\"a\",\"password\":\"Secret-1\","
		  "\"args\":{\"id\":7}}",
		  "args.id: must be a string" },
		{ "{\"version\":1,\"op\":\"request.approve\",\"operator\":\"a\",\"password\":\"Secret-1\","
		  "\"args\":{\"id\":\"R\\u001b[2J\"}}",
		  "args.id: holds a control character" },
		{ "{\"version\":1,\"op\":\"request.approve\",\"operator\":\"a\",\"password\":\"Secret-1\","
		  "\"args\":{\"id\":\"R\",\"approver\":\"sato\"}}",
		  "args: unknown member \"approver\"" },
		{ "{\"version\":1,\"op\":\"sweep.apply\",\"operator\":\"a\",\"password\":\"Secret-1\","
		  "\"args\":{\"inactive_days\":0}}",
		  "args.inactive_days: must be a number of days" },
		{ "{\"version\":1,\"op\":\"request.approve\",\"operator\":\"\",\"password\":\"Secret-1\","
		  "\"args\":{\"id\":\"R\"}}",
		  "operator: must be a uid" },
		{ "{\"version\":1,\"op\":\"request.approve\",\"operator\":\"a\",\"password\":\"\","
		  "\"args\":{\"id\":\"R\"}}",
		  "password: must be a string of 1 to 4096 bytes" },
		{ "{\"version\":1,\"version\":1}", "not JSON" }, /* repeated member */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct idm_api_request *req = NULL;
		char why[256];
		int r = parse(bad[i].body, why, &req);
		ck_assert_msg(r == IDM_EINVAL, "%zu: accepted (%d)", i, r);
		ck_assert_ptr_null(req);
		ck_assert_msg(strstr(why, bad[i].why), "%zu: \"%s\"", i, why);
		ck_assert_msg(!strstr(why, "Secret-1"), "%zu: the password in \"%s\"", i, why);
	}
}
END_TEST

START_TEST(refuses_an_oversized_body)
{
	size_t n = IDM_API_BODY_MAX + 1;
	char *body = malloc(n), why[256];
	struct idm_api_request *req = NULL;

	memset(body, ' ', n);
	ck_assert_int_eq(idm_api_parse(body, n, &req, why, sizeof(why)), IDM_ERANGE);
	ck_assert_ptr_null(req);
	free(body);
}
END_TEST

START_TEST(ratelimit_blocks_then_forgets)
{
	struct idm_ratelimit *rl = idm_ratelimit_new(3, 60);

	for (int i = 0; i < 3; i++) {
		ck_assert(!idm_ratelimit_blocked(rl, "operator:a", 1000));
		idm_ratelimit_refused(rl, "operator:a", 1000 + i);
	}
	ck_assert(idm_ratelimit_blocked(rl, "operator:a", 1010));
	ck_assert(!idm_ratelimit_blocked(rl, "operator:b", 1010)); /* others unaffected */
	ck_assert(!idm_ratelimit_blocked(rl, "operator:a", 1060)); /* the window passed */
	/* a full table reuses the stalest slot, never grows */
	for (int i = 0; i < IDM_RATELIMIT_KEYS + 10; i++) {
		char key[32];
		snprintf(key, sizeof(key), "peer:%d", i);
		idm_ratelimit_refused(rl, key, 2000 + i);
	}
	idm_ratelimit_free(rl);
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, accepts_each_operation);
	tcase_add_test(tc, refuses_with_the_member_named);
	tcase_add_test(tc, refuses_an_oversized_body);
	tcase_add_test(tc, ratelimit_blocks_then_forgets);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(api_suite(), NULL);
}
