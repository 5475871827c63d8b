/*
 * DOC: unit tests for path attributes (bgp/attr*.c): encode/decode round
 * trips of every attribute type (four- and two-octet AS sessions), interning,
 * and every malformed case of RFC 7606 section 7 and RFC 4271 6.3: the
 * verdict (treat-as-withdraw, attribute discard, session reset), the
 * NOTIFICATION built, and what is kept.
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../bgp/attr.h"

struct fx {
	struct bgp_attr_builder *b;
	struct bgp_attr_table t;
	struct bgp_session_params p;   /* iBGP, AS4, both families */
	struct bgp_session_params e;   /* eBGP from AS 65001, AS4 */
	struct bgp_session_params two; /* eBGP, two-octet AS session */
	struct bgp_mp_info mp;
	struct bgp_attr_result res;
	uint8_t buf[8192];
	struct buf_writer w;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->b = bgp_attr_builder_new();
	assert_int_equal(bgp_attr_table_init(&f->t), 0);
	f->p = (struct bgp_session_params){
	    .local_as = 64512, .peer_as = 64512, .as4 = true, .families = 3, .max_msg_len = 4096};
	f->e = f->p;
	f->e.peer_as = 65001;
	f->e.ebgp = true;
	f->two = f->e;
	f->two.as4 = false;
	buf_writer_init_fixed(&f->w, f->buf, sizeof(f->buf));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	bgp_attr_table_free(&f->t);
	bgp_attr_builder_free(f->b);
	free(f);
	return 0;
}

/* Append one attribute to f->w. */
static void A(struct fx *f, uint8_t flags, uint8_t type, const void *v, size_t len)
{
	buf_put_u8(&f->w, flags);
	buf_put_u8(&f->w, type);
	if (flags & BGP_ATTR_F_EXTENDED)
		buf_put_u16(&f->w, (uint16_t)len);
	else
		buf_put_u8(&f->w, (uint8_t)len);
	if (len)
		buf_put_bytes(&f->w, v, len);
}

static const uint8_t ORIGIN_IGP[] = {0};
static const uint8_t PATH_65001[] = {2, 1, 0, 0, 0xfd, 0xe9}; /* 4-octet: SEQ 65001 */
static const uint8_t PATH2_65001[] = {2, 1, 0xfd, 0xe9};      /* 2-octet */
static const uint8_t NH[] = {198, 18, 0, 1};

/* The mandatory attributes of a 4-octet session path from 65001. */
static void base(struct fx *f)
{
	A(f, 0x40, BGP_ATTR_ORIGIN, ORIGIN_IGP, 1);
	A(f, 0x40, BGP_ATTR_AS_PATH, PATH_65001, sizeof(PATH_65001));
	A(f, 0x40, BGP_ATTR_NEXT_HOP, NH, 4);
}

static int decode(struct fx *f, const struct bgp_session_params *p, bool has_nlri)
{
	struct buf_reader r;

	buf_reader_init(&r, f->buf, f->w.len);
	return bgp_attr_decode(&r, p, has_nlri, f->b, &f->mp, &f->res);
}

static void reset_w(struct fx *f)
{
	buf_writer_init_fixed(&f->w, f->buf, sizeof(f->buf));
}

/* Every attribute type: build, intern, encode, decode, intern again: same object. */
static void test_round_trip_all(void **state)
{
	struct fx *f = *state;
	struct bgp_attr_builder *b = f->b;
	const uint32_t path[] = {65001, 4200000001u, 65002};
	const uint32_t comm[] = {0xfde80001, BGP_COMMUNITY_NO_EXPORT};
	const uint8_t ext[8] = {0, 2, 0xfd, 0xe8, 0, 0, 0, 7};
	const uint8_t large[12] = {0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 0, 0, 0, 2};
	const uint8_t cluster[8] = {10, 0, 0, 1, 10, 0, 0, 2};
	const uint8_t unknown[] = {0xc0 | BGP_ATTR_F_PARTIAL | BGP_ATTR_F_EXTENDED, 99, 0, 2, 7, 8};
	struct bgp_attrs *a, *a2;
	struct bgp_session_params ibgp = f->p;

	bgp_attr_builder_reset(b);
	b->k.origin = BGP_ORIGIN_EGP;
	b->k.present = BGP_ATTRS_ORIGIN | BGP_ATTRS_MED | BGP_ATTRS_LOCAL_PREF |
	               BGP_ATTRS_ATOMIC_AGG | BGP_ATTRS_AGGREGATOR | BGP_ATTRS_ORIGINATOR |
	               BGP_ATTRS_NEXT_HOP;
	b->k.med = 50;
	b->k.local_pref = 200;
	b->k.aggregator_as = 4200000002u;
	b->k.aggregator_id = 0x0a000001;
	b->k.originator_id = 0x0a000009;
	addr_parse("198.18.0.1", &b->k.next_hop);
	assert_int_equal(bgp_attr_builder_set_path(b, path, 3), 0);
	assert_int_equal(b->k.as_path_len, 3);
	assert_int_equal(b->k.neighbor_as, 65001);
	assert_int_equal(bgp_attr_builder_set_communities(b, comm, 2), 0);
	b->part[BGP_PART_EXT_COMMUNITY] = ext;
	b->part_len[BGP_PART_EXT_COMMUNITY] = 8;
	b->part[BGP_PART_LARGE_COMMUNITY] = large;
	b->part_len[BGP_PART_LARGE_COMMUNITY] = 12;
	b->part[BGP_PART_CLUSTER_LIST] = cluster;
	b->part_len[BGP_PART_CLUSTER_LIST] = 8;
	b->part[BGP_PART_UNKNOWN] = unknown;
	b->part_len[BGP_PART_UNKNOWN] = sizeof(unknown);
	a = bgp_attr_intern(&f->t, b);
	assert_non_null(a);
	assert_true(bgp_attrs_has_community(a, BGP_COMMUNITY_NO_EXPORT));
	assert_false(bgp_attrs_has_community(a, BGP_COMMUNITY_NO_ADVERTISE));
	assert_true(bgp_attrs_cluster_has(a, 0x0a000002));
	assert_int_equal(bgp_attrs_cluster_len(a), 2);
	assert_true(bgp_attrs_path_has_as(a, 4200000001u));

	/* Four-octet session. */
	assert_int_equal(bgp_attr_encode(&f->w, a, true, true), 0);
	assert_int_equal(decode(f, &ibgp, true), 0);
	assert_int_equal(f->res.verdict, BGP_VERDICT_OK);
	a2 = bgp_attr_intern(&f->t, f->b);
	assert_ptr_equal(a, a2);
	assert_int_equal(a->refcnt, 2);
	bgp_attr_unref(&f->t, a2);

	/* Two-octet session: AS_TRANS in AS_PATH/AGGREGATOR plus AS4_PATH/AS4_AGGREGATOR. */
	reset_w(f);
	assert_int_equal(bgp_attr_encode(&f->w, a, false, true), 0);
	ibgp.as4 = false;
	assert_int_equal(decode(f, &ibgp, true), 0);
	assert_int_equal(f->res.verdict, BGP_VERDICT_OK);
	a2 = bgp_attr_intern(&f->t, f->b);
	assert_ptr_equal(a, a2);
	bgp_attr_unref(&f->t, a2);
	assert_int_equal(f->t.count, 1);
	bgp_attr_unref(&f->t, a);
	assert_int_equal(f->t.count, 0);
}

static void test_interning(void **state)
{
	struct fx *f = *state;
	struct bgp_attrs *a, *b, *c;

	base(f);
	assert_int_equal(decode(f, &f->e, true), 0);
	a = bgp_attr_intern(&f->t, f->b);
	assert_int_equal(decode(f, &f->e, true), 0);
	b = bgp_attr_intern(&f->t, f->b);
	assert_ptr_equal(a, b);
	assert_int_equal(a->refcnt, 2);
	f->b->k.med = 5;
	f->b->k.present |= BGP_ATTRS_MED;
	c = bgp_attr_intern(&f->t, f->b);
	assert_ptr_not_equal(a, c);
	assert_int_equal(f->t.count, 2);
	/* Many distinct sets: the table grows and finds each again. */
	for (uint32_t i = 0; i < 2000; i++) {
		struct bgp_attrs *x, *y;
		f->b->k.med = 1000 + i;
		x = bgp_attr_intern(&f->t, f->b);
		y = bgp_attr_intern(&f->t, f->b);
		assert_ptr_equal(x, y);
		bgp_attr_unref(&f->t, y);
		bgp_attr_unref(&f->t, x);
	}
	assert_int_equal(f->t.count, 2);
	bgp_attr_unref(&f->t, a);
	bgp_attr_unref(&f->t, b);
	bgp_attr_unref(&f->t, c);
	assert_int_equal(f->t.count, 0);
}

#define EXPECT(f, verdict_, wtype)                                                                 \
	do {                                                                                       \
		assert_int_equal((f)->res.verdict, (verdict_));                                    \
		if ((verdict_) == BGP_VERDICT_TREAT_AS_WITHDRAW)                                   \
			assert_int_equal((f)->res.withdraw_type, (wtype));                         \
	} while (0)

/* RFC 7606 7.1 ORIGIN */
static void test_origin(void **state)
{
	struct fx *f = *state;
	const uint8_t two[2] = {0, 0}, bad[1] = {3};

	A(f, 0x40, BGP_ATTR_ORIGIN, two, 2);
	A(f, 0x40, BGP_ATTR_AS_PATH, PATH_65001, 6);
	A(f, 0x40, BGP_ATTR_NEXT_HOP, NH, 4);
	assert_int_equal(decode(f, &f->e, true), 0);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_ORIGIN);
	assert_int_equal(f->res.withdraw_reason, BGP_ERR_UPD_ATTR_LENGTH);
	reset_w(f);
	A(f, 0x40, BGP_ATTR_ORIGIN, bad, 1);
	A(f, 0x40, BGP_ATTR_AS_PATH, PATH_65001, 6);
	A(f, 0x40, BGP_ATTR_NEXT_HOP, NH, 4);
	assert_int_equal(decode(f, &f->e, true), 0);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_ORIGIN);
	assert_int_equal(f->res.withdraw_reason, BGP_ERR_UPD_ORIGIN);
}

static void path_case(struct fx *f, const struct bgp_session_params *p, const uint8_t *path,
                      size_t len, enum bgp_verdict v)
{
	reset_w(f);
	A(f, 0x40, BGP_ATTR_ORIGIN, ORIGIN_IGP, 1);
	A(f, 0x40, BGP_ATTR_AS_PATH, path, len);
	A(f, 0x40, BGP_ATTR_NEXT_HOP, NH, 4);
	assert_int_equal(decode(f, p, true), 0);
	EXPECT(f, v, BGP_ATTR_AS_PATH);
}

/* RFC 7606 7.2 AS_PATH, RFC 4271 6.3, RFC 7607, RFC 5065 */
static void test_as_path(void **state)
{
	struct fx *f = *state;
	const uint8_t overrun[] = {2, 2, 0, 0, 0xfd, 0xe9};
	const uint8_t zero_count[] = {2, 0};
	const uint8_t bad_type[] = {5, 1, 0, 0, 0xfd, 0xe9};
	const uint8_t underrun[] = {2, 1, 0, 0, 0xfd, 0xe9, 2};
	const uint8_t as0[] = {2, 2, 0, 0, 0xfd, 0xe9, 0, 0, 0, 0};
	const uint8_t other_first[] = {2, 1, 0, 0, 0xfd, 0xea};
	const uint8_t confed[] = {3, 1, 0, 0, 0xfd, 0xe9, 2, 1, 0, 0, 0xfd, 0xe9};
	const uint8_t set_path[] = {2, 1, 0, 0, 0xfd, 0xe9, 1, 3, 0, 0,
	                            0, 1, 0, 0, 0,    2,    0, 0, 0, 3};

	path_case(f, &f->e, PATH_65001, 6, BGP_VERDICT_OK);
	assert_int_equal(f->b->k.as_path_len, 1);
	path_case(f, &f->e, overrun, sizeof(overrun), BGP_VERDICT_TREAT_AS_WITHDRAW);
	assert_int_equal(f->res.withdraw_reason, BGP_ERR_UPD_AS_PATH);
	path_case(f, &f->e, zero_count, sizeof(zero_count), BGP_VERDICT_TREAT_AS_WITHDRAW);
	path_case(f, &f->e, bad_type, sizeof(bad_type), BGP_VERDICT_TREAT_AS_WITHDRAW);
	path_case(f, &f->e, underrun, sizeof(underrun), BGP_VERDICT_TREAT_AS_WITHDRAW);
	path_case(f, &f->e, as0, sizeof(as0), BGP_VERDICT_TREAT_AS_WITHDRAW);
	/* eBGP: leftmost AS must be the peer's. */
	path_case(f, &f->e, other_first, sizeof(other_first), BGP_VERDICT_TREAT_AS_WITHDRAW);
	path_case(f, &f->p, other_first, sizeof(other_first), BGP_VERDICT_OK);
	/* Confederation segments: not from eBGP, fine from iBGP (counted 0). */
	path_case(f, &f->e, confed, sizeof(confed), BGP_VERDICT_TREAT_AS_WITHDRAW);
	path_case(f, &f->p, confed, sizeof(confed), BGP_VERDICT_OK);
	assert_int_equal(f->b->k.as_path_len, 1);
	/* An AS_SET counts one. */
	path_case(f, &f->e, set_path, sizeof(set_path), BGP_VERDICT_OK);
	assert_int_equal(f->b->k.as_path_len, 2);
	assert_int_equal(f->b->k.neighbor_as, 65001);
	/* Two-octet session form. */
	path_case(f, &f->two, PATH2_65001, 4, BGP_VERDICT_OK);
	assert_int_equal(f->b->k.neighbor_as, 65001);
	path_case(f, &f->two, PATH_65001, 6, BGP_VERDICT_TREAT_AS_WITHDRAW);
}

/* RFC 7606 7.3 NEXT_HOP, RFC 4271 6.3 semantics */
static void test_next_hop(void **state)
{
	struct fx *f = *state;
	const uint8_t five[5] = {198, 18, 0, 1, 0};
	const uint8_t zero[4] = {0}, mcast[4] = {224, 0, 0, 1}, bcast[4] = {255, 255, 255, 255};
	const uint8_t *bad[] = {zero, mcast, bcast};

	A(f, 0x40, BGP_ATTR_ORIGIN, ORIGIN_IGP, 1);
	A(f, 0x40, BGP_ATTR_AS_PATH, PATH_65001, 6);
	A(f, 0x40, BGP_ATTR_NEXT_HOP, five, 5);
	assert_int_equal(decode(f, &f->e, true), 0);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_NEXT_HOP);
	for (int i = 0; i < 3; i++) {
		reset_w(f);
		A(f, 0x40, BGP_ATTR_ORIGIN, ORIGIN_IGP, 1);
		A(f, 0x40, BGP_ATTR_AS_PATH, PATH_65001, 6);
		A(f, 0x40, BGP_ATTR_NEXT_HOP, bad[i], 4);
		assert_int_equal(decode(f, &f->e, true), 0);
		EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_NEXT_HOP);
		assert_int_equal(f->res.withdraw_reason, BGP_ERR_UPD_NEXT_HOP);
	}
}

static void one_extra(struct fx *f, const struct bgp_session_params *p, uint8_t flags, uint8_t type,
                      const void *v, size_t len)
{
	int rc;

	reset_w(f);
	if (p->as4) {
		base(f);
	} else {
		A(f, 0x40, BGP_ATTR_ORIGIN, ORIGIN_IGP, 1);
		A(f, 0x40, BGP_ATTR_AS_PATH, PATH2_65001, sizeof(PATH2_65001));
		A(f, 0x40, BGP_ATTR_NEXT_HOP, NH, 4);
	}
	A(f, flags, type, v, len);
	rc = decode(f, p, true);
	/* Only a session reset fails the decode. */
	assert_int_equal(rc, f->res.verdict == BGP_VERDICT_SESSION_RESET ? -EBADMSG : 0);
}

/* RFC 7606 7.4 MED, 7.5 LOCAL_PREF, 7.6 ATOMIC_AGGREGATE, 7.7 AGGREGATOR, 7.9 ORIGINATOR_ID */
static void test_fixed_length(void **state)
{
	struct fx *f = *state;
	const uint8_t x[9] = {0, 0, 0xfd, 0xe9, 10, 0, 0, 1, 0};
	const uint8_t agg0[8] = {0, 0, 0, 0, 10, 0, 0, 1};

	one_extra(f, &f->e, 0x80, BGP_ATTR_MED, x, 4);
	EXPECT(f, BGP_VERDICT_OK, 0);
	assert_true(f->b->k.present & BGP_ATTRS_MED);
	one_extra(f, &f->e, 0x80, BGP_ATTR_MED, x, 3);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_MED);

	one_extra(f, &f->p, 0x40, BGP_ATTR_LOCAL_PREF, x, 4);
	EXPECT(f, BGP_VERDICT_OK, 0);
	assert_int_equal(f->b->k.local_pref, 65001);
	one_extra(f, &f->p, 0x40, BGP_ATTR_LOCAL_PREF, x, 5);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_LOCAL_PREF);
	/* From an external peer LOCAL_PREF is discarded, whatever its length. */
	one_extra(f, &f->e, 0x40, BGP_ATTR_LOCAL_PREF, x, 4);
	EXPECT(f, BGP_VERDICT_ATTR_DISCARD, 0);
	assert_true(f->res.discarded & (1ull << BGP_ATTR_LOCAL_PREF));
	assert_false(f->b->k.present & BGP_ATTRS_LOCAL_PREF);

	one_extra(f, &f->e, 0x40, BGP_ATTR_ATOMIC_AGGREGATE, x, 0);
	EXPECT(f, BGP_VERDICT_OK, 0);
	assert_true(f->b->k.present & BGP_ATTRS_ATOMIC_AGG);
	one_extra(f, &f->e, 0x40, BGP_ATTR_ATOMIC_AGGREGATE, x, 1);
	EXPECT(f, BGP_VERDICT_ATTR_DISCARD, 0);
	assert_false(f->b->k.present & BGP_ATTRS_ATOMIC_AGG);

	one_extra(f, &f->e, 0xc0, BGP_ATTR_AGGREGATOR, x, 8);
	EXPECT(f, BGP_VERDICT_OK, 0);
	assert_int_equal(f->b->k.aggregator_as, 65001);
	assert_int_equal(f->b->k.aggregator_id, 0x0a000001);
	one_extra(f, &f->e, 0xc0, BGP_ATTR_AGGREGATOR, x, 6); /* 6 on a 4-octet session */
	EXPECT(f, BGP_VERDICT_ATTR_DISCARD, 0);
	assert_false(f->b->k.present & BGP_ATTRS_AGGREGATOR);
	one_extra(f, &f->e, 0xc0, BGP_ATTR_AGGREGATOR, agg0, 8); /* RFC 7607: AS 0 */
	EXPECT(f, BGP_VERDICT_ATTR_DISCARD, 0);

	one_extra(f, &f->p, 0x80, BGP_ATTR_ORIGINATOR_ID, x, 4);
	EXPECT(f, BGP_VERDICT_OK, 0);
	assert_true(f->b->k.present & BGP_ATTRS_ORIGINATOR);
	one_extra(f, &f->p, 0x80, BGP_ATTR_ORIGINATOR_ID, x, 5);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_ORIGINATOR_ID);
	one_extra(f, &f->e, 0x80, BGP_ATTR_ORIGINATOR_ID, x, 4); /* from eBGP */
	EXPECT(f, BGP_VERDICT_ATTR_DISCARD, 0);
}

/* RFC 7606 7.8 COMMUNITY, 7.10 CLUSTER_LIST, 7.14 extended, RFC 8092 large */
static void test_lists(void **state)
{
	struct fx *f = *state;
	uint8_t x[26] = {0};

	one_extra(f, &f->e, 0xc0, BGP_ATTR_COMMUNITY, x, 8);
	EXPECT(f, BGP_VERDICT_OK, 0);
	assert_int_equal(f->b->part_len[BGP_PART_COMMUNITY], 8);
	one_extra(f, &f->e, 0xc0, BGP_ATTR_COMMUNITY, x, 5);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_COMMUNITY);
	one_extra(f, &f->e, 0xc0, BGP_ATTR_COMMUNITY, x, 0);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_COMMUNITY);

	one_extra(f, &f->p, 0x80, BGP_ATTR_CLUSTER_LIST, x, 8);
	EXPECT(f, BGP_VERDICT_OK, 0);
	one_extra(f, &f->p, 0x80, BGP_ATTR_CLUSTER_LIST, x, 6);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_CLUSTER_LIST);
	one_extra(f, &f->p, 0x80, BGP_ATTR_CLUSTER_LIST, x, 0);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_CLUSTER_LIST);
	one_extra(f, &f->e, 0x80, BGP_ATTR_CLUSTER_LIST, x, 4);
	EXPECT(f, BGP_VERDICT_ATTR_DISCARD, 0);

	one_extra(f, &f->e, 0xc0, BGP_ATTR_EXT_COMMUNITY, x, 16);
	EXPECT(f, BGP_VERDICT_OK, 0);
	one_extra(f, &f->e, 0xc0, BGP_ATTR_EXT_COMMUNITY, x, 9);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_EXT_COMMUNITY);

	one_extra(f, &f->e, 0xc0, BGP_ATTR_LARGE_COMMUNITY, x, 24);
	EXPECT(f, BGP_VERDICT_OK, 0);
	assert_int_equal(f->b->part_len[BGP_PART_LARGE_COMMUNITY], 24);
	one_extra(f, &f->e, 0xc0, BGP_ATTR_LARGE_COMMUNITY, x, 13);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_LARGE_COMMUNITY);
}

/* RFC 7606 7.11 MP_REACH_NLRI / MP_UNREACH_NLRI, RFC 4760, RFC 2545 */
static void test_mp(void **state)
{
	struct fx *f = *state;
	uint8_t v6[64] = {0, 2, 1, 32};
	uint8_t m[64];
	size_t n;

	/* Global + link-local next hop, one /64. */
	v6[4] = 0x20, v6[5] = 0x01, v6[6] = 0x0d, v6[7] = 0xb8, v6[19] = 1;
	v6[20] = 0xfe, v6[21] = 0x80, v6[35] = 1;
	v6[36] = 0; /* reserved */
	v6[37] = 64;
	v6[38] = 0x20, v6[39] = 0x01, v6[40] = 0x0d, v6[41] = 0xb8;
	memset(v6 + 42, 0, 4);
	n = 46;
	reset_w(f);
	A(f, 0x80, BGP_ATTR_MP_REACH, v6, n);
	A(f, 0x40, BGP_ATTR_ORIGIN, ORIGIN_IGP, 1);
	A(f, 0x40, BGP_ATTR_AS_PATH, PATH_65001, 6);
	assert_int_equal(decode(f, &f->e, false), 0);
	EXPECT(f, BGP_VERDICT_OK, 0);
	assert_true(f->mp.reach);
	assert_true(f->mp.has_ll);
	assert_int_equal(f->mp.next_hop.family, AF_INET6);
	assert_int_equal(f->mp.next_hop_ll.bytes[0], 0xfe);
	assert_int_equal(buf_remaining(&f->mp.reach_nlri), 9);

	/* Next hop length 5 for IPv6: reset, Optional Attribute Error, data = attribute. */
	memcpy(m, v6, n);
	m[3] = 5;
	reset_w(f);
	A(f, 0x80, BGP_ATTR_MP_REACH, m, n);
	assert_int_equal(decode(f, &f->e, false), -EBADMSG);
	EXPECT(f, BGP_VERDICT_SESSION_RESET, 0);
	assert_int_equal(f->res.notify.code, BGP_ERR_UPDATE);
	assert_int_equal(f->res.notify.subcode, BGP_ERR_UPD_OPTIONAL);
	assert_int_equal(f->res.notify.data_len, 3 + n);
	assert_int_equal(f->res.notify.data[1], BGP_ATTR_MP_REACH);
	/* Next hop longer than the attribute. */
	m[3] = 60;
	reset_w(f);
	A(f, 0x80, BGP_ATTR_MP_REACH, m, n);
	assert_int_equal(decode(f, &f->e, false), -EBADMSG);
	/* Too short to hold AFI/SAFI/length. */
	reset_w(f);
	A(f, 0x80, BGP_ATTR_MP_REACH, m, 3);
	assert_int_equal(decode(f, &f->e, false), -EBADMSG);
	reset_w(f);
	A(f, 0x80, BGP_ATTR_MP_UNREACH, m, 2);
	assert_int_equal(decode(f, &f->e, false), -EBADMSG);
	/* Unspecified IPv6 next hop: treat-as-withdraw. */
	memcpy(m, v6, n);
	m[3] = 16;
	memset(m + 4, 0, 16);
	m[20] = 0;
	m[21] = 64;
	memcpy(m + 22, v6 + 38, 8);
	reset_w(f);
	A(f, 0x80, BGP_ATTR_MP_REACH, m, 30);
	A(f, 0x40, BGP_ATTR_ORIGIN, ORIGIN_IGP, 1);
	A(f, 0x40, BGP_ATTR_AS_PATH, PATH_65001, 6);
	assert_int_equal(decode(f, &f->e, false), 0);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_MP_REACH);
	/* A family not negotiated is skipped. */
	f->e.families = BGP_AF_BIT(BGP_AF_IPV4);
	reset_w(f);
	A(f, 0x80, BGP_ATTR_MP_REACH, v6, n);
	assert_int_equal(decode(f, &f->e, false), 0);
	assert_false(f->mp.reach);
	f->e.families = 3;
	/* MP_UNREACH ok. */
	{
		const uint8_t un[] = {0, 2, 1, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0};
		reset_w(f);
		A(f, 0x80, BGP_ATTR_MP_UNREACH, un, sizeof(un));
		assert_int_equal(decode(f, &f->e, false), 0);
		assert_true(f->mp.unreach);
		assert_int_equal(buf_remaining(&f->mp.unreach_nlri), 9);
	}
}

/* RFC 6793 4.2.3 and 6: AS4_PATH / AS4_AGGREGATOR */
static void test_as4(void **state)
{
	struct fx *f = *state;
	const uint8_t path2[] = {2, 3, 0xfd, 0xe9, 0x5b, 0xa0, 0x5b, 0xa0};
	const uint8_t as4[] = {2, 2, 0xfa, 0x56, 0xea, 0x01, 0xfa, 0x56, 0xea, 0x02};
	const uint8_t as4_long[] = {2, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4};
	const uint8_t as4_confed[] = {3, 1, 0, 0, 0, 1};
	const uint8_t as4_bad[] = {2, 3, 0, 0, 0, 1};
	const uint8_t agg_trans[] = {0x5b, 0xa0, 10, 0, 0, 1};
	const uint8_t agg_real[] = {0xfd, 0xea, 10, 0, 0, 1};
	const uint8_t as4agg[] = {0xfa, 0x56, 0xea, 0x03, 10, 0, 0, 2};
	struct bgp_attrs *a;

	reset_w(f);
	A(f, 0x40, BGP_ATTR_ORIGIN, ORIGIN_IGP, 1);
	A(f, 0x40, BGP_ATTR_AS_PATH, path2, sizeof(path2));
	A(f, 0x40, BGP_ATTR_NEXT_HOP, NH, 4);
	A(f, 0xc0, BGP_ATTR_AGGREGATOR, agg_trans, 6);
	A(f, 0xc0, BGP_ATTR_AS4_PATH, as4, sizeof(as4));
	A(f, 0xc0, BGP_ATTR_AS4_AGGREGATOR, as4agg, 8);
	assert_int_equal(decode(f, &f->two, true), 0);
	EXPECT(f, BGP_VERDICT_OK, 0);
	a = bgp_attr_intern(&f->t, f->b);
	assert_int_equal(a->k.as_path_len, 3);
	assert_int_equal(a->k.neighbor_as, 65001);
	assert_true(bgp_attrs_path_has_as(a, 4200000001u));
	assert_true(bgp_attrs_path_has_as(a, 4200000002u));
	assert_false(bgp_attrs_path_has_as(a, BGP_AS_TRANS));
	assert_int_equal(a->k.aggregator_as, 4200000003u);
	assert_int_equal(a->k.aggregator_id, 0x0a000002);
	bgp_attr_unref(&f->t, a);

	/* AGGREGATOR not AS_TRANS: both AS4 attributes ignored. */
	reset_w(f);
	A(f, 0x40, BGP_ATTR_ORIGIN, ORIGIN_IGP, 1);
	A(f, 0x40, BGP_ATTR_AS_PATH, path2, sizeof(path2));
	A(f, 0x40, BGP_ATTR_NEXT_HOP, NH, 4);
	A(f, 0xc0, BGP_ATTR_AGGREGATOR, agg_real, 6);
	A(f, 0xc0, BGP_ATTR_AS4_PATH, as4, sizeof(as4));
	A(f, 0xc0, BGP_ATTR_AS4_AGGREGATOR, as4agg, 8);
	assert_int_equal(decode(f, &f->two, true), 0);
	assert_int_equal(f->b->k.aggregator_as, 65002);
	assert_int_equal(f->b->part_len[BGP_PART_AS_PATH], 2 + 3 * 4);

	/* AS4_PATH longer than AS_PATH: ignored. */
	reset_w(f);
	A(f, 0x40, BGP_ATTR_ORIGIN, ORIGIN_IGP, 1);
	A(f, 0x40, BGP_ATTR_AS_PATH, path2, sizeof(path2));
	A(f, 0x40, BGP_ATTR_NEXT_HOP, NH, 4);
	A(f, 0xc0, BGP_ATTR_AS4_PATH, as4_long, sizeof(as4_long));
	assert_int_equal(decode(f, &f->two, true), 0);
	EXPECT(f, BGP_VERDICT_OK, 0);
	assert_int_equal(f->b->k.as_path_len, 3);
	assert_int_equal(f->b->k.neighbor_as, 65001);

	/* Malformed / confed AS4_PATH, short AS4_AGGREGATOR: attribute discard. */
	one_extra(f, &f->two, 0xc0, BGP_ATTR_AS4_PATH, as4_bad, sizeof(as4_bad));
	EXPECT(f, BGP_VERDICT_ATTR_DISCARD, 0);
	assert_true(f->res.discarded & (1ull << BGP_ATTR_AS4_PATH));
	one_extra(f, &f->two, 0xc0, BGP_ATTR_AS4_PATH, as4_confed, sizeof(as4_confed));
	EXPECT(f, BGP_VERDICT_ATTR_DISCARD, 0);
	one_extra(f, &f->two, 0xc0, BGP_ATTR_AS4_AGGREGATOR, as4agg, 6);
	EXPECT(f, BGP_VERDICT_ATTR_DISCARD, 0);
	/* From a four-octet speaker both are discarded (RFC 6793 4.1). */
	one_extra(f, &f->e, 0xc0, BGP_ATTR_AS4_PATH, as4, sizeof(as4));
	EXPECT(f, BGP_VERDICT_ATTR_DISCARD, 0);
	assert_int_equal(f->b->k.as_path_len, 1);
}

/* RFC 4271 6.3 flags, handled as RFC 7606 3 (c) says; duplicates 3 (g); unknown attributes */
static void test_flags_dup_unknown(void **state)
{
	struct fx *f = *state;
	const uint8_t x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	const uint8_t egp[1] = {1};

	/* ORIGIN flagged optional: treat-as-withdraw with reason Attribute Flags Error. */
	reset_w(f);
	A(f, 0xc0, BGP_ATTR_ORIGIN, ORIGIN_IGP, 1);
	A(f, 0x40, BGP_ATTR_AS_PATH, PATH_65001, 6);
	A(f, 0x40, BGP_ATTR_NEXT_HOP, NH, 4);
	assert_int_equal(decode(f, &f->e, true), 0);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_ORIGIN);
	assert_int_equal(f->res.withdraw_reason, BGP_ERR_UPD_ATTR_FLAGS);
	/* Partial bit on a well-known attribute. */
	reset_w(f);
	A(f, 0x60, BGP_ATTR_ORIGIN, ORIGIN_IGP, 1);
	A(f, 0x40, BGP_ATTR_AS_PATH, PATH_65001, 6);
	A(f, 0x40, BGP_ATTR_NEXT_HOP, NH, 4);
	assert_int_equal(decode(f, &f->e, true), 0);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_ORIGIN);
	/* ATOMIC_AGGREGATE with wrong flags: discard. */
	one_extra(f, &f->e, 0xc0, BGP_ATTR_ATOMIC_AGGREGATE, x, 0);
	EXPECT(f, BGP_VERDICT_ATTR_DISCARD, 0);
	/* MP_REACH flagged transitive: reset. */
	one_extra(f, &f->e, 0xc0, BGP_ATTR_MP_REACH, x, 8);
	EXPECT(f, BGP_VERDICT_SESSION_RESET, 0);
	assert_int_equal(f->res.notify.subcode, BGP_ERR_UPD_ATTR_FLAGS);
	/* Extended length on a short attribute is fine. */
	one_extra(f, &f->e, 0x80 | BGP_ATTR_F_EXTENDED, BGP_ATTR_MED, x, 4);
	EXPECT(f, BGP_VERDICT_OK, 0);

	/* Duplicate ORIGIN: the second is discarded, the first kept. */
	reset_w(f);
	base(f);
	A(f, 0x40, BGP_ATTR_ORIGIN, egp, 1);
	assert_int_equal(decode(f, &f->e, true), 0);
	EXPECT(f, BGP_VERDICT_ATTR_DISCARD, 0);
	assert_int_equal(f->b->k.origin, BGP_ORIGIN_IGP);
	/* Duplicate MP_UNREACH: Malformed Attribute List. */
	{
		const uint8_t un[] = {0, 1, 1};
		reset_w(f);
		A(f, 0x80, BGP_ATTR_MP_UNREACH, un, 3);
		A(f, 0x80, BGP_ATTR_MP_UNREACH, un, 3);
		assert_int_equal(decode(f, &f->e, false), -EBADMSG);
		assert_int_equal(f->res.notify.subcode, BGP_ERR_UPD_ATTR_LIST);
	}
	/* Unrecognized well-known: reset, subcode 2, data = the attribute. */
	one_extra(f, &f->e, 0x40, 99, x, 2);
	EXPECT(f, BGP_VERDICT_SESSION_RESET, 0);
	assert_int_equal(f->res.notify.subcode, BGP_ERR_UPD_UNKNOWN_WELLKNOWN);
	assert_int_equal(f->res.notify.data_len, 5);
	assert_int_equal(f->res.notify.data[1], 99);
	/* Unknown optional transitive: kept, Partial set. Non-transitive: dropped. */
	one_extra(f, &f->e, 0xc0, 99, x, 2);
	EXPECT(f, BGP_VERDICT_OK, 0);
	assert_int_equal(f->b->part_len[BGP_PART_UNKNOWN], 6);
	assert_int_equal(f->b->part[BGP_PART_UNKNOWN][0] & BGP_ATTR_F_PARTIAL, BGP_ATTR_F_PARTIAL);
	one_extra(f, &f->e, 0x80, 99, x, 2);
	EXPECT(f, BGP_VERDICT_OK, 0);
	assert_int_equal(f->b->part_len[BGP_PART_UNKNOWN], 0);
}

/* RFC 7606 3 (d) missing mandatory attributes; RFC 7606 4 length conflicts */
static void test_missing_and_lengths(void **state)
{
	struct fx *f = *state;

	reset_w(f);
	A(f, 0x40, BGP_ATTR_AS_PATH, PATH_65001, 6);
	A(f, 0x40, BGP_ATTR_NEXT_HOP, NH, 4);
	assert_int_equal(decode(f, &f->e, true), 0);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_ORIGIN);
	assert_int_equal(f->res.withdraw_reason, BGP_ERR_UPD_MISSING_WELLKNOWN);
	/* Without NLRI nothing is mandatory. */
	assert_int_equal(decode(f, &f->e, false), 0);
	EXPECT(f, BGP_VERDICT_OK, 0);
	reset_w(f);
	A(f, 0x40, BGP_ATTR_ORIGIN, ORIGIN_IGP, 1);
	A(f, 0x40, BGP_ATTR_NEXT_HOP, NH, 4);
	assert_int_equal(decode(f, &f->e, true), 0);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_AS_PATH);
	reset_w(f);
	A(f, 0x40, BGP_ATTR_ORIGIN, ORIGIN_IGP, 1);
	A(f, 0x40, BGP_ATTR_AS_PATH, PATH_65001, 6);
	assert_int_equal(decode(f, &f->e, true), 0);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_NEXT_HOP);

	/* Attribute longer than the list. */
	reset_w(f);
	base(f);
	buf_put_u8(&f->w, 0x80);
	buf_put_u8(&f->w, BGP_ATTR_MED);
	buf_put_u8(&f->w, 4);
	buf_put_u8(&f->w, 0);
	assert_int_equal(decode(f, &f->e, true), 0);
	EXPECT(f, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ATTR_MED);
	/* Two bytes left: not even a header. */
	reset_w(f);
	base(f);
	buf_put_u8(&f->w, 0x80);
	buf_put_u8(&f->w, BGP_ATTR_MED);
	assert_int_equal(decode(f, &f->e, true), 0);
	assert_int_equal(f->res.verdict, BGP_VERDICT_TREAT_AS_WITHDRAW);
	/* Extended length flag but only one length byte. */
	reset_w(f);
	base(f);
	buf_put_u8(&f->w, 0x90);
	buf_put_u8(&f->w, BGP_ATTR_MED);
	buf_put_u8(&f->w, 0);
	assert_int_equal(decode(f, &f->e, true), 0);
	assert_int_equal(f->res.verdict, BGP_VERDICT_TREAT_AS_WITHDRAW);
}

static void test_nlri(void **state)
{
	struct fx *f = *state;
	struct prefix p, q;
	struct buf_reader r;
	const uint8_t bad[] = {33, 1, 2, 3, 4, 5};
	const uint8_t short_[] = {24, 10, 0};
	const uint8_t dirty[] = {20, 10, 1, 0xff};

	reset_w(f);
	assert_int_equal(prefix_parse("198.18.128.0/17", &p, true), 0);
	assert_int_equal(bgp_nlri_encode(&f->w, &p), 0);
	assert_int_equal(f->w.len, 4);
	assert_int_equal(bgp_nlri_size(&p), 4);
	assert_int_equal(prefix_parse("2001:db8:1::/48", &q, true), 0);
	assert_int_equal(bgp_nlri_encode(&f->w, &q), 0);
	buf_reader_init(&r, f->buf, f->w.len);
	assert_int_equal(bgp_nlri_decode(&r, AF_INET, &p), 0);
	assert_int_equal(bgp_nlri_decode(&r, AF_INET6, &q), 0);
	assert_int_equal(buf_remaining(&r), 0);
	{
		char s[PREFIX_STRLEN];
		assert_string_equal(prefix_format(&p, s, sizeof(s)), "198.18.128.0/17");
		assert_string_equal(prefix_format(&q, s, sizeof(s)), "2001:db8:1::/48");
	}
	buf_reader_init(&r, bad, sizeof(bad));
	assert_int_equal(bgp_nlri_decode(&r, AF_INET, &p), -EBADMSG);
	buf_reader_init(&r, short_, sizeof(short_));
	assert_int_equal(bgp_nlri_decode(&r, AF_INET, &p), -EBADMSG);
	buf_reader_init(&r, dirty, sizeof(dirty));
	assert_int_equal(bgp_nlri_decode(&r, AF_INET, &p), 0);
	assert_int_equal(p.addr.bytes[2], 0xf0); /* host bits cleared */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_interning, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_origin, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_as_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_next_hop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fixed_length, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lists, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_as4, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flags_dup_unknown, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_and_lengths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nlri, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
