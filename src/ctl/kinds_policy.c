/*
 * DOC: the policy kinds (Calico NetworkPolicy and GlobalNetworkPolicy,
 * Kubernetes NetworkPolicy), Namespace (whose labels namespaceSelector
 * matches) and WorkloadEndpoint (written by tabbyd, shown and labelled here).
 *
 * Policies are validated by the policy library itself (policy_parse()), so
 * tabbyctl refuses exactly what the agents could not enforce, and names the
 * field. Keys (under /tabby/v1/):
 *   policies/<namespace>/<name>               Calico NetworkPolicy
 *   policies/<namespace>/knp.default.<name>   Kubernetes NetworkPolicy (Calico's naming)
 *   policies/_global/<name>                   GlobalNetworkPolicy ('_' is no namespace's)
 *   namespaces/<name>                         Namespace
 *   workloads/<node>/<endpoint id>            WorkloadEndpoint (tabbyd's)
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/json.h>
#include <tabby/policy.h>
#include <tabby/store.h>

#include "ctl.h"

#define CTL_K8S_PREFIX "knp.default."

static void ctl_key_calico_np(const char *ns, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, STORE_KEY_PREFIX "policies/%s/%s", ns ? ns : "default", name);
}

static void ctl_key_k8s_np(const char *ns, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, STORE_KEY_PREFIX "policies/%s/" CTL_K8S_PREFIX "%s", ns ? ns : "default",
	         name);
}

static void ctl_key_gnp(const char *ns, const char *name, char *buf, size_t len)
{
	(void)ns;
	snprintf(buf, len, STORE_KEY_PREFIX "policies/_global/%s", name);
}

static void ctl_key_namespace(const char *ns, const char *name, char *buf, size_t len)
{
	(void)ns;
	snprintf(buf, len, STORE_KEY_PREFIX "namespaces/%s", name);
}

/* Never called for writes (read-only); lookups by name scan workloads/. */
static void ctl_key_wep(const char *ns, const char *name, char *buf, size_t len)
{
	(void)ns;
	snprintf(buf, len, STORE_KEY_PREFIX "workloads/%s", name);
}

static int ctl_validate_policy(cJSON *doc, char *path, size_t pathlen, char *msg, size_t msglen,
                               void (*warn)(void *, const char *, const char *), void *arg)
{
	const cJSON *name = json_get(doc, "metadata.name");
	struct json_error err;
	struct policy *p = NULL;
	int ret;

	(void)warn;
	(void)arg;
	/* Calico keeps this prefix for the Kubernetes policies it converts. */
	if (cJSON_IsString(name) &&
	    strncmp(name->valuestring, CTL_K8S_PREFIX, strlen(CTL_K8S_PREFIX)) == 0 &&
	    strcmp(json_get(doc, "apiVersion")->valuestring, "projectcalico.org/v3") == 0) {
		snprintf(path, pathlen, "metadata.name");
		snprintf(msg, msglen, "the prefix \"%s\" is kept for Kubernetes policies",
		         CTL_K8S_PREFIX);
		return -EINVAL;
	}
	ret = policy_parse(doc, &p, &err);
	if (ret == 0) {
		policy_free(p);
		return 0;
	}
	if (ret == -ENOMEM) {
		snprintf(path, pathlen, "%s", "");
		snprintf(msg, msglen, "out of memory");
		return ret;
	}
	snprintf(path, pathlen, "%s", err.path);
	snprintf(msg, msglen, "%s", err.msg);
	return -EINVAL;
}

static int ctl_validate_namespace(cJSON *doc, char *path, size_t pathlen, char *msg, size_t msglen,
                                  void (*warn)(void *, const char *, const char *), void *arg)
{
	const cJSON *labels = json_get(doc, "metadata.labels"), *it;
	const cJSON *spec = json_get(doc, "spec");

	cJSON_ArrayForEach(it, labels)
	{
		if (!cJSON_IsString(it)) {
			snprintf(path, pathlen, "metadata.labels.%s", it->string);
			snprintf(msg, msglen, "expected a string");
			return -EINVAL;
		}
	}
	/* Only the labels matter to Tabby (namespaceSelector). */
	if (spec && cJSON_GetArraySize(spec) > 0 && warn)
		warn(arg, "spec", "accepted, but not used by Tabby: ignored");
	return 0;
}

static int ctl_validate_wep(cJSON *doc, char *path, size_t pathlen, char *msg, size_t msglen,
                            void (*warn)(void *, const char *, const char *), void *arg)
{
	(void)doc;
	(void)warn;
	(void)arg;
	snprintf(path, pathlen, "kind");
	snprintf(msg, msglen,
	         "workload endpoints are written by tabbyd for each pod: change their labels with "
	         "`tabbyctl label workloadendpoint NAME key=value`");
	return -EINVAL;
}

static char *ctl_selector_cell(const cJSON *d)
{
	const cJSON *sel = json_get(d, "spec.selector");
	const cJSON *pod = json_get(d, "spec.podSelector");

	if (cJSON_IsString(sel))
		return strdup(sel->valuestring);
	if (pod) {
		char *s = cJSON_PrintUnformatted(pod), *out;

		out = s ? strdup(s) : strdup("");
		cJSON_free(s);
		return out;
	}
	return strdup("all()");
}

static void ctl_row_np(const cJSON *d, bool wide, char **cells, size_t n)
{
	const cJSON *name = json_get(d, "metadata.name");

	(void)n;
	cells[0] = ctl_cell(d, "metadata", "namespace", NULL, "default");
	cells[1] = strdup(cJSON_IsString(name) ? name->valuestring : "");
	cells[2] = ctl_cell(d, "spec", "order", NULL, "");
	if (wide)
		cells[3] = ctl_selector_cell(d);
}

static void ctl_row_gnp(const cJSON *d, bool wide, char **cells, size_t n)
{
	(void)n;
	cells[0] = ctl_cell(d, "metadata", "name", NULL, "");
	cells[1] = ctl_cell(d, "spec", "order", NULL, "");
	if (wide)
		cells[2] = ctl_selector_cell(d);
}

static char *ctl_labels_cell(const cJSON *labels)
{
	const cJSON *it;
	size_t len = 1;
	char *s, *p;

	cJSON_ArrayForEach(it, labels) if (cJSON_IsString(it)) len +=
	    strlen(it->string) + strlen(it->valuestring) + 2;
	s = p = calloc(1, len);
	if (!s)
		return NULL;
	cJSON_ArrayForEach(it, labels)
	{
		if (cJSON_IsString(it))
			p += sprintf(p, "%s%s=%s", p == s ? "" : ",", it->string, it->valuestring);
	}
	return s;
}

static void ctl_row_namespace(const cJSON *d, bool wide, char **cells, size_t n)
{
	(void)wide;
	(void)n;
	cells[0] = ctl_cell(d, "metadata", "name", NULL, "");
	cells[1] = ctl_labels_cell(json_get(d, "metadata.labels"));
}

static void ctl_row_wep(const cJSON *d, bool wide, char **cells, size_t n)
{
	const cJSON *nets = json_get(d, "spec.ipNetworks"), *it;
	size_t len = 1;
	char *s;

	(void)n;
	cells[0] = ctl_cell(d, "spec", "node", NULL, "");
	cells[1] = ctl_cell(d, "metadata", "namespace", NULL, "");
	cells[2] = ctl_cell(d, "spec", "pod", NULL, "");
	cells[3] = ctl_cell(d, "metadata", "name", NULL, "");
	cJSON_ArrayForEach(it, nets) if (cJSON_IsString(it)) len += strlen(it->valuestring) + 1;
	s = calloc(1, len);
	cJSON_ArrayForEach(it, nets) if (s && cJSON_IsString(it))
	{
		if (*s)
			strcat(s, ",");
		strcat(s, it->valuestring);
	}
	cells[4] = s;
	cells[5] = ctl_cell(d, "spec", "interfaceName", NULL, "");
	if (wide)
		cells[6] = ctl_labels_cell(json_get(d, "metadata.labels"));
}

static const char *const np_aliases[] = {"networkpolicy", "networkpolicies", "netpol", "np",
                                         "policy",        "policies",        NULL};
static const char *const knp_aliases[] = {"k8snetworkpolicy", "k8snetworkpolicies", "knp", NULL};
static const char *const gnp_aliases[] = {"globalnetworkpolicy", "globalnetworkpolicies", "gnp",
                                          NULL};
static const char *const ns_aliases[] = {"namespace", "namespaces", "ns", NULL};
static const char *const wep_aliases[] = {"workloadendpoint", "workloadendpoints", "wep", "weps",
                                          NULL};

static const char *const np_cols[] = {"NAMESPACE", "NAME", "ORDER", NULL};
static const char *const np_wide[] = {"NAMESPACE", "NAME", "ORDER", "SELECTOR", NULL};
static const char *const gnp_cols[] = {"NAME", "ORDER", NULL};
static const char *const gnp_wide[] = {"NAME", "ORDER", "SELECTOR", NULL};
static const char *const ns_cols[] = {"NAME", "LABELS", NULL};
static const char *const wep_cols[] = {"NODE",     "NAMESPACE", "POD", "NAME",
                                       "NETWORKS", "INTERFACE", NULL};
static const char *const wep_wide[] = {"NODE",     "NAMESPACE", "POD",    "NAME",
                                       "NETWORKS", "INTERFACE", "LABELS", NULL};

static const struct ctl_kind ctl_calico_np = {"NetworkPolicy",
                                              "projectcalico.org/v3",
                                              np_aliases,
                                              false,
                                              true,
                                              false,
                                              ctl_key_calico_np,
                                              STORE_KEY_PREFIX "policies/",
                                              ctl_validate_policy,
                                              np_cols,
                                              np_wide,
                                              ctl_row_np};
static const struct ctl_kind ctl_k8s_np = {"NetworkPolicy",
                                           "networking.k8s.io/v1",
                                           knp_aliases,
                                           false,
                                           true,
                                           false,
                                           ctl_key_k8s_np,
                                           STORE_KEY_PREFIX "policies/",
                                           ctl_validate_policy,
                                           np_cols,
                                           np_wide,
                                           ctl_row_np};
static const struct ctl_kind ctl_gnp = {"GlobalNetworkPolicy",
                                        "projectcalico.org/v3",
                                        gnp_aliases,
                                        false,
                                        false,
                                        false,
                                        ctl_key_gnp,
                                        STORE_KEY_PREFIX "policies/_global/",
                                        ctl_validate_policy,
                                        gnp_cols,
                                        gnp_wide,
                                        ctl_row_gnp};
static const struct ctl_kind ctl_namespace = {"Namespace",
                                              "v1",
                                              ns_aliases,
                                              false,
                                              false,
                                              false,
                                              ctl_key_namespace,
                                              STORE_KEY_PREFIX "namespaces/",
                                              ctl_validate_namespace,
                                              ns_cols,
                                              ns_cols,
                                              ctl_row_namespace};
static const struct ctl_kind ctl_wep = {"WorkloadEndpoint",
                                        "projectcalico.org/v3",
                                        wep_aliases,
                                        false,
                                        false,
                                        true,
                                        ctl_key_wep,
                                        STORE_KEY_PREFIX "workloads/",
                                        ctl_validate_wep,
                                        wep_cols,
                                        wep_wide,
                                        ctl_row_wep};

const struct ctl_kind *const ctl_policy_kinds[] = {&ctl_calico_np, &ctl_k8s_np, &ctl_gnp,
                                                   &ctl_namespace, &ctl_wep};
const size_t ctl_n_policy_kinds = sizeof(ctl_policy_kinds) / sizeof(ctl_policy_kinds[0]);
