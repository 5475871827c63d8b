/*
 * DOC: the policy agent: tabbyd enforces network policy for its own endpoints.
 *
 * Inputs come from the datastore (keys under /tabby/v1/): policies/ (the
 * three policy kinds, written by tabbyctl), namespaces/ (their labels),
 * ippools/ (the pools and natOutgoing) and workloads/ of EVERY node (remote
 * endpoints' addresses fill the selector sets; this node's endpoints also
 * get their veth dispatched to their policy chains). Output: table
 * "inet tabby" through the policy library (include/tabby/policy.h).
 *
 * - Start (before READY=1): load everything, render the full ruleset and
 *   apply it as one transaction, which replaces the table a previous run left
 *   (SIGTERM leaves it in place, so pods stay protected while tabbyd
 *   restarts).
 * - A policy, namespace or pool changes: after a short debounce, load
 *   everything again into a new state, render and apply; the new state
 *   replaces the applied one only once nft accepted it.
 * - A workload endpoint is put or deleted: only set and map elements change
 *   (policy_apply_endpoint_put / _remove); if that fails, the full ruleset of
 *   the applied state (which already holds the change) is rendered and
 *   applied, and if that fails too, everything is loaded again.
 * - A malformed policy in the store (tabbyctl refuses them, but the store may
 *   be written by other means): each is logged with its key and the field
 *   the parser names, once per distinct set of errors, and NO policy change
 *   is applied while any stored policy is malformed: the last good ruleset
 *   stays in force (endpoint churn is still applied to it). Skipping the bad
 *   policy instead could open traffic it was meant to deny. Once every stored
 *   policy parses again, the full ruleset is rendered and applied. At start,
 *   with a malformed policy, the table of the previous run stays as it is.
 * - nft refuses a full ruleset: logged; the transaction is atomic, so the
 *   last good ruleset stays; the next change tries again.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include <tabby/ipam.h>
#include <tabby/json.h>
#include <tabby/log.h>
#include <tabby/policy.h>
#include <tabby/store.h>

#include "policy_agent.h"
#include "tabbyd.h"

#define PA_DEBOUNCE_MS 30
#define PA_MAX_ADDRS   16
#define PA_ERR_LEN     1024
#define PA_WORKLOADS   STORE_KEY_PREFIX "workloads/"
#define PA_N_WATCHES   4
/*
 * Removals wait until CNI requests pause (an nf_tables commit that deletes
 * elements waits 10-15 ms for an RCU grace period and would hold up the next
 * request), at most PA_REMOVE_MAX_MS, and then go in one transaction. Late
 * removal is harmless: the pod's veth and addresses are gone already. Any
 * put first sends the removals queued before it (one transaction), so the
 * order is kept: an address released by one pod and given to the next must
 * not keep the old pod's set memberships meanwhile, nor lose its own to a
 * removal that comes after its put.
 */
#define PA_REMOVE_IDLE_MS 150
#define PA_REMOVE_MAX_MS  1000

static const char *const pa_prefixes[PA_N_WATCHES] = {
    STORE_KEY_PREFIX "policies/",
    STORE_KEY_PREFIX "namespaces/",
    STORE_KEY_PREFIX "ippools/",
    PA_WORKLOADS,
};

struct policy_agent {
	struct tabbyd *d;
	struct store_watch *watch[PA_N_WATCHES];
	struct event *debounce;
	struct event *remove_timer;
	char **removals; /* workload keys whose removal waits */
	size_t n_removals, cap_removals;
	struct timespec first_removal;
	struct policy_state *st; /* the applied state; NULL until a full ruleset is applied */
	char *bad;               /* the malformed policies' errors last logged (NULL: none) */
	uint64_t full_applies, full_failures, endpoint_updates, endpoint_failures;
	size_t policies, endpoints, local_endpoints;
};

/* What one load of the store found. */
struct pa_load {
	struct policy_state *st;
	size_t policies, endpoints, local_endpoints;
	char *bad; /* "key: error\n" per malformed policy; NULL: none */
};

static double pa_ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The string members of a JSON object as labels pointing into it. */
static struct policy_label *pa_labels(const cJSON *obj, size_t *n)
{
	struct policy_label *v;
	const cJSON *it;
	size_t i = 0;

	*n = 0;
	v = calloc((size_t)(cJSON_IsObject(obj) ? cJSON_GetArraySize(obj) : 0) + 1, sizeof(*v));
	if (!v)
		return NULL;
	if (cJSON_IsObject(obj))
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

int policy_agent_endpoint_from_doc(const cJSON *doc, const char *key, const char *node,
                                   struct policy_endpoint *ep, struct policy_label **labels,
                                   struct addr *addrs, size_t max, bool *local)
{
	const cJSON *nets = json_get(doc, "spec.ipNetworks"), *it;
	const cJSON *enode = json_get(doc, "spec.node");
	const cJSON *iface = json_get(doc, "spec.interfaceName");
	const cJSON *ns = json_get(doc, "metadata.namespace");
	size_t na = 0;

	memset(ep, 0, sizeof(*ep));
	*labels = NULL;
	*local = false;
	if (strncmp(key, PA_WORKLOADS, strlen(PA_WORKLOADS)) != 0 || !cJSON_IsObject(doc) ||
	    !cJSON_IsString(enode))
		return -EINVAL;
	cJSON_ArrayForEach(it, nets)
	{
		struct prefix p;

		if (na < max && cJSON_IsString(it) && prefix_parse(it->valuestring, &p, false) == 0)
			addrs[na++] = p.addr;
	}
	*labels = pa_labels(json_get(doc, "metadata.labels"), &ep->n_labels);
	if (!*labels)
		return -ENOMEM;
	*local = strcmp(enode->valuestring, node) == 0;
	/* The same id as tabbyctl policy show: "<node>/<network>:<containerID>:<ifname>". */
	ep->id = key + strlen(PA_WORKLOADS);
	ep->iface = *local && cJSON_IsString(iface) ? iface->valuestring : NULL;
	ep->namespace = cJSON_IsString(ns) ? ns->valuestring : NULL;
	ep->labels = *labels;
	ep->addrs = addrs;
	ep->n_addrs = na;
	return 0;
}

/* Every policy of the store; the malformed ones are collected in l->bad. */
static int pa_load_policies(struct policy_agent *pa, struct pa_load *l)
{
	struct store_list sl = {0};
	struct policy **ps = NULL;
	struct buf_bad {
		char *text;
		size_t len;
	} bad = {NULL, 0};
	size_t i, np = 0;
	int ret = store_list(pa->d->store, pa_prefixes[0], &sl);

	if (ret < 0)
		goto out;
	ps = calloc(sl.n + 1, sizeof(*ps));
	if (!ps) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < sl.n; i++) {
		struct json_error err = {0};
		cJSON *doc =
		    json_parse(sl.kvs[i].key, sl.kvs[i].value, strlen(sl.kvs[i].value), &err);
		char *line = NULL;
		int n;

		if (doc && policy_parse(doc, &ps[np], &err) == 0) {
			np++;
			cJSON_Delete(doc);
			continue;
		}
		cJSON_Delete(doc);
		n = asprintf(&line, "%s: %s\n", sl.kvs[i].key, err.text[0] ? err.text : "not JSON");
		if (n < 0 || !(bad.text = realloc(bad.text, bad.len + (size_t)n + 1))) {
			free(line);
			ret = -ENOMEM;
			goto out;
		}
		memcpy(bad.text + bad.len, line, (size_t)n + 1);
		bad.len += (size_t)n;
		free(line);
	}
	ret = policy_state_set_policies(l->st, ps, np);
	l->policies = np;
	l->bad = bad.text;
	bad.text = NULL;
out:
	for (i = 0; ps && i < np; i++)
		policy_free(ps[i]);
	free(ps);
	free(bad.text);
	store_list_free(&sl);
	return ret;
}

static int pa_load_namespaces(struct policy_agent *pa, struct pa_load *l)
{
	struct store_list sl = {0};
	size_t i;
	int ret = store_list(pa->d->store, pa_prefixes[1], &sl);

	for (i = 0; ret == 0 && i < sl.n; i++) {
		cJSON *doc = cJSON_Parse(sl.kvs[i].value);
		const cJSON *name = json_get(doc, "metadata.name");
		struct policy_namespace ns = {0};
		struct policy_label *labels;

		if (cJSON_IsString(name)) {
			labels = pa_labels(json_get(doc, "metadata.labels"), &ns.n_labels);
			ns.name = name->valuestring;
			ns.labels = labels;
			ret = labels ? policy_state_set_namespace(l->st, &ns) : -ENOMEM;
			free(labels);
		} else {
			log_warn("policy: %s is not a Namespace (no metadata.name): ignored",
			         sl.kvs[i].key);
		}
		cJSON_Delete(doc);
	}
	store_list_free(&sl);
	return ret;
}

static int pa_load_pools(struct policy_agent *pa, struct pa_load *l)
{
	struct ipam_pool *pools = NULL;
	struct policy_pool *pp;
	size_t n = 0, i;
	int ret = ipam_pool_list(pa->d->store, &pools, &n);

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
	ret = policy_state_set_pools(l->st, pp, n);
	free(pp);
	ipam_pool_list_free(pools, n);
	return ret;
}

static int pa_load_endpoints(struct policy_agent *pa, struct pa_load *l)
{
	struct store_list sl = {0};
	size_t i;
	int ret = store_list(pa->d->store, PA_WORKLOADS, &sl);

	for (i = 0; ret == 0 && i < sl.n; i++) {
		cJSON *doc = cJSON_Parse(sl.kvs[i].value);
		struct policy_endpoint ep;
		struct policy_label *labels = NULL;
		struct addr addrs[PA_MAX_ADDRS];
		bool local;

		ret = policy_agent_endpoint_from_doc(doc, sl.kvs[i].key, pa->d->cfg.node_name, &ep,
		                                     &labels, addrs, PA_MAX_ADDRS, &local);
		if (ret == 0) {
			ret = policy_state_put_endpoint(l->st, &ep);
			l->endpoints++;
			l->local_endpoints += local;
		} else if (ret == -EINVAL) {
			log_debug("policy: %s is not a workload endpoint: ignored", sl.kvs[i].key);
			ret = 0;
		}
		free(labels);
		cJSON_Delete(doc);
	}
	store_list_free(&sl);
	return ret;
}

static void pa_load_clear(struct pa_load *l)
{
	policy_state_free(l->st);
	free(l->bad);
	memset(l, 0, sizeof(*l));
}

static int pa_load(struct policy_agent *pa, struct pa_load *l)
{
	int ret;

	memset(l, 0, sizeof(*l));
	l->st = policy_state_new();
	if (!l->st)
		return -ENOMEM;
	if ((ret = pa_load_policies(pa, l)) < 0 || (ret = pa_load_namespaces(pa, l)) < 0 ||
	    (ret = pa_load_pools(pa, l)) < 0 || (ret = pa_load_endpoints(pa, l)) < 0)
		pa_load_clear(l);
	return ret;
}

/* Log the malformed policies when they differ from what was logged last. */
static void pa_report_bad(struct policy_agent *pa, char *bad)
{
	char *line, *save = NULL;

	if (pa->bad && strcmp(pa->bad, bad) == 0) {
		free(bad);
		return;
	}
	free(pa->bad);
	pa->bad = bad;
	bad = strdup(bad);
	for (line = bad ? strtok_r(bad, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		log_err("policy: malformed policy %s", line);
	log_err("policy: %s; fix or delete the malformed polic%s",
	        pa->st ? "keeping the last good ruleset in force"
	               : "the table in the kernel (if any) is left as it is",
	        strchr(pa->bad, '\n') != strrchr(pa->bad, '\n') ? "ies" : "y");
	free(bad);
}

/* Everything from the store again; the new state replaces the applied one once nft took it. */
static int pa_sync(struct policy_agent *pa, const char *why)
{
	struct pa_load l;
	struct timespec t0;
	char *text = NULL, err[PA_ERR_LEN] = "";
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = pa_load(pa, &l);
	if (ret < 0) {
		log_err("policy: reading the datastore: %s; the ruleset is unchanged",
		        store_strerror(ret));
		return ret;
	}
	if (l.bad) {
		pa_report_bad(pa, l.bad);
		l.bad = NULL;
		ret = -EINVAL;
		goto out;
	}
	if (pa->bad) {
		log_notice("policy: every stored policy is valid again");
		free(pa->bad);
		pa->bad = NULL;
	}
	ret = policy_render_full(l.st, &text);
	if (ret == 0)
		ret = policy_nft_apply(text, false, err, sizeof(err));
	if (ret < 0) {
		pa->full_failures++;
		log_err("policy: the ruleset (%s) was not applied: %s; the last good one stays",
		        why, err[0] ? err : strerror(-ret));
		goto out;
	}
	pa->full_applies++;
	policy_state_free(pa->st);
	pa->st = l.st;
	l.st = NULL;
	pa->policies = l.policies;
	pa->endpoints = l.endpoints;
	pa->local_endpoints = l.local_endpoints;
	log_info("policy: ruleset applied (%s): %zu polic%s, %zu endpoint%s (%zu local), %zu bytes "
	         "in %.1f ms",
	         why, l.policies, l.policies == 1 ? "y" : "ies", l.endpoints,
	         l.endpoints == 1 ? "" : "s", l.local_endpoints, strlen(text), pa_ms_since(&t0));
out:
	free(text);
	pa_load_clear(&l);
	return ret;
}

/* The applied state already holds a change its delta could not bring: apply it in full. */
static void pa_full_from_state(struct policy_agent *pa)
{
	char *text = NULL, err[PA_ERR_LEN] = "";
	int ret = policy_render_full(pa->st, &text);

	if (ret == 0)
		ret = policy_nft_apply(text, false, err, sizeof(err));
	free(text);
	if (ret == 0) {
		pa->full_applies++;
		return;
	}
	pa->full_failures++;
	log_err("policy: the full ruleset was refused too (%s): loading everything again",
	        err[0] ? err : strerror(-ret));
	policy_state_free(pa->st);
	pa->st = NULL;
	pa_sync(pa, "recovery");
}

static void pa_schedule(struct policy_agent *pa)
{
	struct timeval tv = {.tv_usec = PA_DEBOUNCE_MS * 1000};

	if (!evtimer_pending(pa->debounce, NULL))
		evtimer_add(pa->debounce, &tv);
}

static void pa_endpoint(struct policy_agent *pa, const char *key, const char *json)
{
	char err[PA_ERR_LEN] = "";
	struct policy_endpoint ep;
	struct policy_label *labels = NULL;
	struct addr addrs[PA_MAX_ADDRS];
	cJSON *doc = json ? cJSON_Parse(json) : NULL;
	bool local = false, put;
	int ret;

	if (!pa->st) { /* nothing applied yet: the next full sync takes it */
		pa_schedule(pa);
		goto out;
	}
	ret = doc ? policy_agent_endpoint_from_doc(doc, key, pa->d->cfg.node_name, &ep, &labels,
	                                           addrs, PA_MAX_ADDRS, &local)
	          : -EINVAL;
	if (ret == -ENOMEM)
		goto out;
	put = ret == 0;
	if (put)
		ret = policy_apply_endpoint_put(pa->st, &ep, err, sizeof(err));
	else if (strncmp(key, PA_WORKLOADS, strlen(PA_WORKLOADS)) == 0)
		ret = policy_apply_endpoint_remove(pa->st, key + strlen(PA_WORKLOADS), err,
		                                   sizeof(err));
	if (ret == -ENOENT) /* removing one the state never had */
		goto out;
	if (ret == 0) {
		pa->endpoint_updates++;
		log_debug("policy: endpoint %s %s", key + strlen(PA_WORKLOADS),
		          put ? "updated" : "removed");
		goto out;
	}
	pa->endpoint_failures++;
	log_warn("policy: endpoint %s: %s; applying the full ruleset", key,
	         err[0] ? err : strerror(-ret));
	pa_full_from_state(pa);
out:
	free(labels);
	cJSON_Delete(doc);
}

/* A newer put of the key supersedes its waiting removal. */
static void pa_removal_drop(struct policy_agent *pa, const char *key)
{
	size_t i;

	for (i = 0; i < pa->n_removals; i++)
		if (strcmp(pa->removals[i], key) == 0) {
			free(pa->removals[i]);
			pa->removals[i] = pa->removals[--pa->n_removals];
			return;
		}
}

/* Every queued removal, in one transaction. */
static void pa_removals_flush(struct policy_agent *pa)
{
	char err[PA_ERR_LEN] = "";
	const char **ids;
	size_t i, n = pa->n_removals;
	int ret = -ENOENT;

	if (!n)
		return;
	evtimer_del(pa->remove_timer);
	ids = calloc(n, sizeof(*ids));
	if (!ids) { /* one at a time, then */
		for (i = 0; i < n; i++) {
			pa_endpoint(pa, pa->removals[i], NULL);
			free(pa->removals[i]);
		}
		pa->n_removals = 0;
		return;
	}
	for (i = 0; i < n; i++)
		ids[i] = strncmp(pa->removals[i], PA_WORKLOADS, strlen(PA_WORKLOADS)) == 0
		             ? pa->removals[i] + strlen(PA_WORKLOADS)
		             : pa->removals[i];
	if (pa->st)
		ret = policy_apply_endpoints_remove(pa->st, ids, n, err, sizeof(err));
	free(ids);
	for (i = 0; i < n; i++)
		free(pa->removals[i]);
	pa->n_removals = 0;
	if (ret == 0 || ret == -ENOENT) {
		if (ret == 0)
			pa->endpoint_updates++;
		log_debug("policy: %zu endpoint removal%s applied", n, n == 1 ? "" : "s");
		return;
	}
	pa->endpoint_failures++;
	log_warn("policy: removing %zu endpoint%s: %s; applying the full ruleset", n,
	         n == 1 ? "" : "s", err[0] ? err : strerror(-ret));
	pa_full_from_state(pa);
}

static void pa_remove_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pa_removals_flush(arg);
}

/* Queue a removal (see PA_REMOVE_IDLE_MS); applied at once if it cannot be queued. */
static void pa_removal_queue(struct policy_agent *pa, const char *key)
{
	struct timeval tv = {.tv_usec = PA_REMOVE_IDLE_MS * 1000};
	char *k;
	size_t i;

	for (i = 0; i < pa->n_removals; i++)
		if (strcmp(pa->removals[i], key) == 0)
			return;
	if (pa->n_removals == pa->cap_removals) {
		size_t cap = pa->cap_removals ? 2 * pa->cap_removals : 16;
		char **v = realloc(pa->removals, cap * sizeof(*v));

		if (!v)
			goto now;
		pa->removals = v;
		pa->cap_removals = cap;
	}
	k = strdup(key);
	if (!k)
		goto now;
	if (!pa->n_removals)
		clock_gettime(CLOCK_MONOTONIC, &pa->first_removal);
	pa->removals[pa->n_removals++] = k;
	/* Restarted while requests keep coming, but not past PA_REMOVE_MAX_MS. */
	if (pa_ms_since(&pa->first_removal) < PA_REMOVE_MAX_MS ||
	    !evtimer_pending(pa->remove_timer, NULL))
		evtimer_add(pa->remove_timer, &tv);
	return;
now:
	pa_endpoint(pa, key, NULL);
}

void policy_agent_endpoint_changed(struct tabbyd *d, const char *key, const char *json)
{
	struct policy_agent *pa = d->policy;

	if (!pa)
		return;
	if (json) {
		pa_removal_drop(pa, key);
		pa_removals_flush(pa); /* in order: see PA_REMOVE_IDLE_MS */
		pa_endpoint(pa, key, json);
	} else {
		pa_removal_queue(pa, key);
	}
}

static void pa_watch_cb(const struct store_event *ev, void *arg)
{
	struct policy_agent *pa = arg;

	if (strncmp(ev->key, PA_WORKLOADS, strlen(PA_WORKLOADS)) == 0)
		policy_agent_endpoint_changed(pa->d, ev->key,
		                              ev->type == STORE_EVENT_PUT ? ev->value : NULL);
	else
		pa_schedule(pa);
}

static int pa_watch(struct policy_agent *pa)
{
	size_t i;
	int ret;

	for (i = 0; i < PA_N_WATCHES; i++) {
		if (pa->watch[i])
			store_watch_cancel(pa->watch[i]);
		pa->watch[i] = NULL;
		ret = store_watch(pa->d->store, pa_prefixes[i], 0, pa_watch_cb, pa, &pa->watch[i]);
		if (ret < 0) {
			pa->watch[i] = NULL;
			log_err("policy: watching %s: %s", pa_prefixes[i], store_strerror(ret));
			return ret;
		}
	}
	return 0;
}

static void pa_debounce_cb(evutil_socket_t fd, short what, void *arg)
{
	struct policy_agent *pa = arg;
	size_t i;

	(void)fd;
	(void)what;
	/* A watch that fell behind compaction starts again; the full load covers the gap. */
	for (i = 0; i < PA_N_WATCHES; i++)
		if (!pa->watch[i] || store_watch_error(pa->watch[i]) < 0) {
			log_warn("policy: a datastore watch fell behind; watching again");
			pa_watch(pa);
			break;
		}
	pa_sync(pa, "datastore change");
}

/* policy.enabled: false: a table of an earlier run must not keep enforcing stale rules. */
static void pa_remove_table(void)
{
	char err[PA_ERR_LEN] = "";

	if (policy_nft_apply("add table inet " POLICY_TABLE "\ndelete table inet " POLICY_TABLE
	                     "\n",
	                     false, err, sizeof(err)) < 0)
		log_warn("policy: removing table inet %s: %s", POLICY_TABLE, err);
	else
		log_info("policy: disabled (policy.enabled: false); table inet %s removed",
		         POLICY_TABLE);
}

int policy_agent_start(struct tabbyd *d)
{
	struct policy_agent *pa;
	int ret;

	if (!d->cfg.policy_enabled) {
		pa_remove_table();
		return 0;
	}
	pa = calloc(1, sizeof(*pa));
	if (!pa)
		return -ENOMEM;
	pa->d = d;
	pa->debounce = evtimer_new(d->base, pa_debounce_cb, pa);
	pa->remove_timer = evtimer_new(d->base, pa_remove_cb, pa);
	if (!pa->debounce || !pa->remove_timer) {
		if (pa->debounce)
			event_free(pa->debounce);
		if (pa->remove_timer)
			event_free(pa->remove_timer);
		free(pa);
		return -ENOMEM;
	}
	/* Below CNI replies (see tabbyd_store_events()), when the base has priorities. */
	if (event_base_get_npriorities(d->base) > 2)
		event_priority_set(pa->remove_timer, event_base_get_npriorities(d->base) - 1);
	d->policy = pa;
	/* Watch before the first read, so that no change is missed. */
	ret = pa_watch(pa);
	if (ret < 0) {
		log_err("policy: without datastore watches, policy changes are not followed");
		if (ret == -ENOMEM)
			return ret;
	}
	if (pa_sync(pa, "start") < 0 && !pa->bad)
		pa_schedule(pa); /* one more try once the loop runs */
	return 0;
}

void policy_agent_stop(struct tabbyd *d)
{
	struct policy_agent *pa = d->policy;
	size_t i;

	if (!pa)
		return;
	for (i = 0; i < PA_N_WATCHES; i++)
		if (pa->watch[i])
			store_watch_cancel(pa->watch[i]);
	pa_removals_flush(pa);
	event_free(pa->debounce);
	event_free(pa->remove_timer);
	free(pa->removals);
	policy_state_free(pa->st);
	free(pa->bad);
	free(pa);
	d->policy = NULL;
	log_info("policy: stopped; table inet %s stays in force", POLICY_TABLE);
}

void policy_agent_counts(const struct tabbyd *d, struct policy_agent_counts *c)
{
	const struct policy_agent *pa = d->policy;

	memset(c, 0, sizeof(*c));
	c->enabled = d->cfg.policy_enabled;
	if (!pa)
		return;
	c->applied = pa->st != NULL;
	c->blocked = pa->bad != NULL;
	c->full_applies = pa->full_applies;
	c->full_failures = pa->full_failures;
	c->endpoint_updates = pa->endpoint_updates;
	c->endpoint_failures = pa->endpoint_failures;
	c->policies = pa->policies;
	c->endpoints = pa->endpoints;
	c->local_endpoints = pa->local_endpoints;
}
