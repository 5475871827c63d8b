/*
 * DOC: path attribute and NLRI encoding (RFC 4271 4.3, RFC 6793 4.2.2).
 *
 * bgp_attr_encode() writes an interned set in type-code order, with the
 * shortest length field. Towards a two-octet AS peer, AS numbers that do not
 * fit become AS_TRANS and the real path and aggregator travel in AS4_PATH /
 * AS4_AGGREGATOR (RFC 6793 4.2.2).
 */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "attr.h"

static void bgp_attr_put_header(struct buf_writer *w, uint8_t flags, uint8_t type, size_t len)
{
	if (len > 255) {
		buf_put_u8(w, flags | BGP_ATTR_F_EXTENDED);
		buf_put_u8(w, type);
		buf_put_u16(w, (uint16_t)len);
	} else {
		buf_put_u8(w, flags);
		buf_put_u8(w, type);
		buf_put_u8(w, (uint8_t)len);
	}
}

/* Size of the path with asn_size-octet AS numbers; skip_confed drops confed segments. */
static size_t bgp_path_size(struct buf_reader r, unsigned asn_size, bool skip_confed, bool *wide)
{
	uint8_t type, count;
	uint32_t asn;
	size_t n = 0;

	*wide = false;
	while (buf_get_u8(&r, &type) == 0 && buf_get_u8(&r, &count) == 0) {
		bool skip = skip_confed && type >= BGP_AS_CONFED_SEQUENCE;
		if (!skip)
			n += 2 + (size_t)count * asn_size;
		for (unsigned i = 0; i < count; i++) {
			if (buf_get_u32(&r, &asn) < 0)
				return n;
			if (asn > 0xffff)
				*wide = true;
		}
	}
	return n;
}

static void bgp_path_put(struct buf_writer *w, struct buf_reader r, unsigned asn_size,
                         bool skip_confed)
{
	uint8_t type, count;
	uint32_t asn;

	while (buf_get_u8(&r, &type) == 0 && buf_get_u8(&r, &count) == 0) {
		bool skip = skip_confed && type >= BGP_AS_CONFED_SEQUENCE;
		if (!skip) {
			buf_put_u8(w, type);
			buf_put_u8(w, count);
		}
		for (unsigned i = 0; i < count; i++) {
			if (buf_get_u32(&r, &asn) < 0)
				return;
			if (skip)
				continue;
			if (asn_size == 4)
				buf_put_u32(w, asn);
			else
				buf_put_u16(w, asn > 0xffff ? BGP_AS_TRANS : (uint16_t)asn);
		}
	}
}

static void bgp_attr_put_part(struct buf_writer *w, const struct bgp_attrs *a, uint8_t flags,
                              uint8_t type, enum bgp_attr_part part)
{
	size_t len;
	const uint8_t *p = bgp_attrs_part(a, part, &len);

	if (!len)
		return;
	bgp_attr_put_header(w, flags, type, len);
	buf_put_bytes(w, p, len);
}

int bgp_attr_encode(struct buf_writer *w, const struct bgp_attrs *a, bool as4, bool with_next_hop)
{
	const struct bgp_attrs_key *k = &a->k;
	struct buf_reader path;
	size_t plen;
	const uint8_t *pp = bgp_attrs_part(a, BGP_PART_AS_PATH, &plen);
	bool wide, agg_wide;
	size_t n;

	buf_reader_init(&path, pp, plen);
	/* RFC 4271 5.1.1 ORIGIN */
	bgp_attr_put_header(w, BGP_ATTR_F_TRANSITIVE, BGP_ATTR_ORIGIN, 1);
	buf_put_u8(w, k->origin);
	/* RFC 4271 5.1.2 AS_PATH; RFC 6793 4.2.2 two-octet form with AS_TRANS */
	n = bgp_path_size(path, as4 ? 4 : 2, false, &wide);
	bgp_attr_put_header(w, BGP_ATTR_F_TRANSITIVE, BGP_ATTR_AS_PATH, n);
	bgp_path_put(w, path, as4 ? 4 : 2, false);
	/* RFC 4271 5.1.3 NEXT_HOP */
	if (with_next_hop && k->next_hop.family == AF_INET) {
		bgp_attr_put_header(w, BGP_ATTR_F_TRANSITIVE, BGP_ATTR_NEXT_HOP, 4);
		buf_put_bytes(w, k->next_hop.bytes, 4);
	}
	if (k->present & BGP_ATTRS_MED) {
		bgp_attr_put_header(w, BGP_ATTR_F_OPTIONAL, BGP_ATTR_MED, 4);
		buf_put_u32(w, k->med);
	}
	if (k->present & BGP_ATTRS_LOCAL_PREF) {
		bgp_attr_put_header(w, BGP_ATTR_F_TRANSITIVE, BGP_ATTR_LOCAL_PREF, 4);
		buf_put_u32(w, k->local_pref);
	}
	if (k->present & BGP_ATTRS_ATOMIC_AGG)
		bgp_attr_put_header(w, BGP_ATTR_F_TRANSITIVE, BGP_ATTR_ATOMIC_AGGREGATE, 0);
	agg_wide = (k->present & BGP_ATTRS_AGGREGATOR) && k->aggregator_as > 0xffff;
	if (k->present & BGP_ATTRS_AGGREGATOR) {
		bgp_attr_put_header(w, BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE,
		                    BGP_ATTR_AGGREGATOR, as4 ? 8 : 6);
		if (as4)
			buf_put_u32(w, k->aggregator_as);
		else
			buf_put_u16(w, agg_wide ? BGP_AS_TRANS : (uint16_t)k->aggregator_as);
		buf_put_u32(w, k->aggregator_id);
	}
	bgp_attr_put_part(w, a, BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE, BGP_ATTR_COMMUNITY,
	                  BGP_PART_COMMUNITY);
	if (k->present & BGP_ATTRS_ORIGINATOR) {
		bgp_attr_put_header(w, BGP_ATTR_F_OPTIONAL, BGP_ATTR_ORIGINATOR_ID, 4);
		buf_put_u32(w, k->originator_id);
	}
	bgp_attr_put_part(w, a, BGP_ATTR_F_OPTIONAL, BGP_ATTR_CLUSTER_LIST, BGP_PART_CLUSTER_LIST);
	bgp_attr_put_part(w, a, BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE, BGP_ATTR_EXT_COMMUNITY,
	                  BGP_PART_EXT_COMMUNITY);
	/* RFC 6793 4.2.2: AS4_PATH (no confederation segments) and AS4_AGGREGATOR. */
	if (!as4 && wide) {
		n = bgp_path_size(path, 4, true, &wide);
		bgp_attr_put_header(w, BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE,
		                    BGP_ATTR_AS4_PATH, n);
		bgp_path_put(w, path, 4, true);
	}
	if (!as4 && agg_wide) {
		bgp_attr_put_header(w, BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE,
		                    BGP_ATTR_AS4_AGGREGATOR, 8);
		buf_put_u32(w, k->aggregator_as);
		buf_put_u32(w, k->aggregator_id);
	}
	bgp_attr_put_part(w, a, BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE,
	                  BGP_ATTR_LARGE_COMMUNITY, BGP_PART_LARGE_COMMUNITY);
	/* Unknown optional transitive attributes, already with their headers. */
	pp = bgp_attrs_part(a, BGP_PART_UNKNOWN, &plen);
	if (plen)
		buf_put_bytes(w, pp, plen);
	if (!buf_writer_ok(w))
		return w->growable ? -ENOMEM : -ENOSPC;
	return 0;
}

int bgp_nlri_encode(struct buf_writer *w, const struct prefix *p)
{
	buf_put_u8(w, p->len);
	buf_put_bytes(w, p->addr.bytes, ((size_t)p->len + 7) / 8);
	return buf_writer_ok(w) ? 0 : -ENOSPC;
}

/* RFC 4271 4.3 / RFC 4760 5: length octet, then the prefix in the fewest octets. */
int bgp_nlri_decode(struct buf_reader *r, int family, struct prefix *p)
{
	unsigned max = family == AF_INET6 ? 128 : 32;
	uint8_t len;

	if (buf_get_u8(r, &len) < 0 || len > max)
		return -EBADMSG;
	memset(p, 0, sizeof(*p));
	p->addr.family = (uint8_t)family;
	p->len = len;
	if (buf_get_bytes(r, p->addr.bytes, ((size_t)len + 7) / 8) < 0)
		return -EBADMSG;
	/* Trailing bits are irrelevant (RFC 4271 4.3): clear them. */
	if (len % 8)
		p->addr.bytes[len / 8] &= (uint8_t)(0xff << (8 - len % 8));
	return 0;
}
