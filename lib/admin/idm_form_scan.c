/* idm_form_scan.c -- where each key of a request form stands: a scan that
 * follows libconfuse's lexer (idm_form_read.h).  Split from idm_form.c. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "idm_confuse_text.h"
#include "idm_form.h"
#include "idm_form_fields.h"
#include "idm_form_read.h"

/* ------------------------------------------------------------ scanning */

/* libconfuse's parser does not say where a key stood, stops at the first
 * unknown key and lets a repeated key silently win.  This scan of the
 * prepared text (comments blanked) follows its lexer to find each key's
 * line and the line of each list value, reports unknown and repeated keys,
 * and blanks the statements of unknown keys so that libconfuse goes on and
 * every error is reported in one run.  Where the text leaves the simple
 * "key = value" / "key = { values }" shape the scan stops and libconfuse
 * reports the syntax error. */

enum tok {
	T_END,
	T_WORD,
	T_STRING,
	T_OPEN_STRING,
	T_LBRACE,
	T_RBRACE,
	T_LPAREN,
	T_RPAREN,
	T_EQ,
	T_PLUSEQ,
	T_COMMA
};

struct token {
	enum tok kind;
	char *start, *end;
	int line;
};

struct lexer {
	char *p;
	int line;
};

/* The next token.  Characters no rule takes ('*', '\r', a '+' without
 * '=') are skipped, as libconfuse's lexer silently eats them. */
static void next_token(struct lexer *lx, struct token *t)
{
	char *p = lx->p;
	size_t n;

	for (;; p++) {
		if (*p == '\n')
			lx->line++;
		else if (*p == '\0' || !strchr(IDM_CONFUSE_UNQUOTED_STOP, *p) ||
			 strchr("\"'={}(),", *p) || (*p == '+' && p[1] == '='))
			break;
	}
	t->start = p;
	t->line = lx->line;
	switch (*p) {
	case '\0': t->kind = T_END; break;
	case '{':
		t->kind = T_LBRACE;
		p++;
		break;
	case '}':
		t->kind = T_RBRACE;
		p++;
		break;
	case '(':
		t->kind = T_LPAREN;
		p++;
		break;
	case ')':
		t->kind = T_RPAREN;
		p++;
		break;
	case '=':
		t->kind = T_EQ;
		p++;
		break;
	case ',':
		t->kind = T_COMMA;
		p++;
		break;
	case '+':
		t->kind = T_PLUSEQ;
		p += 2;
		break;
	case '"':
	case '\'': {
		char q = *p++;
		/* In both kinds a backslash takes the next character along
		 * (a newline: a continuation line). */
		for (; *p && *p != q; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (*p == '\n')
				lx->line++;
		}
		t->kind = *p == q ? T_STRING : T_OPEN_STRING;
		if (*p)
			p++;
		break;
	}
	default:
		n = strcspn(p, IDM_CONFUSE_UNQUOTED_STOP);
		t->kind = T_WORD;
		p += n;
		break;
	}
	t->end = p;
	lx->p = p;
}

static int field_named(const char *s, size_t len)
{
	for (int i = 0; i < F_COUNT; i++)
		if (strlen(idm_form_fields[i].name) == len &&
		    memcmp(idm_form_fields[i].name, s, len) == 0)
			return i;
	return -1;
}

static void blank(char *from, char *to)
{
	for (; from < to; from++)
		if (*from != '\n')
			*from = ' ';
}

static bool is_value(const struct token *t)
{
	return t->kind == T_WORD || t->kind == T_STRING;
}

/* Reads the rest of a statement after its key: "= value", "= { values }"
 * ("+=" alike), or a section or function call (no such thing in a form,
 * read to its end so that it can be blanked).  Returns false where the
 * text leaves that shape; *last is the last token read either way. */
static bool read_statement(struct lexer *lx, struct token *last, int *values, size_t *n_values)
{
	next_token(lx, last);
	if (last->kind == T_EQ || last->kind == T_PLUSEQ) {
		next_token(lx, last);
		if (is_value(last))
			return true;
		if (last->kind != T_LBRACE)
			return false;
		do {
			next_token(lx, last);
			if (is_value(last)) {
				if (*n_values < IDM_FORM_LIST_MAX)
					values[*n_values] = last->line;
				(*n_values)++;
				next_token(lx, last);
			}
		} while (last->kind == T_COMMA);
		return last->kind == T_RBRACE;
	}
	if (last->kind == T_LBRACE || last->kind == T_LPAREN) {
		int depth = 1;
		do {
			next_token(lx, last);
			if (last->kind == T_LBRACE || last->kind == T_LPAREN)
				depth++;
			else if (last->kind == T_RBRACE || last->kind == T_RPAREN)
				depth--;
		} while (depth > 0 && last->kind != T_END && last->kind != T_OPEN_STRING);
		return depth == 0;
	}
	return false;
}

void idm_form_scan(struct parse *p, char *text)
{
	struct lexer lx = { text, 1 };
	struct token key, last;

	for (;;) {
		int values[IDM_FORM_LIST_MAX];
		size_t n_values = 0;
		bool whole, quoted;
		char name[80];
		int f;

		next_token(&lx, &key);
		if (!is_value(&key))
			return; /* the end, or a syntax error for libconfuse to report */
		whole = read_statement(&lx, &last, values, &n_values);
		quoted = key.kind == T_STRING; /* libconfuse takes 'uid' = ... too */
		snprintf(name, sizeof(name), "%.*s", (int)(key.end - key.start - 2 * quoted),
			 key.start + quoted);
		f = field_named(name, strlen(name));
		if (f < 0)
			idm_form_error_at(p, key.line, "%s: unknown key", SHOWN(name));
		if (last.kind == T_OPEN_STRING)
			idm_form_error_at(p, last.line, "%s: the quote opened here is never closed",
					  f < 0 ? "value" : idm_form_fields[f].name);
		if (f >= 0 && whole && !is_list(f) && last.kind == T_RBRACE) {
			idm_form_error_at(p, key.line, "%s: takes one value, not a list",
					  idm_form_fields[f].name);
			p->uses[f].bad = true;
		}
		if (f < 0 || p->uses[f].bad) {
			/* libconfuse would stop there: it never sees it */
			blank(key.start, last.kind == T_END ? last.start : last.end);
			if (!whole)
				return;
			continue;
		}
		if (p->uses[f].first > 0)
			idm_form_error_at(p, key.line, "%s: given twice (first on line %d)",
					  idm_form_fields[f].name, p->uses[f].first);
		else
			p->uses[f].first = key.line;
		/* libconfuse keeps the last value: its messages cite this line */
		p->uses[f].line = key.line;
		p->uses[f].n_values = n_values;
		memcpy(p->uses[f].value_line, values,
		       (n_values < IDM_FORM_LIST_MAX ? n_values : IDM_FORM_LIST_MAX) * sizeof(int));
		if (!whole)
			return;
	}
}
