/*
 * DOC: cluster BGP resources as structs, and the sessions they ask for.
 *
 * routing_config.c turns the JSON documents of /tabby/v1/bgpconfig/,
 * /tabby/v1/bgppeers/ and /tabby/v1/nodes/ into the structs below (pure: text
 * in, struct out, errors name the field); routing_peers.c computes from them
 * the settings in effect on this node and the sessions it wants (pure as
 * well, unit-tested by tests/unit/test_tabbyd_routing_peers.c);
 * routing_sessions.c reads the store, watches it and applies the difference
 * to the speaker. doc/routing.md, "Peering", has the semantics.
 */
#ifndef TABBYD_ROUTING_PEERS_H
#define TABBYD_ROUTING_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tabby/bgp.h>
#include <tabby/prefix.h>

#include "tabbyd.h"

struct policy_selector;
struct policy_label;
struct store_list;

#define ROUTING_PREFIX_BGPCONFIG STORE_KEY_PREFIX "bgpconfig/"
#define ROUTING_PREFIX_BGPPEERS  STORE_KEY_PREFIX "bgppeers/"
#define ROUTING_PREFIX_NODES     STORE_KEY_PREFIX "nodes/"
#define ROUTING_NAME_MAX         128
#define TABBYD_SECRETS_DIR       SYSCONFDIR "/tabby/secrets" /* bgp.secretsDir's default */

/* A BGPConfiguration: "default", or "node.<nodename>" for one node. */
struct routing_bgpconfig {
	char name[ROUTING_NAME_MAX];
	bool has_as, has_mesh, has_port;
	uint32_t as_number;
	bool mesh;
	uint16_t listen_port;
};

/* A Node: the parts peering needs. */
struct routing_node {
	char name[ROUTING_NAME_MAX];
	struct addr v4, v6; /* spec.bgp.ipv4Address / ipv6Address; family 0: none */
	bool has_as;
	uint32_t as_number;
	uint32_t cluster_id; /* spec.bgp.routeReflectorClusterID, host order; 0: none */
	struct policy_label *labels;
	size_t n_labels;
	struct cJSON *doc; /* the labels point into it */
};

/* A BGPPeer. */
struct routing_bgppeer {
	char name[ROUTING_NAME_MAX];
	char node[ROUTING_NAME_MAX];           /* spec.node; "" : not given */
	struct policy_selector *node_selector; /* spec.nodeSelector; NULL: not given */
	bool has_peer_ip;
	struct addr peer_ip;
	uint16_t port;                         /* from "IP:PORT"; 0: 179 */
	struct policy_selector *peer_selector; /* spec.peerSelector */
	bool has_as;
	uint32_t as_number;
	char secret_name[ROUTING_NAME_MAX]; /* password.secretKeyRef; "": none */
	char secret_key[ROUTING_NAME_MAX];
	bool source_none; /* sourceAddress: None */
	bool keep_original_next_hop;
	bool has_max_restart_time;
	unsigned ttl_security; /* hops; 0: off */
};

struct routing_cluster {
	struct routing_bgpconfig *configs;
	size_t n_configs;
	struct routing_node *nodes;
	size_t n_nodes;
	struct routing_bgppeer *peers;
	size_t n_peers;
};

/* What this node brings: its name, tabbyd.yaml's bgp: section and addresses. */
struct routing_local {
	const char *node_name;
	const struct tabbyd_bgp_config *yaml;
	const struct prefix *underlay;
	size_t n_underlay;
};

enum routing_source {
	ROUTING_SRC_MESH,
	ROUTING_SRC_BGPPEER,
};

/* One wanted session; pc.description and pc.password point into it. */
struct routing_session {
	struct bgp_peer_config pc;
	enum routing_source source;
	char bgppeer[ROUTING_NAME_MAX]; /* the BGPPeer's name ("" for the mesh) */
	char node[ROUTING_NAME_MAX];    /* the peer's Node ("" for a peerIP) */
	char description[2 * ROUTING_NAME_MAX + 48];
	char password[81];
};

/* routing_config.c: one document each; err gets "FIELD: problem". */
int routing_config_bgpconfig(const char *name, const char *json, struct routing_bgpconfig *out,
                             char *err, size_t errlen);
int routing_config_node(const char *name, const char *json, struct routing_node *out, char *err,
                        size_t errlen);
void routing_config_node_clear(struct routing_node *n);
int routing_config_bgppeer(const char *name, const char *json, struct routing_bgppeer *out,
                           char *err, size_t errlen);
void routing_config_bgppeer_clear(struct routing_bgppeer *p);
/*
 * The three lists (sorted by key, as store_list() returns them) into c; a
 * malformed document is logged with its key and field and left out.
 */
int routing_config_cluster(const struct store_list *configs, const struct store_list *nodes,
                           const struct store_list *peers, struct routing_cluster *c);
void routing_config_cluster_clear(struct routing_cluster *c);
const struct routing_node *routing_config_find_node(const struct routing_cluster *c,
                                                    const char *name);

/* routing_peers.c */
void routing_peers_effective(const struct routing_cluster *c, const struct routing_local *l,
                             struct tabbyd_bgp_effective *eff);
/* The sessions this node wants, one per peer address (malloc'ed array in *out). */
int routing_peers_compute(const struct routing_cluster *c, const struct routing_local *l,
                          struct routing_session **out, size_t *n);
/* Point pc.description and pc.password at s's own strings (after s was copied). */
void routing_peers_fixup(struct routing_session *s);
/* Same session settings: a difference means removing and adding the peer again. */
bool routing_peers_equal(const struct routing_session *a, const struct routing_session *b);

#endif
