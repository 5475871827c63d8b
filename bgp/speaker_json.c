/*
 * DOC: peers and the Loc-RIB as cJSON documents (for the REST API and tabby-bgpd --dump).
 *
 * Field names are snake_case and stable: tabbyctl and the integration tests
 * read them. Addresses are strings, AS numbers plain integers (asplain).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <tabby/buf.h>

#include "peer.h"

static void json_addr(cJSON *o, const char *key, const struct addr *a)
{
	char buf[ADDR_STRLEN];

	cJSON_AddStringToObject(o, key, addr_format(a, buf, sizeof(buf)));
}

static void json_time(cJSON *o, const char *key, time_t t)
{
	char buf[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	cJSON_AddStringToObject(o, key, buf);
}

cJSON *bgp_peer_to_json(const struct bgp_peer *peer)
{
	struct bgp_peer_info in;
	cJSON *o = cJSON_CreateObject(), *fam;
	char id[16];

	if (!o)
		return NULL;
	bgp_peer_get_info(peer, &in);
	json_addr(o, "address", &in.addr);
	cJSON_AddNumberToObject(o, "remote_as", in.remote_as);
	if (peer->cfg.description)
		cJSON_AddStringToObject(o, "description", peer->cfg.description);
	cJSON_AddStringToObject(o, "type", in.ebgp ? "ebgp" : "ibgp");
	cJSON_AddStringToObject(o, "state", in.state_name);
	json_time(o, "since", in.since);
	snprintf(id, sizeof(id), "%u.%u.%u.%u", in.remote_id >> 24, (in.remote_id >> 16) & 0xff,
	         (in.remote_id >> 8) & 0xff, in.remote_id & 0xff);
	cJSON_AddStringToObject(o, "remote_id", id);
	cJSON_AddNumberToObject(o, "hold_time", in.hold_time);
	cJSON_AddNumberToObject(o, "keepalive", in.keepalive);
	cJSON_AddBoolToObject(o, "passive", peer->cfg.passive);
	cJSON_AddBoolToObject(o, "tcp_md5", peer->cfg.password != NULL);
	cJSON_AddBoolToObject(o, "ttl_security", peer->cfg.ttl_security);
	cJSON_AddBoolToObject(o, "rr_client", peer->cfg.rr_client);
	cJSON_AddBoolToObject(o, "graceful_restart", in.graceful_restart);
	cJSON_AddBoolToObject(o, "stale", in.stale);
	fam = cJSON_AddArrayToObject(o, "families");
	if (fam && (in.families & BGP_FAMILY_IPV4))
		cJSON_AddItemToArray(fam, cJSON_CreateString("ipv4-unicast"));
	if (fam && (in.families & BGP_FAMILY_IPV6))
		cJSON_AddItemToArray(fam, cJSON_CreateString("ipv6-unicast"));
	cJSON_AddNumberToObject(o, "messages_in", (double)in.msgs_in);
	cJSON_AddNumberToObject(o, "messages_out", (double)in.msgs_out);
	cJSON_AddNumberToObject(o, "updates_in", (double)in.updates_in);
	cJSON_AddNumberToObject(o, "updates_out", (double)in.updates_out);
	cJSON_AddNumberToObject(o, "prefixes_received", (double)in.prefixes_received);
	cJSON_AddNumberToObject(o, "prefixes_accepted", in.prefixes_accepted);
	cJSON_AddNumberToObject(o, "prefixes_advertised", (double)in.prefixes_advertised);
	cJSON_AddNumberToObject(o, "established_count", in.established_count);
	cJSON_AddStringToObject(o, "last_error", in.last_error);
	return o;
}

cJSON *bgp_speaker_to_json(struct bgp_speaker *sp)
{
	cJSON *o = cJSON_CreateObject(), *peers;
	struct bgp_peer *p;
	char id[16];
	uint32_t r = sp->cfg.router_id;

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "local_as", sp->cfg.local_as);
	snprintf(id, sizeof(id), "%u.%u.%u.%u", r >> 24, (r >> 16) & 0xff, (r >> 8) & 0xff,
	         r & 0xff);
	cJSON_AddStringToObject(o, "router_id", id);
	cJSON_AddNumberToObject(o, "listen_port", sp->cfg.listen_port);
	cJSON_AddNumberToObject(o, "ipv4_prefixes", (double)rib_dest_count(sp->rib, BGP_AF_IPV4));
	cJSON_AddNumberToObject(o, "ipv6_prefixes", (double)rib_dest_count(sp->rib, BGP_AF_IPV6));
	peers = cJSON_AddArrayToObject(o, "peers");
	for (p = sp->peers; p && peers; p = p->next)
		cJSON_AddItemToArray(peers, bgp_peer_to_json(p));
	return o;
}

/* AS_PATH part of an interned set: segments of type (u8), count (u8), count x u32. */
static cJSON *json_as_path(const struct bgp_attrs *a)
{
	cJSON *arr = cJSON_CreateArray();
	struct buf_reader r;
	const uint8_t *p;
	size_t len;
	uint8_t type, n;
	uint32_t asn;

	p = bgp_attrs_part(a, BGP_PART_AS_PATH, &len);
	buf_reader_init(&r, p, len);
	while (arr && buf_remaining(&r) >= 2) {
		cJSON *seg_set = NULL;

		if (buf_get_u8(&r, &type) < 0 || buf_get_u8(&r, &n) < 0)
			break;
		if (type == BGP_AS_SET || type == BGP_AS_CONFED_SET) {
			seg_set = cJSON_CreateArray();
			cJSON_AddItemToArray(arr, seg_set);
		}
		while (n-- && buf_get_u32(&r, &asn) == 0)
			cJSON_AddItemToArray(seg_set ? seg_set : arr, cJSON_CreateNumber(asn));
	}
	return arr;
}

struct rib_json_ctx {
	struct bgp_speaker *sp;
	cJSON *arr;
};

static int rib_json_route(void *arg, const struct prefix *p, const struct rib_route *best)
{
	struct rib_json_ctx *ctx = arg;
	const struct rib_dest *d = rib_lookup_dest(ctx->sp->rib, p);
	const struct bgp_attrs *a = best->attrs;
	cJSON *o = cJSON_CreateObject(), *nh, *comm;
	const struct rib_route *r;
	char buf[PREFIX_STRLEN];
	const uint8_t *cp;
	size_t clen, i;

	if (!o)
		return -1;
	cJSON_AddStringToObject(o, "prefix", prefix_format(p, buf, sizeof(buf)));
	if (best->peer_id == RIB_PEER_LOCAL) {
		cJSON_AddStringToObject(o, "from", "local");
	} else {
		struct rib_peer *rp = rib_peer_by_id(ctx->sp->rib, best->peer_id);

		if (rp)
			json_addr(o, "from", rib_peer_addr(rp));
	}
	nh = cJSON_AddArrayToObject(o, "next_hops");
	for (r = d ? d->routes : best; r && nh; r = r->next) {
		if (r != best && !(r->flags & RIB_ROUTE_MULTIPATH))
			break;
		if (r->attrs->k.next_hop.family) {
			char ab[ADDR_STRLEN];

			cJSON_AddItemToArray(nh, cJSON_CreateString(addr_format(
			                             &r->attrs->k.next_hop, ab, sizeof(ab))));
		}
		if (!d)
			break;
	}
	cJSON_AddItemToObject(o, "as_path", json_as_path(a));
	cJSON_AddStringToObject(o, "origin",
	                        a->k.origin == BGP_ORIGIN_IGP   ? "igp"
	                        : a->k.origin == BGP_ORIGIN_EGP ? "egp"
	                                                        : "incomplete");
	if (a->k.present & BGP_ATTRS_MED)
		cJSON_AddNumberToObject(o, "med", a->k.med);
	if (a->k.present & BGP_ATTRS_LOCAL_PREF)
		cJSON_AddNumberToObject(o, "local_pref", a->k.local_pref);
	cp = bgp_attrs_part(a, BGP_PART_COMMUNITY, &clen);
	if (clen >= 4) {
		comm = cJSON_AddArrayToObject(o, "communities");
		for (i = 0; comm && i + 4 <= clen; i += 4) {
			char cb[16];

			snprintf(cb, sizeof(cb), "%u:%u", (unsigned)(cp[i] << 8 | cp[i + 1]),
			         (unsigned)(cp[i + 2] << 8 | cp[i + 3]));
			cJSON_AddItemToArray(comm, cJSON_CreateString(cb));
		}
	}
	cp = bgp_attrs_part(a, BGP_PART_LARGE_COMMUNITY, &clen);
	if (clen >= 12) {
		struct buf_reader lr;
		uint32_t v[3];

		comm = cJSON_AddArrayToObject(o, "large_communities");
		buf_reader_init(&lr, cp, clen);
		while (comm && buf_get_u32(&lr, &v[0]) == 0 && buf_get_u32(&lr, &v[1]) == 0 &&
		       buf_get_u32(&lr, &v[2]) == 0) {
			char cb[40];

			snprintf(cb, sizeof(cb), "%u:%u:%u", v[0], v[1], v[2]);
			cJSON_AddItemToArray(comm, cJSON_CreateString(cb));
		}
	}
	cJSON_AddBoolToObject(o, "stale", (best->flags & RIB_ROUTE_STALE) != 0);
	cJSON_AddItemToArray(ctx->arr, o);
	return 0;
}

cJSON *bgp_rib_to_json(struct bgp_speaker *sp)
{
	cJSON *o = cJSON_CreateObject();
	struct rib_json_ctx ctx = {.sp = sp};
	enum bgp_af af;

	if (!o)
		return NULL;
	for (af = 0; af < BGP_AF_COUNT; af++) {
		ctx.arr = cJSON_AddArrayToObject(o, af == BGP_AF_IPV4 ? "ipv4" : "ipv6");
		if (!ctx.arr || rib_walk(sp->rib, af, rib_json_route, &ctx) != 0) {
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}
