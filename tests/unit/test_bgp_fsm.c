/*
 * DOC: unit tests for the BGP FSM (bgp/fsm.c), RFC 4271 section 8.
 *
 * The FSM is driven event by event without sockets: the ops callbacks record
 * what the FSM asked for (connect, drop, OPEN, KEEPALIVE, NOTIFICATION, up,
 * down) and the tests check states, timers and messages after each event.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "../../bgp/fsm.h"

struct rec {
	int connects, drops, opens, keepalives, notifs, ups, downs, changes;
	uint8_t code, subcode;
	uint8_t data[64];
	size_t data_len;
};

static void rec_connect(void *arg)
{
	((struct rec *)arg)->connects++;
}
static void rec_drop(void *arg)
{
	((struct rec *)arg)->drops++;
}
static void rec_open(void *arg)
{
	((struct rec *)arg)->opens++;
}
static void rec_keepalive(void *arg)
{
	((struct rec *)arg)->keepalives++;
}
static void rec_notify(void *arg, uint8_t code, uint8_t subcode, const uint8_t *data, size_t len)
{
	struct rec *r = arg;

	r->notifs++;
	r->code = code;
	r->subcode = subcode;
	r->data_len = len < sizeof(r->data) ? len : sizeof(r->data);
	if (r->data_len)
		memcpy(r->data, data, r->data_len);
}
static void rec_up(void *arg)
{
	((struct rec *)arg)->ups++;
}
static void rec_down(void *arg)
{
	((struct rec *)arg)->downs++;
}
static void rec_change(void *arg, enum bgp_fsm_state from, enum bgp_fsm_state to,
                       enum bgp_fsm_event ev)
{
	((struct rec *)arg)->changes++;
}

static const struct bgp_fsm_ops rec_ops = {
    .connect = rec_connect,
    .drop = rec_drop,
    .send_open = rec_open,
    .send_keepalive = rec_keepalive,
    .send_notification = rec_notify,
    .established = rec_up,
    .down = rec_down,
    .state_change = rec_change,
};

struct fx {
	struct event_base *base;
	struct bgp_fsm fsm;
	struct rec rec;
};

static struct fx *fx_new(uint16_t hold, bool passive)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct bgp_fsm_config cfg = {
	    .hold_time = hold,
	    .connect_retry_time = 2,
	    .idle_hold_time = 1,
	    .passive = passive,
	    .auto_restart = true,
	};

	assert_non_null(f);
	f->base = event_base_new();
	assert_non_null(f->base);
	assert_int_equal(bgp_fsm_init(&f->fsm, f->base, &cfg, &rec_ops, &f->rec), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	bgp_fsm_fini(&f->fsm);
	event_base_free(f->base);
	free(f);
}

/* Drive an active FSM to Established; the peer proposes peer_hold. */
static void fx_establish(struct fx *f, uint16_t peer_hold)
{
	bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_START);
	bgp_fsm_event(&f->fsm, BGP_EV_TCP_CR_ACKED);
	bgp_fsm_open_received(&f->fsm, peer_hold);
	bgp_fsm_event(&f->fsm, BGP_EV_KEEPALIVE_MSG);
	assert_int_equal(f->fsm.state, BGP_FSM_ESTABLISHED);
}

static void test_start_connect(void **state)
{
	struct fx *f = fx_new(90, false);

	assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
	bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_START);
	assert_int_equal(f->fsm.state, BGP_FSM_CONNECT);
	assert_int_equal(f->rec.connects, 1);
	/* Armed for 2 s; the rounding up of a cached clock may read 3 on a busy machine. */
	assert_in_range(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_CONNECT_RETRY), 2, 3);
	assert_int_equal(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_HOLD), -1);
	/* Start again in Connect: ignored. */
	bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_START);
	assert_int_equal(f->rec.connects, 1);

	/* Tcp_CR_Acked: OPEN, large hold timer, OpenSent, ConnectRetryTimer stopped. */
	bgp_fsm_event(&f->fsm, BGP_EV_TCP_CR_ACKED);
	assert_int_equal(f->fsm.state, BGP_FSM_OPENSENT);
	assert_int_equal(f->rec.opens, 1);
	assert_int_equal(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_HOLD), BGP_FSM_LARGE_HOLD_TIME);
	assert_int_equal(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_CONNECT_RETRY), -1);

	/* BGPOpen: KEEPALIVE, negotiated timers, OpenConfirm. */
	bgp_fsm_open_received(&f->fsm, 9);
	assert_int_equal(f->fsm.state, BGP_FSM_OPENCONFIRM);
	assert_int_equal(f->rec.keepalives, 1);
	assert_int_equal(f->fsm.hold_time, 9);
	assert_int_equal(f->fsm.keepalive_time, 3);
	assert_int_equal(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_HOLD), 9);
	assert_int_equal(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_KEEPALIVE), 3);

	/* KeepAliveMsg: Established, established callback once. */
	bgp_fsm_event(&f->fsm, BGP_EV_KEEPALIVE_MSG);
	assert_int_equal(f->fsm.state, BGP_FSM_ESTABLISHED);
	assert_int_equal(f->rec.ups, 1);
	assert_int_equal(f->rec.downs, 0);

	/* KeepaliveTimer_Expires: a KEEPALIVE and the timer again. */
	bgp_fsm_event(&f->fsm, BGP_EV_KEEPALIVE_TIMER_EXPIRES);
	assert_int_equal(f->rec.keepalives, 2);
	assert_int_equal(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_KEEPALIVE), 3);
	assert_int_equal(f->rec.notifs, 0);
	fx_free(f);
}

static void test_hold_expiry(void **state)
{
	struct fx *f = fx_new(90, false);

	fx_establish(f, 90);
	bgp_fsm_event(&f->fsm, BGP_EV_HOLD_TIMER_EXPIRES);
	assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
	assert_int_equal(f->rec.notifs, 1);
	assert_int_equal(f->rec.code, BGP_ERR_HOLD_TIMER);
	assert_int_equal(f->rec.subcode, 0);
	assert_int_equal(f->rec.downs, 1);
	assert_true(f->rec.drops >= 1);
	assert_int_equal(f->fsm.connect_retry_counter, 1);
	assert_int_equal(f->fsm.last_err_code, BGP_ERR_HOLD_TIMER);
	assert_true(f->fsm.last_err_sent);
	/* Automatic restart after IdleHoldTime; every other timer stopped. */
	assert_int_equal(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_IDLE_HOLD), 1);
	assert_int_equal(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_HOLD), -1);
	assert_int_equal(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_KEEPALIVE), -1);
	bgp_fsm_event(&f->fsm, BGP_EV_IDLE_HOLD_TIMER_EXPIRES);
	assert_int_equal(f->fsm.state, BGP_FSM_CONNECT);
	assert_int_equal(f->rec.connects, 2);
	fx_free(f);
}

static void test_hold_in_opensent(void **state)
{
	struct fx *f = fx_new(90, false);

	bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_START);
	bgp_fsm_event(&f->fsm, BGP_EV_TCP_CR_ACKED);
	bgp_fsm_event(&f->fsm, BGP_EV_HOLD_TIMER_EXPIRES);
	assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
	assert_int_equal(f->rec.code, BGP_ERR_HOLD_TIMER);
	assert_int_equal(f->rec.downs, 0); /* never was up */
	fx_free(f);
}

static void test_hold_negotiation(void **state)
{
	struct fx *f;

	/* Smaller of both (RFC 4271 4.2). */
	f = fx_new(9, false);
	fx_establish(f, 180);
	assert_int_equal(f->fsm.hold_time, 9);
	assert_int_equal(f->fsm.keepalive_time, 3);
	fx_free(f);

	/* Zero: no hold timer and no keepalives. */
	f = fx_new(90, false);
	fx_establish(f, 0);
	assert_int_equal(f->fsm.hold_time, 0);
	assert_int_equal(f->fsm.keepalive_time, 0);
	assert_int_equal(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_HOLD), -1);
	assert_int_equal(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_KEEPALIVE), -1);
	bgp_fsm_event(&f->fsm, BGP_EV_UPDATE_MSG);
	assert_int_equal(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_HOLD), -1);
	fx_free(f);

	/* Smallest legal: 3 s hold, 1 s keepalive. */
	f = fx_new(3, false);
	fx_establish(f, 240);
	assert_int_equal(f->fsm.keepalive_time, 1);
	fx_free(f);

	/* 1 and 2 are rejected with OPEN Message Error / Unacceptable Hold Time (6.2). */
	for (uint16_t bad = 1; bad <= 2; bad++) {
		f = fx_new(90, false);
		bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_START);
		bgp_fsm_event(&f->fsm, BGP_EV_TCP_CR_ACKED);
		bgp_fsm_open_received(&f->fsm, bad);
		assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
		assert_int_equal(f->rec.code, BGP_ERR_OPEN);
		assert_int_equal(f->rec.subcode, BGP_ERR_OPEN_HOLD_TIME);
		assert_int_equal(f->rec.keepalives, 0);
		fx_free(f);
	}
}

static void test_init_rejects_bad_hold(void **state)
{
	struct event_base *base = event_base_new();
	struct bgp_fsm fsm;
	struct rec r = {0};
	struct bgp_fsm_config cfg = {.hold_time = 2, .connect_retry_time = 1};

	assert_int_equal(bgp_fsm_init(&fsm, base, &cfg, &rec_ops, &r), -EINVAL);
	event_base_free(base);
}

static void test_connect_fail_and_retry(void **state)
{
	struct fx *f = fx_new(90, false);

	bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_START);
	bgp_fsm_event(&f->fsm, BGP_EV_TCP_CONNECTION_FAILS);
	assert_int_equal(f->fsm.state, BGP_FSM_ACTIVE);
	assert_int_equal(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_CONNECT_RETRY), 2);
	bgp_fsm_event(&f->fsm, BGP_EV_CONNECT_RETRY_TIMER_EXPIRES);
	assert_int_equal(f->fsm.state, BGP_FSM_CONNECT);
	assert_int_equal(f->rec.connects, 2);
	/* ConnectRetryTimer_Expires in Connect: drop and connect again. */
	bgp_fsm_event(&f->fsm, BGP_EV_CONNECT_RETRY_TIMER_EXPIRES);
	assert_int_equal(f->fsm.state, BGP_FSM_CONNECT);
	assert_int_equal(f->rec.connects, 3);
	/* An incoming connection in Active goes straight to OpenSent. */
	bgp_fsm_event(&f->fsm, BGP_EV_TCP_CONNECTION_FAILS);
	bgp_fsm_event(&f->fsm, BGP_EV_TCP_CONNECTION_CONFIRMED);
	assert_int_equal(f->fsm.state, BGP_FSM_OPENSENT);
	assert_int_equal(f->rec.opens, 1);
	/* The connection fails in OpenSent: back to Active. */
	bgp_fsm_event(&f->fsm, BGP_EV_TCP_CONNECTION_FAILS);
	assert_int_equal(f->fsm.state, BGP_FSM_ACTIVE);
	assert_int_equal(f->rec.notifs, 0);
	fx_free(f);
}

static void test_passive(void **state)
{
	struct fx *f = fx_new(90, true);

	bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_START);
	assert_int_equal(f->fsm.state, BGP_FSM_ACTIVE);
	assert_int_equal(f->rec.connects, 0);
	bgp_fsm_event(&f->fsm, BGP_EV_CONNECT_RETRY_TIMER_EXPIRES);
	assert_int_equal(f->fsm.state, BGP_FSM_ACTIVE);
	assert_int_equal(f->rec.connects, 0);
	bgp_fsm_event(&f->fsm, BGP_EV_TCP_CONNECTION_CONFIRMED);
	assert_int_equal(f->fsm.state, BGP_FSM_OPENSENT);
	fx_free(f);

	/* Event 4 makes a configured-active FSM passive for this start. */
	f = fx_new(90, false);
	bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_START_PASSIVE);
	assert_int_equal(f->fsm.state, BGP_FSM_ACTIVE);
	assert_int_equal(f->rec.connects, 0);
	fx_free(f);
}

static void test_manual_stop(void **state)
{
	struct fx *f = fx_new(90, false);

	fx_establish(f, 90);
	bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_STOP);
	assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
	assert_int_equal(f->rec.code, BGP_ERR_CEASE);
	assert_int_equal(f->rec.subcode, BGP_CEASE_ADMIN_SHUTDOWN);
	assert_int_equal(f->rec.downs, 1);
	assert_int_equal(f->fsm.connect_retry_counter, 0);
	/* No automatic restart after an administrative stop. */
	assert_int_equal(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_IDLE_HOLD), -1);
	bgp_fsm_event(&f->fsm, BGP_EV_AUTOMATIC_START);
	assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
	bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_START);
	assert_int_equal(f->fsm.state, BGP_FSM_CONNECT);
	/* ManualStop in Connect: quiet. */
	bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_STOP);
	assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
	assert_int_equal(f->rec.notifs, 1);
	fx_free(f);
}

static void test_auto_stop_max_prefix(void **state)
{
	struct fx *f = fx_new(90, false);

	fx_establish(f, 90);
	/* Maximum prefixes: AutomaticStop with Cease/1 and the limit as data (RFC 4486 4). */
	bgp_fsm_error(&f->fsm, BGP_EV_AUTOMATIC_STOP, BGP_ERR_CEASE, BGP_CEASE_MAX_PREFIX,
	              "\x01\x00\x01\x00\x00\x00\x0a", 7);
	assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
	assert_int_equal(f->rec.code, BGP_ERR_CEASE);
	assert_int_equal(f->rec.subcode, BGP_CEASE_MAX_PREFIX);
	assert_int_equal(f->rec.data_len, 7);
	assert_int_equal(f->fsm.connect_retry_counter, 1);
	assert_int_equal(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_IDLE_HOLD), 1);
	fx_free(f);
}

static void test_update_error(void **state)
{
	struct fx *f = fx_new(90, false);
	const uint8_t bad_attr[] = {0x40, 0x01, 0x01, 0x07};

	fx_establish(f, 90);
	bgp_fsm_event(&f->fsm, BGP_EV_UPDATE_MSG);
	assert_int_equal(f->fsm.state, BGP_FSM_ESTABLISHED);
	bgp_fsm_error(&f->fsm, BGP_EV_UPDATE_MSG_ERR, BGP_ERR_UPDATE, BGP_ERR_UPD_ORIGIN, bad_attr,
	              sizeof(bad_attr));
	assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
	assert_int_equal(f->rec.code, BGP_ERR_UPDATE);
	assert_int_equal(f->rec.subcode, BGP_ERR_UPD_ORIGIN);
	assert_int_equal(f->rec.data_len, sizeof(bad_attr));
	assert_memory_equal(f->rec.data, bad_attr, sizeof(bad_attr));
	fx_free(f);
}

static void test_unexpected_events(void **state)
{
	struct fx *f;

	/* KEEPALIVE in OpenSent: FSM Error, "Receive Unexpected Message in OpenSent State". */
	f = fx_new(90, false);
	bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_START);
	bgp_fsm_event(&f->fsm, BGP_EV_TCP_CR_ACKED);
	bgp_fsm_event(&f->fsm, BGP_EV_KEEPALIVE_MSG);
	assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
	assert_int_equal(f->rec.code, BGP_ERR_FSM);
	assert_int_equal(f->rec.subcode, BGP_ERR_FSM_OPENSENT);
	fx_free(f);

	/* UPDATE in OpenConfirm. */
	f = fx_new(90, false);
	bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_START);
	bgp_fsm_event(&f->fsm, BGP_EV_TCP_CR_ACKED);
	bgp_fsm_open_received(&f->fsm, 90);
	bgp_fsm_event(&f->fsm, BGP_EV_UPDATE_MSG);
	assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
	assert_int_equal(f->rec.code, BGP_ERR_FSM);
	assert_int_equal(f->rec.subcode, BGP_ERR_FSM_OPENCONFIRM);
	fx_free(f);

	/* A second OPEN on an established connection. */
	f = fx_new(90, false);
	fx_establish(f, 90);
	bgp_fsm_open_received(&f->fsm, 90);
	assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
	assert_int_equal(f->rec.code, BGP_ERR_FSM);
	assert_int_equal(f->rec.subcode, BGP_ERR_FSM_ESTABLISHED);
	assert_int_equal(f->rec.downs, 1);
	fx_free(f);
}

static void test_notification_received(void **state)
{
	struct fx *f;

	f = fx_new(90, false);
	fx_establish(f, 90);
	bgp_fsm_notification_received(&f->fsm, BGP_ERR_CEASE, BGP_CEASE_ADMIN_RESET);
	assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
	assert_int_equal(f->rec.notifs, 0); /* nothing sent back */
	assert_int_equal(f->fsm.last_err_code, BGP_ERR_CEASE);
	assert_int_equal(f->fsm.last_err_subcode, BGP_CEASE_ADMIN_RESET);
	assert_false(f->fsm.last_err_sent);
	assert_int_equal(f->fsm.connect_retry_counter, 1);
	fx_free(f);

	/* NotifMsgVerErr in OpenSent: Idle, ConnectRetryCounter untouched. */
	f = fx_new(90, false);
	bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_START);
	bgp_fsm_event(&f->fsm, BGP_EV_TCP_CR_ACKED);
	bgp_fsm_notification_received(&f->fsm, BGP_ERR_OPEN, BGP_ERR_OPEN_VERSION);
	assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
	assert_int_equal(f->fsm.connect_retry_counter, 0);
	assert_int_equal(f->rec.notifs, 0);
	fx_free(f);
}

static void test_collision(void **state)
{
	struct fx *f;

	/* RFC 4271 6.8: the connection opened by the higher identifier survives. */
	assert_true(bgp_fsm_collision_loser(1, 2, true));   /* we are lower: drop ours */
	assert_false(bgp_fsm_collision_loser(1, 2, false)); /* ... keep theirs */
	assert_false(bgp_fsm_collision_loser(2, 1, true));  /* we are higher: keep ours */
	assert_true(bgp_fsm_collision_loser(2, 1, false));  /* ... drop theirs */

	/* OpenCollisionDump in OpenConfirm: Cease / Connection Collision Resolution. */
	f = fx_new(90, false);
	bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_START);
	bgp_fsm_event(&f->fsm, BGP_EV_TCP_CR_ACKED);
	bgp_fsm_open_received(&f->fsm, 90);
	assert_int_equal(f->fsm.state, BGP_FSM_OPENCONFIRM);
	/* A second TCP connection does not disturb this one (peer.c resolves 6.8). */
	bgp_fsm_event(&f->fsm, BGP_EV_TCP_CONNECTION_CONFIRMED);
	assert_int_equal(f->fsm.state, BGP_FSM_OPENCONFIRM);
	bgp_fsm_event(&f->fsm, BGP_EV_OPEN_COLLISION_DUMP);
	assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
	assert_int_equal(f->rec.code, BGP_ERR_CEASE);
	assert_int_equal(f->rec.subcode, BGP_CEASE_COLLISION);
	fx_free(f);

	/* ... and in OpenSent. */
	f = fx_new(90, false);
	bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_START);
	bgp_fsm_event(&f->fsm, BGP_EV_TCP_CR_ACKED);
	bgp_fsm_event(&f->fsm, BGP_EV_OPEN_COLLISION_DUMP);
	assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
	assert_int_equal(f->rec.subcode, BGP_CEASE_COLLISION);
	fx_free(f);
}

static void test_idle_hold_backoff(void **state)
{
	struct fx *f = fx_new(90, false);
	int expect[] = {1, 2, 4, 8};

	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		bgp_fsm_event(&f->fsm,
		              i == 0 ? BGP_EV_MANUAL_START : BGP_EV_IDLE_HOLD_TIMER_EXPIRES);
		assert_int_equal(f->fsm.state, BGP_FSM_CONNECT);
		bgp_fsm_event(&f->fsm, BGP_EV_TCP_CR_ACKED);
		bgp_fsm_event(&f->fsm, BGP_EV_BGP_HEADER_ERR);
		assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
		assert_int_equal(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_IDLE_HOLD), expect[i]);
	}
	/* Incoming connections are refused in Idle: the event changes nothing. */
	bgp_fsm_event(&f->fsm, BGP_EV_TCP_CONNECTION_CONFIRMED);
	assert_int_equal(f->fsm.state, BGP_FSM_IDLE);
	/* A manual start resets the backoff. */
	bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_START);
	bgp_fsm_event(&f->fsm, BGP_EV_TCP_CR_ACKED);
	bgp_fsm_event(&f->fsm, BGP_EV_BGP_HEADER_ERR);
	assert_int_equal(bgp_fsm_timer_remaining(&f->fsm, BGP_TIMER_IDLE_HOLD), 1);
	fx_free(f);
}

/* The timers are real libevent timers: a 1 s ConnectRetryTimer fires by itself. */
static void test_real_timer(void **state)
{
	struct fx *f = fx_new(90, false);

	f->fsm.cfg.connect_retry_time = 1;
	bgp_fsm_event(&f->fsm, BGP_EV_MANUAL_START);
	assert_int_equal(f->rec.connects, 1);
	event_base_loop(f->base, EVLOOP_ONCE);
	assert_int_equal(f->fsm.state, BGP_FSM_CONNECT);
	assert_int_equal(f->rec.connects, 2);
	assert_true(f->rec.drops >= 1);
	fx_free(f);
}

struct upd_ctx {
	struct fx *f;
	struct event *ev;
	int ticks;
};

/* A burst of UPDATEs per loop iteration, as one read brings them. */
static void upd_tick(evutil_socket_t fd, short what, void *arg)
{
	struct upd_ctx *u = arg;

	for (int i = 0; i < 100; i++) {
		bgp_fsm_event(&u->f->fsm, BGP_EV_UPDATE_MSG);
		/* Restarted for the full HoldTime, not once and then left to run down. */
		assert_int_equal(bgp_fsm_timer_remaining(&u->f->fsm, BGP_TIMER_HOLD), 3);
	}
	if (++u->ticks == 8)
		event_base_loopbreak(u->f->base);
}

/*
 * RFC 4271 8.2.2 Established, event 27: every UPDATE restarts the HoldTimer
 * (restarts within one loop iteration are coalesced): 4 s of UPDATEs every
 * 0.5 s keep a session with a 3 s HoldTime up.
 */
static void test_hold_restart_by_updates(void **state)
{
	struct fx *f = fx_new(3, false);
	struct timeval half = {.tv_sec = 0, .tv_usec = 500000};
	struct upd_ctx u = {.f = f};

	fx_establish(f, 3);
	assert_int_equal(f->fsm.hold_time, 3);
	u.ev = event_new(f->base, -1, EV_PERSIST, upd_tick, &u);
	assert_non_null(u.ev);
	event_add(u.ev, &half);
	event_base_dispatch(f->base);
	assert_int_equal(u.ticks, 8);
	assert_int_equal(f->fsm.state, BGP_FSM_ESTABLISHED);
	assert_int_equal(f->rec.downs, 0);
	assert_int_equal(f->rec.notifs, 0);
	event_free(u.ev);
	fx_free(f);
}

static void test_names(void **state)
{
	assert_string_equal(bgp_fsm_state_name(BGP_FSM_OPENCONFIRM), "OpenConfirm");
	assert_string_equal(bgp_fsm_event_name(BGP_EV_HOLD_TIMER_EXPIRES), "HoldTimer_Expires");
	assert_string_equal(bgp_fsm_event_name(BGP_EV_UPDATE_MSG_ERR), "UpdateMsgErr");
	for (int ev = 1; ev < BGP_EV_COUNT; ev++)
		assert_non_null(bgp_fsm_event_name(ev));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_start_connect),
	    cmocka_unit_test(test_hold_expiry),
	    cmocka_unit_test(test_hold_in_opensent),
	    cmocka_unit_test(test_hold_negotiation),
	    cmocka_unit_test(test_init_rejects_bad_hold),
	    cmocka_unit_test(test_connect_fail_and_retry),
	    cmocka_unit_test(test_passive),
	    cmocka_unit_test(test_manual_stop),
	    cmocka_unit_test(test_auto_stop_max_prefix),
	    cmocka_unit_test(test_update_error),
	    cmocka_unit_test(test_unexpected_events),
	    cmocka_unit_test(test_notification_received),
	    cmocka_unit_test(test_collision),
	    cmocka_unit_test(test_idle_hold_backoff),
	    cmocka_unit_test(test_real_timer),
	    cmocka_unit_test(test_hold_restart_by_updates),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
