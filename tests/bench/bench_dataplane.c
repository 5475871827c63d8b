/*
 * DOC: micro-benchmark of pod wiring: N endpoint ADDs then N DELs.
 *
 * Runs in a private network namespace (the "node", with an uplink and a
 * default route) and N pod namespaces held by forked children. Each ADD is
 * dual-stack (one IPv4 and one IPv6 address) with the MTU given, as the agent
 * calls it; dp_default_mtu() is timed separately. Prints min / median / p99 /
 * max in microseconds. Needs root. Usage: bench_dataplane [N] (default 200).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include <tabby/dataplane.h>

struct bench_pod {
	pid_t pid;
	char ns[64];
	char id[32];
};

static int bench_pod_new(struct bench_pod *p, int i)
{
	int ready[2];
	char c;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	p->pid = fork();
	if (p->pid < 0)
		return -errno;
	if (p->pid == 0) {
		close(ready[0]);
		if (unshare(CLONE_NEWNET) < 0 || write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		return -EIO;
	}
	close(ready[0]);
	snprintf(p->ns, sizeof(p->ns), "/proc/%d/ns/net", (int)p->pid);
	snprintf(p->id, sizeof(p->id), "bench-%d/eth0", i);
	return 0;
}

static double bench_clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double bench_now_us(void)
{
	return bench_clock_us(CLOCK_MONOTONIC);
}

/* CPU time of this thread: what an operation costs, whatever the machine's load. */
static double bench_cpu_us(void)
{
	return bench_clock_us(CLOCK_THREAD_CPUTIME_ID);
}

/*
 * Floor: the kernel's own cost of one bare veth pair with its peer born in
 * the pod namespace (libnl directly, nothing else), then its deletion.
 */
static int bench_bare_veth(struct nl_sock *sk, const char *ns, double *wall, double *cpu)
{
	struct rtnl_link *link = rtnl_link_veth_alloc(), *peer;
	double t0 = bench_now_us(), c0 = bench_cpu_us();
	int fd = open(ns, O_RDONLY | O_CLOEXEC), rc;

	if (!link || fd < 0)
		return -1;
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, "benchveth");
	rtnl_link_set_name(peer, "eth9");
	rtnl_link_set_ns_fd(peer, fd);
	rc = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	*wall = bench_now_us() - t0;
	*cpu = bench_cpu_us() - c0;
	rtnl_link_put(peer);
	if (rc == 0)
		rc = rtnl_link_delete(sk, link);
	rtnl_link_veth_release(link);
	close(fd);
	return rc;
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void bench_report(const char *what, double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), bench_cmp);
	printf("%-24s n=%d  min %7.1f us  median %7.1f us  p99 %7.1f us  max %7.1f us\n", what, n,
	       t[0], t[n / 2], t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], t[n - 1]);
}

static void bench_route(struct dp_route *r, int i)
{
	memset(r, 0, sizeof(*r));
	r->dst.addr.family = AF_INET;
	r->dst.addr.bytes[0] = 198;
	r->dst.addr.bytes[1] = (uint8_t)(18 + (i >> 16 & 1));
	r->dst.addr.bytes[2] = (uint8_t)(i >> 8);
	r->dst.addr.bytes[3] = (uint8_t)i;
	r->dst.addr.bytes[1] |= 1; /* 198.19.0.0/16 and up: never the uplink's subnet */
	r->dst.len = 32;
	r->n_nexthops = 1;
	r->nh[0].gw.family = AF_INET;
	inet_pton(AF_INET, "198.18.0.2", r->nh[0].gw.bytes);
}

static double bench_tv_us(const struct timeval *tv)
{
	return (double)tv->tv_sec * 1e6 + (double)tv->tv_usec;
}

/* User and system CPU time since the last call (what the kernel spent is in "sys"). */
static void bench_cpu_split(const char *what)
{
	static struct rusage last;
	struct rusage now;

	getrusage(RUSAGE_SELF, &now);
	if (what)
		printf("    %s CPU: user %.1f ms, sys %.1f ms\n", what,
		       (bench_tv_us(&now.ru_utime) - bench_tv_us(&last.ru_utime)) / 1e3,
		       (bench_tv_us(&now.ru_stime) - bench_tv_us(&last.ru_stime)) / 1e3);
	last = now;
}

/* FIB programming: N routes batched (add, then delete), and one request at a time. */
static int bench_fib(struct nl_ctx *ctx, int n)
{
	struct fib_batch *b;
	struct dp_route r;
	double t0;
	int i, rc;

	bench_cpu_split(NULL);
	if (fib_batch_open(ctx, NULL, NULL, &b) < 0)
		return -1;
	t0 = bench_now_us();
	for (i = 0; i < n; i++) {
		bench_route(&r, i);
		if (fib_batch_add(b, &r) < 0)
			return -1;
	}
	rc = fib_batch_flush(b);
	printf("fib_batch_add      %6d IPv4 routes: %8.1f ms  (%.0f routes/s, %d failed)\n", n,
	       (bench_now_us() - t0) / 1e3, n / ((bench_now_us() - t0) / 1e6), rc);
	bench_cpu_split("fib_batch_add");
	t0 = bench_now_us();
	for (i = 0; i < n; i++) {
		bench_route(&r, i);
		if (fib_batch_del(b, &r) < 0)
			return -1;
	}
	rc = fib_batch_close(b);
	printf("fib_batch_del      %6d IPv4 routes: %8.1f ms  (%.0f routes/s, %d failed)\n", n,
	       (bench_now_us() - t0) / 1e3, n / ((bench_now_us() - t0) / 1e6), rc);
	bench_cpu_split("fib_batch_del");
	t0 = bench_now_us();
	for (i = 0; i < n; i++) {
		bench_route(&r, i);
		if (dp_route_replace(ctx, &r) < 0)
			return -1;
	}
	printf(
	    "dp_route_replace   %6d IPv4 routes: %8.1f ms  (%.0f routes/s, one per round trip)\n",
	    n, (bench_now_us() - t0) / 1e3, n / ((bench_now_us() - t0) / 1e6));
	for (i = 0; i < n; i++) {
		bench_route(&r, i);
		dp_route_del(ctx, &r);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200, i, rc = 1, made = 0;
	struct bench_pod *pods = NULL;
	double *tadd = NULL, *tdel = NULL, *tmtu = NULL, *cadd = NULL, *cdel = NULL, t0, c0;
	double *tbare = NULL, *cbare = NULL;
	struct nl_sock *sk = NULL;
	struct nl_ctx *ctx = NULL;
	struct dp_endpoint ep;
	unsigned mtu;

	if (n < 1)
		n = 1;
	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "bench_dataplane: needs root (network namespaces)\n");
		return 77;
	}
	if (system(
	        "ip link set lo up && ip link add up0 type veth peer name up1 && "
	        "ip link set up0 up && ip link set up1 up && ip addr add 198.18.0.1/24 dev up0 && "
	        "ip route add default via 198.18.0.254 dev up0") != 0)
		return 1;
	pods = calloc((size_t)n, sizeof(*pods));
	tadd = calloc((size_t)n, sizeof(double));
	tdel = calloc((size_t)n, sizeof(double));
	tmtu = calloc((size_t)n, sizeof(double));
	cadd = calloc((size_t)n, sizeof(double));
	cdel = calloc((size_t)n, sizeof(double));
	tbare = calloc((size_t)n, sizeof(double));
	cbare = calloc((size_t)n, sizeof(double));
	sk = nl_socket_alloc();
	if (!pods || !tadd || !tdel || !tmtu || !cadd || !cdel || !tbare || !cbare || !sk ||
	    nl_connect(sk, NETLINK_ROUTE) < 0 || nl_ctx_open(&ctx) < 0)
		goto out;
	for (made = 0; made < n; made++)
		if (bench_pod_new(&pods[made], made) < 0)
			goto out;
	for (i = 0; i < n; i++) {
		memset(&ep, 0, sizeof(ep));
		ep.endpoint_id = pods[i].id;
		ep.netns = pods[i].ns;
		ep.ifname = "eth0";
		ep.mtu = 1500;
		ep.n_addrs = 2;
		ep.addrs[0].family = AF_INET;
		ep.addrs[0].bytes[0] = 198;
		ep.addrs[0].bytes[1] = 19;
		ep.addrs[0].bytes[2] = (uint8_t)(i / 250);
		ep.addrs[0].bytes[3] = (uint8_t)(i % 250 + 1);
		ep.addrs[1].family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8:1::", ep.addrs[1].bytes);
		ep.addrs[1].bytes[14] = (uint8_t)((i + 1) >> 8);
		ep.addrs[1].bytes[15] = (uint8_t)(i + 1);
		t0 = bench_now_us();
		c0 = bench_cpu_us();
		if (dp_endpoint_add(ctx, &ep, NULL) < 0) {
			fprintf(stderr, "add %d: %s\n", i, nl_ctx_error(ctx));
			goto out;
		}
		tadd[i] = bench_now_us() - t0;
		cadd[i] = bench_cpu_us() - c0;
		if (bench_bare_veth(sk, pods[i].ns, &tbare[i], &cbare[i]) < 0)
			goto out;
	}
	for (i = 0; i < n; i++) {
		t0 = bench_now_us();
		if (dp_default_mtu(ctx, &mtu) < 0)
			goto out;
		tmtu[i] = bench_now_us() - t0;
	}
	for (i = 0; i < n; i++) {
		memset(&ep, 0, sizeof(ep));
		ep.endpoint_id = pods[i].id;
		ep.netns = pods[i].ns;
		ep.ifname = "eth0";
		t0 = bench_now_us();
		c0 = bench_cpu_us();
		if (dp_endpoint_del(ctx, &ep) < 0) {
			fprintf(stderr, "del %d: %s\n", i, nl_ctx_error(ctx));
			goto out;
		}
		tdel[i] = bench_now_us() - t0;
		cdel[i] = bench_cpu_us() - c0;
	}
	printf("wall clock:\n");
	bench_report("dp_endpoint_add v4+v6", tadd, n);
	bench_report("  bare veth create", tbare, n);
	bench_report("dp_endpoint_del", tdel, n);
	bench_report("dp_default_mtu", tmtu, n);
	printf("CPU time of the calling thread (independent of machine load):\n");
	bench_report("dp_endpoint_add v4+v6", cadd, n);
	bench_report("  bare veth create", cbare, n);
	bench_report("dp_endpoint_del", cdel, n);
	if (bench_fib(ctx, 50000) < 0)
		goto out;
	rc = 0;
out:
	for (i = 0; i < made; i++) {
		kill(pods[i].pid, SIGTERM);
		waitpid(pods[i].pid, NULL, 0);
	}
	nl_ctx_close(ctx);
	if (sk)
		nl_socket_free(sk);
	free(cadd);
	free(cdel);
	free(tbare);
	free(cbare);
	free(pods);
	free(tadd);
	free(tdel);
	free(tmtu);
	return rc;
}
