/*
 * DOC: CNI CHECK: verify that an endpoint is wired as ADD left it.
 *
 * Each step names the first thing found missing or wrong, in words an
 * operator can act on ("host route 10.65.0.5/32 dev tabby0123456789 proto 84
 * is missing: the kernel would use 10.65.0.0/26 (blackhole proto 84)"). The
 * host route is checked with one RTM_F_FIB_MATCH lookup, not a dump, so CHECK
 * stays cheap on a node carrying a full BGP table.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>

#include <netlink/attr.h>

#include "endpoint_int.h"

static bool dp_addr_eq(const struct addr *a, const struct addr *b)
{
	size_t len = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && memcmp(a->bytes, b->bytes, len) == 0;
}

static int dp_check_sysctl(struct nl_ctx *ctx, const char *dir, const char *ifname, const char *key,
                           const char *want)
{
	char path[128], val[32];
	int rc;

	snprintf(path, sizeof(path), "net/%s/%s/%s", dir, ifname, key);
	rc = dp_nl_sysctl_read(path, val, sizeof(val));
	if (rc < 0) {
		dp_nl_err(ctx, "sysctl %s: %s", path, strerror(-rc));
		return rc;
	}
	if (strcmp(val, want) != 0) {
		dp_nl_err(ctx, "sysctl %s is %s, expected %s", path, val, want);
		return -EINVAL;
	}
	return 0;
}

static int dp_check_host_route(struct nl_ctx *ctx, const char *host, int ifindex,
                               const struct addr *a)
{
	unsigned plen = a->family == AF_INET ? 32 : 128;
	char as[INET6_ADDRSTRLEN], ps[PREFIX_STRLEN];
	struct dp_route cur = {0};
	int rc;

	rc = dp_nl_route_lookup(ctx->sk, a, &cur);
	if (rc == 0 && cur.dst.len == plen && cur.protocol == TABBY_RTPROT &&
	    cur.type == RTN_UNICAST && cur.n_nexthops == 1 && cur.nh[0].ifindex == ifindex &&
	    (a->family == AF_INET6 || cur.scope == RT_SCOPE_LINK))
		return 0;
	dp_nl_addr_str(a, as, sizeof(as));
	if (rc < 0 && rc != -ENOENT && rc != -ENETUNREACH && rc != -EHOSTUNREACH) {
		dp_nl_err(ctx, "RTM_GETROUTE %s: %s", as, strerror(-rc));
		return rc;
	}
	if (rc < 0) {
		dp_nl_err(ctx, "host route %s/%u dev %s proto %d is missing: no route at all", as,
		          plen, host, TABBY_RTPROT);
		return -ENOENT;
	}
	dp_nl_err(ctx,
	          "host route %s/%u dev %s proto %d is missing: the kernel would use %s%s "
	          "(proto %u, dev index %d)",
	          as, plen, host, TABBY_RTPROT, cur.type == RTN_BLACKHOLE ? "blackhole " : "",
	          dp_nl_prefix_str(&cur.dst, ps, sizeof(ps)), cur.protocol,
	          cur.n_nexthops ? cur.nh[0].ifindex : 0);
	return cur.dst.len == plen ? -EINVAL : -ENOENT;
}

static int dp_check_host(struct nl_ctx *ctx, const struct dp_endpoint *ep, const char *host,
                         struct dp_nl_link_info *hl)
{
	static const uint8_t mac[6] = {0xee, 0xee, 0xee, 0xee, 0xee, 0xee};
	unsigned i;
	int rc;

	rc = dp_nl_link_get(ctx->sk, host, hl);
	if (rc < 0) {
		dp_nl_err(ctx, "host interface %s is missing (%s)", host, strerror(-rc));
		return rc == -ENODEV ? -ENOENT : rc;
	}
	if (strcmp(hl->kind, "veth") != 0) {
		dp_nl_err(ctx, "host interface %s is a %s, not a veth", host,
		          hl->kind[0] ? hl->kind : "plain device");
		return -EINVAL;
	}
	if (!(hl->flags & IFF_UP)) {
		dp_nl_err(ctx, "host interface %s is down", host);
		return -EINVAL;
	}
	if (memcmp(hl->mac, mac, 6) != 0) {
		dp_nl_err(ctx,
		          "host interface %s has MAC %02x:%02x:%02x:%02x:%02x:%02x, expected %s",
		          host, hl->mac[0], hl->mac[1], hl->mac[2], hl->mac[3], hl->mac[4],
		          hl->mac[5], DP_HOST_MAC);
		return -EINVAL;
	}
	if (ep->mtu && hl->mtu != ep->mtu) {
		dp_nl_err(ctx, "host interface %s has MTU %u, expected %u", host, hl->mtu, ep->mtu);
		return -EINVAL;
	}
	if ((rc = dp_check_sysctl(ctx, "ipv4/conf", host, "proxy_arp", "1")) < 0 ||
	    (rc = dp_check_sysctl(ctx, "ipv4/neigh", host, "proxy_delay", "0")) < 0 ||
	    (rc = dp_check_sysctl(ctx, "ipv4/conf", host, "forwarding", "1")) < 0)
		return rc;
	if (dp_ep_has_family(ep, AF_INET6) &&
	    ((rc = dp_check_sysctl(ctx, "ipv6/conf", host, "proxy_ndp", "1")) < 0 ||
	     (rc = dp_check_sysctl(ctx, "ipv6/conf", host, "accept_ra", "0")) < 0))
		return rc;
	for (i = 0; i < ep->n_addrs; i++) {
		rc = dp_check_host_route(ctx, host, hl->ifindex, &ep->addrs[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Addresses of one interface in the pod: a dump filtered by the kernel (ifa_index). */
struct dp_addr_seen {
	const struct dp_endpoint *ep;
	bool seen[DP_MAX_ADDRS];
};

static int dp_addr_visit(struct nlmsghdr *h, void *arg)
{
	struct dp_addr_seen *s = arg;
	struct nlattr *tb[IFA_MAX + 1];
	struct ifaddrmsg *ifa = nlmsg_data(h);
	struct addr a = {0};
	unsigned i;

	if (h->nlmsg_type != RTM_NEWADDR || nlmsg_parse(h, sizeof(*ifa), tb, IFA_MAX, NULL) < 0 ||
	    !tb[IFA_ADDRESS])
		return 0;
	a.family = ifa->ifa_family;
	if (nla_len(tb[IFA_ADDRESS]) != (a.family == AF_INET ? 4 : 16))
		return 0;
	memcpy(a.bytes, nla_data(tb[IFA_ADDRESS]), (size_t)nla_len(tb[IFA_ADDRESS]));
	for (i = 0; i < s->ep->n_addrs; i++)
		if (dp_addr_eq(&a, &s->ep->addrs[i]) &&
		    ifa->ifa_prefixlen == (a.family == AF_INET ? 32 : 128))
			s->seen[i] = true;
	return 0;
}

static int dp_check_pod_addrs(struct nl_ctx *ctx, struct nl_sock *psk, const struct dp_endpoint *ep,
                              int ifindex)
{
	struct ifaddrmsg ifa = {.ifa_index = (uint32_t)ifindex};
	struct dp_addr_seen s = {.ep = ep};
	char as[INET6_ADDRSTRLEN];
	struct nl_msg *msg;
	unsigned i;
	int rc;

	msg = nlmsg_alloc_simple(RTM_GETADDR, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	rc = nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0 ? -ENOMEM : 0;
	if (rc == 0)
		rc = dp_nl_dump(psk, msg, dp_addr_visit, &s);
	nlmsg_free(msg);
	if (rc < 0) {
		dp_nl_err(ctx, "RTM_GETADDR dump in %s: %s", ep->netns, strerror(-rc));
		return rc;
	}
	for (i = 0; i < ep->n_addrs; i++)
		if (!s.seen[i]) {
			dp_nl_err(ctx, "address %s/%u is missing on %s in %s",
			          dp_nl_addr_str(&ep->addrs[i], as, sizeof(as)),
			          ep->addrs[i].family == AF_INET ? 32u : 128u, ep->ifname,
			          ep->netns);
			return -ENOENT;
		}
	return 0;
}

/* The pod's routes through its interface (kernel-filtered by oif). */
struct dp_pod_routes {
	struct addr gw4, gw6;
	bool link4, def4, def6;
};

static int dp_pod_route_visit(const struct dp_route *r, void *arg)
{
	struct dp_pod_routes *p = arg;

	if (r->table != RT_TABLE_MAIN || r->type != RTN_UNICAST || r->n_nexthops != 1)
		return 0;
	if (r->dst.len == 32 && dp_addr_eq(&r->dst.addr, &p->gw4) && r->scope == RT_SCOPE_LINK)
		p->link4 = true;
	if (r->dst.len == 0 && r->dst.addr.family == AF_INET && dp_addr_eq(&r->nh[0].gw, &p->gw4))
		p->def4 = true;
	if (r->dst.len == 0 && r->dst.addr.family == AF_INET6 && dp_addr_eq(&r->nh[0].gw, &p->gw6))
		p->def6 = true;
	return 0;
}

static int dp_check_pod_routes(struct nl_ctx *ctx, struct nl_sock *psk,
                               const struct dp_endpoint *ep, int ifindex)
{
	struct dp_pod_routes p = {0};
	int rc = 0;

	dp_addr_const(&p.gw4, AF_INET, DP_GATEWAY4);
	dp_addr_const(&p.gw6, AF_INET6, DP_GATEWAY6);
	if (dp_ep_has_family(ep, AF_INET))
		rc = dp_nl_route_dump(psk, AF_INET, 0, ifindex, dp_pod_route_visit, &p);
	if (rc == 0 && dp_ep_has_family(ep, AF_INET6))
		rc = dp_nl_route_dump(psk, AF_INET6, 0, ifindex, dp_pod_route_visit, &p);
	if (rc < 0) {
		dp_nl_err(ctx, "RTM_GETROUTE dump in %s: %s", ep->netns, strerror(-rc));
		return rc;
	}
	if (dp_ep_has_family(ep, AF_INET) && !p.link4) {
		dp_nl_err(ctx, "route %s dev %s scope link is missing in %s", DP_GATEWAY4,
		          ep->ifname, ep->netns);
		return -ENOENT;
	}
	if (dp_ep_has_family(ep, AF_INET) && !p.def4) {
		dp_nl_err(ctx, "route default via %s dev %s is missing in %s", DP_GATEWAY4,
		          ep->ifname, ep->netns);
		return -ENOENT;
	}
	if (dp_ep_has_family(ep, AF_INET6) && !p.def6) {
		dp_nl_err(ctx, "route default via %s dev %s is missing in %s", DP_GATEWAY6,
		          ep->ifname, ep->netns);
		return -ENOENT;
	}
	return 0;
}

int dp_endpoint_check(struct nl_ctx *ctx, const struct dp_endpoint *ep)
{
	struct nl_sock *psk = NULL;
	struct dp_nl_link_info hl, pl;
	char host[DP_IFNAMSIZ];
	int rc;

	rc = dp_ep_host_name(ctx, ep, host);
	if (rc < 0)
		return rc;
	if (!ep->netns || !ep->ifname) {
		dp_nl_err(ctx, "endpoint needs a netns path and an interface name");
		return -EINVAL;
	}
	rc = dp_check_host(ctx, ep, host, &hl);
	if (rc < 0)
		return rc;
	rc = dp_pod_open(ctx, ep, &psk, false);
	if (rc < 0)
		return rc;
	rc = dp_nl_link_get(psk, ep->ifname, &pl);
	if (rc < 0) {
		dp_nl_err(ctx, "interface %s is missing in %s (%s)", ep->ifname, ep->netns,
		          strerror(-rc));
		rc = rc == -ENODEV ? -ENOENT : rc;
		goto out;
	}
	rc = -EINVAL;
	if (strcmp(pl.kind, "veth") != 0 || pl.link != hl.ifindex) {
		dp_nl_err(ctx, "interface %s in %s is not the peer of %s", ep->ifname, ep->netns,
		          host);
		goto out;
	}
	if (!(pl.flags & IFF_UP)) {
		dp_nl_err(ctx, "interface %s in %s is down", ep->ifname, ep->netns);
		goto out;
	}
	rc = dp_check_pod_addrs(ctx, psk, ep, pl.ifindex);
	if (rc == 0)
		rc = dp_check_pod_routes(ctx, psk, ep, pl.ifindex);
out:
	dp_nl_sock_close(psk);
	return rc;
}
