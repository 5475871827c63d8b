/*
 * DOC: unit tests for the fast UPDATE ingest path: rib_peer_update_prefetch()
 * (an UPDATE decoded ahead of time must give exactly what the ordinary path
 * gives, and prepared work must never be used for other bytes or other
 * session parameters), rib_batch_begin()/rib_batch_end() (changes of many
 * UPDATEs delivered together), the slab-allocated attribute sets and the
 * large-table allocator (bgp/slab.h).
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

#define IG_MSGS 64

/* A stream of UPDATE bodies back to back, as a read buffer holds them. */
struct ig_stream {
	uint8_t mem[IG_MSGS * 4200];
	size_t off[IG_MSGS], len[IG_MSGS];
	size_t n, used;
};

struct ig_sub {
	size_t calls, changes, withdrawn;
	struct prefix last;
};

static void ig_on_change(void *arg, const struct rib_change *c, size_t n)
{
	struct ig_sub *s = arg;

	s->calls++;
	s->changes += n;
	for (size_t i = 0; i < n; i++)
		s->withdrawn += c[i].withdrawn;
	s->last = c[n - 1].prefix;
}

static struct rib *ig_rib(struct ig_sub *sub)
{
	struct rib_config cfg = {.local_as = 64512, .router_id = 0xC612FF01, .multipath = 1};
	struct rib *rib = rib_new(&cfg);

	assert_non_null(rib);
	if (sub)
		assert_int_equal(rib_subscribe(rib, ig_on_change, sub), 0);
	return rib;
}

static void ig_add(struct ig_stream *s, size_t len)
{
	s->off[s->n] = s->used;
	s->len[s->n] = len;
	s->used += len;
	s->n++;
}

static uint8_t *ig_next(struct ig_stream *s)
{
	assert_true(s->n < IG_MSGS);
	return s->mem + s->used;
}

static const uint32_t P65001[] = {65001};
static const uint32_t P_BAD[] = {65099}; /* not the peer's AS: treat-as-withdraw */

/* Announcements, a repeated set, withdrawals, IPv6, RFC 7606 cases, End-of-RIB. */
static void ig_fill(struct ig_stream *s, struct bgp_attr_builder *b)
{
	static const char *const v4[] = {"198.18.1.0/24", "198.18.2.0/24", "198.18.3.0/24",
	                                 "10.0.0.0/8"};
	static const char *const v6[] = {"2001:db8:1::/48", "2001:db8:2::/48"};
	uint8_t *p;
	size_t len;

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 20; i++) {
		const char *one[] = {v4[i % 4]};
		th_attrs(b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", i % 7, -1);
		ig_add(s, th_body(ig_next(s), 4200, b, true, NULL, 0, one, 1));
	}
	th_attrs(b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", 3, -1);
	ig_add(s, th_body(ig_next(s), 4200, b, true, NULL, 0, v4, 4));
	ig_add(s, th_body(ig_next(s), 4200, NULL, true, v4 + 1, 2, NULL, 0));
	th_attrs(b, BGP_ORIGIN_IGP, P65001, 1, "2001:db8::2", 5, -1);
	ig_add(s, th_body(ig_next(s), 4200, b, true, NULL, 0, v6, 2));
	/* RFC 7606 7.2: a path not starting with the peer's AS: treat-as-withdraw. */
	th_attrs(b, BGP_ORIGIN_IGP, P_BAD, 1, "198.18.0.2", 1, -1);
	ig_add(s, th_body(ig_next(s), 4200, b, true, NULL, 0, v4, 1));
	/* RFC 7606 7.1: ORIGIN with an undefined value: treat-as-withdraw. */
	th_attrs(b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", 9, -1);
	p = ig_next(s);
	len = th_body(p, 4200, b, true, NULL, 0, v4 + 3, 1);
	assert_int_equal(p[4], 0x40); /* ORIGIN comes first: flags, type, length, value */
	assert_int_equal(p[5], BGP_ATTR_ORIGIN);
	p[7] = 7;
	ig_add(s, len);
	for (int i = 0; i < 20; i++) {
		const char *one[] = {v4[i % 4]};
		th_attrs(b, BGP_ORIGIN_EGP, P65001, 1, "198.18.0.2", 100 + i, 50);
		ig_add(s, th_body(ig_next(s), 4200, b, true, NULL, 0, one, 1));
	}
	/* End-of-RIB (RFC 4724 2), then one more announcement. */
	ig_add(s, th_body(ig_next(s), 4200, NULL, true, NULL, 0, NULL, 0));
	th_attrs(b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", 77, -1);
	ig_add(s, th_body(ig_next(s), 4200, b, true, NULL, 0, v4 + 2, 1));
	/* Last: an NLRI with a prefix length of 33: session reset (RFC 4271 6.3). */
	p = ig_next(s);
	len = th_body(p, 4200, b, true, NULL, 0, v4, 1);
	p[len - 4] = 33;
	ig_add(s, len);
}

struct ig_cmp {
	struct rib *other;
	size_t n;
};

static int ig_cmp_cb(void *arg, const struct prefix *p, const struct rib_route *best)
{
	struct ig_cmp *c = arg;
	const struct rib_route *o = rib_lookup(c->other, p);

	assert_non_null(o);
	assert_int_equal(o->attrs->k.med, best->attrs->k.med);
	assert_int_equal(o->attrs->k.origin, best->attrs->k.origin);
	assert_int_equal(o->attrs->k.local_pref, best->attrs->k.local_pref);
	assert_true(addr_eq(&o->attrs->k.next_hop, &best->attrs->k.next_hop));
	c->n++;
	return 0;
}

static size_t ig_same(struct rib *a, struct rib *b)
{
	struct ig_cmp c = {.other = b};

	assert_int_equal(rib_route_count(a), rib_route_count(b));
	assert_int_equal(rib_attr_table(a)->count, rib_attr_table(b)->count);
	for (int af = 0; af < BGP_AF_COUNT; af++)
		assert_int_equal(rib_walk(a, af, ig_cmp_cb, &c), 0);
	return c.n;
}

/* The session's pattern (prepare the next UPDATE, apply the current) against plain updates. */
static void test_prefetch_same_outcome(void **state)
{
	struct bgp_attr_builder *b = bgp_attr_builder_new();
	struct ig_stream *s = malloc(sizeof(*s));
	struct ig_sub sa = {0}, sb = {0};
	struct rib *ra = ig_rib(&sa), *rb = ig_rib(&sb);
	struct rib_peer *pa = th_peer(ra, 64512, 65001, "198.18.0.2", 0x0a000002, false);
	struct rib_peer *pb = th_peer(rb, 64512, 65001, "198.18.0.2", 0x0a000002, false);
	size_t withdraws = 0;

	(void)state;
	ig_fill(s, b);
	for (size_t i = 0; i < s->n; i++) {
		struct rib_update_result x, y;
		int rx, ry;

		if (i + 1 < s->n)
			rib_peer_update_prefetch(rb, pb, s->mem + s->off[i + 1], s->len[i + 1]);
		rx = rib_peer_update(ra, pa, s->mem + s->off[i], s->len[i], &x);
		ry = rib_peer_update(rb, pb, s->mem + s->off[i], s->len[i], &y);
		assert_int_equal(rx, ry);
		assert_int_equal(x.attr.verdict, y.attr.verdict);
		assert_int_equal(x.attr.withdraw_type, y.attr.withdraw_type);
		assert_int_equal(x.attr.discarded, y.attr.discarded);
		assert_int_equal(x.announced, y.announced);
		assert_int_equal(x.withdrawn, y.withdrawn);
		assert_int_equal(x.end_of_rib, y.end_of_rib);
		withdraws += x.attr.verdict == BGP_VERDICT_TREAT_AS_WITHDRAW;
		if (rx < 0) {
			/* Only the last message resets the session, with the same NOTIFICATION. */
			assert_int_equal(i, s->n - 1);
			assert_int_equal(x.attr.notify.code, BGP_ERR_UPDATE);
			assert_int_equal(x.attr.notify.code, y.attr.notify.code);
			assert_int_equal(x.attr.notify.subcode, y.attr.notify.subcode);
		}
		assert_int_equal(sa.changes, sb.changes);
		assert_int_equal(sa.withdrawn, sb.withdrawn);
	}
	assert_int_equal(withdraws, 2);
	assert_int_equal(ig_same(ra, rb), 6);
	assert_int_equal(ig_same(rb, ra), 6);
	rib_free(ra);
	rib_free(rb);
	bgp_attr_builder_free(b);
	free(s);
}

/* Prepared work is for those bytes and that session only. */
static void test_prefetch_never_stale(void **state)
{
	struct bgp_attr_builder *b = bgp_attr_builder_new();
	struct rib *rib = ig_rib(NULL);
	struct rib_peer *p = th_peer(rib, 64512, 65001, "198.18.0.2", 0x0a000002, false);
	struct rib_peer_session sess;
	const char *const one[] = {"198.18.9.0/24"};
	struct rib_update_result res;
	uint8_t body[4200], other[4200];
	size_t len, olen;

	(void)state;
	th_attrs(b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", 1, -1);
	len = th_body(body, sizeof(body), b, true, NULL, 0, one, 1);
	th_attrs(b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", 2, -1);
	olen = th_body(other, sizeof(other), b, true, NULL, 0, one, 1);
	assert_int_equal(len, olen);

	/* Prepared, then the buffer is reused for another message: dropped, never applied. */
	rib_peer_update_prefetch(rib, p, body, len);
	rib_peer_update_prefetch_drop(rib);
	memcpy(body, other, len);
	assert_int_equal(rib_peer_update(rib, p, body, len, &res), 0);
	assert_int_equal(th_best(rib, "198.18.9.0/24")->attrs->k.med, 2);

	/* Prepared but another message comes first: both still come out right. */
	th_attrs(b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", 3, -1);
	len = th_body(body, sizeof(body), b, true, NULL, 0, one, 1);
	rib_peer_update_prefetch(rib, p, body, len);
	th_attrs(b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", 4, -1);
	olen = th_body(other, sizeof(other), b, true, NULL, 0, one, 1);
	assert_int_equal(rib_peer_update(rib, p, other, olen, &res), 0);
	assert_int_equal(th_best(rib, "198.18.9.0/24")->attrs->k.med, 4);
	assert_int_equal(rib_peer_update(rib, p, body, len, &res), 0);
	assert_int_equal(th_best(rib, "198.18.9.0/24")->attrs->k.med, 3);

	/*
	 * Prepared under one session, applied in the next, which negotiated
	 * IPv6 only: the IPv4 NLRI is now ignored, as without the prefetch.
	 */
	th_attrs(b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", 5, -1);
	len = th_body(body, sizeof(body), b, true, NULL, 0, one, 1);
	rib_peer_update_prefetch(rib, p, body, len);
	sess = *rib_peer_session(p);
	rib_peer_down(rib, p, false);
	assert_null(th_best(rib, "198.18.9.0/24"));
	sess.params.families = BGP_AF_BIT(BGP_AF_IPV6);
	assert_int_equal(rib_peer_up(rib, p, &sess), 0);
	assert_int_equal(rib_peer_update(rib, p, body, len, &res), 0);
	assert_int_equal(res.announced, 0);
	assert_null(th_best(rib, "198.18.9.0/24"));

	/* A peer that is down takes nothing, prepared or not. */
	rib_peer_update_prefetch(rib, p, body, len);
	rib_peer_down(rib, p, false);
	assert_int_equal(rib_peer_update(rib, p, body, len, &res), -EINVAL);
	rib_free(rib);
	bgp_attr_builder_free(b);
}

/* One-prefix UPDATEs in a batch: one delivery, each destination once, final state. */
static void test_batch(void **state)
{
	struct bgp_attr_builder *b = bgp_attr_builder_new();
	struct ig_sub sub = {0};
	struct rib *rib = ig_rib(&sub);
	struct rib_peer *p = th_peer(rib, 64512, 65001, "198.18.0.2", 0x0a000002, false);
	struct rib_update_result res;
	uint8_t body[4200];
	char pfx[32];
	size_t len;

	(void)state;
	rib_batch_begin(rib);
	for (int i = 0; i < 10; i++) {
		const char *one[] = {pfx};
		snprintf(pfx, sizeof(pfx), "198.18.%d.0/24", 100 + i % 5);
		th_attrs(b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", i, -1);
		len = th_body(body, sizeof(body), b, true, NULL, 0, one, 1);
		assert_int_equal(rib_peer_update(rib, p, body, len, &res), 0);
	}
	assert_int_equal(sub.calls, 0);
	/* Nested: the inner end does not flush. */
	rib_batch_begin(rib);
	rib_batch_end(rib);
	assert_int_equal(sub.calls, 0);
	rib_batch_end(rib);
	assert_int_equal(sub.calls, 1);
	assert_int_equal(sub.changes, 5);
	assert_int_equal(th_best(rib, "198.18.104.0/24")->attrs->k.med, 9);
	/* The sets replaced within the batch are gone. */
	assert_int_equal(rib_attr_table(rib)->count, 5);

	/* A long batch is delivered in pieces of at most a few hundred, all of it. */
	memset(&sub, 0, sizeof(sub));
	rib_batch_begin(rib);
	for (int i = 0; i < 1000; i++) {
		const char *one[] = {pfx};
		snprintf(pfx, sizeof(pfx), "10.%d.%d.0/24", i / 256, i % 256);
		th_attrs(b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", 1000 + i, -1);
		len = th_body(body, sizeof(body), b, true, NULL, 0, one, 1);
		assert_int_equal(rib_peer_update(rib, p, body, len, &res), 0);
	}
	assert_in_range(sub.calls, 1, 4);
	assert_true(sub.changes < 1000);
	rib_batch_end(rib);
	assert_int_equal(sub.changes, 1000);
	assert_int_equal(rib_attr_table(rib)->count, 1005);

	/* A peer going down in a batch flushes what is pending first. */
	memset(&sub, 0, sizeof(sub));
	rib_batch_begin(rib);
	len = th_body(body, sizeof(body), NULL, true, (const char *const[]){"10.0.0.0/24"}, 1, NULL,
	              0);
	assert_int_equal(rib_peer_update(rib, p, body, len, &res), 0);
	assert_int_equal(sub.calls, 0);
	rib_peer_down(rib, p, false);
	assert_int_equal(sub.changes, 1005);
	assert_int_equal(sub.withdrawn, 1005);
	rib_batch_end(rib);
	assert_int_equal(sub.changes, 1005);
	assert_int_equal(rib_attr_table(rib)->count, 0);
	rib_free(rib);
	bgp_attr_builder_free(b);
}

/* Sets of every size class and beyond (malloc), shared, released, reused. */
static void test_attr_slab(void **state)
{
	struct bgp_attr_builder *b = bgp_attr_builder_new();
	struct bgp_attr_table t;
	struct bgp_attrs *a[200], *again;
	uint32_t comm[200];

	(void)state;
	for (uint32_t i = 0; i < 200; i++)
		comm[i] = 0xFDE80000u + i;
	assert_int_equal(bgp_attr_table_init(&t), 0);
	for (size_t i = 0; i < 200; i++) {
		th_attrs(b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", (long)i, -1);
		assert_int_equal(bgp_attr_builder_set_communities(b, comm, i), 0);
		a[i] = bgp_attr_intern(&t, b);
		assert_non_null(a[i]);
		assert_int_equal(a[i]->k.part_len[BGP_PART_COMMUNITY], 4 * i);
		assert_true(bgp_attrs_has_community(a[i], comm[0]) == (i > 0));
		if (i)
			assert_true(bgp_attrs_has_community(a[i], comm[i - 1]));
		/* The same set again is the same object. */
		again = bgp_attr_intern(&t, b);
		assert_ptr_equal(again, a[i]);
		assert_int_equal(a[i]->refcnt, 2);
		bgp_attr_unref(&t, again);
	}
	assert_int_equal(t.count, 200);
	for (size_t i = 0; i < 200; i += 2)
		bgp_attr_unref(&t, a[i]);
	assert_int_equal(t.count, 100);
	/* Freed memory is reused; every set still reads back intact. */
	for (size_t i = 0; i < 200; i += 2) {
		th_attrs(b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", (long)i, -1);
		assert_int_equal(bgp_attr_builder_set_communities(b, comm, i), 0);
		a[i] = bgp_attr_intern(&t, b);
	}
	for (size_t i = 0; i < 200; i++) {
		assert_int_equal(a[i]->k.med, i);
		assert_int_equal(a[i]->refcnt, 1);
		assert_int_equal(bgp_attr_hash(b) == a[i]->hash, i == 198);
	}
	for (size_t i = 0; i < 200; i++)
		bgp_attr_unref(&t, a[i]);
	assert_int_equal(t.count, 0);
	/* Sets left referenced are freed with the table (the leak checker would tell). */
	th_attrs(b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.2", 1, -1);
	assert_non_null(bgp_attr_intern(&t, b));
	assert_int_equal(bgp_attr_builder_set_communities(b, comm, 150), 0);
	assert_non_null(bgp_attr_intern(&t, b));
	bgp_attr_table_free(&t);
	bgp_attr_builder_free(b);
}

static void test_bigtable(void **state)
{
	size_t sizes[] = {64, 4096, 2 * 1024 * 1024, 3 * 1024 * 1024 + 8};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *p = bgp_bigtable_alloc(sizes[i]);
		assert_non_null(p);
		for (size_t j = 0; j < sizes[i]; j += 4093)
			assert_int_equal(p[j], 0);
		assert_int_equal(p[sizes[i] - 1], 0);
		if (sizes[i] >= 2 * 1024 * 1024)
			assert_int_equal((uintptr_t)p % (2 * 1024 * 1024), 0);
		memset(p, 0xa5, sizes[i]);
		bgp_bigtable_free(p, sizes[i]);
	}
	bgp_bigtable_free(NULL, 1 << 22);
}

/* Many chunks' worth of objects, a third freed: every other object stays intact. */
static void test_slab_growth(void **state)
{
	struct rib_slab s;
	uint64_t **objs = malloc(200000 * sizeof(*objs));

	(void)state;
	assert_non_null(objs);
	rib_slab_init(&s, 40);
	for (size_t i = 0; i < 200000; i++) {
		objs[i] = rib_slab_alloc(&s);
		assert_non_null(objs[i]);
		assert_int_equal((uintptr_t)objs[i] % 8, 0);
		objs[i][0] = i;
		objs[i][4] = ~i;
	}
	assert_int_equal(s.in_use, 200000);
	for (size_t i = 0; i < 200000; i += 3)
		rib_slab_free(&s, objs[i]);
	for (size_t i = 0; i < 200000; i++)
		if (i % 3) {
			assert_int_equal(objs[i][0], i);
			assert_int_equal(objs[i][4], ~i);
		}
	rib_slab_destroy(&s);
	assert_int_equal(s.in_use, 0);
	free(objs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prefetch_same_outcome),
	    cmocka_unit_test(test_prefetch_never_stale),
	    cmocka_unit_test(test_batch),
	    cmocka_unit_test(test_attr_slab),
	    cmocka_unit_test(test_bigtable),
	    cmocka_unit_test(test_slab_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
