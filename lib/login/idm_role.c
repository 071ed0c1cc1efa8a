#include "config.h"

#include <string.h>

#include "idm_role.h"

static const char *const role_names[IDM_ROLE_COUNT] = {
	[IDM_ROLE_CISO] = "ciso",
	[IDM_ROLE_SECURITY_CHIEF] = "security_chief",
	[IDM_ROLE_SYSTEM_ADMIN] = "system_admin",
	[IDM_ROLE_SECURITY_MANAGER] = "security_manager",
	[IDM_ROLE_CONTRACTOR] = "contractor",
};

const char *idm_role_name(enum idm_role role)
{
	return (unsigned)role < IDM_ROLE_COUNT ? role_names[role] : "?";
}

int idm_role_from_name(const char *name)
{
	for (int i = 0; i < IDM_ROLE_COUNT; i++)
		if (strcmp(name, role_names[i]) == 0)
			return i;
	return -1;
}
