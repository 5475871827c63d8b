/*
 * DOC: a configured peer: messages to FSM events, FSM actions to messages,
 * sessions to the RIB.
 *
 * peer.c is where the pieces meet. session.c hands it every whole message;
 * it decodes OPEN, KEEPALIVE, NOTIFICATION and ROUTE-REFRESH with msg.c,
 * feeds the FSM (fsm.c) and hands UPDATE bodies to the RIB
 * (rib_peer_update). The FSM's actions come back here as bgp_peer_fsm_ops:
 * encode and send an OPEN/KEEPALIVE/NOTIFICATION, connect, drop, and tell the
 * RIB when the session comes up or goes down.
 *
 * Connection collisions (RFC 4271 6.8) are resolved when an OPEN tells us
 * the peer's BGP Identifier; see peer_collision().
 *
 * Graceful restart, helper role only (RFC 4724 4.2): when the TCP session of
 * a peer that advertised the capability fails (no NOTIFICATION), its routes
 * stay, marked stale, until End-of-RIB for each family or until the Restart
 * Time (while down) / a stale timer (once back) runs out.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include <tabby/log.h>

#include "peer.h"
#include "update.h"

#define BGP_STALE_TIME_AFTER_UP 360 /* seconds to wait for End-of-RIB once back up */

const char *bgp_peer_name(const struct bgp_peer *peer, char *buf, size_t len)
{
	char a[ADDR_STRLEN];

	snprintf(buf, len, "%s AS%u", addr_format(&peer->cfg.addr, a, sizeof(a)),
	         peer->cfg.remote_as);
	return buf;
}

void bgp_peer_set_error(struct bgp_peer *peer, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(peer->last_error, sizeof(peer->last_error), fmt, ap);
	va_end(ap);
}

void bgp_peer_fsm_config(const struct bgp_peer *peer, struct bgp_fsm_config *fc)
{
	memset(fc, 0, sizeof(*fc));
	if (peer->cfg.hold_time == BGP_HOLD_TIME_NONE)
		fc->hold_time = 0;
	else
		fc->hold_time = peer->cfg.hold_time ? peer->cfg.hold_time : BGP_DEFAULT_HOLD_TIME;
	fc->keepalive_time = peer->cfg.keepalive;
	fc->connect_retry_time = peer->cfg.connect_retry ? peer->cfg.connect_retry : 120;
	fc->idle_hold_time = peer->cfg.idle_hold ? peer->cfg.idle_hold : 1;
	fc->passive = peer->cfg.passive;
	fc->auto_restart = true;
}

static bool conn_is_primary(const struct bgp_conn *c)
{
	return c->peer->conn == c;
}

/* ---- deferred work ------------------------------------------------------ */

void bgp_peer_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bgp_peer *peer = arg;
	struct bgp_conn *c = peer->conn;
	size_t before, n = 0;
	int err;

	if (!peer->up || c->fd < 0 || c->fsm.state != BGP_FSM_ESTABLISHED)
		return;
	before = c->wbuf.len;
	err = rib_peer_flush_out(peer->sp->rib, peer->rp, &c->wbuf, &n);
	if (err < 0) {
		char name[64];

		log_err("bgp: peer %s: cannot build UPDATEs: %s",
		        bgp_peer_name(peer, name, sizeof(name)), strerror(-err));
		bgp_fsm_error(&c->fsm, BGP_EV_AUTOMATIC_STOP, BGP_ERR_CEASE,
		              BGP_CEASE_OUT_OF_RESOURCES, NULL, 0);
		return;
	}
	if (c->wbuf.len > before) {
		peer->updates_out += n;
		peer->msgs_out += n;
		bgp_conn_write(c);
	}
}

void bgp_peer_schedule_flush(struct bgp_peer *peer)
{
	if (peer->up && rib_peer_out_pending(peer->rp))
		event_active(peer->ev_flush, EV_TIMEOUT, 0);
}

void bgp_peer_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bgp_peer *peer = arg;

	if (peer->coll && peer->coll->dead) {
		bgp_conn_free(peer->coll);
		peer->coll = NULL;
	}
}

void bgp_peer_schedule_reap(struct bgp_peer *peer)
{
	event_active(peer->ev_reap, EV_TIMEOUT, 0);
}

/* RFC 4724 4.2: "If the session does not get re-established within the Restart Time ... delete all
 * the stale routes". */
void bgp_peer_stale_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bgp_peer *peer = arg;
	char name[64];

	if (!peer->stale)
		return;
	log_info("bgp: peer %s: graceful restart timer expired, removing stale routes",
	         bgp_peer_name(peer, name, sizeof(name)));
	rib_peer_stale_flush(peer->sp->rib, peer->rp, -1);
	peer->stale = 0;
}

/* ---- FSM actions -------------------------------------------------------- */

static void peer_send(struct bgp_conn *c, int err)
{
	if (err < 0 || !buf_writer_ok(&c->wbuf))
		log_fatal("bgp: cannot encode a message: %s", strerror(err < 0 ? -err : ENOMEM));
	c->peer->msgs_out++;
	bgp_conn_write(c);
}

static void op_connect(void *arg)
{
	struct bgp_conn *c = arg;

	if (!conn_is_primary(c))
		return;
	bgp_conn_connect(c);
}

static void op_drop(void *arg)
{
	bgp_conn_close(arg);
}

/* RFC 4271 4.2 OPEN with RFC 5492 capabilities: MP (4760), route refresh (2918), AS4 (6793), GR
 * (4724). */
static void op_send_open(void *arg)
{
	struct bgp_conn *c = arg;
	struct bgp_peer *peer = c->peer;
	struct bgp_speaker *sp = peer->sp;
	struct bgp_open *o = &c->local_open;
	uint32_t fam =
	    peer->cfg.families ? peer->cfg.families : (BGP_FAMILY_IPV4 | BGP_FAMILY_IPV6);

	memset(o, 0, sizeof(*o));
	o->version = BGP_VERSION;
	o->my_as = sp->cfg.local_as > 0xffff ? BGP_AS_TRANS : (uint16_t)sp->cfg.local_as;
	o->hold_time = c->fsm.cfg.hold_time;
	o->bgp_id = sp->cfg.router_id;
	o->caps.mp_present = true;
	if (fam & BGP_FAMILY_IPV4)
		o->caps.mp_families |= BGP_AF_BIT(BGP_AF_IPV4);
	if (fam & BGP_FAMILY_IPV6)
		o->caps.mp_families |= BGP_AF_BIT(BGP_AF_IPV6);
	o->caps.route_refresh = true;
	o->caps.as4 = true;
	o->caps.as4_number = sp->cfg.local_as;
	/* RFC 8654 3: messages up to 65535 octets, used once the peer advertises it too. */
	o->caps.ext_msg = true;
	/* RFC 4724 3: helper only: a Restart Time and no families with preserved state. */
	o->caps.graceful_restart = true;
	o->caps.gr_time = sp->cfg.gr_restart_time ? sp->cfg.gr_restart_time : 120;
	peer_send(c, bgp_msg_encode_open(&c->wbuf, o));
}

static void op_send_keepalive(void *arg)
{
	struct bgp_conn *c = arg;

	peer_send(c, bgp_msg_encode_keepalive(&c->wbuf));
}

/* Every NOTIFICATION we send is logged with peer, code and reason. */
static void op_send_notification(void *arg, uint8_t code, uint8_t subcode, const uint8_t *data,
                                 size_t len)
{
	struct bgp_conn *c = arg;
	struct bgp_peer *peer = c->peer;
	char name[64];

	log_warn("bgp: peer %s: sending NOTIFICATION %u/%u (%s / %s) in %s, closing the session",
	         bgp_peer_name(peer, name, sizeof(name)), code, subcode, bgp_notify_code_name(code),
	         bgp_notify_subcode_name(code, subcode), bgp_fsm_state_name(c->fsm.state));
	bgp_peer_set_error(peer, "sent NOTIFICATION %u/%u (%s / %s)", code, subcode,
	                   bgp_notify_code_name(code), bgp_notify_subcode_name(code, subcode));
	if (c->fd < 0 || c->connecting)
		return;
	peer_send(c, bgp_msg_encode_notification(&c->wbuf, code, subcode, data, len));
}

static void op_established(void *arg)
{
	struct bgp_conn *c = arg;
	struct bgp_peer *peer = c->peer;
	struct rib_peer_session s;
	char name[64];
	int err;

	if (!conn_is_primary(c))
		return; /* cannot happen: the second connection is promoted at its OPEN */
	memset(&s, 0, sizeof(s));
	s.params = c->params;
	s.local_addr = c->local;
	bgp_session_local_addrs(&c->local, &s.local_v4, &s.local_v6);
	if (peer->up) /* a graceful restart replaced the old session without a down */
		rib_peer_down(peer->sp->rib, peer->rp, true);
	err = rib_peer_up(peer->sp->rib, peer->rp, &s);
	if (err < 0) {
		log_err("bgp: peer %s: %s", bgp_peer_name(peer, name, sizeof(name)),
		        strerror(-err));
		bgp_fsm_error(&c->fsm, BGP_EV_AUTOMATIC_STOP, BGP_ERR_CEASE,
		              BGP_CEASE_OUT_OF_RESOURCES, NULL, 0);
		return;
	}
	peer->up = true;
	peer->established_count++;
	peer->remote_id = c->params.peer_id;
	if (peer->stale) {
		/* RFC 4724 4.2: stale routes wait for End-of-RIB, but not forever. */
		struct timeval tv = {.tv_sec = BGP_STALE_TIME_AFTER_UP};

		evtimer_add(peer->ev_stale, &tv);
	}
	log_notice("bgp: peer %s: session established (hold time %u s, %s%s%s)",
	           bgp_peer_name(peer, name, sizeof(name)), c->fsm.hold_time,
	           c->params.ebgp ? "eBGP" : "iBGP",
	           c->params.families & BGP_AF_BIT(BGP_AF_IPV4) ? ", IPv4" : "",
	           c->params.families & BGP_AF_BIT(BGP_AF_IPV6) ? ", IPv6" : "");
	bgp_peer_schedule_flush(peer);
}

static void op_down(void *arg)
{
	struct bgp_conn *c = arg;
	struct bgp_peer *peer = c->peer;
	bool graceful;
	char name[64];

	if (!peer->up || !conn_is_primary(c))
		return;
	/*
	 * RFC 4724 4.2: the TCP session ended without a NOTIFICATION, and the
	 * peer can restart gracefully: keep its routes, stale.
	 */
	graceful = peer->conn->params.peer_gr && !peer->removing &&
	           c->fsm.last_event == BGP_EV_TCP_CONNECTION_FAILS;
	peer->up = false;
	rib_peer_down(peer->sp->rib, peer->rp, graceful);
	if (graceful) {
		struct timeval tv = {.tv_sec = c->params.peer_gr_time};

		peer->stale = c->params.families;
		evtimer_add(peer->ev_stale, &tv);
		log_notice("bgp: peer %s: session down, keeping its routes as stale for up to %u s "
		           "(graceful restart)",
		           bgp_peer_name(peer, name, sizeof(name)), c->params.peer_gr_time);
	} else {
		peer->stale = 0;
		evtimer_del(peer->ev_stale);
	}
}

static void op_state_change(void *arg, enum bgp_fsm_state from, enum bgp_fsm_state to,
                            enum bgp_fsm_event ev)
{
	struct bgp_conn *c = arg;
	struct bgp_peer *peer = c->peer;
	char name[64];

	if (conn_is_primary(c)) {
		peer->since = time(NULL);
		log_info("bgp: peer %s: %s -> %s (%s)", bgp_peer_name(peer, name, sizeof(name)),
		         bgp_fsm_state_name(from), bgp_fsm_state_name(to), bgp_fsm_event_name(ev));
		return;
	}
	log_debug("bgp: peer %s: second connection: %s -> %s (%s)",
	          bgp_peer_name(peer, name, sizeof(name)), bgp_fsm_state_name(from),
	          bgp_fsm_state_name(to), bgp_fsm_event_name(ev));
	if (to == BGP_FSM_IDLE) {
		c->dead = true;
		bgp_peer_schedule_reap(peer);
	}
}

const struct bgp_fsm_ops bgp_peer_fsm_ops = {
    .connect = op_connect,
    .drop = op_drop,
    .send_open = op_send_open,
    .send_keepalive = op_send_keepalive,
    .send_notification = op_send_notification,
    .established = op_established,
    .down = op_down,
    .state_change = op_state_change,
};

/* ---- connection collisions (RFC 4271 6.8) ------------------------------- */

/* The second connection wins: it becomes the peer's primary, the old one is reaped. */
static void peer_promote(struct bgp_peer *peer, struct bgp_conn *winner)
{
	struct bgp_conn *old = peer->conn;
	struct bgp_fsm_config fc;

	bgp_peer_fsm_config(peer, &fc);
	winner->fsm.cfg = fc;
	winner->fsm.connect_retry_counter = old->fsm.connect_retry_counter;
	winner->fsm.idle_hold_cur = old->fsm.idle_hold_cur;
	peer->conn = winner;
	peer->coll = old;
	old->dead = true;
	bgp_peer_schedule_reap(peer);
}

/*
 * An OPEN with the peer's BGP Identifier arrived on x. If the peer has a
 * second connection y that got as far as OpenSent/OpenConfirm, "the
 * connection initiated by the BGP speaker with the higher-valued BGP
 * Identifier is retained" (6.8), and the other one is closed with Cease /
 * Connection Collision Resolution (event 23). Returns true if x was closed.
 */
static bool peer_collision(struct bgp_conn *x, uint32_t remote_id)
{
	struct bgp_peer *peer = x->peer;
	struct bgp_conn *y = conn_is_primary(x) ? peer->coll : peer->conn;
	uint32_t local_id = peer->sp->cfg.router_id;
	char name[64];

	if (!y || y->dead)
		return false;
	bgp_peer_name(peer, name, sizeof(name));
	switch (y->fsm.state) {
	case BGP_FSM_IDLE:
	case BGP_FSM_CONNECT:
	case BGP_FSM_ACTIVE:
		/* y has no BGP connection (yet): x simply takes over. */
		if (conn_is_primary(y)) {
			y->fsm.cfg.auto_restart = false;
			bgp_fsm_event(&y->fsm, BGP_EV_MANUAL_STOP);
			peer_promote(peer, x);
		} else {
			y->dead = true;
			bgp_peer_schedule_reap(peer);
		}
		return false;
	case BGP_FSM_OPENSENT:
	case BGP_FSM_OPENCONFIRM:
	case BGP_FSM_STATE_COUNT:
		break;
	case BGP_FSM_ESTABLISHED:
		/*
		 * Only accepted for a graceful-restart peer (bgp_peer_accept):
		 * RFC 4724 4.2, the restarting peer's new session replaces the
		 * old one, whose routes stay as stale.
		 */
		log_notice("bgp: peer %s: new session while established: peer restarted", name);
		y->fsm.cfg.auto_restart = false;
		bgp_fsm_event(&y->fsm, BGP_EV_TCP_CONNECTION_FAILS);
		peer_promote(peer, x);
		return false;
	}
	log_info("bgp: peer %s: connection collision (local id %08x, remote id %08x): keeping the "
	         "connection %s initiated",
	         name, local_id, remote_id, local_id > remote_id ? "we" : "the peer");
	if (bgp_fsm_collision_loser(local_id, remote_id, x->outbound)) {
		bool x_primary = conn_is_primary(x);

		if (x_primary)
			peer_promote(peer, y);
		x->fsm.cfg.auto_restart = false;
		bgp_fsm_event(&x->fsm, BGP_EV_OPEN_COLLISION_DUMP);
		return true;
	}
	y->fsm.cfg.auto_restart = false;
	if (conn_is_primary(y))
		peer_promote(peer, x);
	bgp_fsm_event(&y->fsm, BGP_EV_OPEN_COLLISION_DUMP);
	return false;
}

/* ---- received messages -------------------------------------------------- */

static int peer_handle_open(struct bgp_conn *c, const uint8_t *body, size_t len)
{
	struct bgp_peer *peer = c->peer;
	struct bgp_speaker *sp = peer->sp;
	struct bgp_notify err;
	uint32_t gen = c->gen;

	if (c->fsm.state != BGP_FSM_OPENSENT) {
		bgp_fsm_event(&c->fsm, BGP_EV_BGP_OPEN);
		return -1;
	}
	if (bgp_msg_decode_open(body, len, &c->peer_open, &err) < 0 ||
	    bgp_open_check(&c->peer_open, peer->cfg.remote_as, sp->cfg.local_as, sp->cfg.router_id,
	                   &err) < 0) {
		bgp_fsm_error(&c->fsm, BGP_EV_BGP_OPEN_MSG_ERR, err.code, err.subcode, err.data,
		              err.data_len);
		return -1;
	}
	c->open_received = true;
	bgp_caps_negotiate(&c->local_open, &c->peer_open, &c->params);
	if (!c->params.families) {
		/* RFC 5492: nothing in common to carry. */
		bgp_fsm_error(&c->fsm, BGP_EV_BGP_OPEN_MSG_ERR, BGP_ERR_OPEN,
		              BGP_ERR_OPEN_CAPABILITY, NULL, 0);
		return -1;
	}
	if (peer_collision(c, c->peer_open.bgp_id))
		return -1;
	bgp_fsm_open_received(&c->fsm, c->peer_open.hold_time);
	c->params.hold_time = c->fsm.hold_time;
	return c->gen == gen ? 0 : -1;
}

static int peer_handle_notification(struct bgp_conn *c, const uint8_t *body, size_t len)
{
	struct bgp_peer *peer = c->peer;
	struct bgp_notification n;
	struct bgp_notify err;
	char name[64];

	if (bgp_msg_decode_notification(body, len, &n, &err) < 0) {
		n.code = 0;
		n.subcode = 0;
	}
	/* Logged with peer, code and reason (RFC 4271 6.4). */
	log_warn("bgp: peer %s: received NOTIFICATION %u/%u (%s / %s) in %s",
	         bgp_peer_name(peer, name, sizeof(name)), n.code, n.subcode,
	         bgp_notify_code_name(n.code), bgp_notify_subcode_name(n.code, n.subcode),
	         bgp_fsm_state_name(c->fsm.state));
	bgp_peer_set_error(peer, "received NOTIFICATION %u/%u (%s / %s)", n.code, n.subcode,
	                   bgp_notify_code_name(n.code),
	                   bgp_notify_subcode_name(n.code, n.subcode));
	bgp_fsm_notification_received(&c->fsm, n.code, n.subcode);
	return -1;
}

static int peer_handle_update(struct bgp_conn *c, const uint8_t *body, size_t len)
{
	struct bgp_peer *peer = c->peer;
	struct rib_update_result res;
	char name[64];
	int err;

	bgp_fsm_event(&c->fsm, BGP_EV_UPDATE_MSG);
	if (c->fsm.state != BGP_FSM_ESTABLISHED)
		return -1;
	peer->updates_in++;
	err = rib_peer_update(peer->sp->rib, peer->rp, body, len, &res);
	if (err == -EBADMSG) {
		const struct bgp_notify *nt = &res.attr.notify;

		bgp_fsm_error(&c->fsm,
		              nt->code == BGP_ERR_CEASE ? BGP_EV_AUTOMATIC_STOP
		                                        : BGP_EV_UPDATE_MSG_ERR,
		              nt->code, nt->subcode, nt->data, nt->data_len);
		return -1;
	}
	if (err < 0) {
		log_err("bgp: peer %s: %s", bgp_peer_name(peer, name, sizeof(name)),
		        strerror(-err));
		bgp_fsm_error(&c->fsm, BGP_EV_AUTOMATIC_STOP, BGP_ERR_CEASE,
		              BGP_CEASE_OUT_OF_RESOURCES, NULL, 0);
		return -1;
	}
	if (res.attr.verdict == BGP_VERDICT_TREAT_AS_WITHDRAW)
		log_info("bgp: peer %s: UPDATE treated as withdraw (RFC 7606): %s",
		         bgp_peer_name(peer, name, sizeof(name)),
		         bgp_attr_type_name(res.attr.withdraw_type));
	peer->prefixes_received += res.announced;
	if (res.end_of_rib >= 0 && (peer->stale & BGP_AF_BIT(res.end_of_rib))) {
		/* RFC 4724 4.2: End-of-RIB: the routes still stale for this family go. */
		rib_peer_stale_flush(peer->sp->rib, peer->rp, res.end_of_rib);
		log_info("bgp: peer %s: End-of-RIB for %s, stale routes removed",
		         bgp_peer_name(peer, name, sizeof(name)), bgp_af_name(res.end_of_rib));
		peer->stale &= ~BGP_AF_BIT(res.end_of_rib);
		if (!peer->stale)
			evtimer_del(peer->ev_stale);
	}
	return 0;
}

/* RFC 2918 4: "the BGP speaker ... re-advertises to that peer the Adj-RIB-Out". */
static int peer_handle_route_refresh(struct bgp_conn *c, const uint8_t *body, size_t len)
{
	struct bgp_peer *peer = c->peer;
	struct bgp_route_refresh rr;
	struct bgp_notify err;
	char name[64];
	int af;

	if (c->fsm.state != BGP_FSM_ESTABLISHED) {
		bgp_fsm_event(&c->fsm, BGP_EV_UPDATE_MSG); /* unexpected: FSM error */
		return -1;
	}
	if (bgp_msg_decode_route_refresh(body, len, &rr, &err) < 0) {
		/* RFC 7313 5: ROUTE-REFRESH Message Error / Invalid Message Length. */
		bgp_fsm_error(&c->fsm, BGP_EV_UPDATE_MSG_ERR, err.code, err.subcode, err.data,
		              err.data_len);
		return -1;
	}
	af = bgp_af_from_afi_safi(rr.afi, rr.safi);
	if (rr.subtype != 0)
		return 0; /* RFC 7313 BoRR/EoRR markers: nothing to do for a helper */
	if (af < 0 || !(c->params.families & BGP_AF_BIT(af))) {
		/* RFC 2918 4: "ignore" a family not negotiated. */
		log_info("bgp: peer %s: ignoring ROUTE-REFRESH for AFI %u SAFI %u",
		         bgp_peer_name(peer, name, sizeof(name)), rr.afi, rr.safi);
		return 0;
	}
	log_info("bgp: peer %s: ROUTE-REFRESH for %s: resending the Adj-RIB-Out",
	         bgp_peer_name(peer, name, sizeof(name)), bgp_af_name(af));
	if (rib_peer_refresh_out(peer->sp->rib, peer->rp, af) == 0)
		bgp_peer_schedule_flush(peer);
	return 0;
}

void bgp_peer_prefetch_update(struct bgp_conn *c, const uint8_t *msg, size_t len)
{
	if (c->fsm.state == BGP_FSM_ESTABLISHED && c->peer->rp && len >= BGP_HEADER_LEN)
		rib_peer_update_prefetch(c->peer->sp->rib, c->peer->rp, msg + BGP_HEADER_LEN,
		                         len - BGP_HEADER_LEN);
}

int bgp_peer_handle_msg(struct bgp_conn *c, uint8_t type, const uint8_t *msg, size_t len)
{
	const uint8_t *body = msg + BGP_HEADER_LEN;
	size_t blen = len - BGP_HEADER_LEN;
	struct bgp_notify err;

	c->peer->msgs_in++;
	switch (type) {
	case BGP_MSG_OPEN:
		return peer_handle_open(c, body, blen);
	case BGP_MSG_UPDATE:
		return peer_handle_update(c, body, blen);
	case BGP_MSG_NOTIFICATION:
		return peer_handle_notification(c, body, blen);
	case BGP_MSG_KEEPALIVE:
		if (bgp_msg_decode_keepalive(body, blen, &err) < 0) {
			bgp_fsm_error(&c->fsm, BGP_EV_BGP_HEADER_ERR, err.code, err.subcode,
			              err.data, err.data_len);
			return -1;
		}
		bgp_fsm_event(&c->fsm, BGP_EV_KEEPALIVE_MSG);
		if (c->fsm.state == BGP_FSM_ESTABLISHED && c->peer->coll && conn_is_primary(c) &&
		    !c->peer->coll->dead) {
			/* RFC 4271 6.8: a connection colliding with an Established one is closed.
			 */
			c->peer->coll->fsm.cfg.auto_restart = false;
			bgp_fsm_event(&c->peer->coll->fsm, BGP_EV_OPEN_COLLISION_DUMP);
		}
		return c->fd >= 0 ? 0 : -1;
	case BGP_MSG_ROUTE_REFRESH:
		return peer_handle_route_refresh(c, body, blen);
	}
	return -1; /* bgp_msg_decode_header() refused unknown types */
}

/* ---- incoming connections ------------------------------------------------ */

void bgp_peer_accept(struct bgp_peer *peer, int fd)
{
	struct bgp_conn *c = peer->conn;
	char name[64];
	int err;

	bgp_peer_name(peer, name, sizeof(name));
	switch (c->fsm.state) {
	case BGP_FSM_IDLE:
		/* RFC 4271 8.2.2 Idle: "refuses all incoming BGP connections". */
		log_info("bgp: peer %s: refused incoming connection in Idle", name);
		goto refuse;
	case BGP_FSM_CONNECT:
	case BGP_FSM_ACTIVE:
		if (c->fd < 0) {
			/* Event 17 TcpConnectionConfirmed on the peer's only connection. */
			if (bgp_conn_attach(c, fd) < 0)
				goto refuse;
			bgp_fsm_event(&c->fsm, BGP_EV_TCP_CONNECTION_CONFIRMED);
			return;
		}
		break;
	case BGP_FSM_ESTABLISHED:
		if (!c->params.peer_gr) {
			/* RFC 4271 6.8: "collision with an existing BGP connection that is in the
			 * Established state". */
			log_info("bgp: peer %s: refused second connection while established", name);
			goto refuse;
		}
		break;
	default:
		break;
	}
	if (peer->coll && !peer->coll->dead) {
		log_info("bgp: peer %s: refused a third connection", name);
		goto refuse;
	}
	if (peer->coll) {
		bgp_conn_free(peer->coll);
		peer->coll = NULL;
	}
	/* A second connection: both run until an OPEN lets 6.8 decide. */
	err = bgp_conn_new(peer, false, &peer->coll);
	if (err < 0)
		goto refuse;
	if (bgp_conn_attach(peer->coll, fd) < 0) {
		bgp_conn_free(peer->coll);
		peer->coll = NULL;
		return;
	}
	bgp_fsm_event(&peer->coll->fsm, BGP_EV_MANUAL_START_PASSIVE);
	bgp_fsm_event(&peer->coll->fsm, BGP_EV_TCP_CONNECTION_CONFIRMED);
	return;
refuse:
	close(fd);
}
