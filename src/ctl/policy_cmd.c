/*
 * DOC: tabbyctl policy show --node NODE: the nftables ruleset that node's
 * policy renders to, computed from the datastore with the same library the
 * agent uses (src/policy): every policy, namespace and IP pool, every
 * workload endpoint of the cluster (for selector sets) and NODE's own
 * endpoints (for the per-interface dispatch).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/ipam.h>
#include <tabby/json.h>
#include <tabby/policy.h>
#include <tabby/store.h>

#include "ctl.h"

static const char policy_usage[] = "usage: tabbyctl policy show --node NODE [--check]\n"
                                   "  --check   also ask nft to parse the ruleset (needs root; "
                                   "nothing is applied)\n";

/* Labels of a JSON object as an array of policy_label pointing into it. */
static struct policy_label *ctl_labels(const cJSON *obj, size_t *n)
{
	struct policy_label *v;
	const cJSON *it;
	size_t i = 0;

	*n = 0;
	v = calloc((size_t)cJSON_GetArraySize(obj) + 1, sizeof(*v));
	if (!v)
		return NULL;
	cJSON_ArrayForEach(it, obj)
	{
		if (!cJSON_IsString(it))
			continue;
		v[i].key = it->string;
		v[i].value = it->valuestring;
		i++;
	}
	*n = i;
	return v;
}

static int ctl_policy_load(struct ctl *c, struct store *s, struct policy_state *st,
                           struct store_list *pol, struct store_list *nss)
{
	struct policy **ps = NULL;
	size_t i, np = 0;
	int ret;

	ret = store_list(s, STORE_KEY_PREFIX "policies/", pol);
	if (ret == 0)
		ret = store_list(s, STORE_KEY_PREFIX "namespaces/", nss);
	if (ret < 0)
		return ret;
	ps = calloc(pol->n + 1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	for (i = 0; i < pol->n; i++) {
		struct json_error err;
		cJSON *doc = cJSON_Parse(pol->kvs[i].value);

		if (!doc || policy_parse(doc, &ps[np], &err) < 0) {
			/* tabbyctl never writes one: say so, as an agent would, and go on. */
			fprintf(c->err, "tabbyctl: warning: %s: %s: ignored\n", pol->kvs[i].key,
			        doc ? err.text : "not JSON");
		} else {
			np++;
		}
		cJSON_Delete(doc);
	}
	ret = policy_state_set_policies(st, ps, np);
	for (i = 0; i < np; i++)
		policy_free(ps[i]);
	free(ps);
	for (i = 0; ret == 0 && i < nss->n; i++) {
		cJSON *doc = cJSON_Parse(nss->kvs[i].value);
		struct policy_namespace ns = {0};
		struct policy_label *labels;
		const cJSON *name = json_get(doc, "metadata.name");

		if (cJSON_IsString(name)) {
			labels = ctl_labels(json_get(doc, "metadata.labels"), &ns.n_labels);
			ns.name = name->valuestring;
			ns.labels = labels;
			ret = policy_state_set_namespace(st, &ns);
			free(labels);
		}
		cJSON_Delete(doc);
	}
	return ret;
}

static int ctl_policy_endpoints(struct store *s, struct policy_state *st, const char *node,
                                size_t *mine)
{
	struct store_list wl = {0};
	size_t i;
	int ret = store_list(s, STORE_KEY_PREFIX "workloads/", &wl);

	*mine = 0;
	for (i = 0; ret == 0 && i < wl.n; i++) {
		cJSON *doc = cJSON_Parse(wl.kvs[i].value);
		const cJSON *nets = json_get(doc, "spec.ipNetworks"), *it;
		const cJSON *enode = json_get(doc, "spec.node");
		const cJSON *iface = json_get(doc, "spec.interfaceName");
		const cJSON *ns = json_get(doc, "metadata.namespace");
		struct policy_endpoint ep = {0};
		struct policy_label *labels;
		struct addr addrs[8];
		size_t na = 0;
		bool local = cJSON_IsString(enode) && strcmp(enode->valuestring, node) == 0;

		cJSON_ArrayForEach(it, nets)
		{
			struct prefix p;

			if (na < 8 && cJSON_IsString(it) &&
			    prefix_parse(it->valuestring, &p, false) == 0)
				addrs[na++] = p.addr;
		}
		labels = ctl_labels(json_get(doc, "metadata.labels"), &ep.n_labels);
		ep.id = wl.kvs[i].key + strlen(STORE_KEY_PREFIX "workloads/");
		ep.iface = local && cJSON_IsString(iface) ? iface->valuestring : NULL;
		ep.namespace = cJSON_IsString(ns) ? ns->valuestring : NULL;
		ep.labels = labels;
		ep.addrs = addrs;
		ep.n_addrs = na;
		ret = labels ? policy_state_put_endpoint(st, &ep) : -ENOMEM;
		*mine += local;
		free(labels);
		cJSON_Delete(doc);
	}
	store_list_free(&wl);
	return ret;
}

static int ctl_policy_pools(struct store *s, struct policy_state *st)
{
	struct ipam_pool *pools = NULL;
	struct policy_pool *pp;
	size_t n = 0, i;
	int ret = ipam_pool_list(s, &pools, &n);

	if (ret < 0)
		return ret;
	pp = calloc(n + 1, sizeof(*pp));
	if (!pp) {
		ipam_pool_list_free(pools, n);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		pp[i].cidr = pools[i].cidr;
		pp[i].nat_outgoing = pools[i].nat_outgoing;
	}
	ret = policy_state_set_pools(st, pp, n);
	free(pp);
	ipam_pool_list_free(pools, n);
	return ret;
}

int ctl_cmd_policy(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"node", required_argument, NULL, 'N'},
	    {"check", no_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct store_list pol = {0}, nss = {0};
	struct policy_state *st = NULL;
	const char *node = NULL;
	char *text = NULL, err[1024];
	bool check = false;
	struct store *s;
	size_t mine = 0;
	int opt, ret, rc = CTL_EXIT_ERROR;

	if (argc < 2 || strcmp(argv[1], "show") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(policy_usage, c->out);
			return CTL_EXIT_OK;
		}
		return ctl_usage_error(c, policy_usage, "policy: the only command is \"show\"");
	}
	optind = 0;
	while ((opt = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		if (opt == 'N') {
			node = optarg;
		} else if (opt == 'c') {
			check = true;
		} else if (opt == 'h') {
			fputs(policy_usage, c->out);
			return CTL_EXIT_OK;
		} else {
			fputs(policy_usage, c->err);
			return CTL_EXIT_USAGE;
		}
	}
	if (!node || optind < argc - 1)
		return ctl_usage_error(c, policy_usage, "policy show: give --node NODE");
	if (ctl_store(c, &s) < 0)
		return CTL_EXIT_ERROR;
	st = policy_state_new();
	if (!st)
		return CTL_EXIT_ERROR;
	ret = ctl_policy_load(c, s, st, &pol, &nss);
	if (ret == 0)
		ret = ctl_policy_pools(s, st);
	if (ret == 0)
		ret = ctl_policy_endpoints(s, st, node, &mine);
	if (ret == 0)
		ret = policy_render_full(st, &text);
	if (ret < 0) {
		fprintf(c->err, "tabbyctl: rendering the policy of node %s: %s\n", node,
		        strerror(-ret));
		goto out;
	}
	fprintf(c->out, "# node %s: %zu local endpoint(s)\n%s", node, mine, text);
	if (check) {
		ret = policy_nft_apply(text, true, err, sizeof(err));
		if (ret < 0) {
			fprintf(c->err, "tabbyctl: nft refuses the ruleset: %s\n", err);
			goto out;
		}
		fprintf(c->err, "tabbyctl: nft accepts the ruleset (checked, not applied)\n");
	}
	rc = CTL_EXIT_OK;
out:
	free(text);
	policy_state_free(st);
	store_list_free(&pol);
	store_list_free(&nss);
	return rc;
}
