/*
 * DOC: the per-node IPAM context.
 *
 * One context per agent (node). It remembers the blocks affine to its node
 * with their revisions, so that the common assignment reads nothing: it
 * allocates from a cached block and writes it back with compare-and-swap on
 * the remembered revision. A lost CAS (another node borrowed from the block,
 * or released an address in it) re-reads that one block. It also answers what
 * the node must route: its affine blocks and the addresses it borrowed.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/log.h>

#include "ipam_impl.h"

const char *ipam_json_str(const cJSON *obj, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

char *ipam_strdup_or_null(const char *s, int *err)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*err = -ENOMEM;
	return d;
}

int ipam_fail(struct ipam *ipam, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ipam->err, sizeof(ipam->err), fmt, ap);
	va_end(ap);
	log_debug("ipam: node %s: %s", ipam->node, ipam->err);
	return err;
}

struct ipam *ipam_new(struct store *s, const char *node)
{
	struct ipam *ipam;

	if (!s || !ipam_name_valid(node))
		return NULL;
	ipam = calloc(1, sizeof(*ipam));
	if (!ipam)
		return NULL;
	ipam->s = s;
	ipam->node = strdup(node);
	if (!ipam->node) {
		free(ipam);
		return NULL;
	}
	return ipam;
}

void ipam_free(struct ipam *ipam)
{
	if (!ipam)
		return;
	ipam_cache_clear(ipam);
	free(ipam->node);
	free(ipam);
}

const char *ipam_node(const struct ipam *ipam)
{
	return ipam->node;
}

const char *ipam_last_error(const struct ipam *ipam)
{
	return ipam->err;
}

void ipam_set_selector(struct ipam *ipam, ipam_selector_fn fn, void *arg)
{
	ipam->selector = fn;
	ipam->selector_arg = arg;
}

void ipam_cache_clear(struct ipam *ipam)
{
	size_t i;

	for (i = 0; i < ipam->n_cache; i++)
		ipam_block_clear(&ipam->cache[i].b);
	free(ipam->cache);
	ipam->cache = NULL;
	ipam->n_cache = 0;
}

ssize_t ipam_cache_find(const struct ipam *ipam, const struct prefix *cidr)
{
	size_t i;

	for (i = 0; i < ipam->n_cache; i++)
		if (prefix_eq(&ipam->cache[i].b.cidr, cidr))
			return (ssize_t)i;
	return -1;
}

/* Takes over *b (left zeroed). */
int ipam_cache_add(struct ipam *ipam, struct ipam_block *b, int64_t rev)
{
	struct ipam_cached_block *grown;

	grown = realloc(ipam->cache, sizeof(*grown) * (ipam->n_cache + 1));
	if (!grown)
		return -ENOMEM;
	ipam->cache = grown;
	ipam->cache[ipam->n_cache].b = *b;
	ipam->cache[ipam->n_cache].rev = rev;
	ipam->n_cache++;
	memset(b, 0, sizeof(*b));
	return 0;
}

void ipam_cache_drop(struct ipam *ipam, size_t i)
{
	ipam_block_clear(&ipam->cache[i].b);
	memmove(&ipam->cache[i], &ipam->cache[i + 1],
	        sizeof(*ipam->cache) * (ipam->n_cache - i - 1));
	ipam->n_cache--;
}

int ipam_cache_refresh(struct ipam *ipam, size_t i)
{
	char key[IPAM_KEY_MAX];
	struct store_kv kv = {0};
	struct ipam_block b;
	int ret;

	ipam_block_key(&ipam->cache[i].b.cidr, key, sizeof(key));
	ret = store_get(ipam->s, key, &kv);
	if (ret == -ENOENT) {
		ipam_cache_drop(ipam, i);
		ret = 0;
		goto out;
	}
	if (ret == 0)
		ret = ipam_block_from_json(kv.value, &b);
	if (ret < 0)
		goto out;
	if (!ipam_block_affine_to(&b, ipam->node)) {
		ipam_block_clear(&b);
		ipam_cache_drop(ipam, i);
		goto out;
	}
	ipam_block_clear(&ipam->cache[i].b);
	ipam->cache[i].b = b;
	ipam->cache[i].rev = kv.mod_rev;
out:
	store_kv_clear(&kv);
	return ret;
}

int ipam_cache_load(struct ipam *ipam)
{
	char prefix[IPAM_KEY_MAX], bkey[IPAM_KEY_MAX];
	struct store_list l = {0};
	size_t i;
	int ret;

	ipam_cache_clear(ipam);
	snprintf(prefix, sizeof(prefix), "%s%s/", IPAM_KEY_AFFINITY, ipam->node);
	ret = store_list(ipam->s, prefix, &l);
	for (i = 0; ret == 0 && i < l.n; i++) {
		struct ipam_affinity a;
		struct store_kv kv = {0};
		struct ipam_block b = {0};

		if (ipam_affinity_from_json(l.kvs[i].value, &a) < 0)
			continue;
		if (a.state == IPAM_AFFINITY_CONFIRMED) {
			ipam_block_key(&a.cidr, bkey, sizeof(bkey));
			ret = store_get(ipam->s, bkey, &kv);
			if (ret == 0 && ipam_block_from_json(kv.value, &b) == 0 &&
			    ipam_block_affine_to(&b, ipam->node))
				ret = ipam_cache_add(ipam, &b, kv.mod_rev);
			else if (ret == -ENOENT)
				ret = 0;
		}
		ipam_block_clear(&b);
		store_kv_clear(&kv);
		ipam_affinity_clear(&a);
	}
	store_list_free(&l);
	return ret;
}

int ipam_sync(struct ipam *ipam)
{
	int ret;

	ret = ipam_affinity_repair(ipam);
	if (ret == 0)
		ret = ipam_cache_load(ipam);
	if (ret < 0)
		return ipam_fail(ipam, ret, "reading this node's blocks: %s", store_strerror(ret));
	ipam->synced = true;
	return 0;
}

int ipam_blocks_affine(struct ipam *ipam, struct prefix **out, size_t *n)
{
	size_t i;
	int ret;

	*out = NULL;
	*n = 0;
	ret = ipam_cache_load(ipam);
	if (ret < 0)
		return ipam_fail(ipam, ret, "reading this node's blocks: %s", store_strerror(ret));
	*out = calloc(ipam->n_cache ? ipam->n_cache : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < ipam->n_cache; i++)
		(*out)[i] = ipam->cache[i].b.cidr;
	*n = ipam->n_cache;
	return 0;
}

int ipam_borrowed_list(struct ipam *ipam, struct addr **out, size_t *n)
{
	struct store_list l = {0};
	struct addr *v = NULL, *grown;
	size_t i, cnt = 0;
	uint32_t o;
	int ret;

	*out = NULL;
	*n = 0;
	ret = store_list(ipam->s, IPAM_KEY_BLOCKS, &l);
	for (i = 0; ret == 0 && i < l.n; i++) {
		struct ipam_block b;

		if (ipam_block_from_json(l.kvs[i].value, &b) < 0)
			continue;
		for (o = 0; ret == 0 && !ipam_block_affine_to(&b, ipam->node) && o < b.n_ordinals;
		     o++) {
			const struct ipam_attr *a = ipam_block_attr_of(&b, o);

			if (!a || !a->node || strcmp(a->node, ipam->node) != 0)
				continue;
			grown = realloc(v, sizeof(*v) * (cnt + 1));
			if (!grown) {
				ret = -ENOMEM;
				break;
			}
			v = grown;
			ipam_block_addr(&b, o, &v[cnt++]);
		}
		ipam_block_clear(&b);
	}
	store_list_free(&l);
	if (ret < 0) {
		free(v);
		return ipam_fail(ipam, ret, "listing borrowed addresses: %s", store_strerror(ret));
	}
	*out = v;
	*n = cnt;
	return 0;
}
