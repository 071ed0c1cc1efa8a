/* idm_confuse_text.c -- a libconfuse text made safe to parse, for every
 * file idmgr parses (idmgr.conf, request forms), and the lock around
 * libconfuse's scanner (idm_confuse_text.h).  Split from idm_config.c. */
#include "config.h"

#include <confuse.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "idm_confuse_text.h"
#include "idm_log.h"
#include "idm_i18n.h"

/* libconfuse's own sentences (3.3), as its error callback hands them to
 * idm_config.c and idm_form.c: listed here only for xgettext, so that
 * po/ja.po says them too (the display sink looks a format up by its text,
 * whoever wrote it).  A newer libconfuse's other sentences stay English. */
static const char *const confuse_sentences[] __attribute__((unused)) = {
	N_("no such option '%s'"),
	N_("no sub-section '%s' in '%s'"),
	N_("found duplicate title '%s'"),
	N_("unexpected token '%s'"),
	N_("unexpected closing brace"),
	N_("premature end of file"),
	N_("unterminated string constant"),
	N_("no sub-section title/index for '%s'"),
	N_("duplicate option '%s' not allowed"),
	N_("invalid integer value for option '%s'"),
	N_("integer value for option '%s' is out of range"),
	N_("invalid floating point value for option '%s'"),
	N_("floating point value for option '%s' is out of range"),
	N_("invalid boolean value for option '%s'"),
	N_("attempt to append to non-list option '%s'"),
	N_("missing equal sign after option '%s'"),
	N_("missing opening brace for section '%s'"),
	N_("missing title for section '%s'"),
	N_("missing parenthesis for function '%s'"),
	N_("syntax error in call of function '%s'"),
	N_("invalid octal number '%s'"),
	N_("bad escape sequence '%s'"),
};

/* Prepares the text for libconfuse, in place:
 * - refuses ${VAR} where libconfuse would expand it from the environment
 *   (unquoted and double-quoted values; inside su or passwd that is the
 *   caller's environment); comments and single-quoted strings may hold it;
 * - blanks comments (newlines kept), because libconfuse 3.3 counts two
 *   extra lines for each comment and its messages would cite wrong lines.
 * - when closed (idmgr.conf), refuses a quote, a comment or a section that
 *   is never closed: there libconfuse 3.3 stops reading and reports
 *   success, so the rest of the file would be dropped unseen (a privileged
 *   policy below a stray '"' would vanish).  The message names the line
 *   where it opens.
 * The scan follows libconfuse's lexer, which takes the longest token: "//"
 * starts a comment only where no longer unquoted string starts (so
 * "ldap://h/" is a value), and in single quotes both \' and \\ are escapes. */
int idm_confuse_prepare_text(char *text, const char *name, const struct idm_log *log, bool closed)
{
	enum { PLAIN, DQUOTE, SQUOTE, LINE_COMMENT, BLOCK_COMMENT } state = PLAIN;
	int line = 1, refs = 0, opened = 0;       /* opened: line of the open quote or comment */
	int depth = 0, section_lines[16] = { 0 }; /* where each open '{' is */

	for (char *p = text; *p; p++) {
		bool ref = false;

		if (*p == '\n') {
			line++;
			if (state == LINE_COMMENT)
				state = PLAIN;
			continue;
		}
		switch (state) {
		case PLAIN: {
			size_t word = strcspn(p, IDM_CONFUSE_UNQUOTED_STOP),
			       slashes = strspn(p, "/");

			if (p[0] == '$' && p[1] == '{') {
				ref = true;
			} else if (*p == '#' || (slashes >= 2 && slashes >= word)) {
				state = LINE_COMMENT;
				*p = ' ';
			} else if (p[0] == '/' && p[1] == '*') {
				state = BLOCK_COMMENT;
				opened = line;
				*p++ = ' ';
				*p = ' ';
			} else if (*p == '"') {
				state = DQUOTE;
				opened = line;
			} else if (*p == '\'') {
				state = SQUOTE;
				opened = line;
			} else if (*p == '{') {
				if (depth < (int)(sizeof(section_lines) / sizeof(section_lines[0])))
					section_lines[depth] = line;
				depth++;
			} else if (*p == '}') {
				/* one too many is libconfuse's own error */
				depth -= depth > 0;
			} else if (word > 0) {
				/* an unquoted string: no comment or quote inside */
				ref = p[word - 1] == '$' && p[word] == '{';
				p += word - 1;
			}
			break;
		}
		case DQUOTE:
			if (*p == '\\' && p[1] && p[1] != '\n')
				p++;
			else if (*p == '"')
				state = PLAIN;
			else
				ref = p[0] == '$' && p[1] == '{';
			break;
		case SQUOTE:
			if (*p == '\\' && (p[1] == '\'' || p[1] == '\\'))
				p++;
			else if (*p == '\'')
				state = PLAIN;
			break;
		case BLOCK_COMMENT:
			if (p[0] == '*' && p[1] == '/') {
				state = PLAIN;
				*p++ = ' ';
			}
			*p = ' ';
			break;
		case LINE_COMMENT: *p = ' '; break;
		}
		if (ref) {
			idm_logf(log, LOG_ERR,
				 N_("%s:%d: \"${\" is not allowed: environment references are not "
				    "expanded (write the value itself, or single-quote it)"),
				 name, line);
			refs++;
		}
	}
	if (!closed) {
		/* the caller's own lexer reports these */
	} else if (state == DQUOTE || state == SQUOTE || state == BLOCK_COMMENT) {
		idm_logf(log, LOG_ERR,
			 N_("%s:%d: this %s is never closed: the rest of the file would be ignored"),
			 name, opened, state == BLOCK_COMMENT ? "comment" : "quoted string");
		refs++;
	} else if (depth > 0) {
		int n = (int)(sizeof(section_lines) / sizeof(section_lines[0]));
		idm_logf(log, LOG_ERR,
			 N_("%s:%d: this section is never closed (a '}' is missing): the rest of the "
			    "file would be ignored"),
			 name, section_lines[depth <= n ? depth - 1 : n - 1]);
		refs++;
	}
	return refs;
}

/* libconfuse 3.3's scanner (flex, not reentrant) keeps its buffer and
 * token in process globals: two parses at once in one process corrupt each
 * other (a threaded PAM application crashed with "fatal flex scanner
 * internal error"); cfg_free() of a top-level section frees the scanner's
 * buffers.  The module starts no thread; it only makes its own uses of the
 * scanner take turns. */
static pthread_mutex_t confuse_lock = PTHREAD_MUTEX_INITIALIZER;

void idm_confuse_lock(void)
{
	pthread_mutex_lock(&confuse_lock);
}

void idm_confuse_unlock(void)
{
	pthread_mutex_unlock(&confuse_lock);
}

void idm_confuse_free(struct cfg_t *cfg)
{
	if (!cfg)
		return;
	idm_confuse_lock();
	cfg_free(cfg); /* frees the scanner's buffers too */
	idm_confuse_unlock();
}
