/*
 * DOC: the speaker: the public API of <tabby/bgp.h>.
 *
 * Creates the RIB (rib.h) and the listeners, adds and removes peers, turns
 * the caller's originations into RIB entries and the RIB's best-route
 * changes into struct bgp_best_change batches for subscribers (the FIB),
 * and renders peers and the Loc-RIB as JSON for the REST API.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <tabby/log.h>

#include "peer.h"
#include "update.h"

/* ---- RIB callbacks ------------------------------------------------------- */

static void speaker_rib_changes(void *arg, const struct rib_change *ch, size_t n)
{
	struct bgp_speaker *sp = arg;
	size_t i, s;

	if (!sp->n_subs || !n)
		return;
	if (n > sp->chg_cap) {
		struct bgp_best_change *nb = realloc(sp->chg_buf, n * sizeof(*nb));

		if (!nb) {
			log_err("bgp: out of memory delivering %zu best-path changes", n);
			return;
		}
		sp->chg_buf = nb;
		sp->chg_cap = n;
	}
	for (i = 0; i < n; i++) {
		struct bgp_best_change *b = &sp->chg_buf[i];
		struct rib_peer *rp =
		    ch[i].withdrawn ? NULL : rib_peer_by_id(sp->rib, ch[i].peer_id);

		b->prefix = ch[i].prefix;
		b->withdrawn = ch[i].withdrawn;
		b->local = !ch[i].withdrawn && ch[i].peer_id == RIB_PEER_LOCAL;
		b->n_next_hops = ch[i].n_next_hops;
		b->next_hops = ch[i].next_hops;
		b->peer = rp && !b->local ? rib_peer_addr(rp) : NULL;
	}
	for (s = 0; s < sp->n_subs; s++)
		sp->subs[s].cb(sp->subs[s].arg, sp->chg_buf, n);
}

static void speaker_out_ready(void *arg, struct rib_peer *rp)
{
	struct bgp_peer *peer = rib_peer_user(rp);

	if (peer)
		bgp_peer_schedule_flush(peer);
}

/* ---- speaker ------------------------------------------------------------ */

int bgp_speaker_new(struct event_base *base, const struct bgp_speaker_config *cfg,
                    struct bgp_speaker **out)
{
	struct bgp_speaker *sp = NULL;
	struct rib_config rc;
	int err = -EINVAL;

	if (!cfg->local_as || !cfg->router_id)
		goto fail;
	err = -ENOMEM;
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		goto fail;
	sp->base = base;
	sp->cfg = *cfg;
	if (!sp->cfg.listen_port)
		sp->cfg.listen_port = BGP_DEFAULT_PORT;
	sp->peers_tail = &sp->peers;
	memset(&rc, 0, sizeof(rc));
	rc.local_as = cfg->local_as;
	rc.router_id = cfg->router_id;
	rc.cluster_id = cfg->cluster_id;
	rc.multipath = cfg->multipath ? cfg->multipath : 1;
	sp->rib = rib_new(&rc);
	sp->builder = bgp_attr_builder_new();
	if (!sp->rib || !sp->builder)
		goto fail;
	if (rib_subscribe(sp->rib, speaker_rib_changes, sp) < 0)
		goto fail;
	rib_set_out_ready(sp->rib, speaker_out_ready, sp);
	if (!cfg->no_listen) {
		err = bgp_session_listen(sp);
		if (err)
			goto fail;
	}
	*out = sp;
	return 0;
fail:
	if (sp)
		bgp_speaker_free(sp);
	return err;
}

void bgp_speaker_free(struct bgp_speaker *sp)
{
	if (!sp)
		return;
	while (sp->peers)
		bgp_peer_remove(sp, sp->peers);
	bgp_session_unlisten(sp);
	if (sp->rib)
		rib_free(sp->rib);
	bgp_attr_builder_free(sp->builder);
	free(sp->subs);
	free(sp->chg_buf);
	free(sp);
}

int bgp_subscribe_best(struct bgp_speaker *sp, bgp_best_cb cb, void *arg)
{
	struct bgp_sub *ns = realloc(sp->subs, (sp->n_subs + 1) * sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	sp->subs = ns;
	sp->subs[sp->n_subs].cb = cb;
	sp->subs[sp->n_subs].arg = arg;
	sp->n_subs++;
	return 0;
}

/* ---- peers --------------------------------------------------------------- */

static int speaker_peer_check(const struct bgp_speaker *sp, const struct bgp_peer_config *cfg)
{
	if (cfg->addr.family != AF_INET && cfg->addr.family != AF_INET6)
		return -EINVAL;
	if (!cfg->remote_as || cfg->remote_as == BGP_AS_TRANS)
		return -EINVAL;
	/* RFC 4271 6.2 / 4.2: a Hold Time of 1 or 2 seconds is not allowed. */
	if (cfg->hold_time == 1 || cfg->hold_time == 2 || cfg->hold_time < BGP_HOLD_TIME_NONE ||
	    cfg->hold_time > 65535)
		return -EINVAL;
	if (cfg->source.family && cfg->source.family != cfg->addr.family)
		return -EINVAL;
	if (cfg->password && strlen(cfg->password) > 80)
		return -EINVAL;
	if (cfg->families & ~(uint32_t)(BGP_FAMILY_IPV4 | BGP_FAMILY_IPV6))
		return -EINVAL;
	return 0;
}

int bgp_peer_add(struct bgp_speaker *sp, const struct bgp_peer_config *cfg, struct bgp_peer **out)
{
	struct bgp_peer *peer = NULL;
	struct rib_peer_config rpc;
	char name[64];
	int err;

	err = speaker_peer_check(sp, cfg);
	if (err)
		return err;
	if (bgp_peer_find(sp, &cfg->addr))
		return -EEXIST;
	err = -ENOMEM;
	peer = calloc(1, sizeof(*peer));
	if (!peer)
		return -ENOMEM;
	peer->sp = sp;
	peer->cfg = *cfg;
	peer->description = cfg->description ? strdup(cfg->description) : NULL;
	peer->password = cfg->password && *cfg->password ? strdup(cfg->password) : NULL;
	peer->cfg.description = peer->description;
	peer->cfg.password = peer->password;
	if (!peer->cfg.port)
		peer->cfg.port = BGP_DEFAULT_PORT;
	peer->since = time(NULL);
	peer->ev_flush = event_new(sp->base, -1, 0, bgp_peer_flush_cb, peer);
	peer->ev_reap = event_new(sp->base, -1, 0, bgp_peer_reap_cb, peer);
	peer->ev_stale = evtimer_new(sp->base, bgp_peer_stale_cb, peer);
	if (!peer->ev_flush || !peer->ev_reap || !peer->ev_stale)
		goto fail;
	memset(&rpc, 0, sizeof(rpc));
	rpc.addr = cfg->addr;
	rpc.peer_as = cfg->remote_as;
	rpc.rr_client = cfg->rr_client;
	rpc.max_prefix = cfg->max_prefixes;
	rpc.next_hop_self = cfg->next_hop_self;
	peer->rp = rib_peer_add(sp->rib, &rpc);
	if (!peer->rp)
		goto fail;
	rib_peer_set_user(peer->rp, peer);
	err = bgp_conn_new(peer, true, &peer->conn);
	if (err)
		goto fail;
	if (peer->password) {
		err = bgp_session_listen_md5(sp, &cfg->addr, peer->password);
		if (err) {
			log_err("bgp: peer %s: cannot set the TCP-MD5 key: %s",
			        bgp_peer_name(peer, name, sizeof(name)), strerror(-err));
			goto fail;
		}
	}
	*sp->peers_tail = peer;
	sp->peers_tail = &peer->next;
	log_info("bgp: peer %s added%s%s%s", bgp_peer_name(peer, name, sizeof(name)),
	         cfg->passive ? ", passive" : "", peer->password ? ", TCP-MD5" : "",
	         cfg->ttl_security ? ", GTSM" : "");
	/* RFC 4271 8.1.2 event 1 (or 4 for a passive peer). */
	bgp_fsm_event(&peer->conn->fsm,
	              cfg->passive ? BGP_EV_MANUAL_START_PASSIVE : BGP_EV_MANUAL_START);
	if (out)
		*out = peer;
	return 0;
fail:
	if (peer->rp)
		rib_peer_remove(sp->rib, peer->rp);
	bgp_conn_free(peer->conn);
	if (peer->ev_flush)
		event_free(peer->ev_flush);
	if (peer->ev_reap)
		event_free(peer->ev_reap);
	if (peer->ev_stale)
		event_free(peer->ev_stale);
	free(peer->description);
	free(peer->password);
	free(peer);
	return err;
}

void bgp_peer_remove(struct bgp_speaker *sp, struct bgp_peer *peer)
{
	struct bgp_peer **pp;
	char name[64];

	for (pp = &sp->peers; *pp && *pp != peer; pp = &(*pp)->next)
		;
	if (!*pp)
		return;
	*pp = peer->next;
	if (sp->peers_tail == &peer->next)
		sp->peers_tail = pp;
	log_info("bgp: peer %s removed", bgp_peer_name(peer, name, sizeof(name)));
	peer->removing = true;
	/* RFC 4486: Cease / Peer De-configured. */
	if (peer->coll) {
		peer->coll->fsm.cfg.auto_restart = false;
		bgp_fsm_error(&peer->coll->fsm, BGP_EV_MANUAL_STOP, BGP_ERR_CEASE,
		              BGP_CEASE_PEER_DECONFIGURED, NULL, 0);
	}
	bgp_fsm_error(&peer->conn->fsm, BGP_EV_MANUAL_STOP, BGP_ERR_CEASE,
	              BGP_CEASE_PEER_DECONFIGURED, NULL, 0);
	if (peer->password)
		bgp_session_listen_md5(sp, &peer->cfg.addr, NULL);
	rib_peer_remove(sp->rib, peer->rp);
	bgp_conn_free(peer->coll);
	bgp_conn_free(peer->conn);
	event_free(peer->ev_flush);
	event_free(peer->ev_reap);
	event_free(peer->ev_stale);
	free(peer->description);
	free(peer->password);
	free(peer);
}

struct bgp_peer *bgp_peer_find(struct bgp_speaker *sp, const struct addr *addr)
{
	struct bgp_peer *p;

	for (p = sp->peers; p; p = p->next)
		if (addr_eq(&p->cfg.addr, addr))
			return p;
	return NULL;
}

struct bgp_peer *bgp_peer_next(struct bgp_speaker *sp, const struct bgp_peer *prev)
{
	return prev ? prev->next : sp->peers;
}

enum bgp_peer_state bgp_peer_state(const struct bgp_peer *peer)
{
	return (enum bgp_peer_state)peer->conn->fsm.state;
}

const char *bgp_peer_state_name(enum bgp_peer_state s)
{
	return bgp_fsm_state_name((enum bgp_fsm_state)s);
}

void bgp_peer_get_info(const struct bgp_peer *peer, struct bgp_peer_info *info)
{
	const struct bgp_conn *c = peer->conn;
	enum bgp_af af;

	memset(info, 0, sizeof(*info));
	info->addr = peer->cfg.addr;
	info->remote_as = peer->cfg.remote_as;
	info->remote_id = peer->remote_id;
	info->state = bgp_peer_state(peer);
	info->state_name = bgp_peer_state_name(info->state);
	info->since = peer->since;
	info->hold_time = c->fsm.hold_time;
	info->keepalive = c->fsm.keepalive_time;
	info->ebgp = peer->cfg.remote_as != peer->sp->cfg.local_as;
	info->graceful_restart = c->params.peer_gr;
	info->stale = peer->stale != 0;
	if (c->params.families & BGP_AF_BIT(BGP_AF_IPV4))
		info->families |= BGP_FAMILY_IPV4;
	if (c->params.families & BGP_AF_BIT(BGP_AF_IPV6))
		info->families |= BGP_FAMILY_IPV6;
	info->msgs_in = peer->msgs_in;
	info->msgs_out = peer->msgs_out;
	info->updates_in = peer->updates_in;
	info->updates_out = peer->updates_out;
	info->prefixes_received = peer->prefixes_received;
	for (af = 0; af < BGP_AF_COUNT; af++)
		info->prefixes_accepted += rib_peer_prefix_count(peer->rp, af);
	info->prefixes_advertised = rib_peer_out_count(peer->rp);
	info->established_count = peer->established_count;
	memcpy(info->last_error, peer->last_error, sizeof(info->last_error));
}

/* RFC 2918 3: one ROUTE-REFRESH per family, only if the peer advertised the capability. */
int bgp_peer_request_refresh(struct bgp_peer *peer, uint32_t families)
{
	struct bgp_conn *c = peer->conn;
	enum bgp_af af;
	int err = 0, sent = 0;

	if (c->fsm.state != BGP_FSM_ESTABLISHED)
		return -ENOTCONN;
	if (!c->params.route_refresh)
		return -EOPNOTSUPP;
	for (af = 0; af < BGP_AF_COUNT; af++) {
		uint32_t fam = af == BGP_AF_IPV4 ? BGP_FAMILY_IPV4 : BGP_FAMILY_IPV6;

		if (families && !(families & fam))
			continue;
		if (!(c->params.families & BGP_AF_BIT(af)))
			continue;
		err = bgp_msg_encode_route_refresh(&c->wbuf, bgp_af_afi(af), BGP_SAFI_UNICAST, 0);
		if (err < 0)
			return err;
		peer->msgs_out++;
		sent++;
	}
	bgp_conn_write(c);
	return sent ? 0 : -EINVAL;
}

void bgp_peer_reset(struct bgp_peer *peer)
{
	bgp_fsm_error(&peer->conn->fsm, BGP_EV_MANUAL_STOP, BGP_ERR_CEASE, BGP_CEASE_ADMIN_RESET,
	              NULL, 0);
	bgp_fsm_event(&peer->conn->fsm,
	              peer->cfg.passive ? BGP_EV_MANUAL_START_PASSIVE : BGP_EV_MANUAL_START);
}

/* ---- routes ------------------------------------------------------------- */

int bgp_originate(struct bgp_speaker *sp, const struct prefix *p,
                  const struct bgp_route_attrs *attrs)
{
	struct bgp_attr_builder *b = sp->builder;
	struct prefix np = *p;
	int err;

	prefix_normalize(&np);
	bgp_attr_builder_reset(b);
	err = bgp_attr_builder_set_path(b, NULL, 0);
	if (err)
		return err;
	b->k.origin = attrs ? attrs->origin : BGP_ORIGIN_IGP;
	b->k.present |= BGP_ATTRS_ORIGIN;
	if (attrs && attrs->has_med) {
		b->k.med = attrs->med;
		b->k.present |= BGP_ATTRS_MED;
	}
	if (attrs && attrs->has_local_pref) {
		b->k.local_pref = attrs->local_pref;
		b->k.present |= BGP_ATTRS_LOCAL_PREF;
	}
	if (attrs && attrs->n_communities) {
		err = bgp_attr_builder_set_communities(b, attrs->communities, attrs->n_communities);
		if (err)
			return err;
	}
	if (attrs && attrs->n_large_communities) {
		err = bgp_attr_builder_set_large_communities(b, attrs->large_communities,
		                                             attrs->n_large_communities);
		if (err)
			return err;
	}
	return rib_originate(sp->rib, &np, b);
}

int bgp_withdraw(struct bgp_speaker *sp, const struct prefix *p)
{
	struct prefix np = *p;

	prefix_normalize(&np);
	return rib_withdraw_local(sp->rib, &np);
}
