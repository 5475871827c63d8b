/*
 * DOC: selector ASTs: constructors, evaluation against labels, canonical
 * form (the parser is selector.c; the semantics are described there).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/buf.h>
#include <tabby/policy.h>

#include "selector_private.h"

struct policy_selector *sel_node(enum sel_op op)
{
	struct policy_selector *n = calloc(1, sizeof(*n));

	if (n)
		n->op = op;
	return n;
}

int sel_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void policy_selector_free(struct policy_selector *sel)
{
	size_t i;

	if (!sel)
		return;
	policy_selector_free(sel->a);
	policy_selector_free(sel->b);
	free(sel->key);
	free(sel->value);
	for (i = 0; i < sel->n_values; i++)
		free(sel->values[i]);
	free(sel->values);
	free(sel);
}

/* ---- constructors ---- */

struct policy_selector *policy_selector_all(void)
{
	return sel_node(SEL_ALL);
}

static struct policy_selector *sel_wrap2(enum sel_op op, struct policy_selector *a,
                                         struct policy_selector *b)
{
	struct policy_selector *n;

	if (!a || (op != SEL_NOT && op != SEL_NS && !b))
		goto fail;
	n = sel_node(op);
	if (!n)
		goto fail;
	n->a = a;
	n->b = b;
	return n;
fail:
	policy_selector_free(a);
	policy_selector_free(b);
	return NULL;
}

struct policy_selector *policy_selector_and(struct policy_selector *a, struct policy_selector *b)
{
	/* all() && x is x: keeps canonical forms (and set names) short. */
	if (a && b && a->op == SEL_ALL) {
		policy_selector_free(a);
		return b;
	}
	if (a && b && b->op == SEL_ALL) {
		policy_selector_free(b);
		return a;
	}
	return sel_wrap2(SEL_AND, a, b);
}

struct policy_selector *policy_selector_not(struct policy_selector *a)
{
	return sel_wrap2(SEL_NOT, a, NULL);
}

struct policy_selector *policy_selector_in_namespace(struct policy_selector *sel)
{
	return sel_wrap2(SEL_NS, sel, NULL);
}

struct policy_selector *policy_selector_eq(const char *key, const char *value)
{
	struct policy_selector *n = sel_node(SEL_EQ);

	if (!n)
		return NULL;
	n->key = strdup(key);
	n->value = strdup(value);
	if (!n->key || !n->value) {
		policy_selector_free(n);
		return NULL;
	}
	return n;
}

struct policy_selector *policy_selector_clone(const struct policy_selector *sel)
{
	struct policy_selector *n;
	size_t i;

	if (!sel)
		return NULL;
	n = sel_node(sel->op);
	if (!n)
		return NULL;
	if ((sel->key && !(n->key = strdup(sel->key))) ||
	    (sel->value && !(n->value = strdup(sel->value))) ||
	    (sel->a && !(n->a = policy_selector_clone(sel->a))) ||
	    (sel->b && !(n->b = policy_selector_clone(sel->b))))
		goto fail;
	if (sel->n_values) {
		n->values = calloc(sel->n_values, sizeof(char *));
		if (!n->values)
			goto fail;
		for (i = 0; i < sel->n_values; i++) {
			if (!(n->values[i] = strdup(sel->values[i])))
				goto fail;
			n->n_values++;
		}
	}
	return n;
fail:
	policy_selector_free(n);
	return NULL;
}

bool policy_selector_is_all(const struct policy_selector *sel)
{
	return sel && sel->op == SEL_ALL;
}

/* ---- evaluation ---- */

static const char *sel_lookup(const struct policy_match *m, bool ns_mode, const char *key)
{
	const struct policy_label *v = ns_mode ? m->ns_labels : m->labels;
	size_t i, n = ns_mode ? m->n_ns_labels : m->n_labels;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].key, key) == 0)
			return v[i].value;
	if (!m->namespace)
		return NULL;
	if (!ns_mode && strcmp(key, POLICY_LABEL_NAMESPACE) == 0)
		return m->namespace;
	if (ns_mode &&
	    (strcmp(key, POLICY_LABEL_NS_NAME) == 0 || strcmp(key, POLICY_LABEL_K8S_NS) == 0))
		return m->namespace;
	return NULL;
}

static bool sel_in(const struct policy_selector *n, const char *v)
{
	if (n->n_values == 0)
		return false;
	return bsearch(&v, n->values, n->n_values, sizeof(char *), sel_str_cmp) != NULL;
}

static bool sel_eval(const struct policy_selector *n, const struct policy_match *m, bool ns_mode)
{
	const char *v;
	size_t vl, nl;

	switch (n->op) {
	case SEL_ALL:
		return true;
	case SEL_GLOBAL:
		return m->namespace == NULL;
	case SEL_NOT:
		return !sel_eval(n->a, m, ns_mode);
	case SEL_AND:
		return sel_eval(n->a, m, ns_mode) && sel_eval(n->b, m, ns_mode);
	case SEL_OR:
		return sel_eval(n->a, m, ns_mode) || sel_eval(n->b, m, ns_mode);
	case SEL_NS:
		return sel_eval(n->a, m, true);
	default:
		break;
	}
	v = sel_lookup(m, ns_mode, n->key);
	switch (n->op) {
	case SEL_HAS:
		return v != NULL;
	case SEL_EQ:
		return v && strcmp(v, n->value) == 0;
	case SEL_NE:
		return !v || strcmp(v, n->value) != 0;
	case SEL_IN:
		return v && sel_in(n, v);
	case SEL_NOT_IN:
		return !v || !sel_in(n, v);
	case SEL_CONTAINS:
		return v && strstr(v, n->value) != NULL;
	case SEL_STARTS:
		return v && strncmp(v, n->value, strlen(n->value)) == 0;
	case SEL_ENDS:
		if (!v)
			return false;
		vl = strlen(v);
		nl = strlen(n->value);
		return vl >= nl && strcmp(v + vl - nl, n->value) == 0;
	default:
		return false;
	}
}

bool policy_selector_matches(const struct policy_selector *sel, const struct policy_match *m)
{
	return sel_eval(sel, m, false);
}

/* ---- canonical form ---- */

static void sel_put(struct buf_writer *w, const char *s)
{
	buf_put_bytes(w, s, strlen(s));
}

static void sel_put_string(struct buf_writer *w, const char *v)
{
	const char *q = strchr(v, '"') ? "'" : "\"";

	sel_put(w, q);
	sel_put(w, v);
	sel_put(w, q);
}

/* Binding strength, for printing only the parentheses the grammar needs. */
static int sel_prec(const struct policy_selector *n)
{
	return n->op == SEL_OR ? 1 : n->op == SEL_AND ? 2 : 3;
}

/*
 * Print n; parenthesise it when it binds looser than min_prec. Chains are
 * left-associative, so a left operand of the same operator needs no
 * parentheses and a right one does: the printed form parses back to the
 * same tree, and long chains (a && b && c ...) do not nest.
 */
static void sel_print(struct buf_writer *w, const struct policy_selector *n, int min_prec)
{
	static const char *const ops[] = {
	    [SEL_EQ] = " == ",
	    [SEL_NE] = " != ",
	    [SEL_CONTAINS] = " contains ",
	    [SEL_STARTS] = " starts with ",
	    [SEL_ENDS] = " ends with ",
	};
	size_t i;

	switch (n->op) {
	case SEL_ALL:
		sel_put(w, "all()");
		return;
	case SEL_GLOBAL:
		sel_put(w, "global()");
		return;
	case SEL_HAS:
		sel_put(w, "has(");
		sel_put(w, n->key);
		sel_put(w, ")");
		return;
	case SEL_NOT:
		sel_put(w, "!");
		sel_print(w, n->a, 3);
		return;
	case SEL_AND:
	case SEL_OR:
		if (sel_prec(n) < min_prec)
			sel_put(w, "(");
		sel_print(w, n->a, sel_prec(n));
		sel_put(w, n->op == SEL_AND ? " && " : " || ");
		sel_print(w, n->b, sel_prec(n) + 1);
		if (sel_prec(n) < min_prec)
			sel_put(w, ")");
		return;
	case SEL_NS:
		sel_put(w, "ns(");
		sel_print(w, n->a, 0);
		sel_put(w, ")");
		return;
	case SEL_IN:
	case SEL_NOT_IN:
		sel_put(w, n->key);
		sel_put(w, n->op == SEL_IN ? " in {" : " not in {");
		for (i = 0; i < n->n_values; i++) {
			if (i)
				sel_put(w, ", ");
			sel_put_string(w, n->values[i]);
		}
		sel_put(w, "}");
		return;
	default:
		sel_put(w, n->key);
		sel_put(w, ops[n->op]);
		sel_put_string(w, n->value);
		return;
	}
}

char *policy_selector_canonical(const struct policy_selector *sel)
{
	struct buf_writer w;
	size_t len;
	char *s;

	buf_writer_init(&w, 64);
	sel_print(&w, sel, 0);
	buf_put_u8(&w, 0);
	s = (char *)buf_writer_steal(&w, &len);
	buf_writer_free(&w);
	return s;
}
