/*
 * DOC: path attribute decoding (RFC 4271 4.3, 5, 6.3 as revised by RFC 7606).
 *
 * bgp_attr_decode() walks the attribute list of one UPDATE with a sub-reader
 * per attribute. Each attribute has its own decoder; a decoder that finds the
 * attribute malformed reports one of the RFC 7606 approaches through
 * bgp_attr_fail() (treat-as-withdraw, attribute discard, session reset), the
 * most severe outcome of the UPDATE wins, and the decoding goes on where the
 * RFC allows so that every NLRI can still be located (RFC 7606 5).
 *
 * The builder / interning half is in attr_intern.c, encoding in
 * attr_encode.c.
 */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "attr.h"

/* Decoding state of one UPDATE. */
struct bgp_attr_dec {
	const struct bgp_session_params *p;
	struct bgp_attr_builder *b;
	struct bgp_mp_info *mp;
	struct bgp_attr_result *res;
	uint8_t flags;
	uint8_t type;
	struct buf_reader whole; /* the attribute including its header, for NOTIFICATION data */
	/* AS4 attributes wait until AS_PATH / AGGREGATOR are known. */
	struct buf_reader as4_path;
	bool has_as4_path;
	uint32_t as4_agg_as, as4_agg_id;
	bool has_as4_agg;
	bool has_as_path;
};

static const char *const bgp_attr_names[] = {
    [BGP_ATTR_ORIGIN] = "ORIGIN",
    [BGP_ATTR_AS_PATH] = "AS_PATH",
    [BGP_ATTR_NEXT_HOP] = "NEXT_HOP",
    [BGP_ATTR_MED] = "MULTI_EXIT_DISC",
    [BGP_ATTR_LOCAL_PREF] = "LOCAL_PREF",
    [BGP_ATTR_ATOMIC_AGGREGATE] = "ATOMIC_AGGREGATE",
    [BGP_ATTR_AGGREGATOR] = "AGGREGATOR",
    [BGP_ATTR_COMMUNITY] = "COMMUNITY",
    [BGP_ATTR_ORIGINATOR_ID] = "ORIGINATOR_ID",
    [BGP_ATTR_CLUSTER_LIST] = "CLUSTER_LIST",
    [BGP_ATTR_MP_REACH] = "MP_REACH_NLRI",
    [BGP_ATTR_MP_UNREACH] = "MP_UNREACH_NLRI",
    [BGP_ATTR_EXT_COMMUNITY] = "EXTENDED_COMMUNITIES",
    [BGP_ATTR_AS4_PATH] = "AS4_PATH",
    [BGP_ATTR_AS4_AGGREGATOR] = "AS4_AGGREGATOR",
    [BGP_ATTR_LARGE_COMMUNITY] = "LARGE_COMMUNITY",
};

const char *bgp_attr_type_name(uint8_t type)
{
	if (type < sizeof(bgp_attr_names) / sizeof(bgp_attr_names[0]) && bgp_attr_names[type])
		return bgp_attr_names[type];
	return "unknown";
}

const char *bgp_verdict_name(enum bgp_verdict v)
{
	switch (v) {
	case BGP_VERDICT_OK:
		return "ok";
	case BGP_VERDICT_ATTR_DISCARD:
		return "attribute-discard";
	case BGP_VERDICT_TREAT_AS_WITHDRAW:
		return "treat-as-withdraw";
	case BGP_VERDICT_SESSION_RESET:
		return "session-reset";
	}
	return "?";
}

/* Record an outcome; the most severe one of the UPDATE wins (RFC 7606 3). */
static void bgp_attr_fail(struct bgp_attr_dec *d, enum bgp_verdict v, uint8_t subcode)
{
	struct bgp_attr_result *res = d->res;

	if (v == BGP_VERDICT_ATTR_DISCARD)
		res->discarded |= 1ull << (d->type & 63);
	if (v == BGP_VERDICT_TREAT_AS_WITHDRAW && res->verdict < v) {
		res->withdraw_type = d->type;
		res->withdraw_reason = subcode;
	}
	if (v == BGP_VERDICT_SESSION_RESET && res->verdict < v) {
		/* RFC 4271 6.3: data = the erroneous attribute (type, length, value). */
		bgp_notify_set(&res->notify, BGP_ERR_UPDATE, subcode, buf_cursor(&d->whole),
		               buf_remaining(&d->whole));
	}
	if (res->verdict < v)
		res->verdict = v;
}

static void bgp_attr_reset_plain(struct bgp_attr_result *res, uint8_t subcode)
{
	if (res->verdict < BGP_VERDICT_SESSION_RESET) {
		bgp_notify_set(&res->notify, BGP_ERR_UPDATE, subcode, NULL, 0);
		res->verdict = BGP_VERDICT_SESSION_RESET;
	}
}

/* RFC 7606 7.1 */
static void bgp_attr_origin(struct bgp_attr_dec *d, struct buf_reader *v)
{
	uint8_t o;

	if (buf_remaining(v) != 1 || buf_get_u8(v, &o) < 0) {
		bgp_attr_fail(d, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ERR_UPD_ATTR_LENGTH);
		return;
	}
	if (o > BGP_ORIGIN_INCOMPLETE) {
		bgp_attr_fail(d, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ERR_UPD_ORIGIN);
		return;
	}
	d->b->k.origin = o;
	d->b->k.present |= BGP_ATTRS_ORIGIN;
}

/*
 * Check an AS_PATH / AS4_PATH (RFC 4271 4.3, RFC 7606 7.2): known segment
 * types, non-zero counts, no overrun, nothing left over. asn_size 2 or 4.
 * Writes the four-octet canonical form to out (if non-NULL). Returns the
 * canonical length, or -1 if malformed. confed: count confederation segments.
 */
static long bgp_path_parse(struct buf_reader v, unsigned asn_size, uint8_t *out, size_t cap,
                           bool *confed, bool *zero_as)
{
	struct buf_writer w;
	uint8_t type, count;
	uint16_t a16 = 0;
	uint32_t a32 = 0;

	*confed = false;
	*zero_as = false;
	if (out)
		buf_writer_init_fixed(&w, out, cap);
	while (buf_remaining(&v) > 0) {
		if (buf_get_u8(&v, &type) < 0 || buf_get_u8(&v, &count) < 0)
			return -1; /* RFC 7606 7.2: segment underrun */
		if (type < BGP_AS_SET || type > BGP_AS_CONFED_SET || count == 0)
			return -1; /* unrecognised segment type / zero-length segment */
		if (buf_remaining(&v) < (size_t)count * asn_size)
			return -1; /* segment overrun */
		if (type >= BGP_AS_CONFED_SEQUENCE)
			*confed = true;
		if (out) {
			buf_put_u8(&w, type);
			buf_put_u8(&w, count);
		}
		for (unsigned i = 0; i < count; i++) {
			if (asn_size == 2) {
				buf_get_u16(&v, &a16);
				a32 = a16;
			} else {
				buf_get_u32(&v, &a32);
			}
			if (a32 == 0)
				*zero_as = true;
			if (out)
				buf_put_u32(&w, a32);
		}
	}
	if (!out)
		return 0;
	return buf_writer_ok(&w) ? (long)w.len : -1;
}

/* RFC 7606 7.2, RFC 4271 6.3, RFC 6793 4.2.2, RFC 7607 2 */
static void bgp_attr_as_path(struct bgp_attr_dec *d, struct buf_reader *v)
{
	struct bgp_attr_builder *b = d->b;
	bool confed, zero_as;
	long n;

	n = bgp_path_parse(*v, d->p->as4 ? 4 : 2, b->path_buf, sizeof(b->path_buf), &confed,
	                   &zero_as);
	if (n < 0) {
		bgp_attr_fail(d, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ERR_UPD_AS_PATH);
		return;
	}
	/* RFC 7607 2: AS 0 in AS_PATH is malformed (treat-as-withdraw). */
	if (zero_as) {
		bgp_attr_fail(d, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ERR_UPD_AS_PATH);
		return;
	}
	/* RFC 5065 5: confederation segments from a non-member (eBGP) peer. */
	if (confed && d->p->ebgp) {
		bgp_attr_fail(d, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ERR_UPD_AS_PATH);
		return;
	}
	b->part[BGP_PART_AS_PATH] = b->path_buf;
	b->part_len[BGP_PART_AS_PATH] = (size_t)n;
	d->has_as_path = true;
}

/* RFC 4271 6.3: a next hop that is not a valid host address (route ignored). */
static bool bgp_next_hop_bad(const struct addr *a)
{
	const uint8_t *x = a->bytes;

	if (addr_is_zero(a))
		return true;
	if (a->family == AF_INET)
		return (x[0] & 0xf0) == 0xe0 || (x[0] & x[1] & x[2] & x[3]) == 0xff;
	return x[0] == 0xff; /* IPv6 multicast */
}

/* RFC 7606 7.3, RFC 4271 6.3: length 4, a valid host address. */
static void bgp_attr_next_hop(struct bgp_attr_dec *d, struct buf_reader *v)
{
	struct addr *nh = &d->b->k.next_hop;
	uint8_t a[4];

	if (buf_remaining(v) != 4 || buf_get_bytes(v, a, 4) < 0) {
		bgp_attr_fail(d, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ERR_UPD_ATTR_LENGTH);
		return;
	}
	memset(nh, 0, sizeof(*nh));
	nh->family = AF_INET;
	memcpy(nh->bytes, a, 4);
	/* RFC 4271 6.3: semantically incorrect (0.0.0.0, multicast, broadcast): route ignored. */
	if (bgp_next_hop_bad(nh)) {
		memset(nh, 0, sizeof(*nh));
		bgp_attr_fail(d, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ERR_UPD_NEXT_HOP);
		return;
	}
	d->b->k.present |= BGP_ATTRS_NEXT_HOP;
}

/* Four-octet attributes: MED (RFC 7606 7.4), LOCAL_PREF (7.5), ORIGINATOR_ID (7.9). */
static void bgp_attr_u32(struct bgp_attr_dec *d, struct buf_reader *v)
{
	struct bgp_attrs_key *k = &d->b->k;
	uint32_t x;

	/* RFC 7606 7.5: LOCAL_PREF from an external peer is discarded (RFC 4271 5.1.5). */
	if (d->type == BGP_ATTR_LOCAL_PREF && d->p->ebgp) {
		bgp_attr_fail(d, BGP_VERDICT_ATTR_DISCARD, 0);
		return;
	}
	/* RFC 4456 8 / RFC 7606 7.9: ORIGINATOR_ID is for iBGP only; from eBGP discard it. */
	if (d->type == BGP_ATTR_ORIGINATOR_ID && d->p->ebgp) {
		bgp_attr_fail(d, BGP_VERDICT_ATTR_DISCARD, 0);
		return;
	}
	if (buf_remaining(v) != 4 || buf_get_u32(v, &x) < 0) {
		bgp_attr_fail(d, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ERR_UPD_ATTR_LENGTH);
		return;
	}
	switch (d->type) {
	case BGP_ATTR_MED:
		k->med = x;
		k->present |= BGP_ATTRS_MED;
		break;
	case BGP_ATTR_LOCAL_PREF:
		k->local_pref = x;
		k->present |= BGP_ATTRS_LOCAL_PREF;
		break;
	default:
		k->originator_id = x;
		k->present |= BGP_ATTRS_ORIGINATOR;
		break;
	}
}

/* RFC 7606 7.6: ATOMIC_AGGREGATE of non-zero length is discarded. */
static void bgp_attr_atomic(struct bgp_attr_dec *d, struct buf_reader *v)
{
	if (buf_remaining(v) != 0) {
		bgp_attr_fail(d, BGP_VERDICT_ATTR_DISCARD, 0);
		return;
	}
	d->b->k.present |= BGP_ATTRS_ATOMIC_AGG;
}

/* RFC 7606 7.7 (length 6 or 8 by session), RFC 7607 2 (AS 0): attribute discard. */
static void bgp_attr_aggregator(struct bgp_attr_dec *d, struct buf_reader *v)
{
	struct bgp_attrs_key *k = &d->b->k;
	uint16_t a16;
	uint32_t as = 0, id = 0;

	if (buf_remaining(v) != (d->p->as4 ? 8u : 6u)) {
		bgp_attr_fail(d, BGP_VERDICT_ATTR_DISCARD, 0);
		return;
	}
	if (d->p->as4) {
		buf_get_u32(v, &as);
	} else {
		buf_get_u16(v, &a16);
		as = a16;
	}
	buf_get_u32(v, &id);
	if (as == 0) {
		bgp_attr_fail(d, BGP_VERDICT_ATTR_DISCARD, 0);
		return;
	}
	k->aggregator_as = as;
	k->aggregator_id = id;
	k->present |= BGP_ATTRS_AGGREGATOR;
}

/*
 * List attributes kept as canonical bytes: COMMUNITY (RFC 7606 7.8, RFC
 * 1997), EXTENDED COMMUNITIES (RFC 7606 7.14), LARGE_COMMUNITY (RFC 8092 6),
 * CLUSTER_LIST (RFC 7606 7.10): length must be a non-zero multiple of the
 * element size, else treat-as-withdraw.
 */
static void bgp_attr_list(struct bgp_attr_dec *d, struct buf_reader *v, size_t elem,
                          enum bgp_attr_part part)
{
	size_t n = buf_remaining(v);

	/* RFC 4456 8: CLUSTER_LIST is for iBGP only; from eBGP discard it. */
	if (part == BGP_PART_CLUSTER_LIST && d->p->ebgp) {
		bgp_attr_fail(d, BGP_VERDICT_ATTR_DISCARD, 0);
		return;
	}
	if (n == 0 || n % elem != 0) {
		bgp_attr_fail(d, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ERR_UPD_OPTIONAL);
		return;
	}
	d->b->part[part] = buf_cursor(v);
	d->b->part_len[part] = n;
}

/* RFC 6793 6 (and RFC 7606 7.x): AS4_PATH / AS4_AGGREGATOR errors -> attribute discard. */
static void bgp_attr_as4(struct bgp_attr_dec *d, struct buf_reader *v)
{
	bool confed, zero_as;

	/* RFC 6793 4.1: a NEW speaker never receives these from a NEW speaker: discard. */
	if (d->p->as4) {
		bgp_attr_fail(d, BGP_VERDICT_ATTR_DISCARD, 0);
		return;
	}
	if (d->type == BGP_ATTR_AS4_PATH) {
		/* RFC 6793 6: malformed, or with confederation segments: discard. */
		if (bgp_path_parse(*v, 4, NULL, 0, &confed, &zero_as) < 0 || confed || zero_as) {
			bgp_attr_fail(d, BGP_VERDICT_ATTR_DISCARD, 0);
			return;
		}
		d->as4_path = *v;
		d->has_as4_path = true;
		return;
	}
	if (buf_remaining(v) != 8) {
		bgp_attr_fail(d, BGP_VERDICT_ATTR_DISCARD, 0);
		return;
	}
	buf_get_u32(v, &d->as4_agg_as);
	buf_get_u32(v, &d->as4_agg_id);
	if (d->as4_agg_as == 0) { /* RFC 7607 2 */
		bgp_attr_fail(d, BGP_VERDICT_ATTR_DISCARD, 0);
		return;
	}
	d->has_as4_agg = true;
}

/* RFC 4760 3, RFC 2545 3, RFC 7606 7.11: MP_REACH_NLRI; malformed -> session reset. */
static void bgp_attr_mp_reach(struct bgp_attr_dec *d, struct buf_reader *v)
{
	struct bgp_mp_info *mp = d->mp;
	uint8_t nhlen, reserved, nh[32];
	int af;

	if (buf_get_u16(v, &mp->reach_afi) < 0 || buf_get_u8(v, &mp->reach_safi) < 0 ||
	    buf_get_u8(v, &nhlen) < 0 || buf_remaining(v) < (size_t)nhlen + 1u) {
		bgp_attr_fail(d, BGP_VERDICT_SESSION_RESET, BGP_ERR_UPD_OPTIONAL);
		return;
	}
	af = bgp_af_from_afi_safi(mp->reach_afi, mp->reach_safi);
	if (af < 0 || !(d->p->families & BGP_AF_BIT(af))) {
		/* A family we did not negotiate: skip it (RFC 4760 6 leaves it to us). */
		buf_skip(v, buf_remaining(v));
		return;
	}
	/* RFC 7606 7.11: next hop length inconsistent with the AFI -> malformed. */
	if ((af == BGP_AF_IPV4 && nhlen != 4) ||
	    (af == BGP_AF_IPV6 && nhlen != 16 && nhlen != 32)) {
		bgp_attr_fail(d, BGP_VERDICT_SESSION_RESET, BGP_ERR_UPD_OPTIONAL);
		return;
	}
	buf_get_bytes(v, nh, nhlen);
	buf_get_u8(v, &reserved); /* RFC 4760 3: reserved, ignored */
	memset(&mp->next_hop, 0, sizeof(mp->next_hop));
	mp->next_hop.family = af == BGP_AF_IPV4 ? AF_INET : AF_INET6;
	memcpy(mp->next_hop.bytes, nh, af == BGP_AF_IPV4 ? 4 : 16);
	if (nhlen == 32) {
		/* RFC 2545 3: global address then link-local address. */
		memset(&mp->next_hop_ll, 0, sizeof(mp->next_hop_ll));
		mp->next_hop_ll.family = AF_INET6;
		memcpy(mp->next_hop_ll.bytes, nh + 16, 16);
		mp->has_ll = true;
	}
	buf_sub(v, buf_remaining(v), &mp->reach_nlri);
	mp->reach = true;
	/* RFC 4271 6.3 applied to the MP next hop: not a host address -> treat-as-withdraw. */
	if (bgp_next_hop_bad(&mp->next_hop))
		bgp_attr_fail(d, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ERR_UPD_NEXT_HOP);
}

/* RFC 4760 4, RFC 7606 7.11: MP_UNREACH_NLRI; malformed -> session reset. */
static void bgp_attr_mp_unreach(struct bgp_attr_dec *d, struct buf_reader *v)
{
	struct bgp_mp_info *mp = d->mp;
	int af;

	if (buf_get_u16(v, &mp->unreach_afi) < 0 || buf_get_u8(v, &mp->unreach_safi) < 0) {
		bgp_attr_fail(d, BGP_VERDICT_SESSION_RESET, BGP_ERR_UPD_OPTIONAL);
		return;
	}
	af = bgp_af_from_afi_safi(mp->unreach_afi, mp->unreach_safi);
	if (af < 0 || !(d->p->families & BGP_AF_BIT(af)))
		return;
	buf_sub(v, buf_remaining(v), &mp->unreach_nlri);
	mp->unreach = true;
}

/* Keep an unknown optional transitive attribute, with Partial set (RFC 4271 9). */
static void bgp_attr_unknown(struct bgp_attr_dec *d, struct buf_reader *v)
{
	struct bgp_attr_builder *b = d->b;
	size_t n = buf_remaining(v), have = b->part_len[BGP_PART_UNKNOWN];
	struct buf_writer w;

	/* RFC 4271 5: unknown optional non-transitive attributes are quietly ignored. */
	if (!(d->flags & BGP_ATTR_F_TRANSITIVE))
		return;
	if (have >= sizeof(b->unknown_buf))
		return;
	buf_writer_init_fixed(&w, b->unknown_buf + have, sizeof(b->unknown_buf) - have);
	buf_put_u8(&w, (uint8_t)((d->flags | BGP_ATTR_F_PARTIAL | BGP_ATTR_F_EXTENDED)));
	buf_put_u8(&w, d->type);
	buf_put_u16(&w, (uint16_t)n);
	buf_put_bytes(&w, buf_cursor(v), n);
	if (!buf_writer_ok(&w))
		return; /* cannot happen: the list is smaller than the buffer */
	b->part[BGP_PART_UNKNOWN] = b->unknown_buf;
	b->part_len[BGP_PART_UNKNOWN] = have + w.len;
}

/* Expected Optional/Transitive flags of known attributes (RFC 4271 5, and each attribute's RFC). */
static int bgp_attr_expected_flags(uint8_t type)
{
	switch (type) {
	case BGP_ATTR_ORIGIN:
	case BGP_ATTR_AS_PATH:
	case BGP_ATTR_NEXT_HOP:
	case BGP_ATTR_LOCAL_PREF:
	case BGP_ATTR_ATOMIC_AGGREGATE:
		return BGP_ATTR_F_TRANSITIVE;
	case BGP_ATTR_MED:
	case BGP_ATTR_ORIGINATOR_ID:
	case BGP_ATTR_CLUSTER_LIST:
	case BGP_ATTR_MP_REACH:
	case BGP_ATTR_MP_UNREACH:
		return BGP_ATTR_F_OPTIONAL;
	case BGP_ATTR_AGGREGATOR:
	case BGP_ATTR_COMMUNITY:
	case BGP_ATTR_EXT_COMMUNITY:
	case BGP_ATTR_AS4_PATH:
	case BGP_ATTR_AS4_AGGREGATOR:
	case BGP_ATTR_LARGE_COMMUNITY:
		return BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE;
	}
	return -1;
}

/* What RFC 7606 says to do with a malformed instance of type (for flag errors). */
static enum bgp_verdict bgp_attr_malformed_verdict(uint8_t type)
{
	switch (type) {
	case BGP_ATTR_ATOMIC_AGGREGATE: /* RFC 7606 7.6 */
	case BGP_ATTR_AGGREGATOR:       /* RFC 7606 7.7 */
	case BGP_ATTR_AS4_PATH:         /* RFC 6793 6 */
	case BGP_ATTR_AS4_AGGREGATOR:   /* RFC 6793 6 */
		return BGP_VERDICT_ATTR_DISCARD;
	case BGP_ATTR_MP_REACH: /* RFC 7606 7.11 */
	case BGP_ATTR_MP_UNREACH:
		return BGP_VERDICT_SESSION_RESET;
	default: /* RFC 7606 3 (c) */
		return BGP_VERDICT_TREAT_AS_WITHDRAW;
	}
}

static void bgp_attr_dispatch(struct bgp_attr_dec *d, struct buf_reader *v)
{
	switch (d->type) {
	case BGP_ATTR_ORIGIN:
		bgp_attr_origin(d, v);
		break;
	case BGP_ATTR_AS_PATH:
		bgp_attr_as_path(d, v);
		break;
	case BGP_ATTR_NEXT_HOP:
		bgp_attr_next_hop(d, v);
		break;
	case BGP_ATTR_MED:
	case BGP_ATTR_LOCAL_PREF:
	case BGP_ATTR_ORIGINATOR_ID:
		bgp_attr_u32(d, v);
		break;
	case BGP_ATTR_ATOMIC_AGGREGATE:
		bgp_attr_atomic(d, v);
		break;
	case BGP_ATTR_AGGREGATOR:
		bgp_attr_aggregator(d, v);
		break;
	case BGP_ATTR_COMMUNITY:
		bgp_attr_list(d, v, 4, BGP_PART_COMMUNITY);
		break;
	case BGP_ATTR_EXT_COMMUNITY:
		bgp_attr_list(d, v, 8, BGP_PART_EXT_COMMUNITY);
		break;
	case BGP_ATTR_LARGE_COMMUNITY:
		bgp_attr_list(d, v, 12, BGP_PART_LARGE_COMMUNITY);
		break;
	case BGP_ATTR_CLUSTER_LIST:
		bgp_attr_list(d, v, 4, BGP_PART_CLUSTER_LIST);
		break;
	case BGP_ATTR_MP_REACH:
		bgp_attr_mp_reach(d, v);
		break;
	case BGP_ATTR_MP_UNREACH:
		bgp_attr_mp_unreach(d, v);
		break;
	case BGP_ATTR_AS4_PATH:
	case BGP_ATTR_AS4_AGGREGATOR:
		bgp_attr_as4(d, v);
		break;
	default:
		bgp_attr_unknown(d, v);
		break;
	}
}

/* Units of path length: AS_SET counts 1, confederation segments 0 (RFC 6793 4.2.3). */
static size_t bgp_path_units(struct buf_reader v, unsigned asn_size)
{
	uint8_t type, count;
	size_t n = 0;

	while (buf_get_u8(&v, &type) == 0 && buf_get_u8(&v, &count) == 0) {
		if (type == BGP_AS_SEQUENCE)
			n += count;
		else if (type == BGP_AS_SET)
			n += 1;
		if (buf_skip(&v, (size_t)count * asn_size) < 0)
			break;
	}
	return n;
}

/*
 * RFC 6793 4.2.3: rebuild the path from a two-octet peer: keep the leading
 * (len(AS_PATH) - len(AS4_PATH)) units of AS_PATH, then AS4_PATH. If AS_PATH
 * is shorter, AS4_PATH is ignored.
 */
static void bgp_attr_as4_merge(struct bgp_attr_dec *d)
{
	struct bgp_attr_builder *b = d->b;
	struct buf_reader path, as4 = d->as4_path;
	size_t n_path, n_as4, keep, have = 0;
	uint8_t out[4096 + 8];
	struct buf_writer w;
	uint8_t type, count;
	uint32_t asn = 0;

	/* RFC 6793 4.2.3: AGGREGATOR from a NEW speaker (not AS_TRANS) voids both AS4 attrs. */
	if ((b->k.present & BGP_ATTRS_AGGREGATOR) && b->k.aggregator_as != BGP_AS_TRANS)
		return;
	if (d->has_as4_agg && (b->k.present & BGP_ATTRS_AGGREGATOR)) {
		b->k.aggregator_as = d->as4_agg_as;
		b->k.aggregator_id = d->as4_agg_id;
	}
	if (!d->has_as4_path || !d->has_as_path)
		return;
	buf_reader_init(&path, b->part[BGP_PART_AS_PATH], b->part_len[BGP_PART_AS_PATH]);
	n_path = bgp_path_units(path, 4);
	n_as4 = bgp_path_units(as4, 4);
	if (n_path < n_as4)
		return;
	keep = n_path - n_as4;
	buf_writer_init_fixed(&w, out, sizeof(out));
	while (have < keep && buf_get_u8(&path, &type) == 0 && buf_get_u8(&path, &count) == 0) {
		unsigned take = count;
		if (type == BGP_AS_SEQUENCE && have + count > keep)
			take = (unsigned)(keep - have);
		buf_put_u8(&w, type);
		buf_put_u8(&w, (uint8_t)take);
		for (unsigned i = 0; i < count; i++) {
			buf_get_u32(&path, &asn);
			if (i < take)
				buf_put_u32(&w, asn);
		}
		have += type == BGP_AS_SEQUENCE ? take : (type == BGP_AS_SET ? 1 : 0);
	}
	while (buf_get_u8(&as4, &type) == 0 && buf_get_u8(&as4, &count) == 0) {
		buf_put_u8(&w, type);
		buf_put_u8(&w, count);
		for (unsigned i = 0; i < count; i++) {
			buf_get_u32(&as4, &asn);
			buf_put_u32(&w, asn);
		}
	}
	if (!buf_writer_ok(&w) || w.len > sizeof(b->path_buf))
		return;
	memcpy(b->path_buf, out, w.len);
	b->part[BGP_PART_AS_PATH] = b->path_buf;
	b->part_len[BGP_PART_AS_PATH] = w.len;
}

int bgp_attr_decode(struct buf_reader *r, const struct bgp_session_params *p, bool has_nlri,
                    struct bgp_attr_builder *b, struct bgp_mp_info *mp, struct bgp_attr_result *res)
{
	struct bgp_attr_dec d = {.p = p, .b = b, .mp = mp, .res = res};
	uint8_t seen[32] = {0};
	struct buf_reader v;
	uint16_t alen;
	uint8_t l8;
	int expect;

	bgp_attr_builder_reset(b);
	memset(mp, 0, sizeof(*mp));
	bgp_attr_result_clear(res);
	while (buf_remaining(r) > 0) {
		struct buf_reader mark = *r;
		d.type = 0;
		/*
		 * RFC 7606 4: fewer than 3 (4 with Extended Length) octets left,
		 * or an attribute longer than what remains: treat-as-withdraw,
		 * relying on Total Attribute Length to find the NLRI.
		 */
		if (buf_get_u8(r, &d.flags) < 0 || buf_get_u8(r, &d.type) < 0) {
			bgp_attr_fail(&d, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ERR_UPD_ATTR_LIST);
			break;
		}
		if (d.flags & BGP_ATTR_F_EXTENDED) {
			if (buf_get_u16(r, &alen) < 0)
				alen = 0xffff;
		} else {
			alen = buf_get_u8(r, &l8) < 0 ? 0xffff : l8;
		}
		if (!buf_reader_ok(r) || buf_sub(r, alen, &v) < 0) {
			bgp_attr_fail(&d, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ERR_UPD_ATTR_LENGTH);
			break;
		}
		d.whole = mark;
		d.whole.len = r->pos; /* from the attribute's first byte to its end */
		/* RFC 7606 3 (g): a repeated MP attribute -> Malformed Attribute List, reset. */
		if (seen[d.type / 8] & (1u << (d.type % 8))) {
			if (d.type == BGP_ATTR_MP_REACH || d.type == BGP_ATTR_MP_UNREACH) {
				bgp_attr_fail(&d, BGP_VERDICT_SESSION_RESET, BGP_ERR_UPD_ATTR_LIST);
				continue;
			}
			/* ... any other repeat is discarded. */
			bgp_attr_fail(&d, BGP_VERDICT_ATTR_DISCARD, 0);
			continue;
		}
		seen[d.type / 8] |= (uint8_t)(1u << (d.type % 8));
		expect = bgp_attr_expected_flags(d.type);
		if (expect < 0 && !(d.flags & BGP_ATTR_F_OPTIONAL)) {
			/* RFC 4271 6.3: Unrecognized Well-known Attribute (not revised by RFC
			 * 7606). */
			bgp_attr_fail(&d, BGP_VERDICT_SESSION_RESET, BGP_ERR_UPD_UNKNOWN_WELLKNOWN);
			continue;
		}
		/*
		 * RFC 4271 6.3 flag checks, handled per RFC 7606 3 (c): the
		 * attribute's own malformed-handling applies. The Partial bit
		 * must be clear on well-known and optional non-transitive ones.
		 */
		if (expect >= 0 &&
		    ((d.flags & (BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE)) != expect ||
		     ((d.flags & BGP_ATTR_F_PARTIAL) &&
		      expect != (BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE)))) {
			bgp_attr_fail(&d, bgp_attr_malformed_verdict(d.type),
			              BGP_ERR_UPD_ATTR_FLAGS);
			continue;
		}
		bgp_attr_dispatch(&d, &v);
	}
	if (!p->as4)
		bgp_attr_as4_merge(&d);
	bgp_attr_builder_path_info(b);
	/*
	 * RFC 7606 3 (d): a missing well-known mandatory attribute (ORIGIN,
	 * AS_PATH; NEXT_HOP only with NLRI in the UPDATE's own field, RFC 4760
	 * 3) -> treat-as-withdraw. Only UPDATEs that announce something need them.
	 */
	if ((has_nlri || mp->reach) && res->verdict < BGP_VERDICT_TREAT_AS_WITHDRAW) {
		d.type = 0;
		if (!(b->k.present & BGP_ATTRS_ORIGIN) && !(seen[0] & (1u << BGP_ATTR_ORIGIN)))
			d.type = BGP_ATTR_ORIGIN;
		else if (!d.has_as_path && !(seen[0] & (1u << BGP_ATTR_AS_PATH)))
			d.type = BGP_ATTR_AS_PATH;
		else if (has_nlri && !(seen[0] & (1u << BGP_ATTR_NEXT_HOP)))
			d.type = BGP_ATTR_NEXT_HOP;
		if (d.type)
			bgp_attr_fail(&d, BGP_VERDICT_TREAT_AS_WITHDRAW,
			              BGP_ERR_UPD_MISSING_WELLKNOWN);
	}
	/*
	 * RFC 4271 6.3 / RFC 7606 7.2: the leftmost AS from an external peer
	 * must be the peer's AS (Malformed AS_PATH -> treat-as-withdraw).
	 */
	if (p->ebgp && d.has_as_path && (has_nlri || mp->reach) && b->k.neighbor_as != p->peer_as) {
		d.type = BGP_ATTR_AS_PATH;
		bgp_attr_fail(&d, BGP_VERDICT_TREAT_AS_WITHDRAW, BGP_ERR_UPD_AS_PATH);
	}
	if (res->verdict == BGP_VERDICT_SESSION_RESET)
		return -EBADMSG;
	return 0;
}

void bgp_attr_result_reset(struct bgp_attr_result *res, uint8_t subcode)
{
	bgp_attr_reset_plain(res, subcode);
}
