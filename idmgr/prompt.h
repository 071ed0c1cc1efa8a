/* prompt.h -- reading a password from the terminal without echo. */
#ifndef IDMGR_PROMPT_H
#define IDMGR_PROMPT_H

/* Prompts on /dev/tty and reads one line without echo; IDM_EINVAL when
 * there is no terminal.  Free with idm_secret_free(). */
int prompt_password(const char *prompt, char **out);

#endif
