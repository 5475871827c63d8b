/*
 * DOC: unit tests of the dataplane library, in private network namespaces.
 *
 * The test process unshares its network namespace at start: that namespace is
 * the "node", with an uplink veth and a default route as a real node has
 * (proxy ARP needs it). Pods are namespaces of forked children that sleep on a
 * pipe; their namespaces are reached as /proc/<pid>/ns/net. What the library
 * did is read back with iproute2 (`ip`, through nsenter for the pods), which
 * checks it independently of the library's own netlink parsing, and traffic is
 * checked with ping. Needs root: skipped (exit 77) otherwise, failed under
 * CI=true.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <tabby/dataplane.h>

#include "netns_helpers.h"

static struct nl_ctx *ctx;

struct pod {
	pid_t pid;
	int wfd;
	char ns[64];
};

static struct pod pod_new(void)
{
	struct pod p = {0};
	int ready[2], hold[2];
	char c;

	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(hold, O_CLOEXEC), 0);
	p.pid = fork();
	assert_true(p.pid >= 0);
	if (p.pid == 0) {
		close(ready[0]);
		close(hold[1]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		/* Live until the parent closes the pipe (or dies). */
		while (read(hold[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	p.wfd = hold[1];
	snprintf(p.ns, sizeof(p.ns), "/proc/%d/ns/net", (int)p.pid);
	return p;
}

/* Later pods inherit the pipe too, so the child is told by signal (by its PID). */
static void pod_free(struct pod *p)
{
	close(p->wfd);
	kill(p->pid, SIGTERM);
	waitpid(p->pid, NULL, 0);
}

static void read_sysctl(const char *path, char *buf, size_t len)
{
	char full[256];
	FILE *f;

	snprintf(full, sizeof(full), "/proc/sys/%s", path);
	f = fopen(full, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, (int)len, f));
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static void assert_sysctl(const char *dir, const char *ifname, const char *key, const char *want)
{
	char path[128], val[32];

	snprintf(path, sizeof(path), "net/%s/%s/%s", dir, ifname, key);
	read_sysctl(path, val, sizeof(val));
	if (strcmp(val, want) != 0)
		fail_msg("sysctl %s is %s, expected %s", path, val, want);
}

static void ep_init(struct dp_endpoint *ep, const char *id, const struct pod *p, const char *v4,
                    const char *v6)
{
	memset(ep, 0, sizeof(*ep));
	ep->endpoint_id = id;
	ep->netns = p->ns;
	ep->ifname = "eth0";
	ep->mtu = 1400;
	if (v4) {
		ep->addrs[ep->n_addrs].family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, v4, ep->addrs[ep->n_addrs++].bytes), 1);
	}
	if (v6) {
		ep->addrs[ep->n_addrs].family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, v6, ep->addrs[ep->n_addrs++].bytes), 1);
	}
}

static void prefix_init(struct prefix *p, int family, const char *s, unsigned len)
{
	memset(p, 0, sizeof(*p));
	p->addr.family = (uint8_t)family;
	assert_int_equal(inet_pton(family, s, p->addr.bytes), 1);
	p->len = (uint8_t)len;
}

/* The host end disappears asynchronously when a pod namespace goes away. */
static void wait_link_gone(const char *name)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (sh(NULL, 0, "ip link show %s", name) != 0)
			return;
		usleep(10000);
	}
	fail_msg("link %s still exists", name);
}

static void test_veth_name(void **state)
{
	char a[DP_IFNAMSIZ], b[DP_IFNAMSIZ];

	/* FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (the FNV reference test vectors). */
	dp_veth_name("a", a);
	assert_string_equal(a, "tabbyaf63dc4c86");
	dp_veth_name("0123456789abcdef/eth0", a);
	dp_veth_name("0123456789abcdef/eth1", b);
	assert_int_equal(strlen(a), 15);
	assert_int_equal(strncmp(a, "tabby", 5), 0);
	assert_string_not_equal(a, b);
	dp_veth_name("0123456789abcdef/eth0", b);
	assert_string_equal(a, b);
}

static void test_endpoint_wiring(void **state)
{
	struct pod pa = pod_new(), pb = pod_new();
	struct dp_endpoint a, b;
	struct dp_endpoint_result ra, rb;
	char out[8192], mac[64];

	ep_init(&a, "cid-a/eth0", &pa, "198.19.0.5", "2001:db8:1::5");
	ep_init(&b, "cid-b/eth0", &pb, "198.19.0.6", "2001:db8:1::6");
	if (dp_endpoint_add(ctx, &a, &ra) < 0 || dp_endpoint_add(ctx, &b, &rb) < 0)
		fail_msg("add: %s", nl_ctx_error(ctx));

	/* Host end: name, MAC, MTU, up, sysctls, host routes with our protocol. */
	dp_veth_name("cid-a/eth0", mac);
	assert_string_equal(ra.host_ifname, mac);
	assert_int_equal(ra.mtu, 1400);
	assert_int_equal(sh(out, sizeof(out), "ip -o link show %s", ra.host_ifname), 0);
	assert_contains(out, "link/ether ee:ee:ee:ee:ee:ee");
	assert_contains(out, "mtu 1400");
	assert_contains(out, "state UP");
	snprintf(mac, sizeof(mac), "%d:", ra.host_ifindex);
	assert_int_equal(strncmp(out, mac, strlen(mac)), 0);
	assert_sysctl("ipv4/conf", ra.host_ifname, "proxy_arp", "1");
	assert_sysctl("ipv4/neigh", ra.host_ifname, "proxy_delay", "0");
	assert_sysctl("ipv4/conf", ra.host_ifname, "forwarding", "1");
	assert_sysctl("ipv6/conf", ra.host_ifname, "proxy_ndp", "1");
	assert_sysctl("ipv6/conf", ra.host_ifname, "accept_ra", "0");
	sh(out, sizeof(out), "ip route show proto 84");
	snprintf(mac, sizeof(mac), "198.19.0.5 dev %s scope link", ra.host_ifname);
	assert_contains(out, mac);
	sh(out, sizeof(out), "ip -6 route show proto 84");
	snprintf(mac, sizeof(mac), "2001:db8:1::5 dev %s", ra.host_ifname);
	assert_contains(out, mac);
	sh(out, sizeof(out), "ip -6 addr show dev %s", ra.host_ifname);
	assert_contains(out, "inet6 fe80::ecee:eeff:feee:eeee/64 scope link");

	/* Pod end: name, MAC reported, addresses, routes, DAD off. */
	assert_int_equal(sh(out, sizeof(out), "nsenter --net=%s ip -o link show eth0", pa.ns), 0);
	assert_contains(out, "state UP");
	assert_contains(out, "mtu 1400");
	assert_contains(out, ra.pod_mac_str);
	snprintf(mac, sizeof(mac), "%d: eth0@", ra.pod_ifindex);
	assert_contains(out, mac);
	sh(out, sizeof(out), "nsenter --net=%s ip addr show dev eth0", pa.ns);
	assert_contains(out, "inet 198.19.0.5/32");
	assert_contains(out, "inet6 2001:db8:1::5/128");
	assert_not_contains(out, "tentative");
	sh(out, sizeof(out), "nsenter --net=%s ip route", pa.ns);
	assert_contains(out, "default via 169.254.1.1 dev eth0");
	assert_contains(out, "169.254.1.1 dev eth0 proto 84 scope link");
	sh(out, sizeof(out), "nsenter --net=%s ip -6 route", pa.ns);
	assert_contains(out, "default via fe80::ecee:eeff:feee:eeee dev eth0");
	sh(out, sizeof(out), "nsenter --net=%s cat /proc/sys/net/ipv6/conf/eth0/accept_dad", pa.ns);
	assert_string_equal(out, "0\n");

	/* Traffic: pod -> node, pod -> pod over IPv4 and IPv6. */
	if (sh(out, sizeof(out), "nsenter --net=%s ping -c1 -W2 198.18.0.1", pa.ns) != 0)
		fail_msg("pod -> node ping failed:\n%s", out);
	if (sh(out, sizeof(out), "nsenter --net=%s ping -c1 -W2 198.19.0.6", pa.ns) != 0)
		fail_msg("pod -> pod ping failed:\n%s", out);
	if (sh(out, sizeof(out), "nsenter --net=%s ping -6 -c1 -W2 2001:db8:1::6", pa.ns) != 0)
		fail_msg("pod -> pod IPv6 ping failed:\n%s", out);

	/* CHECK passes, then names what was removed by hand. */
	if (dp_endpoint_check(ctx, &a) < 0)
		fail_msg("check: %s", nl_ctx_error(ctx));
	assert_int_equal(sh(NULL, 0, "ip route del 198.19.0.5/32 dev %s", ra.host_ifname), 0);
	assert_int_equal(dp_endpoint_check(ctx, &a), -ENOENT);
	snprintf(mac, sizeof(mac), "host route 198.19.0.5/32 dev %s", ra.host_ifname);
	assert_contains(nl_ctx_error(ctx), mac);
	assert_contains(nl_ctx_error(ctx), "missing");
	assert_int_equal(dp_endpoint_check(ctx, &b), 0);
	assert_int_equal(sh(NULL, 0, "nsenter --net=%s ip route del default", pb.ns), 0);
	assert_int_equal(dp_endpoint_check(ctx, &b), -ENOENT);
	assert_contains(nl_ctx_error(ctx), "default via 169.254.1.1 dev eth0 is missing");
	assert_int_equal(
	    sh(NULL, 0, "nsenter --net=%s ip addr del 2001:db8:1::6/128 dev eth0", pb.ns), 0);
	assert_int_equal(dp_endpoint_check(ctx, &b), -ENOENT);
	assert_contains(nl_ctx_error(ctx), "address 2001:db8:1::6/128 is missing on eth0");
	assert_int_equal(
	    sh(NULL, 0, "echo 0 > /proc/sys/net/ipv4/conf/%s/proxy_arp", rb.host_ifname), 0);
	assert_int_equal(dp_endpoint_check(ctx, &b), -EINVAL);
	assert_contains(nl_ctx_error(ctx), "proxy_arp is 0, expected 1");

	/* A retried ADD rebuilds the endpoint. */
	if (dp_endpoint_add(ctx, &b, &rb) < 0)
		fail_msg("re-add: %s", nl_ctx_error(ctx));
	if (dp_endpoint_check(ctx, &b) < 0)
		fail_msg("check after re-add: %s", nl_ctx_error(ctx));

	/* DEL removes both ends and the routes; again, and with the netns gone, it succeeds. */
	assert_int_equal(dp_endpoint_del(ctx, &a), 0);
	assert_int_not_equal(sh(NULL, 0, "ip link show %s", ra.host_ifname), 0);
	assert_int_not_equal(sh(NULL, 0, "nsenter --net=%s ip link show eth0", pa.ns), 0);
	sh(out, sizeof(out), "ip route show proto 84; ip -6 route show proto 84");
	assert_not_contains(out, "198.19.0.5");
	assert_not_contains(out, "2001:db8:1::5");
	assert_int_equal(dp_endpoint_del(ctx, &a), 0);
	assert_int_equal(dp_endpoint_check(ctx, &a), -ENOENT);
	assert_contains(nl_ctx_error(ctx), "is missing");
	pod_free(&pb);
	wait_link_gone(rb.host_ifname);
	assert_int_equal(dp_endpoint_del(ctx, &b), 0);
	b.netns = "/var/run/netns/tabby-test-does-not-exist";
	assert_int_equal(dp_endpoint_del(ctx, &b), 0);
	b.netns = NULL;
	assert_int_equal(dp_endpoint_del(ctx, &b), 0);
	pod_free(&pa);
}

/* IPv6 only: no IPv4 gateway routes, traffic to the node over the link-local gateway. */
static void test_endpoint_ipv6_only(void **state)
{
	struct pod p = pod_new();
	struct dp_endpoint ep;
	struct dp_endpoint_result res;
	char out[4096];

	ep_init(&ep, "cid-v6/net1", &p, NULL, "2001:db8:1::9");
	ep.ifname = "net1";
	if (dp_endpoint_add(ctx, &ep, &res) < 0)
		fail_msg("add: %s", nl_ctx_error(ctx));
	if (dp_endpoint_check(ctx, &ep) < 0)
		fail_msg("check: %s", nl_ctx_error(ctx));
	sh(out, sizeof(out), "nsenter --net=%s ip route; nsenter --net=%s ip -6 route", p.ns, p.ns);
	assert_not_contains(out, "169.254.1.1");
	assert_contains(out, "default via fe80::ecee:eeff:feee:eeee dev net1");
	if (sh(out, sizeof(out), "nsenter --net=%s ping -6 -c1 -W2 2001:db8::1", p.ns) != 0)
		fail_msg("pod -> node IPv6 ping failed:\n%s", out);
	assert_int_equal(dp_endpoint_del(ctx, &ep), 0);
	assert_int_not_equal(sh(NULL, 0, "ip link show %s", res.host_ifname), 0);
	pod_free(&p);
}

/*
 * The two steps the agent uses: create (no addresses yet), then finish with
 * them, or abort; a dual-stack finish after an IPv4-only create still gets
 * the IPv6 sysctls.
 */
static void test_endpoint_two_steps(void **state)
{
	struct pod p = pod_new(), q = pod_new();
	struct dp_endpoint ep, bare;
	struct dp_endpoint_pending pend;
	struct dp_endpoint_result res;

	ep_init(&ep, "cid-2s/eth0", &p, "198.19.0.21", "2001:db8:1::21");
	bare = ep;
	bare.n_addrs = 0;
	if (dp_endpoint_create(ctx, &bare, false, &pend) < 0)
		fail_msg("create: %s", nl_ctx_error(ctx));
	assert_true(pend.created);
	assert_int_equal(sh(NULL, 0, "ip link show %s", pend.host), 0);
	assert_true(dp_endpoint_check(ctx, &ep) < 0); /* not configured yet */
	if (dp_endpoint_finish(ctx, &ep, &pend, &res) < 0)
		fail_msg("finish: %s", nl_ctx_error(ctx));
	assert_int_equal(pend.podfd, -1);
	if (dp_endpoint_check(ctx, &ep) < 0)
		fail_msg("check: %s", nl_ctx_error(ctx));
	assert_sysctl("ipv6/conf", res.host_ifname, "proxy_ndp", "1");
	assert_true(res.t_create > 0 && res.t_pod > 0);
	assert_int_equal(dp_endpoint_del(ctx, &ep), 0);
	wait_link_gone(res.host_ifname);

	/* Abort: the pair goes, the pod keeps nothing. */
	ep_init(&ep, "cid-2t/eth0", &q, "198.19.0.22", NULL);
	if (dp_endpoint_create(ctx, &ep, false, &pend) < 0)
		fail_msg("create: %s", nl_ctx_error(ctx));
	dp_endpoint_abort(ctx, &pend);
	assert_false(pend.created);
	assert_int_equal(pend.podfd, -1);
	wait_link_gone(pend.host);
	assert_int_not_equal(sh(NULL, 0, "nsenter --net=%s ip link show eth0", q.ns), 0);
	pod_free(&p);
	pod_free(&q);
}

static void test_endpoint_conflicts(void **state)
{
	struct pod pa = pod_new(), pb = pod_new();
	struct dp_endpoint a, b;
	char name[DP_IFNAMSIZ];

	/* The pod already has an eth0 of someone else: EEXIST, nothing left on the host. */
	ep_init(&a, "cid-c/eth0", &pa, "198.19.0.7", NULL);
	if (dp_endpoint_add(ctx, &a, NULL) < 0)
		fail_msg("add: %s", nl_ctx_error(ctx));
	ep_init(&b, "cid-d/eth0", &pa, "198.19.0.8", NULL);
	assert_int_equal(dp_endpoint_add(ctx, &b, NULL), -EEXIST);
	assert_contains(nl_ctx_error(ctx), "RTM_NEWLINK veth");
	dp_veth_name("cid-d/eth0", name);
	assert_int_not_equal(sh(NULL, 0, "ip link show %s", name), 0);

	/* Another endpoint already has the host route of this address. */
	ep_init(&b, "cid-e/eth0", &pb, "198.19.0.7", NULL);
	assert_int_equal(dp_endpoint_add(ctx, &b, NULL), -EEXIST);
	assert_contains(nl_ctx_error(ctx), "RTM_NEWROUTE 198.19.0.7/32");
	dp_veth_name("cid-e/eth0", name);
	assert_int_not_equal(sh(NULL, 0, "ip link show %s", name), 0);
	assert_int_equal(dp_endpoint_check(ctx, &a), 0);

	/* Bad input. */
	b.ifname = "this-name-is-far-too-long";
	assert_int_equal(dp_endpoint_add(ctx, &b, NULL), -EINVAL);
	b.ifname = "eth0";
	b.netns = "/var/run/netns/tabby-test-does-not-exist";
	assert_int_equal(dp_endpoint_add(ctx, &b, NULL), -ENOENT);
	assert_contains(nl_ctx_error(ctx), "tabby-test-does-not-exist");

	assert_int_equal(dp_endpoint_del(ctx, &a), 0);
	pod_free(&pa);
	pod_free(&pb);
}

static void test_blackhole(void **state)
{
	struct prefix b4, b6, foreign;
	char out[4096];

	prefix_init(&b4, AF_INET, "198.19.0.0", 26);
	prefix_init(&b6, AF_INET6, "2001:db8:1::", 122);
	prefix_init(&foreign, AF_INET, "198.19.1.0", 26);
	if (dp_blackhole_set(ctx, &b4) < 0 || dp_blackhole_set(ctx, &b6) < 0)
		fail_msg("blackhole: %s", nl_ctx_error(ctx));
	assert_int_equal(dp_blackhole_set(ctx, &b4), 0); /* idempotent */
	sh(out, sizeof(out), "ip route show proto 84 type blackhole");
	assert_contains(out, "blackhole 198.19.0.0/26");
	sh(out, sizeof(out), "ip -6 route show proto 84 type blackhole");
	assert_contains(out, "blackhole 2001:db8:1::/122");

	/* Someone else's route for a block is never replaced or removed. */
	assert_int_equal(sh(NULL, 0, "ip route add blackhole 198.19.1.0/26 proto static"), 0);
	assert_int_equal(dp_blackhole_set(ctx, &foreign), -EEXIST);
	assert_contains(nl_ctx_error(ctx), "198.19.1.0/26");
	assert_int_equal(dp_blackhole_del(ctx, &foreign), 0);
	sh(out, sizeof(out), "ip route show 198.19.1.0/26");
	assert_contains(out, "blackhole 198.19.1.0/26 proto static");
	assert_int_equal(sh(NULL, 0, "ip route del 198.19.1.0/26"), 0);

	assert_int_equal(dp_blackhole_del(ctx, &b4), 0);
	assert_int_equal(dp_blackhole_del(ctx, &b6), 0);
	sh(out, sizeof(out), "ip route show proto 84; ip -6 route show proto 84");
	assert_not_contains(out, "blackhole");
	assert_int_equal(dp_blackhole_del(ctx, &b4), 0);
}

struct seen {
	struct dp_route r[16];
	int n;
};

static int collect(const struct dp_route *r, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16)
		s->r[s->n] = *r;
	s->n++;
	return 0;
}

static void test_routes_list_own(void **state)
{
	struct dp_route ecmp = {.n_nexthops = 2}, r;
	struct prefix bh;
	struct seen s = {.n = 0};
	char out[4096], g[64];
	int i, found_ecmp = 0, found_bh = 0;

	prefix_init(&ecmp.dst, AF_INET, "198.19.64.0", 26);
	ecmp.nh[0].gw.family = ecmp.nh[1].gw.family = AF_INET;
	inet_pton(AF_INET, "198.18.0.2", ecmp.nh[0].gw.bytes);
	inet_pton(AF_INET, "198.18.0.3", ecmp.nh[1].gw.bytes);
	if (dp_route_replace(ctx, &ecmp) < 0)
		fail_msg("route: %s", nl_ctx_error(ctx));
	ecmp.nh[1].weight = 3;
	if (dp_route_replace(ctx, &ecmp) < 0) /* an update of our own route */
		fail_msg("route update: %s", nl_ctx_error(ctx));
	prefix_init(&bh, AF_INET, "198.19.0.64", 26);
	assert_int_equal(dp_blackhole_set(ctx, &bh), 0);
	/* Other protocols' routes, one of them for the same prefix in another table. */
	assert_int_equal(sh(NULL, 0, "ip route add 198.19.128.0/26 via 198.18.0.2 proto bird"), 0);
	assert_int_equal(sh(NULL, 0, "ip route add 198.19.129.0/26 via 198.18.0.2 proto static"),
	                 0);
	assert_int_equal(sh(NULL, 0, "ip -6 route add 2001:db8:9::/64 via 2001:db8::2 proto 186"),
	                 0);

	assert_int_equal(dp_routes_list_own(ctx, AF_UNSPEC, collect, &s), 0);
	assert_int_equal(s.n, 2);
	for (i = 0; i < s.n; i++) {
		assert_int_equal(s.r[i].protocol, TABBY_RTPROT);
		if (s.r[i].type == RTN_BLACKHOLE && s.r[i].dst.len == 26 &&
		    memcmp(s.r[i].dst.addr.bytes, bh.addr.bytes, 4) == 0)
			found_bh++;
		if (s.r[i].type == RTN_UNICAST && s.r[i].n_nexthops == 2) {
			found_ecmp++;
			assert_string_equal(inet_ntop(AF_INET, s.r[i].nh[0].gw.bytes, g, sizeof(g)),
			                    "198.18.0.2");
			assert_string_equal(inet_ntop(AF_INET, s.r[i].nh[1].gw.bytes, g, sizeof(g)),
			                    "198.18.0.3");
			assert_int_equal(s.r[i].nh[1].weight, 3);
		}
	}
	assert_int_equal(found_bh, 1);
	assert_int_equal(found_ecmp, 1);
	sh(out, sizeof(out), "ip route show 198.19.64.0/26");
	assert_contains(out, "nexthop via 198.18.0.3 dev up0 weight 3");

	/* A foreign route is left alone by replace and by delete. */
	memset(&r, 0, sizeof(r));
	prefix_init(&r.dst, AF_INET, "198.19.129.0", 26);
	r.n_nexthops = 1;
	r.nh[0].gw = ecmp.nh[1].gw;
	assert_int_equal(dp_route_replace(ctx, &r), -EEXIST);
	assert_int_equal(dp_route_del(ctx, &r), 0);
	sh(out, sizeof(out), "ip route show 198.19.129.0/26");
	assert_contains(out, "via 198.18.0.2 dev up0 proto static");

	/* Reconcile: delete everything we own. */
	for (i = 0; i < s.n; i++)
		assert_int_equal(dp_route_del(ctx, &s.r[i]), 0);
	s.n = 0;
	assert_int_equal(dp_routes_list_own(ctx, AF_UNSPEC, collect, &s), 0);
	assert_int_equal(s.n, 0);
	sh(out, sizeof(out), "ip route; ip -6 route");
	assert_contains(out, "198.19.128.0/26 via 198.18.0.2 dev up0 proto bird");
	assert_contains(out, "2001:db8:9::/64 via 2001:db8::2 dev up0 proto bgp");
	sh(NULL, 0,
	   "ip route del 198.19.128.0/26; ip route del 198.19.129.0/26; "
	   "ip -6 route del 2001:db8:9::/64");
}

struct fib_errs {
	int n;
	struct dp_route r;
	enum fib_op op;
	int err;
};

static void fib_err(const struct dp_route *r, enum fib_op op, int err, const char *why, void *arg)
{
	struct fib_errs *e = arg;

	if (e->n++ == 0) {
		e->r = *r;
		e->op = op;
		e->err = err;
	}
}

static void host_route(struct dp_route *r, int i, const char *gw)
{
	memset(r, 0, sizeof(*r));
	r->dst.addr.family = AF_INET;
	r->dst.addr.bytes[0] = 198;
	r->dst.addr.bytes[1] = 19;
	r->dst.addr.bytes[2] = (uint8_t)(200 + i / 256);
	r->dst.addr.bytes[3] = (uint8_t)(i % 256);
	r->dst.len = 32;
	r->n_nexthops = 1;
	r->nh[0].gw.family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, gw, r->nh[0].gw.bytes), 1);
}

static void test_fib_batch(void **state)
{
	struct fib_errs e = {0};
	struct fib_batch *b;
	struct dp_route r, r6 = {.n_nexthops = 2};
	struct seen s = {.n = 0};
	char out[8192];
	int i;

	/* 300 routes in windows of DP_FIB_WINDOW; one prefix is someone else's. */
	assert_int_equal(sh(NULL, 0, "ip route add 198.19.200.7/32 via 198.18.0.3 proto static"),
	                 0);
	assert_int_equal(fib_batch_open(ctx, fib_err, &e, &b), 0);
	for (i = 0; i < 300; i++) {
		host_route(&r, i, "198.18.0.2");
		assert_int_equal(fib_batch_add(b, &r), 0);
	}
	prefix_init(&r6.dst, AF_INET6, "2001:db8:77::", 64);
	r6.nh[0].gw.family = r6.nh[1].gw.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::2", r6.nh[0].gw.bytes);
	inet_pton(AF_INET6, "2001:db8::3", r6.nh[1].gw.bytes);
	assert_int_equal(fib_batch_add(b, &r6), 0);
	assert_int_equal(fib_batch_flush(b), 1);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.op, FIB_ADD);
	assert_int_equal(e.err, -EEXIST);
	host_route(&r, 7, "198.18.0.2");
	assert_memory_equal(&e.r.dst, &r.dst, sizeof(r.dst));
	sh(out, sizeof(out), "ip route show 198.19.200.7/32");
	assert_contains(out, "via 198.18.0.3 dev up0 proto static");
	sh(out, sizeof(out), "ip route show proto 84 | wc -l");
	assert_string_equal(out, "299\n");
	sh(out, sizeof(out), "ip -6 route show 2001:db8:77::/64");
	assert_contains(out, "nexthop via 2001:db8::2 dev up0");
	assert_contains(out, "nexthop via 2001:db8::3 dev up0");

	/* Replace (ours): an ECMP next-hop set for 10 routes. */
	for (i = 0; i < 10; i++) {
		host_route(&r, i + 100, "198.18.0.2");
		r.n_nexthops = 2;
		r.nh[1].gw.family = AF_INET;
		inet_pton(AF_INET, "198.18.0.4", r.nh[1].gw.bytes);
		assert_int_equal(fib_batch_replace(b, &r), 0);
	}
	assert_int_equal(fib_batch_flush(b), 0);
	sh(out, sizeof(out), "ip route show 198.19.200.105/32");
	assert_contains(out, "nexthop via 198.18.0.4 dev up0");

	/* Reconcile to nothing: delete all we own, plus the foreign prefix, which stays. */
	assert_int_equal(dp_routes_list_own(ctx, AF_UNSPEC, collect, &s), 0);
	assert_int_equal(s.n, 300);
	s.n = 0;
	e.n = 0;
	for (i = 0; i < 300; i++) {
		host_route(&r, i, "198.18.0.2");
		assert_int_equal(fib_batch_del(b, &r), 0);
	}
	assert_int_equal(fib_batch_del(b, &r6), 0);
	assert_int_equal(fib_batch_close(b), 0);
	assert_int_equal(e.n, 0);
	assert_int_equal(dp_routes_list_own(ctx, AF_UNSPEC, collect, &s), 0);
	assert_int_equal(s.n, 0);
	sh(out, sizeof(out), "ip route show 198.19.200.7/32");
	assert_contains(out, "via 198.18.0.3 dev up0 proto static");
}

static void test_default_mtu(void **state)
{
	struct pod p = pod_new();
	struct dp_endpoint ep;
	unsigned mtu = 0;

	assert_int_equal(dp_default_mtu(ctx, &mtu), 0);
	assert_int_equal(mtu, 1500);
	assert_int_equal(sh(NULL, 0, "ip link set up1 mtu 1450"), 0);
	assert_int_equal(dp_default_mtu(ctx, &mtu), 0);
	assert_int_equal(mtu, 1450);
	/* Our own veths do not count; an endpoint without an MTU gets the default. */
	ep_init(&ep, "cid-mtu/eth0", &p, "198.19.0.9", NULL);
	ep.mtu = 1300;
	assert_int_equal(dp_endpoint_add(ctx, &ep, NULL), 0);
	assert_int_equal(dp_default_mtu(ctx, &mtu), 0);
	assert_int_equal(mtu, 1450);
	assert_int_equal(dp_endpoint_del(ctx, &ep), 0);
	ep.mtu = 0;
	struct dp_endpoint_result res;
	assert_int_equal(dp_endpoint_add(ctx, &ep, &res), 0);
	assert_int_equal(res.mtu, 1450);
	assert_int_equal(dp_endpoint_check(ctx, &ep), 0);
	assert_int_equal(dp_endpoint_del(ctx, &ep), 0);
	assert_int_equal(sh(NULL, 0, "ip link set up1 mtu 1500"), 0);
	pod_free(&p);
}

/*
 * Every test gets a fresh node namespace (a failed test leaves nothing behind
 * for the next): lo, an uplink veth (up0 <-> up1) with default routes, as a
 * real node has, and forwarding on.
 */
static int node_setup(void **state)
{
	if (unshare(CLONE_NEWNET) < 0)
		return -1;
	if (system("ip link set lo up && ip link add up0 type veth peer name up1 && "
	           "ip link set up0 up && ip link set up1 up && "
	           "ip addr add 198.18.0.1/24 dev up0 && ip -6 addr add 2001:db8::1/64 dev up0 "
	           "nodad && "
	           "ip route add default via 198.18.0.254 dev up0 && "
	           "ip -6 route add default via 2001:db8::fe dev up0") != 0)
		return -1;
	if (nl_ctx_open(&ctx) < 0)
		return -1;
	return dp_node_forwarding(ctx, true);
}

static int node_teardown(void **state)
{
	nl_ctx_close(ctx);
	ctx = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_veth_name),
	    cmocka_unit_test_setup_teardown(test_endpoint_wiring, node_setup, node_teardown),
	    cmocka_unit_test_setup_teardown(test_endpoint_ipv6_only, node_setup, node_teardown),
	    cmocka_unit_test_setup_teardown(test_endpoint_two_steps, node_setup, node_teardown),
	    cmocka_unit_test_setup_teardown(test_endpoint_conflicts, node_setup, node_teardown),
	    cmocka_unit_test_setup_teardown(test_blackhole, node_setup, node_teardown),
	    cmocka_unit_test_setup_teardown(test_routes_list_own, node_setup, node_teardown),
	    cmocka_unit_test_setup_teardown(test_fib_batch, node_setup, node_teardown),
	    cmocka_unit_test_setup_teardown(test_default_mtu, node_setup, node_teardown),
	};
	/* Everything, setup included, happens in namespaces of our own. iproute2 (ip),
	 * util-linux (nsenter) and iputils-ping read back and test the wiring. */
	int rc = netns_unit_enter(
	    "test_dataplane", "(command -v ip && command -v nsenter && command -v ping) >/dev/null",
	    "ip, nsenter and ping");

	if (rc)
		return rc;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
