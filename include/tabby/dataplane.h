/*
 * DOC: Linux dataplane: pod wiring and routes over rtnetlink (libnl-3).
 *
 * The Calico wiring, per endpoint (see doc/dataplane.md):
 *  - a veth pair; the host end is named dp_veth_name(endpoint_id) ("tabby" and
 *    10 hex digits of a hash) with MAC ee:ee:ee:ee:ee:ee, the pod end is
 *    created directly inside the pod's network namespace (IFLA_NET_NS_FD) with
 *    the requested name (usually eth0);
 *  - the pod gets /32 and /128 addresses, "169.254.1.1 dev eth0 scope link",
 *    "default via 169.254.1.1" and "default via fe80::ecee:eeff:feee:eeee"
 *    (the host end's EUI-64 link-local address), DAD off;
 *  - the host end gets proxy_arp=1, neigh proxy_delay=0, forwarding=1,
 *    proxy_ndp=1, accept_ra=0, accept_dad=0, and a host route
 *    "<ip>/32 dev <veth> scope link proto TABBY_RTPROT" per address.
 *
 * Every function returns 0 or a negative errno value; on failure
 * nl_ctx_error() says which operation failed on which object and why (CHECK:
 * what exactly is missing or wrong).
 *
 * Threads: a context is used by one thread at a time. Functions that work in a
 * pod's namespace enter it with setns() on the calling thread and return to the
 * context's own namespace before they return.
 */
#ifndef TABBY_DATAPLANE_H
#define TABBY_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tabby/prefix.h>

/*
 * Route protocol number of every route Tabby installs (rtm_protocol). Unused by
 * /etc/iproute2/rt_protos, FRR (186-197), Calico (80) and the kernel's list;
 * 84 is 'T'. `ip route show proto 84` lists Tabby's routes.
 */
#define TABBY_RTPROT 84

#define DP_GATEWAY4    "169.254.1.1"
#define DP_GATEWAY6    "fe80::ecee:eeff:feee:eeee" /* EUI-64 link-local of DP_HOST_MAC */
#define DP_HOST_MAC    "ee:ee:ee:ee:ee:ee"
#define DP_VETH_PREFIX "tabby"
#define DP_IFNAMSIZ    16 /* IFNAMSIZ, with the NUL */
#define DP_MAX_ADDRS   4
#define DP_DEFAULT_MTU 1500 /* when no interface of the node is up */

struct nl_ctx;

/*
 * Open a context in the calling thread's current network namespace (the
 * node's): one rtnetlink socket for that namespace, and a file descriptor of the
 * namespace to come back to after work inside a pod's.
 */
int nl_ctx_open(struct nl_ctx **out);
void nl_ctx_close(struct nl_ctx *ctx);
/* Text of the last failure ("RTM_NEWLINK veth tabby0123456789: File exists"). */
const char *nl_ctx_error(const struct nl_ctx *ctx);

/*
 * Host-side interface name of an endpoint: "tabby" and the first 10 hex digits
 * of the 64-bit FNV-1a hash of endpoint_id. The agent uses
 * "<container id>/<pod ifname>" (what CNI DEL also knows). out: DP_IFNAMSIZ.
 */
void dp_veth_name(const char *endpoint_id, char out[DP_IFNAMSIZ]);

struct dp_endpoint {
	const char *endpoint_id;         /* hashed into the host veth name */
	const char *host_ifname;         /* optional: overrides dp_veth_name(endpoint_id) */
	const char *netns;               /* pod netns path: /var/run/netns/x, /proc/PID/ns/net */
	const char *ifname;              /* name inside the pod, e.g. "eth0" */
	struct addr addrs[DP_MAX_ADDRS]; /* at most one per family is usual */
	unsigned n_addrs;
	unsigned mtu; /* 0: the context's last dp_default_mtu() (computed on first use) */
};

struct dp_endpoint_result {
	char host_ifname[DP_IFNAMSIZ];
	int host_ifindex;
	int pod_ifindex;
	uint8_t pod_mac[6];
	char pod_mac_str[18]; /* "0a:1b:2c:3d:4e:5f" */
	unsigned mtu;
	/*
	 * Milliseconds spent per step, for debug logs: veth pair creation,
	 * host-end sysctls, host-end batch, entering the pod namespace (socket,
	 * sysctl), pod-end batch.
	 */
	double t_create, t_sysctl, t_host, t_pod_open, t_pod;
};

/*
 * CNI ADD: wire the endpoint. A leftover host veth of the same name (a retried
 * ADD) is deleted first; on failure everything created is removed again.
 * -EEXIST if the pod already has an interface of that name, or another
 * interface already has a host route for one of the addresses.
 */
int dp_endpoint_add(struct nl_ctx *ctx, const struct dp_endpoint *ep,
                    struct dp_endpoint_result *out);

/*
 * dp_endpoint_add() in two steps, so that the caller can do other work (the
 * datastore commit of the addresses) while the kernel creates the veth pair:
 * dp_endpoint_create() makes the pair and writes the host end's sysctls; it
 * needs no addresses, only whether there will be IPv6 (v6). Then
 * dp_endpoint_finish() with ep->addrs set adds the host routes and configures
 * the pod end; dp_endpoint_abort() instead removes the pair. After a failed
 * create or finish nothing is left (the pair is removed), and the pending
 * state needs no abort. Errors as dp_endpoint_add().
 */
struct dp_endpoint_pending {
	char host[DP_IFNAMSIZ];
	int podfd;
	int host_ifindex, pod_ifindex;
	uint8_t pod_mac[6];
	unsigned mtu;
	bool v6;
	bool created;
	double t_create, t_sysctl;
};

int dp_endpoint_create(struct nl_ctx *ctx, const struct dp_endpoint *ep, bool v6,
                       struct dp_endpoint_pending *p);
int dp_endpoint_finish(struct nl_ctx *ctx, const struct dp_endpoint *ep,
                       struct dp_endpoint_pending *p, struct dp_endpoint_result *out);
void dp_endpoint_abort(struct nl_ctx *ctx, struct dp_endpoint_pending *p);

/*
 * CNI DEL: remove the veth pair (its routes go with it). Idempotent: a missing
 * netns (ep->netns NULL or gone) or interface is success. Addresses are not
 * needed: a host route cannot outlive its interface.
 */
int dp_endpoint_del(struct nl_ctx *ctx, const struct dp_endpoint *ep);

/*
 * CNI CHECK: verify the host end (veth, up, MAC, sysctls, host routes with our
 * protocol) and the pod end (link up, peer of the host end, addresses, gateway
 * and default routes). 0 if everything is in place; otherwise -ENOENT (missing)
 * or -EINVAL (present but wrong) and nl_ctx_error() names the first problem.
 */
int dp_endpoint_check(struct nl_ctx *ctx, const struct dp_endpoint *ep);

/*
 * Smallest MTU of the node's up interfaces, ignoring lo and our own veths
 * (DP_DEFAULT_MTU if none is up). Remembered in the context for endpoints
 * without an MTU; call again to refresh after the node's links changed.
 */
int dp_default_mtu(struct nl_ctx *ctx, unsigned *mtu);

/*
 * The node's own forwarding switches, as Felix sets them: net.ipv4.ip_forward=1
 * and, with v6, net.ipv6.conf.all.forwarding=1. Per-interface forwarding=1 on
 * the host ends is enough for IPv4 from pods, but Linux forwards IPv6 only with
 * the global switch, and packets from other nodes arrive on the uplink. Note:
 * with IPv6 forwarding on, interfaces with accept_ra=1 ignore router
 * advertisements (use accept_ra=2 on an uplink configured by SLAAC).
 */
int dp_node_forwarding(struct nl_ctx *ctx, bool v6);

/* Routes (main table unless table is set). */
#define DP_MAX_NEXTHOPS 16

struct dp_nexthop {
	struct addr gw; /* family 0: no gateway (a device route) */
	int ifindex;    /* 0: let the kernel resolve it from gw */
	uint8_t weight; /* 1..256 as in `ip route ... weight`; 0 means 1 */
};

struct dp_route {
	struct prefix dst;
	uint32_t table;    /* 0: RT_TABLE_MAIN */
	uint8_t type;      /* RTN_UNICAST or RTN_BLACKHOLE; 0: unicast */
	uint8_t protocol;  /* filled by dp_routes_list_own(); Tabby always installs TABBY_RTPROT */
	uint8_t scope;     /* filled on listing */
	uint32_t priority; /* metric */
	unsigned n_nexthops; /* >1: ECMP multipath (RTA_MULTIPATH) */
	struct dp_nexthop nh[DP_MAX_NEXTHOPS];
	/*
	 * Kernel nexthop object (RTA_NH_ID, Linux 5.3+) the route uses, 0 for
	 * none. Filled on listing (the kernel also reports the object's
	 * gateways in nh[] unless net.ipv4.nexthop_compat_mode is 0); when set
	 * on a route to install, RTA_NH_ID is sent instead of nh[].
	 */
	uint32_t nh_id;
};

/* Blackhole route for a block affine to this node; idempotent (replace). */
int dp_blackhole_set(struct nl_ctx *ctx, const struct prefix *block);
/* Remove our blackhole for block; a missing one is success. */
int dp_blackhole_del(struct nl_ctx *ctx, const struct prefix *block);

/* Install or replace a route with protocol TABBY_RTPROT (ECMP if n_nexthops > 1). */
int dp_route_replace(struct nl_ctx *ctx, const struct dp_route *r);
/*
 * Delete our route for r->dst (table, type and protocol TABBY_RTPROT must match:
 * another protocol's route is never touched). A missing route is success.
 */
int dp_route_del(struct nl_ctx *ctx, const struct dp_route *r);

/*
 * Call cb for every route with protocol TABBY_RTPROT of family (AF_INET,
 * AF_INET6 or AF_UNSPEC for both), in every table. The kernel filters by
 * protocol (NETLINK_GET_STRICT_CHK), so a table of a million BGP routes of
 * other protocols costs nothing here. cb returns 0 to go on, anything else
 * stops the walk and is returned; -EAGAIN if the kernel reports the dump
 * was interrupted by a concurrent change (list again). Multipath routes with more than
 * DP_MAX_NEXTHOPS next hops are reported with the first DP_MAX_NEXTHOPS.
 */
typedef int (*dp_route_cb)(const struct dp_route *r, void *arg);
int dp_routes_list_own(struct nl_ctx *ctx, int family, dp_route_cb cb, void *arg);

/*
 * Batched FIB programming (for the BGP FIB sync and the reconciler).
 *
 * Requests are queued and sent DP_FIB_WINDOW at a time in one sendmsg(), and
 * the acknowledgements are matched to their routes by sequence number, so one
 * failing route costs that route only: fib_batch_flush() calls the error
 * callback with the route, the operation and the errno, and goes on.
 *  - fib_batch_add(): create with NLM_F_EXCL. -EEXIST means another route for
 *    the prefix (maybe another protocol's) is there: it is left alone.
 *  - fib_batch_replace(): NLM_F_REPLACE, for a route the caller knows is ours
 *    (it was in dp_routes_list_own()), e.g. a changed ECMP next-hop set.
 *  - fib_batch_del(): delete our route (protocol TABBY_RTPROT) for r->dst;
 *    a route already gone is not an error.
 * Queued requests are sent when the window is full and on fib_batch_flush().
 */
#define DP_FIB_WINDOW 64

enum fib_op { FIB_ADD, FIB_REPLACE, FIB_DEL };
typedef void (*fib_batch_err_cb)(const struct dp_route *r, enum fib_op op, int err, const char *why,
                                 void *arg);
struct fib_batch;

int fib_batch_open(struct nl_ctx *ctx, fib_batch_err_cb cb, void *arg, struct fib_batch **out);
int fib_batch_add(struct fib_batch *b, const struct dp_route *r);
int fib_batch_replace(struct fib_batch *b, const struct dp_route *r);
int fib_batch_del(struct fib_batch *b, const struct dp_route *r);
/*
 * Send what is queued and wait for every answer. Returns the number of routes
 * that failed since the batch was opened (or last flushed), or a negative errno
 * if the socket itself failed.
 */
int fib_batch_flush(struct fib_batch *b);
/* Flush and free; returns what the final fib_batch_flush() returned. */
int fib_batch_close(struct fib_batch *b);

/*
 * Kernel nexthop objects for learned routes (nexthop.c, doc/dataplane.md).
 *
 * A table interns next-hop sets: fib_nh_get() returns the one set for a
 * family and a list of gateways (order does not matter) and takes a
 * reference; the caller holds one per route and drops it with fib_nh_put().
 * A set becomes one kernel nexthop object of protocol TABBY_RTPROT (an ECMP
 * set: a group object, NHA_GROUP, over one object per gateway), created by
 * the first batch that installs a route through it, before that route, and
 * deleted by the fib_batch_flush() after its last user went. Routes through a
 * set are installed with RTA_NH_ID only (fib_batch_add_via/_replace_via).
 * Should the kernel refuse nexthop objects (EOPNOTSUPP, EAFNOSUPPORT: no
 * nexthop support; EINVAL for one set, e.g. a gateway not on a link), the
 * routes fall back to plain RTA_GATEWAY/RTA_MULTIPATH, logged once.
 *
 * fib_nh_table_open() adopts the protocol-84 nexthop objects an earlier run
 * left (so that its routes keep forwarding): fib_nh_by_id() takes a reference
 * on one for an adopted route, and fib_nh_table_gc() then deletes the objects
 * nobody referenced. fib_nh_table_sync() re-reads the kernel's objects (the
 * kernel removes an object, and its routes, when its link goes down): a set
 * whose object is gone is created again by the next route through it.
 */
struct fib_nh;
struct fib_nh_table;

int fib_nh_table_open(struct nl_ctx *ctx, struct fib_nh_table **out);
/* Frees the table; kernel objects stay (their routes keep forwarding). */
void fib_nh_table_close(struct fib_nh_table *t);
/* Delete adopted and unused objects now; returns how many went, or -errno. */
int fib_nh_table_gc(struct fib_nh_table *t);
int fib_nh_table_sync(struct fib_nh_table *t);
/* false once the kernel refused nexthop objects: every route is plain. */
bool fib_nh_table_objects(const struct fib_nh_table *t);
/* Number of sets (objects) in use. */
size_t fib_nh_table_count(const struct fib_nh_table *t);
void fib_nh_table_disable(struct fib_nh_table *t); /* plain routes from now on (tests) */
/* A message for the operator (the fallback, a refused object), once; NULL if none. */
const char *fib_nh_table_notice(struct fib_nh_table *t);

/* NULL: out of memory or a bad argument (n 0 or > DP_MAX_NEXTHOPS, mixed families). */
struct fib_nh *fib_nh_get(struct fib_nh_table *t, int family, const struct dp_nexthop *hops,
                          unsigned n);
/* A reference on the (adopted) set whose kernel object has this id; NULL if none. */
struct fib_nh *fib_nh_by_id(struct fib_nh_table *t, uint32_t id);
void fib_nh_put(struct fib_nh_table *t, struct fib_nh *h);
/* Gateways of the set (sorted); *n their number. */
const struct dp_nexthop *fib_nh_hops(const struct fib_nh *h, unsigned *n);
/* Kernel object id the set's routes use; 0 while it has none or the routes are plain. */
uint32_t fib_nh_id(const struct fib_nh *h);
/* How many references h has (routes, and the groups it is a member of). */
unsigned fib_nh_refs(const struct fib_nh *h);

/*
 * Routes through nexthop sets: the batch creates and removes the objects.
 * Call right after fib_batch_open(): the batch then also takes the fast path
 * (the table's own socket, 1024 requests per sendmsg(), one acknowledgement
 * per window; doc/dataplane.md).
 */
void fib_batch_set_nexthops(struct fib_batch *b, struct fib_nh_table *t);
int fib_batch_add_via(struct fib_batch *b, const struct prefix *dst, struct fib_nh *h);
int fib_batch_replace_via(struct fib_batch *b, const struct prefix *dst, struct fib_nh *h);

#endif
