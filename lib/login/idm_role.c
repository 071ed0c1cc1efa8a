#include "config.h"

#include "idm_i18n.h"
#include "idm_role.h"
#include "idm_text.h"

static const char *const role_names[IDM_ROLE_COUNT] = {
	[IDM_ROLE_CISO] = NC_("role", "ciso"),
	[IDM_ROLE_SECURITY_CHIEF] = NC_("role", "security_chief"),
	[IDM_ROLE_SYSTEM_ADMIN] = NC_("role", "system_admin"),
	[IDM_ROLE_SECURITY_MANAGER] = NC_("role", "security_manager"),
	[IDM_ROLE_CONTRACTOR] = NC_("role", "contractor"),
};

const char *idm_role_name(enum idm_role role)
{
	return idm_name_of(role_names, IDM_ROLE_COUNT, (unsigned)role);
}

int idm_role_from_name(const char *name)
{
	return idm_name_index(role_names, IDM_ROLE_COUNT, name);
}
