/*
 * DOC: the BGP finite state machine (RFC 4271 section 8).
 *
 * The FSM is one table, bgp_fsm_table[state][event], of small action
 * functions; each row is one state of RFC 4271 8.2.2 and each column one
 * event of 8.1, so reading a row next to the RFC's text for that state shows
 * what happens. Actions only touch timers and call back into the connection
 * through struct bgp_fsm_ops (see fsm.h).
 *
 * Deviations, as most deployed speakers do them:
 * - A failed outgoing connection in Connect (event 18) goes to Active and
 *   keeps the ConnectRetryTimer running (OpenBGPD does the same), instead of
 *   going to Idle; a refused connection is then retried every
 *   ConnectRetryTime without IdleHold backoff.
 * - After an error the FSM sits in Idle for IdleHoldTime (the optional
 *   IdleHoldTimer, event 13, RFC 4271 8.1.3) and then restarts itself. The
 *   IdleHoldTime doubles with every error up to BGP_FSM_IDLE_HOLD_MAX and
 *   falls back to its configured value once a session stayed up for a minute.
 * - No NOTIFICATION is sent in answer to a received NOTIFICATION.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "fsm.h"

typedef void (*bgp_fsm_action)(struct bgp_fsm *fsm, enum bgp_fsm_event ev);

static time_t fsm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* ---- timers ------------------------------------------------------------ */

static const enum bgp_fsm_event timer_event[BGP_TIMER_COUNT] = {
    [BGP_TIMER_CONNECT_RETRY] = BGP_EV_CONNECT_RETRY_TIMER_EXPIRES,
    [BGP_TIMER_HOLD] = BGP_EV_HOLD_TIMER_EXPIRES,
    [BGP_TIMER_KEEPALIVE] = BGP_EV_KEEPALIVE_TIMER_EXPIRES,
    [BGP_TIMER_IDLE_HOLD] = BGP_EV_IDLE_HOLD_TIMER_EXPIRES,
};

static void fsm_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bgp_fsm_timer_ctx *ctx = arg;

	ctx->fsm->timer_armed[ctx->t] = -1;
	bgp_fsm_event(ctx->fsm, timer_event[ctx->t]);
}

static void fsm_timer_start(struct bgp_fsm *fsm, enum bgp_fsm_timer t, unsigned secs)
{
	struct timeval tv = {.tv_sec = secs, .tv_usec = 0};

	fsm->timer_armed[t] = (int)secs;
	if (t == BGP_TIMER_HOLD &&
	    event_base_gettimeofday_cached(event_get_base(fsm->timers[t]), &fsm->hold_armed_at) < 0)
		timerclear(&fsm->hold_armed_at);
	evtimer_add(fsm->timers[t], &tv);
}

static void fsm_timer_stop(struct bgp_fsm *fsm, enum bgp_fsm_timer t)
{
	fsm->timer_armed[t] = -1;
	evtimer_del(fsm->timers[t]);
}

static void fsm_timers_stop(struct bgp_fsm *fsm)
{
	int t;

	for (t = 0; t < BGP_TIMER_COUNT; t++)
		fsm_timer_stop(fsm, t);
}

int bgp_fsm_timer_remaining(const struct bgp_fsm *fsm, enum bgp_fsm_timer t)
{
	struct timeval tv, now;
	long ms;

	if (fsm->timer_armed[t] < 0 || !evtimer_pending(fsm->timers[t], &tv))
		return -1;
	event_base_gettimeofday_cached(event_get_base(fsm->timers[t]), &now);
	ms = (tv.tv_sec - now.tv_sec) * 1000 + (tv.tv_usec - now.tv_usec) / 1000;
	if (ms <= 0)
		return 0;
	/*
	 * To the nearest second: a timer just armed for 3 s reads 3. Not rounded
	 * up: evtimer_pending() converts the expiry with the base's cached clock,
	 * which may lag the real one by a few ms on a busy machine (3.001 s).
	 */
	return (int)((ms + 500) / 1000);
}

/* ---- common steps ------------------------------------------------------ */

static void fsm_set_state(struct bgp_fsm *fsm, enum bgp_fsm_state to, enum bgp_fsm_event ev)
{
	enum bgp_fsm_state from = fsm->state;

	if (from == to)
		return;
	fsm->state = to;
	if (to == BGP_FSM_ESTABLISHED)
		fsm->established_at = fsm_now();
	if (fsm->ops->state_change)
		fsm->ops->state_change(fsm->ops_arg, from, to, ev);
	if (from == BGP_FSM_ESTABLISHED && fsm->ops->down)
		fsm->ops->down(fsm->ops_arg);
	if (to == BGP_FSM_ESTABLISHED && fsm->ops->established)
		fsm->ops->established(fsm->ops_arg);
}

static void fsm_notify(struct bgp_fsm *fsm, uint8_t code, uint8_t subcode, const uint8_t *data,
                       size_t len)
{
	fsm->last_err_code = code;
	fsm->last_err_subcode = subcode;
	fsm->last_err_sent = true;
	fsm->ops->send_notification(fsm->ops_arg, code, subcode, data, len);
}

/* Send the NOTIFICATION that bgp_fsm_error() left pending. */
static void fsm_notify_pending(struct bgp_fsm *fsm)
{
	fsm_notify(fsm, fsm->pend_code, fsm->pend_subcode, fsm->pend_data, fsm->pend_len);
	fsm->pend_code = 0;
	fsm->pend_len = 0;
}

/*
 * Go to Idle: "drops the TCP connection, releases all BGP resources" and, for
 * an error, "increments the ConnectRetryCounter by 1". With auto_restart the
 * IdleHoldTimer then brings the FSM back (event 13).
 */
static void fsm_to_idle(struct bgp_fsm *fsm, enum bgp_fsm_event ev, bool error)
{
	bool was_up = fsm->state == BGP_FSM_ESTABLISHED;

	fsm_timers_stop(fsm);
	fsm->ops->drop(fsm->ops_arg);
	if (error)
		fsm->connect_retry_counter++;
	if (was_up && fsm_now() - fsm->established_at >= 60)
		fsm->idle_hold_cur = fsm->cfg.idle_hold_time;
	fsm_set_state(fsm, BGP_FSM_IDLE, ev);
	if (fsm->state != BGP_FSM_IDLE)
		return; /* a callback restarted us */
	if (!fsm->stopped && fsm->cfg.auto_restart) {
		unsigned hold = fsm->idle_hold_cur ? fsm->idle_hold_cur : 1;

		fsm_timer_start(fsm, BGP_TIMER_IDLE_HOLD, hold);
		fsm->idle_hold_cur =
		    hold * 2 > BGP_FSM_IDLE_HOLD_MAX ? BGP_FSM_IDLE_HOLD_MAX : hold * 2;
	}
}

/* ---- actions ----------------------------------------------------------- */

static void fsm_ignore(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
}

/*
 * Idle, events 1/3 (ManualStart, AutomaticStart): "initializes all BGP
 * resources, sets ConnectRetryCounter to zero, starts the ConnectRetryTimer,
 * initiates a TCP connection, listens, changes its state to Connect".
 * Events 4/5 (passive) start the timer and go to Active without connecting.
 */
static void fsm_idle_start(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	bool passive = fsm->cfg.passive || ev == BGP_EV_MANUAL_START_PASSIVE ||
	               ev == BGP_EV_AUTOMATIC_START_PASSIVE;

	if (ev == BGP_EV_MANUAL_START || ev == BGP_EV_MANUAL_START_PASSIVE) {
		fsm->stopped = false;
		fsm->connect_retry_counter = 0;
		fsm->idle_hold_cur = fsm->cfg.idle_hold_time;
	}
	if (fsm->stopped && ev != BGP_EV_MANUAL_START && ev != BGP_EV_MANUAL_START_PASSIVE)
		return; /* an administrative stop beats automatic restarts */
	fsm_timer_stop(fsm, BGP_TIMER_IDLE_HOLD);
	fsm_timer_start(fsm, BGP_TIMER_CONNECT_RETRY, fsm->cfg.connect_retry_time);
	if (passive) {
		fsm_set_state(fsm, BGP_FSM_ACTIVE, ev);
		return;
	}
	fsm_set_state(fsm, BGP_FSM_CONNECT, ev);
	fsm->ops->connect(fsm->ops_arg);
}

/* Idle, event 13 (IdleHoldTimer_Expires): an automatic restart. */
static void fsm_idle_hold_expired(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	fsm_idle_start(fsm,
	               fsm->cfg.passive ? BGP_EV_AUTOMATIC_START_PASSIVE : BGP_EV_AUTOMATIC_START);
}

/* Idle, event 2 (ManualStop): ignored by the RFC; also cancels a pending restart. */
static void fsm_idle_stop(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	fsm->stopped = true;
	fsm_timers_stop(fsm);
}

/* Connect/Active, event 2 (ManualStop): drop, counter to zero, Idle, no restart. */
static void fsm_manual_stop_quiet(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	fsm->stopped = true;
	fsm->connect_retry_counter = 0;
	fsm_to_idle(fsm, ev, false);
}

/* Connect/Active, event 8 (AutomaticStop) and any other event: Idle, counter + 1. */
static void fsm_error_quiet(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	fsm_to_idle(fsm, ev, true);
}

/* Connect, event 9: "drops the TCP connection, restarts the ConnectRetryTimer, initiates a TCP
 * connection". */
static void fsm_connect_retry(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	fsm->ops->drop(fsm->ops_arg);
	fsm_timer_start(fsm, BGP_TIMER_CONNECT_RETRY, fsm->cfg.connect_retry_time);
	fsm_set_state(fsm, BGP_FSM_CONNECT, ev);
	fsm->ops->connect(fsm->ops_arg);
}

/* Active, event 9: "restarts the ConnectRetryTimer, initiates a TCP connection, Connect". */
static void fsm_active_retry(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	if (fsm->cfg.passive) {
		fsm_timer_start(fsm, BGP_TIMER_CONNECT_RETRY, fsm->cfg.connect_retry_time);
		return;
	}
	fsm_connect_retry(fsm, ev);
}

/*
 * Connect/Active, events 16/17 (Tcp_CR_Acked, TcpConnectionConfirmed):
 * "stops the ConnectRetryTimer, completes BGP initialization, sends an OPEN
 * message, sets its HoldTimer to a large value, changes its state to OpenSent".
 */
static void fsm_tcp_up(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	fsm_timer_stop(fsm, BGP_TIMER_CONNECT_RETRY);
	fsm_set_state(fsm, BGP_FSM_OPENSENT, ev);
	fsm->ops->send_open(fsm->ops_arg);
	fsm_timer_start(fsm, BGP_TIMER_HOLD, BGP_FSM_LARGE_HOLD_TIME);
}

/*
 * Connect/OpenSent, event 18: close the connection, restart the
 * ConnectRetryTimer, keep listening, go to Active (deviation for Connect, see DOC).
 */
static void fsm_tcp_fail_to_active(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	fsm_timers_stop(fsm);
	fsm->ops->drop(fsm->ops_arg);
	fsm_timer_start(fsm, BGP_TIMER_CONNECT_RETRY, fsm->cfg.connect_retry_time);
	fsm_set_state(fsm, BGP_FSM_ACTIVE, ev);
}

/* OpenSent/OpenConfirm/Established, event 2: "sends the NOTIFICATION with a Cease". */
static void fsm_manual_stop_notify(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	uint8_t sub =
	    fsm->pend_code == BGP_ERR_CEASE ? fsm->pend_subcode : BGP_CEASE_ADMIN_SHUTDOWN;

	fsm_notify(fsm, BGP_ERR_CEASE, sub, fsm->pend_data, fsm->pend_len);
	fsm->pend_code = 0;
	fsm->pend_len = 0;
	fsm->stopped = true;
	fsm->connect_retry_counter = 0;
	fsm_to_idle(fsm, ev, false);
}

/* OpenSent/OpenConfirm/Established, event 8: Cease (subcode from bgp_fsm_error), counter + 1. */
static void fsm_auto_stop_notify(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	uint8_t sub = fsm->pend_code == BGP_ERR_CEASE ? fsm->pend_subcode : 0;

	fsm_notify(fsm, BGP_ERR_CEASE, sub, fsm->pend_data, fsm->pend_len);
	fsm->pend_code = 0;
	fsm->pend_len = 0;
	fsm_to_idle(fsm, ev, true);
}

/* Event 10 (HoldTimer_Expires): "sends a NOTIFICATION message with the error code Hold Timer
 * Expired". */
static void fsm_hold_expired(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	fsm_notify(fsm, BGP_ERR_HOLD_TIMER, 0, NULL, 0);
	fsm_to_idle(fsm, ev, true);
}

/* Events 21, 22, 28: send the NOTIFICATION the decoder chose, Idle, counter + 1. */
static void fsm_msg_error(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	fsm_notify_pending(fsm);
	fsm_to_idle(fsm, ev, true);
}

/* Event 23 (OpenCollisionDump): "sends a NOTIFICATION with a Cease", Idle. */
static void fsm_collision_dump(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	fsm_notify(fsm, BGP_ERR_CEASE, BGP_CEASE_COLLISION, NULL, 0);
	fsm_to_idle(fsm, ev, true);
}

/* Event 24 (NotifMsgVerErr): Idle without touching the ConnectRetryCounter. */
static void fsm_notif_ver_err(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	fsm_to_idle(fsm, ev, false);
}

/* Events 18 and 25 in OpenConfirm/Established: Idle, counter + 1, nothing sent. */
static void fsm_conn_lost(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	fsm_to_idle(fsm, ev, true);
}

/* "Any other event": NOTIFICATION Finite State Machine Error (RFC 6608 subcode per state). */
static void fsm_unexpected(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	static const uint8_t sub[BGP_FSM_STATE_COUNT] = {
	    [BGP_FSM_OPENSENT] = BGP_ERR_FSM_OPENSENT,
	    [BGP_FSM_OPENCONFIRM] = BGP_ERR_FSM_OPENCONFIRM,
	    [BGP_FSM_ESTABLISHED] = BGP_ERR_FSM_ESTABLISHED,
	};

	if (ev != BGP_EV_NOTIF_MSG)
		fsm_notify(fsm, BGP_ERR_FSM, sub[fsm->state], NULL, 0);
	fsm_to_idle(fsm, ev, true);
}

/*
 * OpenSent, event 19 (BGPOpen): "sets the ConnectRetryTimer to zero, sends a
 * KEEPALIVE message, sets a KeepaliveTimer, sets the HoldTimer according to
 * the negotiated value, changes its state to OpenConfirm".
 */
static void fsm_open_ok(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	fsm_timer_stop(fsm, BGP_TIMER_CONNECT_RETRY);
	fsm_timer_stop(fsm, BGP_TIMER_HOLD);
	fsm_set_state(fsm, BGP_FSM_OPENCONFIRM, ev);
	fsm->ops->send_keepalive(fsm->ops_arg);
	if (fsm->hold_time) {
		fsm_timer_start(fsm, BGP_TIMER_HOLD, fsm->hold_time);
		fsm_timer_start(fsm, BGP_TIMER_KEEPALIVE, fsm->keepalive_time);
	}
}

/* Event 11 (KeepaliveTimer_Expires): "sends a KEEPALIVE message, restarts the KeepaliveTimer". */
static void fsm_send_keepalive(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	fsm->ops->send_keepalive(fsm->ops_arg);
	if (fsm->keepalive_time)
		fsm_timer_start(fsm, BGP_TIMER_KEEPALIVE, fsm->keepalive_time);
}

/* OpenConfirm, event 26 (KeepAliveMsg): "restarts the HoldTimer, changes its state to Established".
 */
static void fsm_openconfirm_keepalive(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	if (fsm->hold_time)
		fsm_timer_start(fsm, BGP_TIMER_HOLD, fsm->hold_time);
	fsm_set_state(fsm, BGP_FSM_ESTABLISHED, ev);
}

/* Established, events 26/27: "restarts its HoldTimer, if the negotiated HoldTime value is
 * non-zero". */
static void fsm_restart_hold(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	struct timeval now;

	if (!fsm->hold_time)
		return;
	/*
	 * libevent computes a timer's deadline from the loop's cached time,
	 * which stays the same for every message of one read callback: a
	 * restart at the same cached time as the last one (timer still armed
	 * for the same duration) would set the very same deadline. Skipping it
	 * saves an event_add per UPDATE during a table transfer.
	 */
	if (fsm->timer_armed[BGP_TIMER_HOLD] == (int)fsm->hold_time &&
	    timerisset(&fsm->hold_armed_at) &&
	    event_base_gettimeofday_cached(event_get_base(fsm->timers[BGP_TIMER_HOLD]), &now) ==
	        0 &&
	    now.tv_sec == fsm->hold_armed_at.tv_sec && now.tv_usec == fsm->hold_armed_at.tv_usec)
		return;
	fsm_timer_start(fsm, BGP_TIMER_HOLD, fsm->hold_time);
}

/* ---- the table (RFC 4271 8.2.2) ------------------------------------------ */

#define X fsm_unexpected
/* clang-format off */
static const bgp_fsm_action bgp_fsm_table[BGP_FSM_STATE_COUNT][BGP_EV_COUNT] = {
	/* Idle: "refuses all incoming BGP connections"; any other event is ignored. */
	[BGP_FSM_IDLE] = {
		[BGP_EV_MANUAL_START] = fsm_idle_start,                  /*  1 */
		[BGP_EV_MANUAL_STOP] = fsm_idle_stop,                    /*  2 */
		[BGP_EV_AUTOMATIC_START] = fsm_idle_start,               /*  3 */
		[BGP_EV_MANUAL_START_PASSIVE] = fsm_idle_start,          /*  4 */
		[BGP_EV_AUTOMATIC_START_PASSIVE] = fsm_idle_start,       /*  5 */
		[BGP_EV_AUTOMATIC_START_DAMP] = fsm_ignore,              /*  6 optional, never generated */
		[BGP_EV_AUTOMATIC_START_DAMP_PASSIVE] = fsm_ignore,      /*  7 optional, never generated */
		[BGP_EV_AUTOMATIC_STOP] = fsm_ignore,                    /*  8 */
		[BGP_EV_CONNECT_RETRY_TIMER_EXPIRES] = fsm_ignore,       /*  9 */
		[BGP_EV_HOLD_TIMER_EXPIRES] = fsm_ignore,                /* 10 */
		[BGP_EV_KEEPALIVE_TIMER_EXPIRES] = fsm_ignore,           /* 11 */
		[BGP_EV_DELAY_OPEN_TIMER_EXPIRES] = fsm_ignore,          /* 12 */
		[BGP_EV_IDLE_HOLD_TIMER_EXPIRES] = fsm_idle_hold_expired,/* 13 */
		[BGP_EV_TCP_CONNECTION_VALID] = fsm_ignore,              /* 14 */
		[BGP_EV_TCP_CR_INVALID] = fsm_ignore,                    /* 15 */
		[BGP_EV_TCP_CR_ACKED] = fsm_ignore,                      /* 16 */
		[BGP_EV_TCP_CONNECTION_CONFIRMED] = fsm_ignore,          /* 17 */
		[BGP_EV_TCP_CONNECTION_FAILS] = fsm_ignore,              /* 18 */
		[BGP_EV_BGP_OPEN] = fsm_ignore,                          /* 19 */
		[BGP_EV_BGP_OPEN_DELAY_OPEN] = fsm_ignore,               /* 20 */
		[BGP_EV_BGP_HEADER_ERR] = fsm_ignore,                    /* 21 */
		[BGP_EV_BGP_OPEN_MSG_ERR] = fsm_ignore,                  /* 22 */
		[BGP_EV_OPEN_COLLISION_DUMP] = fsm_ignore,               /* 23 */
		[BGP_EV_NOTIF_MSG_VER_ERR] = fsm_ignore,                 /* 24 */
		[BGP_EV_NOTIF_MSG] = fsm_ignore,                         /* 25 */
		[BGP_EV_KEEPALIVE_MSG] = fsm_ignore,                     /* 26 */
		[BGP_EV_UPDATE_MSG] = fsm_ignore,                        /* 27 */
		[BGP_EV_UPDATE_MSG_ERR] = fsm_ignore,                    /* 28 */
	},
	/* Connect: waiting for our outgoing TCP connection. */
	[BGP_FSM_CONNECT] = {
		[BGP_EV_MANUAL_START] = fsm_ignore,                      /*  1 */
		[BGP_EV_MANUAL_STOP] = fsm_manual_stop_quiet,            /*  2 */
		[BGP_EV_AUTOMATIC_START] = fsm_ignore,                   /*  3 */
		[BGP_EV_MANUAL_START_PASSIVE] = fsm_ignore,              /*  4 */
		[BGP_EV_AUTOMATIC_START_PASSIVE] = fsm_ignore,           /*  5 */
		[BGP_EV_AUTOMATIC_START_DAMP] = fsm_ignore,              /*  6 */
		[BGP_EV_AUTOMATIC_START_DAMP_PASSIVE] = fsm_ignore,      /*  7 */
		[BGP_EV_AUTOMATIC_STOP] = fsm_error_quiet,               /*  8 */
		[BGP_EV_CONNECT_RETRY_TIMER_EXPIRES] = fsm_connect_retry,/*  9 */
		[BGP_EV_HOLD_TIMER_EXPIRES] = fsm_error_quiet,           /* 10 */
		[BGP_EV_KEEPALIVE_TIMER_EXPIRES] = fsm_error_quiet,      /* 11 */
		[BGP_EV_DELAY_OPEN_TIMER_EXPIRES] = fsm_error_quiet,     /* 12 */
		[BGP_EV_IDLE_HOLD_TIMER_EXPIRES] = fsm_error_quiet,      /* 13 */
		[BGP_EV_TCP_CONNECTION_VALID] = fsm_ignore,              /* 14 */
		[BGP_EV_TCP_CR_INVALID] = fsm_ignore,                    /* 15 */
		[BGP_EV_TCP_CR_ACKED] = fsm_tcp_up,                      /* 16 */
		[BGP_EV_TCP_CONNECTION_CONFIRMED] = fsm_tcp_up,          /* 17 */
		[BGP_EV_TCP_CONNECTION_FAILS] = fsm_tcp_fail_to_active,  /* 18 */
		[BGP_EV_BGP_OPEN] = fsm_error_quiet,                     /* 19 */
		[BGP_EV_BGP_OPEN_DELAY_OPEN] = fsm_error_quiet,          /* 20 */
		[BGP_EV_BGP_HEADER_ERR] = fsm_error_quiet,               /* 21 */
		[BGP_EV_BGP_OPEN_MSG_ERR] = fsm_error_quiet,             /* 22 */
		[BGP_EV_OPEN_COLLISION_DUMP] = fsm_error_quiet,          /* 23 */
		[BGP_EV_NOTIF_MSG_VER_ERR] = fsm_error_quiet,            /* 24 */
		[BGP_EV_NOTIF_MSG] = fsm_error_quiet,                    /* 25 */
		[BGP_EV_KEEPALIVE_MSG] = fsm_error_quiet,                /* 26 */
		[BGP_EV_UPDATE_MSG] = fsm_error_quiet,                   /* 27 */
		[BGP_EV_UPDATE_MSG_ERR] = fsm_error_quiet,               /* 28 */
	},
	/* Active: listening for the peer's connection; retry ours when the timer fires. */
	[BGP_FSM_ACTIVE] = {
		[BGP_EV_MANUAL_START] = fsm_ignore,                      /*  1 */
		[BGP_EV_MANUAL_STOP] = fsm_manual_stop_quiet,            /*  2 */
		[BGP_EV_AUTOMATIC_START] = fsm_ignore,                   /*  3 */
		[BGP_EV_MANUAL_START_PASSIVE] = fsm_ignore,              /*  4 */
		[BGP_EV_AUTOMATIC_START_PASSIVE] = fsm_ignore,           /*  5 */
		[BGP_EV_AUTOMATIC_START_DAMP] = fsm_ignore,              /*  6 */
		[BGP_EV_AUTOMATIC_START_DAMP_PASSIVE] = fsm_ignore,      /*  7 */
		[BGP_EV_AUTOMATIC_STOP] = fsm_error_quiet,               /*  8 */
		[BGP_EV_CONNECT_RETRY_TIMER_EXPIRES] = fsm_active_retry, /*  9 */
		[BGP_EV_HOLD_TIMER_EXPIRES] = fsm_error_quiet,           /* 10 */
		[BGP_EV_KEEPALIVE_TIMER_EXPIRES] = fsm_error_quiet,      /* 11 */
		[BGP_EV_DELAY_OPEN_TIMER_EXPIRES] = fsm_error_quiet,     /* 12 */
		[BGP_EV_IDLE_HOLD_TIMER_EXPIRES] = fsm_error_quiet,      /* 13 */
		[BGP_EV_TCP_CONNECTION_VALID] = fsm_ignore,              /* 14 */
		[BGP_EV_TCP_CR_INVALID] = fsm_ignore,                    /* 15 */
		[BGP_EV_TCP_CR_ACKED] = fsm_tcp_up,                      /* 16 */
		[BGP_EV_TCP_CONNECTION_CONFIRMED] = fsm_tcp_up,          /* 17 */
		[BGP_EV_TCP_CONNECTION_FAILS] = fsm_error_quiet,         /* 18 */
		[BGP_EV_BGP_OPEN] = fsm_error_quiet,                     /* 19 */
		[BGP_EV_BGP_OPEN_DELAY_OPEN] = fsm_error_quiet,          /* 20 */
		[BGP_EV_BGP_HEADER_ERR] = fsm_error_quiet,               /* 21 */
		[BGP_EV_BGP_OPEN_MSG_ERR] = fsm_error_quiet,             /* 22 */
		[BGP_EV_OPEN_COLLISION_DUMP] = fsm_error_quiet,          /* 23 */
		[BGP_EV_NOTIF_MSG_VER_ERR] = fsm_error_quiet,            /* 24 */
		[BGP_EV_NOTIF_MSG] = fsm_error_quiet,                    /* 25 */
		[BGP_EV_KEEPALIVE_MSG] = fsm_error_quiet,                /* 26 */
		[BGP_EV_UPDATE_MSG] = fsm_error_quiet,                   /* 27 */
		[BGP_EV_UPDATE_MSG_ERR] = fsm_error_quiet,               /* 28 */
	},
	/* OpenSent: our OPEN is out, waiting for the peer's. */
	[BGP_FSM_OPENSENT] = {
		[BGP_EV_MANUAL_START] = fsm_ignore,                      /*  1 */
		[BGP_EV_MANUAL_STOP] = fsm_manual_stop_notify,           /*  2 */
		[BGP_EV_AUTOMATIC_START] = fsm_ignore,                   /*  3 */
		[BGP_EV_MANUAL_START_PASSIVE] = fsm_ignore,              /*  4 */
		[BGP_EV_AUTOMATIC_START_PASSIVE] = fsm_ignore,           /*  5 */
		[BGP_EV_AUTOMATIC_START_DAMP] = fsm_ignore,              /*  6 */
		[BGP_EV_AUTOMATIC_START_DAMP_PASSIVE] = fsm_ignore,      /*  7 */
		[BGP_EV_AUTOMATIC_STOP] = fsm_auto_stop_notify,          /*  8 */
		[BGP_EV_CONNECT_RETRY_TIMER_EXPIRES] = X,                /*  9 */
		[BGP_EV_HOLD_TIMER_EXPIRES] = fsm_hold_expired,          /* 10 */
		[BGP_EV_KEEPALIVE_TIMER_EXPIRES] = X,                    /* 11 */
		[BGP_EV_DELAY_OPEN_TIMER_EXPIRES] = X,                   /* 12 */
		[BGP_EV_IDLE_HOLD_TIMER_EXPIRES] = X,                    /* 13 */
		[BGP_EV_TCP_CONNECTION_VALID] = fsm_ignore,              /* 14 */
		[BGP_EV_TCP_CR_INVALID] = fsm_ignore,                    /* 15 */
		[BGP_EV_TCP_CR_ACKED] = fsm_ignore,                      /* 16 second connection: peer.c, 6.8 */
		[BGP_EV_TCP_CONNECTION_CONFIRMED] = fsm_ignore,          /* 17 second connection: peer.c, 6.8 */
		[BGP_EV_TCP_CONNECTION_FAILS] = fsm_tcp_fail_to_active,  /* 18 */
		[BGP_EV_BGP_OPEN] = fsm_open_ok,                         /* 19 */
		[BGP_EV_BGP_OPEN_DELAY_OPEN] = X,                        /* 20 */
		[BGP_EV_BGP_HEADER_ERR] = fsm_msg_error,                 /* 21 */
		[BGP_EV_BGP_OPEN_MSG_ERR] = fsm_msg_error,               /* 22 */
		[BGP_EV_OPEN_COLLISION_DUMP] = fsm_collision_dump,       /* 23 */
		[BGP_EV_NOTIF_MSG_VER_ERR] = fsm_notif_ver_err,          /* 24 */
		[BGP_EV_NOTIF_MSG] = X,                                  /* 25 */
		[BGP_EV_KEEPALIVE_MSG] = X,                              /* 26 */
		[BGP_EV_UPDATE_MSG] = X,                                 /* 27 */
		[BGP_EV_UPDATE_MSG_ERR] = X,                             /* 28 */
	},
	/* OpenConfirm: OPENs exchanged, waiting for the first KEEPALIVE. */
	[BGP_FSM_OPENCONFIRM] = {
		[BGP_EV_MANUAL_START] = fsm_ignore,                      /*  1 */
		[BGP_EV_MANUAL_STOP] = fsm_manual_stop_notify,           /*  2 */
		[BGP_EV_AUTOMATIC_START] = fsm_ignore,                   /*  3 */
		[BGP_EV_MANUAL_START_PASSIVE] = fsm_ignore,              /*  4 */
		[BGP_EV_AUTOMATIC_START_PASSIVE] = fsm_ignore,           /*  5 */
		[BGP_EV_AUTOMATIC_START_DAMP] = fsm_ignore,              /*  6 */
		[BGP_EV_AUTOMATIC_START_DAMP_PASSIVE] = fsm_ignore,      /*  7 */
		[BGP_EV_AUTOMATIC_STOP] = fsm_auto_stop_notify,          /*  8 */
		[BGP_EV_CONNECT_RETRY_TIMER_EXPIRES] = X,                /*  9 */
		[BGP_EV_HOLD_TIMER_EXPIRES] = fsm_hold_expired,          /* 10 */
		[BGP_EV_KEEPALIVE_TIMER_EXPIRES] = fsm_send_keepalive,   /* 11 */
		[BGP_EV_DELAY_OPEN_TIMER_EXPIRES] = X,                   /* 12 */
		[BGP_EV_IDLE_HOLD_TIMER_EXPIRES] = X,                    /* 13 */
		[BGP_EV_TCP_CONNECTION_VALID] = fsm_ignore,              /* 14 */
		[BGP_EV_TCP_CR_INVALID] = fsm_ignore,                    /* 15 */
		[BGP_EV_TCP_CR_ACKED] = fsm_ignore,                      /* 16 second connection: peer.c, 6.8 */
		[BGP_EV_TCP_CONNECTION_CONFIRMED] = fsm_ignore,          /* 17 second connection: peer.c, 6.8 */
		[BGP_EV_TCP_CONNECTION_FAILS] = fsm_conn_lost,           /* 18 */
		[BGP_EV_BGP_OPEN] = X,                                   /* 19 a second OPEN on this connection */
		[BGP_EV_BGP_OPEN_DELAY_OPEN] = X,                        /* 20 */
		[BGP_EV_BGP_HEADER_ERR] = fsm_msg_error,                 /* 21 */
		[BGP_EV_BGP_OPEN_MSG_ERR] = fsm_msg_error,               /* 22 */
		[BGP_EV_OPEN_COLLISION_DUMP] = fsm_collision_dump,       /* 23 */
		[BGP_EV_NOTIF_MSG_VER_ERR] = fsm_notif_ver_err,          /* 24 */
		[BGP_EV_NOTIF_MSG] = fsm_conn_lost,                      /* 25 */
		[BGP_EV_KEEPALIVE_MSG] = fsm_openconfirm_keepalive,      /* 26 */
		[BGP_EV_UPDATE_MSG] = X,                                 /* 27 */
		[BGP_EV_UPDATE_MSG_ERR] = X,                             /* 28 */
	},
	/* Established: UPDATEs flow. */
	[BGP_FSM_ESTABLISHED] = {
		[BGP_EV_MANUAL_START] = fsm_ignore,                      /*  1 */
		[BGP_EV_MANUAL_STOP] = fsm_manual_stop_notify,           /*  2 */
		[BGP_EV_AUTOMATIC_START] = fsm_ignore,                   /*  3 */
		[BGP_EV_MANUAL_START_PASSIVE] = fsm_ignore,              /*  4 */
		[BGP_EV_AUTOMATIC_START_PASSIVE] = fsm_ignore,           /*  5 */
		[BGP_EV_AUTOMATIC_START_DAMP] = fsm_ignore,              /*  6 */
		[BGP_EV_AUTOMATIC_START_DAMP_PASSIVE] = fsm_ignore,      /*  7 */
		[BGP_EV_AUTOMATIC_STOP] = fsm_auto_stop_notify,          /*  8 */
		[BGP_EV_CONNECT_RETRY_TIMER_EXPIRES] = X,                /*  9 */
		[BGP_EV_HOLD_TIMER_EXPIRES] = fsm_hold_expired,          /* 10 */
		[BGP_EV_KEEPALIVE_TIMER_EXPIRES] = fsm_send_keepalive,   /* 11 */
		[BGP_EV_DELAY_OPEN_TIMER_EXPIRES] = X,                   /* 12 */
		[BGP_EV_IDLE_HOLD_TIMER_EXPIRES] = X,                    /* 13 */
		[BGP_EV_TCP_CONNECTION_VALID] = fsm_ignore,              /* 14 */
		[BGP_EV_TCP_CR_INVALID] = fsm_ignore,                    /* 15 */
		[BGP_EV_TCP_CR_ACKED] = fsm_ignore,                      /* 16 second connection: peer.c, 6.8 */
		[BGP_EV_TCP_CONNECTION_CONFIRMED] = fsm_ignore,          /* 17 second connection: peer.c, 6.8 */
		[BGP_EV_TCP_CONNECTION_FAILS] = fsm_conn_lost,           /* 18 */
		[BGP_EV_BGP_OPEN] = X,                                   /* 19 an OPEN on an established connection */
		[BGP_EV_BGP_OPEN_DELAY_OPEN] = X,                        /* 20 */
		[BGP_EV_BGP_HEADER_ERR] = fsm_msg_error,                 /* 21 */
		[BGP_EV_BGP_OPEN_MSG_ERR] = fsm_msg_error,               /* 22 */
		[BGP_EV_OPEN_COLLISION_DUMP] = fsm_collision_dump,       /* 23 */
		[BGP_EV_NOTIF_MSG_VER_ERR] = fsm_conn_lost,              /* 24 */
		[BGP_EV_NOTIF_MSG] = fsm_conn_lost,                      /* 25 */
		[BGP_EV_KEEPALIVE_MSG] = fsm_restart_hold,               /* 26 */
		[BGP_EV_UPDATE_MSG] = fsm_restart_hold,                  /* 27 */
		[BGP_EV_UPDATE_MSG_ERR] = fsm_msg_error,                 /* 28 */
	},
};
/* clang-format on */
#undef X

/* ---- entry points ------------------------------------------------------ */

void bgp_fsm_event(struct bgp_fsm *fsm, enum bgp_fsm_event ev)
{
	bgp_fsm_action act;

	if (ev <= 0 || ev >= BGP_EV_COUNT || fsm->state >= BGP_FSM_STATE_COUNT)
		return;
	fsm->last_event = ev;
	act = bgp_fsm_table[fsm->state][ev];
	if (act)
		act(fsm, ev);
}

void bgp_fsm_error(struct bgp_fsm *fsm, enum bgp_fsm_event ev, uint8_t code, uint8_t subcode,
                   const void *data, size_t len)
{
	fsm->pend_code = code;
	fsm->pend_subcode = subcode;
	fsm->pend_len = len < sizeof(fsm->pend_data) ? len : sizeof(fsm->pend_data);
	if (fsm->pend_len)
		memcpy(fsm->pend_data, data, fsm->pend_len);
	bgp_fsm_event(fsm, ev);
	fsm->pend_code = 0;
	fsm->pend_len = 0;
}

/* RFC 4271 4.2 and 6.2: Hold Time negotiation. */
void bgp_fsm_open_received(struct bgp_fsm *fsm, uint16_t peer_hold_time)
{
	uint16_t hold, ka;

	fsm->peer_hold_time = peer_hold_time;
	if (peer_hold_time == 1 || peer_hold_time == 2) {
		/* RFC 4271 6.2: "An implementation MUST reject Hold Time values of one or two
		 * seconds." */
		bgp_fsm_error(fsm, BGP_EV_BGP_OPEN_MSG_ERR, BGP_ERR_OPEN, BGP_ERR_OPEN_HOLD_TIME,
		              NULL, 0);
		return;
	}
	hold = peer_hold_time < fsm->cfg.hold_time ? peer_hold_time : fsm->cfg.hold_time;
	ka = hold / 3;
	if (fsm->cfg.keepalive_time && fsm->cfg.keepalive_time < ka)
		ka = fsm->cfg.keepalive_time;
	if (hold && !ka)
		ka = 1;
	fsm->hold_time = hold;
	fsm->keepalive_time = hold ? ka : 0;
	bgp_fsm_event(fsm, BGP_EV_BGP_OPEN);
}

void bgp_fsm_notification_received(struct bgp_fsm *fsm, uint8_t code, uint8_t subcode)
{
	fsm->last_err_code = code;
	fsm->last_err_subcode = subcode;
	fsm->last_err_sent = false;
	/* RFC 4271 8.1.5: NotifMsgVerErr is a NOTIFICATION with "unsupported version number". */
	if (code == BGP_ERR_OPEN && subcode == BGP_ERR_OPEN_VERSION)
		bgp_fsm_event(fsm, BGP_EV_NOTIF_MSG_VER_ERR);
	else
		bgp_fsm_event(fsm, BGP_EV_NOTIF_MSG);
}

/*
 * RFC 4271 6.8: "If the value of the local BGP Identifier is less than the
 * remote one, the local system closes the BGP connection that already exists
 * (the one that is already in the OpenConfirm state), and accepts the BGP
 * connection initiated by the remote system." Put the other way round: the
 * connection initiated by the speaker with the higher identifier survives.
 */
bool bgp_fsm_collision_loser(uint32_t local_id, uint32_t remote_id, bool outbound)
{
	if (local_id < remote_id)
		return outbound;
	return !outbound;
}

int bgp_fsm_init(struct bgp_fsm *fsm, struct event_base *base, const struct bgp_fsm_config *cfg,
                 const struct bgp_fsm_ops *ops, void *ops_arg)
{
	int t, err = 0;

	memset(fsm, 0, sizeof(*fsm));
	fsm->state = BGP_FSM_IDLE;
	fsm->cfg = *cfg;
	fsm->ops = ops;
	fsm->ops_arg = ops_arg;
	fsm->idle_hold_cur = cfg->idle_hold_time;
	if (cfg->hold_time == 1 || cfg->hold_time == 2) {
		err = -EINVAL;
		goto out;
	}
	if (!fsm->cfg.connect_retry_time)
		fsm->cfg.connect_retry_time = 120;
	for (t = 0; t < BGP_TIMER_COUNT; t++) {
		fsm->timer_armed[t] = -1;
		fsm->timer_ctx[t].fsm = fsm;
		fsm->timer_ctx[t].t = t;
		fsm->timers[t] = evtimer_new(base, fsm_timer_cb, &fsm->timer_ctx[t]);
		if (!fsm->timers[t]) {
			err = -ENOMEM;
			goto out;
		}
	}
out:
	if (err)
		bgp_fsm_fini(fsm);
	return err;
}

void bgp_fsm_fini(struct bgp_fsm *fsm)
{
	int t;

	for (t = 0; t < BGP_TIMER_COUNT; t++) {
		if (fsm->timers[t])
			event_free(fsm->timers[t]);
		fsm->timers[t] = NULL;
		fsm->timer_armed[t] = -1;
	}
}

/* ---- names ------------------------------------------------------------- */

const char *bgp_fsm_state_name(enum bgp_fsm_state s)
{
	static const char *const names[BGP_FSM_STATE_COUNT] = {
	    "Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established",
	};

	return s < BGP_FSM_STATE_COUNT ? names[s] : "?";
}

const char *bgp_fsm_event_name(enum bgp_fsm_event ev)
{
	static const char *const names[BGP_EV_COUNT] = {
	    [1] = "ManualStart",
	    [2] = "ManualStop",
	    [3] = "AutomaticStart",
	    [4] = "ManualStart_with_PassiveTcpEstablishment",
	    [5] = "AutomaticStart_with_PassiveTcpEstablishment",
	    [6] = "AutomaticStart_with_DampPeerOscillations",
	    [7] = "AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment",
	    [8] = "AutomaticStop",
	    [9] = "ConnectRetryTimer_Expires",
	    [10] = "HoldTimer_Expires",
	    [11] = "KeepaliveTimer_Expires",
	    [12] = "DelayOpenTimer_Expires",
	    [13] = "IdleHoldTimer_Expires",
	    [14] = "TcpConnection_Valid",
	    [15] = "Tcp_CR_Invalid",
	    [16] = "Tcp_CR_Acked",
	    [17] = "TcpConnectionConfirmed",
	    [18] = "TcpConnectionFails",
	    [19] = "BGPOpen",
	    [20] = "BGPOpen with DelayOpenTimer running",
	    [21] = "BGPHeaderErr",
	    [22] = "BGPOpenMsgErr",
	    [23] = "OpenCollisionDump",
	    [24] = "NotifMsgVerErr",
	    [25] = "NotifMsg",
	    [26] = "KeepAliveMsg",
	    [27] = "UpdateMsg",
	    [28] = "UpdateMsgErr",
	};

	return ev > 0 && ev < BGP_EV_COUNT ? names[ev] : "?";
}
