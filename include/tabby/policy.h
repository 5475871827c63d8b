/*
 * DOC: network policy: selectors, the policy model and nftables rendering.
 *
 * Three layers, each usable on its own:
 *
 * - Selectors (policy_selector_*): Calico selector expressions
 *   ("role == 'db' && !has(canary)") and Kubernetes LabelSelectors
 *   (matchLabels, matchExpressions) parsed into one AST, evaluated against an
 *   endpoint's labels (plus its namespace's labels), and printed in a
 *   canonical form used to share one nftables set per distinct selector.
 *
 * - The model (policy_parse, struct policy): Kubernetes
 *   networking.k8s.io/v1 NetworkPolicy and Calico projectcalico.org/v3
 *   NetworkPolicy / GlobalNetworkPolicy, parsed from cJSON (the JSON form of a
 *   YAML manifest) and validated, into one form: an ordered policy with
 *   ingress and egress rules (action, protocol, ICMP, source/destination with
 *   selectors, nets and port ranges). Errors name the field path.
 *
 * - Rendering (struct policy_state): policies, pools, namespaces and the
 *   endpoints of the whole cluster (the local ones with their host veth) in,
 *   nftables text for table "inet tabby" out: the full ruleset (one atomic
 *   transaction that replaces only our table) or, for endpoint churn, an
 *   incremental batch of set and map element updates. policy_nft_apply()
 *   runs such text through libnftables.
 */
#ifndef TABBY_POLICY_H
#define TABBY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include <tabby/json.h>
#include <tabby/prefix.h>

#define POLICY_ERROR_MAX          512
#define POLICY_SELECTOR_MAX_LEN   4096    /* bytes of one selector expression */
#define POLICY_SELECTOR_MAX_DEPTH 32      /* nesting of (), ! and operators */
#define POLICY_TABLE              "tabby" /* table inet tabby */

/* Pseudo-labels, as Calico names them. */
#define POLICY_LABEL_NAMESPACE "projectcalico.org/namespace" /* endpoint -> its namespace */
#define POLICY_LABEL_NS_NAME   "projectcalico.org/name"      /* namespace -> its name */
#define POLICY_LABEL_K8S_NS    "kubernetes.io/metadata.name" /* namespace -> its name */

struct policy_label {
	const char *key;
	const char *value;
};

/* ---- selectors ---- */

struct policy_selector; /* opaque AST */

/* What a selector is evaluated against. ns_* may be NULL/0 (no namespace). */
struct policy_match {
	const struct policy_label *labels;
	size_t n_labels;
	const char *namespace; /* NULL: not namespaced */
	const struct policy_label *ns_labels;
	size_t n_ns_labels;
};

/*
 * Parse a Calico selector expression. "" and "all()" select everything.
 * Returns 0 or -EINVAL / -ENOMEM; on -EINVAL err says
 * "selector: position 12: expected ')'" (position is 0-based in bytes).
 */
int policy_selector_parse(const char *text, struct policy_selector **out, char *err, size_t errlen);
/*
 * A Kubernetes LabelSelector (object with matchLabels / matchExpressions) at
 * path below root; an absent or empty object selects everything. Errors name
 * the field ("spec.podSelector.matchExpressions[0].operator: ...").
 */
int policy_selector_from_k8s(const cJSON *root, const char *path, struct policy_selector **out,
                             struct json_error *err);
/* Constructors used by the model. The *_own variants take ownership of args. */
struct policy_selector *policy_selector_all(void);
struct policy_selector *policy_selector_and(struct policy_selector *a, struct policy_selector *b);
struct policy_selector *policy_selector_not(struct policy_selector *a);
/* label == value */
struct policy_selector *policy_selector_eq(const char *key, const char *value);
/* Evaluate sel against the namespace's labels instead of the endpoint's. */
struct policy_selector *policy_selector_in_namespace(struct policy_selector *sel);
struct policy_selector *policy_selector_clone(const struct policy_selector *sel);
void policy_selector_free(struct policy_selector *sel);

bool policy_selector_matches(const struct policy_selector *sel, const struct policy_match *m);
bool policy_selector_is_all(const struct policy_selector *sel);
/*
 * Canonical text: malloc'ed, NULL on ENOMEM. Equal selectors print
 * equally, so this is the key of a selector set. A parsed selector's
 * canonical form parses back to the same form; the namespace wrapper prints
 * as "ns(...)", which is not selector syntax.
 */
char *policy_selector_canonical(const struct policy_selector *sel);

/* ---- the model ---- */

enum policy_kind {
	POLICY_K8S,           /* networking.k8s.io/v1 NetworkPolicy */
	POLICY_CALICO,        /* projectcalico.org/v3 NetworkPolicy */
	POLICY_CALICO_GLOBAL, /* projectcalico.org/v3 GlobalNetworkPolicy */
};

enum policy_action {
	POLICY_ALLOW,
	POLICY_DENY,
	POLICY_LOG,
	POLICY_PASS,
};

enum policy_dir {
	POLICY_INGRESS = 0,
	POLICY_EGRESS = 1,
};

struct policy_port_range {
	uint16_t first, last;
};

/* Source or destination of a rule; every present part must match. */
struct policy_entity {
	struct policy_selector *selector;     /* NULL: any address; all(): any endpoint */
	struct policy_selector *not_selector; /* NULL: none excluded */
	struct prefix *nets;                  /* match any of them (n_nets > 0) */
	size_t n_nets;
	struct prefix *not_nets; /* match none of them */
	size_t n_not_nets;
	struct policy_port_range *ports; /* any of them (needs a port protocol) */
	size_t n_ports;
	struct policy_port_range *not_ports;
	size_t n_not_ports;
};

struct policy_rule {
	enum policy_action action;
	int protocol;                     /* IP protocol number, 0: any */
	int not_protocol;                 /* 0: none */
	int ip_version;                   /* 0: both, 4 or 6 */
	int icmp_type, icmp_code;         /* -1: any */
	int not_icmp_type, not_icmp_code; /* -1: none */
	struct policy_entity src, dst;
};

struct policy {
	enum policy_kind kind;
	char *name;
	char *namespace; /* NULL for GlobalNetworkPolicy */
	double order;    /* Kubernetes policies: 1000, as in Calico */
	bool has_order;  /* false: after every ordered policy */
	/* Endpoints the policy applies to (namespace scoping included). */
	struct policy_selector *selector;
	bool types[2]; /* [POLICY_INGRESS], [POLICY_EGRESS] */
	struct policy_rule *rules[2];
	size_t n_rules[2];
};

/*
 * Parse one policy object (apiVersion + kind pick the API). Returns 0,
 * -EINVAL (err names the field: "spec.ingress[0].ports[1].endPort: must be
 * >= port") or -ENOMEM.
 */
int policy_parse(const cJSON *obj, struct policy **out, struct json_error *err);
void policy_free(struct policy *p);
/* Calico's evaluation order: by order (absent last), then by name. */
int policy_cmp(const struct policy *a, const struct policy *b);
/* "default/allow-frontend" or "allow-frontend" (global), for logs and comments. */
const char *policy_display_name(const struct policy *p, char *buf, size_t len);

/* ---- rendering ---- */

struct policy_namespace {
	const char *name;
	const struct policy_label *labels;
	size_t n_labels;
};

struct policy_endpoint {
	const char *id;        /* unique in the cluster, e.g. "node1/default/pod-a/eth0" */
	const char *iface;     /* host-side veth; NULL or "" for another node's endpoint */
	const char *namespace; /* NULL: not namespaced */
	const struct policy_label *labels;
	size_t n_labels;
	const struct addr *addrs;
	size_t n_addrs;
};

struct policy_pool {
	struct prefix cidr;
	bool nat_outgoing;
};

struct policy_state;

struct policy_state *policy_state_new(void);
void policy_state_free(struct policy_state *st);
/*
 * Inputs. The state copies what it is given (policies are cloned by
 * reference count-free deep copy of their selectors); after changing policies,
 * pools or namespaces, render the full ruleset again.
 */
int policy_state_set_policies(struct policy_state *st, struct policy *const *policies, size_t n);
int policy_state_set_pools(struct policy_state *st, const struct policy_pool *pools, size_t n);
int policy_state_set_namespace(struct policy_state *st, const struct policy_namespace *ns);
/* Add or replace an endpoint without producing a delta (before a full render). */
int policy_state_put_endpoint(struct policy_state *st, const struct policy_endpoint *ep);

/*
 * The complete ruleset: "add table; delete table; table inet tabby {...}",
 * one transaction that replaces our table and nothing else. malloc'ed text.
 */
int policy_render_full(struct policy_state *st, char **out);
/*
 * Endpoint churn after a full render: update the state and return the nft
 * commands (set and verdict-map elements; a chain only when a new endpoint
 * needs a combination of policies no endpoint had) that bring the applied
 * ruleset to the new state. *out is "" when nothing changes.
 * policy_render_endpoint_put() covers add and relabel (same id).
 */
int policy_render_endpoint_put(struct policy_state *st, const struct policy_endpoint *ep,
                               char **out);
int policy_render_endpoint_remove(struct policy_state *st, const char *id, char **out);

/* ---- libnftables ---- */

/*
 * Run nft commands as one transaction (nft_run_cmd_from_buffer). With
 * check_only, nothing is committed (nft -c). On failure, err holds nft's
 * error text. Returns 0, -EINVAL (nft refused), -ENOMEM.
 */
int policy_nft_apply(const char *text, bool check_only, char *err, size_t errlen);
/*
 * Endpoint churn rendered and applied in one call (the pod-start path): the
 * state is updated and the kernel brought to it by the cheapest means
 * available. On failure (-EINVAL: the kernel refused, err says why) the state
 * already holds the change: the caller renders and applies the full ruleset.
 */
int policy_apply_endpoint_put(struct policy_state *st, const struct policy_endpoint *ep, char *err,
                              size_t errlen);
int policy_apply_endpoint_remove(struct policy_state *st, const char *id, char *err, size_t errlen);
/*
 * Several endpoints removed in one transaction: deleting elements costs the
 * kernel an RCU grace period per commit (10-15 ms of waiting), so removals
 * are worth coalescing. Ids the state does not hold are skipped; -ENOENT if
 * it holds none of them.
 */
int policy_apply_endpoints_remove(struct policy_state *st, const char *const *ids, size_t n,
                                  char *err, size_t errlen);
/* The current "table inet tabby" as nft prints it (policy show); malloc'ed. */
int policy_nft_show(char **out, char *err, size_t errlen);

#endif
