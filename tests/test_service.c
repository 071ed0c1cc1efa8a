/* idmgrd, the one writer (threat model item 3; R-SOD-1, R-SOD-2, R-REG-1,
 * R-PRIV-1..3, R-AUD-1, R-EXC-1, R-EXC-3): a hostile officer binds with
 * the real directory and tries, with plain LDAP calls, every write the
 * service does for officers.  Each is refused by slapd (insufficient
 * access), and the protected state is unchanged afterwards; the same
 * things done through idmgr and idmgrd still work.  Also: idmgrd's own
 * operation (refuses a loose secret like config check, answers config
 * check, rate-limits refused logins, survives a client that dies
 * mid-request) and two officers acting at once. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "idm_audit.h"
#include "idm_dir.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_time.h"
#include "officers.h"

#define SUFFIX "dc=example,dc=org"
#define PEOPLE "ou=people," SUFFIX
#define IDMGR "ou=idmgr," SUFFIX
#define AUDIT "ou=audit," IDMGR
#define WRITER "cn=idmgrd,ou=services," SUFFIX

static struct sandbox sb;

static const char register_form[] = "type = \"register\"\n"
				    "form_ref = \"HR-2026-7\"\n"
				    "applicant = \"watanabe\"\n"
				    "reason = \"New hire\"\n"
				    "uid = \"%s\"\n"
				    "given_name = \"Hanako\"\n"
				    "surname = \"Yamada\"\n"
				    "mail = \"%s@example.org\"\n"
				    "unit = \"benefits\"\n"
				    "employee_type = \"regular\"\n";

static void setup(void)
{
	sandbox_start(&sb, true);
	officers_ready(&sb, NULL, NULL);
}

static void teardown(void)
{
	sandbox_stop(&sb);
}

/* The hostile officer: a connection bound as uid with their own password. */
static struct idm_dir *as_officer(const char *uid)
{
	char *pw = officer_password(&sb, uid), *dn = NULL;
	struct idm_dir *d = NULL;

	ck_assert_int_eq(idm_dn_child(&dn, "uid", uid, PEOPLE), IDM_OK);
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, dn, pw, &d), IDM_OK);
	free(pw);
	free(dn);
	return d;
}

static struct idm_dir *as_admin(void)
{
	struct idm_dir *d = NULL;

	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, sb.admin_dn, sb.admin_password, &d), IDM_OK);
	return d;
}

/* One modify with one value, straight through libldap; the LDAP code. */
static int ldap_mod(struct idm_dir *d, const char *dn, int op, const char *attr, const char *value)
{
	char *vals[] = { (char *)value, NULL };
	LDAPMod mod = { .mod_op = op, .mod_type = (char *)attr, .mod_values = value ? vals : NULL };
	LDAPMod *mods[] = { &mod, NULL };

	return ldap_modify_ext_s(idm_dir_ldap(d), dn, mods, NULL, NULL);
}

/* An add of an entry given as attribute/value pairs (NULL-terminated); the
 * values of one attribute may be given in several pairs. */
static int ldap_add_pairs(struct idm_dir *d, const char *dn, const char *const *pairs)
{
	LDAPMod m[16], *mods[17];
	char *vals[16][8];
	int n = 0, nv[16] = { 0 };

	for (int p = 0; pairs[2 * p]; p++) {
		int k = 0;
		while (k < n && strcmp(m[k].mod_type, pairs[2 * p]) != 0)
			k++;
		if (k == n) {
			m[n] = (LDAPMod){ .mod_op = LDAP_MOD_ADD,
					  .mod_type = (char *)pairs[2 * p],
					  .mod_values = vals[n] };
			mods[n] = &m[n];
			n++;
		}
		vals[k][nv[k]++] = (char *)pairs[2 * p + 1];
		vals[k][nv[k]] = NULL;
	}
	mods[n] = NULL;
	return ldap_add_ext_s(idm_dir_ldap(d), dn, mods, NULL, NULL);
}

/* The values of attr of dn as the directory administrator sees them, one
 * string ("a|b|"), for before/after comparisons. */
static char *state_of(const char *dn, const char *attr)
{
	const char *attrs[] = { attr, NULL };
	struct idm_dir *d = as_admin();
	LDAPMessage *res = NULL, *e;
	struct berval **v;
	char buf[8192] = "";

	ck_assert_int_eq(idm_dir_search(d, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, &res),
			 IDM_OK);
	e = ldap_first_entry(idm_dir_ldap(d), res);
	ck_assert_ptr_nonnull(e);
	v = ldap_get_values_len(idm_dir_ldap(d), e, attr);
	for (int i = 0; v && v[i]; i++) {
		strncat(buf, v[i]->bv_val, sizeof(buf) - strlen(buf) - 2);
		strcat(buf, "|");
	}
	ldap_value_free_len(v);
	ldap_msgfree(res);
	idm_dir_close(d);
	return strdup(buf);
}

/* The values of attr of dn are exactly expected. */
#define assert_state(dn, attr, expected)                                                         \
	do {                                                                                     \
		char *now_ = state_of(dn, attr);                                                 \
		ck_assert_msg(strcmp(now_, expected) == 0, "%s %s: \"%s\", expected \"%s\"", dn, \
			      attr, now_, expected);                                             \
		free(now_);                                                                      \
	} while (0)

static char *request_dn(const char *id)
{
	char *dn = NULL;

	ck_assert_int_eq(idm_dn_child(&dn, "idmRequestId", id, "ou=requests," IDMGR), IDM_OK);
	return dn;
}

static char *submit(const char *submitter, const char *uid)
{
	char text[1024], name[64];

	snprintf(text, sizeof(text), register_form, uid, uid);
	snprintf(name, sizeof(name), "%s.form", uid);
	return request_submit(&sb, submitter, name, text);
}

static int idmgr_quiet(const char *uid, char **err, const char *a1, const char *a2, const char *a3)
{
	char *out = NULL;
	int st = idmgr_as(&sb, uid, &out, err, a1, a2, a3, NULL);

	free(out);
	return st;
}

static void audit_intact(void)
{
	char *out = NULL, *err = NULL;

	ck_assert_msg(idmgr_as(&sb, "watanabe", &out, &err, "audit", "verify", NULL) == 0,
		      "audit verify: %s%s", out, err);
	ck_assert_ptr_nonnull(strstr(out, "intact"));
	free(out);
	free(err);
}

/* Threat model 3: "approve under someone else's name", "make a change that
 * needs two approvals", "write audit records", "make audit verify pass
 * over anything it did not itself append".  takahashi (system_admin)
 * forges the two approvals of his own grant-privilege request and the two
 * audit records that would back them, then tries to apply it. */
START_TEST(item3_forged_approvals_and_audit_records)
{
	static const char grant[] = "type = \"grant-privilege\"\n"
				    "form_ref = \"P-1\"\napplicant = \"takahashi\"\n"
				    "reason = \"I want it\"\nuid = \"takahashi\"\nrole = \"ciso\"\n";
	char *path = form_file(&sb, "grant.form", grant), *out = NULL, *err = NULL, *id, *dn;
	char *head_before, *approvals_before, rec_dn[256];
	struct idm_dir *d;

	ck_assert_int_eq(idmgr_as(&sb, "takahashi", &out, &err, "request", "submit", path, NULL), 0);
	out[strcspn(out, "\n")] = '\0';
	id = out;
	free(err);
	dn = request_dn(id);
	head_before = state_of("cn=head," AUDIT, "idmHead");
	approvals_before = state_of(dn, "idmApproval");

	d = as_officer("takahashi");
	ck_assert_int_eq(ldap_mod(d, dn, LDAP_MOD_ADD, "idmApproval",
				  "ciso uid=sato,ou=people,dc=example,dc=org 20261201000000Z"),
			 LDAP_INSUFFICIENT_ACCESS);
	ck_assert_int_eq(ldap_mod(d, dn, LDAP_MOD_REPLACE, "idmRequestState", "approved"),
			 LDAP_INSUFFICIENT_ACCESS);
	snprintf(rec_dn, sizeof(rec_dn), "idmSeq=999,%s", AUDIT);
	{
		const char *rec[] = {
			"objectClass",
			"idmAuditRecord",
			"idmSeq",
			"999",
			"idmActor",
			"uid=sato,ou=people,dc=example,dc=org",
			"idmAction",
			"approve",
			"idmOutcome",
			"done",
			"idmTime",
			"20261201000000Z",
			"idmPrevHash",
			"0000000000000000000000000000000000000000000000000000000000000000",
			"idmHash",
			"1111111111111111111111111111111111111111111111111111111111111111",
			NULL
		};
		ck_assert_int_eq(ldap_add_pairs(d, rec_dn, rec), LDAP_INSUFFICIENT_ACCESS);
	}
	ck_assert_int_eq(ldap_mod(d, "cn=head," AUDIT, LDAP_MOD_REPLACE, "idmHead", "999 00"),
			 LDAP_INSUFFICIENT_ACCESS);
	idm_dir_close(d);

	/* unchanged, and the apply the forgery was for is refused */
	assert_state(dn, "idmApproval", approvals_before);
	assert_state(dn, "idmRequestState", "pending|");
	assert_state("cn=head," AUDIT, "idmHead", head_before);
	ck_assert_int_eq(idmgr_quiet("tanaka", &err, "request", "apply", id), 1);
	free(err);
	assert_state("cn=ciso,ou=roles," IDMGR, "member", "uid=sato,ou=people,dc=example,dc=org|");
	audit_intact();
	free(head_before);
	free(approvals_before);
	free(dn);
	free(id);
	free(path);
}
END_TEST

/* Threat model 3: "change a request's form, type, subject or submitter
 * after it was submitted", "replay an applied request". */
START_TEST(item3_requests_are_immutable)
{
	char *id = submit("tanaka", "kenji"), *dn = request_dn(id), *err = NULL, *out = NULL;
	char *form, *type, *subject, *actor;
	struct idm_dir *d;

	ck_assert_int_eq(idmgr_quiet("suzuki", &err, "request", "approve", id), 0);
	free(err);
	ck_assert_int_eq(idmgr_quiet("takahashi", &err, "request", "approve", id), 0);
	free(err);
	form = state_of(dn, "idmForm");
	type = state_of(dn, "idmRequestType");
	subject = state_of(dn, "idmSubject");
	actor = state_of(dn, "idmActor");

	d = as_officer("tanaka"); /* the submitter */
	ck_assert_int_eq(ldap_mod(d, dn, LDAP_MOD_REPLACE, "idmForm",
				  "type = 'register'\nuid = 'kenji'\nunit = 'finance'\n"),
			 LDAP_INSUFFICIENT_ACCESS);
	ck_assert_int_eq(ldap_mod(d, dn, LDAP_MOD_REPLACE, "idmRequestType", "grant-privilege"),
			 LDAP_INSUFFICIENT_ACCESS);
	ck_assert_int_eq(ldap_mod(d, dn, LDAP_MOD_REPLACE, "idmSubject", "sato"),
			 LDAP_INSUFFICIENT_ACCESS);
	idm_dir_close(d);
	/* rewriting the submitter, to approve one's own request */
	d = as_officer("suzuki");
	ck_assert_int_eq(ldap_mod(d, dn, LDAP_MOD_REPLACE, "idmActor",
				  "uid=watanabe,ou=people,dc=example,dc=org"),
			 LDAP_INSUFFICIENT_ACCESS);
	ck_assert_int_eq(ldap_delete_ext_s(idm_dir_ldap(d), dn, NULL, NULL),
			 LDAP_INSUFFICIENT_ACCESS);
	idm_dir_close(d);
	assert_state(dn, "idmForm", form);
	assert_state(dn, "idmRequestType", type);
	assert_state(dn, "idmSubject", subject);
	assert_state(dn, "idmActor", actor);

	/* applied through the service; then set back to approved, to replay */
	ck_assert_int_eq(idmgr_as(&sb, "takahashi", &out, &err, "request", "apply", id, NULL), 0);
	free(out);
	free(err);
	assert_state(dn, "idmRequestState", "applied|");
	d = as_officer("takahashi");
	ck_assert_int_eq(ldap_mod(d, dn, LDAP_MOD_REPLACE, "idmRequestState", "approved"),
			 LDAP_INSUFFICIENT_ACCESS);
	ck_assert_int_eq(ldap_mod(d, dn, LDAP_MOD_DELETE, "idmDone", NULL),
			 LDAP_INSUFFICIENT_ACCESS);
	idm_dir_close(d);
	assert_state(dn, "idmRequestState", "applied|");
	audit_intact();
	free(form);
	free(type);
	free(subject);
	free(actor);
	free(dn);
	free(id);
}
END_TEST

/* Threat model 3: "create officers or role holders, or join a role, except
 * through an applied request"; "set or replace another person's password
 * except by the audited reset". */
START_TEST(item3_no_accounts_roles_or_passwords_by_hand)
{
	static const char *const evil[] = {
		"objectClass", "inetOrgPerson", "objectClass", "posixAccount", "objectClass",
		"idmAccount",  "uid",           "evil",        "cn",           "evil",
		"sn",          "evil",          "uidNumber",   "20000",        "gidNumber",
		"10000",       "homeDirectory", "/home/evil",  "userPassword", "Chosen by me 2026!",
		"idmStatus",   "active",        NULL
	};
	char *ciso = state_of("cn=ciso,ou=roles," IDMGR, "member");
	char *chief = state_of("cn=security_chief,ou=roles," IDMGR, "member");
	char *must = state_of("uid=suzuki," PEOPLE, "idmMustChange");
	struct idm_dir *d = as_officer("takahashi"), *check = NULL;
	char path[700], *pw;

	ck_assert_int_eq(ldap_add_pairs(d, "uid=evil," PEOPLE, evil), LDAP_INSUFFICIENT_ACCESS);
	ck_assert_int_eq(ldap_mod(d, "cn=ciso,ou=roles," IDMGR, LDAP_MOD_ADD, "member",
				  "uid=takahashi,ou=people,dc=example,dc=org"),
			 LDAP_INSUFFICIENT_ACCESS);
	ck_assert_int_eq(ldap_mod(d, "cn=security_chief,ou=roles," IDMGR, LDAP_MOD_ADD, "member",
				  "uid=tanaka,ou=people,dc=example,dc=org"),
			 LDAP_INSUFFICIENT_ACCESS);
	/* in clear (slapd would hash it) and as the hash slapd would store:
	 * refused (ppolicy answers before the ACLs: constraintViolation) */
	ck_assert_int_ne(ldap_mod(d, "uid=suzuki," PEOPLE, LDAP_MOD_REPLACE, "userPassword",
				  "Taken over 2026 !!"),
			 LDAP_SUCCESS);
	ck_assert_int_ne(ldap_mod(d, "uid=suzuki," PEOPLE, LDAP_MOD_REPLACE, "userPassword",
				  "{ARGON2}$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$"
				  "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"),
			 LDAP_SUCCESS);
	ck_assert_int_eq(ldap_mod(d, "uid=suzuki," PEOPLE, LDAP_MOD_ADD, "pwdReset", "TRUE"),
			 LDAP_INSUFFICIENT_ACCESS);
	ck_assert_int_eq(ldap_mod(d, "uid=suzuki," PEOPLE, LDAP_MOD_REPLACE, "idmMustChange",
				  "FALSE"),
			 LDAP_INSUFFICIENT_ACCESS);
	ck_assert_int_eq(ldap_mod(d, "uid=suzuki," PEOPLE, LDAP_MOD_ADD, "idmPrivileged", "TRUE"),
			 LDAP_INSUFFICIENT_ACCESS);
	idm_dir_close(d);

	check = as_admin();
	ck_assert_int_eq(idm_dir_exists(check, "uid=evil," PEOPLE), IDM_ENOENT);
	idm_dir_close(check);
	check = NULL;
	assert_state("cn=ciso,ou=roles," IDMGR, "member", ciso);
	assert_state("cn=security_chief,ou=roles," IDMGR, "member", chief);
	assert_state("uid=suzuki," PEOPLE, "idmMustChange", must);
	/* suzuki's own password still works */
	snprintf(path, sizeof(path), "%s/suzuki.pw", sb.dir);
	pw = slurp(path);
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, "uid=suzuki," PEOPLE, pw, &check), IDM_OK);
	idm_dir_close(check);
	free(pw);
	free(ciso);
	free(chief);
	free(must);
}
END_TEST

/* Threat model 3, the contractor: "give an account uidNumber 0, move
 * units, extend validity, change groups, set the number pool to 0, plant
 * an exception naming the CISO, delete exceptions". */
START_TEST(item3_contractor_writes_nothing)
{
	static const char *const plant[] = { "objectClass",
					     "idmException",
					     "idmRequestId",
					     "E20261201-00000001",
					     "idmSubject",
					     "sato",
					     "idmRule",
					     "inactive",
					     "idmReason",
					     "planted",
					     "idmTime",
					     "20261201000000Z",
					     "idmUntil",
					     "20301231000000Z",
					     "idmActor",
					     "uid=sato,ou=people,dc=example,dc=org",
					     NULL };
	char *uidn = state_of("uid=watanabe," PEOPLE, "uidNumber");
	char *unit = state_of("uid=watanabe," PEOPLE, "departmentNumber");
	char *pool = state_of("cn=numbers," IDMGR, "idmNextUidNumber");
	char *members = state_of("cn=internet,ou=groups," SUFFIX, "memberUid");
	struct idm_dir *d = as_officer("ito"), *a;

	ck_assert_int_eq(ldap_mod(d, "uid=watanabe," PEOPLE, LDAP_MOD_REPLACE, "uidNumber", "0"),
			 LDAP_INSUFFICIENT_ACCESS);
	ck_assert_int_eq(ldap_mod(d, "uid=watanabe," PEOPLE, LDAP_MOD_REPLACE, "departmentNumber",
				  "finance"),
			 LDAP_INSUFFICIENT_ACCESS);
	ck_assert_int_eq(ldap_mod(d, "uid=watanabe," PEOPLE, LDAP_MOD_REPLACE, "idmValidUntil",
				  "20991231000000Z"),
			 LDAP_INSUFFICIENT_ACCESS);
	ck_assert_int_eq(ldap_mod(d, "cn=internet,ou=groups," SUFFIX, LDAP_MOD_ADD, "memberUid",
				  "ito"),
			 LDAP_INSUFFICIENT_ACCESS);
	ck_assert_int_eq(ldap_mod(d, "cn=numbers," IDMGR, LDAP_MOD_REPLACE, "idmNextUidNumber", "0"),
			 LDAP_INSUFFICIENT_ACCESS);
	ck_assert_int_eq(ldap_add_pairs(d, "idmRequestId=E20261201-00000001,ou=exceptions," IDMGR,
					plant),
			 LDAP_INSUFFICIENT_ACCESS);
	idm_dir_close(d);
	a = as_admin();
	ck_assert_int_eq(idm_dir_exists(a, "idmRequestId=E20261201-00000001,ou=exceptions," IDMGR),
			 IDM_ENOENT);
	idm_dir_close(a);
	assert_state("uid=watanabe," PEOPLE, "uidNumber", uidn);
	assert_state("uid=watanabe," PEOPLE, "departmentNumber", unit);
	assert_state("cn=numbers," IDMGR, "idmNextUidNumber", pool);
	assert_state("cn=internet,ou=groups," SUFFIX, "memberUid", members);
	free(uidn);
	free(unit);
	free(pool);
	free(members);
}
END_TEST

/* Threat model 3: "write, edit, rename, move or delete audit records or
 * the trail's container". */
START_TEST(item3_audit_trail_untouchable)
{
	char *id = submit("tanaka", "akira"), *rec1, *head;
	struct idm_dir *d = as_officer("sato"), *a;
	int rc;

	rec1 = state_of("idmSeq=1," AUDIT, "idmOutcome");
	head = state_of("cn=head," AUDIT, "idmHead");
	ck_assert_int_eq(ldap_mod(d, "idmSeq=1," AUDIT, LDAP_MOD_REPLACE, "idmOutcome", "refused"),
			 LDAP_INSUFFICIENT_ACCESS);
	ck_assert_int_eq(ldap_delete_ext_s(idm_dir_ldap(d), "idmSeq=1," AUDIT, NULL, NULL),
			 LDAP_INSUFFICIENT_ACCESS);
	rc = ldap_rename_s(idm_dir_ldap(d), AUDIT, "ou=audit-old", IDMGR, 1, NULL, NULL);
	ck_assert_int_eq(rc, LDAP_INSUFFICIENT_ACCESS);
	rc = ldap_rename_s(idm_dir_ldap(d), "idmSeq=1," AUDIT, "idmSeq=1", "ou=requests," IDMGR, 1,
			   NULL, NULL);
	ck_assert_int_eq(rc, LDAP_INSUFFICIENT_ACCESS);
	idm_dir_close(d);
	a = as_admin();
	ck_assert_int_eq(idm_dir_exists(a, AUDIT), IDM_OK);
	ck_assert_int_eq(idm_dir_exists(a, "ou=audit-old," IDMGR), IDM_ENOENT);
	idm_dir_close(a);
	assert_state("idmSeq=1," AUDIT, "idmOutcome", rec1);
	assert_state("cn=head," AUDIT, "idmHead", head);
	/* and records are written by idmgrd only, naming the officer */
	assert_state("idmSeq=1," AUDIT, "creatorsName", WRITER "|");
	{
		char *actor = state_of("idmSeq=1," AUDIT, "idmActor");
		ck_assert_msg(strncmp(actor, "uid=", 4) == 0 && strstr(actor, "," PEOPLE "|"), "%s",
			      actor);
		free(actor);
	}
	audit_intact();
	free(rec1);
	free(head);
	free(id);
}
END_TEST

/* Threat model 3 and 4: "make audit verify pass over anything it did not
 * itself append".  A record the directory administrator appends, correctly
 * chained and hashed (the chain alone cannot tell), is named by audit
 * verify: its server-set creatorsName is not idmgrd. */
START_TEST(item3_verify_names_records_not_by_the_service)
{
	struct idm_audit_event ev = { .actor = "uid=sato,ou=people,dc=example,dc=org",
				      .action = "approve",
				      .outcome = "done" };
	struct idm_dir *root = as_admin();
	char *out = NULL, *err = NULL;
	long seq = 0;

	audit_intact();
	ck_assert_int_eq(idm_audit_append(root, sb.cfg, &ev, &seq, NULL), IDM_OK);
	idm_dir_close(root);
	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &out, &err, "audit", "verify", NULL), 1);
	ck_assert_msg(strstr(out, "written by cn=admin,dc=example,dc=org, not by the service's "
				  "identity") &&
			      strstr(out, "NOT intact"),
		      "%s", out);
	free(out);
	free(err);
}
END_TEST

/* R-REG-1, R-SOD-2: what an officer approves is the request's hash (type,
 * subject, submitter, form); the directory administrator's edit of an
 * approved request voids its approvals, and apply refuses it. */
START_TEST(changed_request_voids_its_approvals)
{
	char *id = submit("tanaka", "shiro"), *dn = request_dn(id), *err = NULL, ldif[1024];

	ck_assert_int_eq(idmgr_quiet("suzuki", &err, "request", "approve", id), 0);
	free(err);
	ck_assert_int_eq(idmgr_quiet("takahashi", &err, "request", "approve", id), 0);
	free(err);
	snprintf(ldif, sizeof(ldif),
		 "dn: %s\nchangetype: modify\nreplace: idmForm\nidmForm: type = 'register'\n"
		 " form_ref = 'HR-2026-7'\n applicant = 'watanabe'\n reason = 'New hire'\n"
		 " uid = 'shiro'\n given_name = 'Hanako'\n surname = 'Yamada'\n unit = 'finance'\n"
		 " employee_type = 'regular'\n",
		 dn);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, ldif), 0);
	ck_assert_int_eq(idmgr_quiet("takahashi", &err, "request", "apply", id), 1);
	ck_assert_msg(strstr(err, "the request changed after it was approved; the approval is void"),
		      "%s", err);
	free(err);
	assert_state(dn, "idmRequestState", "approved|");
	{
		struct idm_dir *a = as_admin();
		ck_assert_int_eq(idm_dir_exists(a, "uid=shiro," PEOPLE), IDM_ENOENT);
		idm_dir_close(a);
	}
	free(dn);
	free(id);
}
END_TEST

/* Number pools never hand out a number below the configured minimum: a
 * pool set to 0 around idmgrd (here by the rootdn) stops registrations
 * instead of giving uidNumber 0. */
START_TEST(number_pool_below_minimum_hands_out_nothing)
{
	char *id = submit("tanaka", "rokuro"), *err = NULL, *out = NULL;
	struct idm_dir *a;

	ck_assert_int_eq(idmgr_quiet("suzuki", &err, "request", "approve", id), 0);
	free(err);
	ck_assert_int_eq(idmgr_quiet("takahashi", &err, "request", "approve", id), 0);
	free(err);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: cn=numbers," IDMGR "\nchangetype: modify\n"
						 "replace: idmNextUidNumber\nidmNextUidNumber: 0\n"),
			 0);
	ck_assert_int_ne(idmgr_as(&sb, "takahashi", &out, &err, "request", "apply", id, NULL), 0);
	ck_assert_msg(strstr(err, "below the configured minimum 10000"), "%s", err);
	ck_assert_ptr_null(strstr(out, "temporary password"));
	free(out);
	free(err);
	a = as_admin();
	ck_assert_int_eq(idm_dir_exists(a, "uid=rokuro," PEOPLE), IDM_ENOENT);
	idm_dir_close(a);
	free(id);
}
END_TEST

/* Threat model 4: the directory administrator can write anything, but
 * nothing it writes is invisible: audit reconcile (an auditor, through
 * idmgrd, which alone reads slapd's accesslog whole) names its direct
 * write and exits 1; idmgrd's own writes, the officers' own password
 * changes and slapd's bookkeeping are explained; an officer who is no
 * auditor is refused. */
START_TEST(item4_reconcile_names_the_rootdn_write)
{
	char since[IDM_GENTIME_LEN], *out = NULL, *err = NULL;

	sleep(1); /* after the bootstrap's own writes */
	idm_time_format(time(NULL), since);
	ck_assert_int_eq(idmgr_as(&sb, "takahashi", &out, &err, "user", "unlock", "watanabe", NULL),
			 0);
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "audit", "reconcile", "--since", since,
				  NULL),
			 0);
	ck_assert_msg(strstr(out, "is explained"), "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: cn=ciso,ou=roles," IDMGR "\n"
						 "changetype: modify\nadd: member\n"
						 "member: uid=ito,ou=people,dc=example,dc=org\n"),
			 0);
	ck_assert_int_eq(idmgr_as(&sb, "suzuki", &out, &err, "audit", "reconcile", "--since", since,
				  NULL),
			 1);
	ck_assert_msg(strstr(out, "modify   cn=ciso,ou=roles,ou=idmgr,dc=example,dc=org by "
				  "cn=admin,dc=example,dc=org (member)") &&
			      strstr(out, "1 of "),
		      "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &out, &err, "audit", "reconcile", NULL), 1);
	ck_assert_msg(strstr(err, "audit reconcile needs the role ciso or security_chief"), "%s",
		      err);
	free(out);
	free(err);
}
END_TEST

/* Threat model 4: reconcile's blind spot closed.  ppolicy's own lock
 * (three wrong binds of a privileged ID) is explained; the directory
 * administrator unlocking the account by deleting pwdAccountLockedTime
 * alone -- which looked like ppolicy's unlock -- is named, and so is a
 * lock set by hand.  (ppolicy removes a lock only with the failures, in
 * one modify, when a bind succeeds after the lock ran out.) */
START_TEST(item4_reconcile_names_the_rootdn_unlock)
{
	char since[IDM_GENTIME_LEN], *out = NULL, *err = NULL, *lock;
	struct idm_dir *d = NULL;

	sleep(1);
	idm_time_format(time(NULL), since);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, "uid=ito," PEOPLE, "not ito's 1!", &d),
				 IDM_EAUTH);
		ck_assert_ptr_null(d);
	}
	lock = state_of("uid=ito," PEOPLE, "pwdAccountLockedTime");
	ck_assert_msg(*lock, "ppolicy did not lock ito");
	free(lock);
	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "audit", "reconcile", "--since", since,
				  NULL),
			 0);
	ck_assert_msg(strstr(out, "is explained"), "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: uid=ito," PEOPLE "\nchangetype: modify\n"
						 "delete: pwdAccountLockedTime\n"),
			 0);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: uid=watanabe," PEOPLE "\nchangetype: modify\n"
						 "add: pwdAccountLockedTime\n"
						 "pwdAccountLockedTime: 000001010000Z\n"),
			 0);
	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "audit", "reconcile", "--since", since,
				  NULL),
			 1);
	ck_assert_msg(strstr(out, "modify   uid=ito,ou=people,dc=example,dc=org by "
				  "cn=admin,dc=example,dc=org (pwdAccountLockedTime)") &&
			      strstr(out, "modify   uid=watanabe,ou=people,dc=example,dc=org by "
					  "cn=admin,dc=example,dc=org (pwdAccountLockedTime)") &&
			      strstr(out, "2 of "),
		      "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: uid=watanabe," PEOPLE "\nchangetype: modify\n"
						 "delete: pwdAccountLockedTime\n"),
			 0);
}
END_TEST

/* Threat model 4, R-AUD-1, R-REV-1: the monthly timer reconciles too.
 * idmgr-sweep.timer starts idmgr-sweep.service, which pulls in
 * idmgr-reconcile.service after the sweep; that unit's own command (as
 * built, with the sandbox's configuration and idmgrd in place of the
 * installed paths) lists the directory administrator's write and exits 1,
 * on idmgrd's identity, with no officer's password. */
static char *unit_text(const char *name)
{
	char path[PATH_MAX], *text;

	snprintf(path, sizeof(path), "%s/conf/%s", getenv("IDMGR_BUILDDIR"), name);
	text = slurp(path);
	ck_assert_msg(text != NULL, "%s: not built", path);
	return text;
}

START_TEST(monthly_timer_reconciles)
{
	char *timer = unit_text("idmgr-sweep.timer"), *sweep = unit_text("idmgr-sweep.service");
	char *unit = unit_text("idmgr-reconcile.service"), *line, *argv[16], *out = NULL,
	     *err = NULL, *save = NULL;
	int argc = 0, st;

	ck_assert_ptr_null(strstr(timer, "\nUnit=")); /* it starts idmgr-sweep.service */
	ck_assert_ptr_nonnull(
		strstr(sweep, "\nWants=network-online.target idmgr-reconcile.service\n"));
	ck_assert_ptr_nonnull(strstr(sweep, "\nBefore=idmgr-reconcile.service\n"));
	line = strstr(unit, "\nExecStart=");
	ck_assert_ptr_nonnull(line);
	line += strlen("\nExecStart=");
	line[strcspn(line, "\n")] = '\0';
	for (char *a = strtok_r(line, " ", &save); a && argc < 15; a = strtok_r(NULL, " ", &save))
		argv[argc++] = a;
	argv[argc] = NULL;
	ck_assert_msg(argc >= 3 && strcmp(strrchr(argv[0], '/'), "/idmgrd") == 0 &&
			      strcmp(argv[1], "-c") == 0,
		      "ExecStart=%s", line);
	argv[0] = getenv("IDMGRD_BIN");
	argv[2] = sb.conf;
	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: cn=security_manager,ou=roles," IDMGR "\n"
						 "changetype: modify\nadd: member\n"
						 "member: uid=ito,ou=people,dc=example,dc=org\n"),
			 0);
	st = run_cmd(argv, NULL, &out, &err);
	ck_assert_msg(st == 1 &&
			      strstr(out, "modify   cn=security_manager,ou=roles,ou=idmgr,"
					  "dc=example,dc=org by cn=admin,dc=example,dc=org "
					  "(member)") &&
			      strstr(out, "are explained by no audited action"),
		      "exit %d:\n%s%s", st, out, err);
	free(out);
	free(err);
	free(timer);
	free(sweep);
	free(unit);
}
END_TEST

/* Threat model 3 and 4: "rename ou=audit away and create an empty one":
 * officers cannot (item3_audit_trail_untouchable); when the directory
 * administrator does, audit verify names the replaced container, whose
 * entryUUID is not the one idmgr init pinned in the configuration.  (Last
 * of its case: it leaves the trail replaced.) */
START_TEST(replaced_audit_container_is_named)
{
	char *out = NULL, *err = NULL;

	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: " AUDIT "\nchangetype: modrdn\n"
						 "newrdn: ou=audit-old\ndeleteoldrdn: 1\n\n"
						 "dn: " AUDIT "\nchangetype: add\n"
						 "objectClass: organizationalUnit\nou: audit\n"),
			 0);
	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &out, &err, "audit", "verify", NULL), 1);
	ck_assert_msg(strstr(out, "is not the container idmgr init made") &&
			      strstr(out, "the trail was replaced"),
		      "%s%s", out, err);
	free(out);
	free(err);
}
END_TEST

/* ---------------------------------------------------------- the service */

/* idmgrd refuses a secret others may read, as config check does, naming
 * the key's line; config check reports the running service. */
START_TEST(service_checks_like_config_check)
{
	char secret[700], *out = NULL, *err = NULL;
	char *check[] = { getenv("IDMGR_BIN"), "-c", sb.conf, "config", "check", NULL };
	char *daemon[] = { getenv("IDMGRD_BIN"), "-t", "-c", sb.conf, NULL };

	ck_assert_int_eq(run_cmd(check, NULL, &out, &err), 0);
	ck_assert_msg(strstr(out, "# service: idmgrd " PACKAGE_VERSION " (ready)"), "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(run_cmd(daemon, NULL, &out, &err), 0);
	free(out);
	free(err);
	snprintf(secret, sizeof(secret), "%s/idmgrd.secret", sb.dir);
	ck_assert_int_eq(chmod(secret, 0640), 0);
	ck_assert_int_eq(run_cmd(check, NULL, &out, &err), 2);
	ck_assert_msg(strstr(err, "service: bind_password_file"), "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(run_cmd(daemon, NULL, &out, &err), 2);
	ck_assert_msg(strstr(err, "service: bind_password_file") && strstr(err, "not starting"),
		      "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(chmod(secret, 0600), 0);
}
END_TEST

/* Refused logins are rate-limited per operator: after max_refusals (10)
 * even the right password is refused at once for the window; another
 * operator from the same client is not held up. */
START_TEST(service_rate_limits_refused_logins)
{
	char bad[700], *out = NULL, *err = NULL;
	char *argv[] = { getenv("IDMGR_BIN"),
			 "-c",
			 sb.conf,
			 "-u",
			 "nobody",
			 "--password-file",
			 bad,
			 "user",
			 "unlock",
			 "watanabe",
			 NULL };

	snprintf(bad, sizeof(bad), "%s/bad.pw", sb.dir);
	write_file(bad, "not the password", 0600);
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(run_cmd(argv, NULL, &out, &err), 1);
		ck_assert_msg(strstr(err, "wrong password, or no such operator"), "%s", err);
		free(out);
		free(err);
	}
	ck_assert_int_eq(run_cmd(argv, NULL, &out, &err), 1);
	ck_assert_msg(strstr(err, "too many refused logins for operator nobody"), "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "takahashi", &out, &err, "user", "unlock", "watanabe", NULL),
			 0);
	free(out);
	free(err);
}
END_TEST

/* A client that dies mid-request (half a body, then gone) does not take
 * the service with it. */
START_TEST(service_survives_a_dead_client)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static const char half[] =
		"POST /v1/call HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n"
		"Content-Type: application/json\r\n\r\n{\"version\":1,\"operator\"";
	char *out = NULL, *err = NULL;

	ck_assert_uint_lt(strlen(sb.dir) + strlen("/idmgrd.sock"), sizeof(sa.sun_path));
	memcpy(sa.sun_path, sb.dir, strlen(sb.dir));
	strcat(sa.sun_path, "/idmgrd.sock");
	for (int i = 0; i < 20; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		ck_assert_int_eq(write(fd, half, sizeof(half) - 1), (ssize_t)sizeof(half) - 1);
		close(fd);
	}
	{
		/* a garbage body gets an answer naming what is wrong, no crash */
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		static const char junk[] =
			"POST /v1/call HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n"
			"Connection: close\r\n\r\n{\"op\":[1]";
		char reply[2048] = "";
		ssize_t n, got = 0;
		/* the dead clients' connections close as the service notices */
		for (int i = 0; i < 50 && got == 0; i++) {
			ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
			ck_assert_int_eq(write(fd, junk, sizeof(junk) - 1),
					 (ssize_t)sizeof(junk) - 1);
			while ((n = read(fd, reply + got, sizeof(reply) - 1 - (size_t)got)) > 0)
				got += n;
			close(fd);
			fd = socket(AF_UNIX, SOCK_STREAM, 0);
			if (got == 0)
				usleep(100000);
		}
		close(fd);
		ck_assert_msg(strstr(reply, "400") && strstr(reply, "not JSON"), "%s", reply);
	}
	ck_assert_int_eq(idmgr_as(&sb, "takahashi", &out, &err, "user", "unlock", "watanabe", NULL),
			 0);
	free(out);
	free(err);
}
END_TEST

/* One call as any client makes it, on the service's socket with plain
 * HTTP (idmgrd-api(7)): the answer's JSON, or NULL. */
static json_t *raw_call(const char *uid, const char *op, json_t *args)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[700], *pw, *body, head[256], *reply = NULL, *at;
	size_t got = 0, size = 0;
	ssize_t n;
	json_t *j;
	int fd;

	snprintf(path, sizeof(path), "%s/%s.pw", sb.dir, uid); /* officers_ready()'s */
	ck_assert_ptr_nonnull(pw = slurp(path));
	j = json_pack("{s:i, s:s, s:s, s:s, s:o}", "version", 1, "operator", uid, "password", pw,
		      "op", op, "args", args);

	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	ck_assert_ptr_nonnull(body);
	snprintf(head, sizeof(head),
		 "POST /v1/call HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		 strlen(body));
	ck_assert_uint_lt(strlen(sb.dir) + strlen("/idmgrd.sock"), sizeof(sa.sun_path));
	memcpy(sa.sun_path, sb.dir, strlen(sb.dir));
	strcat(sa.sun_path, "/idmgrd.sock");
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(write(fd, head, strlen(head)), (ssize_t)strlen(head));
	ck_assert_int_eq(write(fd, body, strlen(body)), (ssize_t)strlen(body));
	do {
		if (got + 4096 > size)
			ck_assert_ptr_nonnull(reply = realloc(reply, size += 65536));
		n = read(fd, reply + got, size - got - 1);
		got += n > 0 ? (size_t)n : 0;
	} while (n > 0);
	close(fd);
	reply[got] = '\0';
	at = strstr(reply, "\r\n\r\n");
	ck_assert_msg(at && strncmp(reply, "HTTP/1.1 200", 12) == 0, "%s", reply);
	j = json_loads(at + 4, 0, NULL);
	ck_assert_msg(j != NULL, "not JSON: %s", at + 4);
	explicit_bzero(body, strlen(body));
	free(body);
	free(reply);
	explicit_bzero(pw, strlen(pw));
	free(pw);
	return j;
}

/* The message of answer whose msgid is msgid (the nth such, from 0). */
static json_t *message_of(json_t *answer, const char *msgid, int nth)
{
	size_t i;
	json_t *m;

	json_array_foreach (json_object_get(answer, "messages"), i, m)
		if (strcmp(json_string_value(json_object_get(m, "msgid")), msgid) == 0 && nth-- == 0)
			return m;
	ck_abort_msg("no message %s in %s", msgid, json_dumps(answer, JSON_INDENT(1)));
	return NULL;
}

static void assert_args(json_t *m, int n, ...)
{
	json_t *a = json_object_get(m, "args");
	va_list ap;

	ck_assert_int_eq(json_array_size(a), n);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		ck_assert_str_eq(json_string_value(json_array_get(a, (size_t)i)),
				 va_arg(ap, const char *));
	va_end(ap);
}

/* issue 14, idmgrd-api(7): a refused request's answer as a client reads
 * it off the socket.  Each message's msgid is the English format, its args
 * the values, each formatted, and its text the English line; a form's line
 * errors carry "FILE:LINE" apart as where.  The name the client chose for
 * its form, full of conversions ("%n%s%08x"), comes back as a value in
 * args, where and text, never as a format (R-SOD-1 for the refusal). */
START_TEST(answer_says_msgid_args_and_where)
{
	static const char evil[] = "evil%n%s%08x.form";
	char form[1024], want[512];
	json_t *j, *m;
	char *id;

	snprintf(form, sizeof(form), register_form, "jraw", "jraw");
	*strstr(form, "@example.org") = '#'; /* mail = "jraw#example.org" */
	*strstr(form, "regular") = 'R';      /* employee_type = "Regular" */
	j = raw_call("tanaka", "request.submit",
		     json_pack("{s:s, s:s}", "form", form, "name", evil));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), IDM_EINVAL);
	m = message_of(j, "%s: \"%s\" is not a mail address (local@domain)", 0);
	ck_assert_int_eq(json_integer_value(json_object_get(m, "priority")), 3);
	ck_assert_str_eq(json_string_value(json_object_get(m, "where")), "evil%n%s%08x.form:8");
	assert_args(m, 2, "mail", "jraw#example.org");
	ck_assert_str_eq(json_string_value(json_object_get(m, "text")),
			 "evil%n%s%08x.form:8: mail: \"jraw#example.org\" is not a mail address "
			 "(local@domain)");
	m = message_of(j,
		       "%s: \"%s\" is not one of regular, nonregular, dispatched, contractor, "
		       "service",
		       0);
	ck_assert_str_eq(json_string_value(json_object_get(m, "where")), "evil%n%s%08x.form:10");
	assert_args(m, 2, "employee_type", "Regular");
	json_decref(j);

	/* a refusal made in the service: the rule a msgid of its own, in args */
	id = submit("tanaka", "jraw");
	j = raw_call("tanaka", "request.approve", json_pack("{s:s}", "id", id));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), IDM_EDENIED);
	m = message_of(j, "%s %s refused: %s", 0);
	ck_assert_ptr_null(json_object_get(m, "where"));
	assert_args(m, 3, "approve", id, "R-SOD-1: whoever submitted a request may not approve it");
	snprintf(want, sizeof(want),
		 "approve %s refused: R-SOD-1: whoever submitted a request may not approve it", id);
	ck_assert_str_eq(json_string_value(json_object_get(m, "text")), want);
	json_decref(j);
	free(id);
}
END_TEST

/* A copy of the sandbox's configuration with the service section's socket
 * line replaced by replacement; its path in buf. */
static void conf_variant(const char *name, const char *replacement, char *buf, size_t size)
{
	char *text = slurp(sb.conf), old[700], *at, out[65536];

	snprintf(old, sizeof(old), "socket = \"%s/idmgrd.sock\"", sb.dir);
	at = strstr(text, old);
	ck_assert_ptr_nonnull(at);
	snprintf(out, sizeof(out), "%.*s%s%s", (int)(at - text), text, replacement,
		 at + strlen(old));
	snprintf(buf, size, "%s/%s", sb.dir, name);
	write_file(buf, out, 0600);
	free(text);
}

static void self_signed(const char *stem)
{
	char key[700], crt[700];
	char *argv[] = { "/usr/bin/openssl",
			 "req",
			 "-x509",
			 "-newkey",
			 "ec",
			 "-pkeyopt",
			 "ec_paramgen_curve:prime256v1",
			 "-nodes",
			 "-keyout",
			 key,
			 "-out",
			 crt,
			 "-days",
			 "2",
			 "-subj",
			 "/CN=localhost",
			 "-addext",
			 "subjectAltName=DNS:localhost,IP:127.0.0.1",
			 NULL };

	snprintf(key, sizeof(key), "%s/%s.key", sb.dir, stem);
	snprintf(crt, sizeof(crt), "%s/%s.crt", sb.dir, stem);
	ck_assert_int_eq(run_cmd(argv, NULL, NULL, NULL), 0);
	ck_assert_int_eq(chmod(key, 0600), 0);
}

/* Starts idmgrd with conf, its pid written to pidfile; returns its pid
 * once it serves (0 when it exited, *status then its status). */
static pid_t start_idmgrd(const char *conf, const char *pidfile, int *status, char **err)
{
	int errp[2];
	pid_t pid;

	unlink(pidfile);
	ck_assert_int_eq(pipe(errp), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(errp[1], 2);
		execl(getenv("IDMGRD_BIN"), "idmgrd", "-f", "-c", conf, "-p", pidfile, (char *)NULL);
		_exit(127);
	}
	close(errp[1]);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 100 && access(pidfile, F_OK) != 0; i++) {
		if (waitpid(pid, status, WNOHANG) == pid) {
			char buf[4096] = "";
			ssize_t n = read(errp[0], buf, sizeof(buf) - 1);
			if (err)
				*err = strdup(n > 0 ? buf : "");
			close(errp[0]);
			return 0;
		}
		usleep(100000);
	}
	close(errp[0]);
	ck_assert_msg(access(pidfile, F_OK) == 0, "idmgrd did not start");
	return pid;
}

static void stop_idmgrd(pid_t pid)
{
	int st;

	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* One writer (docs/design.md, idmgrd(8)): a second idmgrd for the same
 * directory starts as a standby while the first holds the writer's lease:
 * it refuses requests (503, "not the writer", exit 3), and a command that
 * lists the writer in service.failover gets its request done there.  Once
 * the first stops (and gives the lease up) the standby takes it over and
 * serves. */
START_TEST(second_instance_stands_by)
{
	char conf[700], client[700], pidfile[700], text[1600], pw[700], *out = NULL, *err = NULL;
	char *argv[] = { getenv("IDMGR_BIN"),
			 "-c",
			 client,
			 "-u",
			 "takahashi",
			 "--password-file",
			 pw,
			 "user",
			 "unlock",
			 "watanabe",
			 NULL };
	int st = 0;
	pid_t pid;

	snprintf(pw, sizeof(pw), "%s/takahashi.pw", sb.dir);
	snprintf(text, sizeof(text), "socket = \"%s/second.sock\" writer_lease = 3", sb.dir);
	conf_variant("second.conf", text, conf, sizeof(conf));
	snprintf(pidfile, sizeof(pidfile), "%s/second.pid", sb.dir);
	pid = start_idmgrd(conf, pidfile, &st, &err);
	ck_assert_int_gt(pid, 0);
	/* the standby alone: refused, naming the lease's holder */
	snprintf(client, sizeof(client), "%s", conf);
	ck_assert_int_eq(run_cmd(argv, NULL, &out, &err), 3);
	ck_assert_msg(strstr(err, "is not the writer (standby"), "%s", err);
	free(out);
	free(err);
	/* the standby first, the writer after it: done by the writer */
	snprintf(text, sizeof(text), "socket = \"%s/second.sock\" failover = \"%s/idmgrd.sock\"",
		 sb.dir, sb.dir);
	conf_variant("second-client.conf", text, client, sizeof(client));
	ck_assert_int_eq(run_cmd(argv, NULL, &out, &err), 0);
	ck_assert_msg(strstr(out, "watanabe: unlocked"), "%s%s", out, err);
	free(out);
	free(err);
	/* the writer stops: the standby takes over within its period */
	idmgrd_instance_stop(&sb, "");
	snprintf(client, sizeof(client), "%s", conf);
	st = 1;
	for (int i = 0; i < 50 && st != 0; i++) {
		usleep(200000);
		st = run_cmd(argv, NULL, &out, &err);
		if (st != 0) {
			free(out);
			free(err);
		}
	}
	ck_assert_int_eq(st, 0);
	ck_assert_msg(strstr(out, "watanabe: unlocked"), "%s%s", out, err);
	free(out);
	free(err);
	stop_idmgrd(pid);
	idmgrd_instance_start(&sb, "");
}
END_TEST

/* Officers on other hosts reach idmgrd over TLS (service.tls_port on the
 * server, service.url on the client); a certificate the client's CA file
 * does not vouch for is refused before any password is sent. */
START_TEST(service_over_tls)
{
	char server[700], client[700], wrong[700], text[2048], pidfile[700], *out = NULL,
									     *err = NULL;
	char *argv[] = { getenv("IDMGR_BIN"),
			 "-c",
			 client,
			 "-u",
			 "takahashi",
			 "--password-file",
			 NULL,
			 "user",
			 "unlock",
			 "watanabe",
			 NULL };
	char pw[700];
	int port = closed_port();
	pid_t pid;

	self_signed("tls");
	self_signed("other");
	snprintf(text, sizeof(text),
		 "socket = \"%s/tls.sock\" tls_port = %d tls_address = \"127.0.0.1\" "
		 "tls_cert = \"%s/tls.crt\" tls_key = \"%s/tls.key\"",
		 sb.dir, port, sb.dir, sb.dir);
	conf_variant("tls-server.conf", text, server, sizeof(server));
	snprintf(text, sizeof(text),
		 "socket = \"%s/none.sock\" url = \"https://localhost:%d/\" ca_file = \"%s/tls.crt\"",
		 sb.dir, port, sb.dir);
	conf_variant("tls-client.conf", text, client, sizeof(client));
	snprintf(text, sizeof(text),
		 "socket = \"%s/none.sock\" url = \"https://localhost:%d/\" ca_file = \"%s/other.crt\"",
		 sb.dir, port, sb.dir);
	conf_variant("tls-wrong.conf", text, wrong, sizeof(wrong));
	snprintf(pidfile, sizeof(pidfile), "%s/tls.pid", sb.dir);
	snprintf(pw, sizeof(pw), "%s/takahashi.pw", sb.dir);
	argv[6] = pw;

	idmgrd_instance_stop(&sb, ""); /* one writer at a time */
	pid = start_idmgrd(server, pidfile, NULL, NULL);
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(run_cmd(argv, NULL, &out, &err), 0);
	ck_assert_msg(strstr(out, "watanabe: unlocked"), "%s%s", out, err);
	free(out);
	free(err);
	argv[2] = wrong;
	ck_assert_int_eq(run_cmd(argv, NULL, &out, &err), 3);
	ck_assert_msg(strstr(err, "does not answer on https://localhost:"), "%s", err);
	free(out);
	free(err);
	stop_idmgrd(pid);
	idmgrd_instance_start(&sb, "");
}
END_TEST

/* ---------------------------------------------------------- concurrency */

/* Two approvals at once by the two roles: both are kept, and the request
 * is approved (R-SOD-2). */
START_TEST(concurrent_approvals_both_kept)
{
	char *id = submit("tanaka", "jiro"), *dn = request_dn(id), *ap;
	int st1, st2, null = open("/dev/null", O_WRONLY);
	pid_t p1 = idmgr_spawn(&sb, sb.conf, "suzuki", "request", "approve", id, null);
	pid_t p2 = idmgr_spawn(&sb, sb.conf, "takahashi", "request", "approve", id, null);

	ck_assert_int_eq(waitpid(p1, &st1, 0), p1);
	ck_assert_int_eq(waitpid(p2, &st2, 0), p2);
	close(null);
	ck_assert(WIFEXITED(st1) && WEXITSTATUS(st1) == 0);
	ck_assert(WIFEXITED(st2) && WEXITSTATUS(st2) == 0);
	ap = state_of(dn, "idmApproval");
	ck_assert_msg(strstr(ap, "security_chief") && strstr(ap, "system_admin"), "%s", ap);
	free(ap);
	ap = state_of(dn, "idmRequestState");
	ck_assert_str_eq(ap, "approved|");
	free(ap);
	free(dn);
	free(id);
}
END_TEST

/* Two applies of one request at once: one winner, and the temporary
 * password it prints is the one that works; the other prints none. */
START_TEST(concurrent_applies_one_winner)
{
	char *id = submit("tanaka", "saburo"), *err = NULL, *pw;
	const char *const confs[2] = { sb.conf, sb.conf };
	struct idm_dir *d = NULL;

	ck_assert_int_eq(idmgr_quiet("suzuki", &err, "request", "approve", id), 0);
	free(err);
	ck_assert_int_eq(idmgr_quiet("takahashi", &err, "request", "approve", id), 0);
	free(err);
	pw = idmgr_racing_applies(&sb, confs, id, "saburo");
	ck_assert_int_eq(idm_dir_open(sb.cfg, NULL, "uid=saburo," PEOPLE, pw, &d), IDM_OK);
	idm_dir_close(d);
	free(pw);
	free(id);
}
END_TEST

/* A test case on the shared sandbox; the service's tests run for minutes
 * on a loaded machine. */
static TCase *sandbox_case(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	return tc;
}

static Suite *service_suite(void)
{
	Suite *s = suite_create("service");
	TCase *tc = sandbox_case("item3");

	tcase_add_test(tc, item3_forged_approvals_and_audit_records);
	tcase_add_test(tc, item3_requests_are_immutable);
	tcase_add_test(tc, item3_no_accounts_roles_or_passwords_by_hand);
	tcase_add_test(tc, item3_contractor_writes_nothing);
	tcase_add_test(tc, item3_audit_trail_untouchable);
	suite_add_tcase(s, tc);

	tc = sandbox_case("item3-rootdn");
	tcase_add_test(tc, item3_verify_names_records_not_by_the_service);
	tcase_add_test(tc, changed_request_voids_its_approvals);
	tcase_add_test(tc, number_pool_below_minimum_hands_out_nothing);
	tcase_add_test(tc, item4_reconcile_names_the_rootdn_write);
	tcase_add_test(tc, monthly_timer_reconciles);
	tcase_add_test(tc, item4_reconcile_names_the_rootdn_unlock);
	tcase_add_test(tc, replaced_audit_container_is_named);
	suite_add_tcase(s, tc);

	tc = sandbox_case("service");
	tcase_add_test(tc, service_checks_like_config_check);
	tcase_add_test(tc, service_rate_limits_refused_logins);
	tcase_add_test(tc, service_survives_a_dead_client);
	tcase_add_test(tc, answer_says_msgid_args_and_where);
	tcase_add_test(tc, service_over_tls);
	tcase_add_test(tc, second_instance_stands_by);
	tcase_add_test(tc, concurrent_approvals_both_kept);
	tcase_add_test(tc, concurrent_applies_one_winner);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run(service_suite(), NULL);
}
