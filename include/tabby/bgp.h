/*
 * DOC: the BGP speaker as a library (the API the rest of tabbyd uses).
 *
 * One struct bgp_speaker runs inside the caller's libevent loop: it listens
 * for BGP connections, keeps one session per configured peer (RFC 4271 FSM,
 * TCP-MD5, GTSM, graceful restart helper, route refresh), holds the RIBs and
 * tells subscribers about best-path changes (the agent wires them to the
 * FIB). Nothing here touches the kernel's routing table.
 *
 *   sp = bgp_speaker_new(base, &cfg);
 *   bgp_peer_add(sp, &peer_cfg, &peer);
 *   bgp_originate(sp, &prefix, &attrs);
 *   bgp_subscribe_best(sp, fib_update, fib);
 *   ... event_base_dispatch(base) ...
 *   bgp_speaker_free(sp);
 *
 * Errors are negative errno values. Peer state and the Loc-RIB are also
 * available as cJSON documents for the REST API.
 */
#ifndef TABBY_BGP_H
#define TABBY_BGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include <tabby/prefix.h>

struct event_base;
struct bgp_speaker;
struct bgp_peer;

#define BGP_DEFAULT_PORT      179
#define BGP_DEFAULT_HOLD_TIME 90
#define BGP_HOLD_TIME_NONE    (-1) /* propose 0: no keepalives (RFC 4271 4.2) */

/* Families a peer carries (bgp_peer_config.families). */
#define BGP_FAMILY_IPV4 0x1
#define BGP_FAMILY_IPV6 0x2

struct bgp_speaker_config {
	uint32_t local_as;        /* 1..4294967295; 4-octet numbers are fine (RFC 6793) */
	uint32_t router_id;       /* BGP Identifier, host byte order, non-zero */
	struct addr listen_addr;  /* family 0: every address, IPv4 and IPv6 */
	uint16_t listen_port;     /* 0: 179 */
	bool no_listen;           /* only active sessions (tests, benchmarks) */
	uint32_t cluster_id;      /* RFC 4456; 0: router_id */
	unsigned multipath;       /* ECMP paths for the FIB; 0 or 1: none */
	uint16_t gr_restart_time; /* RFC 4724 helper: advertised Restart Time; 0: 120 */
};

struct bgp_peer_config {
	struct addr addr; /* the peer's address */
	uint32_t remote_as;
	const char *description; /* free text, copied */
	bool passive;            /* never initiate the connection */
	uint16_t port;           /* peer's TCP port; 0: 179 */
	struct addr source;      /* local address to bind; family 0: kernel's choice */
	const char *password;    /* TCP-MD5 key (RFC 2385), NULL: none; copied */
	bool ttl_security;       /* GTSM (RFC 5082): send TTL 255, accept >= 254 */
	int hold_time;           /* seconds; 0: 90; BGP_HOLD_TIME_NONE: 0; 1-2 are invalid */
	uint16_t keepalive;      /* 0: a third of the hold time */
	uint16_t connect_retry;  /* ConnectRetryTime; 0: 120 */
	uint16_t idle_hold;      /* first IdleHoldTime after an error; 0: 1 */
	bool rr_client;          /* RFC 4456 route reflector client (iBGP) */
	uint32_t max_prefixes;   /* 0: no limit; beyond it: Cease/1 */
	uint32_t families;       /* BGP_FAMILY_*; 0: IPv4 and IPv6 */
	bool next_hop_self;      /* towards iBGP too (always towards eBGP) */
};

/* RFC 8092 large community: Global Administrator : Local Data Part 1 : Local Data Part 2. */
struct bgp_large_community {
	uint32_t global, local1, local2;
};

/* Attributes of a locally originated prefix. */
struct bgp_route_attrs {
	uint8_t origin; /* 0 IGP (default), 1 EGP, 2 INCOMPLETE */
	bool has_med;
	uint32_t med;
	bool has_local_pref;
	uint32_t local_pref;
	const uint32_t *communities; /* RFC 1997, "65000:1" == 65000 << 16 | 1 */
	size_t n_communities;
	const struct bgp_large_community *large_communities; /* RFC 8092 */
	size_t n_large_communities;
};

/* A best-path change for the FIB. */
struct bgp_best_change {
	struct prefix prefix;
	bool withdrawn;       /* no route left */
	bool local;           /* our own origination (nothing to install) */
	unsigned n_next_hops; /* ECMP next hops, best first */
	const struct addr *next_hops;
	const struct addr *peer; /* the best route's peer (NULL for local) */
};
typedef void (*bgp_best_cb)(void *arg, const struct bgp_best_change *changes, size_t n);

enum bgp_peer_state {
	BGP_PEER_IDLE = 0,
	BGP_PEER_CONNECT,
	BGP_PEER_ACTIVE,
	BGP_PEER_OPENSENT,
	BGP_PEER_OPENCONFIRM,
	BGP_PEER_ESTABLISHED,
};

struct bgp_peer_info {
	struct addr addr;
	uint32_t remote_as;
	uint32_t remote_id; /* the peer's BGP Identifier (0 before OPEN) */
	enum bgp_peer_state state;
	const char *state_name; /* "Established", ... */
	time_t since;           /* wall clock of the last state change */
	uint16_t hold_time;     /* negotiated */
	uint16_t keepalive;
	bool ebgp;
	bool graceful_restart; /* peer advertised RFC 4724 */
	bool stale;            /* routes kept stale for a restarting peer */
	uint32_t families;     /* negotiated BGP_FAMILY_* */
	uint64_t msgs_in, msgs_out, updates_in, updates_out;
	uint64_t prefixes_received;   /* announcements seen, cumulative */
	uint32_t prefixes_accepted;   /* in the Adj-RIB-In now */
	uint64_t prefixes_advertised; /* in the Adj-RIB-Out now */
	uint32_t established_count;   /* sessions so far (flaps + 1) */
	char last_error[160];         /* "sent NOTIFICATION 4/0 (Hold Timer Expired)", or "" */
};

/* ---- speaker ----------------------------------------------------------- */

int bgp_speaker_new(struct event_base *base, const struct bgp_speaker_config *cfg,
                    struct bgp_speaker **out);
/* Sends Cease to every peer (best effort) and frees everything. */
void bgp_speaker_free(struct bgp_speaker *sp);

/* ---- peers ------------------------------------------------------------- */

/* Add and start a peer. -EEXIST if the address is taken, -EINVAL for bad settings. */
int bgp_peer_add(struct bgp_speaker *sp, const struct bgp_peer_config *cfg, struct bgp_peer **out);
/* Cease / Peer De-configured, withdraw its routes, free it. */
void bgp_peer_remove(struct bgp_speaker *sp, struct bgp_peer *peer);
struct bgp_peer *bgp_peer_find(struct bgp_speaker *sp, const struct addr *addr);
/* Iteration in the order peers were added: bgp_peer_next(sp, NULL) is the first. */
struct bgp_peer *bgp_peer_next(struct bgp_speaker *sp, const struct bgp_peer *prev);
void bgp_peer_get_info(const struct bgp_peer *peer, struct bgp_peer_info *info);
enum bgp_peer_state bgp_peer_state(const struct bgp_peer *peer);
/* RFC 2918: ask the peer to send its routes of family (BGP_FAMILY_*, 0: all) again. */
int bgp_peer_request_refresh(struct bgp_peer *peer, uint32_t families);
/* Administrative reset: Cease / Administrative Reset, then reconnect. */
void bgp_peer_reset(struct bgp_peer *peer);

/* ---- routes ------------------------------------------------------------ */

/* Originate (or change the attributes of) a prefix; attrs may be NULL. */
int bgp_originate(struct bgp_speaker *sp, const struct prefix *p,
                  const struct bgp_route_attrs *attrs);
int bgp_withdraw(struct bgp_speaker *sp, const struct prefix *p);
/* Best-path changes, batched per received UPDATE; called from the event loop. */
int bgp_subscribe_best(struct bgp_speaker *sp, bgp_best_cb cb, void *arg);

/* ---- JSON for the REST API ---------------------------------------------- */

cJSON *bgp_peer_to_json(const struct bgp_peer *peer);
/* {"local_as":..,"router_id":..,"peers":[...]} */
cJSON *bgp_speaker_to_json(struct bgp_speaker *sp);
/* Loc-RIB: {"ipv4":[{"prefix":..,"next_hops":[..],"as_path":[..],...}],"ipv6":[..]} */
cJSON *bgp_rib_to_json(struct bgp_speaker *sp);

const char *bgp_peer_state_name(enum bgp_peer_state s);

#endif
