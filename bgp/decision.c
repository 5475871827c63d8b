/*
 * DOC: the BGP decision process, RFC 4271 9.1, with RFC 4456 9.
 *
 * Phase 1 (9.1.1) gives each route a degree of preference: we have no
 * import policy, so it is LOCAL_PREF for routes from internal peers
 * (BGP_LOCAL_PREF_DEFAULT when absent) and the same default for external
 * and local routes (LOCAL_PREF from external peers was discarded on receipt,
 * RFC 4271 5.1.5).
 *
 * Phase 2 (9.1.2) picks, for one destination, the route that survives the
 * tie-breaking steps of 9.1.2.2 applied in RFC order to the set of candidate
 * routes. Each step removes routes from the candidate set; step (c) compares
 * MED only among routes from the same neighbouring AS, which is why this is
 * an elimination over the set and not a pairwise sort.
 *
 * The multipath set is the best route plus the routes that tie with it
 * through step (e) (same preference, path length, origin, MED, eBGP/iBGP
 * and, for eBGP, neighbour AS), up to rib_config.multipath routes.
 *
 * The destination's route list is reordered: best first, then the rest of
 * the multipath set, then the others. Flags RIB_ROUTE_BEST and
 * RIB_ROUTE_MULTIPATH mark the Loc-RIB entry.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <tabby/log.h>

#include "rib_int.h"

#define RIB_DECIDE_STACK 64

struct rib_peer *rib_route_peer(struct rib *rib, const struct rib_route *r)
{
	return rib->peers[r->peer_id];
}

/* 9.1.1: degree of preference. */
static uint32_t rib_pref(struct rib *rib, const struct rib_route *r)
{
	const struct rib_peer *peer = rib_route_peer(rib, r);

	if (peer && peer->ebgp)
		return BGP_LOCAL_PREF_DEFAULT;
	if (r->attrs->k.present & BGP_ATTRS_LOCAL_PREF)
		return r->attrs->k.local_pref;
	return BGP_LOCAL_PREF_DEFAULT;
}

/* 9.1.2.2 (c): MED, a missing one is 0 (or the worst, by configuration). */
static uint32_t rib_med(struct rib *rib, const struct rib_route *r)
{
	if (r->attrs->k.present & BGP_ATTRS_MED)
		return r->attrs->k.med;
	return rib->cfg.med_missing_as_worst ? UINT32_MAX : 0;
}

/* Learned from an external peer? Local routes count as external for step (d). */
static bool rib_is_ebgp(struct rib *rib, const struct rib_route *r)
{
	const struct rib_peer *peer = rib_route_peer(rib, r);

	return !peer || peer->ebgp || r->peer_id == RIB_PEER_LOCAL;
}

/* 9.1.2.2 (f) with RFC 4456 9: ORIGINATOR_ID replaces the peer's BGP Identifier. */
static uint32_t rib_bgp_id(struct rib *rib, const struct rib_route *r)
{
	const struct rib_peer *peer = rib_route_peer(rib, r);

	if (r->attrs->k.present & BGP_ATTRS_ORIGINATOR)
		return r->attrs->k.originator_id;
	return peer ? peer->bgp_id : 0;
}

static const struct addr *rib_peer_address(struct rib *rib, const struct rib_route *r)
{
	static const struct addr zero;
	const struct rib_peer *peer = rib_route_peer(rib, r);

	return peer ? &peer->cfg.addr : &zero;
}

/* Keep only the candidates for which key is minimal (a step of 9.1.2.2). */
#define RIB_KEEP_MIN(cand, n, expr)                                                                \
	do {                                                                                       \
		uint64_t best_ = UINT64_MAX;                                                       \
		size_t k_ = 0;                                                                     \
		for (size_t i_ = 0; i_ < (n); i_++) {                                              \
			const struct rib_route *r = (cand)[i_];                                    \
			uint64_t v_ = (expr);                                                      \
			if (v_ < best_)                                                            \
				best_ = v_;                                                        \
		}                                                                                  \
		for (size_t i_ = 0; i_ < (n); i_++) {                                              \
			const struct rib_route *r = (cand)[i_];                                    \
			if ((uint64_t)(expr) == best_)                                             \
				(cand)[k_++] = (cand)[i_];                                         \
		}                                                                                  \
		(n) = k_;                                                                          \
	} while (0)

/*
 * 9.1.2.2 (c): remove a route if another route from the same neighbouring
 * AS has a lower MED (or from any AS, with always_compare_med).
 */
static size_t rib_step_med(struct rib *rib, struct rib_route **cand, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		bool worse = false;
		for (size_t j = 0; j < n && !worse; j++) {
			if (!rib->cfg.always_compare_med &&
			    cand[i]->attrs->k.neighbor_as != cand[j]->attrs->k.neighbor_as)
				continue;
			worse = rib_med(rib, cand[j]) < rib_med(rib, cand[i]);
		}
		if (!worse)
			cand[k++] = cand[i];
	}
	return k;
}

/* Steps up to and including (e): the candidates that tie for multipath. */
static size_t rib_steps_to_e(struct rib *rib, struct rib_route **cand, size_t n)
{
	bool any_ebgp = false;

	/* 9.1.1 / 9.1.2.1: highest degree of preference (LOCAL_PREF). */
	RIB_KEEP_MIN(cand, n, UINT32_MAX - rib_pref(rib, r));
	/* 9.1.2.2 (a): fewest AS numbers in AS_PATH (an AS_SET counts 1). */
	RIB_KEEP_MIN(cand, n, r->attrs->k.as_path_len);
	/* 9.1.2.2 (b): lowest ORIGIN (IGP < EGP < INCOMPLETE). */
	RIB_KEEP_MIN(cand, n, r->attrs->k.origin);
	/* 9.1.2.2 (c): lowest MED among routes from the same neighbouring AS. */
	n = rib_step_med(rib, cand, n);
	/* 9.1.2.2 (d): if any candidate was learned by eBGP, drop the iBGP ones. */
	for (size_t i = 0; i < n; i++)
		any_ebgp |= rib_is_ebgp(rib, cand[i]);
	if (any_ebgp)
		RIB_KEEP_MIN(cand, n, rib_is_ebgp(rib, r) ? 0 : 1);
	/* 9.1.2.2 (e): lowest interior cost to the NEXT_HOP: no IGP here, every cost is 0. */
	return n;
}

/* Steps (f), RFC 4456 9 cluster-list length, (g): exactly one winner. */
static struct rib_route *rib_steps_f_g(struct rib *rib, struct rib_route **cand, size_t n)
{
	/* 9.1.2.2 (f): lowest BGP Identifier (ORIGINATOR_ID if present, RFC 4456 9). */
	RIB_KEEP_MIN(cand, n, rib_bgp_id(rib, r));
	/* RFC 4456 9: between (f) and (g), the shortest CLUSTER_LIST. */
	RIB_KEEP_MIN(cand, n, bgp_attrs_cluster_len(r->attrs));
	/* 9.1.2.2 (g): lowest peer address. */
	if (n > 1) {
		size_t bi = 0;
		for (size_t i = 1; i < n; i++)
			if (addr_cmp(rib_peer_address(rib, cand[i]),
			             rib_peer_address(rib, cand[bi])) < 0)
				bi = i;
		return cand[bi];
	}
	return cand[0];
}

/* Multipath eligibility beyond (e): for eBGP, the same neighbouring AS as the best. */
static bool rib_multipath_ok(struct rib *rib, const struct rib_route *best,
                             const struct rib_route *r)
{
	if (rib_is_ebgp(rib, best) && r->attrs->k.neighbor_as != best->attrs->k.neighbor_as)
		return false;
	return !addr_is_zero(&r->attrs->k.next_hop);
}

bool rib_decide(struct rib *rib, struct rib_dest *d)
{
	struct rib_route *stack[RIB_DECIDE_STACK], **cand = stack, **tie = NULL, **scratch;
	struct rib_route *r, *best, *head = NULL, **tail = &head, *rest = NULL, **rtail = &rest;
	size_t n = 0, nt, nmp = 0;
	bool changed = false;
	uint8_t old;

	for (r = d->routes; r; r = r->next)
		n++;
	if (n == 0)
		return false;
	if (n == 1) {
		/* A single route is the best and its own multipath set. */
		old = d->routes->flags;
		d->routes->flags |= RIB_ROUTE_BEST | RIB_ROUTE_MULTIPATH;
		return old != d->routes->flags;
	}
	if (n > RIB_DECIDE_STACK / 3) {
		cand = malloc(3 * n * sizeof(*cand));
		if (!cand)
			log_fatal("bgp decision: out of memory");
	}
	tie = cand + n;
	scratch = tie + n;
	n = 0;
	for (r = d->routes; r; r = r->next)
		cand[n++] = r;
	memcpy(tie, cand, n * sizeof(*cand));
	nt = rib_steps_to_e(rib, tie, n);
	/*
	 * Steps (f) and (g) only pick the winner among the tie: on a copy, so
	 * that tie[] still holds every path equal through (e), the multipath set.
	 */
	memcpy(scratch, tie, nt * sizeof(*tie));
	best = rib_steps_f_g(rib, scratch, nt);
	/* Rebuild the list: best, the multipath set, then the rest in their old order. */
	for (size_t i = 0; i < n; i++) {
		bool mp = false;
		uint8_t nf;
		r = cand[i];
		if (r != best && nmp + 1 < rib->cfg.multipath) {
			for (size_t j = 0; j < nt; j++)
				mp |= tie[j] == r;
			mp = mp && rib_multipath_ok(rib, best, r);
		}
		nf = (uint8_t)(r->flags & ~(RIB_ROUTE_BEST | RIB_ROUTE_MULTIPATH));
		if (r == best)
			nf |= RIB_ROUTE_BEST | RIB_ROUTE_MULTIPATH;
		else if (mp) {
			nf |= RIB_ROUTE_MULTIPATH;
			nmp++;
		}
		changed |= nf != r->flags;
		r->flags = nf;
		if (r == best)
			continue;
		r->next = NULL;
		if (mp) {
			*tail = r;
			tail = &r->next;
		} else {
			*rtail = r;
			rtail = &r->next;
		}
	}
	*tail = rest;
	best->next = head;
	if (d->routes != best)
		changed = true;
	d->routes = best;
	if (cand != stack)
		free(cand);
	return changed;
}
