/*
 * DOC: libFuzzer target for the BGP message decoders (bgp/msg.c, bgp/attr.c).
 *
 * The first input byte picks the session parameters (four-octet AS, eBGP,
 * families, extended messages); the rest is a stream of BGP messages. Every
 * message goes through the header check and its type's decoder; UPDATEs are
 * split and their attributes decoded with RFC 7606 handling, their NLRI
 * walked, and the decoded set interned and re-encoded, then decoded again:
 * the second decode must succeed and intern to the same set. OPENs are
 * re-encoded and decoded again as well.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "../../bgp/attr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct bgp_attr_builder *fz_builder, *fz_builder2;
static struct bgp_attr_table fz_table;

static void fz_nlri(struct buf_reader *r, int family)
{
	struct prefix p;

	while (buf_remaining(r) > 0)
		if (bgp_nlri_decode(r, family, &p) < 0)
			break;
}

static void fz_update(const uint8_t *body, size_t len, const struct bgp_session_params *p)
{
	struct bgp_update_parts parts;
	struct bgp_notify err;
	struct bgp_mp_info mp, mp2;
	struct bgp_attr_result res, res2;
	struct bgp_attrs *a, *a2;
	struct buf_writer w;
	struct buf_reader r;
	bool has_nlri;

	if (bgp_msg_split_update(body, len, &parts, &err) < 0)
		return;
	has_nlri = buf_remaining(&parts.nlri) > 0;
	if (bgp_attr_decode(&parts.attrs, p, has_nlri, fz_builder, &mp, &res) < 0)
		return;
	fz_nlri(&parts.withdrawn, AF_INET);
	fz_nlri(&parts.nlri, AF_INET);
	if (mp.reach)
		fz_nlri(&mp.reach_nlri, mp.next_hop.family);
	if (mp.unreach)
		fz_nlri(&mp.unreach_nlri, mp.unreach_afi == BGP_AFI_IPV6 ? AF_INET6 : AF_INET);
	if (res.verdict != BGP_VERDICT_OK && res.verdict != BGP_VERDICT_ATTR_DISCARD)
		return;
	if (!has_nlri)
		return;
	/* Round trip: what we decoded, encoded, must decode to the same interned set. */
	a = bgp_attr_intern(&fz_table, fz_builder);
	if (!a)
		return;
	buf_writer_init(&w, 512);
	if (bgp_attr_encode(&w, a, p->as4, true) == 0) {
		buf_reader_init(&r, w.data, w.len);
		if (bgp_attr_decode(&r, p, true, fz_builder2, &mp2, &res2) < 0)
			abort();
		if (res2.verdict != BGP_VERDICT_OK && res2.verdict != BGP_VERDICT_ATTR_DISCARD)
			abort();
		fz_builder2->k.next_hop = fz_builder->k.next_hop;
		a2 = bgp_attr_intern(&fz_table, fz_builder2);
		if (p->as4 && a2 != a)
			abort();
		bgp_attr_unref(&fz_table, a2);
	}
	buf_writer_free(&w);
	bgp_attr_unref(&fz_table, a);
}

static void fz_open(const uint8_t *body, size_t len)
{
	struct bgp_open o, o2;
	struct bgp_notify err;
	struct buf_writer w;

	if (bgp_msg_decode_open(body, len, &o, &err) < 0)
		return;
	(void)bgp_open_check(&o, 0, 64512, 1, &err);
	buf_writer_init(&w, 128);
	if (bgp_msg_encode_open(&w, &o) == 0) {
		if (bgp_msg_decode_open(w.data + BGP_HEADER_LEN, w.len - BGP_HEADER_LEN, &o2,
		                        &err) < 0)
			abort();
		if (o2.caps.as4 != o.caps.as4 || o2.caps.as4_number != o.caps.as4_number ||
		    o2.caps.mp_families != o.caps.mp_families || o2.hold_time != o.hold_time)
			abort();
	}
	buf_writer_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bgp_session_params p = {.local_as = 64512, .peer_as = 65001, .max_msg_len = 4096};
	struct buf_reader in;
	uint8_t sel;

	if (!fz_builder) {
		fz_builder = bgp_attr_builder_new();
		fz_builder2 = bgp_attr_builder_new();
		if (!fz_builder || !fz_builder2 || bgp_attr_table_init(&fz_table) < 0)
			abort();
	}
	buf_reader_init(&in, data, size);
	if (buf_get_u8(&in, &sel) < 0)
		return 0;
	p.as4 = !(sel & 1);
	p.ebgp = !(sel & 2);
	if (!p.ebgp)
		p.peer_as = p.local_as;
	p.families = (sel & 4) ? BGP_AF_BIT(BGP_AF_IPV4) : 3;
	p.ext_msg = sel & 8;
	p.max_msg_len = p.ext_msg ? BGP_MAX_EXT_MSG_LEN : BGP_MAX_MSG_LEN;
	while (buf_remaining(&in) >= BGP_HEADER_LEN) {
		struct bgp_msg_header h;
		struct bgp_notify err;
		struct bgp_notification n;
		struct bgp_route_refresh rr;
		struct buf_reader msg;
		const uint8_t *m = buf_cursor(&in);

		if (bgp_msg_decode_header(m, buf_remaining(&in), p.max_msg_len, &h, &err) < 0)
			break;
		if (buf_sub(&in, h.len, &msg) < 0)
			break;
		buf_skip(&msg, BGP_HEADER_LEN);
		switch (h.type) {
		case BGP_MSG_OPEN:
			fz_open(buf_cursor(&msg), buf_remaining(&msg));
			break;
		case BGP_MSG_UPDATE:
			fz_update(buf_cursor(&msg), buf_remaining(&msg), &p);
			break;
		case BGP_MSG_NOTIFICATION:
			(void)bgp_msg_decode_notification(buf_cursor(&msg), buf_remaining(&msg), &n,
			                                  &err);
			break;
		case BGP_MSG_KEEPALIVE:
			(void)bgp_msg_decode_keepalive(buf_cursor(&msg), buf_remaining(&msg), &err);
			break;
		case BGP_MSG_ROUTE_REFRESH:
			(void)bgp_msg_decode_route_refresh(buf_cursor(&msg), buf_remaining(&msg),
			                                   &rr, &err);
			break;
		}
	}
	return 0;
}
