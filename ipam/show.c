/*
 * DOC: read-only views of the IPAM data for operators (tabbyctl ipam show):
 * every block with its affinity and usage, and what the store knows of one
 * address.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipam_impl.h"

void ipam_block_info_free(struct ipam_block_info *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].affinity);
	free(v);
}

int ipam_block_list(struct store *s, struct ipam_block_info **out, size_t *n)
{
	struct store_list l = {0};
	struct ipam_block_info *v = NULL;
	size_t i, cnt = 0;
	int ret;

	*out = NULL;
	*n = 0;
	ret = store_list(s, IPAM_KEY_BLOCKS, &l);
	if (ret < 0)
		return ret;
	v = calloc(l.n ? l.n : 1, sizeof(*v));
	if (!v) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		struct ipam_block b;
		uint32_t o;

		if (ipam_block_from_json(l.kvs[i].value, &b) < 0)
			continue; /* ipam check reports undecodable blocks */
		v[cnt].cidr = b.cidr;
		v[cnt].total = b.n_ordinals;
		v[cnt].in_use = ipam_block_in_use(&b);
		if (b.affinity && !(v[cnt].affinity = strdup(b.affinity))) {
			ipam_block_clear(&b);
			ret = -ENOMEM;
			goto out;
		}
		/* Addresses held by nodes other than the block's own are borrowed. */
		for (o = 0; o < b.n_ordinals; o++) {
			const struct ipam_attr *a = ipam_block_attr_of(&b, o);

			if (a && a->node && (!b.affinity || strcmp(a->node, b.affinity) != 0))
				v[cnt].borrowed++;
		}
		ipam_block_clear(&b);
		cnt++;
	}
	*out = v;
	*n = cnt;
	store_list_free(&l);
	return 0;
out:
	ipam_block_info_free(v, cnt);
	store_list_free(&l);
	return ret;
}

void ipam_ip_info_clear(struct ipam_ip_info *info)
{
	free(info->block_affinity);
	free(info->handle);
	free(info->namespace);
	free(info->pod);
	free(info->node);
	memset(info, 0, sizeof(*info));
}

static int ipam_strdup_opt(const char *s, char **out)
{
	*out = NULL;
	if (s && !(*out = strdup(s)))
		return -ENOMEM;
	return 0;
}

int ipam_ip_info(struct store *s, const struct addr *a, struct ipam_ip_info *out)
{
	struct store_list l = {0};
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	out->addr = *a;
	ret = store_list(s, IPAM_KEY_BLOCKS, &l);
	if (ret < 0)
		return ret;
	ret = -ENOENT;
	for (i = 0; i < l.n; i++) {
		struct prefix cidr;
		struct ipam_block b;
		const struct ipam_attr *at;
		uint32_t o;

		if (ipam_block_key_parse(l.kvs[i].key, &cidr) < 0 ||
		    !prefix_contains_addr(&cidr, a))
			continue;
		ret = ipam_block_from_json(l.kvs[i].value, &b);
		if (ret < 0)
			break;
		out->in_block = true;
		out->block = b.cidr;
		ret = ipam_strdup_opt(b.affinity, &out->block_affinity);
		if (ret == 0 && ipam_block_ordinal(&b, a, &o) == 0 &&
		    (at = ipam_block_attr_of(&b, o))) {
			out->allocated = true;
			if (ipam_strdup_opt(at->handle, &out->handle) < 0 ||
			    ipam_strdup_opt(at->namespace, &out->namespace) < 0 ||
			    ipam_strdup_opt(at->pod, &out->pod) < 0 ||
			    ipam_strdup_opt(at->node, &out->node) < 0)
				ret = -ENOMEM;
		}
		ipam_block_clear(&b);
		break;
	}
	store_list_free(&l);
	if (ret < 0 && ret != -ENOENT)
		ipam_ip_info_clear(out);
	return ret == -ENOENT ? 0 : ret;
}
