#include "config.h"

#include "idm_role.h"
#include "idm_text.h"

static const char *const role_names[IDM_ROLE_COUNT] = {
	[IDM_ROLE_CISO] = "ciso",
	[IDM_ROLE_SECURITY_CHIEF] = "security_chief",
	[IDM_ROLE_SYSTEM_ADMIN] = "system_admin",
	[IDM_ROLE_SECURITY_MANAGER] = "security_manager",
	[IDM_ROLE_CONTRACTOR] = "contractor",
};

const char *idm_role_name(enum idm_role role)
{
	return idm_name_of(role_names, IDM_ROLE_COUNT, (unsigned)role);
}

int idm_role_from_name(const char *name)
{
	return idm_name_index(role_names, IDM_ROLE_COUNT, name);
}
