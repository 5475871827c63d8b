/*
 * DOC: routes: messages, parsing, dumps of our protocol, blackholes, FIB.
 *
 * Every route Tabby installs carries rtm_protocol TABBY_RTPROT. Listing asks
 * the kernel to filter by protocol (strict dump checks, Linux 4.20+), so the
 * reconciler never sees, and never deletes, another protocol's routes; routes
 * are created with NLM_F_EXCL and only replaced once the existing one is known
 * to be ours.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netlink/attr.h>

#include "nl_int.h"

const char *dp_nl_addr_str(const struct addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->bytes, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *dp_nl_prefix_str(const struct prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", dp_nl_addr_str(&p->addr, a, sizeof(a)), p->len);
	return buf;
}

void dp_host_prefix(struct prefix *p, const struct addr *a)
{
	p->addr = *a;
	p->len = a->family == AF_INET ? 32 : 128;
}

void dp_addr_const(struct addr *a, int family, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(family, s, a->bytes) == 1)
		a->family = (uint8_t)family;
}

static size_t dp_nl_addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int dp_nl_put_nexthops(struct nl_msg *msg, const struct dp_route *r)
{
	struct nlattr *mp;
	unsigned i;

	if (r->n_nexthops == 1) {
		const struct dp_nexthop *nh = &r->nh[0];

		if (nh->gw.family &&
		    nla_put(msg, RTA_GATEWAY, (int)dp_nl_addr_len(nh->gw.family), nh->gw.bytes) < 0)
			return -ENOMEM;
		if (nh->ifindex && nla_put_u32(msg, RTA_OIF, (uint32_t)nh->ifindex) < 0)
			return -ENOMEM;
		return 0;
	}
	/* ECMP: one RTA_MULTIPATH of rtnexthop records, each with its gateway. */
	mp = nla_nest_start(msg, RTA_MULTIPATH);
	if (!mp)
		return -ENOMEM;
	for (i = 0; i < r->n_nexthops; i++) {
		const struct dp_nexthop *nh = &r->nh[i];
		struct rtnexthop *rtnh;

		rtnh = nlmsg_reserve(msg, sizeof(*rtnh), NLMSG_ALIGNTO);
		if (!rtnh)
			return -ENOMEM;
		memset(rtnh, 0, sizeof(*rtnh));
		rtnh->rtnh_ifindex = nh->ifindex;
		rtnh->rtnh_hops = nh->weight ? (uint8_t)(nh->weight - 1) : 0;
		if (nh->gw.family &&
		    nla_put(msg, RTA_GATEWAY, (int)dp_nl_addr_len(nh->gw.family), nh->gw.bytes) < 0)
			return -ENOMEM;
		rtnh->rtnh_len =
		    (unsigned short)((char *)nlmsg_tail(nlmsg_hdr(msg)) - (char *)rtnh);
	}
	nla_nest_end(msg, mp);
	return 0;
}

struct nl_msg *dp_nl_route_msg(int cmd, int flags, const struct dp_route *r, uint8_t protocol,
                               uint8_t scope)
{
	uint32_t table = r->table ? r->table : RT_TABLE_MAIN;
	struct rtmsg rtm = {
	    .rtm_family = r->dst.addr.family,
	    .rtm_dst_len = r->dst.len,
	    .rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC,
	    .rtm_protocol = protocol,
	    .rtm_scope = scope,
	    .rtm_type = cmd == RTM_DELROUTE ? r->type : (r->type ? r->type : RTN_UNICAST),
	};
	struct nl_msg *msg = nlmsg_alloc_simple(cmd, flags);

	if (!msg)
		return NULL;
	if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0)
		goto fail;
	if (r->dst.len &&
	    nla_put(msg, RTA_DST, (int)dp_nl_addr_len(r->dst.addr.family), r->dst.addr.bytes) < 0)
		goto fail;
	if (table >= 256 && nla_put_u32(msg, RTA_TABLE, table) < 0)
		goto fail;
	if (r->priority && nla_put_u32(msg, RTA_PRIORITY, r->priority) < 0)
		goto fail;
	if (cmd == RTM_NEWROUTE && r->nh_id) {
		/* The kernel nexthop object carries the gateways (Linux 5.3+). */
		if (nla_put_u32(msg, RTA_NH_ID, r->nh_id) < 0)
			goto fail;
	} else if (cmd == RTM_NEWROUTE && r->n_nexthops && dp_nl_put_nexthops(msg, r) < 0) {
		goto fail;
	}
	return msg;
fail:
	nlmsg_free(msg);
	return NULL;
}

struct nl_msg *dp_nl_addr_msg(int ifindex, const struct addr *a, unsigned plen, uint32_t flags)
{
	struct ifaddrmsg ifa = {
	    .ifa_family = a->family,
	    .ifa_prefixlen = (uint8_t)plen,
	    .ifa_flags = (uint8_t)flags,
	    .ifa_scope = RT_SCOPE_UNIVERSE,
	    .ifa_index = (uint32_t)ifindex,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	int alen = (int)dp_nl_addr_len(a->family);

	if (!msg)
		return NULL;
	if (a->family == AF_INET6 && a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80)
		ifa.ifa_scope = RT_SCOPE_LINK;
	if (nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0 ||
	    (a->family == AF_INET && nla_put(msg, IFA_LOCAL, alen, a->bytes) < 0) ||
	    nla_put(msg, IFA_ADDRESS, alen, a->bytes) < 0 ||
	    (flags > 0xff && nla_put_u32(msg, IFA_FLAGS, flags) < 0)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static void dp_nl_get_addr(struct addr *a, int family, struct nlattr *attr)
{
	memset(a, 0, sizeof(*a));
	if ((size_t)nla_len(attr) != dp_nl_addr_len(family))
		return;
	a->family = (uint8_t)family;
	memcpy(a->bytes, nla_data(attr), dp_nl_addr_len(family));
}

static void dp_nl_parse_multipath(struct dp_route *r, int family, struct nlattr *mp)
{
	struct rtnexthop *rtnh = nla_data(mp);
	int left = nla_len(mp);

	while (left >= (int)sizeof(*rtnh) && rtnh->rtnh_len >= sizeof(*rtnh) &&
	       rtnh->rtnh_len <= left && r->n_nexthops < DP_MAX_NEXTHOPS) {
		struct dp_nexthop *nh = &r->nh[r->n_nexthops++];
		struct nlattr *tb[RTA_MAX + 1];

		memset(nh, 0, sizeof(*nh));
		nh->ifindex = rtnh->rtnh_ifindex;
		nh->weight = (uint8_t)(rtnh->rtnh_hops + 1);
		if (nla_parse(tb, RTA_MAX, (struct nlattr *)RTNH_DATA(rtnh),
		              rtnh->rtnh_len - (int)sizeof(*rtnh), NULL) == 0 &&
		    tb[RTA_GATEWAY])
			dp_nl_get_addr(&nh->gw, family, tb[RTA_GATEWAY]);
		left -= RTNH_ALIGN(rtnh->rtnh_len);
		rtnh = RTNH_NEXT(rtnh);
	}
}

int dp_nl_route_parse(struct nlmsghdr *h, struct dp_route *r)
{
	struct nlattr *tb[RTA_MAX + 1];
	struct rtmsg *rtm;

	if (h->nlmsg_type != RTM_NEWROUTE || nlmsg_parse(h, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return -EINVAL;
	rtm = nlmsg_data(h);
	if ((rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) ||
	    (rtm->rtm_flags & RTM_F_CLONED))
		return -EAGAIN;
	memset(r, 0, sizeof(*r));
	r->dst.addr.family = rtm->rtm_family;
	r->dst.len = rtm->rtm_dst_len;
	if (tb[RTA_DST])
		dp_nl_get_addr(&r->dst.addr, rtm->rtm_family, tb[RTA_DST]);
	r->dst.addr.family = rtm->rtm_family;
	r->table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	r->type = rtm->rtm_type;
	r->protocol = rtm->rtm_protocol;
	r->scope = rtm->rtm_scope;
	if (tb[RTA_PRIORITY])
		r->priority = nla_get_u32(tb[RTA_PRIORITY]);
	if (tb[RTA_NH_ID])
		r->nh_id = nla_get_u32(tb[RTA_NH_ID]);
	if (tb[RTA_MULTIPATH]) {
		dp_nl_parse_multipath(r, rtm->rtm_family, tb[RTA_MULTIPATH]);
	} else if (tb[RTA_GATEWAY] || tb[RTA_OIF]) {
		r->n_nexthops = 1;
		if (tb[RTA_GATEWAY])
			dp_nl_get_addr(&r->nh[0].gw, rtm->rtm_family, tb[RTA_GATEWAY]);
		if (tb[RTA_OIF])
			r->nh[0].ifindex = (int)nla_get_u32(tb[RTA_OIF]);
		r->nh[0].weight = 1;
	}
	return 0;
}

struct dp_nl_route_walk {
	dp_route_cb cb;
	void *arg;
};

static int dp_nl_route_visit(struct nlmsghdr *h, void *arg)
{
	struct dp_nl_route_walk *w = arg;
	struct dp_route r;

	if (dp_nl_route_parse(h, &r) < 0)
		return 0;
	return w->cb(&r, w->arg);
}

int dp_nl_route_dump(struct nl_sock *sk, int family, uint8_t protocol, int oif, dp_route_cb cb,
                     void *arg)
{
	struct rtmsg rtm = {.rtm_family = (uint8_t)family, .rtm_protocol = protocol};
	struct dp_nl_route_walk w = {cb, arg};
	struct nl_msg *msg;
	int rc;

	msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
	    (oif && nla_put_u32(msg, RTA_OIF, (uint32_t)oif) < 0)) {
		rc = -ENOMEM;
		goto out;
	}
	rc = dp_nl_dump(sk, msg, dp_nl_route_visit, &w);
out:
	nlmsg_free(msg);
	return rc;
}

struct dp_nl_route_one {
	struct dp_route *r;
	bool found;
};

static int dp_nl_route_one(struct nlmsghdr *h, void *arg)
{
	struct dp_nl_route_one *o = arg;

	if (dp_nl_route_parse(h, o->r) == 0)
		o->found = true;
	return 0;
}

int dp_nl_route_lookup(struct nl_sock *sk, const struct addr *a, struct dp_route *out)
{
	struct rtmsg rtm = {.rtm_family = a->family,
	                    .rtm_dst_len = (uint8_t)(dp_nl_addr_len(a->family) * 8),
	                    .rtm_flags = RTM_F_FIB_MATCH};
	struct dp_nl_route_one o = {out, false};
	struct nl_msg *msg;
	int rc;

	msg = nlmsg_alloc_simple(RTM_GETROUTE, 0);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, RTA_DST, (int)dp_nl_addr_len(a->family), a->bytes) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	rc = dp_nl_request(sk, msg, dp_nl_route_one, &o, NULL, 0);
	if (rc == 0 && !o.found)
		rc = -ENOENT;
out:
	nlmsg_free(msg);
	return rc;
}

int dp_routes_list_own(struct nl_ctx *ctx, int family, dp_route_cb cb, void *arg)
{
	int rc = 0;

	if (family == AF_UNSPEC || family == AF_INET)
		rc = dp_nl_route_dump(ctx->sk, AF_INET, TABBY_RTPROT, 0, cb, arg);
	if (rc == 0 && (family == AF_UNSPEC || family == AF_INET6))
		rc = dp_nl_route_dump(ctx->sk, AF_INET6, TABBY_RTPROT, 0, cb, arg);
	if (rc < 0)
		dp_nl_err(ctx, "RTM_GETROUTE dump proto %d: %s", TABBY_RTPROT, strerror(-rc));
	return rc;
}

/* Send one route request; errors name the operation and the route. */
static int dp_nl_route_do(struct nl_ctx *ctx, int cmd, int flags, const struct dp_route *r,
                          uint8_t scope)
{
	char ext[256], p[PREFIX_STRLEN];
	struct nl_msg *msg;
	int rc;

	msg = dp_nl_route_msg(cmd, flags, r, TABBY_RTPROT, scope);
	if (!msg)
		return -ENOMEM;
	rc = dp_nl_request(ctx->sk, msg, NULL, NULL, ext, sizeof(ext));
	nlmsg_free(msg);
	if (rc < 0)
		dp_nl_err(ctx, "%s %s%s table %u proto %d: %s",
		          cmd == RTM_NEWROUTE ? "RTM_NEWROUTE" : "RTM_DELROUTE",
		          r->type == RTN_BLACKHOLE ? "blackhole " : "",
		          dp_nl_prefix_str(&r->dst, p, sizeof(p)),
		          r->table ? r->table : RT_TABLE_MAIN, TABBY_RTPROT,
		          dp_nl_strerror(rc, ext));
	return rc;
}

/* Is the kernel's route for r->dst (same table and metric) ours? */
static int dp_nl_route_owned(struct nl_ctx *ctx, const struct dp_route *r, bool *ours)
{
	struct dp_route cur = {0};
	int rc;

	*ours = false;
	rc = dp_nl_route_lookup(ctx->sk, &r->dst.addr, &cur);
	if (rc < 0)
		return rc;
	*ours = cur.dst.len == r->dst.len && cur.protocol == TABBY_RTPROT &&
	        cur.table == (r->table ? r->table : RT_TABLE_MAIN);
	return 0;
}

int dp_route_replace(struct nl_ctx *ctx, const struct dp_route *r)
{
	char p[PREFIX_STRLEN];
	bool ours;
	int rc;

	rc = dp_nl_route_do(ctx, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, r, RT_SCOPE_UNIVERSE);
	if (rc != -EEXIST)
		return rc;
	rc = dp_nl_route_owned(ctx, r, &ours);
	if (rc == 0 && !ours) {
		dp_nl_err(ctx,
		          "RTM_NEWROUTE %s: a route of another protocol (or a more specific one) "
		          "is there; left alone",
		          dp_nl_prefix_str(&r->dst, p, sizeof(p)));
		return -EEXIST;
	}
	if (rc < 0)
		return rc;
	return dp_nl_route_do(ctx, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, r,
	                      RT_SCOPE_UNIVERSE);
}

int dp_route_del(struct nl_ctx *ctx, const struct dp_route *r)
{
	int rc = dp_nl_route_do(ctx, RTM_DELROUTE, 0, r, RT_SCOPE_NOWHERE);

	if (rc == -ESRCH || rc == -ENOENT)
		rc = 0;
	return rc;
}

struct dp_nl_find_blackhole {
	const struct prefix *block;
	bool found;
};

static int dp_nl_find_blackhole(const struct dp_route *r, void *arg)
{
	struct dp_nl_find_blackhole *f = arg;

	if (r->type == RTN_BLACKHOLE && r->table == RT_TABLE_MAIN && r->dst.len == f->block->len &&
	    memcmp(r->dst.addr.bytes, f->block->addr.bytes, dp_nl_addr_len(r->dst.addr.family)) ==
	        0)
		f->found = true;
	return 0;
}

int dp_blackhole_set(struct nl_ctx *ctx, const struct prefix *block)
{
	struct dp_route r = {.dst = *block, .type = RTN_BLACKHOLE};
	struct dp_nl_find_blackhole f = {block, false};
	char p[PREFIX_STRLEN];
	int rc;

	rc = dp_nl_route_do(ctx, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &r, RT_SCOPE_UNIVERSE);
	if (rc != -EEXIST)
		return rc;
	/* Already there? Our blackholes are few: list them (kernel-filtered). */
	rc = dp_nl_route_dump(ctx->sk, block->addr.family, TABBY_RTPROT, 0, dp_nl_find_blackhole,
	                      &f);
	if (rc < 0) {
		dp_nl_err(ctx, "RTM_GETROUTE dump proto %d: %s", TABBY_RTPROT, strerror(-rc));
		return rc;
	}
	if (f.found)
		return 0;
	dp_nl_err(ctx, "RTM_NEWROUTE blackhole %s: another route for the block exists; left alone",
	          dp_nl_prefix_str(block, p, sizeof(p)));
	return -EEXIST;
}

int dp_blackhole_del(struct nl_ctx *ctx, const struct prefix *block)
{
	struct dp_route r = {.dst = *block, .type = RTN_BLACKHOLE};

	return dp_route_del(ctx, &r);
}
