/*
 * DOC: packing prefixes into UPDATE messages (RFC 4271 4.3, RFC 4760 3-4).
 *
 * A group is one family and one outgoing attribute set (or withdrawals of
 * one family). Its attributes are encoded once; prefixes are collected until
 * the next one would overflow the message size (4096, or 65535 with RFC 8654),
 * then the message is written: IPv4 in the UPDATE's own withdrawn-routes /
 * NLRI fields, IPv6 in MP_UNREACH_NLRI / MP_REACH_NLRI placed first among the
 * attributes (RFC 7606 5.1).
 */
#include <config.h>

#include <errno.h>
#include <string.h>

#include <tabby/log.h>

#include "update_int.h"

void update_pack_init(struct update_pack *pk, struct buf_writer *w, size_t max, bool as4)
{
	pk->w = w;
	pk->max = max ? max : BGP_MAX_MSG_LEN;
	pk->as4 = as4;
	pk->n_msgs = 0;
	pk->mode = 0;
	pk->attrs = NULL;
	buf_writer_init(&pk->attrbuf, 256);
	buf_writer_init_fixed(&pk->nlri, pk->nlri_mem, sizeof(pk->nlri_mem));
}

void update_pack_free(struct update_pack *pk)
{
	buf_writer_free(&pk->attrbuf);
}

static size_t update_mp_nh_len(const struct bgp_attrs *a)
{
	return (a->k.present & BGP_ATTRS_NEXT_HOP_LL) ? 32 : 16;
}

/* Write the message for the collected NLRI. */
static int update_pack_emit(struct update_pack *pk)
{
	struct buf_writer *w = pk->w;
	size_t off, nl = pk->nlri.len;
	const uint8_t *nlri = pk->nlri_mem;
	int rc;

	if (nl == 0)
		return 0;
	off = bgp_msg_begin(w, BGP_MSG_UPDATE);
	if (pk->mode == 2 && pk->af == BGP_AF_IPV4) {
		/* RFC 4271 4.3: Withdrawn Routes, no attributes. */
		buf_put_u16(w, (uint16_t)nl);
		buf_put_bytes(w, nlri, nl);
		buf_put_u16(w, 0);
	} else if (pk->mode == 2) {
		/* RFC 4760 4: MP_UNREACH_NLRI alone. */
		buf_put_u16(w, 0);
		buf_put_u16(w, (uint16_t)(4 + 3 + nl));
		buf_put_u8(w, BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_EXTENDED);
		buf_put_u8(w, BGP_ATTR_MP_UNREACH);
		buf_put_u16(w, (uint16_t)(3 + nl));
		buf_put_u16(w, bgp_af_afi(pk->af));
		buf_put_u8(w, BGP_SAFI_UNICAST);
		buf_put_bytes(w, nlri, nl);
	} else if (pk->af == BGP_AF_IPV4) {
		buf_put_u16(w, 0);
		buf_put_u16(w, (uint16_t)pk->attrbuf.len);
		buf_put_bytes(w, pk->attrbuf.data, pk->attrbuf.len);
		buf_put_bytes(w, nlri, nl);
	} else {
		/* RFC 4760 3 + RFC 2545 3: MP_REACH_NLRI first, global (+ link-local) next hop. */
		size_t nhl = update_mp_nh_len(pk->attrs);
		size_t mplen = 5 + nhl + nl;
		buf_put_u16(w, 0);
		buf_put_u16(w, (uint16_t)(4 + mplen + pk->attrbuf.len));
		buf_put_u8(w, BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_EXTENDED);
		buf_put_u8(w, BGP_ATTR_MP_REACH);
		buf_put_u16(w, (uint16_t)mplen);
		buf_put_u16(w, bgp_af_afi(pk->af));
		buf_put_u8(w, BGP_SAFI_UNICAST);
		buf_put_u8(w, (uint8_t)nhl);
		buf_put_bytes(w, pk->attrs->k.next_hop.bytes, 16);
		if (nhl == 32)
			buf_put_bytes(w, pk->attrs->k.next_hop_ll.bytes, 16);
		buf_put_u8(w, 0);
		buf_put_bytes(w, nlri, nl);
		buf_put_bytes(w, pk->attrbuf.data, pk->attrbuf.len);
	}
	rc = bgp_msg_end(w, off, pk->max);
	buf_writer_reset(&pk->nlri);
	if (rc == 0)
		pk->n_msgs++;
	return rc;
}

int update_pack_flush(struct update_pack *pk)
{
	int rc = update_pack_emit(pk);

	pk->mode = 0;
	pk->attrs = NULL;
	return rc;
}

/* Start a group if (mode, af, attrs) differs from the open one. */
static int update_pack_group(struct update_pack *pk, int mode, unsigned af,
                             const struct bgp_attrs *attrs)
{
	int rc;

	if (pk->mode == mode && pk->af == af && pk->attrs == attrs)
		return 0;
	rc = update_pack_flush(pk);
	if (rc)
		return rc;
	pk->mode = mode;
	pk->af = af;
	pk->attrs = attrs;
	buf_writer_reset(&pk->attrbuf);
	pk->overhead = BGP_HEADER_LEN + 4;
	if (mode == 2) {
		if (af != BGP_AF_IPV4)
			pk->overhead += 4 + 3;
		return 0;
	}
	rc = bgp_attr_encode(&pk->attrbuf, attrs, pk->as4, af == BGP_AF_IPV4);
	if (rc)
		return rc;
	pk->overhead += pk->attrbuf.len;
	if (af != BGP_AF_IPV4)
		pk->overhead += 4 + 5 + update_mp_nh_len(attrs);
	return 0;
}

static int update_pack_add(struct update_pack *pk, const struct rib_dest *d)
{
	struct prefix p;
	size_t sz;
	int rc;

	rib_dest_prefix(d, pk->af, &p);
	sz = bgp_nlri_size(&p);
	if (pk->overhead + sz > pk->max) {
		char buf[PREFIX_STRLEN];
		log_warn("bgp: attributes too large to send %s; skipped",
		         prefix_format(&p, buf, sizeof(buf)));
		return 0;
	}
	if (pk->overhead + pk->nlri.len + sz > pk->max) {
		rc = update_pack_emit(pk);
		if (rc)
			return rc;
	}
	return bgp_nlri_encode(&pk->nlri, &p);
}

int update_pack_announce(struct update_pack *pk, unsigned af, const struct bgp_attrs *attrs,
                         const struct rib_dest *d)
{
	int rc = update_pack_group(pk, 1, af, attrs);

	return rc ? rc : update_pack_add(pk, d);
}

int update_pack_withdraw(struct update_pack *pk, unsigned af, const struct rib_dest *d)
{
	int rc = update_pack_group(pk, 2, af, NULL);

	return rc ? rc : update_pack_add(pk, d);
}

/* RFC 4724 2: End-of-RIB. */
int bgp_update_encode_eor(struct buf_writer *w, enum bgp_af af)
{
	size_t off = bgp_msg_begin(w, BGP_MSG_UPDATE);

	buf_put_u16(w, 0);
	if (af == BGP_AF_IPV4) {
		buf_put_u16(w, 0);
	} else {
		buf_put_u16(w, 6);
		buf_put_u8(w, BGP_ATTR_F_OPTIONAL);
		buf_put_u8(w, BGP_ATTR_MP_UNREACH);
		buf_put_u8(w, 3);
		buf_put_u16(w, bgp_af_afi(af));
		buf_put_u8(w, BGP_SAFI_UNICAST);
	}
	return bgp_msg_end(w, off, BGP_MAX_MSG_LEN);
}
