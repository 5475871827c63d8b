/*
 * DOC: the IPAM consistency check (Calico's "ipam check").
 *
 * Reads every block, handle and affinity and reports, without changing
 * anything:
 *   - leaked allocations: their handle is not among the live handles (no
 *     workload endpoint owns them any more);
 *   - unrecorded allocations: no handle document counts them;
 *   - empty handles: a handle counts addresses that no block holds;
 *   - orphan blocks: "host:<node>" with no matching affinity, or a node that
 *     is not alive;
 *   - dangling affinities: confirmed, but the block is missing or names
 *     another node.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipam_impl.h"

struct ipam_check_ctx {
	struct store_list blocks_kv, handles_kv, aff_kv;
	struct ipam_block *blocks;
	size_t n_blocks;
	struct ipam_handle *handles; /* sorted by id (keys are) */
	size_t n_handles;
	const char **live;
	size_t n_live;
	const char **nodes;
	size_t n_nodes;
};

static int ipam_check_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool ipam_check_in(const char **set, size_t n, const char *s)
{
	return s && bsearch(&s, set, n, sizeof(*set), ipam_check_strcmp);
}

static int ipam_check_handle_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct ipam_handle *)elem)->id);
}

static const struct ipam_handle *ipam_check_handle(const struct ipam_check_ctx *c, const char *id)
{
	return bsearch(id, c->handles, c->n_handles, sizeof(*c->handles), ipam_check_handle_cmp);
}

static unsigned ipam_check_counted(const struct ipam_handle *h, const struct prefix *cidr)
{
	size_t i;

	for (i = 0; h && i < h->n; i++)
		if (prefix_eq(&h->entries[i].block, cidr))
			return h->entries[i].count;
	return 0;
}

static uint32_t ipam_check_held(const struct ipam_block *b, const char *handle)
{
	uint32_t o, n = 0;

	for (o = 0; o < b->n_ordinals; o++)
		if (b->alloc[o] >= 0 && strcmp(b->attrs[b->alloc[o]].handle, handle) == 0)
			n++;
	return n;
}

static int ipam_check_push(void **v, size_t *n, size_t size)
{
	void *grown = realloc(*v, size * (*n + 1));

	if (!grown)
		return -ENOMEM;
	*v = grown;
	memset((char *)grown + size * *n, 0, size);
	(*n)++;
	return 0;
}

static int ipam_check_add_alloc(struct ipam_check_alloc **v, size_t *n, const struct ipam_block *b,
                                uint32_t o)
{
	const struct ipam_attr *a = &b->attrs[b->alloc[o]];
	struct ipam_check_alloc *e;
	int err = 0;

	if (ipam_check_push((void **)v, n, sizeof(**v)) < 0)
		return -ENOMEM;
	e = &(*v)[*n - 1];
	ipam_block_addr(b, o, &e->addr);
	e->block = b->cidr;
	e->handle = ipam_strdup_or_null(a->handle, &err);
	e->node = ipam_strdup_or_null(a->node, &err);
	e->namespace = ipam_strdup_or_null(a->namespace, &err);
	e->pod = ipam_strdup_or_null(a->pod, &err);
	return err;
}

static int ipam_check_add_str(char ***v, size_t *n, const char *s)
{
	if (ipam_check_push((void **)v, n, sizeof(**v)) < 0)
		return -ENOMEM;
	(*v)[*n - 1] = strdup(s);
	return (*v)[*n - 1] ? 0 : -ENOMEM;
}

static int ipam_check_kv_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct store_kv *)elem)->key);
}

/* Lists come sorted by key. */
static bool ipam_check_has_key(const struct store_list *l, const char *key)
{
	return bsearch(key, l->kvs, l->n, sizeof(*l->kvs), ipam_check_kv_cmp) != NULL;
}

static int ipam_check_blocks(struct ipam_check_ctx *c, struct ipam_check_report *r)
{
	char akey[IPAM_KEY_MAX];
	size_t i;
	uint32_t o;
	int ret = 0;

	for (i = 0; i < c->n_blocks && ret == 0; i++) {
		const struct ipam_block *b = &c->blocks[i];

		for (o = 0; o < b->n_ordinals && ret == 0; o++) {
			const char *h;

			if (b->alloc[o] < 0)
				continue;
			r->n_allocations++;
			h = b->attrs[b->alloc[o]].handle;
			if (!ipam_check_in(c->live, c->n_live, h))
				ret = ipam_check_add_alloc(&r->leaked, &r->n_leaked, b, o);
			if (ret == 0 && ipam_check_counted(ipam_check_handle(c, h), &b->cidr) <
			                    ipam_check_held(b, h))
				ret = ipam_check_add_alloc(&r->unrecorded, &r->n_unrecorded, b, o);
		}
		if (ret < 0 || !b->affinity)
			continue;
		ipam_affinity_key(b->affinity, &b->cidr, akey, sizeof(akey));
		if (ipam_check_has_key(&c->aff_kv, akey) &&
		    (!c->nodes || ipam_check_in(c->nodes, c->n_nodes, b->affinity)))
			continue;
		ret = ipam_check_push((void **)&r->orphan_blocks, &r->n_orphan_blocks,
		                      sizeof(*r->orphan_blocks));
		if (ret == 0)
			r->orphan_blocks[r->n_orphan_blocks - 1] = b->cidr;
	}
	return ret;
}

static const struct ipam_block *ipam_check_block(const struct ipam_check_ctx *c,
                                                 const struct prefix *cidr)
{
	size_t i;

	for (i = 0; i < c->n_blocks; i++)
		if (prefix_eq(&c->blocks[i].cidr, cidr))
			return &c->blocks[i];
	return NULL;
}

static int ipam_check_handles(struct ipam_check_ctx *c, struct ipam_check_report *r)
{
	size_t i, j;
	int ret = 0;

	for (i = 0; i < c->n_handles && ret == 0; i++) {
		const struct ipam_handle *h = &c->handles[i];

		for (j = 0; j < h->n; j++) {
			const struct ipam_block *b = ipam_check_block(c, &h->entries[j].block);

			if (!b || ipam_check_held(b, h->id) < h->entries[j].count)
				break;
		}
		if (j < h->n || h->n == 0)
			ret = ipam_check_add_str(&r->empty_handles, &r->n_empty_handles, h->id);
	}
	return ret;
}

static int ipam_check_affinities(struct ipam_check_ctx *c, struct ipam_check_report *r)
{
	char buf[PREFIX_STRLEN], name[IPAM_KEY_MAX];
	size_t i;
	int ret = 0;

	for (i = 0; i < c->aff_kv.n && ret == 0; i++) {
		struct ipam_affinity a;
		const struct ipam_block *b;

		if (ipam_affinity_from_json(c->aff_kv.kvs[i].value, &a) < 0)
			continue;
		b = ipam_check_block(c, &a.cidr);
		if (a.state == IPAM_AFFINITY_CONFIRMED &&
		    (!b || !ipam_block_affine_to(b, a.node))) {
			snprintf(name, sizeof(name), "%s/%s", a.node,
			         prefix_format(&a.cidr, buf, sizeof(buf)));
			ret = ipam_check_add_str(&r->dangling_affinities, &r->n_dangling_affinities,
			                         name);
		}
		ipam_affinity_clear(&a);
	}
	return ret;
}

static int ipam_check_load(struct store *s, struct ipam_check_ctx *c)
{
	size_t i;
	int ret;

	ret = store_list(s, IPAM_KEY_BLOCKS, &c->blocks_kv);
	if (ret == 0)
		ret = store_list(s, IPAM_KEY_HANDLES, &c->handles_kv);
	if (ret == 0)
		ret = store_list(s, IPAM_KEY_AFFINITY, &c->aff_kv);
	if (ret < 0)
		return ret;
	c->blocks = calloc(c->blocks_kv.n + 1, sizeof(*c->blocks));
	c->handles = calloc(c->handles_kv.n + 1, sizeof(*c->handles));
	if (!c->blocks || !c->handles)
		return -ENOMEM;
	for (i = 0; i < c->blocks_kv.n; i++)
		if (ipam_block_from_json(c->blocks_kv.kvs[i].value, &c->blocks[c->n_blocks]) == 0)
			c->n_blocks++;
	for (i = 0; i < c->handles_kv.n; i++)
		if (ipam_handle_from_json(c->handles_kv.kvs[i].value, &c->handles[c->n_handles]) ==
		    0)
			c->n_handles++;
	return 0;
}

static int ipam_check_sorted_copy(const char *const *in, size_t n, const char ***out)
{
	*out = calloc(n + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	if (n)
		memcpy(*out, in, n * sizeof(**out));
	qsort(*out, n, sizeof(**out), ipam_check_strcmp);
	return 0;
}

int ipam_check(struct store *s, const char *const *live_handles, size_t n_live,
               const char *const *live_nodes, size_t n_nodes, struct ipam_check_report *out)
{
	struct ipam_check_ctx c;
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	ret = ipam_check_sorted_copy(live_handles, n_live, &c.live);
	c.n_live = n_live;
	if (ret == 0 && live_nodes) {
		ret = ipam_check_sorted_copy(live_nodes, n_nodes, &c.nodes);
		c.n_nodes = n_nodes;
	}
	if (ret == 0)
		ret = ipam_check_load(s, &c);
	/* Keys sort the handles by id already (ids have no '/'). */
	if (ret == 0)
		ret = ipam_check_blocks(&c, out);
	if (ret == 0)
		ret = ipam_check_handles(&c, out);
	if (ret == 0)
		ret = ipam_check_affinities(&c, out);
	out->n_blocks = c.n_blocks;
	out->n_handles = c.n_handles;
	out->n_affinities = c.aff_kv.n;
	for (i = 0; c.blocks && i < c.n_blocks; i++)
		ipam_block_clear(&c.blocks[i]);
	for (i = 0; c.handles && i < c.n_handles; i++)
		ipam_handle_clear(&c.handles[i]);
	free(c.blocks);
	free(c.handles);
	free(c.live);
	free(c.nodes);
	store_list_free(&c.blocks_kv);
	store_list_free(&c.handles_kv);
	store_list_free(&c.aff_kv);
	if (ret < 0)
		ipam_check_report_free(out);
	return ret;
}

static void ipam_check_alloc_free(struct ipam_check_alloc *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].handle);
		free(v[i].node);
		free(v[i].namespace);
		free(v[i].pod);
	}
	free(v);
}

static void ipam_check_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void ipam_check_report_free(struct ipam_check_report *r)
{
	ipam_check_alloc_free(r->leaked, r->n_leaked);
	ipam_check_alloc_free(r->unrecorded, r->n_unrecorded);
	ipam_check_strv_free(r->empty_handles, r->n_empty_handles);
	ipam_check_strv_free(r->dangling_affinities, r->n_dangling_affinities);
	free(r->orphan_blocks);
	memset(r, 0, sizeof(*r));
}

size_t ipam_check_problems(const struct ipam_check_report *r)
{
	return r->n_leaked + r->n_unrecorded + r->n_empty_handles + r->n_orphan_blocks +
	       r->n_dangling_affinities;
}
