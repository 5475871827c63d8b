/*
 * DOC: export rules: which routes go to which peer, and with what attributes
 * (RFC 4271 5.1 and 9.1.3, RFC 4456 6 and 8, RFC 1997).
 *
 * rib_export_allowed() is the advertisement decision; rib_export_attrs()
 * derives the outgoing set from the route's set (prepend, next hop, LOCAL_PREF,
 * MED, reflection attributes) and interns it. A small per-flush cache maps a
 * source set to its exported set, so a thousand prefixes sharing one set are
 * exported with one interning.
 */
#include <config.h>

#include <string.h>

#include "update_int.h"

bool rib_export_allowed(struct rib *rib, const struct rib_peer *to, const struct rib_route *r)
{
	const struct rib_peer *from = rib_route_peer(rib, r);

	/* Never back to the peer the route came from. */
	if (r->peer_id == to->id)
		return false;
	/* RFC 1997: NO_ADVERTISE to nobody, NO_EXPORT not outside the AS. */
	if (r->attrs->k.part_len[BGP_PART_COMMUNITY]) {
		if (bgp_attrs_has_community(r->attrs, BGP_COMMUNITY_NO_ADVERTISE))
			return false;
		if (to->ebgp &&
		    (bgp_attrs_has_community(r->attrs, BGP_COMMUNITY_NO_EXPORT) ||
		     bgp_attrs_has_community(r->attrs, BGP_COMMUNITY_NO_EXPORT_SUBCONFED)))
			return false;
	}
	/* RFC 4271 9.1.3: local and eBGP-learned routes go to everyone. */
	if (r->peer_id == RIB_PEER_LOCAL || !from || from->ebgp || to->ebgp)
		return true;
	/*
	 * iBGP to iBGP: only by reflection (RFC 4456 6): a route from a client
	 * goes to clients and non-clients, one from a non-client to clients.
	 */
	return from->cfg.rr_client || to->cfg.rr_client;
}

/* Our next hop towards `to` for af (RFC 4271 5.1.3 next-hop-self), zero if none. */
static void rib_export_self(const struct rib_peer *to, unsigned af, struct addr *nh,
                            struct addr *ll)
{
	const struct rib_peer_session *s = &to->s;

	memset(nh, 0, sizeof(*nh));
	memset(ll, 0, sizeof(*ll));
	if (af == BGP_AF_IPV4) {
		if (!addr_is_zero(&s->local_v4) && s->local_v4.family == AF_INET)
			*nh = s->local_v4;
		else if (s->local_addr.family == AF_INET)
			*nh = s->local_addr;
		return;
	}
	if (!addr_is_zero(&s->local_v6) && s->local_v6.family == AF_INET6)
		*nh = s->local_v6;
	else if (s->local_addr.family == AF_INET6)
		*nh = s->local_addr;
	/* RFC 2545 3: a link-local next hop only with a peer on the same link. */
	if (s->local_v6_ll.family == AF_INET6 && !addr_is_zero(&s->local_v6_ll))
		*ll = s->local_v6_ll;
}

static struct bgp_attrs *rib_export_build(struct rib *rib, const struct rib_peer *to, unsigned af,
                                          const struct rib_route *r)
{
	struct bgp_attr_builder *b = rib->out_builder;
	const struct rib_peer *from = rib_route_peer(rib, r);
	bool local = r->peer_id == RIB_PEER_LOCAL;
	bool self = local || to->ebgp || to->cfg.next_hop_self;
	struct addr nh, ll;

	bgp_attr_builder_load(b, r->attrs);
	if (to->ebgp) {
		/*
		 * RFC 4271 5.1.2 (b): prepend our AS towards an external peer,
		 * after removing confederation segments (RFC 5065 5.3).
		 */
		if (bgp_attr_builder_strip_confed(b) < 0 ||
		    bgp_attr_builder_prepend(b, rib->cfg.local_as) < 0)
			return NULL;
		/* RFC 4271 5.1.5: no LOCAL_PREF to external peers. */
		b->k.present &= (uint8_t)~BGP_ATTRS_LOCAL_PREF;
		b->k.local_pref = 0;
		/* RFC 4271 5.1.4: a MED learned from another AS is not passed on. */
		if (!local) {
			b->k.present &= (uint8_t)~BGP_ATTRS_MED;
			b->k.med = 0;
		}
		/* RFC 4456 8: ORIGINATOR_ID and CLUSTER_LIST stay inside the AS. */
		b->k.present &= (uint8_t)~BGP_ATTRS_ORIGINATOR;
		b->k.originator_id = 0;
		b->part_len[BGP_PART_CLUSTER_LIST] = 0;
	} else {
		/* RFC 4271 5.1.5: LOCAL_PREF on every UPDATE to an internal peer. */
		if (!(b->k.present & BGP_ATTRS_LOCAL_PREF) || (from && from->ebgp)) {
			b->k.present |= BGP_ATTRS_LOCAL_PREF;
			b->k.local_pref = BGP_LOCAL_PREF_DEFAULT;
		}
		/* RFC 4456 8: reflecting an internal route adds ORIGINATOR_ID and our CLUSTER_ID.
		 */
		if (!local && from && !from->ebgp) {
			if (!(b->k.present & BGP_ATTRS_ORIGINATOR)) {
				b->k.present |= BGP_ATTRS_ORIGINATOR;
				b->k.originator_id = from->bgp_id;
			}
			if (bgp_attr_builder_prepend_cluster(b, rib->cfg.cluster_id) < 0)
				return NULL;
		}
	}
	if (self) {
		rib_export_self(to, af, &nh, &ll);
		if (addr_is_zero(&nh))
			return NULL; /* no address of ours to offer as next hop */
		b->k.next_hop = nh;
		b->k.next_hop_ll = ll;
		b->k.present |= BGP_ATTRS_NEXT_HOP;
		if (!addr_is_zero(&ll))
			b->k.present |= BGP_ATTRS_NEXT_HOP_LL;
		else
			b->k.present &= (uint8_t)~BGP_ATTRS_NEXT_HOP_LL;
	} else {
		/* Next hop unchanged (RFC 4271 5.1.3); a link-local one means nothing further away.
		 */
		memset(&b->k.next_hop_ll, 0, sizeof(b->k.next_hop_ll));
		b->k.present &= (uint8_t)~BGP_ATTRS_NEXT_HOP_LL;
	}
	return bgp_attr_intern(&rib->attrs, b);
}

void update_export_cache_init(struct rib *rib)
{
	memset(rib->ecache, 0, sizeof(rib->ecache));
}

void update_export_cache_clear(struct rib *rib)
{
	for (size_t i = 0; i < sizeof(rib->ecache) / sizeof(rib->ecache[0]); i++) {
		if (rib->ecache[i].out)
			bgp_attr_unref(&rib->attrs, rib->ecache[i].out);
		rib->ecache[i].src = NULL;
		rib->ecache[i].out = NULL;
	}
}

struct bgp_attrs *rib_export_attrs(struct rib *rib, const struct rib_peer *to, unsigned af,
                                   const struct rib_route *r)
{
	size_t n = sizeof(rib->ecache) / sizeof(rib->ecache[0]);
	struct rib_export_cache *c = &rib->ecache[(r->attrs->hash ^ r->peer_id) & (n - 1)];
	struct bgp_attrs *out;

	if (c->src == r->attrs && c->from == r->peer_id && c->af == af && c->out)
		return bgp_attr_ref(c->out);
	out = rib_export_build(rib, to, af, r);
	if (!out)
		return NULL;
	if (c->out)
		bgp_attr_unref(&rib->attrs, c->out);
	c->src = r->attrs;
	c->from = r->peer_id;
	c->af = (uint8_t)af;
	c->out = bgp_attr_ref(out);
	return out;
}
