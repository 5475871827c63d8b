/*
 * DOC: the BGP speaker inside tabbyd (bgp/ library, include/tabby/bgp.h).
 *
 * When `bgp.enabled` is true the speaker runs in tabbyd's libevent loop,
 * started after the API listens and before READY=1: it listens on
 * bgp.listenAddress:listenPort, adds the configured peers and originates the
 * configured prefixes. On SIGHUP the new `bgp:` section is compared with the
 * running one: peers that are gone are removed (Cease / Peer De-configured),
 * new ones added, changed ones removed and added again; prefixes that are
 * gone are withdrawn, new or changed ones originated. Unchanged sessions are
 * not touched. A change of enabled, asNumber, routerID or the listening
 * address restarts the whole speaker (every session resets; a warning says
 * so). On SIGTERM every peer gets a Cease before tabbyd exits.
 *
 * Once the speaker runs, cluster routing starts (doc/routing.md): the node's
 * affine blocks and borrowed addresses are originated (routing_export.c),
 * learned best paths go into the kernel unless bgp.installRoutes is false
 * (routing_fib.c), and sessions follow the mesh, the BGPPeers and the Nodes
 * of the datastore (routing_sessions.c). Their store watches are delivered
 * by main.c's store event (shared with policy_agent.c). A change of
 * installRoutes or fibReconcileSeconds restarts the speaker; one of
 * nodeToNodeMesh only adds or removes the mesh sessions. The AS number,
 * listen port and route reflector cluster ID the speaker runs with are those
 * in effect after the cluster resources (BGPConfiguration, Node) are applied
 * over tabbyd.yaml (routing_peers.c); when they change in the store, the
 * speaker restarts (tabbyd_bgp_restart).
 * Best-path changes are logged at debug level. A timer keeps systemd's
 * STATUS= line up to date with the number of Established peers.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include <tabby/log.h>
#include <tabby/store.h>

#include "tabbyd.h"

#define TABBYD_BGP_STATUS_PERIOD 2 /* seconds between STATUS= checks */
#define TABBYD_BGP_MULTIPATH     8 /* ECMP next hops per prefix for the FIB */

static void tabbyd_bgp_best_cb(void *arg, const struct bgp_best_change *ch, size_t n)
{
	struct tabbyd *d = arg;
	char pb[PREFIX_STRLEN], nb[ADDR_STRLEN];
	size_t i;

	d->bgp_best_changes += n;
	if (log_get_level() < LOG_DEBUG)
		return;
	for (i = 0; i < n; i++) {
		if (ch[i].withdrawn)
			log_debug("bgp: best path for %s withdrawn",
			          prefix_format(&ch[i].prefix, pb, sizeof(pb)));
		else
			log_debug("bgp: best path for %s via %s%s",
			          prefix_format(&ch[i].prefix, pb, sizeof(pb)),
			          ch[i].n_next_hops
			              ? addr_format(&ch[i].next_hops[0], nb, sizeof(nb))
			              : "-",
			          ch[i].local ? " (local)" : "");
	}
}

static unsigned tabbyd_bgp_established(const struct tabbyd *d, unsigned *configured)
{
	struct bgp_peer *p = NULL;
	unsigned up = 0;

	*configured = 0;
	if (!d->bgp)
		return 0;
	while ((p = bgp_peer_next(d->bgp, p))) {
		(*configured)++;
		if (bgp_peer_state(p) == BGP_PEER_ESTABLISHED)
			up++;
	}
	return up;
}

void tabbyd_bgp_summary(const struct tabbyd *d, char *buf, size_t len)
{
	unsigned conf, up = tabbyd_bgp_established(d, &conf);

	if (!d->bgp)
		snprintf(buf, len, "BGP off");
	else
		snprintf(buf, len, "BGP AS%u: %u/%u peer%s established", d->bgp_eff.as_number, up,
		         conf, conf == 1 ? "" : "s");
}

static void tabbyd_bgp_status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tabbyd *d = arg;
	unsigned conf, up = tabbyd_bgp_established(d, &conf);
	char sum[96];

	(void)fd;
	(void)what;
	if (up == d->bgp_established)
		return;
	d->bgp_established = up;
	tabbyd_bgp_summary(d, sum, sizeof(sum));
	sd_status("node %s: %s; API on %s", d->cfg.node_name, sum, d->cfg.api_socket);
}

static int tabbyd_bgp_add_peer(struct tabbyd *d, const struct tabbyd_bgp_peer *tp)
{
	char ab[ADDR_STRLEN];
	int ret = bgp_peer_add(d->bgp, &tp->pc, NULL);

	if (ret < 0)
		log_err("bgp: cannot add peer %s AS%u: %s",
		        addr_format(&tp->pc.addr, ab, sizeof(ab)), tp->pc.remote_as,
		        strerror(-ret));
	return ret;
}

static int tabbyd_bgp_originate(struct tabbyd *d, const struct tabbyd_bgp_origin *o)
{
	struct bgp_route_attrs ra = {
	    .has_med = o->has_med,
	    .med = o->med,
	    .communities = o->communities,
	    .n_communities = o->n_communities,
	};
	char pb[PREFIX_STRLEN];
	int ret = bgp_originate(d->bgp, &o->prefix, &ra);

	if (ret < 0)
		log_err("bgp: cannot originate %s: %s", prefix_format(&o->prefix, pb, sizeof(pb)),
		        strerror(-ret));
	else
		log_info("bgp: originating %s", prefix_format(&o->prefix, pb, sizeof(pb)));
	return ret;
}

/* Cluster routing: export, FIB, sessions (their store events come from main.c's store_event). */
static int tabbyd_bgp_routing_start(struct tabbyd *d)
{
	int ret;

	if ((ret = routing_export_start(d)) < 0) {
		log_err("bgp: exporting the node's blocks: %s", strerror(-ret));
		return ret;
	}
	if ((ret = routing_fib_start(d)) < 0) {
		log_err("bgp: FIB sync: %s", strerror(-ret));
		return ret;
	}
	if ((ret = routing_sessions_start(d)) < 0) {
		log_err("bgp: sessions from the cluster resources: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

int tabbyd_bgp_start(struct tabbyd *d)
{
	const struct tabbyd_bgp_config *bc = &d->cfg.bgp;
	struct bgp_speaker_config sc = {0};
	struct timeval tv = {.tv_sec = TABBYD_BGP_STATUS_PERIOD};
	char lb[ADDR_STRLEN];
	size_t i;
	int ret;

	if (!bc->enabled)
		return 0;
	routing_sessions_effective(d, &d->bgp_eff);
	sc.local_as = d->bgp_eff.as_number;
	sc.router_id = bc->router_id;
	sc.listen_addr = bc->listen_addr;
	sc.listen_port = d->bgp_eff.listen_port;
	sc.cluster_id = d->bgp_eff.cluster_id;
	sc.multipath = bc->install_routes ? TABBYD_BGP_MULTIPATH : 0;
	ret = bgp_speaker_new(d->base, &sc, &d->bgp);
	if (ret < 0) {
		log_err("bgp: cannot start the speaker on %s port %u: %s",
		        bc->listen_addr.family ? addr_format(&bc->listen_addr, lb, sizeof(lb))
		                               : "every address",
		        d->bgp_eff.listen_port, strerror(-ret));
		d->bgp = NULL;
		return ret;
	}
	ret = bgp_subscribe_best(d->bgp, tabbyd_bgp_best_cb, d);
	if (ret < 0)
		goto fail;
	/* A peer or prefix the library refuses is logged; the others still run. */
	for (i = 0; i < bc->n_peers; i++)
		tabbyd_bgp_add_peer(d, &bc->peers[i]);
	for (i = 0; i < bc->n_origins; i++)
		tabbyd_bgp_originate(d, &bc->origins[i]);
	ret = tabbyd_bgp_routing_start(d);
	if (ret < 0)
		goto fail;
	d->bgp_established = 0;
	if (!d->bgp_status_timer) {
		d->bgp_status_timer = event_new(d->base, -1, EV_PERSIST, tabbyd_bgp_status_cb, d);
		if (!d->bgp_status_timer || event_add(d->bgp_status_timer, &tv) < 0) {
			ret = -ENOMEM;
			goto fail;
		}
	}
	log_notice("bgp: speaker AS%u, router ID %u.%u.%u.%u, port %u%s: %zu configured peer%s, "
	           "%zu prefix%s",
	           d->bgp_eff.as_number, bc->router_id >> 24, (bc->router_id >> 16) & 0xff,
	           (bc->router_id >> 8) & 0xff, bc->router_id & 0xff, d->bgp_eff.listen_port,
	           d->bgp_eff.cluster_id ? ", route reflector" : "", bc->n_peers,
	           bc->n_peers == 1 ? "" : "s", bc->n_origins, bc->n_origins == 1 ? "" : "es");
	return 0;
fail:
	tabbyd_bgp_stop(d);
	return ret;
}

/* flush: remove learned routes from the kernel too (BGP or installRoutes switched off). */
static void tabbyd_bgp_stop_flush(struct tabbyd *d, bool flush)
{
	if (d->bgp_status_timer) {
		event_free(d->bgp_status_timer);
		d->bgp_status_timer = NULL;
	}
	routing_sessions_stop(d);
	routing_export_stop(d);
	routing_fib_detach(d); /* the speaker's final withdrawals stay out of the kernel */
	if (d->bgp) {
		log_info("bgp: stopping the speaker (Cease to every peer)");
		bgp_speaker_free(d->bgp);
		d->bgp = NULL;
	}
	routing_fib_stop(d, flush); /* after the speaker: it held the subscription */
}

void tabbyd_bgp_stop(struct tabbyd *d)
{
	tabbyd_bgp_stop_flush(d, false);
}

void tabbyd_bgp_restart(struct tabbyd *d, const char *reason)
{
	if (!d->bgp)
		return;
	log_warn("bgp: %s: restarting the speaker (every session resets)", reason);
	tabbyd_bgp_stop_flush(d, false);
	if (tabbyd_bgp_start(d) < 0)
		log_err("bgp: the speaker did not start again; BGP is off until the next reload");
}

static const struct tabbyd_bgp_peer *tabbyd_bgp_find_peer(const struct tabbyd_bgp_config *c,
                                                          const struct addr *a)
{
	size_t i;

	for (i = 0; i < c->n_peers; i++)
		if (addr_eq(&c->peers[i].pc.addr, a))
			return &c->peers[i];
	return NULL;
}

static const struct tabbyd_bgp_origin *tabbyd_bgp_find_origin(const struct tabbyd_bgp_config *c,
                                                              const struct prefix *p)
{
	size_t i;

	for (i = 0; i < c->n_origins; i++)
		if (prefix_eq(&c->origins[i].prefix, p))
			return &c->origins[i];
	return NULL;
}

/* Peers: remove the gone and the changed, then add the new and the changed. */
static void tabbyd_bgp_diff_peers(struct tabbyd *d, const struct tabbyd_bgp_config *old,
                                  const struct tabbyd_bgp_config *n)
{
	unsigned removed = 0, added = 0, changed = 0;
	size_t i;

	for (i = 0; i < old->n_peers; i++) {
		const struct tabbyd_bgp_peer *np = tabbyd_bgp_find_peer(n, &old->peers[i].pc.addr);
		struct bgp_peer *p;

		if (np && tabbyd_bgp_peer_equal(np, &old->peers[i]))
			continue;
		p = bgp_peer_find(d->bgp, &old->peers[i].pc.addr);
		if (p)
			bgp_peer_remove(d->bgp, p);
		if (np)
			changed++;
		else
			removed++;
	}
	for (i = 0; i < n->n_peers; i++) {
		const struct tabbyd_bgp_peer *op = tabbyd_bgp_find_peer(old, &n->peers[i].pc.addr);

		/* Unchanged and running: untouched (one the library refused is tried again). */
		if (op && tabbyd_bgp_peer_equal(op, &n->peers[i]) &&
		    bgp_peer_find(d->bgp, &n->peers[i].pc.addr))
			continue;
		if (tabbyd_bgp_add_peer(d, &n->peers[i]) == 0 && !op)
			added++;
	}
	log_info("bgp: reload: %u peer%s added, %u removed, %u changed (re-added)", added,
	         added == 1 ? "" : "s", removed, changed);
}

static void tabbyd_bgp_diff_origins(struct tabbyd *d, const struct tabbyd_bgp_config *old,
                                    const struct tabbyd_bgp_config *n)
{
	unsigned withdrawn = 0, originated = 0;
	char pb[PREFIX_STRLEN];
	size_t i;

	for (i = 0; i < old->n_origins; i++) {
		if (tabbyd_bgp_find_origin(n, &old->origins[i].prefix))
			continue;
		if (bgp_withdraw(d->bgp, &old->origins[i].prefix) < 0)
			log_warn("bgp: withdrawing %s failed",
			         prefix_format(&old->origins[i].prefix, pb, sizeof(pb)));
		else
			log_info("bgp: withdrew %s",
			         prefix_format(&old->origins[i].prefix, pb, sizeof(pb)));
		withdrawn++;
	}
	for (i = 0; i < n->n_origins; i++) {
		const struct tabbyd_bgp_origin *o =
		    tabbyd_bgp_find_origin(old, &n->origins[i].prefix);

		if (o && tabbyd_bgp_origin_equal(o, &n->origins[i]))
			continue;
		if (tabbyd_bgp_originate(d, &n->origins[i]) == 0)
			originated++;
	}
	log_info("bgp: reload: %u prefix%s originated or changed, %u withdrawn", originated,
	         originated == 1 ? "" : "es", withdrawn);
}

static bool tabbyd_bgp_speaker_changed(const struct tabbyd_bgp_config *a,
                                       const struct tabbyd_bgp_config *b)
{
	return a->enabled != b->enabled || a->as_number != b->as_number ||
	       a->router_id != b->router_id || a->listen_port != b->listen_port ||
	       a->listen_addr.family != b->listen_addr.family ||
	       (a->listen_addr.family && !addr_eq(&a->listen_addr, &b->listen_addr)) ||
	       a->install_routes != b->install_routes ||
	       a->fib_reconcile_seconds != b->fib_reconcile_seconds;
}

void tabbyd_bgp_reload(struct tabbyd *d, struct tabbyd_bgp_config *n)
{
	struct tabbyd_bgp_config old = d->cfg.bgp;

	d->cfg.bgp = *n;
	memset(n, 0, sizeof(*n));
	if (tabbyd_bgp_speaker_changed(&old, &d->cfg.bgp) || !d->bgp) {
		if (d->bgp || d->cfg.bgp.enabled)
			log_warn("bgp: reload: enabled, asNumber, routerID, the listening "
			         "address, installRoutes or fibReconcileSeconds changed: "
			         "restarting the speaker (every session resets)");
		tabbyd_bgp_stop_flush(d, !d->cfg.bgp.enabled || !d->cfg.bgp.install_routes);
		if (tabbyd_bgp_start(d) < 0)
			log_err("bgp: reload: the speaker did not start; BGP is off until the next "
			        "reload");
	} else {
		routing_sessions_refresh(d); /* frees the addresses bgp.peers now takes */
		tabbyd_bgp_diff_peers(d, &old, &d->cfg.bgp);
		tabbyd_bgp_diff_origins(d, &old, &d->cfg.bgp);
		routing_export_refresh(d);   /* a configured prefix withdrawn may be exported */
		routing_sessions_refresh(d); /* a configured peer removed may be a Node */
		d->bgp_established = ~0u;    /* refresh STATUS= at the next tick */
	}
	tabbyd_bgp_config_free(&old);
}
