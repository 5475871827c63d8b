/*
 * DOC: IPAM configuration (Calico's IPAMConfiguration).
 *
 * One document, ipam/config:
 *   {"apiVersion": "projectcalico.org/v3", "kind": "IPAMConfiguration",
 *    "metadata": {"name": "default"},
 *    "spec": {"strictAffinity": false, "maxBlocksPerHost": 20,
 *             "autoAllocateBlocks": true}}
 * Absent document or fields mean Calico's defaults.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipam_impl.h"

void ipam_config_default(struct ipam_config *c)
{
	c->strict_affinity = false;
	c->max_blocks_per_host = IPAM_DEFAULT_MAX_BLOCKS;
	c->auto_allocate_blocks = true;
}

static int ipam_config_from_json(const char *json, struct ipam_config *c)
{
	cJSON *root = cJSON_Parse(json);
	const cJSON *spec, *it;
	int ret = -EINVAL;

	ipam_config_default(c);
	if (!root)
		goto out;
	spec = cJSON_GetObjectItemCaseSensitive(root, "spec");
	if (!cJSON_IsObject(spec))
		goto out;
	it = cJSON_GetObjectItemCaseSensitive(spec, "strictAffinity");
	if (cJSON_IsBool(it))
		c->strict_affinity = cJSON_IsTrue(it);
	it = cJSON_GetObjectItemCaseSensitive(spec, "autoAllocateBlocks");
	if (cJSON_IsBool(it))
		c->auto_allocate_blocks = cJSON_IsTrue(it);
	it = cJSON_GetObjectItemCaseSensitive(spec, "maxBlocksPerHost");
	if (cJSON_IsNumber(it) && it->valuedouble >= 0 && it->valuedouble < 1e9)
		c->max_blocks_per_host = (unsigned)it->valuedouble;
	ret = 0;
out:
	cJSON_Delete(root);
	return ret;
}

int ipam_config_get(struct store *s, struct ipam_config *out)
{
	struct store_kv kv = {0};
	int ret;

	ipam_config_default(out);
	ret = store_get(s, IPAM_KEY_CONFIG, &kv);
	if (ret == -ENOENT)
		return 0;
	if (ret == 0)
		ret = ipam_config_from_json(kv.value, out);
	store_kv_clear(&kv);
	return ret;
}

int ipam_config_set(struct store *s, const struct ipam_config *c)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *meta, *spec;
	char *json = NULL;
	int ret = -ENOMEM;

	if (!root || !cJSON_AddStringToObject(root, "apiVersion", "projectcalico.org/v3") ||
	    !cJSON_AddStringToObject(root, "kind", "IPAMConfiguration") ||
	    !(meta = cJSON_AddObjectToObject(root, "metadata")) ||
	    !cJSON_AddStringToObject(meta, "name", "default") ||
	    !(spec = cJSON_AddObjectToObject(root, "spec")) ||
	    !cJSON_AddBoolToObject(spec, "strictAffinity", c->strict_affinity) ||
	    !cJSON_AddNumberToObject(spec, "maxBlocksPerHost", c->max_blocks_per_host) ||
	    !cJSON_AddBoolToObject(spec, "autoAllocateBlocks", c->auto_allocate_blocks))
		goto out;
	json = cJSON_PrintUnformatted(root);
	if (json)
		ret = store_put(s, IPAM_KEY_CONFIG, json, NULL);
out:
	free(json);
	cJSON_Delete(root);
	return ret;
}
