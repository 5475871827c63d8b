/*
 * DOC: the rendering state: inputs (policies in Calico order, pools,
 * namespaces, endpoints) kept as private copies, and selector evaluation
 * against an endpoint with its namespace's labels. The output side is
 * render.c (full ruleset) and render_delta.c (endpoint churn).
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_private.h"
#include "render_private.h"

void rs_printf(struct buf_writer *w, const char *fmt, ...)
{
	char small[512], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		buf_put_bytes(w, small, (size_t)n);
		return;
	}
	big = malloc((size_t)n + 1);
	if (!big) {
		w->error = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_put_bytes(w, big, (size_t)n);
	free(big);
}

const char *rs_dir_name(enum policy_dir dir)
{
	return dir == POLICY_INGRESS ? "in" : "eg";
}

bool rs_ifname_ok(const char *s)
{
	size_t n = strlen(s);
	const char *c;

	if (n == 0 || n > 15)
		return false;
	for (c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.' || *c == '@'))
			return false;
	return true;
}

void rs_labels_free(struct rs_labels *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free((char *)l->v[i].key);
		free((char *)l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int rs_labels_copy(struct rs_labels *dst, const struct policy_label *v, size_t n)
{
	size_t i;

	dst->v = calloc(n ? n : 1, sizeof(*dst->v));
	dst->n = 0;
	if (!dst->v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		dst->v[i].key = strdup(v[i].key);
		dst->v[i].value = strdup(v[i].value);
		dst->n++;
		if (!dst->v[i].key || !dst->v[i].value)
			return -ENOMEM;
	}
	return 0;
}

void rs_endpoint_clear(struct rs_endpoint *ep)
{
	free(ep->id);
	free(ep->iface);
	free(ep->ns);
	free(ep->addrs);
	rs_labels_free(&ep->labels);
	memset(ep, 0, sizeof(*ep));
}

int rs_endpoint_fill(struct rs_endpoint *dst, const struct policy_endpoint *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->sig[0] = dst->sig[1] = -1;
	if (!src->id || !*src->id)
		return -EINVAL;
	if (src->iface && *src->iface && !rs_ifname_ok(src->iface))
		return -EINVAL;
	dst->id = strdup(src->id);
	if (!dst->id || (src->iface && *src->iface && !(dst->iface = strdup(src->iface))) ||
	    (src->namespace && !(dst->ns = strdup(src->namespace))) ||
	    rs_labels_copy(&dst->labels, src->labels, src->n_labels))
		goto fail;
	if (src->n_addrs) {
		dst->addrs = malloc(src->n_addrs * sizeof(*dst->addrs));
		if (!dst->addrs)
			goto fail;
		memcpy(dst->addrs, src->addrs, src->n_addrs * sizeof(*dst->addrs));
		dst->n_addrs = src->n_addrs;
	}
	return 0;
fail:
	rs_endpoint_clear(dst);
	return -ENOMEM;
}

struct rs_endpoint *rs_endpoint_find(struct policy_state *st, const char *id)
{
	size_t i;

	for (i = 0; i < st->n_eps; i++)
		if (strcmp(st->eps[i].id, id) == 0)
			return &st->eps[i];
	return NULL;
}

struct policy_state *policy_state_new(void)
{
	return calloc(1, sizeof(struct policy_state));
}

void rs_derived_clear(struct policy_state *st)
{
	size_t i;

	for (i = 0; i < st->n_sels; i++) {
		free(st->sels[i].key);
		policy_selector_free(st->sels[i].sel);
	}
	free(st->sels);
	for (i = 0; i < st->n_nets; i++)
		free(st->nets[i].nets);
	free(st->nets);
	for (i = 0; i < st->n_sigs; i++)
		free(st->sigs[i].pols);
	free(st->sigs);
	st->sels = NULL;
	st->nets = NULL;
	st->sigs = NULL;
	st->n_sels = st->n_nets = st->n_sigs = 0;
	for (i = 0; i < st->n_eps; i++)
		st->eps[i].sig[0] = st->eps[i].sig[1] = -1;
	st->rendered = false;
}

static void rs_policies_clear(struct policy_state *st)
{
	size_t i;

	for (i = 0; i < st->n_pols; i++)
		policy_free(st->pols[i]);
	free(st->pols);
	st->pols = NULL;
	st->n_pols = 0;
}

void policy_state_free(struct policy_state *st)
{
	size_t i;

	if (!st)
		return;
	rs_derived_clear(st);
	rs_policies_clear(st);
	for (i = 0; i < st->n_eps; i++)
		rs_endpoint_clear(&st->eps[i]);
	free(st->eps);
	for (i = 0; i < st->n_nss; i++) {
		free(st->nss[i].name);
		rs_labels_free(&st->nss[i].labels);
	}
	free(st->nss);
	free(st->pools);
	free(st);
}

static int rs_policy_qcmp(const void *a, const void *b)
{
	return policy_cmp(*(struct policy *const *)a, *(struct policy *const *)b);
}

int policy_state_set_policies(struct policy_state *st, struct policy *const *policies, size_t n)
{
	struct policy **v = calloc(n ? n : 1, sizeof(*v));
	size_t i;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		v[i] = model_policy_clone(policies[i]);
		if (!v[i]) {
			while (i--)
				policy_free(v[i]);
			free(v);
			return -ENOMEM;
		}
	}
	qsort(v, n, sizeof(*v), rs_policy_qcmp);
	rs_derived_clear(st);
	rs_policies_clear(st);
	st->pols = v;
	st->n_pols = n;
	return 0;
}

int policy_state_set_pools(struct policy_state *st, const struct policy_pool *pools, size_t n)
{
	struct policy_pool *v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	memcpy(v, pools, n * sizeof(*v));
	free(st->pools);
	st->pools = v;
	st->n_pools = n;
	st->rendered = false;
	return 0;
}

int policy_state_set_namespace(struct policy_state *st, const struct policy_namespace *ns)
{
	struct rs_namespace *v, *slot = NULL;
	struct rs_labels l;
	size_t i;

	for (i = 0; i < st->n_nss; i++)
		if (strcmp(st->nss[i].name, ns->name) == 0)
			slot = &st->nss[i];
	if (rs_labels_copy(&l, ns->labels, ns->n_labels)) {
		rs_labels_free(&l);
		return -ENOMEM;
	}
	if (!slot) {
		v = realloc(st->nss, (st->n_nss + 1) * sizeof(*v));
		if (!v) {
			rs_labels_free(&l);
			return -ENOMEM;
		}
		st->nss = v;
		slot = &v[st->n_nss];
		slot->name = strdup(ns->name);
		if (!slot->name) {
			rs_labels_free(&l);
			return -ENOMEM;
		}
		slot->labels.v = NULL;
		slot->labels.n = 0;
		st->n_nss++;
	}
	rs_labels_free(&slot->labels);
	slot->labels = l;
	st->rendered = false;
	return 0;
}

int policy_state_put_endpoint(struct policy_state *st, const struct policy_endpoint *ep)
{
	struct rs_endpoint e, *old, *v;
	int rc;

	if ((rc = rs_endpoint_fill(&e, ep)))
		return rc;
	old = rs_endpoint_find(st, ep->id);
	if (old) {
		rs_endpoint_clear(old);
		*old = e;
		return 0;
	}
	v = realloc(st->eps, (st->n_eps + 1) * sizeof(*v));
	if (!v) {
		rs_endpoint_clear(&e);
		return -ENOMEM;
	}
	st->eps = v;
	v[st->n_eps++] = e;
	return 0;
}

bool rs_sel_matches(const struct policy_state *st, const struct policy_selector *sel,
                    const struct rs_endpoint *ep)
{
	struct policy_match m = {
	    .labels = ep->labels.v, .n_labels = ep->labels.n, .namespace = ep->ns};
	size_t i;

	for (i = 0; ep->ns && i < st->n_nss; i++)
		if (strcmp(st->nss[i].name, ep->ns) == 0) {
			m.ns_labels = st->nss[i].labels.v;
			m.n_ns_labels = st->nss[i].labels.n;
		}
	return policy_selector_matches(sel, &m);
}
