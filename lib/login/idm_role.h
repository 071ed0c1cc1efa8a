/* idm_role.h -- the officer roles of the security policy (requirements.md). */
#ifndef IDM_ROLE_H
#define IDM_ROLE_H

enum idm_role {
	IDM_ROLE_CISO,
	IDM_ROLE_SECURITY_CHIEF,
	IDM_ROLE_SYSTEM_ADMIN,
	IDM_ROLE_SECURITY_MANAGER,
	IDM_ROLE_CONTRACTOR,
	IDM_ROLE_COUNT
};

/* "ciso", "security_chief", ... as in idmgr.conf's roles section. */
const char *idm_role_name(enum idm_role role);
/* The role of that name, or -1. */
int idm_role_from_name(const char *name);

#endif
