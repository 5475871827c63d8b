/*
 * DOC: CNI ADD and DEL of a pod endpoint: the veth pair and everything on it.
 *
 * ADD costs: one RTM_NEWLINK creating both ends at once (the pod end born in
 * the pod's namespace through IFLA_NET_NS_FD, so there is no move), a handful
 * of /proc/sys writes, one pipelined batch on the node socket (link-local,
 * host routes), a setns() round trip to open the pod's socket and write its
 * sysctl, and one pipelined batch on the pod socket (link up, addresses,
 * routes). No sleeps and no polling: the IPv6 gateway is the host end's EUI-64
 * link-local address, known in advance because every host end has the MAC
 * ee:ee:ee:ee:ee:ee. No RCU grace period either (each costs 0.2-0.4 ms under
 * RTNL here): the pair is created with one queue per end and its ifindexes
 * come from the RTM_NEWLINK's echo, not an RTM_GETLINK (see dp_veth_create()).
 *
 * The work comes in two steps, dp_endpoint_create() (the pair and the host
 * sysctls: no addresses needed) and dp_endpoint_finish() (everything that
 * names an address), so that the agent can commit the addresses to its
 * datastore while the kernel creates the pair; dp_endpoint_add() does both.
 * Each step reports its duration in the result, for the agent's debug log.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/random.h>
#include <time.h>

#include <netlink/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "nl_int.h"
#include "endpoint_int.h"

/* 64-bit FNV-1a (Fowler, Noll, Vo); a naming hash, not a security one. */
void dp_veth_name(const char *endpoint_id, char out[DP_IFNAMSIZ])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)endpoint_id; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	snprintf(out, DP_IFNAMSIZ, DP_VETH_PREFIX "%010llx",
	         (unsigned long long)(h >> 24) & 0xffffffffffULL);
}

int dp_ep_host_name(struct nl_ctx *ctx, const struct dp_endpoint *ep, char out[DP_IFNAMSIZ])
{
	if (ep->host_ifname && ep->host_ifname[0]) {
		if (strlen(ep->host_ifname) >= DP_IFNAMSIZ) {
			dp_nl_err(ctx, "host interface name %s is too long", ep->host_ifname);
			return -EINVAL;
		}
		snprintf(out, DP_IFNAMSIZ, "%s", ep->host_ifname);
		return 0;
	}
	if (!ep->endpoint_id || !ep->endpoint_id[0]) {
		dp_nl_err(ctx, "endpoint has neither an id nor a host interface name");
		return -EINVAL;
	}
	dp_veth_name(ep->endpoint_id, out);
	return 0;
}

bool dp_ep_has_family(const struct dp_endpoint *ep, int family)
{
	unsigned i;

	for (i = 0; i < ep->n_addrs; i++)
		if (ep->addrs[i].family == family)
			return true;
	return false;
}

static int dp_ep_validate(struct nl_ctx *ctx, const struct dp_endpoint *ep)
{
	unsigned i;

	if (!ep->netns || !ep->netns[0] || !ep->ifname || !ep->ifname[0] ||
	    strlen(ep->ifname) >= DP_IFNAMSIZ || strchr(ep->ifname, '/')) {
		dp_nl_err(ctx, "endpoint needs a netns path and a valid interface name");
		return -EINVAL;
	}
	if (ep->n_addrs > DP_MAX_ADDRS) {
		dp_nl_err(ctx, "endpoint has %u addresses, at most %d", ep->n_addrs, DP_MAX_ADDRS);
		return -EINVAL;
	}
	for (i = 0; i < ep->n_addrs; i++)
		if (ep->addrs[i].family != AF_INET && ep->addrs[i].family != AF_INET6) {
			dp_nl_err(ctx, "endpoint address %u has no family", i);
			return -EINVAL;
		}
	return 0;
}

/* A random unicast, locally administered MAC, as the kernel's eth_random_addr(). */
static int dp_random_mac(uint8_t mac[6])
{
	if (getrandom(mac, 6, 0) != 6)
		return -errno;
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
	return 0;
}

static int dp_link_reply(struct nlmsghdr *h, void *arg)
{
	return dp_nl_link_parse(h, arg) < 0 ? -EINVAL : 0;
}

/*
 * One RTM_NEWLINK for both ends: the host end up with its fixed MAC, the pod
 * end down (its DAD setting comes first) with a MAC chosen here, born in the
 * pod namespace (IFLA_NET_NS_FD). Its echo yields the host end's ifindex and
 * (IFLA_LINK) the pod end's: no lookup in the pod namespace is needed.
 * *exists tells a leftover host end (a retried ADD) from a pod interface name
 * that is taken.
 */
static int dp_veth_create(struct nl_ctx *ctx, const char *host, const struct dp_endpoint *ep,
                          unsigned mtu, int podfd, const uint8_t podmac[6],
                          struct dp_nl_link_info *hl, bool *exists)
{
	struct rtnl_link *link = NULL, *peer = NULL;
	struct nl_addr *mac = NULL, *pmac = NULL;
	struct nl_msg *msgs[1] = {NULL};
	int errs[1];
	char ext[256];
	int rc;

	*exists = false;
	link = rtnl_link_veth_alloc();
	pmac = nl_addr_build(AF_LLC, podmac, 6);
	if (!link || !pmac || nl_addr_parse(DP_HOST_MAC, AF_LLC, &mac) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, host);
	rtnl_link_set_addr(link, mac);
	rtnl_link_set_mtu(link, mtu);
	rtnl_link_set_flags(link, IFF_UP);
	rtnl_link_set_name(peer, ep->ifname);
	rtnl_link_set_addr(peer, pmac);
	rtnl_link_set_mtu(peer, mtu);
	rtnl_link_set_ns_fd(peer, podfd);
	/*
	 * One queue each, asked for up front: without IFLA_NUM_*_QUEUES the
	 * kernel gives a veth one queue per possible CPU and then cuts the real
	 * number down to 1 on each end after registering it, and each cut waits
	 * for an expedited RCU grace period (synchronize_net() under RTNL), about
	 * 0.2-0.4 ms apiece here.
	 */
	rtnl_link_set_num_tx_queues(link, 1);
	rtnl_link_set_num_rx_queues(link, 1);
	rtnl_link_set_num_tx_queues(peer, 1);
	rtnl_link_set_num_rx_queues(peer, 1);
	/*
	 * NLM_F_ECHO (Linux 6.2+): the kernel answers with the new host end's
	 * RTM_NEWLINK, ifindex and IFLA_LINK included. An RTM_GETLINK would do
	 * too, but it first runs the host end's pending link-watch event (the
	 * carrier is off until the pod end comes up), and taking down the qdisc
	 * of a link that is up without carrier waits for an RCU grace period.
	 */
	if (rtnl_link_build_add_request(link, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO, &msgs[0]) <
	    0) {
		rc = -ENOMEM;
		goto out;
	}
	memset(hl, 0, sizeof(*hl));
	rc = dp_nl_transact(ctx->sk, msgs, errs, 1, dp_link_reply, hl, ext, sizeof(ext));
	if (rc == 0)
		rc = errs[0];
	if (rc == 0 && (hl->ifindex <= 0 || hl->link <= 0)) {
		/* An older kernel without the echo: ask. */
		rc = dp_nl_link_get(ctx->sk, host, hl);
		if (rc == 0 && (hl->ifindex <= 0 || hl->link <= 0))
			rc = -EIO;
	} else if (rc == -EEXIST) {
		struct dp_nl_link_info old;

		/* A leftover host end (a retried ADD), or the pod's name is taken? */
		*exists = dp_nl_link_get(ctx->sk, host, &old) == 0 && old.ifindex > 0;
	}
	if (rc < 0)
		dp_nl_err(ctx, "RTM_NEWLINK veth %s (peer %s in %s): %s", host, ep->ifname,
		          ep->netns, dp_nl_strerror(rc, ext));
out:
	if (msgs[0])
		nlmsg_free(msgs[0]);
	if (mac)
		nl_addr_put(mac);
	if (pmac)
		nl_addr_put(pmac);
	if (peer)
		rtnl_link_put(peer);
	if (link)
		rtnl_link_veth_release(link);
	return rc;
}

/*
 * Host end: Calico's sysctls, written in the node namespace. Each interface
 * directory is looked up once and its entries opened relative to it.
 */
struct dp_sysctl_dir {
	const char *dir;
	bool v6;
	const char *kv[4][2];
};

static const struct dp_sysctl_dir dp_host_sysctl[] = {
    {"ipv4/conf", false, {{"proxy_arp", "1"}, {"forwarding", "1"}}},
    {"ipv4/neigh", false, {{"proxy_delay", "0"}}},
    /* accept_dad=0: the gateway link-local address is usable at once. */
    {"ipv6/conf",
     true,
     {{"accept_dad", "0"}, {"accept_ra", "0"}, {"proxy_ndp", "1"}, {"forwarding", "1"}}},
};

static int dp_host_sysctls(struct nl_ctx *ctx, const char *host, bool v6)
{
	char path[128];
	size_t i, k;
	int dfd = -1, rc = 0;

	for (i = 0; i < sizeof(dp_host_sysctl) / sizeof(dp_host_sysctl[0]) && rc == 0; i++) {
		const struct dp_sysctl_dir *d = &dp_host_sysctl[i];

		if (d->v6 && !v6)
			continue;
		snprintf(path, sizeof(path), "/proc/sys/net/%s/%s", d->dir, host);
		dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0) {
			rc = -errno;
			dp_nl_err(ctx, "sysctl directory %s: %s", path, strerror(errno));
			break;
		}
		for (k = 0; k < 4 && d->kv[k][0] && rc == 0; k++) {
			rc = dp_nl_sysctl_write_at(dfd, d->kv[k][0], d->kv[k][1]);
			if (rc < 0)
				dp_nl_err(ctx, "sysctl %s/%s=%s: %s", path, d->kv[k][0],
				          d->kv[k][1], strerror(-rc));
		}
		close(dfd);
	}
	return rc;
}

/* An endpoint's requests to one namespace: at most 1 + 2 * DP_MAX_ADDRS + 3. */
#define DP_BATCH_MAX 16

/* Send a batch; the first failure (ignoring EEXIST where allowed) names its object. */
static int dp_batch(struct nl_ctx *ctx, struct nl_sock *sk, struct nl_msg **msgs, const char **what,
                    const bool *eexist_ok, size_t n, const char *where)
{
	int errs[DP_BATCH_MAX];
	char ext[256];
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		if (!msgs[i]) {
			rc = -ENOMEM;
			dp_nl_err(ctx, "%s: %s: out of memory", where, what[i]);
			goto out;
		}
	rc = dp_nl_transact(sk, msgs, errs, n, NULL, NULL, ext, sizeof(ext));
	if (rc < 0) {
		dp_nl_err(ctx, "%s: netlink: %s", where, strerror(-rc));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (errs[i] == 0 || (errs[i] == -EEXIST && eexist_ok[i]))
			continue;
		rc = errs[i];
		dp_nl_err(ctx, "%s: %s: %s", where, what[i], dp_nl_strerror(rc, ext));
		break;
	}
out:
	for (i = 0; i < n; i++)
		if (msgs[i])
			nlmsg_free(msgs[i]);
	return rc;
}

struct dp_batch_b {
	struct nl_msg *msg[DP_BATCH_MAX];
	const char *what[DP_BATCH_MAX];
	char text[DP_BATCH_MAX][96];
	bool eexist_ok[DP_BATCH_MAX];
	size_t n;
};

static char *dp_b_add(struct dp_batch_b *b, struct nl_msg *msg, bool eexist_ok)
{
	b->msg[b->n] = msg;
	b->eexist_ok[b->n] = eexist_ok;
	b->what[b->n] = b->text[b->n];
	return b->text[b->n++];
}

static struct nl_msg *dp_host_route_msg(const struct addr *a, int ifindex)
{
	struct dp_route r = {.n_nexthops = 1};

	dp_host_prefix(&r.dst, a);
	r.nh[0].ifindex = ifindex;
	return dp_nl_route_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &r, TABBY_RTPROT,
	                       RT_SCOPE_LINK);
}

static int dp_host_side(struct nl_ctx *ctx, const struct dp_endpoint *ep, const char *host,
                        int ifindex)
{
	struct dp_batch_b b = {.n = 0};
	char as[INET6_ADDRSTRLEN];
	struct addr ll;
	unsigned i;

	if (dp_ep_has_family(ep, AF_INET6)) {
		dp_addr_const(&ll, AF_INET6, DP_GATEWAY6);
		snprintf(dp_b_add(&b, dp_nl_addr_msg(ifindex, &ll, 64, IFA_F_NODAD), true), 96,
		         "RTM_NEWADDR %s/64 dev %s", DP_GATEWAY6, host);
	}
	for (i = 0; i < ep->n_addrs; i++)
		snprintf(dp_b_add(&b, dp_host_route_msg(&ep->addrs[i], ifindex), false), 96,
		         "RTM_NEWROUTE %s/%u dev %s scope link proto %d",
		         dp_nl_addr_str(&ep->addrs[i], as, sizeof(as)),
		         ep->addrs[i].family == AF_INET ? 32u : 128u, host, TABBY_RTPROT);
	return dp_batch(ctx, ctx->sk, b.msg, b.what, b.eexist_ok, b.n, "host side");
}

static int dp_pod_side(struct nl_ctx *ctx, struct nl_sock *psk, const struct dp_endpoint *ep,
                       int ifindex)
{
	struct dp_batch_b b = {.n = 0};
	struct dp_route gw4 = {.n_nexthops = 1}, def4 = {.n_nexthops = 1}, def6 = {.n_nexthops = 1};
	char as[INET6_ADDRSTRLEN];
	unsigned i;

	snprintf(dp_b_add(&b, dp_nl_link_up_msg(ifindex), false), 96, "link up %s", ep->ifname);
	for (i = 0; i < ep->n_addrs; i++) {
		const struct addr *a = &ep->addrs[i];
		unsigned plen = a->family == AF_INET ? 32 : 128;

		snprintf(dp_b_add(&b, dp_nl_addr_msg(ifindex, a, plen, IFA_F_NODAD), false), 96,
		         "RTM_NEWADDR %s/%u dev %s", dp_nl_addr_str(a, as, sizeof(as)), plen,
		         ep->ifname);
	}
	if (dp_ep_has_family(ep, AF_INET)) {
		/* 169.254.1.1 dev eth0 scope link; default via 169.254.1.1 dev eth0 */
		dp_addr_const(&gw4.dst.addr, AF_INET, DP_GATEWAY4);
		gw4.dst.len = 32;
		gw4.nh[0].ifindex = ifindex;
		snprintf(dp_b_add(&b,
		                  dp_nl_route_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &gw4,
		                                  TABBY_RTPROT, RT_SCOPE_LINK),
		                  false),
		         96, "RTM_NEWROUTE %s dev %s scope link", DP_GATEWAY4, ep->ifname);
		def4.dst.addr.family = AF_INET;
		def4.nh[0].gw = gw4.dst.addr;
		def4.nh[0].ifindex = ifindex;
		snprintf(dp_b_add(&b,
		                  dp_nl_route_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &def4,
		                                  TABBY_RTPROT, RT_SCOPE_UNIVERSE),
		                  false),
		         96, "RTM_NEWROUTE default via %s dev %s", DP_GATEWAY4, ep->ifname);
	}
	if (dp_ep_has_family(ep, AF_INET6)) {
		def6.dst.addr.family = AF_INET6;
		dp_addr_const(&def6.nh[0].gw, AF_INET6, DP_GATEWAY6);
		def6.nh[0].ifindex = ifindex;
		snprintf(dp_b_add(&b,
		                  dp_nl_route_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &def6,
		                                  TABBY_RTPROT, RT_SCOPE_UNIVERSE),
		                  false),
		         96, "RTM_NEWROUTE default via %s dev %s", DP_GATEWAY6, ep->ifname);
	}
	return dp_batch(ctx, psk, b.msg, b.what, b.eexist_ok, b.n, "pod side");
}

/* Enter the pod namespace just long enough to open its socket and write its sysctl. */
int dp_pod_open(struct nl_ctx *ctx, const struct dp_endpoint *ep, struct nl_sock **psk,
                bool set_dad)
{
	char path[128];
	int fd = -1, rc;

	rc = dp_nl_ns_enter(ctx, ep->netns, &fd);
	if (rc < 0) {
		dp_nl_err(ctx, "setns %s: %s", ep->netns, strerror(-rc));
		return rc;
	}
	rc = dp_nl_sock_open(psk);
	if (rc < 0) {
		dp_nl_err(ctx, "netlink socket in %s: %s", ep->netns, strerror(-rc));
		goto out;
	}
	if (set_dad) {
		snprintf(path, sizeof(path), "net/ipv6/conf/%s/accept_dad", ep->ifname);
		rc = dp_nl_sysctl_write(path, "0");
		if (rc < 0)
			dp_nl_err(ctx, "sysctl %s=0 in %s: %s", path, ep->netns, strerror(-rc));
	}
out:
	dp_nl_ns_leave(ctx);
	close(fd);
	return rc;
}

/* Milliseconds since *t0, and *t0 moved to now. */
static double dp_lap(struct timespec *t0)
{
	struct timespec t;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
	*t0 = t;
	return ms;
}

int dp_endpoint_create(struct nl_ctx *ctx, const struct dp_endpoint *ep, bool v6,
                       struct dp_endpoint_pending *p)
{
	struct dp_nl_link_info hl;
	struct timespec t0;
	bool exists;
	int rc;

	memset(p, 0, sizeof(*p));
	p->podfd = -1;
	p->v6 = v6;
	rc = dp_ep_validate(ctx, ep);
	if (rc < 0)
		return rc;
	rc = dp_ep_host_name(ctx, ep, p->host);
	if (rc < 0)
		return rc;
	p->mtu = ep->mtu ? ep->mtu : ctx->default_mtu;
	if (!p->mtu && (rc = dp_default_mtu(ctx, &p->mtu)) < 0)
		return rc;
	rc = dp_random_mac(p->pod_mac);
	if (rc < 0) {
		dp_nl_err(ctx, "getrandom: %s", strerror(-rc));
		return rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	p->podfd = open(ep->netns, O_RDONLY | O_CLOEXEC);
	if (p->podfd < 0) {
		rc = -errno;
		dp_nl_err(ctx, "open netns %s: %s", ep->netns, strerror(errno));
		goto fail;
	}
	rc = dp_veth_create(ctx, p->host, ep, p->mtu, p->podfd, p->pod_mac, &hl, &exists);
	if (rc == -EEXIST && exists) {
		/* A retried ADD: the leftover pair and its routes go, then start over. */
		rc = dp_nl_link_del(ctx->sk, p->host, NULL, 0);
		if (rc == 0)
			rc = dp_veth_create(ctx, p->host, ep, p->mtu, p->podfd, p->pod_mac, &hl,
			                    &exists);
	}
	if (rc < 0)
		goto fail;
	p->created = true;
	p->host_ifindex = hl.ifindex;
	p->pod_ifindex = hl.link;
	p->t_create = dp_lap(&t0);
	rc = dp_host_sysctls(ctx, p->host, v6);
	if (rc < 0)
		goto fail;
	p->t_sysctl = dp_lap(&t0);
	return 0;
fail:
	dp_endpoint_abort(ctx, p);
	return rc;
}

void dp_endpoint_abort(struct nl_ctx *ctx, struct dp_endpoint_pending *p)
{
	if (p->created)
		(void)dp_nl_link_del(ctx->sk, p->host, NULL, 0);
	p->created = false;
	if (p->podfd >= 0)
		close(p->podfd);
	p->podfd = -1;
}

int dp_endpoint_finish(struct nl_ctx *ctx, const struct dp_endpoint *ep,
                       struct dp_endpoint_pending *p, struct dp_endpoint_result *out)
{
	struct dp_endpoint_result tm = {0};
	struct nl_sock *psk = NULL;
	struct timespec t0;
	bool v6 = dp_ep_has_family(ep, AF_INET6);
	int rc;

	tm.t_create = p->t_create;
	tm.t_sysctl = p->t_sysctl;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dp_ep_validate(ctx, ep);
	if (rc == 0 && v6 && !p->v6)
		rc = dp_host_sysctls(ctx, p->host, true); /* IPv6 after all */
	if (rc < 0)
		goto fail;
	rc = dp_host_side(ctx, ep, p->host, p->host_ifindex);
	if (rc < 0)
		goto fail;
	tm.t_host = dp_lap(&t0);
	rc = dp_pod_open(ctx, ep, &psk, v6);
	if (rc < 0)
		goto fail;
	tm.t_pod_open = dp_lap(&t0);
	rc = dp_pod_side(ctx, psk, ep, p->pod_ifindex);
	if (rc < 0)
		goto fail;
	tm.t_pod = dp_lap(&t0);
	if (out) {
		*out = tm;
		snprintf(out->host_ifname, sizeof(out->host_ifname), "%s", p->host);
		out->host_ifindex = p->host_ifindex;
		out->pod_ifindex = p->pod_ifindex;
		memcpy(out->pod_mac, p->pod_mac, 6);
		snprintf(out->pod_mac_str, sizeof(out->pod_mac_str),
		         "%02x:%02x:%02x:%02x:%02x:%02x", p->pod_mac[0], p->pod_mac[1],
		         p->pod_mac[2], p->pod_mac[3], p->pod_mac[4], p->pod_mac[5]);
		out->mtu = p->mtu;
	}
	dp_nl_sock_close(psk);
	p->created = false; /* it is the endpoint's now */
	dp_endpoint_abort(ctx, p);
	return 0;
fail:
	dp_nl_sock_close(psk);
	dp_endpoint_abort(ctx, p);
	return rc;
}

int dp_endpoint_add(struct nl_ctx *ctx, const struct dp_endpoint *ep,
                    struct dp_endpoint_result *out)
{
	struct dp_endpoint_pending p;
	int rc;

	rc = dp_endpoint_create(ctx, ep, dp_ep_has_family(ep, AF_INET6), &p);
	if (rc < 0)
		return rc;
	return dp_endpoint_finish(ctx, ep, &p, out);
}

int dp_endpoint_del(struct nl_ctx *ctx, const struct dp_endpoint *ep)
{
	char host[DP_IFNAMSIZ], ext[256];
	int rc;

	rc = dp_ep_host_name(ctx, ep, host);
	if (rc < 0)
		return rc;
	/* Deleting one end deletes the pair; the kernel drops routes through it. */
	rc = dp_nl_link_del(ctx->sk, host, ext, sizeof(ext));
	if (rc == -ENODEV)
		rc = 0;
	if (rc < 0)
		dp_nl_err(ctx, "RTM_DELLINK %s: %s", host, dp_nl_strerror(rc, ext));
	return rc;
}
