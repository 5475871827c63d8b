/*
 * DOC: the BGP finite state machine of RFC 4271 section 8 (private header).
 *
 * One struct bgp_fsm drives one TCP connection to a peer through the six
 * states of RFC 4271 8.2.2. It owns the ConnectRetry, Hold, Keepalive and
 * IdleHold timers (libevent) and nothing else: every side effect (open a TCP
 * connection, send an OPEN, a KEEPALIVE or a NOTIFICATION, drop the
 * connection, announce that the session came up or went down) is a callback
 * in struct bgp_fsm_ops. That keeps the state machine free of sockets and
 * codecs, so tests/unit/test_bgp_fsm.c drives it event by event.
 *
 * Events carry the names and numbers of RFC 4271 8.1. Optional events this
 * implementation never generates (DampPeerOscillations, DelayOpen) are listed
 * for completeness and handled as the RFC's "any other event".
 *
 * Connection collisions (RFC 4271 6.8) involve two connections, hence two
 * FSMs; the peer (peer.c) resolves them with bgp_fsm_collision_loser() and
 * feeds OpenCollisionDump (event 23) to the loser.
 */
#ifndef TABBY_BGP_FSM_H
#define TABBY_BGP_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/time.h>

#include "msg.h" /* NOTIFICATION codes */

struct event_base;
struct event;

/* RFC 4271 8.2.2 */
enum bgp_fsm_state {
	BGP_FSM_IDLE = 0,
	BGP_FSM_CONNECT,
	BGP_FSM_ACTIVE,
	BGP_FSM_OPENSENT,
	BGP_FSM_OPENCONFIRM,
	BGP_FSM_ESTABLISHED,
	BGP_FSM_STATE_COUNT,
};

/* RFC 4271 8.1: event numbers as in the RFC. */
enum bgp_fsm_event {
	BGP_EV_MANUAL_START = 1,
	BGP_EV_MANUAL_STOP = 2,
	BGP_EV_AUTOMATIC_START = 3,
	BGP_EV_MANUAL_START_PASSIVE = 4,
	BGP_EV_AUTOMATIC_START_PASSIVE = 5,
	BGP_EV_AUTOMATIC_START_DAMP = 6,
	BGP_EV_AUTOMATIC_START_DAMP_PASSIVE = 7,
	BGP_EV_AUTOMATIC_STOP = 8,
	BGP_EV_CONNECT_RETRY_TIMER_EXPIRES = 9,
	BGP_EV_HOLD_TIMER_EXPIRES = 10,
	BGP_EV_KEEPALIVE_TIMER_EXPIRES = 11,
	BGP_EV_DELAY_OPEN_TIMER_EXPIRES = 12,
	BGP_EV_IDLE_HOLD_TIMER_EXPIRES = 13,
	BGP_EV_TCP_CONNECTION_VALID = 14,
	BGP_EV_TCP_CR_INVALID = 15,
	BGP_EV_TCP_CR_ACKED = 16,
	BGP_EV_TCP_CONNECTION_CONFIRMED = 17,
	BGP_EV_TCP_CONNECTION_FAILS = 18,
	BGP_EV_BGP_OPEN = 19,
	BGP_EV_BGP_OPEN_DELAY_OPEN = 20,
	BGP_EV_BGP_HEADER_ERR = 21,
	BGP_EV_BGP_OPEN_MSG_ERR = 22,
	BGP_EV_OPEN_COLLISION_DUMP = 23,
	BGP_EV_NOTIF_MSG_VER_ERR = 24,
	BGP_EV_NOTIF_MSG = 25,
	BGP_EV_KEEPALIVE_MSG = 26,
	BGP_EV_UPDATE_MSG = 27,
	BGP_EV_UPDATE_MSG_ERR = 28,
	BGP_EV_COUNT = 29,
};

/* RFC 4271 4.2: hold time while waiting for the peer's OPEN ("4 minutes"). */
#define BGP_FSM_LARGE_HOLD_TIME 240
#define BGP_FSM_IDLE_HOLD_MAX   120

/* What the FSM asks its connection to do. Every callback gets ops_arg. */
struct bgp_fsm_ops {
	/* Start a non-blocking TCP connection; later TcpCRAcked or TcpConnectionFails. */
	void (*connect)(void *arg);
	/* Close the TCP connection (if any) and free its buffers. */
	void (*drop)(void *arg);
	void (*send_open)(void *arg);
	void (*send_keepalive)(void *arg);
	void (*send_notification)(void *arg, uint8_t code, uint8_t subcode, const uint8_t *data,
	                          size_t len);
	/* OpenConfirm -> Established. */
	void (*established)(void *arg);
	/* Established -> anything (routes must go or become stale). */
	void (*down)(void *arg);
	/* Every state change, after the change; for logs and counters. */
	void (*state_change)(void *arg, enum bgp_fsm_state from, enum bgp_fsm_state to,
	                     enum bgp_fsm_event ev);
};

struct bgp_fsm_config {
	uint16_t hold_time;          /* proposed in our OPEN; 0 or >= 3 (RFC 4271 6.2) */
	uint16_t keepalive_time;     /* 0: hold_time / 3 */
	uint16_t connect_retry_time; /* ConnectRetryTime, seconds (RFC default 120) */
	uint16_t idle_hold_time;     /* first IdleHoldTime after an error; doubles to 120 s */
	bool passive;                /* never initiate a connection (PassiveTcpEstablishment) */
	bool auto_restart;           /* after an error, AutomaticStart once IdleHoldTimer fires */
};

enum bgp_fsm_timer {
	BGP_TIMER_CONNECT_RETRY,
	BGP_TIMER_HOLD,
	BGP_TIMER_KEEPALIVE,
	BGP_TIMER_IDLE_HOLD,
	BGP_TIMER_COUNT,
};

struct bgp_fsm {
	enum bgp_fsm_state state;
	struct bgp_fsm_config cfg;
	const struct bgp_fsm_ops *ops;
	void *ops_arg;

	uint32_t connect_retry_counter; /* RFC 4271 8: ConnectRetryCounter */
	uint16_t hold_time;             /* negotiated (RFC 4271 4.2), 0 = none */
	uint16_t keepalive_time;        /* negotiated */
	uint16_t idle_hold_cur;         /* current IdleHoldTime (backoff) */
	uint16_t peer_hold_time;        /* from the peer's OPEN */
	bool stopped;                   /* ManualStop: no automatic restart */
	time_t established_at;          /* monotonic seconds */

	/* The last NOTIFICATION sent or received (for the operator). */
	uint8_t last_err_code, last_err_subcode;
	bool last_err_sent;
	enum bgp_fsm_event last_event;

	/* Error to send with the next BGPHeaderErr/BGPOpenMsgErr/UpdateMsgErr. */
	uint8_t pend_code, pend_subcode;
	uint8_t pend_data[64];
	size_t pend_len;

	struct event *timers[BGP_TIMER_COUNT];
	int timer_armed[BGP_TIMER_COUNT]; /* seconds it was last armed for, -1 when stopped */
	/* The event loop's cached time when the HoldTimer was last armed (see fsm_restart_hold). */
	struct timeval hold_armed_at;
	struct bgp_fsm_timer_ctx {
		struct bgp_fsm *fsm;
		enum bgp_fsm_timer t;
	} timer_ctx[BGP_TIMER_COUNT];
};

int bgp_fsm_init(struct bgp_fsm *fsm, struct event_base *base, const struct bgp_fsm_config *cfg,
                 const struct bgp_fsm_ops *ops, void *ops_arg);
/* Stop timers and free them; no callbacks run. */
void bgp_fsm_fini(struct bgp_fsm *fsm);

/* Feed one event (RFC 4271 8.1). */
void bgp_fsm_event(struct bgp_fsm *fsm, enum bgp_fsm_event ev);
/*
 * Feed an error event (BGPHeaderErr, BGPOpenMsgErr, UpdateMsgErr) together
 * with the NOTIFICATION code, subcode and data the FSM should send.
 */
void bgp_fsm_error(struct bgp_fsm *fsm, enum bgp_fsm_event ev, uint8_t code, uint8_t subcode,
                   const void *data, size_t len);
/*
 * A valid OPEN arrived with the peer's Hold Time: negotiate (RFC 4271 4.2:
 * the smaller of both, 0 means no keepalives; 1 and 2 are rejected with
 * 2/6 Unacceptable Hold Time, RFC 4271 6.2) and feed BGPOpen or BGPOpenMsgErr.
 */
void bgp_fsm_open_received(struct bgp_fsm *fsm, uint16_t peer_hold_time);
/* A NOTIFICATION arrived: remember it, feed NotifMsg (or NotifMsgVerErr). */
void bgp_fsm_notification_received(struct bgp_fsm *fsm, uint8_t code, uint8_t subcode);

/*
 * RFC 4271 6.8: of two connections to one peer, the one to close. If the
 * local BGP Identifier is higher, keep the locally initiated connection.
 * Returns true when the connection described by 'outbound' is the loser.
 */
bool bgp_fsm_collision_loser(uint32_t local_id, uint32_t remote_id, bool outbound);

/* Seconds until the timer fires (to the nearest), or -1 if it is not running. */
int bgp_fsm_timer_remaining(const struct bgp_fsm *fsm, enum bgp_fsm_timer t);
const char *bgp_fsm_state_name(enum bgp_fsm_state s);
const char *bgp_fsm_event_name(enum bgp_fsm_event ev);
#endif
