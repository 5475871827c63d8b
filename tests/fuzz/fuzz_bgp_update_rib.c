/*
 * DOC: libFuzzer target for the UPDATE path into the RIB and back out.
 *
 * Input: a selector byte, then chunks (2-byte length, then an UPDATE body).
 * Each chunk is applied with rib_peer_update() from one of two peers (eBGP
 * and iBGP, picked by the selector bits); selector bit 3 prepares each next
 * chunk with rib_peer_update_prefetch() first, as the session does, and bit 4
 * wraps everything in rib_batch_begin()/rib_batch_end(). Then every peer's outbound UPDATEs
 * are packed and decoded again: what we send must be well-formed (no
 * treat-as-withdraw or reset on our own output) and within the size limit.
 * Sessions are taken down at the end; ASan checks that nothing leaks (every
 * interned set released).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bgp/rib.h"
#include "../../bgp/update.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rib_peer *fz_peer(struct rib *rib, uint32_t as, const char *addr, uint32_t id,
                                bool as4, bool client)
{
	struct rib_peer_config c = {.peer_as = as, .rr_client = client, .max_prefix = 5000};
	struct rib_peer_session s = {0};
	struct rib_peer *p;

	addr_parse(addr, &c.addr);
	p = rib_peer_add(rib, &c);
	if (!p)
		abort();
	s.params.local_as = 64512;
	s.params.peer_as = as;
	s.params.peer_id = id;
	s.params.ebgp = as != 64512;
	s.params.as4 = as4;
	s.params.families = 3;
	s.params.max_msg_len = BGP_MAX_MSG_LEN;
	s.params.peer_gr = true;
	s.params.peer_gr_forwarding = 3;
	addr_parse("198.18.255.1", &s.local_addr);
	addr_parse("2001:db8::ffff", &s.local_v6);
	addr_parse("fe80::1", &s.local_v6_ll);
	if (rib_peer_up(rib, p, &s) < 0)
		abort();
	return p;
}

/* Decode what we would send to a peer: it must be valid. */
static void fz_check_out(struct rib *rib, struct rib_peer *peer, bool as4, uint32_t peer_as)
{
	struct bgp_session_params rp = {.as4 = as4,
	                                .families = 3,
	                                .local_as = peer_as,
	                                .peer_as = 64512,
	                                .ebgp = peer_as != 64512};
	struct bgp_attr_builder *b = bgp_attr_builder_new();
	struct buf_writer w;
	struct buf_reader in;
	size_t n;

	buf_writer_init(&w, 4096);
	if (rib_peer_flush_out(rib, peer, &w, &n) < 0)
		abort();
	buf_reader_init(&in, w.data, w.len);
	while (buf_remaining(&in) > 0) {
		struct bgp_msg_header h;
		struct bgp_notify err;
		struct bgp_update_parts parts;
		struct bgp_mp_info mp;
		struct bgp_attr_result res;
		struct buf_reader msg;

		if (bgp_msg_decode_header(buf_cursor(&in), buf_remaining(&in), BGP_MAX_MSG_LEN, &h,
		                          &err) < 0)
			abort();
		if (buf_sub(&in, h.len, &msg) < 0 || buf_skip(&msg, BGP_HEADER_LEN) < 0)
			abort();
		if (bgp_msg_split_update(buf_cursor(&msg), buf_remaining(&msg), &parts, &err) < 0)
			abort();
		if (bgp_attr_decode(&parts.attrs, &rp, buf_remaining(&parts.nlri) > 0, b, &mp,
		                    &res) < 0)
			abort();
		if (res.verdict >= BGP_VERDICT_TREAT_AS_WITHDRAW) {
			fprintf(stderr,
			        "own UPDATE to AS %u refused: %s, attribute %s, subcode %u/%u\n",
			        peer_as, bgp_verdict_name(res.verdict),
			        bgp_attr_type_name(res.withdraw_type), res.withdraw_reason,
			        res.notify.subcode);
			abort();
		}
	}
	buf_writer_free(&w);
	bgp_attr_builder_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rib_config cfg = {.local_as = 64512, .router_id = 0xC612FF01, .multipath = 4};
	struct rib *rib = rib_new(&cfg);
	struct rib_peer *peers[3];
	struct buf_reader in;
	uint8_t sel = 0;

	if (!rib)
		abort();
	buf_reader_init(&in, data, size);
	buf_get_u8(&in, &sel);
	peers[0] = fz_peer(rib, 65001, "198.18.0.1", 1, !(sel & 1), false);
	peers[1] = fz_peer(rib, 64512, "198.18.0.2", 2, true, true);
	peers[2] = fz_peer(rib, 65002, "198.18.0.3", 3, !(sel & 2), false);
	if (sel & 16)
		rib_batch_begin(rib);
	while (buf_remaining(&in) >= 3) {
		struct rib_update_result res;
		struct buf_reader body, ahead, next;
		uint16_t len, nlen;
		uint8_t who, nwho;

		buf_get_u8(&in, &who);
		buf_get_u16(&in, &len);
		if (buf_sub(&in, len, &body) < 0)
			break;
		who %= 3;
		/* The session's pattern: the next UPDATE is prepared before this one is applied. */
		ahead = in;
		if ((sel & 8) && buf_get_u8(&ahead, &nwho) == 0 &&
		    buf_get_u16(&ahead, &nlen) == 0 && buf_sub(&ahead, nlen, &next) == 0)
			rib_peer_update_prefetch(rib, peers[nwho % 3], buf_cursor(&next), nlen);
		if (rib_peer_update(rib, peers[who], buf_cursor(&body), len, &res) == -EBADMSG) {
			/* The session would be reset: graceful or not, by the selector. */
			rib_peer_down(rib, peers[who], sel & 4);
			rib_peer_stale_flush(rib, peers[who], -1);
			break;
		}
	}
	rib_peer_update_prefetch_drop(rib);
	if (sel & 16)
		rib_batch_end(rib);
	fz_check_out(rib, peers[0], !(sel & 1), 65001);
	fz_check_out(rib, peers[1], true, 64512);
	fz_check_out(rib, peers[2], !(sel & 2), 65002);
	rib_free(rib);
	return 0;
}
