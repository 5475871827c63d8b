/*
 * DOC: the `bgp:` section of tabbyd's configuration (doc/tabbyd.yaml.5).
 *
 *   bgp:
 *     enabled: true            # default false: no speaker at all
 *     asNumber: 64512          # 1..4294967295 (RFC 6793 four-octet numbers are fine)
 *     routerID: 198.18.0.1     # default: the first IPv4 address of `addresses`
 *     listenAddress: 198.18.0.1   # default: every address
 *     listenPort: 179
 *     holdTime: 90             # peers' default; 0: no keepalives
 *     connectRetry: 120        # peers' default ConnectRetry time
 *     peers:
 *       - {address: 198.18.0.2, asNumber: 65001, families: [ipv4], description: tor-1}
 *     originate:
 *       - 10.244.0.0/26
 *       - {cidr: 10.244.1.0/26, med: 10, communities: ["65000:1"]}
 *     nodeToNodeMesh: true     # iBGP with every Node (BGPConfiguration overrides it)
 *     secretsDir: /etc/tabby/secrets  # BGPPeer passwords: <secretsDir>/<name>/<key>
 *     installRoutes: true      # learned routes into the kernel (routing_fib.c)
 *     fibReconcileSeconds: 30  # kernel routes checked against the RIB this often
 *
 * The node's affine blocks and borrowed addresses are originated on their own
 * (routing_export.c); `originate` adds prefixes to them. asNumber, listenPort
 * and nodeToNodeMesh are defaults: the cluster resources in the datastore
 * (BGPConfiguration, Node) override them (routing_peers.c, doc/routing.md). Everything is
 * checked even while enabled is false, and every error names file, line,
 * column and field.
 * Values are stored after defaults (a peer without holdTime gets bgp.holdTime),
 * so a reload compares peers field by field (tabbyd_bgp_peer_equal).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/yaml.h>

#include "tabbyd.h"

/* An optional integer: 1 when set, 0 when absent, negative on error. */
static int bgp_config_int(const struct yaml_node *map, const char *key, int64_t min, int64_t max,
                          int64_t *out, struct yaml_error *err)
{
	int r = yaml_get_int(map, key, min, max, out, err);

	return r == 0 ? 1 : r == -ENOENT ? 0 : r;
}

static int bgp_config_bool(const struct yaml_node *map, const char *key, bool *out,
                           struct yaml_error *err)
{
	int r = yaml_get_bool(map, key, out, err);

	return r == -ENOENT ? 0 : r;
}

/* An optional IP address (no length). */
static int bgp_config_addr(const struct yaml_node *map, const char *key, struct addr *out,
                           struct yaml_error *err)
{
	const char *s;
	int r = yaml_get_string(map, key, &s, err);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (addr_parse(s, out) < 0)
		return yaml_node_error(yaml_map_get(map, key), err, "\"%s\" is not an IP address",
		                       s);
	return 1;
}

/* RFC 4271 4.2: a Hold Time is 0 or at least 3 seconds. */
static int bgp_config_hold(const struct yaml_node *map, int *out, struct yaml_error *err)
{
	int64_t v;
	int r = bgp_config_int(map, "holdTime", 0, 65535, &v, err);

	if (r <= 0)
		return r;
	if (v == 1 || v == 2)
		return yaml_node_error(yaml_map_get(map, "holdTime"), err,
		                       "a hold time is 0 or at least 3 seconds (RFC 4271 4.2)");
	*out = v ? (int)v : BGP_HOLD_TIME_NONE;
	return 1;
}

/* "A:B" -> A << 16 | B (RFC 1997). */
static int bgp_config_community(const char *s, uint32_t *out)
{
	unsigned a, b;
	char end;

	if (sscanf(s, "%u:%u%c", &a, &b, &end) != 2 || a > 65535 || b > 65535)
		return -EINVAL;
	*out = a << 16 | b;
	return 0;
}

static int bgp_config_families(const struct yaml_node *seq, uint32_t *out, struct yaml_error *err)
{
	size_t i;
	int r;

	if (seq->kind != YAML_KIND_SEQUENCE)
		return yaml_node_error(seq, err, "expected a sequence of ipv4 and ipv6, got %s",
		                       yaml_kind_name(seq->kind));
	*out = 0;
	for (i = 0; i < seq->count; i++) {
		const char *s;

		if ((r = yaml_node_string(seq->items[i], &s, err)) < 0)
			return r;
		if (strcmp(s, "ipv4") == 0)
			*out |= BGP_FAMILY_IPV4;
		else if (strcmp(s, "ipv6") == 0)
			*out |= BGP_FAMILY_IPV6;
		else
			return yaml_node_error(seq->items[i], err, "\"%s\" is not ipv4 or ipv6", s);
	}
	if (!*out)
		return yaml_node_error(seq, err, "a peer needs at least one family");
	return 0;
}

static int bgp_config_peer_strings(const struct yaml_node *p, struct tabbyd_bgp_peer *tp,
                                   struct yaml_error *err)
{
	const char *s;
	int r;

	if ((r = yaml_get_string(p, "description", &s, err)) == 0) {
		if (!(tp->description = strdup(s)))
			return -ENOMEM;
	} else if (r != -ENOENT) {
		return r;
	}
	if ((r = yaml_get_string(p, "password", &s, err)) == 0) {
		if (!s[0] || strlen(s) > 80) /* RFC 2385: the key is at most 80 bytes */
			return yaml_node_error(yaml_map_get(p, "password"), err,
			                       "a TCP-MD5 key has 1 to 80 characters");
		if (!(tp->password = strdup(s)))
			return -ENOMEM;
	} else if (r != -ENOENT) {
		return r;
	}
	tp->pc.description = tp->description;
	tp->pc.password = tp->password;
	return 0;
}

static int bgp_config_peer(const struct yaml_node *p, const struct tabbyd_bgp_config *bgp,
                           struct tabbyd_bgp_peer *tp, struct yaml_error *err)
{
	static const char *const keys[] = {"address",     "asNumber",
	                                   "port",        "sourceAddress",
	                                   "password",    "ttlSecurity",
	                                   "passive",     "holdTime",
	                                   "keepalive",   "connectRetry",
	                                   "maxPrefixes", "families",
	                                   "description", "routeReflectorClient",
	                                   NULL};
	struct bgp_peer_config *pc = &tp->pc;
	const struct yaml_node *fam;
	int64_t v;
	int r;

	if ((r = yaml_expect_mapping(p, err)) < 0 || (r = yaml_check_keys(p, keys, err)) < 0)
		return r;
	if ((r = bgp_config_addr(p, "address", &pc->addr, err)) < 0)
		return r;
	if (r == 0)
		return yaml_key_error(p, "address", err, "a peer needs an address");
	if ((r = bgp_config_int(p, "asNumber", 1, 4294967295LL, &v, err)) < 0)
		return r;
	if (r == 0)
		return yaml_key_error(p, "asNumber", err, "a peer needs an asNumber");
	if (v == 23456) /* RFC 6793 9: AS_TRANS is nobody's number */
		return yaml_node_error(yaml_map_get(p, "asNumber"), err,
		                       "23456 is AS_TRANS, not a peer's AS");
	pc->remote_as = (uint32_t)v;
	if ((r = bgp_config_int(p, "port", 1, 65535, &v, err)) < 0)
		return r;
	pc->port = r ? (uint16_t)v : BGP_DEFAULT_PORT;
	if ((r = bgp_config_addr(p, "sourceAddress", &pc->source, err)) < 0)
		return r;
	if (r && pc->source.family != pc->addr.family)
		return yaml_node_error(yaml_map_get(p, "sourceAddress"), err,
		                       "the source address must be of the peer's family");
	if ((r = bgp_config_peer_strings(p, tp, err)) < 0)
		return r;
	if ((r = bgp_config_bool(p, "ttlSecurity", &pc->ttl_security, err)) < 0 ||
	    (r = bgp_config_bool(p, "passive", &pc->passive, err)) < 0 ||
	    (r = bgp_config_bool(p, "routeReflectorClient", &pc->rr_client, err)) < 0)
		return r;
	if (pc->rr_client && pc->remote_as != bgp->as_number)
		return yaml_node_error(yaml_map_get(p, "routeReflectorClient"), err,
		                       "only an iBGP peer (asNumber %u) can be a route reflector "
		                       "client (RFC 4456)",
		                       bgp->as_number);
	pc->hold_time = bgp->hold_time;
	if ((r = bgp_config_hold(p, &pc->hold_time, err)) < 0)
		return r;
	if ((r = bgp_config_int(p, "keepalive", 1, 21845, &v, err)) < 0)
		return r;
	if (r && pc->hold_time == BGP_HOLD_TIME_NONE)
		return yaml_node_error(yaml_map_get(p, "keepalive"), err,
		                       "no keepalives are sent with a hold time of 0");
	if (r && v * 3 > (pc->hold_time ? pc->hold_time : BGP_DEFAULT_HOLD_TIME))
		return yaml_node_error(yaml_map_get(p, "keepalive"), err,
		                       "at most a third of the hold time");
	pc->keepalive = r ? (uint16_t)v : 0;
	pc->connect_retry = bgp->connect_retry;
	if ((r = bgp_config_int(p, "connectRetry", 1, 65535, &v, err)) < 0)
		return r;
	if (r)
		pc->connect_retry = (uint16_t)v;
	if ((r = bgp_config_int(p, "maxPrefixes", 0, 4294967295LL, &v, err)) < 0)
		return r;
	pc->max_prefixes = r ? (uint32_t)v : 0;
	/* Default: the family of the session's address, as Calico does. */
	pc->families = pc->addr.family == AF_INET ? BGP_FAMILY_IPV4 : BGP_FAMILY_IPV6;
	fam = yaml_map_get(p, "families");
	if (fam && !yaml_node_is_null(fam) &&
	    (r = bgp_config_families(fam, &pc->families, err)) < 0)
		return r;
	return 0;
}

static int bgp_config_peers(const struct yaml_node *seq, struct tabbyd_bgp_config *bgp,
                            struct yaml_error *err)
{
	size_t i, k;
	int r;

	if (seq->kind != YAML_KIND_SEQUENCE)
		return yaml_node_error(seq, err, "expected a sequence of peers, got %s",
		                       yaml_kind_name(seq->kind));
	if (seq->count > TABBYD_BGP_MAX_PEERS)
		return yaml_node_error(seq, err, "at most %d peers", TABBYD_BGP_MAX_PEERS);
	if (!seq->count)
		return 0;
	bgp->peers = calloc(seq->count, sizeof(*bgp->peers));
	if (!bgp->peers)
		return -ENOMEM;
	for (i = 0; i < seq->count; i++) {
		bgp->n_peers++;
		if ((r = bgp_config_peer(seq->items[i], bgp, &bgp->peers[i], err)) < 0)
			return r;
		for (k = 0; k < i; k++)
			if (addr_eq(&bgp->peers[k].pc.addr, &bgp->peers[i].pc.addr))
				return yaml_node_error(yaml_map_get(seq->items[i], "address"), err,
				                       "the same address as peers[%zu]", k);
	}
	return 0;
}

static int bgp_config_origin(const struct yaml_node *n, struct tabbyd_bgp_origin *o,
                             struct yaml_error *err)
{
	static const char *const keys[] = {"cidr", "med", "communities", NULL};
	const struct yaml_node *cidr = n, *comms;
	const char *s;
	int64_t v;
	size_t i;
	int r;

	if (n->kind == YAML_KIND_MAPPING) {
		if ((r = yaml_check_keys(n, keys, err)) < 0)
			return r;
		cidr = yaml_map_get(n, "cidr");
		if (!cidr || yaml_node_is_null(cidr))
			return yaml_key_error(n, "cidr", err, "an origination needs a cidr");
	}
	if ((r = yaml_node_string(cidr, &s, err)) < 0)
		return r;
	if (prefix_parse(s, &o->prefix, true) < 0)
		return yaml_node_error(
		    cidr, err, "\"%s\" is not a network prefix (host bits must be zero)", s);
	if (n->kind != YAML_KIND_MAPPING)
		return 0;
	if ((r = bgp_config_int(n, "med", 0, 4294967295LL, &v, err)) < 0)
		return r;
	o->has_med = r == 1;
	o->med = r ? (uint32_t)v : 0;
	comms = yaml_map_get(n, "communities");
	if (!comms || yaml_node_is_null(comms))
		return 0;
	if (comms->kind != YAML_KIND_SEQUENCE || comms->count > TABBYD_BGP_MAX_COMMS)
		return yaml_node_error(comms, err, "expected a sequence of at most %d \"A:B\"",
		                       TABBYD_BGP_MAX_COMMS);
	for (i = 0; i < comms->count; i++) {
		if ((r = yaml_node_string(comms->items[i], &s, err)) < 0)
			return r;
		if (bgp_config_community(s, &o->communities[i]) < 0)
			return yaml_node_error(comms->items[i], err,
			                       "\"%s\" is not a community \"A:B\" (0-65535 each)",
			                       s);
		o->n_communities++;
	}
	return 0;
}

static int bgp_config_origins(const struct yaml_node *seq, struct tabbyd_bgp_config *bgp,
                              struct yaml_error *err)
{
	size_t i, k;
	int r;

	if (seq->kind != YAML_KIND_SEQUENCE)
		return yaml_node_error(seq, err, "expected a sequence of prefixes, got %s",
		                       yaml_kind_name(seq->kind));
	if (seq->count > TABBYD_BGP_MAX_ORIGINS)
		return yaml_node_error(seq, err, "at most %d prefixes", TABBYD_BGP_MAX_ORIGINS);
	if (!seq->count)
		return 0;
	bgp->origins = calloc(seq->count, sizeof(*bgp->origins));
	if (!bgp->origins)
		return -ENOMEM;
	for (i = 0; i < seq->count; i++) {
		bgp->n_origins++;
		if ((r = bgp_config_origin(seq->items[i], &bgp->origins[i], err)) < 0)
			return r;
		for (k = 0; k < i; k++)
			if (prefix_eq(&bgp->origins[k].prefix, &bgp->origins[i].prefix))
				return yaml_node_error(seq->items[i], err,
				                       "the same prefix as originate[%zu]", k);
	}
	return 0;
}

/* routerID, or the first IPv4 underlay address. */
static int bgp_config_router_id(const struct yaml_node *b, struct tabbyd_config *cfg,
                                struct yaml_error *err)
{
	struct in_addr in;
	const char *s;
	size_t i;
	int r = yaml_get_string(b, "routerID", &s, err);

	if (r == 0) {
		if (inet_pton(AF_INET, s, &in) != 1 || in.s_addr == 0)
			return yaml_node_error(yaml_map_get(b, "routerID"), err,
			                       "\"%s\" is not a non-zero dotted quad", s);
		cfg->bgp.router_id = ntohl(in.s_addr);
		return 0;
	}
	if (r != -ENOENT)
		return r;
	for (i = 0; i < cfg->n_underlay; i++) {
		if (cfg->underlay[i].addr.family == AF_INET) {
			memcpy(&in, cfg->underlay[i].addr.bytes, 4);
			cfg->bgp.router_id = ntohl(in.s_addr);
			return 0;
		}
	}
	if (cfg->bgp.enabled)
		return yaml_key_error(b, "routerID", err,
		                      "no IPv4 address in `addresses` to take it from: set it");
	return 0;
}

static int bgp_config_speaker(const struct yaml_node *b, struct tabbyd_config *cfg,
                              struct yaml_error *err)
{
	struct tabbyd_bgp_config *bgp = &cfg->bgp;
	const char *s;
	int64_t v;
	int r;

	if ((r = bgp_config_bool(b, "enabled", &bgp->enabled, err)) < 0)
		return r;
	if ((r = bgp_config_int(b, "asNumber", 1, 4294967295LL, &v, err)) < 0)
		return r;
	if (r && v == 23456)
		return yaml_node_error(yaml_map_get(b, "asNumber"), err,
		                       "23456 is AS_TRANS (RFC 6793), not an AS number to use");
	bgp->as_number = r ? (uint32_t)v : TABBYD_BGP_DEFAULT_AS;
	if ((r = bgp_config_router_id(b, cfg, err)) < 0)
		return r;
	if ((r = bgp_config_addr(b, "listenAddress", &bgp->listen_addr, err)) < 0)
		return r;
	if ((r = bgp_config_int(b, "listenPort", 1, 65535, &v, err)) < 0)
		return r;
	bgp->listen_port = r ? (uint16_t)v : BGP_DEFAULT_PORT;
	if ((r = bgp_config_hold(b, &bgp->hold_time, err)) < 0)
		return r;
	if ((r = bgp_config_int(b, "connectRetry", 1, 65535, &v, err)) < 0)
		return r;
	bgp->connect_retry = r ? (uint16_t)v : 0;
	if ((r = yaml_get_string(b, "secretsDir", &s, err)) == 0) {
		if (s[0] != '/')
			return yaml_node_error(yaml_map_get(b, "secretsDir"), err,
			                       "an absolute path, please");
		if (!(bgp->secrets_dir = strdup(s)))
			return -ENOMEM;
	} else if (r != -ENOENT) {
		return r;
	}
	if ((r = bgp_config_bool(b, "nodeToNodeMesh", &bgp->node_to_node_mesh, err)) < 0 ||
	    (r = bgp_config_bool(b, "installRoutes", &bgp->install_routes, err)) < 0)
		return r;
	if ((r = bgp_config_int(b, "fibReconcileSeconds", 1, 86400, &v, err)) < 0)
		return r;
	if (r)
		bgp->fib_reconcile_seconds = (unsigned)v;
	return 0;
}

int tabbyd_bgp_config_parse(const struct yaml_node *root, struct tabbyd_config *cfg,
                            struct yaml_error *err)
{
	static const char *const keys[] = {"enabled",       "asNumber",
	                                   "routerID",      "listenAddress",
	                                   "listenPort",    "holdTime",
	                                   "connectRetry",  "peers",
	                                   "originate",     "nodeToNodeMesh",
	                                   "installRoutes", "fibReconcileSeconds",
	                                   "secretsDir",    NULL};
	const struct yaml_node *b = yaml_map_get(root, "bgp"), *n;
	int r;

	cfg->bgp.as_number = TABBYD_BGP_DEFAULT_AS;
	cfg->bgp.listen_port = BGP_DEFAULT_PORT;
	cfg->bgp.install_routes = true;
	cfg->bgp.node_to_node_mesh = true;
	cfg->bgp.fib_reconcile_seconds = TABBYD_BGP_DEFAULT_FIB_RECONCILE;
	if (!b || yaml_node_is_null(b))
		return 0;
	if ((r = yaml_expect_mapping(b, err)) < 0 || (r = yaml_check_keys(b, keys, err)) < 0 ||
	    (r = bgp_config_speaker(b, cfg, err)) < 0)
		return r;
	n = yaml_map_get(b, "peers");
	if (n && !yaml_node_is_null(n) && (r = bgp_config_peers(n, &cfg->bgp, err)) < 0)
		return r;
	n = yaml_map_get(b, "originate");
	if (n && !yaml_node_is_null(n) && (r = bgp_config_origins(n, &cfg->bgp, err)) < 0)
		return r;
	return 0;
}

void tabbyd_bgp_config_free(struct tabbyd_bgp_config *bgp)
{
	size_t i;

	for (i = 0; i < bgp->n_peers; i++) {
		free(bgp->peers[i].description);
		free(bgp->peers[i].password);
	}
	free(bgp->peers);
	free(bgp->origins);
	free(bgp->secrets_dir);
	memset(bgp, 0, sizeof(*bgp));
}

static bool bgp_config_str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool tabbyd_bgp_peer_equal(const struct tabbyd_bgp_peer *a, const struct tabbyd_bgp_peer *b)
{
	const struct bgp_peer_config *x = &a->pc, *y = &b->pc;

	return addr_eq(&x->addr, &y->addr) && x->remote_as == y->remote_as &&
	       x->passive == y->passive && x->port == y->port &&
	       x->source.family == y->source.family &&
	       (!x->source.family || addr_eq(&x->source, &y->source)) &&
	       x->ttl_security == y->ttl_security && x->hold_time == y->hold_time &&
	       x->keepalive == y->keepalive && x->connect_retry == y->connect_retry &&
	       x->idle_hold == y->idle_hold && x->rr_client == y->rr_client &&
	       x->max_prefixes == y->max_prefixes && x->families == y->families &&
	       x->next_hop_self == y->next_hop_self &&
	       bgp_config_str_eq(a->description, b->description) &&
	       bgp_config_str_eq(a->password, b->password);
}

bool tabbyd_bgp_origin_equal(const struct tabbyd_bgp_origin *a, const struct tabbyd_bgp_origin *b)
{
	return prefix_eq(&a->prefix, &b->prefix) && a->has_med == b->has_med && a->med == b->med &&
	       a->n_communities == b->n_communities &&
	       memcmp(a->communities, b->communities, a->n_communities * sizeof(uint32_t)) == 0;
}
