/*
 * DOC: unit tests for the Adj-RIB-Out and outbound UPDATE packing
 * (bgp/update*.c): fewest messages per attribute set, withdrawal packing,
 * End-of-RIB, export rules (eBGP prepend and next-hop-self, LOCAL_PREF and
 * MED, iBGP split horizon, route reflection, NO_EXPORT / NO_ADVERTISE),
 * two-octet AS peers, IPv6 MP_REACH_NLRI, extended messages, route refresh,
 * and a round trip of the produced messages into a second RIB.
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

enum { S, T, I1, I2, C, NPEERS };

struct fx {
	struct rib *rib;
	struct bgp_attr_builder *b, *rb;
	struct rib_peer *p[NPEERS];
	uint8_t body[70000];
	char names[3000][24];
	const char *nlri[3000];
	struct buf_writer out;
};

/* What a peer was sent. */
struct sent {
	size_t msgs, ann, wd, eor, max_len;
	size_t attr_len; /* attribute bytes of the last announcing message */
	bool mp_first;   /* MP_REACH_NLRI was the first attribute */
	struct bgp_attr_result res;
	struct bgp_attrs_key k; /* last announcement's decoded set */
	uint32_t path[8];
	size_t path_n;
	size_t cluster_len;
	uint32_t cluster0;
	size_t comm_len;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct rib_config cfg = {.local_as = 64512, .router_id = 0xC612FF01, .multipath = 1};

	f->rib = rib_new(&cfg);
	f->b = bgp_attr_builder_new();
	f->rb = bgp_attr_builder_new();
	f->p[S] = th_peer(f->rib, 64512, 65001, "198.18.0.1", 1, false);
	f->p[T] = th_peer(f->rib, 64512, 65002, "198.18.0.2", 2, false);
	f->p[I1] = th_peer(f->rib, 64512, 64512, "198.18.0.3", 3, false);
	f->p[I2] = th_peer(f->rib, 64512, 64512, "198.18.0.4", 4, false);
	f->p[C] = th_peer(f->rib, 64512, 64512, "198.18.0.5", 5, true);
	for (int i = 0; i < 3000; i++) {
		snprintf(f->names[i], sizeof(f->names[i]), "10.%d.%d.0/24", i / 256, i % 256);
		f->nlri[i] = f->names[i];
	}
	buf_writer_init(&f->out, 1 << 16);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rib_free(f->rib);
	bgp_attr_builder_free(f->b);
	bgp_attr_builder_free(f->rb);
	buf_writer_free(&f->out);
	free(f);
	return 0;
}

/* Path as a list of ASNs (AS_SEQUENCE segments only). */
static size_t path_of(const struct bgp_attr_builder *b, uint32_t *out, size_t cap)
{
	struct buf_reader r;
	uint8_t type, count;
	size_t n = 0;

	buf_reader_init(&r, b->part[BGP_PART_AS_PATH], b->part_len[BGP_PART_AS_PATH]);
	while (buf_get_u8(&r, &type) == 0 && buf_get_u8(&r, &count) == 0)
		for (unsigned i = 0; i < count && n < cap; i++)
			buf_get_u32(&r, &out[n++]);
	return n;
}

/* Flush peer's queue and decode every message it would be sent. */
static void flush(struct fx *f, int peer, bool as4, struct sent *s)
{
	struct bgp_session_params rp = {.as4 = as4, .families = 3, .local_as = 1, .peer_as = 1};
	size_t n_msgs, pos = 0;

	memset(s, 0, sizeof(*s));
	buf_writer_reset(&f->out);
	assert_int_equal(rib_peer_flush_out(f->rib, f->p[peer], &f->out, &n_msgs), 0);
	assert_false(rib_peer_out_pending(f->p[peer]));
	while (pos < f->out.len) {
		struct bgp_msg_header h;
		struct bgp_notify err;
		struct bgp_update_parts parts;
		struct bgp_mp_info mp;
		struct prefix p;
		const uint8_t *m = f->out.data + pos;
		bool has_nlri;

		assert_int_equal(
		    bgp_msg_decode_header(m, f->out.len - pos, BGP_MAX_EXT_MSG_LEN, &h, &err), 0);
		assert_int_equal(h.type, BGP_MSG_UPDATE);
		if (h.len > s->max_len)
			s->max_len = h.len;
		s->msgs++;
		assert_int_equal(bgp_msg_split_update(m + 19, h.len - 19u, &parts, &err), 0);
		has_nlri = buf_remaining(&parts.nlri) > 0;
		if (h.len == 23 || (h.len == 29 && !buf_remaining(&parts.withdrawn))) {
			s->eor++;
			pos += h.len;
			continue;
		}
		while (buf_remaining(&parts.withdrawn)) {
			assert_int_equal(bgp_nlri_decode(&parts.withdrawn, AF_INET, &p), 0);
			s->wd++;
		}
		if (buf_remaining(&parts.attrs)) {
			struct buf_reader first = parts.attrs;
			uint8_t fl, ty;
			buf_get_u8(&first, &fl);
			buf_get_u8(&first, &ty);
			s->attr_len = buf_remaining(&parts.attrs);
			assert_int_equal(
			    bgp_attr_decode(&parts.attrs, &rp, has_nlri, f->rb, &mp, &s->res), 0);
			assert_int_equal(s->res.verdict, BGP_VERDICT_OK);
			while (mp.unreach && buf_remaining(&mp.unreach_nlri)) {
				assert_int_equal(bgp_nlri_decode(&mp.unreach_nlri, AF_INET6, &p),
				                 0);
				s->wd++;
			}
			if (mp.reach) {
				s->mp_first = ty == BGP_ATTR_MP_REACH;
				f->rb->k.next_hop = mp.next_hop;
				if (mp.has_ll)
					f->rb->k.next_hop_ll = mp.next_hop_ll;
				while (buf_remaining(&mp.reach_nlri)) {
					assert_int_equal(
					    bgp_nlri_decode(&mp.reach_nlri, AF_INET6, &p), 0);
					s->ann++;
				}
			}
			if (has_nlri || mp.reach) {
				memcpy(&s->k, &f->rb->k, sizeof(s->k));
				s->path_n = path_of(f->rb, s->path, 8);
				s->cluster_len = f->rb->part_len[BGP_PART_CLUSTER_LIST] / 4;
				s->comm_len = f->rb->part_len[BGP_PART_COMMUNITY];
				if (s->cluster_len) {
					struct buf_reader cr;
					buf_reader_init(&cr, f->rb->part[BGP_PART_CLUSTER_LIST], 4);
					buf_get_u32(&cr, &s->cluster0);
				}
			}
		}
		while (buf_remaining(&parts.nlri)) {
			assert_int_equal(bgp_nlri_decode(&parts.nlri, AF_INET, &p), 0);
			s->ann++;
		}
		pos += h.len;
	}
	assert_int_equal(n_msgs, s->msgs);
}

static void feed(struct fx *f, int peer, size_t len)
{
	struct rib_update_result res;

	assert_int_equal(rib_peer_update(f->rib, f->p[peer], f->body, len, &res), 0);
	assert_int_equal(res.attr.verdict, BGP_VERDICT_OK);
}

static const uint32_t P65001[] = {65001};

static void announce_bulk(struct fx *f, int peer, const uint32_t *path, size_t pn, const char *nh,
                          size_t n)
{
	size_t len;

	th_attrs(f->b, BGP_ORIGIN_IGP, path, pn, nh, 10, -1);
	for (size_t i = 0; i < n; i += 1000) {
		len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, f->nlri + i,
		              n - i < 1000 ? n - i : 1000);
		feed(f, peer, len);
	}
}

static void flush_all(struct fx *f)
{
	struct sent s;

	for (int i = 0; i < NPEERS; i++)
		flush(f, i, true, &s);
}

/* All prefixes of one set in the fewest 4096-byte messages; eBGP export rules. */
static void test_pack_one_set(void **state)
{
	struct fx *f = *state;
	struct sent s;
	size_t per_msg, expect;
	char a[ADDR_STRLEN];

	flush_all(f); /* the initial (empty) transfers and their End-of-RIB markers */
	announce_bulk(f, S, P65001, 1, "198.18.0.1", 3000);
	assert_true(rib_peer_out_pending(f->p[T]));
	flush(f, T, true, &s);
	assert_int_equal(s.ann, 3000);
	assert_int_equal(s.eor, 0);
	per_msg = (4096 - 23 - s.attr_len) / 4;
	expect = (3000 + per_msg - 1) / per_msg;
	assert_int_equal(s.msgs, expect);
	assert_true(s.max_len <= 4096);
	assert_int_equal(rib_peer_out_count(f->p[T]), 3000);
	/* RFC 4271 5.1.2: our AS prepended; 5.1.3: our address as next hop. */
	assert_int_equal(s.path_n, 2);
	assert_int_equal(s.path[0], 64512);
	assert_int_equal(s.path[1], 65001);
	assert_string_equal(addr_format(&s.k.next_hop, a, sizeof(a)), "198.18.255.1");
	/* 5.1.5 no LOCAL_PREF to eBGP; 5.1.4 the MED from AS 65001 is not passed on. */
	assert_false(s.k.present & BGP_ATTRS_LOCAL_PREF);
	assert_false(s.k.present & BGP_ATTRS_MED);
	/* Nothing goes back to the source. */
	flush(f, S, true, &s);
	assert_int_equal(s.msgs, 0);
	/* Flushing again sends nothing: the Adj-RIB-Out has it all. */
	flush(f, T, true, &s);
	assert_int_equal(s.msgs, 0);

	/* Withdrawals packed too. */
	{
		size_t len = th_body(f->body, sizeof(f->body), NULL, true, f->nlri, 1000, NULL, 0);
		feed(f, S, len);
		len = th_body(f->body, sizeof(f->body), NULL, true, f->nlri + 1000, 1000, NULL, 0);
		feed(f, S, len);
		len = th_body(f->body, sizeof(f->body), NULL, true, f->nlri + 2000, 1000, NULL, 0);
		feed(f, S, len);
	}
	flush(f, T, true, &s);
	assert_int_equal(s.wd, 3000);
	assert_int_equal(s.msgs, (3000 * 4 + (4096 - 23) - 1) / (4096 - 23));
	assert_int_equal(rib_peer_out_count(f->p[T]), 0);
}

/* Two sets interleaved: one group each; two input sets that export alike share messages. */
static void test_pack_groups(void **state)
{
	struct fx *f = *state;
	const uint32_t comm[] = {0xfde90001};
	struct sent s;
	size_t len;

	flush_all(f);
	for (int i = 0; i < 200; i++) {
		th_attrs(f->b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.1", 10, -1);
		if (i % 2)
			bgp_attr_builder_set_communities(f->b, comm, 1);
		len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, f->nlri + i, 1);
		feed(f, S, len);
	}
	flush(f, T, true, &s);
	assert_int_equal(s.ann, 200);
	assert_int_equal(s.msgs, 2);
	/* Different MEDs from one AS are stripped towards eBGP: one group. */
	for (int i = 200; i < 400; i++) {
		th_attrs(f->b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.1", i, -1);
		len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, f->nlri + i, 1);
		feed(f, S, len);
	}
	flush(f, T, true, &s);
	assert_int_equal(s.ann, 200);
	assert_int_equal(s.msgs, 1);
	/* ... but towards iBGP the MED stays and each set is its own UPDATE. */
	flush(f, I1, true, &s);
	assert_int_equal(s.ann, 400);
	assert_int_equal(s.msgs, 200 + 2);
}

/* End-of-RIB after the initial transfer of each family (RFC 4724 2). */
static void test_eor(void **state)
{
	struct fx *f = *state;
	struct sent s;
	struct rib_peer *late;

	announce_bulk(f, S, P65001, 1, "198.18.0.1", 10);
	late = th_peer(f->rib, 64512, 65003, "198.18.0.9", 9, false);
	f->p[T] = late;
	flush(f, T, true, &s);
	assert_int_equal(s.ann, 10);
	assert_int_equal(s.eor, 2);
	assert_int_equal(s.msgs, 3);
	flush(f, T, true, &s);
	assert_int_equal(s.msgs, 0);
	{
		uint8_t m[64];
		struct buf_writer w;
		buf_writer_init_fixed(&w, m, sizeof(m));
		assert_int_equal(bgp_update_encode_eor(&w, BGP_AF_IPV4), 0);
		assert_int_equal(w.len, 23);
		assert_int_equal(bgp_update_encode_eor(&w, BGP_AF_IPV6), 0);
		assert_int_equal(w.len, 23 + 29);
	}
}

/* iBGP split horizon and route reflection (RFC 4456 6, 8); LOCAL_PREF to iBGP. */
static void test_ibgp_and_reflection(void **state)
{
	struct fx *f = *state;
	const uint32_t path[] = {65009};
	struct sent s;
	size_t len;
	char a[ADDR_STRLEN];

	flush_all(f);
	/* From non-client I1. */
	th_attrs(f->b, BGP_ORIGIN_IGP, path, 1, "198.18.9.9", -1, 300);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, f->nlri, 1);
	feed(f, I1, len);
	flush(f, I2, true, &s);
	assert_int_equal(s.ann, 0); /* non-client to non-client: not reflected */
	flush(f, C, true, &s);
	assert_int_equal(s.ann, 1);
	assert_true(s.k.present & BGP_ATTRS_ORIGINATOR);
	assert_int_equal(s.k.originator_id, 3);
	assert_int_equal(s.cluster_len, 1);
	assert_int_equal(s.cluster0, 0xC612FF01);
	assert_int_equal(s.k.local_pref, 300);
	assert_string_equal(addr_format(&s.k.next_hop, a, sizeof(a)), "198.18.9.9");
	flush(f, T, true, &s);
	assert_int_equal(s.ann, 1);
	assert_false(s.k.present & BGP_ATTRS_ORIGINATOR);
	assert_int_equal(s.cluster_len, 0);
	flush(f, I1, true, &s);
	assert_int_equal(s.ann, 0);

	/* From client C: to everyone but C. */
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, f->nlri + 1, 1);
	feed(f, C, len);
	flush(f, I1, true, &s);
	assert_int_equal(s.ann, 1);
	flush(f, I2, true, &s);
	assert_int_equal(s.ann, 1);
	flush(f, C, true, &s);
	assert_int_equal(s.ann, 0);

	/*
	 * eBGP-learned to iBGP: LOCAL_PREF 100 added, next hop unchanged, MED
	 * kept. For nlri[0] and nlri[1] the iBGP routes' LOCAL_PREF 300 still
	 * wins (RFC 4271 9.1.1 before 9.1.2.2 (d)): only nlri[2] is new.
	 */
	announce_bulk(f, S, P65001, 1, "198.18.0.1", 3);
	flush(f, I2, true, &s);
	assert_int_equal(s.ann, 1);
	assert_true(s.k.present & BGP_ATTRS_LOCAL_PREF);
	assert_int_equal(s.k.local_pref, 100);
	assert_true(s.k.present & BGP_ATTRS_MED);
	assert_false(s.k.present & BGP_ATTRS_ORIGINATOR);
	assert_string_equal(addr_format(&s.k.next_hop, a, sizeof(a)), "198.18.0.1");
	flush(f, C, true, &s);
	assert_int_equal(s.ann, 1);
	flush(f, T, true, &s);
	assert_int_equal(s.ann, 2); /* nlri[1] (from C) and nlri[2]; nlri[0] was sent before */
}

/* RFC 5065 5.3: confederation segments from an iBGP peer are not sent outside. */
static void test_confed_stripped(void **state)
{
	struct fx *f = *state;
	static const uint8_t path[] = {BGP_AS_CONFED_SEQUENCE, 1, 0, 0, 0xfe, 0x4c,
	                               BGP_AS_SEQUENCE,        1, 0, 0, 0xfe, 0x31};
	struct sent s;
	size_t len;

	flush_all(f);
	th_attrs(f->b, BGP_ORIGIN_IGP, NULL, 0, "198.18.9.9", -1, -1);
	f->b->part[BGP_PART_AS_PATH] = path;
	f->b->part_len[BGP_PART_AS_PATH] = sizeof(path);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, f->nlri, 1);
	feed(f, I1, len);
	flush(f, T, true, &s);
	assert_int_equal(s.ann, 1);
	assert_int_equal(s.res.verdict, BGP_VERDICT_OK);
	assert_int_equal(s.path_n, 2);
	assert_int_equal(s.path[0], 64512);
	assert_int_equal(s.path[1], 65073);
}

/* RFC 1997 well-known communities. */
static void test_communities(void **state)
{
	struct fx *f = *state;
	const uint32_t no_export[] = {BGP_COMMUNITY_NO_EXPORT};
	const uint32_t no_adv[] = {BGP_COMMUNITY_NO_ADVERTISE};
	struct sent s;
	size_t len;

	flush_all(f);
	th_attrs(f->b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.1", -1, -1);
	bgp_attr_builder_set_communities(f->b, no_export, 1);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, f->nlri, 1);
	feed(f, S, len);
	th_attrs(f->b, BGP_ORIGIN_IGP, P65001, 1, "198.18.0.1", -1, -1);
	bgp_attr_builder_set_communities(f->b, no_adv, 1);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, f->nlri + 1, 1);
	feed(f, S, len);
	flush(f, T, true, &s);
	assert_int_equal(s.ann, 0);
	flush(f, I1, true, &s);
	assert_int_equal(s.ann, 1);
	assert_int_equal(s.comm_len, 4);
}

/* RFC 6793 4.2.2 towards a two-octet AS peer. */
static void test_two_octet_peer(void **state)
{
	struct fx *f = *state;
	struct rib_peer_config c = {.peer_as = 65010};
	struct rib_peer_session ss = {0};
	const uint32_t path[] = {65001, 4200000001u};
	struct bgp_session_params rp = {.as4 = false, .families = 3};
	struct bgp_update_parts parts;
	struct bgp_notify err;
	struct bgp_mp_info mp;
	struct bgp_attr_result res;
	uint32_t got[8];
	size_t n_msgs;

	assert_int_equal(addr_parse("198.18.0.10", &c.addr), 0);
	f->p[T] = rib_peer_add(f->rib, &c);
	ss.params.local_as = 64512;
	ss.params.peer_as = 65010;
	ss.params.peer_id = 10;
	ss.params.families = 1;
	ss.params.as4 = false;
	assert_int_equal(addr_parse("198.18.255.1", &ss.local_addr), 0);
	assert_int_equal(rib_peer_up(f->rib, f->p[T], &ss), 0);
	announce_bulk(f, S, path, 2, "198.18.0.1", 1);
	buf_writer_reset(&f->out);
	assert_int_equal(rib_peer_flush_out(f->rib, f->p[T], &f->out, &n_msgs), 0);
	assert_int_equal(n_msgs, 2); /* the route, then End-of-RIB */
	assert_int_equal(bgp_msg_split_update(f->out.data + 19, f->out.len - 19 - 23, &parts, &err),
	                 0);
	/* Decoded as a two-octet session: AS_TRANS + AS4_PATH merge back to the real path. */
	assert_int_equal(bgp_attr_decode(&parts.attrs, &rp, true, f->rb, &mp, &res), 0);
	assert_int_equal(res.verdict, BGP_VERDICT_OK);
	assert_int_equal(path_of(f->rb, got, 8), 3);
	assert_int_equal(got[0], 64512);
	assert_int_equal(got[1], 65001);
	assert_int_equal(got[2], 4200000001u);
}

/* IPv6: MP_REACH_NLRI first, our global (and link-local) next hop. */
static void test_ipv6_out(void **state)
{
	struct fx *f = *state;
	const char *const n6[] = {"2001:db8:1::/48", "2001:db8:2::/48"};
	struct sent s;
	size_t len;
	char a[ADDR_STRLEN];

	flush_all(f);
	th_attrs(f->b, BGP_ORIGIN_IGP, P65001, 1, "2001:db8::1", -1, -1);
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, n6, 2);
	feed(f, S, len);
	rib_peer_session(f->p[T])->local_v6_ll.family = AF_INET6;
	assert_int_equal(addr_parse("fe80::ff", &rib_peer_session(f->p[T])->local_v6_ll), 0);
	flush(f, T, true, &s);
	assert_int_equal(s.ann, 2);
	assert_int_equal(s.msgs, 1);
	assert_true(s.mp_first);
	assert_string_equal(addr_format(&s.k.next_hop, a, sizeof(a)), "2001:db8::ffff");
	assert_string_equal(addr_format(&s.k.next_hop_ll, a, sizeof(a)), "fe80::ff");
	/* Withdraw: MP_UNREACH_NLRI. */
	len = th_body(f->body, sizeof(f->body), NULL, true, n6, 2, NULL, 0);
	feed(f, S, len);
	flush(f, T, true, &s);
	assert_int_equal(s.wd, 2);
	assert_int_equal(s.msgs, 1);
}

/* RFC 8654: with extended messages everything fits one UPDATE. */
static void test_extended_messages(void **state)
{
	struct fx *f = *state;
	struct sent s;

	flush_all(f);
	rib_peer_session(f->p[T])->params.max_msg_len = BGP_MAX_EXT_MSG_LEN;
	announce_bulk(f, S, P65001, 1, "198.18.0.1", 3000);
	flush(f, T, true, &s);
	assert_int_equal(s.ann, 3000);
	assert_int_equal(s.msgs, 1);
	assert_true(s.max_len > 4096);
}

/* RFC 2918: route refresh re-sends the Adj-RIB-Out. */
static void test_route_refresh(void **state)
{
	struct fx *f = *state;
	struct sent s;

	flush_all(f);
	announce_bulk(f, S, P65001, 1, "198.18.0.1", 50);
	flush(f, T, true, &s);
	assert_int_equal(s.ann, 50);
	assert_int_equal(rib_peer_refresh_out(f->rib, f->p[T], BGP_AF_IPV4), 0);
	flush(f, T, true, &s);
	assert_int_equal(s.ann, 50);
	assert_int_equal(rib_peer_out_count(f->p[T]), 50);
}

/* Locally originated routes (RFC 4271 9.4): next hop self, our AS only, MED kept. */
static void test_local_origination(void **state)
{
	struct fx *f = *state;
	const uint32_t comm[] = {0xfc000001};
	struct prefix p;
	struct sent s;
	char a[ADDR_STRLEN];

	flush_all(f);
	th_attrs(f->b, BGP_ORIGIN_IGP, NULL, 0, NULL, 7, -1);
	assert_int_equal(bgp_attr_builder_set_communities(f->b, comm, 1), 0);
	assert_int_equal(prefix_parse("10.244.1.0/26", &p, true), 0);
	assert_int_equal(rib_originate(f->rib, &p, f->b), 0);
	flush(f, T, true, &s);
	assert_int_equal(s.ann, 1);
	assert_int_equal(s.path_n, 1);
	assert_int_equal(s.path[0], 64512);
	assert_true(s.k.present & BGP_ATTRS_MED);
	assert_int_equal(s.comm_len, 4);
	assert_string_equal(addr_format(&s.k.next_hop, a, sizeof(a)), "198.18.255.1");
	flush(f, I1, true, &s);
	assert_int_equal(s.ann, 1);
	assert_int_equal(s.path_n, 0);
	assert_int_equal(s.k.local_pref, 100);
	assert_false(s.k.present & BGP_ATTRS_ORIGINATOR);
	assert_string_equal(addr_format(&s.k.next_hop, a, sizeof(a)), "198.18.255.1");
	assert_int_equal(rib_withdraw_local(f->rib, &p), 0);
	flush(f, T, true, &s);
	assert_int_equal(s.wd, 1);
}

/* What one speaker packs, another ingests: 3000 prefixes survive the trip. */
static void test_round_trip_into_rib(void **state)
{
	struct fx *f = *state;
	struct rib_config cfg = {.local_as = 65002, .router_id = 77};
	struct rib *r2 = rib_new(&cfg);
	struct rib_peer *from;
	size_t n_msgs, pos = 0;

	flush_all(f);
	from = th_peer(r2, 65002, 64512, "198.18.255.1", 0xC612FF01, false);
	announce_bulk(f, S, P65001, 1, "198.18.0.1", 3000);
	buf_writer_reset(&f->out);
	assert_int_equal(rib_peer_flush_out(f->rib, f->p[T], &f->out, &n_msgs), 0);
	while (pos < f->out.len) {
		struct bgp_msg_header h;
		struct bgp_notify err;
		struct rib_update_result res;
		assert_int_equal(
		    bgp_msg_decode_header(f->out.data + pos, f->out.len - pos, 4096, &h, &err), 0);
		assert_int_equal(
		    rib_peer_update(r2, from, f->out.data + pos + 19, h.len - 19u, &res), 0);
		assert_int_equal(res.attr.verdict, BGP_VERDICT_OK);
		pos += h.len;
	}
	assert_int_equal(rib_dest_count(r2, BGP_AF_IPV4), 3000);
	assert_non_null(th_best(r2, "10.11.183.0/24"));
	assert_int_equal(th_best(r2, "10.11.183.0/24")->attrs->k.as_path_len, 2);
	rib_free(r2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pack_one_set, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pack_groups, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ibgp_and_reflection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_confed_stripped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_communities, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_octet_peer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6_out, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_extended_messages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_route_refresh, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_local_origination, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_round_trip_into_rib, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
