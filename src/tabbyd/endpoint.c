/*
 * DOC: workload endpoint documents in the datastore.
 *
 * One document per CNI attachment at /tabby/v1/workloads/<node>/<id>, where
 * <id> is "<network>:<containerID>:<ifname>" (none of the three may contain
 * ':' by the CNI rules, so the id is unambiguous). The same id is the IPAM
 * handle of the attachment's addresses, so a leak check can match
 * allocations with endpoints. The document follows Calico's
 * WorkloadEndpoint shape:
 *   {"apiVersion": "projectcalico.org/v3", "kind": "WorkloadEndpoint",
 *    "metadata": {"name": id, "namespace": ns, "labels": {...}},
 *    "spec": {"node", "network", "containerID", "pod", "endpoint": ifname,
 *             "interfaceName": host veth, "netns", "ipNetworks": [...]}}
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <tabby/store.h>

#include "tabbyd.h"

int endpoint_id(const char *network, const char *container_id, const char *ifname, char *out,
                size_t len)
{
	int n = snprintf(out, len, "%s:%s:%s", network, container_id, ifname);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int endpoint_key(const char *node, const char *id, char *out, size_t len)
{
	int n = snprintf(out, len, STORE_KEY_PREFIX "workloads/%s/%s", node, id);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

char *endpoint_to_json(const struct tabbyd *d, const struct api_cni_request *req, const char *id,
                       const char *host_ifname, const struct addr *addrs, size_t n_addrs)
{
	cJSON *o = cJSON_CreateObject(), *meta, *spec, *labels, *nets;
	char *out = NULL;
	size_t i;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "apiVersion", "projectcalico.org/v3");
	cJSON_AddStringToObject(o, "kind", "WorkloadEndpoint");
	meta = cJSON_AddObjectToObject(o, "metadata");
	spec = cJSON_AddObjectToObject(o, "spec");
	if (!meta || !spec)
		goto out;
	cJSON_AddStringToObject(meta, "name", id);
	if (req->pod_namespace)
		cJSON_AddStringToObject(meta, "namespace", req->pod_namespace);
	labels = cJSON_AddObjectToObject(meta, "labels");
	for (i = 0; labels && i < req->n_labels; i++) {
		cJSON_DeleteItemFromObjectCaseSensitive(labels, req->labels[i].key);
		cJSON_AddStringToObject(labels, req->labels[i].key, req->labels[i].value);
	}
	cJSON_AddStringToObject(spec, "node", d->cfg.node_name);
	cJSON_AddStringToObject(spec, "network", req->network);
	cJSON_AddStringToObject(spec, "containerID", req->container_id);
	if (req->pod)
		cJSON_AddStringToObject(spec, "pod", req->pod);
	cJSON_AddStringToObject(spec, "endpoint", req->ifname);
	cJSON_AddStringToObject(spec, "interfaceName", host_ifname);
	if (req->netns)
		cJSON_AddStringToObject(spec, "netns", req->netns);
	nets = cJSON_AddArrayToObject(spec, "ipNetworks");
	for (i = 0; nets && i < n_addrs; i++) {
		struct prefix p;
		char buf[PREFIX_STRLEN];

		prefix_from_addr(&p, &addrs[i]);
		cJSON_AddItemToArray(nets, cJSON_CreateString(prefix_format(&p, buf, sizeof(buf))));
	}
	out = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return out;
}

static int endpoint_field(const cJSON *obj, const char *key, bool required, char **out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsString(it))
		return required ? -EINVAL : 0;
	*out = strdup(it->valuestring);
	return *out ? 0 : -ENOMEM;
}

int endpoint_from_json(const char *key, const char *json, struct tabbyd_endpoint *ep)
{
	cJSON *o = cJSON_Parse(json);
	const cJSON *meta, *spec, *nets, *n;
	const char *slash = strrchr(key, '/');
	int ret = -EINVAL;

	memset(ep, 0, sizeof(*ep));
	meta = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	spec = cJSON_GetObjectItemCaseSensitive(o, "spec");
	if (!cJSON_IsObject(meta) || !cJSON_IsObject(spec) || !slash)
		goto out;
	ep->key = strdup(key);
	ep->id = strdup(slash + 1);
	if (!ep->key || !ep->id) {
		ret = -ENOMEM;
		goto out;
	}
	if ((ret = endpoint_field(spec, "network", true, &ep->network)) < 0 ||
	    (ret = endpoint_field(spec, "containerID", true, &ep->container_id)) < 0 ||
	    (ret = endpoint_field(spec, "endpoint", true, &ep->ifname)) < 0 ||
	    (ret = endpoint_field(spec, "interfaceName", false, &ep->host_ifname)) < 0 ||
	    (ret = endpoint_field(spec, "netns", false, &ep->netns)) < 0 ||
	    (ret = endpoint_field(spec, "pod", false, &ep->pod)) < 0 ||
	    (ret = endpoint_field(meta, "namespace", false, &ep->pod_namespace)) < 0)
		goto out;
	nets = cJSON_GetObjectItemCaseSensitive(spec, "ipNetworks");
	cJSON_ArrayForEach(n, nets)
	{
		struct prefix p;

		if (ep->n_addrs < API_MAX_ADDRS && cJSON_IsString(n) &&
		    prefix_parse(n->valuestring, &p, false) == 0)
			ep->addrs[ep->n_addrs++] = p.addr;
	}
	ret = 0;
out:
	cJSON_Delete(o);
	if (ret < 0)
		endpoint_clear(ep);
	return ret;
}

void endpoint_clear(struct tabbyd_endpoint *ep)
{
	free(ep->key);
	free(ep->id);
	free(ep->network);
	free(ep->container_id);
	free(ep->ifname);
	free(ep->host_ifname);
	free(ep->netns);
	free(ep->pod_namespace);
	free(ep->pod);
	memset(ep, 0, sizeof(*ep));
}

int endpoint_list(struct tabbyd *d, struct tabbyd_endpoint **out, size_t *n)
{
	struct store_list l = {0};
	struct tabbyd_endpoint *eps = NULL;
	char prefix[512];
	size_t i, k = 0;
	int ret;

	*out = NULL;
	*n = 0;
	snprintf(prefix, sizeof(prefix), STORE_KEY_PREFIX "workloads/%s/", d->cfg.node_name);
	ret = store_list(d->store, prefix, &l);
	if (ret < 0)
		goto out;
	eps = calloc(l.n + 1, sizeof(*eps));
	if (!eps) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		if (endpoint_from_json(l.kvs[i].key, l.kvs[i].value, &eps[k]) < 0)
			continue; /* not ours to interpret; reported by tabbyctl */
		eps[k++].mod_rev = l.kvs[i].mod_rev;
	}
	*out = eps;
	*n = k;
	eps = NULL;
	ret = 0;
out:
	free(eps);
	store_list_free(&l);
	return ret;
}
