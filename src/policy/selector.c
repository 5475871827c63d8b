/*
 * DOC: Calico selector expressions: parser, evaluator, canonical form.
 *
 * Grammar (Calico "Selectors" reference, projectcalico.org/v3), by
 * precedence from loosest to tightest:
 *
 *   expr    := and ( "||" and )*
 *   and     := unary ( "&&" unary )*
 *   unary   := "!" unary | primary
 *   primary := "(" expr ")" | "all()" | "global()" | "has(" key ")"
 *            | key "==" str | key "!=" str | key "in" set | key "not in" set
 *            | key "contains" str | key "starts with" str | key "ends with" str
 *   set     := "{" [ str ( "," str )* ] "}"      str := '...' | "..."
 *
 * Semantics as Calico documents them: "k != v" and "k not in {...}" also
 * match when k is absent; an empty selector is all(). The namespace of an
 * endpoint is the pseudo-label projectcalico.org/namespace; a namespace
 * selector (rule namespaceSelector, K8s namespaceSelector) is a wrapper node
 * evaluated against the labels of the endpoint's namespace, which carry the
 * pseudo-labels projectcalico.org/name and kubernetes.io/metadata.name.
 * global() matches endpoints that are not namespaced.
 *
 * Input is bounded (POLICY_SELECTOR_MAX_LEN bytes, POLICY_SELECTOR_MAX_DEPTH
 * nesting) so that the recursive descent cannot exhaust the stack.
 * Evaluation and the canonical form are in selector_eval.c.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/buf.h>
#include <tabby/policy.h>

#include "selector_private.h"

#define SEL_MAX_VALUES 1024

struct sel_parser {
	const char *s;
	size_t len, pos;
	unsigned depth;
	char *err;
	size_t errlen;
	int rc;
};

static int sel_fail(struct sel_parser *p, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int sel_fail(struct sel_parser *p, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->rc)
		return p->rc;
	p->rc = rc;
	if (p->err && p->errlen) {
		if (rc == -ENOMEM) {
			snprintf(p->err, p->errlen, "selector: out of memory");
			return rc;
		}
		n = snprintf(p->err, p->errlen, "selector: position %zu: ", p->pos);
		if (n >= 0 && (size_t)n < p->errlen) {
			va_start(ap, fmt);
			vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return rc;
}

static void sel_skip_space(struct sel_parser *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
		p->pos++;
}

/* Consume the literal token tok (after spaces); true if it was there. */
static bool sel_accept(struct sel_parser *p, const char *tok)
{
	size_t n = strlen(tok);

	sel_skip_space(p);
	if (p->len - p->pos >= n && memcmp(p->s + p->pos, tok, n) == 0) {
		p->pos += n;
		return true;
	}
	return false;
}

static bool sel_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '/' || c == '-';
}

/* A label key (or keyword); NULL with p->rc set when there is none. */
static char *sel_word(struct sel_parser *p, const char *what)
{
	size_t start;
	char *w;

	sel_skip_space(p);
	start = p->pos;
	while (p->pos < p->len && sel_key_char(p->s[p->pos]))
		p->pos++;
	if (p->pos == start) {
		sel_fail(p, -EINVAL, "expected %s", what);
		return NULL;
	}
	w = strndup(p->s + start, p->pos - start);
	if (!w)
		sel_fail(p, -ENOMEM, "out of memory");
	return w;
}

/* Is the next word exactly kw (not a prefix of a longer key)? Consumes it. */
static bool sel_keyword(struct sel_parser *p, const char *kw)
{
	size_t n = strlen(kw), save;

	sel_skip_space(p);
	save = p->pos;
	if (p->len - p->pos >= n && memcmp(p->s + p->pos, kw, n) == 0 &&
	    (p->pos + n == p->len || !sel_key_char(p->s[p->pos + n]))) {
		p->pos += n;
		return true;
	}
	p->pos = save;
	return false;
}

static char *sel_string(struct sel_parser *p)
{
	char q;
	size_t start;
	char *v;

	sel_skip_space(p);
	if (p->pos >= p->len || (p->s[p->pos] != '"' && p->s[p->pos] != '\'')) {
		sel_fail(p, -EINVAL, "expected a quoted string");
		return NULL;
	}
	q = p->s[p->pos++];
	start = p->pos;
	while (p->pos < p->len && p->s[p->pos] != q && p->s[p->pos])
		p->pos++;
	if (p->pos >= p->len || p->s[p->pos] != q) {
		p->pos = start - 1;
		sel_fail(p, -EINVAL, "unterminated string");
		return NULL;
	}
	v = strndup(p->s + start, p->pos - start);
	p->pos++;
	if (!v)
		sel_fail(p, -ENOMEM, "out of memory");
	return v;
}

/* Sort and deduplicate a value set (the canonical form depends on it). */
void sel_values_normalize(struct policy_selector *n)
{
	size_t i, j = 0;

	if (n->n_values == 0)
		return;
	qsort(n->values, n->n_values, sizeof(char *), sel_str_cmp);
	for (i = 1; i < n->n_values; i++) {
		if (strcmp(n->values[i], n->values[j]) == 0)
			free(n->values[i]);
		else
			n->values[++j] = n->values[i];
	}
	n->n_values = j + 1;
}

static int sel_set(struct sel_parser *p, struct policy_selector *n)
{
	char *v;
	char **nv;

	if (!sel_accept(p, "{"))
		return sel_fail(p, -EINVAL, "expected '{'");
	if (sel_accept(p, "}"))
		return 0;
	for (;;) {
		if (n->n_values >= SEL_MAX_VALUES)
			return sel_fail(p, -EINVAL, "too many values in set");
		v = sel_string(p);
		if (!v)
			return p->rc;
		nv = realloc(n->values, (n->n_values + 1) * sizeof(*nv));
		if (!nv) {
			free(v);
			return sel_fail(p, -ENOMEM, "out of memory");
		}
		n->values = nv;
		n->values[n->n_values++] = v;
		if (sel_accept(p, "}"))
			break;
		if (!sel_accept(p, ","))
			return sel_fail(p, -EINVAL, "expected ',' or '}'");
	}
	sel_values_normalize(n);
	return 0;
}

static struct policy_selector *sel_expr(struct sel_parser *p);

static struct policy_selector *sel_func(struct sel_parser *p, enum sel_op op, bool want_key)
{
	struct policy_selector *n = sel_node(op);

	if (!n) {
		sel_fail(p, -ENOMEM, "out of memory");
		return NULL;
	}
	if (!sel_accept(p, "("))
		goto fail_expected_open;
	if (want_key && !(n->key = sel_word(p, "a label key")))
		goto fail;
	if (!sel_accept(p, ")")) {
		sel_fail(p, -EINVAL, "expected ')'");
		goto fail;
	}
	return n;
fail_expected_open:
	sel_fail(p, -EINVAL, "expected '('");
fail:
	policy_selector_free(n);
	return NULL;
}

/* key OP value, after the key has been read. */
static struct policy_selector *sel_comparison(struct sel_parser *p, char *key)
{
	struct policy_selector *n = sel_node(SEL_EQ);

	if (!n) {
		free(key);
		sel_fail(p, -ENOMEM, "out of memory");
		return NULL;
	}
	n->key = key;
	if (sel_accept(p, "==")) {
		n->op = SEL_EQ;
	} else if (sel_accept(p, "!=")) {
		n->op = SEL_NE;
	} else if (sel_keyword(p, "in")) {
		n->op = SEL_IN;
		if (sel_set(p, n))
			goto fail;
		return n;
	} else if (sel_keyword(p, "not")) {
		if (!sel_keyword(p, "in")) {
			sel_fail(p, -EINVAL, "expected 'in' after 'not'");
			goto fail;
		}
		n->op = SEL_NOT_IN;
		if (sel_set(p, n))
			goto fail;
		return n;
	} else if (sel_keyword(p, "contains")) {
		n->op = SEL_CONTAINS;
	} else if (sel_keyword(p, "starts")) {
		n->op = SEL_STARTS;
		if (!sel_keyword(p, "with")) {
			sel_fail(p, -EINVAL, "expected 'with' after 'starts'");
			goto fail;
		}
	} else if (sel_keyword(p, "ends")) {
		n->op = SEL_ENDS;
		if (!sel_keyword(p, "with")) {
			sel_fail(p, -EINVAL, "expected 'with' after 'ends'");
			goto fail;
		}
	} else {
		sel_skip_space(p);
		sel_fail(p, -EINVAL,
		         "expected an operator (==, !=, in, not in, contains, "
		         "starts with, ends with)");
		goto fail;
	}
	if (!(n->value = sel_string(p)))
		goto fail;
	return n;
fail:
	policy_selector_free(n);
	return NULL;
}

static struct policy_selector *sel_primary(struct sel_parser *p)
{
	struct policy_selector *n;
	char *key;

	sel_skip_space(p);
	if (sel_accept(p, "(")) {
		n = sel_expr(p);
		if (!n)
			return NULL;
		if (!sel_accept(p, ")")) {
			policy_selector_free(n);
			sel_fail(p, -EINVAL, "expected ')'");
			return NULL;
		}
		return n;
	}
	if (sel_keyword(p, "all"))
		return sel_func(p, SEL_ALL, false);
	if (sel_keyword(p, "global"))
		return sel_func(p, SEL_GLOBAL, false);
	/* "has" is also a valid label key: a function only when "(" follows. */
	if (sel_keyword(p, "has")) {
		sel_skip_space(p);
		if (p->pos < p->len && p->s[p->pos] == '(')
			return sel_func(p, SEL_HAS, true);
		key = strdup("has");
		if (!key) {
			sel_fail(p, -ENOMEM, "out of memory");
			return NULL;
		}
		return sel_comparison(p, key);
	}
	key = sel_word(p, "a label key, '(', '!', has(), all() or global()");
	if (!key)
		return NULL;
	return sel_comparison(p, key);
}

static struct policy_selector *sel_unary(struct sel_parser *p)
{
	struct policy_selector *n, *inner;

	if (++p->depth > POLICY_SELECTOR_MAX_DEPTH) {
		sel_fail(p, -EINVAL, "nested too deeply (at most %d levels)",
		         POLICY_SELECTOR_MAX_DEPTH);
		return NULL;
	}
	sel_skip_space(p);
	if (p->pos < p->len && p->s[p->pos] == '!' &&
	    !(p->pos + 1 < p->len && p->s[p->pos + 1] == '=')) {
		p->pos++;
		inner = sel_unary(p);
		if (!inner)
			return NULL;
		n = policy_selector_not(inner);
		if (!n)
			sel_fail(p, -ENOMEM, "out of memory");
	} else {
		n = sel_primary(p);
	}
	p->depth--;
	return n;
}

static struct policy_selector *sel_binary(struct sel_parser *p, bool is_or)
{
	struct policy_selector *l, *r, *n;

	l = is_or ? sel_binary(p, false) : sel_unary(p);
	while (l && sel_accept(p, is_or ? "||" : "&&")) {
		r = is_or ? sel_binary(p, false) : sel_unary(p);
		if (!r) {
			policy_selector_free(l);
			return NULL;
		}
		n = sel_node(is_or ? SEL_OR : SEL_AND);
		if (!n) {
			policy_selector_free(l);
			policy_selector_free(r);
			sel_fail(p, -ENOMEM, "out of memory");
			return NULL;
		}
		n->a = l;
		n->b = r;
		l = n;
	}
	return l;
}

static struct policy_selector *sel_expr(struct sel_parser *p)
{
	struct policy_selector *n;

	if (++p->depth > POLICY_SELECTOR_MAX_DEPTH) {
		sel_fail(p, -EINVAL, "nested too deeply (at most %d levels)",
		         POLICY_SELECTOR_MAX_DEPTH);
		return NULL;
	}
	n = sel_binary(p, true);
	p->depth--;
	return n;
}

int policy_selector_parse(const char *text, struct policy_selector **out, char *err, size_t errlen)
{
	struct sel_parser p = {.s = text, .err = err, .errlen = errlen};
	struct policy_selector *n;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	p.len = strnlen(text, POLICY_SELECTOR_MAX_LEN + 1);
	if (p.len > POLICY_SELECTOR_MAX_LEN)
		return sel_fail(&p, -EINVAL, "longer than %d bytes", POLICY_SELECTOR_MAX_LEN);
	sel_skip_space(&p);
	if (p.pos == p.len) {
		*out = policy_selector_all();
		return *out ? 0 : sel_fail(&p, -ENOMEM, "out of memory");
	}
	n = sel_expr(&p);
	if (!n)
		return p.rc ? p.rc : -EINVAL;
	sel_skip_space(&p);
	if (p.pos != p.len) {
		policy_selector_free(n);
		return sel_fail(&p, -EINVAL, "unexpected '%c'", p.s[p.pos]);
	}
	*out = n;
	return 0;
}
