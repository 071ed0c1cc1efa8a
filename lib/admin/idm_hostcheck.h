/* idm_hostcheck.h -- does this host end idle access as the policy asks
 * (R-LOGIN-1, login.idle_timeout)?  The PAM module cannot end an idle
 * session; the host's own settings can.  This reads them (never changes
 * them) below root ("/" on the host, a scratch folder in tests) and says,
 * per mechanism, whether it meets the time-out and what to change:
 *
 *   logind   StopIdleSessionSec (systemd >= 252) in /etc/systemd/logind.conf
 *            and logind.conf.d/ drop-ins (the last assignment wins)
 *   sshd     ClientAliveInterval x ClientAliveCountMax in /etc/ssh/sshd_config
 *            and what it Includes (the first assignment wins; Match blocks
 *            are not read); not applicable without sshd_config
 *   shell    TMOUT set read-only in /etc/profile, /etc/bash.bashrc or
 *            /etc/profile.d/ (files ending in .sh)
 *   gnome    the screen lock of GNOME (dconf): idle-delay and lock-enabled
 *            in /etc/dconf/db/NAME.d/ keyfiles, both locked in locks/; not
 *            applicable without /etc/dconf/db or gnome-shell
 *   xscreensaver  *timeout and *lock in /etc/X11/app-defaults/XScreenSaver;
 *            not applicable without xscreensaver
 *
 * On the host itself (root "/") the programs are asked first: the running
 * systemd-logind's StopIdleSessionUSec (busctl, when systemd runs) and
 * sshd's effective settings (sshd -T); run without a shell, an empty
 * environment, at most 5 seconds; the files when they cannot tell.
 *
 * The shipped settings (conf/idle/) meet the default of 600 seconds.  Files
 * are read as data: opened without following a symbolic link at the last
 * component, regular files only, at most 1 MiB each. */
#ifndef IDM_HOSTCHECK_H
#define IDM_HOSTCHECK_H

#include <stddef.h>

enum idm_host_state { IDM_HOST_MEETS, IDM_HOST_CHANGE, IDM_HOST_NOT_APPLICABLE };

struct idm_host_item {
	const char *name; /* "logind", "sshd", "shell", "gnome", "xscreensaver" */
	enum idm_host_state state;
	char found[512];  /* what the host has now, with the file */
	char change[512]; /* what to change (empty when it meets) */
};

#define IDM_HOST_ITEMS 5
struct idm_host_report {
	struct idm_host_item items[IDM_HOST_ITEMS];
	size_t n_change;
};

/* root: absolute path of the folder standing for "/"; idle_timeout in
 * seconds (> 0).  IDM_EINVAL for a bad argument, IDM_ENOMEM; unreadable
 * files count as absent. */
int idm_host_check(const char *root, long idle_timeout, struct idm_host_report *out);

#endif
