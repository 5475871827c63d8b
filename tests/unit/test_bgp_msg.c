/*
 * DOC: unit tests for bgp/msg.c: encode/decode round trips of every message
 * type and the RFC 4271 6.1 / 6.2 error cases (what NOTIFICATION is built).
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

#include "../../bgp/msg.h"

static uint8_t mem[BGP_MAX_EXT_MSG_LEN];

static struct bgp_open full_open(void)
{
	struct bgp_open o = {
	    .version = 4,
	    .my_as = BGP_AS_TRANS,
	    .hold_time = 90,
	    .bgp_id = 0xC6120001,
	    .caps =
	        {
	            .mp_families = BGP_AF_BIT(BGP_AF_IPV4) | BGP_AF_BIT(BGP_AF_IPV6),
	            .route_refresh = true,
	            .ext_msg = true,
	            .as4 = true,
	            .as4_number = 4200000001u,
	            .graceful_restart = true,
	            .gr_flags = BGP_GR_FLAG_RESTART,
	            .gr_time = 120,
	            .gr_families = BGP_AF_BIT(BGP_AF_IPV4) | BGP_AF_BIT(BGP_AF_IPV6),
	            .gr_forwarding = BGP_AF_BIT(BGP_AF_IPV6),
	        },
	};
	return o;
}

static void test_open_round_trip(void **state)
{
	struct buf_writer w;
	struct bgp_open o = full_open(), d;
	struct bgp_msg_header h;
	struct bgp_notify err;

	buf_writer_init_fixed(&w, mem, sizeof(mem));
	assert_int_equal(bgp_msg_encode_open(&w, &o), 0);
	assert_int_equal(bgp_msg_decode_header(mem, w.len, BGP_MAX_MSG_LEN, &h, &err), 0);
	assert_int_equal(h.type, BGP_MSG_OPEN);
	assert_int_equal(h.len, w.len);
	assert_int_equal(
	    bgp_msg_decode_open(mem + BGP_HEADER_LEN, w.len - BGP_HEADER_LEN, &d, &err), 0);
	assert_int_equal(d.version, 4);
	assert_int_equal(d.my_as, BGP_AS_TRANS);
	assert_int_equal(d.hold_time, 90);
	assert_int_equal(d.bgp_id, 0xC6120001);
	assert_true(d.caps.mp_present);
	assert_int_equal(d.caps.mp_families, o.caps.mp_families);
	assert_true(d.caps.route_refresh);
	assert_true(d.caps.ext_msg);
	assert_true(d.caps.as4);
	assert_int_equal(d.caps.as4_number, 4200000001u);
	assert_true(d.caps.graceful_restart);
	assert_int_equal(d.caps.gr_flags, BGP_GR_FLAG_RESTART);
	assert_int_equal(d.caps.gr_time, 120);
	assert_int_equal(d.caps.gr_families, o.caps.gr_families);
	assert_int_equal(d.caps.gr_forwarding, BGP_AF_BIT(BGP_AF_IPV6));
	assert_int_equal(bgp_open_peer_as(&d), 4200000001u);
	assert_int_equal(bgp_open_check(&d, 4200000001u, 64512, 0xC6120002, &err), 0);
}

static void test_open_minimal_and_negotiate(void **state)
{
	struct buf_writer w;
	struct bgp_open o = {.version = 4, .my_as = 65001, .hold_time = 30, .bgp_id = 1}, d;
	struct bgp_open local = full_open();
	struct bgp_session_params p;
	struct bgp_notify err;

	buf_writer_init_fixed(&w, mem, sizeof(mem));
	assert_int_equal(bgp_msg_encode_open(&w, &o), 0);
	assert_int_equal(bgp_msg_decode_open(mem + 19, w.len - 19, &d, &err), 0);
	assert_false(d.caps.mp_present);
	assert_false(d.caps.as4);
	/* RFC 4760: no MP capability = IPv4 unicast only; no AS4 = two-octet session. */
	bgp_caps_negotiate(&local, &d, &p);
	assert_int_equal(p.families, BGP_AF_BIT(BGP_AF_IPV4));
	assert_false(p.as4);
	assert_false(p.ext_msg);
	assert_int_equal(p.max_msg_len, BGP_MAX_MSG_LEN);
	assert_int_equal(p.hold_time, 30);
	assert_int_equal(p.peer_as, 65001);
	assert_true(p.ebgp);
	/* Both full: everything negotiated. */
	bgp_caps_negotiate(&local, &local, &p);
	assert_true(p.as4 && p.ext_msg && p.route_refresh && p.peer_gr);
	assert_int_equal(p.max_msg_len, BGP_MAX_EXT_MSG_LEN);
	assert_false(p.ebgp);
	assert_int_equal(p.peer_gr_forwarding, BGP_AF_BIT(BGP_AF_IPV6));
}

static void test_keepalive_notification_rr(void **state)
{
	struct buf_writer w;
	struct bgp_msg_header h;
	struct bgp_notify err;
	struct bgp_notification n;
	struct bgp_route_refresh rr;
	const uint8_t data[3] = {1, 2, 3};

	buf_writer_init_fixed(&w, mem, sizeof(mem));
	assert_int_equal(bgp_msg_encode_keepalive(&w), 0);
	assert_int_equal(w.len, 19);
	assert_int_equal(bgp_msg_decode_header(mem, w.len, 4096, &h, &err), 0);
	assert_int_equal(h.type, BGP_MSG_KEEPALIVE);
	assert_int_equal(bgp_msg_decode_keepalive(mem + 19, 0, &err), 0);

	buf_writer_init_fixed(&w, mem, sizeof(mem));
	assert_int_equal(bgp_msg_encode_notification(&w, 6, 2, data, 3), 0);
	assert_int_equal(w.len, 24);
	assert_int_equal(bgp_msg_decode_header(mem, w.len, 4096, &h, &err), 0);
	assert_int_equal(bgp_msg_decode_notification(mem + 19, w.len - 19, &n, &err), 0);
	assert_int_equal(n.code, 6);
	assert_int_equal(n.subcode, 2);
	assert_int_equal(n.data_len, 3);
	assert_memory_equal(n.data, data, 3);
	assert_string_equal(bgp_notify_subcode_name(6, 2), "Administrative Shutdown");

	buf_writer_init_fixed(&w, mem, sizeof(mem));
	assert_int_equal(bgp_msg_encode_route_refresh(&w, BGP_AFI_IPV6, BGP_SAFI_UNICAST, 0), 0);
	assert_int_equal(w.len, 23);
	assert_int_equal(bgp_msg_decode_header(mem, w.len, 4096, &h, &err), 0);
	assert_int_equal(h.type, BGP_MSG_ROUTE_REFRESH);
	assert_int_equal(bgp_msg_decode_route_refresh(mem + 19, 4, &rr, &err), 0);
	assert_int_equal(rr.afi, BGP_AFI_IPV6);
	assert_int_equal(rr.safi, BGP_SAFI_UNICAST);
	/* RFC 7313 5: bad ROUTE-REFRESH length -> code 7 subcode 1. */
	assert_int_equal(bgp_msg_decode_route_refresh(mem + 19, 3, &rr, &err), -EBADMSG);
	assert_int_equal(err.code, BGP_ERR_ROUTE_REFRESH);
	assert_int_equal(err.subcode, 1);
}

static size_t put_header(uint8_t *m, uint16_t len, uint8_t type)
{
	memset(m, 0xff, 16);
	m[16] = (uint8_t)(len >> 8);
	m[17] = (uint8_t)len;
	m[18] = type;
	return 19;
}

/* RFC 4271 6.1 */
static void test_header_errors(void **state)
{
	uint8_t m[64];
	struct bgp_msg_header h;
	struct bgp_notify err;

	put_header(m, 19, BGP_MSG_KEEPALIVE);
	m[3] = 0;
	assert_int_equal(bgp_msg_decode_header(m, 19, 4096, &h, &err), -EBADMSG);
	assert_int_equal(err.code, BGP_ERR_HEADER);
	assert_int_equal(err.subcode, BGP_ERR_HDR_NOT_SYNC);

	put_header(m, 18, BGP_MSG_KEEPALIVE);
	assert_int_equal(bgp_msg_decode_header(m, 19, 4096, &h, &err), -EBADMSG);
	assert_int_equal(err.subcode, BGP_ERR_HDR_BAD_LENGTH);
	assert_int_equal(err.data_len, 2);
	assert_int_equal(err.data[1], 18);

	put_header(m, 4097, BGP_MSG_UPDATE);
	assert_int_equal(bgp_msg_decode_header(m, 19, 4096, &h, &err), -EBADMSG);
	assert_int_equal(err.subcode, BGP_ERR_HDR_BAD_LENGTH);
	/* With RFC 8654 an UPDATE may be longer, an OPEN may not. */
	assert_int_equal(bgp_msg_decode_header(m, 19, 65535, &h, &err), 0);
	put_header(m, 4097, BGP_MSG_OPEN);
	assert_int_equal(bgp_msg_decode_header(m, 19, 65535, &h, &err), -EBADMSG);

	put_header(m, 20, BGP_MSG_KEEPALIVE);
	assert_int_equal(bgp_msg_decode_header(m, 19, 4096, &h, &err), -EBADMSG);
	assert_int_equal(err.subcode, BGP_ERR_HDR_BAD_LENGTH);
	put_header(m, 22, BGP_MSG_UPDATE);
	assert_int_equal(bgp_msg_decode_header(m, 19, 4096, &h, &err), -EBADMSG);
	put_header(m, 28, BGP_MSG_OPEN);
	assert_int_equal(bgp_msg_decode_header(m, 19, 4096, &h, &err), -EBADMSG);
	put_header(m, 20, BGP_MSG_NOTIFICATION);
	assert_int_equal(bgp_msg_decode_header(m, 19, 4096, &h, &err), -EBADMSG);
	put_header(m, 22, BGP_MSG_ROUTE_REFRESH);
	assert_int_equal(bgp_msg_decode_header(m, 19, 4096, &h, &err), -EBADMSG);

	put_header(m, 19, 9);
	assert_int_equal(bgp_msg_decode_header(m, 19, 4096, &h, &err), -EBADMSG);
	assert_int_equal(err.subcode, BGP_ERR_HDR_BAD_TYPE);
	assert_int_equal(err.data_len, 1);
	assert_int_equal(err.data[0], 9);

	/* Fewer than 19 bytes given. */
	assert_int_equal(bgp_msg_decode_header(m, 10, 4096, &h, &err), -EBADMSG);
	/* KEEPALIVE body not empty. */
	assert_int_equal(bgp_msg_decode_keepalive(m, 1, &err), -EBADMSG);
	assert_int_equal(err.subcode, BGP_ERR_HDR_BAD_LENGTH);
}

static size_t encode_open_body(uint8_t *out, const struct bgp_open *o)
{
	struct buf_writer w;

	buf_writer_init_fixed(&w, mem, sizeof(mem));
	assert_int_equal(bgp_msg_encode_open(&w, o), 0);
	memcpy(out, mem + 19, w.len - 19);
	return w.len - 19;
}

/* RFC 4271 6.2, RFC 5492, RFC 6793 */
static void test_open_errors(void **state)
{
	uint8_t b[512];
	struct bgp_open o = full_open(), d;
	struct bgp_notify err;
	size_t n;

	n = encode_open_body(b, &o);
	b[0] = 3; /* version */
	assert_int_equal(bgp_msg_decode_open(b, n, &d, &err), -EBADMSG);
	assert_int_equal(err.code, BGP_ERR_OPEN);
	assert_int_equal(err.subcode, BGP_ERR_OPEN_VERSION);
	assert_int_equal(err.data_len, 2);
	assert_int_equal(err.data[1], 4);

	/* Optional parameter length does not match. */
	n = encode_open_body(b, &o);
	b[9]++;
	assert_int_equal(bgp_msg_decode_open(b, n, &d, &err), -EBADMSG);
	assert_int_equal(err.code, BGP_ERR_OPEN);

	/* Unsupported optional parameter (type 1, deprecated authentication). */
	{
		uint8_t x[] = {4, 0xfd, 0xe8, 0, 90, 1, 2, 3, 4, 3, 1, 1, 0};
		assert_int_equal(bgp_msg_decode_open(x, sizeof(x), &d, &err), -EBADMSG);
		assert_int_equal(err.subcode, BGP_ERR_OPEN_OPT_PARAM);
	}
	/* Truncated capability TLV. */
	{
		uint8_t x[] = {4, 0xfd, 0xe8, 0, 90, 1, 2, 3, 4, 4, 2, 2, 65, 4};
		assert_int_equal(bgp_msg_decode_open(x, sizeof(x), &d, &err), -EBADMSG);
		assert_int_equal(err.code, BGP_ERR_OPEN);
	}
	/* Unknown capability ignored (RFC 5492 3). */
	{
		uint8_t x[] = {4, 0xfd, 0xe8, 0, 90, 1, 2, 3, 4, 5, 2, 3, 200, 1, 9};
		assert_int_equal(bgp_msg_decode_open(x, sizeof(x), &d, &err), 0);
		assert_int_equal(d.caps.unknown_count, 1);
	}
	/* RFC 9072 extended optional parameters length. */
	{
		uint8_t x[] = {4, 0xfd, 0xe8, 0, 90, 1,  2, 3, 4, 255,  255,
		               0, 9,    2,    0, 6,  65, 4, 0, 0, 0xfd, 0xe9};
		assert_int_equal(bgp_msg_decode_open(x, sizeof(x), &d, &err), 0);
		assert_true(d.caps.as4);
		assert_int_equal(d.caps.as4_number, 65001);
	}

	assert_int_equal(bgp_msg_decode_open(b, n, &d, &err), -EBADMSG); /* b still broken */
	n = encode_open_body(b, &o);
	assert_int_equal(bgp_msg_decode_open(b, n, &d, &err), 0);
	/* Bad peer AS. */
	assert_int_equal(bgp_open_check(&d, 65000, 64512, 9, &err), -EBADMSG);
	assert_int_equal(err.subcode, BGP_ERR_OPEN_PEER_AS);
	/* Bad BGP identifier: zero; same as ours on iBGP. */
	d.bgp_id = 0;
	assert_int_equal(bgp_open_check(&d, 0, 64512, 9, &err), -EBADMSG);
	assert_int_equal(err.subcode, BGP_ERR_OPEN_BGP_ID);
	d.bgp_id = 9;
	assert_int_equal(bgp_open_check(&d, 0, 4200000001u, 9, &err), -EBADMSG);
	assert_int_equal(err.subcode, BGP_ERR_OPEN_BGP_ID);
	assert_int_equal(bgp_open_check(&d, 0, 64512, 9, &err), 0); /* eBGP: allowed */
	/* Hold time 1 and 2 unacceptable; 0 and 3 fine. */
	d.hold_time = 2;
	assert_int_equal(bgp_open_check(&d, 0, 64512, 8, &err), -EBADMSG);
	assert_int_equal(err.subcode, BGP_ERR_OPEN_HOLD_TIME);
	d.hold_time = 0;
	assert_int_equal(bgp_open_check(&d, 0, 64512, 8, &err), 0);
	d.hold_time = 3;
	assert_int_equal(bgp_open_check(&d, 0, 64512, 8, &err), 0);
	/* AS4 speaker with a wide AS must send AS_TRANS. */
	d.my_as = 100;
	assert_int_equal(bgp_open_check(&d, 0, 64512, 8, &err), -EBADMSG);
	assert_int_equal(err.subcode, BGP_ERR_OPEN_PEER_AS);
	/* Two-octet peer, our AS needs four: Unsupported Capability (AS4). */
	d.my_as = 65001;
	d.caps.as4 = false;
	assert_int_equal(bgp_open_check(&d, 0, 4200000009u, 8, &err), -EBADMSG);
	assert_int_equal(err.subcode, BGP_ERR_OPEN_CAPABILITY);
	assert_int_equal(err.data[0], BGP_CAP_AS4);
	/* AS_TRANS as the peer's AS. */
	d.my_as = BGP_AS_TRANS;
	assert_int_equal(bgp_open_check(&d, 0, 64512, 8, &err), -EBADMSG);
	assert_int_equal(err.subcode, BGP_ERR_OPEN_PEER_AS);
}

static void test_update_split(void **state)
{
	struct bgp_update_parts parts;
	struct bgp_notify err;
	const uint8_t ok[] = {0, 2, 8, 10, 0, 0, 24, 198, 18, 1};
	const uint8_t bad_w[] = {0, 9, 8, 10, 0, 0};
	const uint8_t bad_a[] = {0, 0, 0, 5, 1, 1};

	assert_int_equal(bgp_msg_split_update(ok, sizeof(ok), &parts, &err), 0);
	assert_int_equal(buf_remaining(&parts.withdrawn), 2);
	assert_int_equal(buf_remaining(&parts.attrs), 0);
	assert_int_equal(buf_remaining(&parts.nlri), 4);
	/* RFC 4271 6.3: lengths beyond the message -> Malformed Attribute List. */
	assert_int_equal(bgp_msg_split_update(bad_w, sizeof(bad_w), &parts, &err), -EBADMSG);
	assert_int_equal(err.code, BGP_ERR_UPDATE);
	assert_int_equal(err.subcode, BGP_ERR_UPD_ATTR_LIST);
	assert_int_equal(bgp_msg_split_update(bad_a, sizeof(bad_a), &parts, &err), -EBADMSG);
	assert_int_equal(err.subcode, BGP_ERR_UPD_ATTR_LIST);
	assert_int_equal(bgp_msg_split_update(ok, 1, &parts, &err), -EBADMSG);
}

static void test_names(void **state)
{
	assert_string_equal(bgp_msg_type_name(BGP_MSG_UPDATE), "UPDATE");
	assert_string_equal(bgp_notify_code_name(3), "UPDATE Message Error");
	assert_string_equal(bgp_notify_subcode_name(3, 11), "Malformed AS_PATH");
	assert_string_equal(bgp_notify_subcode_name(3, 99), "Unknown subcode");
	assert_int_equal(bgp_af_from_afi_safi(2, 1), BGP_AF_IPV6);
	assert_int_equal(bgp_af_from_afi_safi(2, 2), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_round_trip),
	    cmocka_unit_test(test_open_minimal_and_negotiate),
	    cmocka_unit_test(test_keepalive_notification_rr),
	    cmocka_unit_test(test_header_errors),
	    cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_update_split),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
