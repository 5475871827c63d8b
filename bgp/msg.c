/*
 * DOC: BGP message codec: header, OPEN and capabilities, KEEPALIVE,
 * NOTIFICATION, ROUTE-REFRESH and UPDATE framing (see msg.h).
 *
 * Each decoder walks the body with a struct buf_reader; every check names the
 * RFC section that demands it and the NOTIFICATION it leads to.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "msg.h"

int bgp_af_from_afi_safi(uint16_t afi, uint8_t safi)
{
	if (safi != BGP_SAFI_UNICAST)
		return -1;
	if (afi == BGP_AFI_IPV4)
		return BGP_AF_IPV4;
	if (afi == BGP_AFI_IPV6)
		return BGP_AF_IPV6;
	return -1;
}

uint16_t bgp_af_afi(enum bgp_af af)
{
	return af == BGP_AF_IPV6 ? BGP_AFI_IPV6 : BGP_AFI_IPV4;
}

const char *bgp_af_name(enum bgp_af af)
{
	return af == BGP_AF_IPV6 ? "ipv6-unicast" : "ipv4-unicast";
}

void bgp_notify_set(struct bgp_notify *n, uint8_t code, uint8_t subcode, const void *data,
                    size_t len)
{
	struct buf_reader r;

	n->code = code;
	n->subcode = subcode;
	if (len > BGP_NOTIFY_DATA_MAX)
		len = BGP_NOTIFY_DATA_MAX;
	n->data_len = 0;
	if (data && len) {
		buf_reader_init(&r, data, len);
		if (buf_get_bytes(&r, n->data, len) == 0)
			n->data_len = (uint16_t)len;
	}
}

const char *bgp_notify_code_name(uint8_t code)
{
	switch (code) {
	case BGP_ERR_HEADER:
		return "Message Header Error";
	case BGP_ERR_OPEN:
		return "OPEN Message Error";
	case BGP_ERR_UPDATE:
		return "UPDATE Message Error";
	case BGP_ERR_HOLD_TIMER:
		return "Hold Timer Expired";
	case BGP_ERR_FSM:
		return "Finite State Machine Error";
	case BGP_ERR_CEASE:
		return "Cease";
	case BGP_ERR_ROUTE_REFRESH:
		return "ROUTE-REFRESH Message Error";
	}
	return "Unknown error";
}

static const char *const bgp_header_sub[] = {
    [1] = "Connection Not Synchronized",
    [2] = "Bad Message Length",
    [3] = "Bad Message Type",
};
static const char *const bgp_open_sub[] = {
    [1] = "Unsupported Version Number", [2] = "Bad Peer AS",
    [3] = "Bad BGP Identifier",         [4] = "Unsupported Optional Parameter",
    [6] = "Unacceptable Hold Time",     [7] = "Unsupported Capability",
};
static const char *const bgp_update_sub[] = {
    [1] = "Malformed Attribute List",     [2] = "Unrecognized Well-known Attribute",
    [3] = "Missing Well-known Attribute", [4] = "Attribute Flags Error",
    [5] = "Attribute Length Error",       [6] = "Invalid ORIGIN Attribute",
    [8] = "Invalid NEXT_HOP Attribute",   [9] = "Optional Attribute Error",
    [10] = "Invalid Network Field",       [11] = "Malformed AS_PATH",
};
static const char *const bgp_cease_sub[] = {
    [1] = "Maximum Number of Prefixes Reached",
    [2] = "Administrative Shutdown",
    [3] = "Peer De-configured",
    [4] = "Administrative Reset",
    [5] = "Connection Rejected",
    [6] = "Other Configuration Change",
    [7] = "Connection Collision Resolution",
    [8] = "Out of Resources",
    [9] = "Hard Reset",
};
static const char *const bgp_fsm_sub[] = {
    [0] = "Unspecified",
    [1] = "Unexpected Message in OpenSent State",
    [2] = "Unexpected Message in OpenConfirm State",
    [3] = "Unexpected Message in Established State",
};

#define BGP_SUBNAME(tab, sub)                                                                      \
	((sub) < sizeof(tab) / sizeof((tab)[0]) && (tab)[sub] ? (tab)[sub] : "Unknown subcode")

const char *bgp_notify_subcode_name(uint8_t code, uint8_t subcode)
{
	switch (code) {
	case BGP_ERR_HEADER:
		return BGP_SUBNAME(bgp_header_sub, subcode);
	case BGP_ERR_OPEN:
		return BGP_SUBNAME(bgp_open_sub, subcode);
	case BGP_ERR_UPDATE:
		return BGP_SUBNAME(bgp_update_sub, subcode);
	case BGP_ERR_CEASE:
		return BGP_SUBNAME(bgp_cease_sub, subcode);
	case BGP_ERR_FSM:
		return BGP_SUBNAME(bgp_fsm_sub, subcode);
	case BGP_ERR_ROUTE_REFRESH:
		return subcode == 1 ? "Invalid Message Length" : "Unknown subcode";
	}
	return subcode == 0 ? "Unspecific" : "Unknown subcode";
}

const char *bgp_msg_type_name(uint8_t type)
{
	switch (type) {
	case BGP_MSG_OPEN:
		return "OPEN";
	case BGP_MSG_UPDATE:
		return "UPDATE";
	case BGP_MSG_NOTIFICATION:
		return "NOTIFICATION";
	case BGP_MSG_KEEPALIVE:
		return "KEEPALIVE";
	case BGP_MSG_ROUTE_REFRESH:
		return "ROUTE-REFRESH";
	}
	return "unknown";
}

uint32_t bgp_open_peer_as(const struct bgp_open *o)
{
	return o->caps.as4 ? o->caps.as4_number : o->my_as;
}

void bgp_caps_negotiate(const struct bgp_open *local, const struct bgp_open *peer,
                        struct bgp_session_params *p)
{
	uint32_t lf, pf;

	memset(p, 0, sizeof(*p));
	p->local_as = bgp_open_peer_as(local);
	p->peer_as = bgp_open_peer_as(peer);
	p->local_id = local->bgp_id;
	p->peer_id = peer->bgp_id;
	p->ebgp = p->local_as != p->peer_as;
	/* RFC 6793 4: four-octet AS only if both sides advertise it. */
	p->as4 = local->caps.as4 && peer->caps.as4;
	/* RFC 8654 3: extended messages only if both sides advertise it. */
	p->ext_msg = local->caps.ext_msg && peer->caps.ext_msg;
	p->max_msg_len = p->ext_msg ? BGP_MAX_EXT_MSG_LEN : BGP_MAX_MSG_LEN;
	p->route_refresh = peer->caps.route_refresh || peer->caps.enhanced_rr;
	/* RFC 4760 8 / RFC 5492: no MP capability at all means IPv4 unicast only. */
	lf = (local->caps.mp_present || local->caps.mp_families) ? local->caps.mp_families
	                                                         : BGP_AF_BIT(BGP_AF_IPV4);
	pf = (peer->caps.mp_present || peer->caps.mp_families) ? peer->caps.mp_families
	                                                       : BGP_AF_BIT(BGP_AF_IPV4);
	p->families = lf & pf;
	p->peer_gr = peer->caps.graceful_restart;
	p->peer_gr_time = peer->caps.gr_time;
	p->peer_gr_forwarding = peer->caps.gr_forwarding & p->families;
	/* RFC 4271 4.2: the smaller of the two hold times. */
	p->hold_time = local->hold_time < peer->hold_time ? local->hold_time : peer->hold_time;
}

int bgp_msg_decode_header(const void *data, size_t len, size_t max_len, struct bgp_msg_header *hdr,
                          struct bgp_notify *err)
{
	struct buf_reader r;
	uint8_t marker[BGP_MARKER_LEN];
	uint16_t mlen, be;
	uint8_t type;
	size_t min = 0, max = max_len;

	buf_reader_init(&r, data, len);
	if (buf_get_bytes(&r, marker, sizeof(marker)) < 0 || buf_get_u16(&r, &mlen) < 0 ||
	    buf_get_u8(&r, &type) < 0) {
		bgp_notify_set(err, BGP_ERR_HEADER, BGP_ERR_HDR_BAD_LENGTH, NULL, 0);
		return -EBADMSG;
	}
	/* RFC 4271 6.1: the marker must be all ones ("Connection Not Synchronized"). */
	for (size_t i = 0; i < sizeof(marker); i++) {
		if (marker[i] != 0xff) {
			bgp_notify_set(err, BGP_ERR_HEADER, BGP_ERR_HDR_NOT_SYNC, NULL, 0);
			return -EBADMSG;
		}
	}
	switch (type) {
	case BGP_MSG_OPEN:
		/* RFC 8654 4: OPEN is never extended; RFC 4271 4.2 minimum. */
		min = BGP_OPEN_MIN_LEN;
		max = BGP_MAX_MSG_LEN;
		break;
	case BGP_MSG_UPDATE:
		min = BGP_UPDATE_MIN_LEN;
		break;
	case BGP_MSG_NOTIFICATION:
		min = BGP_NOTIFY_MIN_LEN;
		break;
	case BGP_MSG_KEEPALIVE:
		/* RFC 4271 4.4: exactly the header; RFC 8654 4 keeps it at 19. */
		min = max = BGP_HEADER_LEN;
		break;
	case BGP_MSG_ROUTE_REFRESH:
		/* RFC 2918 3 (RFC 7313 5 handles the length inside the body). */
		min = BGP_RR_LEN;
		break;
	default:
		/* RFC 4271 6.1: Bad Message Type, data = the type octet. */
		bgp_notify_set(err, BGP_ERR_HEADER, BGP_ERR_HDR_BAD_TYPE, &type, 1);
		return -EBADMSG;
	}
	/* RFC 4271 6.1: Bad Message Length, data = the erroneous length field. */
	if (mlen < BGP_MIN_MSG_LEN || mlen > max_len || mlen < min || mlen > max) {
		be = htons(mlen);
		bgp_notify_set(err, BGP_ERR_HEADER, BGP_ERR_HDR_BAD_LENGTH, &be, 2);
		return -EBADMSG;
	}
	hdr->type = type;
	hdr->len = mlen;
	return 0;
}

/* RFC 4724 3: graceful restart capability. */
static int bgp_cap_decode_gr(struct buf_reader *c, struct bgp_caps *caps)
{
	uint16_t v, afi;
	uint8_t safi = 0, flags = 0;
	int af;

	if (buf_get_u16(c, &v) < 0)
		return -EBADMSG;
	caps->graceful_restart = true;
	caps->gr_flags = (uint8_t)(v >> 12);
	caps->gr_time = v & 0x0fff;
	while (buf_remaining(c) >= 4) {
		buf_get_u16(c, &afi);
		buf_get_u8(c, &safi);
		buf_get_u8(c, &flags);
		af = bgp_af_from_afi_safi(afi, safi);
		if (af < 0)
			continue;
		caps->gr_families |= BGP_AF_BIT(af);
		if (flags & BGP_GR_AF_FORWARDING)
			caps->gr_forwarding |= BGP_AF_BIT(af);
	}
	return buf_remaining(c) == 0 ? 0 : -EBADMSG;
}

/* One capability TLV, RFC 5492 4. Unknown ones are ignored (RFC 5492 3). */
static int bgp_cap_decode_one(uint8_t code, struct buf_reader *c, struct bgp_caps *caps)
{
	uint16_t afi;
	uint8_t res = 0, safi = 0;
	int af;

	switch (code) {
	case BGP_CAP_MP:
		/* RFC 4760 8: AFI(2) reserved(1) SAFI(1). */
		if (buf_remaining(c) != 4)
			return -EBADMSG;
		buf_get_u16(c, &afi);
		buf_get_u8(c, &res);
		buf_get_u8(c, &safi);
		caps->mp_present = true;
		af = bgp_af_from_afi_safi(afi, safi);
		if (af >= 0)
			caps->mp_families |= BGP_AF_BIT(af);
		return 0;
	case BGP_CAP_ROUTE_REFRESH:
		caps->route_refresh = true; /* RFC 2918 2: length 0 */
		return buf_remaining(c) == 0 ? 0 : -EBADMSG;
	case BGP_CAP_ENHANCED_RR:
		caps->enhanced_rr = true;
		return 0;
	case BGP_CAP_EXT_MSG:
		caps->ext_msg = true; /* RFC 8654 3: length 0 */
		return buf_remaining(c) == 0 ? 0 : -EBADMSG;
	case BGP_CAP_AS4:
		/* RFC 6793 3: four octets. */
		if (buf_remaining(c) != 4)
			return -EBADMSG;
		caps->as4 = true;
		buf_get_u32(c, &caps->as4_number);
		return 0;
	case BGP_CAP_GRACEFUL_RESTART:
		return bgp_cap_decode_gr(c, caps);
	default:
		caps->unknown_count++;
		return 0;
	}
}

/* Capabilities optional parameter (type 2), RFC 5492 4. */
static int bgp_open_decode_caps(struct buf_reader *p, struct bgp_caps *caps, struct bgp_notify *err)
{
	uint8_t code, clen;
	struct buf_reader c;

	while (buf_remaining(p) > 0) {
		if (buf_get_u8(p, &code) < 0 || buf_get_u8(p, &clen) < 0 ||
		    buf_sub(p, clen, &c) < 0)
			goto bad;
		if (bgp_cap_decode_one(code, &c, caps) < 0)
			goto bad;
	}
	return 0;
bad:
	/* A capability that does not parse is a malformed OPEN (RFC 4271 6.2: unspecific). */
	bgp_notify_set(err, BGP_ERR_OPEN, 0, NULL, 0);
	return -EBADMSG;
}

int bgp_msg_decode_open(const void *body, size_t len, struct bgp_open *o, struct bgp_notify *err)
{
	struct buf_reader r, params, one;
	uint8_t optlen = 0, ptype = 0;
	uint16_t plen, extlen = 0;
	bool ext = false;
	uint16_t ver;

	memset(o, 0, sizeof(*o));
	buf_reader_init(&r, body, len);
	buf_get_u8(&r, &o->version);
	buf_get_u16(&r, &o->my_as);
	buf_get_u16(&r, &o->hold_time);
	buf_get_u32(&r, &o->bgp_id);
	buf_get_u8(&r, &optlen);
	if (!buf_reader_ok(&r)) {
		bgp_notify_set(err, BGP_ERR_HEADER, BGP_ERR_HDR_BAD_LENGTH, NULL, 0);
		return -EBADMSG;
	}
	/* RFC 4271 6.2: Unsupported Version Number, data = largest supported version (2 octets). */
	if (o->version != BGP_VERSION) {
		ver = htons(BGP_VERSION);
		bgp_notify_set(err, BGP_ERR_OPEN, BGP_ERR_OPEN_VERSION, &ver, 2);
		return -EBADMSG;
	}
	/* RFC 9072 2: Extended Optional Parameters Length (non-ext length 255, type 255). */
	if (optlen == 255 && buf_remaining(&r) >= 3) {
		uint8_t t = 0;
		buf_peek_u8(&r, &t);
		if (t == 255) {
			buf_skip(&r, 1);
			buf_get_u16(&r, &extlen);
			ext = true;
		}
	}
	/* RFC 4271 6.2: the parameters length must match the message. */
	if ((ext ? extlen : optlen) != buf_remaining(&r) ||
	    buf_sub(&r, buf_remaining(&r), &params) < 0) {
		bgp_notify_set(err, BGP_ERR_OPEN, 0, NULL, 0);
		return -EBADMSG;
	}
	while (buf_remaining(&params) > 0) {
		if (buf_get_u8(&params, &ptype) < 0)
			goto malformed;
		if (ext) {
			if (buf_get_u16(&params, &plen) < 0)
				goto malformed;
		} else {
			uint8_t l8;
			if (buf_get_u8(&params, &l8) < 0)
				goto malformed;
			plen = l8;
		}
		if (buf_sub(&params, plen, &one) < 0)
			goto malformed;
		/* RFC 5492 4: capabilities are optional parameter type 2. */
		if (ptype != 2) {
			/* RFC 4271 6.2: Unsupported Optional Parameter. */
			bgp_notify_set(err, BGP_ERR_OPEN, BGP_ERR_OPEN_OPT_PARAM, NULL, 0);
			return -EBADMSG;
		}
		if (bgp_open_decode_caps(&one, &o->caps, err) < 0)
			return -EBADMSG;
	}
	return 0;
malformed:
	bgp_notify_set(err, BGP_ERR_OPEN, 0, NULL, 0);
	return -EBADMSG;
}

int bgp_open_check(const struct bgp_open *o, uint32_t expected_as, uint32_t local_as,
                   uint32_t local_id, struct bgp_notify *err)
{
	uint32_t peer_as = bgp_open_peer_as(o);
	uint8_t cap[6];

	/* RFC 6793 4.1: a four-octet speaker sends AS_TRANS in My AS when it does not fit. */
	if (o->caps.as4 && o->caps.as4_number > 0xffff && o->my_as != BGP_AS_TRANS) {
		bgp_notify_set(err, BGP_ERR_OPEN, BGP_ERR_OPEN_PEER_AS, NULL, 0);
		return -EBADMSG;
	}
	/* RFC 4271 6.2: Bad Peer AS. RFC 6793 9: AS_TRANS is never a real peer AS. */
	if ((expected_as && peer_as != expected_as) || peer_as == 0 || peer_as == BGP_AS_TRANS) {
		bgp_notify_set(err, BGP_ERR_OPEN, BGP_ERR_OPEN_PEER_AS, NULL, 0);
		return -EBADMSG;
	}
	/*
	 * RFC 4271 6.2 / RFC 6286 2.2: Bad BGP Identifier: zero, or (for
	 * internal peers) the same as ours.
	 */
	if (o->bgp_id == 0 || (peer_as == local_as && o->bgp_id == local_id)) {
		bgp_notify_set(err, BGP_ERR_OPEN, BGP_ERR_OPEN_BGP_ID, NULL, 0);
		return -EBADMSG;
	}
	/* RFC 4271 6.2: Hold Time 1 or 2 is unacceptable. */
	if (o->hold_time == 1 || o->hold_time == 2) {
		bgp_notify_set(err, BGP_ERR_OPEN, BGP_ERR_OPEN_HOLD_TIME, NULL, 0);
		return -EBADMSG;
	}
	/*
	 * RFC 5492 5: a capability we need is missing -> Unsupported
	 * Capability, data = the capability we need. A two-octet-only peer
	 * cannot peer with an AS that does not fit two octets (RFC 6793 4.2:
	 * it would see AS_TRANS, which we refuse above on its side too).
	 */
	if (!o->caps.as4 && local_as > 0xffff) {
		cap[0] = BGP_CAP_AS4;
		cap[1] = 4;
		cap[2] = (uint8_t)(local_as >> 24);
		cap[3] = (uint8_t)(local_as >> 16);
		cap[4] = (uint8_t)(local_as >> 8);
		cap[5] = (uint8_t)local_as;
		bgp_notify_set(err, BGP_ERR_OPEN, BGP_ERR_OPEN_CAPABILITY, cap, sizeof(cap));
		return -EBADMSG;
	}
	return 0;
}

int bgp_msg_decode_notification(const void *body, size_t len, struct bgp_notification *n,
                                struct bgp_notify *err)
{
	struct buf_reader r;

	buf_reader_init(&r, body, len);
	/* RFC 4271 4.5: code and subcode; the header check guarantees 2 bytes. */
	if (buf_get_u8(&r, &n->code) < 0 || buf_get_u8(&r, &n->subcode) < 0) {
		bgp_notify_set(err, BGP_ERR_HEADER, BGP_ERR_HDR_BAD_LENGTH, NULL, 0);
		return -EBADMSG;
	}
	n->data = buf_cursor(&r);
	n->data_len = buf_remaining(&r);
	return 0;
}

int bgp_msg_decode_keepalive(const void *body, size_t len, struct bgp_notify *err)
{
	uint16_t be;

	/* RFC 4271 4.4 / 6.1: a KEEPALIVE is the header only. */
	if (len != 0) {
		be = htons((uint16_t)(len + BGP_HEADER_LEN));
		bgp_notify_set(err, BGP_ERR_HEADER, BGP_ERR_HDR_BAD_LENGTH, &be, 2);
		return -EBADMSG;
	}
	return 0;
}

int bgp_msg_decode_route_refresh(const void *body, size_t len, struct bgp_route_refresh *rr,
                                 struct bgp_notify *err)
{
	struct buf_reader r;

	buf_reader_init(&r, body, len);
	/* RFC 2918 3 / RFC 7313 5: exactly AFI(2) subtype(1) SAFI(1). */
	if (len != 4) {
		bgp_notify_set(err, BGP_ERR_ROUTE_REFRESH, 1, body, len);
		return -EBADMSG;
	}
	buf_get_u16(&r, &rr->afi);
	buf_get_u8(&r, &rr->subtype);
	buf_get_u8(&r, &rr->safi);
	return 0;
}

int bgp_msg_split_update(const void *body, size_t len, struct bgp_update_parts *parts,
                         struct bgp_notify *err)
{
	struct buf_reader r;
	uint16_t wlen, alen;

	buf_reader_init(&r, body, len);
	/*
	 * RFC 4271 6.3 / RFC 7606 5.3 (and 4): Withdrawn Routes Length or
	 * Total Attribute Length inconsistent with the message length ->
	 * Malformed Attribute List, session reset.
	 */
	if (buf_get_u16(&r, &wlen) < 0 || buf_sub(&r, wlen, &parts->withdrawn) < 0 ||
	    buf_get_u16(&r, &alen) < 0 || buf_sub(&r, alen, &parts->attrs) < 0) {
		bgp_notify_set(err, BGP_ERR_UPDATE, BGP_ERR_UPD_ATTR_LIST, NULL, 0);
		return -EBADMSG;
	}
	buf_sub(&r, buf_remaining(&r), &parts->nlri);
	return 0;
}

size_t bgp_msg_begin(struct buf_writer *w, uint8_t type)
{
	size_t off = w->len;
	static const uint8_t marker[BGP_MARKER_LEN] = {
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};

	buf_put_bytes(w, marker, sizeof(marker));
	buf_put_u16(w, 0);
	buf_put_u8(w, type);
	return off;
}

int bgp_msg_end(struct buf_writer *w, size_t offset, size_t max_len)
{
	size_t len;

	if (!buf_writer_ok(w))
		return w->growable ? -ENOMEM : -ENOSPC;
	len = w->len - offset;
	if (len > max_len || len > 0xffff)
		return -EMSGSIZE;
	return buf_patch_u16(w, offset + BGP_MARKER_LEN, (uint16_t)len) < 0 ? -ENOSPC : 0;
}

/* Capabilities of an OPEN, RFC 5492 4, each its own TLV in one parameter. */
static void bgp_open_encode_caps(struct buf_writer *w, const struct bgp_caps *c)
{
	for (int af = 0; af < BGP_AF_COUNT; af++) {
		if (!(c->mp_families & BGP_AF_BIT(af)))
			continue;
		buf_put_u8(w, BGP_CAP_MP);
		buf_put_u8(w, 4);
		buf_put_u16(w, bgp_af_afi(af));
		buf_put_u8(w, 0);
		buf_put_u8(w, BGP_SAFI_UNICAST);
	}
	if (c->route_refresh) {
		buf_put_u8(w, BGP_CAP_ROUTE_REFRESH);
		buf_put_u8(w, 0);
	}
	if (c->ext_msg) {
		buf_put_u8(w, BGP_CAP_EXT_MSG);
		buf_put_u8(w, 0);
	}
	if (c->graceful_restart) {
		unsigned n = 0;
		for (int af = 0; af < BGP_AF_COUNT; af++)
			n += !!(c->gr_families & BGP_AF_BIT(af));
		buf_put_u8(w, BGP_CAP_GRACEFUL_RESTART);
		buf_put_u8(w, (uint8_t)(2 + 4 * n));
		buf_put_u16(w, (uint16_t)((c->gr_flags & 0xf) << 12 | (c->gr_time & 0x0fff)));
		for (int af = 0; af < BGP_AF_COUNT; af++) {
			if (!(c->gr_families & BGP_AF_BIT(af)))
				continue;
			buf_put_u16(w, bgp_af_afi(af));
			buf_put_u8(w, BGP_SAFI_UNICAST);
			buf_put_u8(w,
			           (c->gr_forwarding & BGP_AF_BIT(af)) ? BGP_GR_AF_FORWARDING : 0);
		}
	}
	if (c->as4) {
		buf_put_u8(w, BGP_CAP_AS4);
		buf_put_u8(w, 4);
		buf_put_u32(w, c->as4_number);
	}
}

int bgp_msg_encode_open(struct buf_writer *w, const struct bgp_open *o)
{
	size_t off = bgp_msg_begin(w, BGP_MSG_OPEN);
	size_t optoff, plenoff;

	buf_put_u8(w, o->version ? o->version : BGP_VERSION);
	buf_put_u16(w, o->my_as);
	buf_put_u16(w, o->hold_time);
	buf_put_u32(w, o->bgp_id);
	optoff = w->len;
	buf_put_u8(w, 0);
	buf_put_u8(w, 2); /* RFC 5492 4: Capabilities optional parameter */
	plenoff = w->len;
	buf_put_u8(w, 0);
	bgp_open_encode_caps(w, &o->caps);
	if (!buf_writer_ok(w))
		return w->growable ? -ENOMEM : -ENOSPC;
	if (w->len - plenoff - 1 > 255)
		return -EMSGSIZE;
	buf_patch_u8(w, plenoff, (uint8_t)(w->len - plenoff - 1));
	buf_patch_u8(w, optoff, (uint8_t)(w->len - optoff - 1));
	return bgp_msg_end(w, off, BGP_MAX_MSG_LEN);
}

int bgp_msg_encode_keepalive(struct buf_writer *w)
{
	size_t off = bgp_msg_begin(w, BGP_MSG_KEEPALIVE);

	return bgp_msg_end(w, off, BGP_MAX_MSG_LEN);
}

int bgp_msg_encode_notification(struct buf_writer *w, uint8_t code, uint8_t subcode,
                                const void *data, size_t len)
{
	size_t off = bgp_msg_begin(w, BGP_MSG_NOTIFICATION);

	buf_put_u8(w, code);
	buf_put_u8(w, subcode);
	if (len > BGP_MAX_MSG_LEN - BGP_NOTIFY_MIN_LEN)
		len = BGP_MAX_MSG_LEN - BGP_NOTIFY_MIN_LEN;
	if (data && len)
		buf_put_bytes(w, data, len);
	return bgp_msg_end(w, off, BGP_MAX_MSG_LEN);
}

int bgp_msg_encode_route_refresh(struct buf_writer *w, uint16_t afi, uint8_t safi, uint8_t subtype)
{
	size_t off = bgp_msg_begin(w, BGP_MSG_ROUTE_REFRESH);

	buf_put_u16(w, afi);
	buf_put_u8(w, subtype);
	buf_put_u8(w, safi);
	return bgp_msg_end(w, off, BGP_MAX_MSG_LEN);
}
