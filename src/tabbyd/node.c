/*
 * DOC: this node in the datastore: its Node document and bootstrap pools.
 *
 * /tabby/v1/nodes/<node> holds a projectcalico.org/v3 Node resource. tabbyd
 * writes spec.bgp.ipv4Address/ipv6Address (the first underlay address of each
 * family, with its prefix length), spec.addresses ({address, type:
 * CalicoNodeIP} per underlay address, as Calico) and the labels of its
 * configuration into metadata.labels, and keeps every other
 * field (an AS number set by tabbyctl, say) as it finds it: read, modify,
 * update-if-revision, retry when another writer won.
 *
 * The node routes between its pods and its uplinks, so IPv4 and IPv6
 * forwarding are switched on at start (net.ipv4.ip_forward,
 * net.ipv6.conf.all.forwarding), as calico-node does: per-interface
 * forwarding on the host veths is not enough for IPv6, where the kernel
 * checks the "all" setting before forwarding anything.
 *
 * bootstrapPools from the configuration are created when no pool of that name
 * exists (like calico-node's CALICO_IPV4POOL_CIDR): a one-node install needs
 * no tabbyctl. An existing pool is never modified from here.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <tabby/ipam.h>
#include <tabby/log.h>
#include <tabby/store.h>

#include "tabbyd.h"

static cJSON *node_object(cJSON *parent, const char *key)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(parent, key);

	if (cJSON_IsObject(o))
		return o;
	cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
	return cJSON_AddObjectToObject(parent, key);
}

/* Node resource text with this agent's fields set on top of old (may be NULL). */
static char *node_document(const struct tabbyd *d, const char *old)
{
	cJSON *o = old ? cJSON_Parse(old) : NULL, *meta, *spec, *bgp, *addrs;
	bool have4 = false, have6 = false;
	char *out = NULL;
	size_t i;

	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		o = cJSON_CreateObject();
	}
	if (!o)
		return NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(o, "apiVersion");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "kind");
	cJSON_AddStringToObject(o, "apiVersion", "projectcalico.org/v3");
	cJSON_AddStringToObject(o, "kind", "Node");
	meta = node_object(o, "metadata");
	spec = node_object(o, "spec");
	bgp = spec ? node_object(spec, "bgp") : NULL;
	if (!meta || !bgp)
		goto out;
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "name");
	cJSON_AddStringToObject(meta, "name", d->cfg.node_name);
	if (d->cfg.n_labels) {
		cJSON *labels = node_object(meta, "labels");

		for (i = 0; labels && i < d->cfg.n_labels; i++) {
			cJSON_DeleteItemFromObjectCaseSensitive(labels, d->cfg.label_keys[i]);
			cJSON_AddStringToObject(labels, d->cfg.label_keys[i],
			                        d->cfg.label_values[i]);
		}
	}
	cJSON_DeleteItemFromObjectCaseSensitive(bgp, "ipv4Address");
	cJSON_DeleteItemFromObjectCaseSensitive(bgp, "ipv6Address");
	cJSON_DeleteItemFromObjectCaseSensitive(spec, "addresses");
	addrs = cJSON_AddArrayToObject(spec, "addresses");
	for (i = 0; addrs && i < d->cfg.n_underlay; i++) {
		const struct prefix *p = &d->cfg.underlay[i];
		char a[ADDR_STRLEN], buf[PREFIX_STRLEN + 8];
		bool v6 = p->addr.family == AF_INET6;
		cJSON *item = cJSON_CreateObject();

		snprintf(buf, sizeof(buf), "%s/%u", addr_format(&p->addr, a, sizeof(a)), p->len);
		/* Calico's shape, so that tabbyctl get -o yaml | tabbyctl apply round-trips. */
		if (item) {
			cJSON_AddStringToObject(item, "address", buf);
			cJSON_AddStringToObject(item, "type", "CalicoNodeIP");
			cJSON_AddItemToArray(addrs, item);
		}
		if (v6 && !have6)
			cJSON_AddStringToObject(bgp, "ipv6Address", buf);
		if (!v6 && !have4)
			cJSON_AddStringToObject(bgp, "ipv4Address", buf);
		have6 |= v6;
		have4 |= !v6;
	}
	out = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return out;
}

int tabbyd_node_register(struct tabbyd *d)
{
	char key[512];
	int attempt, ret = -EAGAIN;

	snprintf(key, sizeof(key), STORE_KEY_PREFIX "nodes/%s", d->cfg.node_name);
	for (attempt = 0; attempt < 10; attempt++) {
		struct store_kv kv = {0};
		char *doc;

		ret = store_get(d->store, key, &kv);
		if (ret < 0 && ret != -ENOENT)
			return ret;
		doc = node_document(d, ret == 0 ? kv.value : NULL);
		if (!doc) {
			store_kv_clear(&kv);
			return -ENOMEM;
		}
		if (ret == 0 && strcmp(doc, kv.value) == 0)
			ret = 0; /* unchanged: no write */
		else if (ret == 0)
			ret = store_update(d->store, key, doc, kv.mod_rev, NULL);
		else
			ret = store_create(d->store, key, doc, NULL);
		if (ret == 0 && node_labels_set(d, doc) < 0)
			ret = -ENOMEM;
		free(doc);
		store_kv_clear(&kv);
		if (ret != -ESTALE && ret != -EEXIST)
			break;
	}
	if (ret == 0)
		log_info("node %s registered in the datastore (%s)", d->cfg.node_name,
		         store_describe(d->store));
	return ret;
}

int tabbyd_pools_bootstrap(struct tabbyd *d)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < d->cfg.n_pools; i++) {
		const struct tabbyd_pool_config *pc = &d->cfg.pools[i];
		struct ipam_pool pool = {0};
		char err[256] = "";
		int r;

		pool.name = strdup(pc->name);
		if (!pool.name)
			return -ENOMEM;
		pool.block_size = pc->block_size;
		if (pc->node_selector && !(pool.node_selector = strdup(pc->node_selector))) {
			ipam_pool_clear(&pool);
			return -ENOMEM;
		}
		pool.nat_outgoing = pc->nat_outgoing;
		if (prefix_parse(pc->cidr, &pool.cidr, true) < 0) {
			ipam_pool_clear(&pool);
			return -EINVAL; /* checked when the configuration was read */
		}
		/* ipam_pool_create fills in defaults: the pool is cleared below. */
		r = ipam_pool_create(d->store, &pool, err, sizeof(err));
		ipam_pool_clear(&pool);
		if (r == 0)
			log_info("bootstrap pool %s (%s) created", pc->name, pc->cidr);
		else if (r == -EEXIST)
			log_debug("bootstrap pool %s exists", pc->name);
		else {
			log_err("bootstrap pool %s (%s): %s", pc->name, pc->cidr,
			        err[0] ? err : strerror(-r));
			ret = r;
		}
	}
	return ret;
}

int tabbyd_pools_count(struct tabbyd *d, size_t *n)
{
	struct store_list l = {0};
	int ret;

	ret = store_list(d->store, STORE_KEY_PREFIX "ippools/", &l);
	*n = ret == 0 ? l.n : 0;
	store_list_free(&l);
	return ret;
}

static int node_sysctl_write(const char *path, const char *value)
{
	char cur[16] = "";
	int fd, ret = 0;
	ssize_t n;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, cur, sizeof(cur) - 1);
	if (n > 0 && strncmp(cur, value, strlen(value)) == 0)
		goto out; /* already set: no write, no side effects */
	if (lseek(fd, 0, SEEK_SET) < 0 || write(fd, value, strlen(value)) < 0)
		ret = -errno;
	else
		log_info("%s set to %s", path, value);
out:
	close(fd);
	return ret;
}

int tabbyd_node_sysctls(struct tabbyd *d)
{
	static const char *const paths[] = {"/proc/sys/net/ipv4/ip_forward",
	                                    "/proc/sys/net/ipv6/conf/all/forwarding"};
	size_t i;
	int ret = 0;

	(void)d;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int r = node_sysctl_write(paths[i], "1");

		if (r < 0) {
			log_err("%s: %s (pods cannot be reached through this node)", paths[i],
			        strerror(-r));
			ret = r;
		}
	}
	return ret;
}
