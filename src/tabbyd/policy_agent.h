/*
 * DOC: the policy agent inside tabbyd (policy_agent.c): enforces network
 * policy (doc/policy.md) for this node's endpoints with table "inet tabby".
 */
#ifndef TABBYD_POLICY_AGENT_H
#define TABBYD_POLICY_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tabbyd;
struct policy_agent;
struct policy_endpoint;
struct policy_label;
struct addr;
struct cJSON;

/*
 * Start enforcing (policy.enabled): watch policies, namespaces, IP pools and
 * the workload endpoints of every node, render and apply the full ruleset.
 * Called before READY=1; the store watches are delivered by d->store_event.
 * With policy.enabled false, an "inet tabby" table left by an earlier run is
 * removed and nothing else happens. A failure to apply is logged, not fatal
 * (the agent tries again at the next change); only -ENOMEM is returned.
 */
int policy_agent_start(struct tabbyd *d);
/* Stop watching. The table stays in the kernel: pods stay protected while tabbyd restarts. */
void policy_agent_stop(struct tabbyd *d);

/*
 * A workload endpoint document changed (json NULL: deleted), key is its full
 * store key. The watch calls this; CNI ADD/DEL may call it too, before
 * replying, so that a pod is protected from its first packet (a second call
 * with the same document changes nothing).
 */
void policy_agent_endpoint_changed(struct tabbyd *d, const char *key, const char *json);

struct policy_agent_counts {
	bool enabled;
	bool applied;           /* a full ruleset of this process is in the kernel */
	bool blocked;           /* a malformed policy in the store: the last good ruleset stays */
	uint64_t full_applies;  /* full rulesets applied */
	uint64_t full_failures; /* full rulesets nft refused */
	uint64_t endpoint_updates, endpoint_failures;
	size_t policies, endpoints, local_endpoints;
};
void policy_agent_counts(const struct tabbyd *d, struct policy_agent_counts *c);

/*
 * A workload endpoint document (the JSON of endpoint.c) as a policy endpoint
 * for node: id is the key below workloads/ ("<node>/<id>"), the interface only
 * when the endpoint is on node. Pointers refer into doc, labels (malloc'ed,
 * free it) and addrs (room for max). -EINVAL if the document is not one.
 */
int policy_agent_endpoint_from_doc(const struct cJSON *doc, const char *key, const char *node,
                                   struct policy_endpoint *ep, struct policy_label **labels,
                                   struct addr *addrs, size_t max, bool *local);

#endif
