/* Integration tests of the directory layer, hashing and bootstrap against a
 * real slapd started by idmgr-sandbox (R-PW-5, R-AUD-2, contract §3, §5). */
#include "config.h"

#include <argon2.h>
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "idm_account.h"
#include "idm_login.h"
#include "idm_dir.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_passhash.h"

static struct sandbox sb;

static void suite_setup(void)
{
	sandbox_start(&sb, true);
}

static void suite_teardown(void)
{
	sandbox_stop(&sb);
}

static const char *idmgr_bin(void)
{
	const char *v = getenv("IDMGR_BIN");
	return v && *v ? v : "../idmgr/idmgr";
}

/* Adds uid=UID,ou=people with the given userPassword value. */
static void add_user(const char *uid, const char *hash)
{
	char ldif[2048];

	snprintf(ldif, sizeof(ldif),
		 "dn: uid=%s,ou=people,dc=example,dc=org\n"
		 "objectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: idmAccount\n"
		 "uid: %s\ncn: %s\nsn: %s\nuidNumber: %d\ngidNumber: 10000\n"
		 "homeDirectory: /home/%s\nidmStatus: active\nuserPassword: %s\n",
		 uid, uid, uid, uid, 20000 + (int)(random() % 10000), uid, hash);
	ck_assert_int_eq(sandbox_ldapadd(&sb, ldif), 0);
}

static char *user_dn(const char *uid)
{
	char *dn = NULL;
	ck_assert_int_eq(idm_dn_child(&dn, "uid", uid, "ou=people,dc=example,dc=org"), IDM_OK);
	return dn;
}

/* R-PW-5: a hash made here with libargon2 is one slapd's argon2 module
 * verifies: the user binds with the right password, not with a wrong one. */
START_TEST(argon2id_hash_binds_through_slapd)
{
	struct idm_dir *d = NULL;
	char *hash = NULL, *dn = user_dn("hashuser");
	const char *pw = "correct horse battery staple";

	capture_reset();
	ck_assert_int_eq(idm_hash_password(&sb.cfg->argon2, pw, strlen(pw), &hash), IDM_OK);
	ck_assert_str_eq(strstr(hash, "$m=") ? "ok" : "no", "ok");
	ck_assert(strncmp(hash, "{ARGON2}$argon2id$v=19$m=19456,t=2,p=1$", 39) == 0);
	add_user("hashuser", hash);
	ck_assert_int_eq(idm_dir_open(sb.cfg, &cap_log, dn, pw, &d), IDM_OK);
	idm_dir_close(d);
	d = NULL;
	ck_assert_int_eq(idm_dir_open(sb.cfg, &cap_log, dn, "correct horse battery stapler", &d),
			 IDM_EAUTH);
	ck_assert_ptr_null(d);
	free(hash);
	free(dn);
}
END_TEST

/* Old argon2i hashes (what slapd 2.5.13 itself writes) still verify. */
START_TEST(argon2i_hash_still_binds)
{
	struct idm_dir *d = NULL;
	char enc[256], *dn = user_dn("olduser"), ldhash[300];
	const char *pw = "an old password 1";
	const unsigned char salt[16] = "0123456789abcdef";

	ck_assert_int_eq(argon2i_hash_encoded(3, 4096, 1, pw, strlen(pw), salt, sizeof(salt), 32,
					      enc, sizeof(enc)),
			 ARGON2_OK);
	snprintf(ldhash, sizeof(ldhash), "{ARGON2}%s", enc);
	add_user("olduser", ldhash);
	ck_assert(idm_hash_weaker(ldhash, &sb.cfg->argon2));
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, dn, pw, &d), IDM_OK);
	idm_dir_close(d);
	free(dn);
}
END_TEST

/* RFC 4513: an empty password with a DN is an unauthenticated bind that
 * slapd answers with success; it must never reach the server. */
START_TEST(empty_password_never_binds)
{
	struct idm_dir *d = NULL;
	char *dn = user_dn("sato");

	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, dn, "", &d), IDM_EINVAL);
	ck_assert_ptr_null(d);
	free(dn);
}
END_TEST

static int count_entries(struct idm_dir *d, const char *filter)
{
	static const char *const attrs[] = { "1.1", NULL };
	LDAPMessage *res = NULL;
	int n, r = idm_dir_search(d, "ou=people,dc=example,dc=org", LDAP_SCOPE_SUBTREE, filter,
				  attrs, 0, &res);

	ck_assert_int_eq(r, IDM_OK);
	n = ldap_count_entries(idm_dir_ldap(d), res);
	ldap_msgfree(res);
	return n;
}

/* R-AUD-2, sssd CVE-2017-12173: values that would widen a filter match
 * nothing once escaped -- against the real server. */
START_TEST(escaped_filter_cannot_widen_search)
{
	static const char *const payloads[] = { "*", "*)(uid=*", "a*)(uid=*", "x)(|(uid=*", "\\2a" };
	struct idm_dir *d = NULL;
	char *filter = NULL, raw[128];

	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	/* The payload unescaped does widen the search: the test can fail. */
	snprintf(raw, sizeof(raw), "(uid=%s)", "*");
	ck_assert_int_gt(count_entries(d, raw), 3);
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		ck_assert_int_eq(idm_filter_fmt(&filter, "(uid=%s)", payloads[i]), IDM_OK);
		ck_assert_msg(count_entries(d, filter) == 0, "payload %s matched", payloads[i]);
		free(filter);
	}
	/* A NUL byte cannot cut the value short: "sato\0x" is not "sato". */
	ck_assert_int_eq(idm_filter_escape("sato\0x", 6, &filter), IDM_OK);
	ck_assert_str_eq(filter, "sato\\00x");
	snprintf(raw, sizeof(raw), "(uid=%s)", filter);
	ck_assert_int_eq(count_entries(d, raw), 0);
	ck_assert_int_eq(count_entries(d, "(uid=sato)"), 1);
	free(filter);
	idm_dir_close(d);
}
END_TEST

/* The uid validator stops metacharacters before any directory call. */
START_TEST(lookup_refuses_metacharacter_uids)
{
	static const char *const uids[] = { "*", "a*)(uid=*", "\\2a", "x)(|(uid=*", "sato)" };
	struct idm_dir *d = NULL;
	struct idm_account *a = NULL;

	ck_assert_int_eq(idm_dir_open_service(sb.cfg, NULL, &d), IDM_OK);
	for (size_t i = 0; i < sizeof(uids) / sizeof(uids[0]); i++) {
		ck_assert_int_eq(idm_account_lookup(d, sb.cfg, uids[i], &a), IDM_ENOENT);
		ck_assert_ptr_null(a);
	}
	ck_assert_int_eq(idm_account_lookup(d, sb.cfg, "sato", &a), IDM_OK);
	ck_assert_str_eq(a->dn, "uid=sato,ou=people,dc=example,dc=org");
	ck_assert(a->must_change);
	ck_assert(a->privileged);
	idm_account_free(a);
	idm_dir_close(d);
}
END_TEST

/* R-PW-5 trust model: the service identity cannot read a hash. */
START_TEST(service_identity_cannot_read_hashes)
{
	static const char *const attrs[] = { "userPassword", "idmPasswordHistory", "pwdHistory",
					     "uid", NULL };
	struct idm_dir *d = NULL;
	LDAPMessage *res = NULL, *e;
	char *v;

	ck_assert_int_eq(idm_dir_open_service(sb.cfg, NULL, &d), IDM_OK);
	ck_assert_int_eq(idm_dir_search(d, "uid=sato,ou=people,dc=example,dc=org", LDAP_SCOPE_BASE,
					"(objectClass=*)", attrs, 0, &res),
			 IDM_OK);
	e = ldap_first_entry(idm_dir_ldap(d), res);
	ck_assert_ptr_nonnull(e);
	v = idm_entry_value(idm_dir_ldap(d), e, "uid");
	ck_assert_str_eq(v, "sato");
	free(v);
	ck_assert_ptr_null(idm_entry_value(idm_dir_ldap(d), e, "userPassword"));
	ck_assert_ptr_null(idm_entry_value(idm_dir_ldap(d), e, "pwdHistory"));
	ldap_msgfree(res);
	idm_dir_close(d);
}
END_TEST

/* A copy of the sandbox configuration with another URI list and timeout. */
static struct idm_config *config_with_uris(const char *uris, int timeout)
{
	char path[700], name[64];
	struct idm_config *cfg = NULL;

	snprintf(name, sizeof(name), "variant-%d.conf", (int)random());
	sandbox_config_variant(&sb, name, uris, timeout, path, sizeof(path));
	ck_assert_int_eq(idm_config_load(path, NULL, &cfg), IDM_OK);
	return cfg;
}

/* libldap fails over only when connecting fails: a dead first URI. */
START_TEST(dead_first_uri_fails_over)
{
	char uris[256];
	struct idm_config *cfg;
	struct idm_dir *d = NULL;

	snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%d/ %s", closed_port(), sb.uri);
	cfg = config_with_uris(uris, 2);
	ck_assert_int_eq(idm_dir_open_service(cfg, NULL, &d), IDM_OK);
	ck_assert_str_eq(idm_dir_uri(d), sb.uri);
	idm_dir_close(d);
	idm_config_free(cfg);
}
END_TEST

/* A server that accepts and never answers is left after the timeout. */
START_TEST(hanging_first_uri_fails_over_within_timeout)
{
	char uris[256];
	struct idm_config *cfg;
	struct idm_dir *d = NULL;
	int fd, port = hanging_listener(&fd);
	double t0;

	snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%d/ %s", port, sb.uri);
	cfg = config_with_uris(uris, 1);
	t0 = now_s();
	ck_assert_int_eq(idm_dir_open_service(cfg, NULL, &d), IDM_OK);
	ck_assert_double_lt(now_s() - t0, 4.0);
	ck_assert_str_eq(idm_dir_uri(d), sb.uri);
	idm_dir_close(d);
	idm_config_free(cfg);
	close(fd);
}
END_TEST

/* No server answering at all: IDM_EUNAVAIL within the timeout, and the
 * PAM-facing auth says so too (fail closed). */
START_TEST(no_server_is_unavailable)
{
	char uris[256];
	struct idm_config *cfg;
	struct idm_dir *d = NULL;
	int fd, port = hanging_listener(&fd);
	double t0;

	snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%d/ ldap://127.0.0.1:%d/", port,
		 closed_port());
	cfg = config_with_uris(uris, 1);
	t0 = now_s();
	ck_assert_int_eq(idm_dir_open_service(cfg, NULL, &d), IDM_EUNAVAIL);
	ck_assert_double_lt(now_s() - t0, 4.0);
	{
		struct idm_auth_result res;
		ck_assert_int_eq(idm_login_authenticate(cfg, NULL, "sato", "whatever it is", NULL,
							&res),
				 IDM_EUNAVAIL);
		ck_assert_int_eq(res.reason, IDM_AUTH_UNAVAILABLE);
	}
	idm_config_free(cfg);
	close(fd);
}
END_TEST

/* A server that dies in mid-session: the next operation moves on to the
 * next URI and succeeds there. */
START_TEST(server_dying_mid_session_fails_over)
{
	struct sandbox other;
	char uris[300], *pidtext, path[700];
	struct idm_config *cfg;
	struct idm_dir *d = NULL;
	int n;

	sandbox_start(&other, false);
	snprintf(uris, sizeof(uris), "%s %s", other.uri, sb.uri);
	cfg = config_with_uris(uris, 2);
	/* Both sandboxes have the same administrator DN but not the same
	 * password: bind as the first one's administrator to prove which
	 * server answers, then kill it. */
	ck_assert_int_eq(idm_dir_open(cfg, NULL, other.admin_dn, other.admin_password, &d), IDM_OK);
	ck_assert_str_eq(idm_dir_uri(d), other.uri);
	snprintf(path, sizeof(path), "%s/slapd.pid", other.dir);
	pidtext = slurp(path);
	ck_assert_ptr_nonnull(pidtext);
	ck_assert_int_eq(kill((pid_t)atoi(pidtext), SIGKILL), 0);
	free(pidtext);
	usleep(200000);
	/* The rebind on the second server uses the same credentials, which it
	 * refuses: a definitive answer, not "unavailable". */
	n = idm_dir_exists(d, "dc=example,dc=org");
	ck_assert_int_eq(n, IDM_EAUTH);
	idm_dir_close(d);
	d = NULL;
	/* With credentials both accept (the service identity exists only in
	 * sb, so use sb's admin on a list whose first server is dead). */
	ck_assert_int_eq(idm_dir_open(cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	ck_assert_str_eq(idm_dir_uri(d), sb.uri);
	ck_assert_int_eq(idm_dir_exists(d, "dc=example,dc=org"), IDM_OK);
	idm_dir_close(d);
	idm_config_free(cfg);
	sandbox_stop(&other);
}
END_TEST

/* contract §5: init run again adds only what is missing, shows no new
 * password, and says so. */
START_TEST(init_rerun_changes_nothing)
{
	char *out = NULL, *err = NULL, *secret_before = slurp(sb.cfg->ldap.bind_password_file);
	char *secret_after;

	ck_assert_int_eq(sandbox_run_init(&sb, NULL, false, &out, &err, "--officer", "sato:ciso",
					  NULL),
			 0);
	ck_assert_ptr_null(strstr(out, "created"));
	ck_assert_ptr_nonnull(strstr(out, "exists   uid=sato,ou=people,dc=example,dc=org"));
	ck_assert_ptr_nonnull(strstr(out, "officer  sato (ciso): exists; password unchanged"));
	ck_assert_ptr_null(strstr(out, "temporary password"));
	secret_after = slurp(sb.cfg->ldap.bind_password_file);
	ck_assert_str_eq(secret_before, secret_after);
	free(out);
	free(err);
	free(secret_before);
	free(secret_after);
}
END_TEST

/* A unit added to the configuration: init creates just its groups; a new
 * officer is created and joins the role group that exists. */
START_TEST(init_adds_new_unit_groups_and_officer)
{
	char *text = slurp(sb.conf), path[700], *out = NULL, *err = NULL, *grown;
	size_t size = strlen(text) + 128;

	grown = malloc(size);
	snprintf(grown, size, "%s\nunit \"audit\" { groups = { \"audit-files\" } }\n", text);
	snprintf(path, sizeof(path), "%s/grown.conf", sb.dir);
	write_file(path, grown, 0600);
	ck_assert_int_eq(sandbox_run_init(&sb, path, true, &out, &err, "--officer",
					  "kato:security_chief", NULL),
			 0);
	ck_assert_ptr_nonnull(strstr(out, "created  cn=audit-files,ou=groups,dc=example,dc=org"));
	ck_assert_ptr_nonnull(strstr(out, "exists   cn=benefits,ou=groups,dc=example,dc=org"));
	ck_assert_ptr_nonnull(strstr(out, "created  uid=kato,ou=people,dc=example,dc=org"));
	ck_assert_ptr_nonnull(strstr(out, "updated  cn=security_chief,ou=roles,ou=idmgr,dc=example,"
					  "dc=org (member uid=kato,ou=people,dc=example,dc=org)"));
	ck_assert_ptr_nonnull(strstr(out, "officer  kato (security_chief): temporary password "));
	free(out);
	free(err);
	free(text);
	free(grown);
}
END_TEST

/* Issue 11 upgrade: a directory as the previous release left it (lock
 * state in counters the hosts and users could lower, status only in
 * idmStatus, no policy entries per policy, no timing decoy) is moved to
 * the server-enforced form by "idmgr init" run again, and a second run
 * changes nothing (R-PW-3, R-PRIV-4, R-VIO-1). */
START_TEST(init_upgrades_older_lock_state)
{
	char *text = slurp(sb.conf), path[700], *out = NULL, *err = NULL, *grown, *v;
	size_t size = strlen(text) + 128;
	struct idm_dir *d = NULL;
	struct idm_account *a = NULL;
	char *hash = NULL;

	grown = malloc(size);
	snprintf(grown, size, "%s\npolicy counted { max_logins = 2 }\n", text);
	snprintf(path, sizeof(path), "%s/upgrade.conf", sb.dir);
	write_file(path, grown, 0600);
	/* what the previous release's init and logins leave */
	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: cn=idmgr-decoy,ou=services,dc=example,dc=org\n"
						 "changetype: delete\n\n"
						 "dn: cn=privileged,ou=policies,dc=example,dc=org\n"
						 "changetype: delete\n"),
			 0);
	ck_assert_int_eq(idm_hash_password(&sb.cfg->argon2, "Upgrade passphrase 1", 20, &hash),
			 IDM_OK);
	{
		static const char *const old[][2] = {
			{ "oldhard", "idmStatus: active\nidmFailureCount: 100\n" },
			{ "oldsoft", "idmStatus: active\nidmFailureCount: 3\n" },
			{ "oldcount", "idmStatus: active\nidmPolicy: counted\nidmLoginCount: 2\n" },
			{ "oldsusp", "idmStatus: suspended\n" },
			{ "oldend", "idmStatus: active\nidmValidUntil: 20200101000000Z\n" },
		};
		for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
			char ldif[2048];
			snprintf(ldif, sizeof(ldif),
				 "dn: uid=%s,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\n"
				 "objectClass: posixAccount\nobjectClass: idmAccount\nuid: %s\ncn: %s\n"
				 "sn: %s\nuidNumber: %zu\ngidNumber: 10000\nhomeDirectory: /home/%s\n"
				 "userPassword: %s\n%s",
				 old[i][0], old[i][0], old[i][0], old[i][0], 33000 + i, old[i][0],
				 hash, old[i][1]);
			ck_assert_int_eq(sandbox_ldapadd(&sb, ldif), 0);
		}
	}
	/* before: the suspended account binds around PAM */
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, "uid=oldsusp,ou=people,dc=example,dc=org",
				      "Upgrade passphrase 1", &d),
			 IDM_OK);
	idm_dir_close(d);

	ck_assert_msg(sandbox_run_init(&sb, path, true, &out, &err, NULL) == 0, "%s", err);
	ck_assert_ptr_nonnull(strstr(out, "created  cn=privileged,ou=policies,dc=example,dc=org"));
	ck_assert_ptr_nonnull(strstr(out, "created  cn=counted,ou=policies,dc=example,dc=org"));
	ck_assert_ptr_nonnull(strstr(out, "created  cn=idmgr-decoy,ou=services,dc=example,dc=org"));
	for (const char *const *u = (const char *const[]){ "oldhard", "oldsoft", "oldcount",
							   "oldsusp", "oldend", NULL };
	     *u; u++) {
		char line[128];
		snprintf(line, sizeof(line), "updated  uid=%s,ou=people,dc=example,dc=org", *u);
		ck_assert_msg(strstr(out, line) != NULL, "%s missing in:\n%s", line, out);
	}
	free(out);
	free(err);

	/* after: the server-enforced form */
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	ck_assert_int_eq(idm_account_lookup(d, sb.cfg, "oldhard", &a), IDM_OK);
	ck_assert(a->hard_locked);
	idm_account_free(a);
	v = sandbox_admin_read(&sb, "uid=oldhard,ou=people,dc=example,dc=org", "idmHardLockTime");
	ck_assert_str_ne(v, "");
	free(v);
	ck_assert_int_eq(idm_account_lookup(d, sb.cfg, "oldsoft", &a), IDM_OK);
	ck_assert(!a->hard_locked);
	idm_account_free(a);
	idm_dir_close(d);
	for (const char *const *u = (const char *const[]){ "oldhard", "oldsoft", NULL }; *u; u++) {
		char dn[128];
		snprintf(dn, sizeof(dn), "uid=%s,ou=people,dc=example,dc=org", *u);
		v = sandbox_admin_read(&sb, dn, "idmFailureCount");
		ck_assert_str_eq(v, "");
		free(v);
	}
	v = sandbox_admin_read(&sb, "uid=oldcount,ou=people,dc=example,dc=org", "pwdReset");
	ck_assert_str_eq(v, "TRUE\n");
	free(v);
	v = sandbox_admin_read(&sb, "uid=oldcount,ou=people,dc=example,dc=org", "idmLoginCount");
	ck_assert_str_eq(v, "");
	free(v);
	v = sandbox_admin_read(&sb, "uid=oldend,ou=people,dc=example,dc=org", "pwdEndTime");
	ck_assert_str_eq(v, "20200101000000Z\n");
	free(v);
	v = sandbox_admin_read(&sb, "cn=privileged,ou=policies,dc=example,dc=org", "pwdMaxFailure");
	ck_assert_str_eq(v, "3\n");
	free(v);
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, "uid=oldsusp,ou=people,dc=example,dc=org",
				      "Upgrade passphrase 1", &d),
			 IDM_EAUTH);
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, "uid=oldend,ou=people,dc=example,dc=org",
				      "Upgrade passphrase 1", &d),
			 IDM_EAUTH);

	/* again: nothing to do */
	ck_assert_int_eq(sandbox_run_init(&sb, path, true, &out, &err, NULL), 0);
	ck_assert_msg(!strstr(out, "updated") && !strstr(out, "created"), "second run:\n%s", out);
	ck_assert_ptr_nonnull(strstr(out, "exists   cn=idmgr-decoy,ou=services,dc=example,dc=org"));
	free(out);
	free(err);
	free(hash);
	free(text);
	free(grown);
}
END_TEST

/* Exit statuses of init: wrong administrator password 1, bad officer 2,
 * no server 3 (contract §7). */
START_TEST(init_exit_statuses)
{
	char wrong[700], *err = NULL, conf[700];
	char *argv[] = { (char *)idmgr_bin(),     "-c",  sb.conf, "init", "--admin-dn", sb.admin_dn,
			 "--admin-password-file", wrong, NULL };
	char uris[64];
	struct idm_config *cfg;

	snprintf(wrong, sizeof(wrong), "%s/wrong.secret", sb.dir);
	write_file(wrong, "not the password", 0600);
	ck_assert_int_eq(run_cmd(argv, NULL, NULL, &err), 1);
	ck_assert_ptr_nonnull(strstr(err, "refused the administrator's password"));
	free(err);
	ck_assert_int_eq(sandbox_run_init(&sb, NULL, false, NULL, &err, "--officer", "root:ciso",
					  NULL),
			 2);
	ck_assert_ptr_nonnull(strstr(err, "officer \"root\": uid is a reserved name"));
	free(err);
	snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%d/", closed_port());
	cfg = config_with_uris(uris, 1);
	snprintf(conf, sizeof(conf), "%s", cfg->path);
	ck_assert_int_eq(sandbox_run_init(&sb, conf, false, NULL, &err, NULL), 3);
	ck_assert_ptr_nonnull(strstr(err, "no directory server answered"));
	free(err);
	idm_config_free(cfg);
}
END_TEST

/* idmgr config check: the sandbox configuration passes and is printed;
 * a service secret readable by others is refused naming the line. */
START_TEST(config_check_secret_mode)
{
	char *out = NULL, *err = NULL, expect[800];
	char *argv[] = { (char *)idmgr_bin(), "config", "check", "-c", sb.conf, NULL };

	ck_assert_int_eq(run_cmd(argv, NULL, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, "configuration is valid"));
	ck_assert_ptr_nonnull(strstr(out, "memory_kib=19456"));
	free(out);
	free(err);
	ck_assert_int_eq(chmod(sb.cfg->ldap.bind_password_file, 0644), 0);
	ck_assert_int_eq(run_cmd(argv, NULL, &out, &err), 2);
	ck_assert_ptr_nonnull(strstr(err, "it must be 0600 or stricter"));
	snprintf(expect, sizeof(expect), "%s:%d: bind_password_file", sb.conf,
		 sb.cfg->ldap.bind_password_file_line);
	ck_assert_msg(strstr(err, expect) != NULL, "expected \"%s\" in: %s", expect, err);
	ck_assert_int_eq(chmod(sb.cfg->ldap.bind_password_file, 0600), 0);
	free(out);
	free(err);
}
END_TEST

/* The command table (idmgr/dispatch.c): every usage error exits 2 before
 * anything is asked of the directory, with the group's usage lines or a
 * message naming the option (contract §7 exit statuses). */
START_TEST(usage_errors_exit_2)
{
	static const struct {
		const char *argv[10];
		const char *message;
	} cases[] = {
		{ { "user", NULL }, "usage: idmgr user show UID" },
		{ { "user", "bogus", "x", NULL }, "       idmgr user suspend UID" },
		{ { "user", "show", NULL }, "usage: idmgr user show UID" },
		{ { "user", "show", "a", "b", NULL }, "usage: idmgr user show UID" },
		{ { "user", "show", "x", "--format", "csv", NULL },
		  "idmgr: --format: \"csv\" is not one of text, json\n" },
		{ { "user", "list", "--format", "xml", NULL },
		  "idmgr: --format: \"xml\" is not one of text, json, csv\n" },
		{ { "request", "approve", "X", "--format", "json", NULL },
		  "unrecognized option '--format'" },
		/* --format anywhere: before the command too, checked the same */
		{ { "--format", "xml", "report", "locked", NULL },
		  "idmgr: --format: \"xml\" is not one of text, json, csv\n" },
		{ { "report", "--format=xml", "locked", NULL },
		  "idmgr: --format: \"xml\" is not one of text, json, csv\n" },
		{ { "--format", "csv", "request", "approve", "X", NULL },
		  "idmgr: --format: request approve prints text only\n" },
		{ { "report", "--format", "csv", NULL }, "usage: idmgr report privileged|locked" },
		{ { "request", "approve", "X", "--state", "new", NULL },
		  "unrecognized option '--state'" },
		{ { "report", "bogus", NULL }, "usage: idmgr report privileged|locked" },
		{ { "report", "compliance", "--as-of", "2026-02-30", NULL },
		  "idmgr: --as-of: \"2026-02-30\" is not a date (YYYY-MM-DD)" },
		{ { "exception", "add", "--subject", "x", "--rule", "r", "--reason", "y", NULL },
		  "usage: idmgr exception add" },
		{ { "config", "check", "--host-root", "/", NULL }, "usage: idmgr config check" },
		{ { "config", NULL }, "usage: idmgr config check" },
		{ { "sweep", "--inactive-days", "3651", NULL },
		  "--inactive-days: \"3651\" is not a number of days from 1 to 3650" },
		{ { "init", NULL }, "usage: idmgr init --admin-dn DN" },
		{ { "nosuch", NULL }, "idmgr: unknown command \"nosuch\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[14] = { (char *)idmgr_bin(), "-c", "/nonexistent/idmgr.conf" },
		     *err = NULL;
		size_t n = 3;
		for (size_t k = 0; cases[i].argv[k]; k++)
			argv[n++] = (char *)cases[i].argv[k];
		argv[n] = NULL;
		ck_assert_msg(run_cmd(argv, NULL, NULL, &err) == 2, "%zu: not exit 2", i);
		ck_assert_msg(strstr(err, cases[i].message), "%zu: expected \"%s\" in: %s", i,
			      cases[i].message, err);
		/* refused before the configuration was read */
		ck_assert_msg(!strstr(err, "/nonexistent"), "%zu: %s", i, err);
		free(err);
	}
}
END_TEST

/* The number pool hands out each uidNumber once, also to racing clients. */
START_TEST(number_pool_never_repeats)
{
	/* Bootstrap gave the six officers 10000..10005 in order. */
	static const char *const attrs[] = { "uidNumber", NULL };
	struct idm_dir *d = NULL;
	LDAPMessage *res = NULL, *e;
	int seen[64] = { 0 }, n = 0;

	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	ck_assert_int_eq(idm_dir_search(d, "ou=people,dc=example,dc=org", LDAP_SCOPE_ONELEVEL,
					"(&(objectClass=idmAccount)(uidNumber>=10000)(uidNumber<=10063))",
					attrs, 0, &res),
			 IDM_OK);
	for (e = ldap_first_entry(idm_dir_ldap(d), res); e; e = ldap_next_entry(idm_dir_ldap(d), e)) {
		char *v = idm_entry_value(idm_dir_ldap(d), e, "uidNumber");
		int k = atoi(v) - 10000;
		ck_assert_int_eq(seen[k], 0);
		seen[k] = 1;
		n++;
		free(v);
	}
	ck_assert_int_ge(n, 6);
	ldap_msgfree(res);
	idm_dir_close(d);
}
END_TEST

static Suite *directory_suite(void)
{
	Suite *s = suite_create("directory");
	TCase *tc = tcase_create("slapd");

	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, argon2id_hash_binds_through_slapd);
	tcase_add_test(tc, argon2i_hash_still_binds);
	tcase_add_test(tc, empty_password_never_binds);
	tcase_add_test(tc, escaped_filter_cannot_widen_search);
	tcase_add_test(tc, lookup_refuses_metacharacter_uids);
	tcase_add_test(tc, service_identity_cannot_read_hashes);
	tcase_add_test(tc, dead_first_uri_fails_over);
	tcase_add_test(tc, hanging_first_uri_fails_over_within_timeout);
	tcase_add_test(tc, no_server_is_unavailable);
	tcase_add_test(tc, server_dying_mid_session_fails_over);
	tcase_add_test(tc, init_rerun_changes_nothing);
	tcase_add_test(tc, init_adds_new_unit_groups_and_officer);
	tcase_add_test(tc, init_exit_statuses);
	tcase_add_test(tc, init_upgrades_older_lock_state);
	tcase_add_test(tc, config_check_secret_mode);
	tcase_add_test(tc, usage_errors_exit_2);
	tcase_add_test(tc, number_pool_never_repeats);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(directory_suite(), NULL);
}
