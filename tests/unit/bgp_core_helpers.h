/*
 * DOC: helpers shared by the bgp core unit tests (test_bgp_rib.c,
 * test_bgp_decision.c, test_bgp_update.c): building UPDATE bodies with the
 * codec under test, and setting up RIB peers.
 */
#ifndef TABBY_TEST_BGP_CORE_HELPERS_H
#define TABBY_TEST_BGP_CORE_HELPERS_H

#include <string.h>

#include "../../bgp/rib.h"
#include "../../bgp/update.h"

/* Fill b with ORIGIN, an AS_SEQUENCE path, next hop (IPv4 or IPv6) and optional MED / LOCAL_PREF.
 */
static inline void th_attrs(struct bgp_attr_builder *b, uint8_t origin, const uint32_t *path,
                            size_t n, const char *nh, long med, long lp)
{
	bgp_attr_builder_reset(b);
	b->k.origin = origin;
	b->k.present |= BGP_ATTRS_ORIGIN;
	assert_int_equal(bgp_attr_builder_set_path(b, path, n), 0);
	if (nh) {
		assert_int_equal(addr_parse(nh, &b->k.next_hop), 0);
		b->k.present |= BGP_ATTRS_NEXT_HOP;
	}
	if (med >= 0) {
		b->k.med = (uint32_t)med;
		b->k.present |= BGP_ATTRS_MED;
	}
	if (lp >= 0) {
		b->k.local_pref = (uint32_t)lp;
		b->k.present |= BGP_ATTRS_LOCAL_PREF;
	}
}

/*
 * An UPDATE body: IPv4 withdrawals, attributes from b (if any NLRI), IPv4
 * NLRI; or, for IPv6 prefixes (family from the strings), MP_REACH_NLRI /
 * MP_UNREACH_NLRI first. Returns the body length.
 */
static inline size_t th_body(uint8_t *out, size_t cap, struct bgp_attr_builder *b, bool as4,
                             const char *const *wd, size_t nwd, const char *const *nlri, size_t nn)
{
	struct bgp_attr_table t;
	struct buf_writer w, v4w, v6w, v4n, v6n;
	uint8_t m4w[4096], m6w[4096], m4n[65536], m6n[65536];
	struct bgp_attrs *a = NULL;
	struct prefix p;
	size_t attr_off;

	buf_writer_init_fixed(&v4w, m4w, sizeof(m4w));
	buf_writer_init_fixed(&v6w, m6w, sizeof(m6w));
	buf_writer_init_fixed(&v4n, m4n, sizeof(m4n));
	buf_writer_init_fixed(&v6n, m6n, sizeof(m6n));
	for (size_t i = 0; i < nwd; i++) {
		assert_int_equal(prefix_parse(wd[i], &p, true), 0);
		bgp_nlri_encode(p.addr.family == AF_INET ? &v4w : &v6w, &p);
	}
	for (size_t i = 0; i < nn; i++) {
		assert_int_equal(prefix_parse(nlri[i], &p, true), 0);
		bgp_nlri_encode(p.addr.family == AF_INET ? &v4n : &v6n, &p);
	}
	assert_int_equal(bgp_attr_table_init(&t), 0);
	buf_writer_init_fixed(&w, out, cap);
	buf_put_u16(&w, (uint16_t)v4w.len);
	buf_put_bytes(&w, m4w, v4w.len);
	attr_off = w.len;
	buf_put_u16(&w, 0);
	if (v6w.len) {
		buf_put_u8(&w, 0x90);
		buf_put_u8(&w, BGP_ATTR_MP_UNREACH);
		buf_put_u16(&w, (uint16_t)(3 + v6w.len));
		buf_put_u16(&w, BGP_AFI_IPV6);
		buf_put_u8(&w, 1);
		buf_put_bytes(&w, m6w, v6w.len);
	}
	if (b && nn) {
		a = bgp_attr_intern(&t, b);
		if (v6n.len) {
			bool ll = a->k.present & BGP_ATTRS_NEXT_HOP_LL;
			buf_put_u8(&w, 0x90);
			buf_put_u8(&w, BGP_ATTR_MP_REACH);
			buf_put_u16(&w, (uint16_t)(5 + (ll ? 32 : 16) + v6n.len));
			buf_put_u16(&w, BGP_AFI_IPV6);
			buf_put_u8(&w, 1);
			buf_put_u8(&w, ll ? 32 : 16);
			buf_put_bytes(&w, a->k.next_hop.bytes, 16);
			if (ll)
				buf_put_bytes(&w, a->k.next_hop_ll.bytes, 16);
			buf_put_u8(&w, 0);
			buf_put_bytes(&w, m6n, v6n.len);
		}
		assert_int_equal(bgp_attr_encode(&w, a, as4, v4n.len > 0), 0);
		bgp_attr_unref(&t, a);
	}
	buf_patch_u16(&w, attr_off, (uint16_t)(w.len - attr_off - 2));
	buf_put_bytes(&w, m4n, v4n.len);
	assert_true(buf_writer_ok(&w));
	bgp_attr_table_free(&t);
	return w.len;
}

/* A peer configured and brought up with the given AS, address and BGP identifier. */
static inline struct rib_peer *th_peer(struct rib *rib, uint32_t local_as, uint32_t as,
                                       const char *addr, uint32_t id, bool rr_client)
{
	struct rib_peer_config c = {.peer_as = as, .rr_client = rr_client};
	struct rib_peer_session s = {0};
	struct rib_peer *p;

	assert_int_equal(addr_parse(addr, &c.addr), 0);
	p = rib_peer_add(rib, &c);
	assert_non_null(p);
	s.params.local_as = local_as;
	s.params.peer_as = as;
	s.params.peer_id = id;
	s.params.ebgp = as != local_as;
	s.params.as4 = true;
	s.params.families = BGP_AF_BIT(BGP_AF_IPV4) | BGP_AF_BIT(BGP_AF_IPV6);
	s.params.max_msg_len = BGP_MAX_MSG_LEN;
	s.params.peer_gr = true;
	s.params.peer_gr_forwarding = s.params.families;
	assert_int_equal(
	    addr_parse(addr[0] && strchr(addr, ':') ? "2001:db8::ffff" : "198.18.255.1",
	               &s.local_addr),
	    0);
	assert_int_equal(addr_parse("198.18.255.1", &s.local_v4), 0);
	assert_int_equal(addr_parse("2001:db8::ffff", &s.local_v6), 0);
	assert_int_equal(rib_peer_up(rib, p, &s), 0);
	return p;
}

static inline const struct rib_route *th_best(struct rib *rib, const char *pfx)
{
	struct prefix p;

	assert_int_equal(prefix_parse(pfx, &p, true), 0);
	return rib_lookup(rib, &p);
}

#endif
