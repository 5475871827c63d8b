/*
 * DOC: UPDATE ingest: one UPDATE body straight into the tables.
 *
 * The body is split (msg.c), the attributes decoded once into the RIB's
 * builder with the RFC 7606 verdict (attr.c), interned once per family, and
 * then every prefix of the withdrawn-routes field, MP_UNREACH_NLRI, the NLRI
 * field and MP_REACH_NLRI is read with the bounds-checked reader and applied
 * in place: no allocation per prefix beyond the route/destination slabs.
 * Withdrawals are applied before announcements (RFC 4271 4.3 order). At the
 * end the changes of the whole UPDATE go out as one batch, or, between
 * rib_batch_begin() and rib_batch_end(), those of a few hundred UPDATEs.
 *
 * rib_peer_update_prefetch() does the split and the attribute decoding of
 * the UPDATE that comes next, hashes its set and prefetches the interning
 * table's slot; rib_peer_update() then takes that work (two slots, matched
 * by body pointer, length and peer) instead of decoding again. With many
 * one-prefix UPDATEs (each a new set) this hides the one cache miss every
 * UPDATE would otherwise wait for.
 */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "rib_int.h"

#define RIB_INGEST_BATCH 16

struct rib_ingest {
	struct rib *rib;
	struct rib_peer *peer;
	struct rib_update_result *res;
};

/* RFC 4486 4: Cease / Maximum Number of Prefixes Reached, data AFI, SAFI, limit. */
static int rib_max_prefix_hit(struct rib_ingest *in, enum bgp_af af)
{
	uint8_t data[7];
	uint32_t lim = in->peer->cfg.max_prefix;
	uint16_t afi = bgp_af_afi(af);

	data[0] = (uint8_t)(afi >> 8);
	data[1] = (uint8_t)afi;
	data[2] = BGP_SAFI_UNICAST;
	data[3] = (uint8_t)(lim >> 24);
	data[4] = (uint8_t)(lim >> 16);
	data[5] = (uint8_t)(lim >> 8);
	data[6] = (uint8_t)lim;
	bgp_notify_set(&in->res->attr.notify, BGP_ERR_CEASE, BGP_CEASE_MAX_PREFIX, data,
	               sizeof(data));
	in->res->attr.verdict = BGP_VERDICT_SESSION_RESET;
	return -EBADMSG;
}

/*
 * Apply every prefix of r: announce with attrs, or withdraw (attrs NULL).
 * A syntax error is a session reset with subcode (RFC 4271 6.3 Invalid
 * Network Field for the UPDATE's own fields, RFC 4760 7 Optional Attribute
 * Error for the MP attributes; RFC 7606 5.3: NLRI that cannot be parsed
 * leave no lesser choice).
 */
static int rib_ingest_nlri(struct rib_ingest *in, struct buf_reader *r, enum bgp_af af,
                           struct bgp_attrs *attrs, uint8_t subcode)
{
	struct rib_peer *peer = in->peer;
	int family = af == BGP_AF_IPV6 ? AF_INET6 : AF_INET;
	const struct rib_table *t = &in->rib->tables[af];
	uint32_t max = peer->cfg.max_prefix;
	struct prefix batch[RIB_INGEST_BATCH];
	uint32_t hash[RIB_INGEST_BATCH];
	size_t n;
	int rc;

	while (buf_remaining(r) > 0) {
		/*
		 * Decode a batch and prefetch each prefix's bucket, then apply
		 * the batch: the bucket loads overlap instead of stalling one
		 * after the other.
		 */
		for (n = 0; n < RIB_INGEST_BATCH && buf_remaining(r) > 0; n++) {
			if (bgp_nlri_decode(r, family, &batch[n]) < 0) {
				bgp_attr_result_reset(&in->res->attr, subcode);
				return -EBADMSG;
			}
			hash[n] = rib_hash(batch[n].addr.bytes, t->addr_len, batch[n].len);
			rib_prefetch(t, hash[n]);
		}
		/*
		 * Then the first destination of each bucket: the chain walks of
		 * the batch wait for their misses together, not one by one.
		 */
		for (size_t i = 0; i < n; i++)
			rib_prefetch_chain(t, hash[i]);
		for (size_t i = 0; i < n; i++) {
			if (!attrs) {
				in->res->withdrawn +=
				    (uint32_t)rib_route_unset(in->rib, peer, af, &batch[i]);
				continue;
			}
			rc = rib_route_set_hashed(in->rib, peer, af, &batch[i], hash[i], attrs);
			if (rc < 0)
				return rc;
			in->res->announced++;
			if (rc == 1 && max &&
			    peer->prefixes[BGP_AF_IPV4] + peer->prefixes[BGP_AF_IPV6] > max)
				return rib_max_prefix_hit(in, af);
		}
	}
	return 0;
}

/*
 * Is the set unusable because of a loop? RFC 4271 9.1.2: our AS in the
 * AS_PATH of a route from outside; RFC 4456 8: our ORIGINATOR_ID or our
 * CLUSTER_ID in the CLUSTER_LIST of a reflected route.
 */
static bool rib_attrs_looped(const struct rib *rib, const struct rib_peer *peer,
                             const struct bgp_attrs *a)
{
	if (peer->ebgp)
		return bgp_attrs_path_has_as(a, rib->cfg.local_as);
	if ((a->k.present & BGP_ATTRS_ORIGINATOR) && a->k.originator_id == rib->cfg.router_id)
		return true;
	return bgp_attrs_cluster_has(a, rib->cfg.cluster_id);
}

/* Set the next hop of one family in the decoded set (ll: IPv6 link-local, or NULL). */
static void rib_ingest_set_nh(struct bgp_attr_builder *b, const struct addr *nh,
                              const struct addr *ll)
{
	b->k.present &= (uint8_t) ~(BGP_ATTRS_NEXT_HOP | BGP_ATTRS_NEXT_HOP_LL);
	memset(&b->k.next_hop, 0, sizeof(b->k.next_hop));
	memset(&b->k.next_hop_ll, 0, sizeof(b->k.next_hop_ll));
	if (nh) {
		b->k.next_hop = *nh;
		b->k.present |= BGP_ATTRS_NEXT_HOP;
	}
	if (ll) {
		b->k.next_hop_ll = *ll;
		b->k.present |= BGP_ATTRS_NEXT_HOP_LL;
	}
}

/*
 * Intern the decoded set with the next hop of one family (NULL if the route
 * is to be withdrawn). h: the set's hash if already known (has_h), as
 * computed by rib_peer_update_prefetch() for the same builder state.
 */
static struct bgp_attrs *rib_ingest_intern(struct rib *rib, struct rib_peer *peer,
                                           const struct addr *nh, const struct addr *ll, bool has_h,
                                           uint32_t h, int *err)
{
	struct bgp_attr_builder *b = rib->builder;
	struct bgp_attrs *a;

	rib_ingest_set_nh(b, nh, ll);
	a = bgp_attr_intern_hashed(&rib->attrs, b, has_h ? h : bgp_attr_hash(b));
	if (!a) {
		*err = -ENOMEM;
		return NULL;
	}
	if (rib_attrs_looped(rib, peer, a)) {
		bgp_attr_unref(&rib->attrs, a);
		return NULL;
	}
	return a;
}

/* Is this split UPDATE an End-of-RIB marker for IPv4 unicast (RFC 4724 2: nothing in it)? */
static bool rib_update_is_eor4(const struct bgp_update_parts *parts)
{
	return buf_remaining(&parts->withdrawn) == 0 && buf_remaining(&parts->attrs) == 0 &&
	       buf_remaining(&parts->nlri) == 0;
}

/*
 * Apply one split UPDATE whose attributes are decoded (rc: bgp_attr_decode's
 * return value) into rib->builder, mp and in->res->attr.
 */
static int rib_ingest(struct rib_ingest *in, struct bgp_update_parts *parts,
                      struct bgp_mp_info *mpi, int rc, bool has_h4, uint32_t h4)
{
	struct rib *rib = in->rib;
	struct rib_peer *peer = in->peer;
	const struct bgp_session_params *p = &peer->s.params;
	struct bgp_attr_result *ar = &in->res->attr;
	struct bgp_mp_info mp = *mpi;
	struct bgp_attrs *a4 = NULL, *amp = NULL;
	bool has_nlri = buf_remaining(&parts->nlri) > 0;
	bool withdraw;
	int af_mp = -1, af_un = -1, err = 0;
	struct addr nh4;

	if (rc < 0)
		return rc;
	withdraw = ar->verdict == BGP_VERDICT_TREAT_AS_WITHDRAW;
	if (mp.reach)
		af_mp = bgp_af_from_afi_safi(mp.reach_afi, mp.reach_safi);
	if (mp.unreach)
		af_un = bgp_af_from_afi_safi(mp.unreach_afi, mp.unreach_safi);
	/* RFC 4724 2: End-of-RIB of a multiprotocol family: an empty MP_UNREACH_NLRI alone. */
	if (af_un >= 0 && !mp.reach && !has_nlri && buf_remaining(&mp.unreach_nlri) == 0 &&
	    buf_remaining(&parts->withdrawn) == 0) {
		in->res->end_of_rib = af_un;
		rib_peer_stale_flush(rib, peer, af_un);
		return 0;
	}
	if (!withdraw) {
		nh4 = rib->builder->k.next_hop;
		if (has_nlri)
			a4 = rib_ingest_intern(rib, peer, &nh4, NULL, has_h4, h4, &err);
		if (af_mp >= 0 && !err)
			amp = rib_ingest_intern(rib, peer, &mp.next_hop,
			                        mp.has_ll ? &mp.next_hop_ll : NULL, false, 0, &err);
		if (err)
			goto out;
	}
	/* RFC 4271 4.3: withdrawn routes first, then MP_UNREACH_NLRI (RFC 4760 4). */
	rc = rib_ingest_nlri(in, &parts->withdrawn, BGP_AF_IPV4, NULL, BGP_ERR_UPD_NETWORK);
	if (rc == 0 && af_un >= 0)
		rc = rib_ingest_nlri(in, &mp.unreach_nlri, af_un, NULL, BGP_ERR_UPD_OPTIONAL);
	/* RFC 7606 2: treat-as-withdraw turns every announcement into a withdrawal. */
	if (rc == 0 && has_nlri && (p->families & BGP_AF_BIT(BGP_AF_IPV4)))
		rc = rib_ingest_nlri(in, &parts->nlri, BGP_AF_IPV4, a4, BGP_ERR_UPD_NETWORK);
	else if (rc == 0 && has_nlri) {
		/* IPv4 unicast not negotiated: still check the syntax, then ignore. */
		struct prefix pf;
		while (buf_remaining(&parts->nlri) > 0)
			if (bgp_nlri_decode(&parts->nlri, AF_INET, &pf) < 0) {
				bgp_attr_result_reset(ar, BGP_ERR_UPD_NETWORK);
				rc = -EBADMSG;
				break;
			}
	}
	if (rc == 0 && af_mp >= 0)
		rc = rib_ingest_nlri(in, &mp.reach_nlri, af_mp, amp, BGP_ERR_UPD_OPTIONAL);
	err = rc;
out:
	if (a4)
		bgp_attr_unref(&rib->attrs, a4);
	if (amp)
		bgp_attr_unref(&rib->attrs, amp);
	return err;
}

void rib_peer_update_prefetch(struct rib *rib, struct rib_peer *peer, const void *body, size_t len)
{
	struct rib_pre *pre = &rib->pre[rib->pre_next];
	struct bgp_notify scratch;
	bool has_nlri;

	pre->body = NULL;
	if (!peer->up)
		return;
	/* Malformed messages and End-of-RIB markers take the ordinary path. */
	if (bgp_msg_split_update(body, len, &pre->parts, &scratch) < 0 ||
	    rib_update_is_eor4(&pre->parts))
		return;
	has_nlri = buf_remaining(&pre->parts.nlri) > 0;
	pre->rc = bgp_attr_decode(&pre->parts.attrs, &peer->s.params, has_nlri, pre->b, &pre->mp,
	                          &pre->ar);
	pre->has_h4 = false;
	if (pre->rc == 0 && has_nlri && pre->ar.verdict != BGP_VERDICT_TREAT_AS_WITHDRAW) {
		/* The IPv4 set exactly as rib_ingest_intern() will intern it. */
		struct addr nh4 = pre->b->k.next_hop;

		struct buf_reader nlri = pre->parts.nlri;
		struct prefix first;

		rib_ingest_set_nh(pre->b, &nh4, NULL);
		pre->h4 = bgp_attr_hash(pre->b);
		pre->has_h4 = true;
		bgp_attr_prefetch(&rib->attrs, pre->h4);
		/* And the destination chain of its first prefix. */
		if (bgp_nlri_decode(&nlri, AF_INET, &first) == 0)
			rib_prefetch_chain(&rib->tables[BGP_AF_IPV4],
			                   rib_hash(first.addr.bytes, 4, first.len));
	}
	pre->body = body;
	pre->len = len;
	pre->peer = peer;
	rib->pre_next ^= 1;
}

void rib_peer_update_prefetch_drop(struct rib *rib)
{
	rib->pre[0].body = NULL;
	rib->pre[1].body = NULL;
}

/* The prepared slot for this UPDATE, or NULL. */
static struct rib_pre *rib_pre_find(struct rib *rib, const struct rib_peer *peer, const void *body,
                                    size_t len)
{
	for (int i = 0; i < 2; i++) {
		struct rib_pre *pre = &rib->pre[i];
		if (pre->body && pre->body == body && pre->len == len && pre->peer == peer)
			return pre;
	}
	return NULL;
}

int rib_peer_update(struct rib *rib, struct rib_peer *peer, const void *body, size_t len,
                    struct rib_update_result *res)
{
	struct rib_ingest in = {.rib = rib, .peer = peer, .res = res};
	struct rib_pre *pre = rib_pre_find(rib, peer, body, len);
	struct bgp_update_parts parts;
	struct bgp_mp_info mp;
	int rc;

	bgp_attr_result_clear(&res->attr);
	res->announced = 0;
	res->withdrawn = 0;
	res->end_of_rib = -1;
	if (!peer->up) {
		rib_peer_update_prefetch_drop(rib);
		return -EINVAL;
	}
	if (pre) {
		/* Prepared by rib_peer_update_prefetch(): take its decoded set and verdict. */
		struct bgp_attr_builder *b = rib->builder;

		rib->builder = pre->b;
		pre->b = b;
		pre->body = NULL;
		bgp_attr_result_copy(&res->attr, &pre->ar);
		rc = rib_ingest(&in, &pre->parts, &pre->mp, pre->rc, pre->has_h4, pre->h4);
		goto flush;
	}
	if (bgp_msg_split_update(body, len, &parts, &res->attr.notify) < 0) {
		res->attr.verdict = BGP_VERDICT_SESSION_RESET;
		return -EBADMSG;
	}
	/* RFC 4724 2: End-of-RIB for IPv4 unicast is an UPDATE with nothing in it. */
	if (rib_update_is_eor4(&parts)) {
		res->end_of_rib = BGP_AF_IPV4;
		rib_peer_stale_flush(rib, peer, BGP_AF_IPV4);
		return 0;
	}
	rc = bgp_attr_decode(&parts.attrs, &peer->s.params, buf_remaining(&parts.nlri) > 0,
	                     rib->builder, &mp, &res->attr);
	rc = rib_ingest(&in, &parts, &mp, rc, false, 0);
flush:
	/* Changes made before an error still go out; the session reset withdraws them. */
	if (!rib->batch_depth || rib->n_changed >= RIB_BATCH)
		rib_flush_changes(rib);
	return rc;
}

void rib_batch_begin(struct rib *rib)
{
	rib->batch_depth++;
}

void rib_batch_end(struct rib *rib)
{
	if (rib->batch_depth && --rib->batch_depth == 0)
		rib_flush_changes(rib);
}
