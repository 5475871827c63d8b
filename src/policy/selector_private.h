/*
 * DOC: the selector AST, shared by the parser (selector.c) and the
 * Kubernetes LabelSelector conversion (selector_k8s.c).
 */
#ifndef TABBY_POLICY_SELECTOR_PRIVATE_H
#define TABBY_POLICY_SELECTOR_PRIVATE_H

#include <stddef.h>

enum sel_op {
	SEL_ALL,
	SEL_GLOBAL,
	SEL_HAS,
	SEL_EQ,
	SEL_NE,
	SEL_IN,
	SEL_NOT_IN,
	SEL_CONTAINS,
	SEL_STARTS,
	SEL_ENDS,
	SEL_NOT,
	SEL_AND,
	SEL_OR,
	SEL_NS, /* a: evaluated against the namespace's labels */
};

struct policy_selector {
	enum sel_op op;
	char *key;     /* HAS and comparisons */
	char *value;   /* EQ, NE, CONTAINS, STARTS, ENDS */
	char **values; /* IN, NOT_IN: sorted, unique */
	size_t n_values;
	struct policy_selector *a, *b; /* NOT, NS: a; AND, OR: a and b */
};

void sel_values_normalize(struct policy_selector *n);
struct policy_selector *sel_node(enum sel_op op);
/* strcmp over char * elements (qsort / bsearch of value sets). */
int sel_str_cmp(const void *a, const void *b);

#endif
