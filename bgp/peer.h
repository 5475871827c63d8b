/*
 * DOC: the session half's private types: speaker, peer and connection.
 *
 * A struct bgp_peer is one configured neighbour. It always has one primary
 * struct bgp_conn (conn), whose FSM is the peer's state, and during a
 * connection collision (RFC 4271 6.8) a second one (coll) for the other TCP
 * connection. peer.c resolves the collision when an OPEN arrives and, if the
 * second connection wins, promotes it to primary; the loser is freed later
 * from the event loop ("reaped"), never inside its own callbacks.
 *
 * session.c owns sockets and bytes (listen, connect, TCP-MD5, GTSM, framing);
 * peer.c turns messages into FSM events and RIB calls; speaker.c is the
 * public API.
 */
#ifndef TABBY_BGP_PEER_H
#define TABBY_BGP_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <event2/util.h>

#include <tabby/bgp.h>
#include <tabby/buf.h>
#include <tabby/prefix.h>

#include "fsm.h"
#include "msg.h"
#include "rib.h"

struct event;
struct event_base;

#define BGP_RBUF_SIZE (256 * 1024) /* read in large chunks; holds many whole messages */

struct bgp_conn {
	struct bgp_peer *peer;
	int fd;          /* -1 when there is no TCP connection */
	bool outbound;   /* we initiated it (RFC 4271 6.8) */
	bool connecting; /* non-blocking connect() in progress */
	int connect_err; /* immediate connect() failure, reported from the loop */
	bool dead;       /* to be freed by the reaper */
	uint32_t gen;    /* bumped whenever the socket is closed or replaced */
	struct event *ev_read, *ev_write;
	uint8_t *rbuf;     /* BGP_RBUF_SIZE bytes */
	size_t rpos, rlen; /* unprocessed bytes are rbuf[rpos, rlen) */
	struct buf_writer wbuf;
	size_t woff;       /* bytes of wbuf already written */
	struct addr local; /* our end of the connection */
	struct bgp_fsm fsm;
	struct bgp_open local_open;
	struct bgp_open peer_open;
	bool open_received;
	struct bgp_session_params params;
};

struct bgp_peer {
	struct bgp_speaker *sp;
	struct bgp_peer *next;
	struct bgp_peer_config cfg; /* strings point at the copies below */
	char *description;
	char *password;
	struct bgp_conn *conn; /* primary: its FSM is the peer's state */
	struct bgp_conn *coll; /* second connection during a collision */
	struct rib_peer *rp;
	bool up; /* rib_peer_up() was called */
	bool removing;
	time_t since;
	struct event *ev_flush; /* deferred rib_peer_flush_out() */
	struct event *ev_reap;  /* frees dead connections */
	struct event *ev_stale; /* RFC 4724 4.2 restart / stale timer */
	uint32_t stale;         /* BGP_AF_BIT()s of families with stale routes (RFC 4724) */
	uint32_t remote_id;
	uint32_t established_count;
	uint64_t msgs_in, msgs_out, updates_in, updates_out, prefixes_received;
	char last_error[160];
};

struct bgp_listener {
	int fd;
	struct event *ev;
};

struct bgp_sub {
	bgp_best_cb cb;
	void *arg;
};

struct bgp_speaker {
	struct event_base *base;
	struct bgp_speaker_config cfg;
	struct rib *rib;
	struct bgp_attr_builder *builder;
	struct bgp_listener listeners[2];
	size_t n_listeners;
	struct bgp_peer *peers, **peers_tail;
	struct bgp_sub *subs;
	size_t n_subs;
	struct bgp_best_change *chg_buf; /* scratch for subscriber batches */
	size_t chg_cap;
};

/* session.c */
int bgp_session_listen(struct bgp_speaker *sp);
void bgp_session_unlisten(struct bgp_speaker *sp);
/* Install or remove (key NULL) the TCP-MD5 key for a peer on every listener. */
int bgp_session_listen_md5(struct bgp_speaker *sp, const struct addr *peer, const char *key);
int bgp_conn_new(struct bgp_peer *peer, bool primary_cfg, struct bgp_conn **out);
void bgp_conn_free(struct bgp_conn *c);
void bgp_conn_connect(struct bgp_conn *c);
/* Take an accepted socket. */
int bgp_conn_attach(struct bgp_conn *c, int fd);
void bgp_conn_close(struct bgp_conn *c);
/* Queue bytes (whole messages) and try to write them now. */
void bgp_conn_write(struct bgp_conn *c);
int bgp_session_set_md5(int fd, const struct addr *peer, const char *key);
int bgp_session_set_gtsm(int fd, int family);
/* Our IPv4 and IPv6 addresses on the interface of the session's local address. */
void bgp_session_local_addrs(const struct addr *local, struct addr *v4, struct addr *v6);

/* peer.c */
extern const struct bgp_fsm_ops bgp_peer_fsm_ops;
void bgp_peer_fsm_config(const struct bgp_peer *peer, struct bgp_fsm_config *fc);
/* One whole message from c's socket; returns -1 if c lost its socket meanwhile. */
int bgp_peer_handle_msg(struct bgp_conn *c, uint8_t type, const uint8_t *msg, size_t len);
/* msg (len bytes, header included) is the UPDATE c handles next: let the RIB prepare it. */
void bgp_peer_prefetch_update(struct bgp_conn *c, const uint8_t *msg, size_t len);
void bgp_peer_accept(struct bgp_peer *peer, int fd);
void bgp_peer_schedule_flush(struct bgp_peer *peer);
/* Event callbacks (arg: the peer): deferred UPDATE flush, reaper, RFC 4724 stale timer. */
void bgp_peer_flush_cb(evutil_socket_t fd, short what, void *arg);
void bgp_peer_reap_cb(evutil_socket_t fd, short what, void *arg);
void bgp_peer_stale_cb(evutil_socket_t fd, short what, void *arg);
void bgp_peer_schedule_reap(struct bgp_peer *peer);
void bgp_peer_set_error(struct bgp_peer *peer, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *bgp_peer_name(const struct bgp_peer *peer, char *buf, size_t len);

#endif
