/*
 * DOC: tabbyd's private interface: the agent's state and its parts.
 *
 *   main.c         start-up, signals, the libevent loop
 *   tabbyd_config.c  the node-local YAML configuration (doc/tabbyd.yaml.5)
 *   node.c         the Node document and bootstrap pools in the datastore
 *   node_selector.c  IP pools' nodeSelector against this node's labels
 *   api.c          the REST API on the Unix socket (evhttp)
 *   api_request.c  decoding of CNI requests (pure, fuzzed)
 *   api_cni_call.c POST /v1/cni/call: a CNI call relayed by the plugin (src/cni/call.c)
 *   cni_handler.c  CNI ADD/DEL/CHECK: IPAM, dataplane, workload endpoints
 *   cni_committer.c  the worker thread that commits an ADD beside the wiring
 *   cni_gc.c       CNI GC
 *   blocks.c       blackhole routes of affine blocks
 *   endpoint.c     workload endpoint documents in the datastore
 *   reconcile.c    start-up reconciliation of endpoints, allocations and routes
 *   reaper.c       deletion of released veths by a worker thread
 *   sd.c           systemd notification (READY, STATUS, WATCHDOG)
 *   bgp_config.c   the `bgp:` section of the configuration
 *   bgp.c          the BGP speaker in the event loop: peers, originations, reload
 *   api_bgp.c      the REST API's /v1/bgp endpoints
 *   routing_export.c  originate affine blocks, borrowed addresses, service CIDRs
 *   routing_export_config.c  the BGPConfiguration's export settings (pure)
 *   routing_fib.c  learned best paths into the kernel, periodic reconciliation
 *   routing_fib_withdraw.c  withdrawals at the end of the event, with their objects
 *   routing_fib_watch.c  repair of learned routes deleted outside tabbyd
 *   routing_config.c  BGPConfiguration, BGPPeer, Node documents into structs
 *   routing_peers.c   settings in effect and the wanted sessions (pure)
 *   routing_sessions.c  sessions follow the cluster resources (watch, diff)
 *   policy_agent.c network policy: table inet tabby from the datastore
 */
#ifndef TABBYD_H
#define TABBYD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <tabby/bgp.h>
#include <tabby/prefix.h>

#include "api_request.h"

struct event_base;
struct evhttp;
struct event;
struct store;
struct ipam;
struct nl_ctx;
struct policy_label;
struct cJSON;
struct evhttp_request;

#define TABBYD_DEFAULT_CONFIG SYSCONFDIR "/tabby/tabbyd.yaml"
#define TABBYD_DEFAULT_SOCKET "/run/tabby/tabbyd.sock"
#define TABBYD_DEFAULT_STORE  "sqlite:/var/lib/tabby/tabby.db"
#define TABBYD_MAX_UNDERLAY   8
#define TABBYD_MAX_POOLS      16

/* ---- configuration (tabbyd_config.c) ---- */

struct tabbyd_pool_config {
	char *name;
	char *cidr;
	unsigned block_size; /* 0: IPAM default */
	bool nat_outgoing;
	char *node_selector; /* NULL: all() */
};

#define TABBYD_MAX_LABELS 64

/* ---- the bgp: section (bgp_config.c) ---- */

#define TABBYD_BGP_DEFAULT_AS            64512
#define TABBYD_BGP_MAX_PEERS             256
#define TABBYD_BGP_MAX_ORIGINS           4096
#define TABBYD_BGP_MAX_COMMS             32
#define TABBYD_BGP_DEFAULT_FIB_RECONCILE 30 /* seconds */

struct tabbyd_bgp_peer {
	/* Settings after defaults; description and password point to the owned copies below. */
	struct bgp_peer_config pc;
	char *description;
	char *password;
};

struct tabbyd_bgp_origin {
	struct prefix prefix;
	bool has_med;
	uint32_t med;
	uint32_t communities[TABBYD_BGP_MAX_COMMS]; /* RFC 1997 A << 16 | B */
	size_t n_communities;
};

struct tabbyd_bgp_config {
	bool enabled;
	uint32_t as_number;
	uint32_t router_id;      /* host byte order; 0 until resolved (routerID or addresses) */
	struct addr listen_addr; /* family 0: every address */
	uint16_t listen_port;
	int hold_time;          /* peers' default (BGP_HOLD_TIME_NONE for 0) */
	uint16_t connect_retry; /* peers' default; 0: the library's */
	struct tabbyd_bgp_peer *peers;
	size_t n_peers;
	struct tabbyd_bgp_origin *origins;
	size_t n_origins;
	bool node_to_node_mesh;         /* default of the full mesh (routing_sessions.c) */
	char *secrets_dir;              /* BGPPeer password secretKeyRef files (routing_peers.c) */
	bool install_routes;            /* learned routes into the kernel (routing_fib.c) */
	unsigned fib_reconcile_seconds; /* period of the kernel-vs-RIB check */
};

struct tabbyd_config {
	char *path;
	char *node_name;
	char *datastore;
	struct prefix underlay[TABBYD_MAX_UNDERLAY]; /* address/len; len = host if none given */
	size_t n_underlay;
	int log_level;
	char *api_socket;
	unsigned mtu; /* 0: dataplane default */
	struct tabbyd_pool_config pools[TABBYD_MAX_POOLS];
	size_t n_pools;
	char *label_keys[TABBYD_MAX_LABELS]; /* the node's labels (`labels`) */
	char *label_values[TABBYD_MAX_LABELS];
	size_t n_labels;
	struct tabbyd_bgp_config bgp;
	bool policy_enabled; /* `policy: {enabled}`, default true (policy_agent.c) */
};

/*
 * Load path (NULL: TABBYD_DEFAULT_CONFIG; a missing default file means all
 * defaults). On error, err holds "FILE:LINE:COLUMN: FIELD: problem" and cfg is
 * left freed (zeroed).
 */
int tabbyd_config_load(const char *path, bool must_exist, struct tabbyd_config *cfg, char *err,
                       size_t errlen);
void tabbyd_config_free(struct tabbyd_config *cfg);

struct yaml_node;
struct yaml_error;
/* Parse root's `bgp:` (absent: disabled) into cfg->bgp; the underlay addresses are parsed first. */
int tabbyd_bgp_config_parse(const struct yaml_node *root, struct tabbyd_config *cfg,
                            struct yaml_error *err);
void tabbyd_bgp_config_free(struct tabbyd_bgp_config *bgp);
/* Same session settings (a change means removing and re-adding the peer). */
bool tabbyd_bgp_peer_equal(const struct tabbyd_bgp_peer *a, const struct tabbyd_bgp_peer *b);
bool tabbyd_bgp_origin_equal(const struct tabbyd_bgp_origin *a, const struct tabbyd_bgp_origin *b);

/* ---- the agent ---- */

struct tabbyd {
	struct tabbyd_config cfg;
	struct event_base *base;
	struct store *store;
	struct ipam *ipam;
	struct nl_ctx *nl;
	/* API */
	struct evhttp *http;
	int api_fd;
	/* this node's labels, for IP pools' nodeSelector (node_selector.c) */
	struct policy_label *node_labels;
	size_t n_node_labels;
	struct cJSON *node_labels_json;
	/* blackhole routes installed for affine blocks */
	struct prefix *blackholes;
	size_t n_blackholes;
	/* counters for status */
	time_t started;
	uint64_t n_add, n_del, n_check, n_gc, n_errors;
	bool ready;
	/* BGP (bgp.c): NULL while bgp.enabled is false */
	struct bgp_speaker *bgp;
	struct event *bgp_status_timer;
	unsigned bgp_established; /* last count put in STATUS= */
	uint64_t bgp_best_changes;
	/* cluster routing (routing_*.c): NULL while BGP is off */
	struct event *store_event;   /* store_notify_fd() readable (or a poll timer); main.c */
	struct policy_agent *policy; /* policy_agent.c: NULL while policy.enabled is false */
	struct routing_export *rt_export;
	struct routing_fib *rt_fib;
	struct routing_sessions *rt_sessions;
	/* settings in effect: cluster resources over tabbyd.yaml (routing_sessions.c) */
	struct tabbyd_bgp_effective {
		uint32_t as_number;
		uint16_t listen_port;
		uint32_t cluster_id; /* routeReflectorClusterID, host order; 0: none */
		bool mesh;
	} bgp_eff;
};

/* node.c */
int tabbyd_node_register(struct tabbyd *d);
int tabbyd_pools_bootstrap(struct tabbyd *d);
/* Switch on IPv4 and IPv6 forwarding in the node's namespace. */
int tabbyd_node_sysctls(struct tabbyd *d);
/* Number of IP pools in the store (STATUS is "not available" without any). */
int tabbyd_pools_count(struct tabbyd *d, size_t *n);

/* node_selector.c: labels from the Node document, nodeSelector evaluation */
int node_labels_set(struct tabbyd *d, const char *node_doc);
void node_labels_clear(struct tabbyd *d);
bool node_selector_matches(const char *selector, void *arg);

/* bgp.c */
/* Start the speaker (when enabled) with the configured peers and originations. */
int tabbyd_bgp_start(struct tabbyd *d);
/* Apply a reloaded bgp: section; takes n over (it is left empty). */
void tabbyd_bgp_reload(struct tabbyd *d, struct tabbyd_bgp_config *n);
/* Cease to every peer, free the speaker. */
void tabbyd_bgp_stop(struct tabbyd *d);
/* "BGP 1/2 peers established", "BGP off" for STATUS= lines. */
void tabbyd_bgp_summary(const struct tabbyd *d, char *buf, size_t len);

/*
 * Cluster routing (doc/routing.md), started by tabbyd_bgp_start() once the
 * speaker runs and stopped before it is freed. Each part watches the store
 * (events are delivered by the store_event of main.c) and debounces.
 */
struct routing_export;
struct routing_fib;
/* routing_export.c */
int routing_export_start(struct tabbyd *d);
void routing_export_stop(struct tabbyd *d);
/* Originate every exported prefix again (after a reload touched the originations). */
void routing_export_refresh(struct tabbyd *d);
/*
 * A learned prefix the FIB must not install: it equals or covers one of the
 * node's affine blocks, or it is one of its borrowed (local) addresses.
 */
bool routing_export_is_local(const struct tabbyd *d, const struct prefix *p);
/*
 * What the export takes from the BGPConfiguration "default" (routing_export.c):
 * service CIDRs every node originates, and communities for exported prefixes
 * inside a prefixAdvertisements CIDR (RFC 1997 A << 16 | B).
 */
#define ROUTING_EXPORT_BGPCONFIG_KEY "/tabby/v1/bgpconfig/default"
struct routing_export_adv {
	struct prefix cidr;
	uint32_t communities[TABBYD_BGP_MAX_COMMS]; /* RFC 1997 A << 16 | B */
	size_t n_communities;
	struct bgp_large_community large[TABBYD_BGP_MAX_COMMS]; /* RFC 8092 */
	size_t n_large;
};
struct routing_export_bgpconfig {
	struct prefix *services; /* serviceClusterIPs, serviceExternalIPs, serviceLoadBalancerIPs */
	size_t n_services;
	struct routing_export_adv *advs; /* prefixAdvertisements */
	size_t n_advs;
};
/* Parse a stored BGPConfiguration; on -EINVAL err is "FIELD: problem" and out is empty. */
int routing_export_bgpconfig_parse(const char *json, struct routing_export_bgpconfig *out,
                                   char *err, size_t errlen);
void routing_export_bgpconfig_free(struct routing_export_bgpconfig *c);
/* Communities of every prefixAdvertisement containing p, without repeats; returns the count. */
size_t routing_export_communities(const struct routing_export_bgpconfig *c, const struct prefix *p,
                                  uint32_t *out, size_t max);
/* The same for the large communities (RFC 8092). */
size_t routing_export_large_communities(const struct routing_export_bgpconfig *c,
                                        const struct prefix *p, struct bgp_large_community *out,
                                        size_t max);
/* routing_fib.c */
int routing_fib_start(struct tabbyd *d);
/* Before the speaker is freed: its withdrawals must not empty the kernel. */
void routing_fib_detach(struct tabbyd *d);
/* Free the table (after the speaker); flush: remove the learned routes from the kernel. */
void routing_fib_stop(struct tabbyd *d, bool flush);
/* The node's local prefixes changed: re-check the kernel against the wanted routes. */
void routing_fib_local_changed(struct tabbyd *d);
/* For GET /v1/bgp: learned routes wanted, installed, suppressed (all 0 when off). */
void routing_fib_counts(const struct tabbyd *d, size_t *wanted, size_t *installed,
                        size_t *suppressed);

/* routing_sessions.c: sessions from BGPConfiguration, BGPPeer and Node resources */
struct routing_sessions;
struct routing_session;
/* Settings in effect (store over YAML) into eff; YAML values if the store cannot be read. */
int routing_sessions_effective(struct tabbyd *d, struct tabbyd_bgp_effective *eff);
int routing_sessions_start(struct tabbyd *d);
void routing_sessions_stop(struct tabbyd *d);
/* Compare the sessions with the store again (after a reload changed the YAML peers). */
void routing_sessions_refresh(struct tabbyd *d);
/* The session this part added for a (NULL: none, e.g. a bgp.peers entry). */
const struct routing_session *routing_sessions_find(const struct tabbyd *d, const struct addr *a);
/* Add "source", "bgppeer", "node" to the peer's JSON object of GET /v1/bgp. */
void routing_sessions_peer_json(const struct tabbyd *d, struct cJSON *peer, const struct addr *a);
/* bgp.c: restart the speaker (settings it cannot apply live changed); reason is logged. */
void tabbyd_bgp_restart(struct tabbyd *d, const char *reason);

/* api.c */
void api_send_json(struct evhttp_request *r, int status, const char *json);
void api_send_error(struct evhttp_request *r, int status, int code, const char *msg,
                    const char *details);
/* api_bgp.c: GET /v1/bgp, GET /v1/bgp/rib, POST /v1/bgp/peers/ADDR/{refresh,reset} */
void api_bgp(struct tabbyd *d, struct evhttp_request *r, const char *path);
/* -EADDRINUSE if an agent answers on path already. */
int api_check_free(const char *path);
/* GET /v1/status's body (*out, malloc'd) and HTTP status. */
int api_status_json(struct tabbyd *d, char **out);
/* api_cni_call.c: POST /v1/cni/call, the relay plugin's whole CNI call. */
void api_cni_call(struct tabbyd *d, struct evhttp_request *r);
int api_start(struct tabbyd *d);
void api_stop(struct tabbyd *d);

/* cni_handler.c: CNI verbs; on error fill code (CNI code) and msg. */
struct cni_reply {
	int http_status;
	int code;
	char msg[512];
	char details[256];
	char *body; /* JSON on success (may be NULL for no content) */
};

void cni_handle(struct tabbyd *d, const struct api_cni_request *req, struct cni_reply *rep);
/* Fill rep with an error: HTTP status, CNI code, message. */
void cni_fail(struct cni_reply *rep, int http, int code, const char *details, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* cni_committer.c: one job at a time on the committer thread (here if it has none). */
void committer_start(void (*fn)(void *), void *arg);
/* Run update(arg) under the committer's lock and wake committer_wait_for(). */
void committer_signal(void (*update)(void *), void *arg);
/* Wait until ready(arg) (called under the lock) or the job has ended; ready's last answer. */
bool committer_wait_for(bool (*ready)(void *), void *arg);
/* Wait until the job has ended. */
void committer_wait(void);

/* cni_gc.c */
void cni_gc(struct tabbyd *d, const struct api_cni_request *req, struct cni_reply *rep);
/* Remove one endpoint completely (DEL); used by GC and reconciliation too. */
int cni_endpoint_teardown(struct tabbyd *d, const char *network, const char *container_id,
                          const char *ifname, const char *netns, const char *host_ifname,
                          const struct addr *addrs, size_t n_addrs, char *err, size_t errlen);
/* blocks.c: install blackhole routes for affine blocks, remove those no longer affine. */
int cni_blackholes_sync(struct tabbyd *d);

/* Plugin-specific CNI error codes (SPEC.md: 100 and up). */
#define TABBY_CNI_ERR_IPAM      100
#define TABBY_CNI_ERR_DATAPLANE 101
#define TABBY_CNI_ERR_CHECK     102
#define TABBY_CNI_ERR_STORE     103

/* endpoint.c: workload endpoint documents, /tabby/v1/workloads/<node>/<id> */
struct tabbyd_endpoint {
	char *key;
	char *id;
	char *network;
	char *container_id;
	char *ifname;
	char *host_ifname;
	char *netns;
	char *pod_namespace;
	char *pod;
	struct addr addrs[API_MAX_ADDRS];
	size_t n_addrs;
	int64_t mod_rev;
};

/* "<network>:<containerID>:<ifname>": the store key's last part and the IPAM handle. */
int endpoint_id(const char *network, const char *container_id, const char *ifname, char *out,
                size_t len);
int endpoint_key(const char *node, const char *id, char *out, size_t len);
char *endpoint_to_json(const struct tabbyd *d, const struct api_cni_request *req, const char *id,
                       const char *host_ifname, const struct addr *addrs, size_t n_addrs);
int endpoint_from_json(const char *key, const char *json, struct tabbyd_endpoint *ep);
void endpoint_clear(struct tabbyd_endpoint *ep);
/* This node's endpoints; free each with endpoint_clear() and the array with free(). */
int endpoint_list(struct tabbyd *d, struct tabbyd_endpoint **out, size_t *n);

/* reconcile.c */
struct reconcile_stats {
	unsigned endpoints, endpoints_removed, leaked_allocations, routes_removed, blackholes;
};
int reconcile_startup(struct tabbyd *d, struct reconcile_stats *st);

/* reaper.c: veth deletion off the request path */
int reaper_start(void);
/* Queue a link for deletion by index; false if the reaper cannot take it. */
bool reaper_queue(int ifindex);
/* Wait until every queued link is deleted. */
void reaper_wait_idle(void);
/* Drain the queue and stop the thread. */
void reaper_stop(void);

/* sd.c */
void sd_setup(struct tabbyd *d);
void sd_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sd_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sd_reloading(void);
void sd_stopping(void);

#endif
