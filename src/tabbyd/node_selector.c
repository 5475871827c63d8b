/*
 * DOC: which IP pools select this node (IPPool spec.nodeSelector).
 *
 * IPAM asks through ipam_set_selector() whether a pool's nodeSelector (a
 * Calico selector expression, e.g. "rack == 'r1'") selects this node. The
 * answer comes from the policy module's selector evaluator against the labels
 * of this node's Node resource (metadata.labels: those of the `labels` key of
 * tabbyd.yaml and any set in the datastore). The labels are taken whenever
 * the Node is registered (start, reload).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <tabby/log.h>
#include <tabby/policy.h>

#include "tabbyd.h"

void node_labels_clear(struct tabbyd *d)
{
	free(d->node_labels);
	cJSON_Delete(d->node_labels_json);
	d->node_labels = NULL;
	d->node_labels_json = NULL;
	d->n_node_labels = 0;
}

int node_labels_set(struct tabbyd *d, const char *node_doc)
{
	cJSON *doc = cJSON_Parse(node_doc), *labels, *l;
	struct policy_label *v = NULL;
	size_t n = 0;

	labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "metadata"),
	                                          "labels");
	if (cJSON_IsObject(labels)) {
		v = calloc((size_t)cJSON_GetArraySize(labels) + 1, sizeof(*v));
		if (!v) {
			cJSON_Delete(doc);
			return -ENOMEM;
		}
		cJSON_ArrayForEach(l, labels)
		{
			if (!cJSON_IsString(l))
				continue;
			v[n].key = l->string;
			v[n].value = l->valuestring;
			n++;
		}
	}
	node_labels_clear(d);
	d->node_labels_json = doc; /* the labels point into it */
	d->node_labels = v;
	d->n_node_labels = n;
	return 0;
}

bool node_selector_matches(const char *selector, void *arg)
{
	struct tabbyd *d = arg;
	struct policy_match m = {.labels = d->node_labels, .n_labels = d->n_node_labels};
	struct policy_selector *sel = NULL;
	char err[256] = "";
	bool ok;

	if (policy_selector_parse(selector, &sel, err, sizeof(err)) < 0) {
		log_warn("IP pool nodeSelector \"%s\" does not parse (%s): the pool is not used "
		         "on this node",
		         selector, err);
		return false;
	}
	ok = policy_selector_matches(sel, &m);
	policy_selector_free(sel);
	return ok;
}
