/*
 * DOC: IP pools (Calico's IPPool resource).
 *
 * ippools/<name> holds a projectcalico.org/v3 IPPool, so manifests users
 * already have apply as they are:
 *   {"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
 *    "metadata": {"name": "default-ipv4-ippool"},
 *    "spec": {"cidr": "10.244.0.0/16", "blockSize": 26, "disabled": false,
 *             "natOutgoing": true, "nodeSelector": "all()"}}
 * Validation follows Calico: a canonical CIDR, blockSize 20..32 (IPv4) or
 * 116..128 (IPv6) and not shorter than the pool, no overlap with another
 * pool. Error texts name the field ("spec.blockSize: ...").
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/log.h>

#include "ipam_impl.h"

#define IPAM_POOL_API_VERSION "projectcalico.org/v3"

bool ipam_name_valid(const char *name)
{
	size_t i, len;

	if (!name || !*name || (len = strlen(name)) > IPAM_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("-._", name[i]))
			return false;
	return true;
}

void ipam_pool_clear(struct ipam_pool *p)
{
	free(p->name);
	free(p->node_selector);
	memset(p, 0, sizeof(*p));
}

void ipam_pool_list_free(struct ipam_pool *pools, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ipam_pool_clear(&pools[i]);
	free(pools);
}

static int ipam_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int ipam_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

int ipam_pool_validate(struct ipam_pool *p, char *err, size_t errlen)
{
	char buf[PREFIX_STRLEN];
	unsigned bits = addr_bits(p->cidr.addr.family);
	unsigned lo = bits - 12;

	if (!ipam_name_valid(p->name))
		return ipam_errf(err, errlen, -EINVAL,
		                 "metadata.name: \"%s\" is not a valid name (letters, digits, "
		                 "'-', '.', '_', at most %d)",
		                 p->name ? p->name : "", IPAM_NAME_MAX);
	if (bits == 0)
		return ipam_errf(err, errlen, -EINVAL, "spec.cidr: missing or not a CIDR");
	if (!prefix_is_canonical(&p->cidr)) {
		struct prefix c = p->cidr;

		prefix_normalize(&c);
		return ipam_errf(err, errlen, -EINVAL,
		                 "spec.cidr: host bits set (did you mean %s?)",
		                 prefix_format(&c, buf, sizeof(buf)));
	}
	if (p->block_size == 0)
		p->block_size =
		    bits == 32 ? IPAM_DEFAULT_BLOCK_SIZE_V4 : IPAM_DEFAULT_BLOCK_SIZE_V6;
	if (p->block_size < lo || p->block_size > bits)
		return ipam_errf(err, errlen, -EINVAL,
		                 "spec.blockSize: %u is outside %u..%u for %s", p->block_size, lo,
		                 bits, bits == 32 ? "IPv4" : "IPv6");
	if (p->block_size < p->cidr.len)
		return ipam_errf(err, errlen, -EINVAL,
		                 "spec.blockSize: %u is shorter than the pool's prefix /%u",
		                 p->block_size, p->cidr.len);
	if (!p->node_selector) {
		p->node_selector = strdup(IPAM_DEFAULT_NODE_SELECTOR);
		if (!p->node_selector)
			return -ENOMEM;
	}
	return 0;
}

char *ipam_pool_to_json(const struct ipam_pool *p)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *meta, *spec;
	char buf[PREFIX_STRLEN];
	char *out = NULL;

	if (!root)
		return NULL;
	prefix_format(&p->cidr, buf, sizeof(buf));
	if (!cJSON_AddStringToObject(root, "apiVersion", IPAM_POOL_API_VERSION) ||
	    !cJSON_AddStringToObject(root, "kind", "IPPool") ||
	    !(meta = cJSON_AddObjectToObject(root, "metadata")) ||
	    !cJSON_AddStringToObject(meta, "name", p->name) ||
	    !(spec = cJSON_AddObjectToObject(root, "spec")) ||
	    !cJSON_AddStringToObject(spec, "cidr", buf) ||
	    !cJSON_AddNumberToObject(spec, "blockSize", p->block_size) ||
	    !cJSON_AddBoolToObject(spec, "disabled", p->disabled) ||
	    !cJSON_AddBoolToObject(spec, "natOutgoing", p->nat_outgoing) ||
	    !cJSON_AddStringToObject(spec, "nodeSelector",
	                             p->node_selector ? p->node_selector
	                                              : IPAM_DEFAULT_NODE_SELECTOR))
		goto out;
	out = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	return out;
}

static int ipam_json_bool(const cJSON *spec, const char *name, bool *v, char *err, size_t errlen)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(spec, name);

	if (!it)
		return 0;
	if (!cJSON_IsBool(it))
		return ipam_errf(err, errlen, -EINVAL, "spec.%s: must be true or false", name);
	*v = cJSON_IsTrue(it);
	return 0;
}

int ipam_pool_from_json(const char *json, struct ipam_pool *out, char *err, size_t errlen)
{
	cJSON *root = cJSON_Parse(json);
	const cJSON *meta, *spec, *bs;
	const char *name, *cidr, *sel, *kind;
	char buf[PREFIX_STRLEN];
	struct prefix strict;
	int ret = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (!root) {
		ret = ipam_errf(err, errlen, -EINVAL, "not a JSON document");
		goto out;
	}
	kind = ipam_json_str(root, "kind");
	if (kind && strcmp(kind, "IPPool") != 0) {
		ret = ipam_errf(err, errlen, -EINVAL, "kind: \"%s\" is not IPPool", kind);
		goto out;
	}
	meta = cJSON_GetObjectItemCaseSensitive(root, "metadata");
	spec = cJSON_GetObjectItemCaseSensitive(root, "spec");
	name = ipam_json_str(meta, "name");
	if (!cJSON_IsObject(spec)) {
		ret = ipam_errf(err, errlen, -EINVAL, "spec: missing");
		goto out;
	}
	cidr = ipam_json_str(spec, "cidr");
	if (!cidr || prefix_parse(cidr, &out->cidr, false) < 0) {
		ret = ipam_errf(err, errlen, -EINVAL, "spec.cidr: \"%s\" is not a CIDR",
		                cidr ? cidr : "");
		goto out;
	}
	/* prefix_parse(strict=false) cleared the host bits: check the text as given. */
	if (prefix_parse(cidr, &strict, true) < 0) {
		ret = ipam_errf(err, errlen, -EINVAL,
		                "spec.cidr: \"%s\" has host bits set (did you mean %s?)", cidr,
		                prefix_format(&out->cidr, buf, sizeof(buf)));
		goto out;
	}
	bs = cJSON_GetObjectItemCaseSensitive(spec, "blockSize");
	if (bs && (!cJSON_IsNumber(bs) || bs->valuedouble < 1 || bs->valuedouble > 128)) {
		ret = ipam_errf(err, errlen, -EINVAL, "spec.blockSize: must be a number");
		goto out;
	}
	out->block_size = bs ? (unsigned)bs->valuedouble : 0;
	ret = ipam_json_bool(spec, "disabled", &out->disabled, err, errlen);
	if (ret == 0)
		ret = ipam_json_bool(spec, "natOutgoing", &out->nat_outgoing, err, errlen);
	if (ret < 0)
		goto out;
	sel = ipam_json_str(spec, "nodeSelector");
	ret = -ENOMEM;
	if (name && !(out->name = strdup(name)))
		goto out;
	if (sel && !(out->node_selector = strdup(sel)))
		goto out;
	ret = ipam_pool_validate(out, err, errlen);
out:
	cJSON_Delete(root);
	if (ret < 0)
		ipam_pool_clear(out);
	return ret;
}

static void ipam_pool_key(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", IPAM_KEY_POOLS, name);
}

int ipam_pool_list(struct store *s, struct ipam_pool **out, size_t *n)
{
	struct store_list l = {0};
	struct ipam_pool *v = NULL;
	size_t i, cnt = 0;
	int ret;

	*out = NULL;
	*n = 0;
	ret = store_list(s, IPAM_KEY_POOLS, &l);
	if (ret < 0)
		goto out;
	v = calloc(l.n ? l.n : 1, sizeof(*v));
	if (!v) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		char err[IPAM_ERRLEN];

		if (ipam_pool_from_json(l.kvs[i].value, &v[cnt], err, sizeof(err)) < 0) {
			log_warn("ipam: ignoring pool %s: %s", l.kvs[i].key, err);
			continue;
		}
		cnt++;
	}
	*out = v;
	*n = cnt;
	v = NULL;
out:
	free(v);
	store_list_free(&l);
	return ret;
}

int ipam_pool_get(struct store *s, const char *name, struct ipam_pool *out)
{
	char key[IPAM_KEY_MAX], err[IPAM_ERRLEN];
	struct store_kv kv = {0};
	int ret;

	memset(out, 0, sizeof(*out));
	if (!ipam_name_valid(name))
		return -EINVAL;
	ipam_pool_key(name, key, sizeof(key));
	ret = store_get(s, key, &kv);
	if (ret == 0)
		ret = ipam_pool_from_json(kv.value, out, err, sizeof(err));
	store_kv_clear(&kv);
	return ret;
}

/* Validate p and check it against the other pools. */
static int ipam_pool_check(struct store *s, struct ipam_pool *p, char *err, size_t errlen)
{
	struct ipam_pool *pools = NULL;
	char buf[PREFIX_STRLEN];
	size_t n = 0, i;
	int ret;

	ret = ipam_pool_validate(p, err, errlen);
	if (ret < 0)
		return ret;
	ret = ipam_pool_list(s, &pools, &n);
	if (ret < 0)
		return ipam_errf(err, errlen, ret, "reading pools: %s", store_strerror(ret));
	for (i = 0; i < n; i++) {
		if (strcmp(pools[i].name, p->name) == 0 ||
		    !prefix_overlaps(&pools[i].cidr, &p->cidr))
			continue;
		ret = ipam_errf(err, errlen, -EINVAL, "spec.cidr: overlaps pool %s (%s)",
		                pools[i].name, prefix_format(&pools[i].cidr, buf, sizeof(buf)));
		break;
	}
	ipam_pool_list_free(pools, n);
	return ret;
}

int ipam_pool_create(struct store *s, struct ipam_pool *p, char *err, size_t errlen)
{
	char key[IPAM_KEY_MAX];
	char *json = NULL;
	int ret;

	ret = ipam_pool_check(s, p, err, errlen);
	if (ret < 0)
		return ret;
	json = ipam_pool_to_json(p);
	if (!json)
		return -ENOMEM;
	ipam_pool_key(p->name, key, sizeof(key));
	ret = store_create(s, key, json, NULL);
	free(json);
	if (ret == -EEXIST)
		return ipam_errf(err, errlen, ret, "metadata.name: pool %s already exists",
		                 p->name);
	if (ret < 0)
		return ipam_errf(err, errlen, ret, "writing pool %s: %s", p->name,
		                 store_strerror(ret));
	log_info("ipam: pool %s created", p->name);
	return 0;
}

int ipam_pool_update(struct store *s, struct ipam_pool *p, char *err, size_t errlen)
{
	char key[IPAM_KEY_MAX];
	struct store_kv kv = {0};
	struct ipam_pool old = {0};
	char *json = NULL;
	int ret;

	ret = ipam_pool_check(s, p, err, errlen);
	if (ret < 0)
		return ret;
	ipam_pool_key(p->name, key, sizeof(key));
	ret = store_get(s, key, &kv);
	if (ret == 0)
		ret = ipam_pool_from_json(kv.value, &old, err, errlen);
	if (ret < 0) {
		ret = ipam_errf(err, errlen, ret, "metadata.name: pool %s: %s", p->name,
		                store_strerror(ret));
		goto out;
	}
	if (!prefix_eq(&old.cidr, &p->cidr) || old.block_size != p->block_size) {
		ret = ipam_errf(err, errlen, -EINVAL,
		                "spec.cidr/spec.blockSize: cannot change; create a new pool");
		goto out;
	}
	json = ipam_pool_to_json(p);
	ret = json ? store_update(s, key, json, kv.mod_rev, NULL) : -ENOMEM;
	if (ret < 0)
		ipam_errf(err, errlen, ret, "writing pool %s: %s", p->name, store_strerror(ret));
out:
	free(json);
	ipam_pool_clear(&old);
	store_kv_clear(&kv);
	return ret;
}

int ipam_pool_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	char key[IPAM_KEY_MAX], buf[PREFIX_STRLEN];
	struct store_list l = {0};
	struct ipam_pool p = {0};
	size_t i;
	int ret;

	ret = ipam_pool_get(s, name, &p);
	if (ret < 0)
		return ipam_errf(err, errlen, ret, "pool %s: %s", name ? name : "",
		                 store_strerror(ret));
	ret = store_list(s, IPAM_KEY_BLOCKS, &l);
	for (i = 0; ret == 0 && i < l.n; i++) {
		struct ipam_block b;

		if (ipam_block_from_json(l.kvs[i].value, &b) < 0)
			continue;
		if (prefix_contains(&p.cidr, &b.cidr) && ipam_block_in_use(&b))
			ret = ipam_errf(
			    err, errlen, -EBUSY, "pool %s: block %s still has %u addresses in use",
			    name, prefix_format(&b.cidr, buf, sizeof(buf)), ipam_block_in_use(&b));
		ipam_block_clear(&b);
	}
	if (ret < 0)
		goto out;
	ipam_pool_key(name, key, sizeof(key));
	ret = store_delete(s, key, 0);
	/* The pool is gone, so nobody claims its blocks any more: drop the empty ones. */
	for (i = 0; ret == 0 && i < l.n; i++) {
		struct ipam_block b;
		bool deleted;

		if (ipam_block_from_json(l.kvs[i].value, &b) < 0)
			continue;
		if (prefix_contains(&p.cidr, &b.cidr)) {
			if (b.affinity)
				ret = ipam_affinity_release(s, b.affinity, &b.cidr, &deleted);
			else
				ret = store_delete(s, l.kvs[i].key, l.kvs[i].mod_rev);
			if (ret == -ESTALE || ret == -ENOENT)
				ret = 0; /* changed meanwhile: ipam check will tell */
		}
		ipam_block_clear(&b);
	}
	if (ret < 0)
		ipam_errf(err, errlen, ret, "deleting pool %s: %s", name, store_strerror(ret));
	else
		log_info("ipam: pool %s deleted", name);
out:
	store_list_free(&l);
	ipam_pool_clear(&p);
	return ret;
}

const struct ipam_pool *ipam_pool_find(const struct ipam_pool *pools, size_t n,
                                       const struct addr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (prefix_contains_addr(&pools[i].cidr, a))
			return &pools[i];
	return NULL;
}

static bool ipam_pool_selects(struct ipam *ipam, const struct ipam_pool *p)
{
	const char *sel = p->node_selector;

	if (!sel || !*sel || strcmp(sel, "all()") == 0)
		return true;
	return ipam->selector && ipam->selector(sel, ipam->selector_arg);
}

int ipam_pools_eligible(struct ipam *ipam, int family, const char *const *names, size_t n_names,
                        struct ipam_pool **out, size_t *n)
{
	struct ipam_pool *pools = NULL;
	size_t cnt = 0, i, j, k = 0;
	int ret;

	ret = ipam_pool_list(ipam->s, &pools, &cnt);
	if (ret < 0)
		return ipam_fail(ipam, ret, "reading pools: %s", store_strerror(ret));
	for (i = 0; i < cnt; i++) {
		bool keep = pools[i].cidr.addr.family == family && !pools[i].disabled &&
		            ipam_pool_selects(ipam, &pools[i]);

		if (keep && names) {
			for (j = 0; j < n_names && strcmp(names[j], pools[i].name) != 0; j++)
				;
			keep = j < n_names;
		}
		if (!keep) {
			ipam_pool_clear(&pools[i]);
			continue;
		}
		pools[k++] = pools[i];
	}
	*out = pools;
	*n = k;
	return 0;
}
