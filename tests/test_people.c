/* For the people the policy binds, through the real idmgr against a real
 * slapd: shared IDs and their holders (R-ID-1), the self-inspection report
 * (R-REV-1), notices that arrive (R-PRIV-2, R-VIO-1, R-EXC-2) and the
 * host's idle time-out settings (R-LOGIN-1). */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "officers.h"

static struct sandbox sb;

static const char register_tmpl[] = "type = \"register\"\nform_ref = \"HR-7\"\n"
				    "applicant = \"watanabe\"\nreason = \"Staff\"\nuid = \"%s\"\n"
				    "given_name = \"Hanako\"\nsurname = \"Yamada\"\n"
				    "unit = \"benefits\"\nemployee_type = \"regular\"\n%s";

static void registered(const char *uid, const char *extra)
{
	char form[1024], *id = NULL, *out;

	snprintf(form, sizeof(form), register_tmpl, uid, extra);
	out = request_through(&sb, form, "tanaka", "suzuki", "takahashi", "takahashi", &id);
	free(out);
	free(id);
}

static void setup(void)
{
	sandbox_start(&sb, true);
	officers_ready(&sb, NULL, NULL);
	registered("hanako", "");
	/* R-ID-1: a counter terminal's ID used by two registered people */
	registered("desk", "shared_with = {'tanaka', 'hanako'}\n");
}

static void teardown(void)
{
	sandbox_stop(&sb);
}

/* R-ID-1: the holders written by a register request are read back by
 * "user show" and "report shared", in text, JSON and CSV. */
START_TEST(shared_id_lists_its_holders)
{
	char *out = NULL, *err = NULL;
	json_t *root, *h;

	ck_assert_msg(idmgr_as(&sb, "sato", &out, &err, "user", "show", "desk", NULL) == 0, "%s",
		      err);
	ck_assert_ptr_nonnull(strstr(out, "shared with   hanako (active), tanaka (active)\n"));
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "user", "show", "hanako", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "shared with   -\n"));
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "sato", &out, &err, "user", "show", "desk", "--format", "json",
				  NULL),
			 0);
	root = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(root);
	h = json_object_get(root, "shared_with");
	ck_assert_int_eq(json_array_size(h), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 0), "uid")), "hanako");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 1), "status")), "active");
	json_decref(root);
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &out, &err, "report", "shared", NULL), 0);
	ck_assert_str_eq(out, "desk             holders: hanako (active), tanaka (active)\n");
	free(out);
	free(err);
	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &out, &err, "report", "shared", "--format", "csv",
				  NULL),
			 0);
	ck_assert_str_eq(out, "uid,holder,holder_status\n\"desk\",\"hanako\",\"active\"\n"
			      "\"desk\",\"tanaka\",\"active\"\n");
	free(out);
	free(err);
	/* a holder whose account went away is shown as such, not hidden */
	ck_assert_int_eq(sandbox_ldapmodify(&sb, "dn: uid=desk,ou=people,dc=example,dc=org\n"
						 "changetype: modify\nadd: idmSharedWith\n"
						 "idmSharedWith: gone\n"),
			 0);
	ck_assert_int_eq(idmgr_as(&sb, "watanabe", &out, &err, "report", "shared", "--format", "json",
				  NULL),
			 0);
	root = json_loads(out, 0, NULL);
	h = json_object_get(json_array_get(root, 0), "holders");
	ck_assert_int_eq(json_array_size(h), 3);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 0), "uid")), "gone");
	ck_assert(json_is_null(json_object_get(json_array_get(h, 0), "status")));
	json_decref(root);
	free(out);
	free(err);
}
END_TEST

static Suite *people_suite(void)
{
	Suite *s = suite_create("people");
	TCase *tc = tcase_create("directory");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, shared_id_lists_its_holders);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(people_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
