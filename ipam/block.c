/*
 * DOC: allocation blocks (Calico's AllocationBlock).
 *
 * A block is one power-of-two slice of a pool. Its document lists, per
 * ordinal (address offset in the block), the index of the attribute set that
 * owns it or null; "unallocated" is the queue of free ordinals (released ones
 * go to the back, so an address is not handed out again at once); attribute
 * sets {handle, namespace, pod, node} are shared by ordinals that carry the
 * same ones and disappear with their last ordinal. "affinity" is
 * "host:<node>" for the node that claimed the block, absent once the node
 * released it. Every change bumps "sequenceNumber".
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipam_impl.h"

#define IPAM_BLOCK_MAX_HOST_BITS 16 /* /16 v4 or /112 v6: 65536 ordinals */
#define IPAM_AFFINITY_HOST       "host:"

void ipam_block_key(const struct prefix *cidr, char *buf, size_t len)
{
	char p[PREFIX_STRLEN];
	char *slash;

	prefix_format(cidr, p, sizeof(p));
	slash = strchr(p, '/');
	if (slash)
		*slash = '-';
	snprintf(buf, len, "%s%s", IPAM_KEY_BLOCKS, p);
}

int ipam_block_key_parse(const char *key, struct prefix *cidr)
{
	char p[PREFIX_STRLEN];
	char *dash;
	size_t plen = strlen(IPAM_KEY_BLOCKS);

	if (strncmp(key, IPAM_KEY_BLOCKS, plen) != 0 || strlen(key + plen) >= sizeof(p))
		return -EINVAL;
	strcpy(p, key + plen);
	dash = strrchr(p, '-');
	if (!dash)
		return -EINVAL;
	*dash = '/';
	return prefix_parse(p, cidr, true);
}

void ipam_attr_clear(struct ipam_attr *a)
{
	free(a->handle);
	free(a->namespace);
	free(a->pod);
	free(a->node);
	memset(a, 0, sizeof(*a));
}

void ipam_block_clear(struct ipam_block *b)
{
	uint32_t i;

	for (i = 0; i < b->n_attrs; i++)
		ipam_attr_clear(&b->attrs[i]);
	free(b->attrs);
	free(b->alloc);
	free(b->unalloc);
	free(b->affinity);
	memset(b, 0, sizeof(*b));
}

static int ipam_block_alloc_arrays(struct ipam_block *b, const struct prefix *cidr)
{
	unsigned host_bits = addr_bits(cidr->addr.family) - cidr->len;

	if (addr_bits(cidr->addr.family) == 0 || host_bits > IPAM_BLOCK_MAX_HOST_BITS)
		return -EINVAL;
	b->cidr = *cidr;
	b->n_ordinals = 1u << host_bits;
	b->alloc = malloc(sizeof(*b->alloc) * b->n_ordinals);
	b->unalloc = malloc(sizeof(*b->unalloc) * b->n_ordinals);
	if (!b->alloc || !b->unalloc)
		return -ENOMEM;
	return 0;
}

int ipam_block_init(struct ipam_block *b, const struct prefix *cidr, const char *affinity)
{
	uint32_t i;
	int ret;

	memset(b, 0, sizeof(*b));
	ret = ipam_block_alloc_arrays(b, cidr);
	if (ret < 0)
		goto out;
	for (i = 0; i < b->n_ordinals; i++) {
		b->alloc[i] = -1;
		b->unalloc[i] = i;
	}
	b->n_unalloc = b->n_ordinals;
	if (affinity) {
		b->affinity = strdup(affinity);
		if (!b->affinity)
			ret = -ENOMEM;
	}
out:
	if (ret < 0)
		ipam_block_clear(b);
	return ret;
}

static int ipam_attr_from_json(const cJSON *o, struct ipam_attr *a)
{
	int err = 0;

	if (!cJSON_IsObject(o) || !ipam_json_str(o, "handle"))
		return -EINVAL;
	a->handle = ipam_strdup_or_null(ipam_json_str(o, "handle"), &err);
	a->namespace = ipam_strdup_or_null(ipam_json_str(o, "namespace"), &err);
	a->pod = ipam_strdup_or_null(ipam_json_str(o, "pod"), &err);
	a->node = ipam_strdup_or_null(ipam_json_str(o, "node"), &err);
	return err;
}

int ipam_block_from_json(const char *json, struct ipam_block *b)
{
	cJSON *root = cJSON_Parse(json);
	const cJSON *allocs, *unalloc, *attrs, *it, *seq;
	const char *cidr_s, *aff;
	struct prefix cidr;
	uint32_t i, n;
	uint8_t *queued = NULL;
	int ret = -EINVAL;

	memset(b, 0, sizeof(*b));
	if (!root)
		goto out;
	cidr_s = ipam_json_str(root, "cidr");
	if (!cidr_s || prefix_parse(cidr_s, &cidr, true) < 0)
		goto out;
	ret = ipam_block_alloc_arrays(b, &cidr);
	if (ret < 0)
		goto out;
	ret = -EINVAL;
	aff = ipam_json_str(root, "affinity");
	if (aff && strncmp(aff, IPAM_AFFINITY_HOST, strlen(IPAM_AFFINITY_HOST)) == 0 &&
	    aff[strlen(IPAM_AFFINITY_HOST)]) {
		b->affinity = strdup(aff + strlen(IPAM_AFFINITY_HOST));
		if (!b->affinity) {
			ret = -ENOMEM;
			goto out;
		}
	}
	seq = cJSON_GetObjectItemCaseSensitive(root, "sequenceNumber");
	b->seq = cJSON_IsNumber(seq) ? (int64_t)seq->valuedouble : 0;

	attrs = cJSON_GetObjectItemCaseSensitive(root, "attributes");
	n = cJSON_IsArray(attrs) ? (uint32_t)cJSON_GetArraySize(attrs) : 0;
	if (n > b->n_ordinals)
		goto out;
	b->attrs = calloc(n ? n : 1, sizeof(*b->attrs));
	if (!b->attrs) {
		ret = -ENOMEM;
		goto out;
	}
	cJSON_ArrayForEach(it, attrs)
	{
		ret = ipam_attr_from_json(it, &b->attrs[b->n_attrs++]);
		if (ret < 0)
			goto out;
	}
	ret = -EINVAL;

	allocs = cJSON_GetObjectItemCaseSensitive(root, "allocations");
	if (!cJSON_IsArray(allocs) || (uint32_t)cJSON_GetArraySize(allocs) != b->n_ordinals)
		goto out;
	i = 0;
	cJSON_ArrayForEach(it, allocs)
	{
		if (cJSON_IsNull(it))
			b->alloc[i] = -1;
		else if (cJSON_IsNumber(it) && it->valuedouble >= 0 && it->valuedouble < n)
			b->alloc[i] = (int32_t)it->valuedouble;
		else
			goto out;
		i++;
	}

	/* The free queue: keep its order, drop junk, append free ordinals it forgot. */
	queued = calloc(b->n_ordinals, 1);
	if (!queued) {
		ret = -ENOMEM;
		goto out;
	}
	unalloc = cJSON_GetObjectItemCaseSensitive(root, "unallocated");
	cJSON_ArrayForEach(it, unalloc)
	{
		uint32_t o;

		if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble >= b->n_ordinals)
			goto out;
		o = (uint32_t)it->valuedouble;
		if (b->alloc[o] >= 0 || queued[o])
			continue;
		queued[o] = 1;
		b->unalloc[b->n_unalloc++] = o;
	}
	for (i = 0; i < b->n_ordinals; i++)
		if (b->alloc[i] < 0 && !queued[i])
			b->unalloc[b->n_unalloc++] = i;
	ret = 0;
out:
	free(queued);
	cJSON_Delete(root);
	if (ret < 0)
		ipam_block_clear(b);
	return ret;
}

static int ipam_attr_add_str(cJSON *o, const char *name, const char *v)
{
	if (!v)
		return 0;
	return cJSON_AddStringToObject(o, name, v) ? 0 : -ENOMEM;
}

char *ipam_block_to_json(const struct ipam_block *b)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *allocs, *unalloc, *attrs, *o;
	char buf[PREFIX_STRLEN + 8];
	char *out = NULL;
	uint32_t i;
	int err = 0;

	if (!root)
		return NULL;
	prefix_format(&b->cidr, buf, sizeof(buf));
	if (!cJSON_AddStringToObject(root, "cidr", buf))
		goto out;
	if (b->affinity) {
		char *aff;

		if (asprintf(&aff, IPAM_AFFINITY_HOST "%s", b->affinity) < 0)
			goto out;
		o = cJSON_AddStringToObject(root, "affinity", aff);
		free(aff);
		if (!o)
			goto out;
	}
	allocs = cJSON_AddArrayToObject(root, "allocations");
	unalloc = cJSON_AddArrayToObject(root, "unallocated");
	attrs = cJSON_AddArrayToObject(root, "attributes");
	if (!allocs || !unalloc || !attrs)
		goto out;
	for (i = 0; i < b->n_ordinals; i++) {
		o = b->alloc[i] < 0 ? cJSON_CreateNull() : cJSON_CreateNumber(b->alloc[i]);
		if (!o || !cJSON_AddItemToArray(allocs, o))
			goto out;
	}
	for (i = 0; i < b->n_unalloc; i++) {
		o = cJSON_CreateNumber(b->unalloc[i]);
		if (!o || !cJSON_AddItemToArray(unalloc, o))
			goto out;
	}
	for (i = 0; i < b->n_attrs; i++) {
		o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(attrs, o))
			goto out;
		err |= ipam_attr_add_str(o, "handle", b->attrs[i].handle);
		err |= ipam_attr_add_str(o, "namespace", b->attrs[i].namespace);
		err |= ipam_attr_add_str(o, "pod", b->attrs[i].pod);
		err |= ipam_attr_add_str(o, "node", b->attrs[i].node);
	}
	if (err || !cJSON_AddNumberToObject(root, "sequenceNumber", (double)b->seq))
		goto out;
	out = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	return out;
}

bool ipam_block_affine_to(const struct ipam_block *b, const char *node)
{
	return b->affinity && node && strcmp(b->affinity, node) == 0;
}

uint32_t ipam_block_in_use(const struct ipam_block *b)
{
	return b->n_ordinals - b->n_unalloc;
}

void ipam_block_addr(const struct ipam_block *b, uint32_t ordinal, struct addr *out)
{
	if (addr_add(&b->cidr.addr, ordinal, out) < 0)
		*out = b->cidr.addr; /* cannot happen: ordinal < n_ordinals */
}

int ipam_block_ordinal(const struct ipam_block *b, const struct addr *a, uint32_t *ordinal)
{
	uint64_t off;

	if (!prefix_contains_addr(&b->cidr, a) || addr_offset(&b->cidr.addr, a, &off) < 0 ||
	    off >= b->n_ordinals)
		return -ERANGE;
	*ordinal = (uint32_t)off;
	return 0;
}

const struct ipam_attr *ipam_block_attr_of(const struct ipam_block *b, uint32_t ordinal)
{
	if (ordinal >= b->n_ordinals || b->alloc[ordinal] < 0)
		return NULL;
	return &b->attrs[b->alloc[ordinal]];
}

static bool ipam_str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Index of an attribute set equal to this one, adding it if needed. */
static int ipam_block_attr_index(struct ipam_block *b, const char *handle,
                                 const struct ipam_attrs *attrs, const char *node)
{
	const char *ns = attrs ? attrs->namespace : NULL;
	const char *pod = attrs ? attrs->pod : NULL;
	struct ipam_attr *na, *grown;
	uint32_t i;
	int err = 0;

	for (i = 0; i < b->n_attrs; i++) {
		const struct ipam_attr *a = &b->attrs[i];

		if (ipam_str_eq(a->handle, handle) && ipam_str_eq(a->namespace, ns) &&
		    ipam_str_eq(a->pod, pod) && ipam_str_eq(a->node, node))
			return (int)i;
	}
	grown = realloc(b->attrs, sizeof(*b->attrs) * (b->n_attrs + 1));
	if (!grown)
		return -ENOMEM;
	b->attrs = grown;
	na = &b->attrs[b->n_attrs];
	memset(na, 0, sizeof(*na));
	na->handle = ipam_strdup_or_null(handle, &err);
	na->namespace = ipam_strdup_or_null(ns, &err);
	na->pod = ipam_strdup_or_null(pod, &err);
	na->node = ipam_strdup_or_null(node, &err);
	if (err) {
		ipam_attr_clear(na);
		return err;
	}
	return (int)b->n_attrs++;
}

static void ipam_block_unqueue(struct ipam_block *b, uint32_t pos)
{
	memmove(&b->unalloc[pos], &b->unalloc[pos + 1],
	        sizeof(*b->unalloc) * (b->n_unalloc - pos - 1));
	b->n_unalloc--;
}

int ipam_block_alloc_ordinal(struct ipam_block *b, uint32_t ordinal, const char *handle,
                             const struct ipam_attrs *attrs, const char *node)
{
	uint32_t pos;
	int idx;

	if (ordinal >= b->n_ordinals)
		return -ERANGE;
	if (b->alloc[ordinal] >= 0)
		return -EEXIST;
	for (pos = 0; pos < b->n_unalloc && b->unalloc[pos] != ordinal; pos++)
		;
	if (pos == b->n_unalloc)
		return -EEXIST; /* cannot happen: the parser queues every free ordinal */
	idx = ipam_block_attr_index(b, handle, attrs, node);
	if (idx < 0)
		return idx;
	b->alloc[ordinal] = idx;
	ipam_block_unqueue(b, pos);
	b->seq++;
	return 0;
}

int ipam_block_alloc(struct ipam_block *b, const char *handle, const struct ipam_attrs *attrs,
                     const char *node, uint32_t *ordinal)
{
	int ret;

	if (b->n_unalloc == 0)
		return -ENOSPC;
	*ordinal = b->unalloc[0];
	ret = ipam_block_alloc_ordinal(b, *ordinal, handle, attrs, node);
	return ret;
}

/* Drop attribute sets no ordinal refers to any more, renumbering the rest. */
static void ipam_block_gc_attrs(struct ipam_block *b)
{
	uint32_t i, o;

	for (i = b->n_attrs; i-- > 0;) {
		bool used = false;

		for (o = 0; o < b->n_ordinals && !used; o++)
			used = b->alloc[o] == (int32_t)i;
		if (used)
			continue;
		ipam_attr_clear(&b->attrs[i]);
		memmove(&b->attrs[i], &b->attrs[i + 1], sizeof(*b->attrs) * (b->n_attrs - i - 1));
		b->n_attrs--;
		for (o = 0; o < b->n_ordinals; o++)
			if (b->alloc[o] > (int32_t)i)
				b->alloc[o]--;
	}
}

int ipam_block_release_ordinal(struct ipam_block *b, uint32_t ordinal, struct ipam_attr *attr)
{
	int err = 0;

	if (ordinal >= b->n_ordinals)
		return -ERANGE;
	if (b->alloc[ordinal] < 0)
		return -ENOENT;
	if (attr) {
		const struct ipam_attr *a = &b->attrs[b->alloc[ordinal]];

		memset(attr, 0, sizeof(*attr));
		attr->handle = ipam_strdup_or_null(a->handle, &err);
		attr->namespace = ipam_strdup_or_null(a->namespace, &err);
		attr->pod = ipam_strdup_or_null(a->pod, &err);
		attr->node = ipam_strdup_or_null(a->node, &err);
		if (err) {
			ipam_attr_clear(attr);
			return err;
		}
	}
	b->alloc[ordinal] = -1;
	b->unalloc[b->n_unalloc++] = ordinal;
	ipam_block_gc_attrs(b);
	b->seq++;
	return 0;
}

uint32_t ipam_block_release_handle(struct ipam_block *b, const char *handle)
{
	uint32_t o, n = 0;

	for (o = 0; o < b->n_ordinals; o++) {
		if (b->alloc[o] < 0 || !ipam_str_eq(b->attrs[b->alloc[o]].handle, handle))
			continue;
		b->alloc[o] = -1;
		b->unalloc[b->n_unalloc++] = o;
		n++;
	}
	if (n) {
		ipam_block_gc_attrs(b);
		b->seq++;
	}
	return n;
}
