/*
 * DOC: unit test of a whole session over a socket pair: the speaker (bgp/,
 * driven by its own libevent loop) against bytes the test writes and reads
 * itself. Covers the Extended Message capability (RFC 8654): we advertise it
 * in every OPEN; an UPDATE longer than 4096 octets is accepted once both
 * sides advertised it, and is a Bad Message Length (RFC 4271 6.1) otherwise.
 * Also a burst of one-prefix UPDATEs in one read (the prefetching, batching
 * receive path) against the counters.
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <event2/event.h>

#include "../../bgp/peer.h"

struct sx {
	struct event_base *base;
	struct bgp_speaker *sp;
	struct bgp_peer *peer;
	int fd; /* our end */
	uint8_t in[70000];
	size_t in_len;
	uint8_t body[70000]; /* body of the last message sx_recv() returned */
	size_t body_len;
};

static void sx_pump(struct sx *s)
{
	event_base_loop(s->base, EVLOOP_NONBLOCK);
}

static void sx_send(struct sx *s, const uint8_t *m, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(s->fd, m + off, len - off);
		if (n < 0 && errno == EAGAIN) {
			sx_pump(s); /* the speaker reads and makes room */
			continue;
		}
		assert_true(n > 0);
		off += (size_t)n;
	}
}

/* The next message from the speaker (type returned, body in s->in), or -1 after 3 s. */
static int sx_recv(struct sx *s)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (s->in_len >= 19) {
			size_t len = (size_t)s->in[16] << 8 | s->in[17];
			if (s->in_len >= len) {
				int type = s->in[18];
				s->body_len = len - 19;
				memcpy(s->body, s->in + 19, s->body_len);
				memmove(s->in, s->in + len, s->in_len - len);
				s->in_len -= len;
				return type;
			}
		}
		sx_pump(s);
		ssize_t n = recv(s->fd, s->in + s->in_len, sizeof(s->in) - s->in_len, MSG_DONTWAIT);
		if (n > 0) {
			s->in_len += (size_t)n;
			continue;
		}
		if (n == 0)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= 3)
			return -1;
		poll(NULL, 0, 1);
	}
}

static size_t sx_header(uint8_t *m, size_t len, uint8_t type)
{
	memset(m, 0xff, 16);
	m[16] = (uint8_t)(len >> 8);
	m[17] = (uint8_t)len;
	m[18] = type;
	return 19;
}

/* OPEN from AS 65002, id 198.18.0.2, hold 90: MP IPv4 unicast, 4-octet AS, maybe RFC 8654. */
static void sx_send_open(struct sx *s, bool ext)
{
	uint8_t m[64], *p = m + 19;
	uint8_t caps[] = {1, 4, 0, 1, 0, 1, 65, 4, 0, 0, 0xfd, 0xea, 6, 0};
	size_t ncaps = ext ? sizeof(caps) : sizeof(caps) - 2;

	*p++ = 4;
	*p++ = 0xfd;
	*p++ = 0xea; /* AS 65002 */
	*p++ = 0;
	*p++ = 90;
	*p++ = 198;
	*p++ = 18;
	*p++ = 0;
	*p++ = 2;
	*p++ = (uint8_t)(2 + ncaps);
	*p++ = 2; /* Capabilities optional parameter (RFC 5492) */
	*p++ = (uint8_t)ncaps;
	memcpy(p, caps, ncaps);
	p += ncaps;
	sx_header(m, (size_t)(p - m), 1);
	sx_send(s, m, (size_t)(p - m));
}

/* Does an OPEN body hold capability code (RFC 5492 4)? */
static bool sx_open_has_cap(const uint8_t *body, size_t len, uint8_t code)
{
	size_t plen = body[9], i = 10;

	assert_true(10 + plen <= len);
	while (i + 2 <= 10 + plen) {
		uint8_t ptype = body[i], pl = body[i + 1];
		size_t j = i + 2;
		if (ptype == 2)
			while (j + 2 <= i + 2 + pl) {
				if (body[j] == code)
					return true;
				j += 2 + body[j + 1];
			}
		i += 2 + pl;
	}
	return false;
}

static void sx_setup(struct sx *s)
{
	struct bgp_speaker_config cfg = {
	    .local_as = 64512, .router_id = 0xC612FF01, .no_listen = true};
	struct bgp_peer_config pc = {
	    .remote_as = 65002, .passive = true, .families = BGP_FAMILY_IPV4};
	int sv[2];

	memset(s, 0, sizeof(*s));
	s->base = event_base_new();
	assert_non_null(s->base);
	assert_int_equal(bgp_speaker_new(s->base, &cfg, &s->sp), 0);
	assert_int_equal(addr_parse("198.18.0.2", &pc.addr), 0);
	assert_int_equal(bgp_peer_add(s->sp, &pc, &s->peer), 0);
	sx_pump(s);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	bgp_peer_accept(s->peer, sv[0]);
	s->fd = sv[1];
}

static void sx_teardown(struct sx *s)
{
	bgp_speaker_free(s->sp);
	close(s->fd);
	event_base_free(s->base);
}

/* OPEN both ways, KEEPALIVE both ways: Established. Checks our OPEN's capabilities. */
static void sx_establish(struct sx *s, bool ext)
{
	struct bgp_peer_info info;
	uint8_t ka[19];

	sx_send_open(s, ext);
	assert_int_equal(sx_recv(s), 1);
	/* RFC 8654 3: the Extended Message capability, code 6, in every OPEN (and 4-octet AS). */
	assert_true(sx_open_has_cap(s->body, s->body_len, 6));
	assert_true(sx_open_has_cap(s->body, s->body_len, 65));
	assert_false(sx_open_has_cap(s->body, s->body_len, 99));
	assert_int_equal(sx_recv(s), 4); /* KEEPALIVE for our OPEN */
	sx_header(ka, 19, 4);
	sx_send(s, ka, 19);
	for (int i = 0; i < 1000 && bgp_peer_state(s->peer) != BGP_PEER_ESTABLISHED; i++) {
		sx_pump(s);
		poll(NULL, 0, 1);
	}
	assert_int_equal(bgp_peer_state(s->peer), BGP_PEER_ESTABLISHED);
	bgp_peer_get_info(s->peer, &info);
	assert_int_equal(info.remote_as, 65002);
}

/*
 * UPDATE: ORIGIN, AS_PATH [65002], NEXT_HOP 198.18.0.2, MED med (if >= 0),
 * COMMUNITY x ncomm, n /24s from 100.0.0.0 + first.
 */
static size_t sx_update(uint8_t *m, long med, size_t ncomm, unsigned first, unsigned n)
{
	uint8_t *p = m + 19, *alen;
	size_t len;

	*p++ = 0;
	*p++ = 0; /* no withdrawn routes */
	alen = p;
	p += 2;
	memcpy(p, (const uint8_t[]){0x40, 1, 1, 0}, 4); /* ORIGIN IGP */
	p += 4;
	memcpy(p, (const uint8_t[]){0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xea}, 9); /* AS_PATH */
	p += 9;
	memcpy(p, (const uint8_t[]){0x40, 3, 4, 198, 18, 0, 2}, 7); /* NEXT_HOP */
	p += 7;
	if (med >= 0) {
		memcpy(p, (const uint8_t[]){0x80, 4, 4}, 3); /* MULTI_EXIT_DISC */
		p[3] = (uint8_t)(med >> 24);
		p[4] = (uint8_t)(med >> 16);
		p[5] = (uint8_t)(med >> 8);
		p[6] = (uint8_t)med;
		p += 7;
	}
	if (ncomm) {
		/* COMMUNITY, optional transitive, extended length (RFC 4271 4.3) */
		*p++ = 0xd0;
		*p++ = 8;
		*p++ = (uint8_t)((ncomm * 4) >> 8);
		*p++ = (uint8_t)(ncomm * 4);
		for (size_t i = 0; i < ncomm; i++) {
			*p++ = 0xfd;
			*p++ = 0xea;
			*p++ = (uint8_t)(i >> 8);
			*p++ = (uint8_t)i;
		}
	}
	len = (size_t)(p - alen - 2);
	alen[0] = (uint8_t)(len >> 8);
	alen[1] = (uint8_t)len;
	for (unsigned i = first; i < first + n; i++) {
		*p++ = 24;
		*p++ = (uint8_t)(100 + (i >> 16));
		*p++ = (uint8_t)(i >> 8);
		*p++ = (uint8_t)i;
	}
	len = (size_t)(p - m);
	sx_header(m, len, 2);
	return len;
}

static uint32_t sx_accepted(struct sx *s, uint32_t want)
{
	struct bgp_peer_info info;

	for (int i = 0; i < 2000; i++) {
		sx_pump(s);
		bgp_peer_get_info(s->peer, &info);
		if (info.prefixes_accepted >= want || info.state != BGP_PEER_ESTABLISHED)
			break;
		poll(NULL, 0, 1);
	}
	return info.prefixes_accepted;
}

/* Both advertised RFC 8654: a 6000-octet UPDATE is taken. */
static void test_ext_msg_both(void **state)
{
	static uint8_t m[8000];
	struct sx s;
	size_t len;

	(void)state;
	sx_setup(&s);
	sx_establish(&s, true);
	len = sx_update(m, -1, 1400, 0, 10);
	assert_true(len > 4096 && len < 65535);
	sx_send(&s, m, len);
	assert_int_equal(sx_accepted(&s, 10), 10);
	assert_int_equal(bgp_peer_state(s.peer), BGP_PEER_ESTABLISHED);
	sx_teardown(&s);
}

/* The peer did not advertise it: more than 4096 octets is Bad Message Length (1/2). */
static void test_ext_msg_peer_without(void **state)
{
	static uint8_t m[8000];
	struct sx s;
	size_t len;
	int type;

	(void)state;
	sx_setup(&s);
	sx_establish(&s, false);
	len = sx_update(m, -1, 1400, 0, 10);
	sx_send(&s, m, len);
	while ((type = sx_recv(&s)) == 4 || type == 2) /* KEEPALIVE, End-of-RIB */
		;
	/* RFC 4271 6.1: Message Header Error / Bad Message Length, data: the length. */
	assert_int_equal(type, 3);
	assert_int_equal(s.body[0], BGP_ERR_HEADER);
	assert_int_equal(s.body[1], BGP_ERR_HDR_BAD_LENGTH);
	assert_int_equal(s.body_len, 4);
	assert_int_equal((size_t)s.body[2] << 8 | s.body[3], len);
	assert_int_equal(sx_accepted(&s, 10), 0);
	assert_int_not_equal(bgp_peer_state(s.peer), BGP_PEER_ESTABLISHED);
	sx_teardown(&s);
}

/*
 * 20,000 one-prefix UPDATEs written at once: read in large chunks, each
 * prepared while the one before is applied, changes batched. Every prefix
 * arrives, each with its own attribute set.
 */
static void test_burst(void **state)
{
	size_t per = 64, n = 20000, off = 0;
	uint8_t *blob = malloc(n * per);
	struct bgp_peer_info info;
	struct sx s;

	(void)state;
	assert_non_null(blob);
	sx_setup(&s);
	sx_establish(&s, true);
	for (unsigned i = 0; i < n; i++)
		off += sx_update(blob + off, i, 0, i, 1);
	sx_send(&s, blob, off);
	assert_int_equal(sx_accepted(&s, (uint32_t)n), n);
	bgp_peer_get_info(s.peer, &info);
	assert_int_equal(info.updates_in, n);
	assert_int_equal(info.prefixes_received, n);
	assert_int_equal(info.state, BGP_PEER_ESTABLISHED);
	assert_int_equal(rib_attr_table(s.sp->rib)->count, n);
	sx_teardown(&s);
	free(blob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ext_msg_both),
	    cmocka_unit_test(test_ext_msg_peer_without),
	    cmocka_unit_test(test_burst),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
