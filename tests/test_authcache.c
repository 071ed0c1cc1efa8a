/* idmgrd's memory of officers' recent binds (service.cached_auth_timeout,
 * idm_authcache.h; R-SOD-1, R-PRIV-3, R-PW-4): the protocol core is called
 * as idmgrd calls it, against the sandbox's real slapd.  A request within
 * the timeout of a bind, with the same password, is verified without a
 * bind; a wrong password is always a real bind, which ppolicy counts; a
 * lock, a suspension, a role taken away or a new password of the officer
 * takes effect on the very next request although the cache holds a bind;
 * a timeout of 0 binds every time; entries expire and are wiped. */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "idm_api.h"
#include "idm_authcache.h"
#include "idm_dir.h"
#include "idm_error.h"
#include "idm_mods.h"
#include "officers.h"

#define SUFFIX "dc=example,dc=org"
#define PEOPLE "ou=people," SUFFIX
#define ROLES "ou=roles,ou=idmgr," SUFFIX
#define HIT "password as verified by a bind"

static struct sandbox sb;

static void setup(void)
{
	sandbox_start(&sb, true);
	officers_ready(&sb, NULL, NULL);
}

static void teardown(void)
{
	sandbox_stop(&sb);
}

struct outcome {
	int code;
	bool authenticated, cached; /* cached: verified without a bind */
};

/* One "notices.deliver" request as idmgrd makes it (any officer role may;
 * notify.command is not set in the sandbox, so a request that passes
 * every check ends with IDM_ECONFIG and writes nothing). */
static struct outcome ask(struct idm_authcache *cache, const char *uid, const char *password)
{
	json_t *body =
		json_pack("{s:i, s:s, s:s, s:s, s:{}, s:b}", "version", 1, "operator", uid,
			  "password", password, "op", "notices.deliver", "args", "verbose", 1);
	char *text = json_dumps(body, JSON_COMPACT), why[256];
	struct idm_api_request *req = NULL;
	struct outcome o = { 0 };
	json_t *ans;

	ck_assert_int_eq(idm_api_parse(text, strlen(text), &req, why, sizeof(why)), IDM_OK);
	req->auth_cache = cache;
	capture_reset();
	ans = idm_api_handle(sb.cfg, &cap_log, req, &o.code);
	ck_assert_ptr_nonnull(ans);
	o.authenticated = req->authenticated;
	o.cached = logged(HIT) != NULL;
	json_decref(ans);
	idm_api_request_free(req);
	free(text);
	json_decref(body);
	return o;
}

/* Right password, every check passed: IDM_ECONFIG (nothing to deliver
 * with), bound or not as expected. */
static void ask_ok(struct idm_authcache *cache, const char *uid, const char *pw, bool cached)
{
	struct outcome o = ask(cache, uid, pw);

	ck_assert_msg(o.authenticated && o.code == IDM_ECONFIG,
		      "%s: code %d (%s), authenticated %d; messages:\n%s", uid, o.code,
		      idm_strerror(o.code), o.authenticated, captured.text);
	ck_assert_msg(o.cached == cached, "%s: %s, expected %s; messages:\n%s", uid,
		      o.cached ? "cached" : "bound", cached ? "cached" : "a bind", captured.text);
}

static int values(const char *uid, const char *attr)
{
	char dn[256], *v;
	int n = 0;

	snprintf(dn, sizeof(dn), "uid=%s," PEOPLE, uid);
	v = sandbox_admin_read(&sb, dn, attr);
	for (const char *p = v; *p; p++)
		n += *p == '\n';
	free(v);
	return n;
}

__attribute__((format(printf, 1, 2))) static void admin_modify(const char *fmt, ...)
{
	va_list ap;
	char ldif[1024];

	va_start(ap, fmt);
	vsnprintf(ldif, sizeof(ldif), fmt, ap);
	va_end(ap);
	ck_assert_msg(sandbox_ldapmodify(&sb, ldif) == 0, "ldapmodify:\n%s", ldif);
}

START_TEST(cached_bind_stands_for_the_next_request)
{
	struct idm_authcache *c = idm_authcache_new(60);
	char *pw = officer_password(&sb, "suzuki");

	ask_ok(c, "suzuki", pw, false); /* the bind */
	ck_assert_int_eq(idm_authcache_count(c), 1);
	ask_ok(c, "suzuki", pw, true);
	ask_ok(c, "suzuki", pw, true);
	ck_assert_int_eq(idm_authcache_count(c), 1);
	idm_authcache_free(c);
	free(pw);
}
END_TEST

/* A wrong password after a cached bind is a real bind: refused, and slapd
 * counts the failure (pwdFailureTime) as it counts a login's. */
START_TEST(wrong_password_after_cached_hit_binds_and_counts)
{
	struct idm_authcache *c = idm_authcache_new(60);
	char *pw = officer_password(&sb, "watanabe");
	struct outcome o;
	int before;

	ask_ok(c, "watanabe", pw, false);
	ask_ok(c, "watanabe", pw, true);
	before = values("watanabe", "pwdFailureTime");
	o = ask(c, "watanabe", "not the password 1!");
	ck_assert_int_eq(o.code, IDM_EAUTH);
	ck_assert(!o.authenticated && !o.cached);
	ck_assert_logged("wrong password");
	ck_assert_int_eq(values("watanabe", "pwdFailureTime"), before + 1);
	/* the cache was not touched by it */
	ck_assert_int_eq(idm_authcache_count(c), 1);
	ask_ok(c, "watanabe", pw, true);
	idm_authcache_free(c);
	free(pw);
}
END_TEST

/* ppolicy's lock (what slapd enforces on every bind), set while the cache
 * holds a bind: the next request is refused; unlocked, it binds again. */
START_TEST(lock_takes_effect_despite_cache)
{
	struct idm_authcache *c = idm_authcache_new(60);
	char *pw = officer_password(&sb, "tanaka");
	struct outcome o;

	ask_ok(c, "tanaka", pw, false);
	ask_ok(c, "tanaka", pw, true);
	admin_modify("dn: uid=%s," PEOPLE "\nchangetype: modify\nadd: pwdAccountLockedTime\n"
		     "pwdAccountLockedTime: %s\n",
		     "tanaka", "000001010000Z");
	o = ask(c, "tanaka", pw);
	ck_assert_msg(!o.authenticated && !o.cached && o.code < 0, "code %d; messages:\n%s", o.code,
		      captured.text);
	ck_assert_int_eq(idm_authcache_count(c), 0);
	admin_modify("dn: uid=%s," PEOPLE "\nchangetype: modify\ndelete: pwdAccountLockedTime\n%s",
		     "tanaka", "");
	ask_ok(c, "tanaka", pw, false);
	ask_ok(c, "tanaka", pw, true);
	idm_authcache_free(c);
	free(pw);
}
END_TEST

/* Suspended (idmStatus) while the cache holds a bind: refused at once. */
START_TEST(suspension_takes_effect_despite_cache)
{
	struct idm_authcache *c = idm_authcache_new(60);
	char *pw = officer_password(&sb, "sato");
	struct outcome o;

	ask_ok(c, "sato", pw, false);
	ask_ok(c, "sato", pw, true);
	admin_modify("dn: uid=%s," PEOPLE "\nchangetype: modify\nreplace: idmStatus\n"
		     "idmStatus: %s\n",
		     "sato", "suspended");
	o = ask(c, "sato", pw);
	ck_assert_msg(!o.authenticated && !o.cached && o.code == IDM_EDENIED,
		      "code %d; messages:\n%s", o.code, captured.text);
	ck_assert_logged("operator sato: the account is suspended");
	ck_assert_int_eq(idm_authcache_count(c), 0);
	admin_modify("dn: uid=%s," PEOPLE "\nchangetype: modify\nreplace: idmStatus\n"
		     "idmStatus: %s\n",
		     "sato", "active");
	ask_ok(c, "sato", pw, false);
	idm_authcache_free(c);
	free(pw);
}
END_TEST

/* The officer's only role taken away while the cache holds a bind: the
 * next request is the roles' as they are now (refused), and the cache
 * entry is gone. */
START_TEST(role_removal_takes_effect_despite_cache)
{
	struct idm_authcache *c = idm_authcache_new(60);
	char *pw = officer_password(&sb, "takahashi");
	struct outcome o;

	ask_ok(c, "takahashi", pw, false);
	ask_ok(c, "takahashi", pw, true);
	admin_modify("dn: cn=system_admin," ROLES "\nchangetype: modify\ndelete: member\n"
		     "member: uid=%s," PEOPLE "\n%s",
		     "takahashi", "");
	o = ask(c, "takahashi", pw);
	ck_assert_msg(o.authenticated && !o.cached && o.code == IDM_EDENIED,
		      "code %d; messages:\n%s", o.code, captured.text);
	ck_assert_logged("operator takahashi does not hold");
	admin_modify("dn: cn=system_admin," ROLES "\nchangetype: modify\nadd: member\n"
		     "member: uid=%s," PEOPLE "\n%s",
		     "takahashi", "");
	ask_ok(c, "takahashi", pw, false); /* the entry was dropped: a bind */
	ask_ok(c, "takahashi", pw, true);
	idm_authcache_free(c);
	free(pw);
}
END_TEST

/* The officer's password reset (the audited reset, by a system_admin)
 * while the cache holds a bind with the old one: the old password is
 * refused at once, by a real bind; the temporary one can only change. */
START_TEST(password_reset_takes_effect_despite_cache)
{
	struct idm_authcache *c = idm_authcache_new(60);
	char *pw = officer_password(&sb, "ito"), *out = NULL, *err = NULL;
	struct outcome o;

	ask_ok(c, "ito", pw, false);
	ask_ok(c, "ito", pw, true);
	ck_assert_msg(idmgr_as(&sb, "tanaka", &out, &err, "user", "reset-password", "ito", NULL) == 0,
		      "reset-password: %s%s", out, err);
	o = ask(c, "ito", pw);
	ck_assert_msg(!o.authenticated && !o.cached && o.code == IDM_EAUTH,
		      "code %d; messages:\n%s", o.code, captured.text);
	ck_assert_int_eq(idm_authcache_count(c), 0);
	idm_authcache_free(c);
	free(out);
	free(err);
	free(pw);
}
END_TEST

/* The officer changes their own password (idmgr passwd) while the cache
 * holds a bind with the old one: the old password is refused at once by
 * a real bind, the new one binds.  (Its change time is set back two days
 * first, by the directory administrator, so that the policy's minimum age
 * allows the change; the cache entry is made after that.) */
START_TEST(password_change_takes_effect_despite_cache)
{
	struct idm_authcache *c = idm_authcache_new(60);
	char *pw = officer_password(&sb, "watanabe"), *out = NULL, *err = NULL, stamp[32], path[700];
	const char *newpw = "Changed while cached, 2026!";
	time_t then = time(NULL) - 2 * 86400;
	struct idm_dir *admin = NULL;
	struct idm_mods *m = idm_mods_new();
	struct outcome o;

	strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%SZ", gmtime(&then));
	idm_mods_add(m, LDAP_MOD_REPLACE, "pwdChangedTime", stamp);
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, sb.admin_dn, sb.admin_password, &admin), IDM_OK);
	ck_assert_int_eq(idm_dir_modify_relax(admin, "uid=watanabe," PEOPLE, idm_mods_array(m)),
			 IDM_OK);
	idm_mods_free(m);
	idm_dir_close(admin);
	ask_ok(c, "watanabe", pw, false);
	ask_ok(c, "watanabe", pw, true);
	snprintf(path, sizeof(path), "%s/watanabe.new", sb.dir);
	write_file(path, newpw, 0600);
	ck_assert_msg(idmgr_as(&sb, "watanabe", &out, &err, "passwd", "--new-password-file", path,
			       NULL) == 0,
		      "passwd: %s%s", out, err);
	o = ask(c, "watanabe", pw);
	ck_assert_msg(!o.authenticated && !o.cached && o.code == IDM_EAUTH,
		      "code %d; messages:\n%s", o.code, captured.text);
	ask_ok(c, "watanabe", newpw, false);
	ask_ok(c, "watanabe", newpw, true);
	snprintf(path, sizeof(path), "%s/watanabe.pw", sb.dir);
	write_file(path, newpw, 0600);
	idm_authcache_free(c);
	free(out);
	free(err);
	free(pw);
}
END_TEST

START_TEST(timeout_zero_binds_every_time)
{
	struct idm_authcache *c = idm_authcache_new(0);
	char *pw = officer_password(&sb, "suzuki");

	ask_ok(c, "suzuki", pw, false);
	ask_ok(c, "suzuki", pw, false);
	ck_assert_int_eq(idm_authcache_count(c), 0);
	idm_authcache_free(c);
	/* no cache at all (what a caller without one passes) is the same */
	ask_ok(NULL, "suzuki", pw, false);
	free(pw);
}
END_TEST

/* An entry is kept for less than the timeout, then wiped by the cache's
 * own thread: the next request binds. */
START_TEST(cache_entries_expire)
{
	struct idm_authcache *c = idm_authcache_new(1);
	char *pw = officer_password(&sb, "suzuki");

	ask_ok(c, "suzuki", pw, false);
	ck_assert_int_eq(idm_authcache_count(c), 1);
	usleep(1600 * 1000);
	ck_assert_int_eq(idm_authcache_count(c), 0); /* wiped without a request */
	ask_ok(c, "suzuki", pw, false);
	idm_authcache_free(c);
	free(pw);
}
END_TEST

static Suite *authcache_suite(void)
{
	Suite *s = suite_create("authcache");
	TCase *tc = tcase_create("authcache");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, cached_bind_stands_for_the_next_request);
	tcase_add_test(tc, wrong_password_after_cached_hit_binds_and_counts);
	tcase_add_test(tc, lock_takes_effect_despite_cache);
	tcase_add_test(tc, suspension_takes_effect_despite_cache);
	tcase_add_test(tc, role_removal_takes_effect_despite_cache);
	tcase_add_test(tc, password_reset_takes_effect_despite_cache);
	tcase_add_test(tc, password_change_takes_effect_despite_cache);
	tcase_add_test(tc, timeout_zero_binds_every_time);
	tcase_add_test(tc, cache_entries_expire);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(authcache_suite(), NULL);
}
