/*
 * DOC: unit tests for the RIB (bgp/rib*.c): UPDATE ingest into Adj-RIB-In
 * and Loc-RIB, batched best-route notifications, RFC 7606 outcomes seen from
 * the RIB (what is kept, what is withdrawn, what resets), IPv6 via
 * MP_REACH_NLRI, graceful restart stale routes and End-of-RIB, max-prefix,
 * loop detection, interning across routes.
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bgp_core_helpers.h"

struct fx {
	struct rib *rib;
	struct bgp_attr_builder *b;
	struct rib_peer *e1; /* eBGP 65001 */
	uint8_t body[70000];
	size_t n_calls, n_changes, n_withdrawn;
	struct rib_change last;
};

static void on_change(void *arg, const struct rib_change *c, size_t n)
{
	struct fx *f = arg;

	f->n_calls++;
	f->n_changes += n;
	for (size_t i = 0; i < n; i++)
		f->n_withdrawn += c[i].withdrawn;
	f->last = c[n - 1];
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct rib_config cfg = {.local_as = 64512, .router_id = 0xC612FF01, .multipath = 4};

	f->rib = rib_new(&cfg);
	assert_non_null(f->rib);
	f->b = bgp_attr_builder_new();
	assert_int_equal(rib_subscribe(f->rib, on_change, f), 0);
	f->e1 = th_peer(f->rib, 64512, 65001, "198.18.0.2", 0x0a000002, false);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rib_free(f->rib);
	bgp_attr_builder_free(f->b);
	free(f);
	return 0;
}

static const uint32_t P65001[] = {65001};

static int feed(struct fx *f, struct rib_peer *peer, size_t len, struct rib_update_result *res)
{
	f->n_calls = f->n_changes = f->n_withdrawn = 0;
	return rib_peer_update(f->rib, peer, f->body, len, res);
}

static void test_announce_withdraw(void **state)
{
	struct fx *f = *state;
	const char *const n3[] = {"198.18.1.0/24", "198.18.2.0/24", "10.0.0.0/8"};
	struct rib_update_result res;
	const struct rib_route *r;
	size_t len;
	char s[ADDR_STRLEN];

	th_attrs(f->b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", 10, -1);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, n3, 3);
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	assert_int_equal(res.attr.verdict, BGP_VERDICT_OK);
	assert_int_equal(res.announced, 3);
	/* One batch for the whole UPDATE. */
	assert_int_equal(f->n_calls, 1);
	assert_int_equal(f->n_changes, 3);
	assert_int_equal(f->n_withdrawn, 0);
	assert_int_equal(f->last.n_next_hops, 1);
	assert_string_equal(addr_format(&f->last.next_hops[0], s, sizeof(s)), "198.18.0.2");
	r = th_best(f->rib, "198.18.2.0/24");
	assert_non_null(r);
	assert_int_equal(r->peer_id, rib_peer_id(f->e1));
	assert_int_equal(r->attrs->k.med, 10);
	assert_null(th_best(f->rib, "198.18.3.0/24"));
	assert_int_equal(rib_route_count(f->rib), 3);
	assert_int_equal(rib_peer_prefix_count(f->e1, BGP_AF_IPV4), 3);
	/* All three routes share one interned set. */
	assert_ptr_equal(th_best(f->rib, "10.0.0.0/8")->attrs, r->attrs);
	assert_int_equal(r->attrs->refcnt, 3);

	/* Same again: nothing changes, nobody is told. */
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	assert_int_equal(f->n_calls, 0);

	/* Implicit withdraw: new MED replaces the route. */
	th_attrs(f->b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", 20, -1);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, n3, 1);
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	assert_int_equal(f->n_changes, 1);
	assert_int_equal(th_best(f->rib, "198.18.1.0/24")->attrs->k.med, 20);
	assert_int_equal(rib_route_count(f->rib), 3);

	/* Withdraw two. */
	len = th_body(f->body, sizeof(f->body), NULL, true, n3, 2, NULL, 0);
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	assert_int_equal(res.withdrawn, 2);
	assert_int_equal(f->n_withdrawn, 2);
	assert_null(th_best(f->rib, "198.18.1.0/24"));
	assert_int_equal(rib_dest_count(f->rib, BGP_AF_IPV4), 1);
	assert_int_equal(rib_route_count(f->rib), 1);
	/* Withdrawing what is not there is fine. */
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	assert_int_equal(res.withdrawn, 0);
}

/* RFC 7606 treat-as-withdraw and attribute discard, seen from the RIB. */
static void test_error_outcomes(void **state)
{
	struct fx *f = *state;
	const char *const n1[] = {"198.18.1.0/24"};
	struct rib_update_result res;
	size_t len, attr_at;

	th_attrs(f->b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", -1, -1);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, n1, 1);
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	assert_non_null(th_best(f->rib, n1[0]));
	/* Corrupt ORIGIN's value (first attribute: at body[4..6], value at [7]). */
	attr_at = 4;
	assert_int_equal(f->body[attr_at + 1], BGP_ATTR_ORIGIN);
	f->body[attr_at + 3] = 7;
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	assert_int_equal(res.attr.verdict, BGP_VERDICT_TREAT_AS_WITHDRAW);
	assert_int_equal(res.attr.withdraw_type, BGP_ATTR_ORIGIN);
	assert_null(th_best(f->rib, n1[0])); /* withdrawn, session kept */
	assert_int_equal(f->n_withdrawn, 1);

	/* ATOMIC_AGGREGATE with a length: discarded, route kept without it. */
	th_attrs(f->b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", -1, -1);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, NULL, 0);
	{
		/* Rebuild: attrs + bad ATOMIC_AGGREGATE + NLRI by hand. */
		uint8_t tmp[256];
		size_t alen;
		len = th_body(tmp, sizeof(tmp), f->b, true, NULL, 0, n1, 1);
		alen = (size_t)tmp[2] << 8 | tmp[3];
		memcpy(f->body, tmp, 4 + alen);
		f->body[4 + alen] = 0x40;
		f->body[5 + alen] = BGP_ATTR_ATOMIC_AGGREGATE;
		f->body[6 + alen] = 1;
		f->body[7 + alen] = 0;
		memcpy(f->body + 8 + alen, tmp + 4 + alen, len - 4 - alen);
		f->body[3] = (uint8_t)(alen + 4);
		len += 4;
	}
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	assert_int_equal(res.attr.verdict, BGP_VERDICT_ATTR_DISCARD);
	assert_non_null(th_best(f->rib, n1[0]));
	assert_false(th_best(f->rib, n1[0])->attrs->k.present & BGP_ATTRS_ATOMIC_AGG);

	/* NLRI prefix length 33: session reset, Invalid Network Field. */
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, n1, 1);
	f->body[len - 4] = 33;
	assert_int_equal(feed(f, f->e1, len, &res), -EBADMSG);
	assert_int_equal(res.attr.verdict, BGP_VERDICT_SESSION_RESET);
	assert_int_equal(res.attr.notify.code, BGP_ERR_UPDATE);
	assert_int_equal(res.attr.notify.subcode, BGP_ERR_UPD_NETWORK);
	/* Withdrawn-routes field overrun: reset, Malformed Attribute List. */
	f->body[0] = 0x10;
	assert_int_equal(feed(f, f->e1, len, &res), -EBADMSG);
	assert_int_equal(res.attr.notify.subcode, BGP_ERR_UPD_ATTR_LIST);
	/* Truncated prefix in the withdrawn field: Invalid Network Field. */
	{
		const uint8_t wd[] = {0, 2, 24, 10, 0, 0};
		memcpy(f->body, wd, sizeof(wd));
		assert_int_equal(feed(f, f->e1, sizeof(wd), &res), -EBADMSG);
		assert_int_equal(res.attr.notify.subcode, BGP_ERR_UPD_NETWORK);
	}
}

static void test_ipv6(void **state)
{
	struct fx *f = *state;
	const char *const n6[] = {"2001:db8:1::/48", "2001:db8:2::/48"};
	struct rib_update_result res;
	const struct rib_route *r;
	size_t len;
	char s[ADDR_STRLEN];

	th_attrs(f->b, BGP_ORIGIN_IGP, P65001, 1, "2001:db8::2", -1, -1);
	assert_int_equal(addr_parse("fe80::2", &f->b->k.next_hop_ll), 0);
	f->b->k.present |= BGP_ATTRS_NEXT_HOP_LL;
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, n6, 2);
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	assert_int_equal(res.attr.verdict, BGP_VERDICT_OK);
	assert_int_equal(res.announced, 2);
	r = th_best(f->rib, "2001:db8:2::/48");
	assert_non_null(r);
	assert_string_equal(addr_format(&r->attrs->k.next_hop, s, sizeof(s)), "2001:db8::2");
	assert_string_equal(addr_format(&r->attrs->k.next_hop_ll, s, sizeof(s)), "fe80::2");
	assert_int_equal(f->last.af, BGP_AF_IPV6);
	assert_int_equal(rib_peer_prefix_count(f->e1, BGP_AF_IPV6), 2);
	/* MP_UNREACH_NLRI withdraws one. */
	len = th_body(f->body, sizeof(f->body), NULL, true, n6, 1, NULL, 0);
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	assert_int_equal(res.withdrawn, 1);
	assert_null(th_best(f->rib, n6[0]));
	assert_non_null(th_best(f->rib, n6[1]));
	/* Bad prefix length inside MP_REACH: reset with Optional Attribute Error. */
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, n6, 1);
	/* MP_REACH starts at 4: hdr 4, afi 2, safi 1, nhlen 1, nh 32, reserved 1 -> prefix len at
	 * 45 */
	assert_int_equal(f->body[45], 48);
	f->body[45] = 129;
	assert_int_equal(feed(f, f->e1, len, &res), -EBADMSG);
	assert_int_equal(res.attr.notify.subcode, BGP_ERR_UPD_OPTIONAL);
}

/* RFC 4724: End-of-RIB markers, stale routes kept across a restart, swept at EoR. */
static void test_graceful_restart(void **state)
{
	struct fx *f = *state;
	const char *const n2[] = {"198.18.1.0/24", "198.18.2.0/24"};
	const uint8_t eor4[] = {0, 0, 0, 0};
	const uint8_t eor6[] = {0, 0, 0, 6, 0x80, 15, 3, 0, 2, 1};
	struct rib_update_result res;
	struct rib_peer_session s = {0};
	size_t len;

	th_attrs(f->b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", -1, -1);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, n2, 2);
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	memcpy(f->body, eor4, sizeof(eor4));
	assert_int_equal(feed(f, f->e1, sizeof(eor4), &res), 0);
	assert_int_equal(res.end_of_rib, BGP_AF_IPV4);
	memcpy(f->body, eor6, sizeof(eor6));
	assert_int_equal(feed(f, f->e1, sizeof(eor6), &res), 0);
	assert_int_equal(res.end_of_rib, BGP_AF_IPV6);

	/* Graceful down: routes stay (stale), no FIB change. */
	f->n_calls = 0;
	rib_peer_down(f->rib, f->e1, true);
	assert_int_equal(f->n_calls, 0);
	assert_non_null(th_best(f->rib, n2[0]));
	assert_true(th_best(f->rib, n2[0])->flags & RIB_ROUTE_STALE);
	/* Back up; one of the two re-announced, then End-of-RIB sweeps the other. */
	s.params.local_as = 64512;
	s.params.peer_as = 65001;
	s.params.peer_id = 0x0a000002;
	s.params.as4 = true;
	s.params.families = 3;
	s.params.peer_gr = true;
	s.params.peer_gr_forwarding = 3;
	assert_int_equal(addr_parse("198.18.255.1", &s.local_addr), 0);
	assert_int_equal(rib_peer_up(f->rib, f->e1, &s), 0);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, n2, 1);
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	assert_false(th_best(f->rib, n2[0])->flags & RIB_ROUTE_STALE);
	assert_true(th_best(f->rib, n2[1])->flags & RIB_ROUTE_STALE);
	memcpy(f->body, eor4, sizeof(eor4));
	assert_int_equal(feed(f, f->e1, sizeof(eor4), &res), 0);
	assert_non_null(th_best(f->rib, n2[0]));
	assert_null(th_best(f->rib, n2[1]));
	assert_int_equal(f->n_withdrawn, 1);

	/* Non-graceful down: everything goes, in batches. */
	rib_peer_down(f->rib, f->e1, false);
	assert_null(th_best(f->rib, n2[0]));
	assert_int_equal(rib_route_count(f->rib), 0);
	assert_int_equal(rib_dest_count(f->rib, BGP_AF_IPV4), 0);
}

static void test_max_prefix(void **state)
{
	struct fx *f = *state;
	struct rib_peer_config c = {.peer_as = 65005, .max_prefix = 2};
	struct rib_peer_session s = {0};
	const char *const n3[] = {"198.18.1.0/24", "198.18.2.0/24", "198.18.3.0/24"};
	const uint32_t path[] = {65005};
	struct rib_update_result res;
	struct rib_peer *p;
	size_t len;

	assert_int_equal(addr_parse("198.18.0.5", &c.addr), 0);
	p = rib_peer_add(f->rib, &c);
	s.params.local_as = 64512;
	s.params.peer_as = 65005;
	s.params.peer_id = 5;
	s.params.as4 = true;
	s.params.families = 1;
	assert_int_equal(rib_peer_up(f->rib, p, &s), 0);
	th_attrs(f->b, BGP_ORIGIN_IGP, path, 1, "198.18.0.5", -1, -1);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, n3, 2);
	assert_int_equal(feed(f, p, len, &res), 0);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, n3, 3);
	assert_int_equal(feed(f, p, len, &res), -EBADMSG);
	/* RFC 4486: Cease / Maximum Number of Prefixes Reached, AFI, SAFI, limit. */
	assert_int_equal(res.attr.notify.code, BGP_ERR_CEASE);
	assert_int_equal(res.attr.notify.subcode, BGP_CEASE_MAX_PREFIX);
	assert_int_equal(res.attr.notify.data_len, 7);
	assert_int_equal(res.attr.notify.data[1], 1);
	assert_int_equal(res.attr.notify.data[6], 2);
	rib_peer_down(f->rib, p, false);
	assert_int_equal(rib_peer_prefix_count(p, BGP_AF_IPV4), 0);
	rib_peer_remove(f->rib, p);
}

static void test_loops_and_local(void **state)
{
	struct fx *f = *state;
	const uint32_t looped[] = {65001, 64512, 65009};
	const uint32_t none[] = {0};
	const char *const n1[] = {"198.18.7.0/24"};
	struct rib_update_result res;
	struct prefix p;
	size_t len;

	/* RFC 4271 9.1.2: our own AS in the path makes the route unusable. */
	th_attrs(f->b, BGP_ORIGIN_IGP, looped, 3, "198.18.0.2", -1, -1);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, n1, 1);
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	assert_null(th_best(f->rib, n1[0]));

	/* Local origination wins over the learned route (shorter path). */
	th_attrs(f->b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", -1, -1);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, n1, 1);
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	assert_int_equal(th_best(f->rib, n1[0])->peer_id, rib_peer_id(f->e1));
	th_attrs(f->b, BGP_ORIGIN_IGP, none, 0, NULL, -1, -1);
	assert_int_equal(prefix_parse(n1[0], &p, true), 0);
	assert_int_equal(rib_originate(f->rib, &p, f->b), 0);
	assert_int_equal(th_best(f->rib, n1[0])->peer_id, RIB_PEER_LOCAL);
	assert_int_equal(rib_withdraw_local(f->rib, &p), 0);
	assert_int_equal(th_best(f->rib, n1[0])->peer_id, rib_peer_id(f->e1));
	assert_int_equal(rib_withdraw_local(f->rib, &p), -ENOENT);
}

/* Removing a peer withdraws its routes from the Loc-RIB and from what others were sent. */
static void test_peer_remove(void **state)
{
	struct fx *f = *state;
	const char *const n2[] = {"198.18.1.0/24", "2001:db8:5::/48"};
	struct rib_peer *b = th_peer(f->rib, 64512, 65002, "198.18.0.3", 3, false);
	struct rib_update_result res;
	struct buf_writer w;
	size_t len, n;

	th_attrs(f->b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", -1, -1);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, n2, 1);
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	th_attrs(f->b, BGP_ORIGIN_IGP, P65001, 1, "2001:db8::2", -1, -1);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, n2 + 1, 1);
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	buf_writer_init(&w, 1024);
	assert_int_equal(rib_peer_flush_out(f->rib, b, &w, &n), 0);
	assert_int_equal(n, 2 + 2); /* one UPDATE per family, two End-of-RIB */
	assert_int_equal(rib_peer_out_count(b), 2);
	/* The source goes away for good. */
	f->n_calls = f->n_withdrawn = 0;
	rib_peer_remove(f->rib, f->e1);
	f->e1 = NULL;
	assert_int_equal(f->n_withdrawn, 2);
	assert_int_equal(rib_route_count(f->rib), 0);
	assert_true(rib_peer_out_pending(b));
	buf_writer_reset(&w);
	assert_int_equal(rib_peer_flush_out(f->rib, b, &w, &n), 0);
	assert_int_equal(n, 2); /* IPv4 withdrawn routes, IPv6 MP_UNREACH_NLRI */
	assert_int_equal(rib_peer_out_count(b), 0);
	/* Destinations are gone once no Adj-RIB-Out refers to them. */
	assert_int_equal(rib_dest_count(f->rib, BGP_AF_IPV4), 0);
	assert_int_equal(rib_dest_count(f->rib, BGP_AF_IPV6), 0);
	/* A peer that is down cannot be refreshed. */
	rib_peer_down(f->rib, b, false);
	assert_int_equal(rib_peer_refresh_out(f->rib, b, BGP_AF_IPV4), -EINVAL);
	buf_writer_free(&w);
}

/* RFC 4724 4.2: families without preserved forwarding state are flushed at once. */
static void test_gr_without_forwarding(void **state)
{
	struct fx *f = *state;
	const char *const n2[] = {"198.18.1.0/24", "2001:db8:5::/48"};
	struct rib_update_result res;
	size_t len;

	th_attrs(f->b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", -1, -1);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, n2, 1);
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	th_attrs(f->b, BGP_ORIGIN_IGP, P65001, 1, "2001:db8::2", -1, -1);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, n2 + 1, 1);
	assert_int_equal(feed(f, f->e1, len, &res), 0);
	rib_peer_session(f->e1)->params.peer_gr_forwarding = BGP_AF_BIT(BGP_AF_IPV6);
	rib_peer_down(f->rib, f->e1, true);
	assert_null(th_best(f->rib, n2[0]));
	assert_non_null(th_best(f->rib, n2[1]));
	/* Restart timer expiry: the stale IPv6 route goes too. */
	rib_peer_stale_flush(f->rib, f->e1, -1);
	assert_null(th_best(f->rib, n2[1]));
}

static int count_cb(void *arg, const struct prefix *p, const struct rib_route *best)
{
	(*(size_t *)arg)++;
	return 0;
}

/* Many prefixes, one set: one interned copy, the table grows, walking finds all. */
static void test_bulk(void **state)
{
	struct fx *f = *state;
	static char names[3000][24];
	const char *nlri[3000];
	struct rib_update_result res;
	size_t len, n = 0;

	for (int i = 0; i < 3000; i++) {
		snprintf(names[i], sizeof(names[i]), "10.%d.%d.0/24", i / 256, i % 256);
		nlri[i] = names[i];
	}
	th_attrs(f->b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", -1, -1);
	for (int i = 0; i < 3000; i += 1000) {
		len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, nlri + i, 1000);
		assert_int_equal(feed(f, f->e1, len, &res), 0);
		assert_int_equal(res.announced, 1000);
	}
	assert_int_equal(rib_dest_count(f->rib, BGP_AF_IPV4), 3000);
	assert_int_equal(rib_attr_table(f->rib)->count, 1);
	assert_int_equal(th_best(f->rib, "10.11.183.0/24")->attrs->refcnt, 3000);
	assert_int_equal(rib_walk(f->rib, BGP_AF_IPV4, count_cb, &n), 0);
	assert_int_equal(n, 3000);
	rib_peer_down(f->rib, f->e1, false);
	assert_int_equal(rib_attr_table(f->rib)->count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_announce_withdraw, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_outcomes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_graceful_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_max_prefix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loops_and_local, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_peer_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gr_without_forwarding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bulk, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
