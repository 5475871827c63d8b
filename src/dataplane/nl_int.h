/*
 * DOC: private plumbing of the dataplane library.
 *
 * nl.c: the context, error text, rtnetlink sockets (one per namespace),
 * pipelined requests with acknowledgements attributed by sequence number,
 * dumps, entering and leaving a pod's namespace, /proc/sys writes.
 * link.c: links by name, veth creation, MTU. route.c: route messages.
 */
#ifndef TABBY_DP_NL_INT_H
#define TABBY_DP_NL_INT_H

#include <stdint.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>

#include <tabby/dataplane.h>

struct nl_ctx {
	struct nl_sock *sk;   /* rtnetlink in the node namespace */
	int self_ns;          /* fd of the node namespace, to return to */
	unsigned default_mtu; /* dp_default_mtu() once computed, 0 before */
	char err[512];
};

void dp_nl_err(struct nl_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* errno text, or the kernel's extended ACK message when there was one. */
const char *dp_nl_strerror(int err, const char *extack);

/* A new rtnetlink socket in the calling thread's namespace (strict checks, extended ACKs). */
int dp_nl_sock_open(struct nl_sock **out);
void dp_nl_sock_close(struct nl_sock *sk);

/* Called for each reply message (not acks): return 0, or non-zero to stop and return it. */
typedef int (*dp_nl_reply_cb)(struct nlmsghdr *h, void *arg);

/*
 * Send msgs[0..n) back to back, each with NLM_F_ACK, then collect the n
 * acknowledgements: errs[i] is 0 or the negative errno of request i; the
 * kernel's extended-ACK text of the first failure goes to extack (may be
 * NULL). Replies (to GET requests) go to cb. Returns 0 when every request was
 * answered (look at errs), or a negative errno if the socket failed.
 */
int dp_nl_transact(struct nl_sock *sk, struct nl_msg **msgs, int *errs, size_t n, dp_nl_reply_cb cb,
                   void *arg, char *extack, size_t extack_len);
/* One request; returns its result. */
int dp_nl_request(struct nl_sock *sk, struct nl_msg *msg, dp_nl_reply_cb cb, void *arg,
                  char *extack, size_t extack_len);
/* A dump request (NLM_F_DUMP set by the caller); cb per message. */
int dp_nl_dump(struct nl_sock *sk, struct nl_msg *req, dp_nl_reply_cb cb, void *arg);

/* setns() into the namespace at path (fd kept in *fd) and back to ctx->self_ns. */
int dp_nl_ns_enter(struct nl_ctx *ctx, const char *path, int *fd);
void dp_nl_ns_leave(struct nl_ctx *ctx);

/* "net/ipv4/conf/<if>/proxy_arp" style path under /proc/sys, current namespace. */
int dp_nl_sysctl_write(const char *path, const char *value);
/* Write name (relative to dirfd, or absolute with AT_FDCWD). */
int dp_nl_sysctl_write_at(int dirfd, const char *name, const char *value);
int dp_nl_sysctl_read(const char *path, char *buf, size_t len);

/* link.c */
struct dp_nl_link_info {
	int ifindex;
	unsigned flags;
	unsigned mtu;
	uint8_t mac[6];
	int link; /* IFLA_LINK: the veth peer's ifindex (in its own namespace) */
	char kind[16];
	char name[DP_IFNAMSIZ];
};
int dp_nl_link_parse(struct nlmsghdr *h, struct dp_nl_link_info *out);
int dp_nl_link_get(struct nl_sock *sk, const char *name, struct dp_nl_link_info *out);
struct nl_msg *dp_nl_link_up_msg(int ifindex);
int dp_nl_link_del(struct nl_sock *sk, const char *name, char *extack, size_t extack_len);

/* route.c */
struct nl_msg *dp_nl_route_msg(int cmd, int flags, const struct dp_route *r, uint8_t protocol,
                               uint8_t scope);
struct nl_msg *dp_nl_addr_msg(int ifindex, const struct addr *a, unsigned plen, uint32_t flags);
/* Parse an RTM_NEWROUTE message; -EAGAIN for messages to skip (cloned, foreign family). */
int dp_nl_route_parse(struct nlmsghdr *h, struct dp_route *r);
/* Dump routes of family; proto/oif filter in the kernel when non-zero. */
int dp_nl_route_dump(struct nl_sock *sk, int family, uint8_t protocol, int oif, dp_route_cb cb,
                     void *arg);
/* The FIB entry the kernel would use for a (RTM_F_FIB_MATCH); -ENOENT/-ENETUNREACH if none. */
int dp_nl_route_lookup(struct nl_sock *sk, const struct addr *a, struct dp_route *out);
/* Host prefix (/32, /128) of a; an address constant (must parse). */
void dp_host_prefix(struct prefix *p, const struct addr *a);
void dp_addr_const(struct addr *a, int family, const char *s);
const char *dp_nl_addr_str(const struct addr *a, char *buf, size_t len);
const char *dp_nl_prefix_str(const struct prefix *p, char *buf, size_t len);

#endif
