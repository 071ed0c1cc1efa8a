/* idm_confuse_text.h -- libconfuse text made safe to parse, for every file
 * idmgr parses with libconfuse (idmgr.conf, request forms), and the lock
 * around libconfuse's scanner. */
#ifndef IDM_CONFUSE_TEXT_H
#define IDM_CONFUSE_TEXT_H

#include <stdbool.h>

#include "idm_log.h"

struct cfg_t;

/* Characters that end an unquoted string in libconfuse's lexer. */
#define IDM_CONFUSE_UNQUOTED_STOP " #\"'\t\n\r={}()+,*"

/* Prepares a libconfuse text in place before cfg_parse_buf(): blanks
 * comments (newlines kept, so libconfuse 3.3 cites the right lines) and
 * logs each ${ that libconfuse would expand from the environment as
 * "NAME:LINE: ...".  With closed (idmgr.conf) it also refuses a quote,
 * comment or section never closed, where libconfuse would stop reading and
 * report success; without (request forms) the caller's own lexer names the
 * field of such a quote.  Returns how many problems it found; the caller
 * refuses the text unless 0. */
int idm_confuse_prepare_text(char *text, const char *name, const struct idm_log *log, bool closed);

/* Held around every call into libconfuse's scanner: cfg_init() (it scans
 * the defaults of lists), cfg_parse_buf(), and cfg_free() (it frees the
 * scanner's buffers; idm_confuse_free() does that, NULL accepted).  It is
 * process-global, so concurrent loads (a PAM application authenticating from
 * several threads) would corrupt each other; everything else of a load is
 * per thread. */
void idm_confuse_lock(void);
void idm_confuse_unlock(void);
void idm_confuse_free(struct cfg_t *cfg);

#endif
