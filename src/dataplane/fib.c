/*
 * DOC: batched FIB programming with per-route error attribution.
 *
 * A batch holds a window of built requests: routes, and the nexthop objects
 * they need (nexthop.c). The window goes out in one sendmsg() and an errno
 * comes back per request (matched by sequence number), which
 * fib_batch_flush() hands to the caller's callback together with the route
 * it belongs to. A plain batch sends DP_FIB_WINDOW libnl messages through
 * dp_nl_transact() (an acknowledgement each); a batch with a nexthop table
 * writes its requests straight into one buffer and sends FIB_SOCK_WINDOW of
 * them on the table's own socket, with an acknowledgement for the last only
 * (fib_sock.c). Deletions carry rtm_protocol TABBY_RTPROT, which the
 * kernel matches (fib_table_delete, ip6_route_del), so another protocol's
 * route is never removed.
 *
 * With a nexthop table attached (fib_batch_set_nexthops), a route through a
 * set whose kernel object does not exist yet is queued behind the object's
 * creation (RTM_NEWNEXTHOP: the kernel handles the messages of one stream in
 * order). Should that creation fail, the route failed too ("nexthop id does
 * not exist"): it is not reported but queued again, now as a plain route (the
 * kernel refused the object) or behind a creation with another id (the id was
 * taken). Sets that lost their last route are deleted at fib_batch_flush(),
 * after the routes that used them.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/attr.h>

#include "fib_int.h"
#include "fib_sock.h"

#define FIB_RETRIES 3 /* a route re-queued behind a failed object creation */

enum fib_req_kind { FIB_REQ_ROUTE, FIB_REQ_NH_NEW, FIB_REQ_NH_DEL };

struct fib_req {
	enum fib_req_kind kind;
	enum fib_op op;
	struct fib_nh *via; /* the set the route goes through, or the set created */
	unsigned tries;
	struct dp_route route;
};

#define FIB_BUF_BYTES (128 * 1024) /* requests per sendmsg() on the fast path, at most */

struct fib_batch {
	struct nl_ctx *ctx;
	struct fib_nh_table *nh;
	struct fib_sock *sock; /* the fast path: the table's socket */
	fib_batch_err_cb cb;
	void *arg;
	size_t n, cap;
	int failed;
	struct nl_msg *msg[DP_FIB_WINDOW]; /* plain batch: libnl messages */
	struct fib_req *req, *retry;       /* cap entries each */
	int *errs;
	char *buf; /* fast path: the requests back to back */
	size_t len;
};

static int fib_batch_alloc(struct fib_batch *b, size_t cap)
{
	struct fib_req *req = realloc(b->req, cap * sizeof(*req));
	struct fib_req *retry = req ? realloc(b->retry, cap * sizeof(*retry)) : NULL;
	int *errs = retry ? realloc(b->errs, cap * sizeof(*errs)) : NULL;

	if (req)
		b->req = req;
	if (retry)
		b->retry = retry;
	if (!errs)
		return -ENOMEM;
	b->errs = errs;
	b->cap = cap;
	return 0;
}

static int fib_batch_queue_req(struct fib_batch *b, const struct fib_req *rq);
static void fib_batch_free(struct fib_batch *b);

int fib_batch_open(struct nl_ctx *ctx, fib_batch_err_cb cb, void *arg, struct fib_batch **out)
{
	struct fib_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->ctx = ctx;
	b->cb = cb;
	b->arg = arg;
	if (fib_batch_alloc(b, DP_FIB_WINDOW) < 0) {
		fib_batch_free(b);
		return -ENOMEM;
	}
	*out = b;
	return 0;
}

static void fib_batch_free(struct fib_batch *b)
{
	/* A fast batch's buffers go back to the table for the next batch. */
	if (b->sock && b->nh && !b->nh->spare) {
		b->nh->spare = b;
		return;
	}
	free(b->req);
	free(b->retry);
	free(b->errs);
	free(b->buf);
	free(b);
}

void fib_batch_spare_free(struct fib_batch *b)
{
	if (!b)
		return;
	b->nh = NULL;
	fib_batch_free(b);
}

void fib_batch_set_nexthops(struct fib_batch *b, struct fib_nh_table *t)
{
	struct fib_batch *spare;

	b->nh = t;
	/* The fast path, if the table has its socket and nothing is queued yet. */
	if (!t || !t->sock || b->n || b->sock)
		return;
	spare = t->spare;
	if (spare) { /* the buffers of the last batch, instead of new ones (and page faults) */
		t->spare = NULL;
		free(b->req);
		free(b->retry);
		free(b->errs);
		b->req = spare->req;
		b->retry = spare->retry;
		b->errs = spare->errs;
		b->buf = spare->buf;
		b->cap = spare->cap;
		b->sock = t->sock;
		free(spare);
		return;
	}
	b->buf = malloc(FIB_BUF_BYTES);
	if (!b->buf || fib_batch_alloc(b, FIB_SOCK_WINDOW) < 0) {
		free(b->buf);
		b->buf = NULL;
		return; /* the plain path still works */
	}
	b->sock = t->sock;
}

static void fib_batch_report(struct fib_batch *b, const struct fib_req *rq, int err,
                             const char *why)
{
	b->failed++;
	if (b->cb)
		b->cb(&rq->route, rq->op, err, why, b->arg);
}

/* Send the window; errors go to the callback. Returns 0 or a socket errno. */
static int fib_batch_send(struct fib_batch *b)
{
	struct fib_req *retry = b->retry;
	int *errs = b->errs;
	size_t i, n = b->n, n_retry = 0;
	char ext[256];
	int rc, ret;

	if (n == 0)
		return 0;
	if (b->sock)
		rc = fib_sock_send(b->sock, b->buf, b->len, n, errs, ext, sizeof(ext));
	else
		rc = dp_nl_transact(b->ctx->sk, b->msg, errs, n, NULL, NULL, ext, sizeof(ext));
	b->len = 0;
	/* Creations first: a route's fate depends on its object's. */
	for (i = 0; i < n; i++) {
		struct fib_req *rq = &b->req[i];

		if (rq->kind == FIB_REQ_NH_NEW && rq->via->state == FIB_NH_PENDING)
			fib_nh_created(b->nh, rq->via, rc < 0 ? rc : errs[i],
			               dp_nl_strerror(rc < 0 ? rc : errs[i], ext));
	}
	for (i = 0; i < n; i++) {
		struct fib_req *rq = &b->req[i];
		int err = rc < 0 ? rc : errs[i];

		if (!b->sock) {
			nlmsg_free(b->msg[i]);
			b->msg[i] = NULL;
		}
		if (rq->kind != FIB_REQ_ROUTE)
			continue; /* an object's deletion failing costs nothing */
		if (rq->op == FIB_DEL && (err == -ESRCH || err == -ENOENT))
			err = 0;
		if (rc == 0 && rq->route.nh_id && rq->via && rq->via->state != FIB_NH_KERNEL &&
		    rq->tries < FIB_RETRIES) {
			/*
			 * Its object was refused: the route failed, or (the id
			 * is someone else's) went through the wrong object and
			 * is ours to replace.
			 */
			retry[n_retry] = *rq;
			if (err == 0 && rq->op == FIB_ADD)
				retry[n_retry].op = FIB_REPLACE;
			retry[n_retry++].tries++;
			continue;
		}
		if (err < 0)
			fib_batch_report(b, rq, err, dp_nl_strerror(err, NULL));
	}
	if (rc < 0) {
		char p[PREFIX_STRLEN];

		dp_nl_err(b->ctx, "FIB batch of %zu requests (first %s): netlink: %s", n,
		          dp_nl_prefix_str(&b->req[0].route.dst, p, sizeof(p)), strerror(-rc));
	}
	b->n = 0;
	/* The retries live in b->retry, which the next window's failures reuse: copy out. */
	for (i = 0, ret = 0; i < n_retry && ret >= 0; i++) {
		struct fib_req rq = retry[i];

		ret = fib_batch_queue_req(b, &rq);
	}
	return rc < 0 ? rc : ret;
}

/* Room for len more bytes in the fast path's buffer (sending what is queued if need be). */
static int fib_batch_room(struct fib_batch *b, size_t len)
{
	if (b->len + len <= FIB_BUF_BYTES)
		return 0;
	return fib_batch_send(b);
}

static int fib_batch_queued(struct fib_batch *b, const struct fib_req *rq)
{
	b->req[b->n++] = *rq;
	if (b->n == b->cap)
		return fib_batch_send(b);
	return 0;
}

static int fib_batch_push(struct fib_batch *b, struct nl_msg *msg, const struct fib_req *rq)
{
	size_t len;
	int rc;

	if (!msg)
		return -ENOMEM;
	if (!b->sock) {
		b->msg[b->n] = msg;
		return fib_batch_queued(b, rq);
	}
	len = NLMSG_ALIGN(nlmsg_hdr(msg)->nlmsg_len);
	rc = fib_batch_room(b, len);
	if (rc < 0) {
		nlmsg_free(msg);
		return rc;
	}
	memcpy(b->buf + b->len, nlmsg_hdr(msg), len);
	b->len += len;
	nlmsg_free(msg);
	return fib_batch_queued(b, rq);
}

static void fib_batch_attr(char *msg, size_t *off, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(msg + *off);

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	*off += NLA_ALIGN(a->nla_len);
}

/*
 * Fast path: a deletion or a route through a nexthop object, written in
 * place (what dp_nl_route_msg() would build, without an allocation).
 */
static int fib_batch_push_route(struct fib_batch *b, int cmd, int flags, uint8_t scope,
                                const struct fib_req *rq)
{
	const struct dp_route *r = &rq->route;
	uint32_t table = r->table ? r->table : RT_TABLE_MAIN;
	size_t alen = r->dst.addr.family == AF_INET ? 4 : 16, off;
	struct nlmsghdr *h;
	struct rtmsg *rtm;
	int rc;

	rc = fib_batch_room(b, 96);
	if (rc < 0)
		return rc;
	h = (struct nlmsghdr *)(b->buf + b->len);
	memset(h, 0, 96);
	h->nlmsg_type = (uint16_t)cmd;
	h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	rtm = NLMSG_DATA(h);
	rtm->rtm_family = r->dst.addr.family;
	rtm->rtm_dst_len = r->dst.len;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = TABBY_RTPROT;
	rtm->rtm_scope = scope;
	rtm->rtm_type = cmd == RTM_DELROUTE ? r->type : (r->type ? r->type : RTN_UNICAST);
	off = NLMSG_SPACE(sizeof(*rtm));
	if (r->dst.len)
		fib_batch_attr(b->buf + b->len, &off, RTA_DST, r->dst.addr.bytes, alen);
	if (table >= 256)
		fib_batch_attr(b->buf + b->len, &off, RTA_TABLE, &table, 4);
	if (r->priority)
		fib_batch_attr(b->buf + b->len, &off, RTA_PRIORITY, &r->priority, 4);
	if (cmd == RTM_NEWROUTE)
		fib_batch_attr(b->buf + b->len, &off, RTA_NH_ID, &r->nh_id, 4);
	h->nlmsg_len = (uint32_t)off;
	b->len += NLMSG_ALIGN(off);
	return fib_batch_queued(b, rq);
}

/* Queue the creation of h's object (members first) unless it exists or is on its way. */
static int fib_batch_create(struct fib_batch *b, struct fib_nh *h)
{
	struct fib_req rq = {.kind = FIB_REQ_NH_NEW, .via = h};
	unsigned i;
	int rc;

	if (h->state != FIB_NH_NEW)
		return 0;
	for (i = 0; h->n > 1 && i < h->n; i++) {
		rc = fib_batch_create(b, h->member[i]);
		if (rc < 0)
			return rc;
	}
	h->state = FIB_NH_PENDING;
	return fib_batch_push(b, fib_nh_new_msg(h), &rq);
}

static int fib_batch_queue_req(struct fib_batch *b, const struct fib_req *in)
{
	static const int flags[] = {
	    [FIB_ADD] = NLM_F_CREATE | NLM_F_EXCL,
	    [FIB_REPLACE] = NLM_F_CREATE | NLM_F_REPLACE,
	    [FIB_DEL] = 0,
	};
	struct fib_req rq = *in;
	int rc;

	rq.route.nh_id = 0;
	if (rq.via && rq.op != FIB_DEL && b->nh && fib_nh_prepare(b->nh, rq.via)) {
		/* Room for the object, its members and the route in one window. */
		if (b->n + rq.via->n + 2 > b->cap) {
			rc = fib_batch_send(b);
			if (rc < 0)
				return rc;
		}
		rc = fib_batch_create(b, rq.via);
		if (rc < 0)
			return rc;
		rq.route.nh_id = rq.via->id;
	}
	if (b->sock && (rq.op == FIB_DEL || rq.route.nh_id))
		return fib_batch_push_route(
		    b, rq.op == FIB_DEL ? RTM_DELROUTE : RTM_NEWROUTE, flags[rq.op],
		    rq.op == FIB_DEL ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE, &rq);
	return fib_batch_push(
	    b,
	    dp_nl_route_msg(rq.op == FIB_DEL ? RTM_DELROUTE : RTM_NEWROUTE, flags[rq.op], &rq.route,
	                    TABBY_RTPROT, rq.op == FIB_DEL ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE),
	    &rq);
}

static int fib_batch_queue(struct fib_batch *b, enum fib_op op, const struct dp_route *r)
{
	struct fib_req rq = {.kind = FIB_REQ_ROUTE, .op = op};

	if (r->n_nexthops > DP_MAX_NEXTHOPS ||
	    (r->dst.addr.family != AF_INET && r->dst.addr.family != AF_INET6))
		return -EINVAL;
	rq.route = *r;
	return fib_batch_queue_req(b, &rq);
}

/* A route through set h: its gateways for a plain route and for error reports. */
static int fib_batch_queue_via(struct fib_batch *b, enum fib_op op, const struct prefix *dst,
                               struct fib_nh *h)
{
	struct fib_req rq = {.kind = FIB_REQ_ROUTE, .op = op, .via = h};
	const struct dp_nexthop *hops;
	unsigned n;

	if (!b->nh || !h || (dst->addr.family != AF_INET && dst->addr.family != AF_INET6) ||
	    h->family != dst->addr.family)
		return -EINVAL;
	rq.route.dst = *dst;
	hops = fib_nh_hops(h, &n);
	rq.route.n_nexthops = n;
	memcpy(rq.route.nh, hops, n * sizeof(*hops));
	return fib_batch_queue_req(b, &rq);
}

int fib_batch_add(struct fib_batch *b, const struct dp_route *r)
{
	return fib_batch_queue(b, FIB_ADD, r);
}

int fib_batch_replace(struct fib_batch *b, const struct dp_route *r)
{
	return fib_batch_queue(b, FIB_REPLACE, r);
}

int fib_batch_del(struct fib_batch *b, const struct dp_route *r)
{
	return fib_batch_queue(b, FIB_DEL, r);
}

int fib_batch_add_via(struct fib_batch *b, const struct prefix *dst, struct fib_nh *h)
{
	return fib_batch_queue_via(b, FIB_ADD, dst, h);
}

int fib_batch_replace_via(struct fib_batch *b, const struct prefix *dst, struct fib_nh *h)
{
	return fib_batch_queue_via(b, FIB_REPLACE, dst, h);
}

/* Delete the objects of sets nobody uses any more: after the routes, groups first. */
static int fib_batch_reap(struct fib_batch *b)
{
	struct fib_req rq = {.kind = FIB_REQ_NH_DEL};
	struct fib_nh *h;
	int rc = 0;

	while (rc >= 0 && (h = fib_nh_reap(b->nh))) {
		if (h->state == FIB_NH_KERNEL || h->state == FIB_NH_PENDING)
			rc = fib_batch_push(b, fib_nh_del_msg(h->id), &rq);
		fib_nh_free(b->nh, h);
	}
	return rc;
}

int fib_batch_flush(struct fib_batch *b)
{
	int rc = 0, failed;

	while (rc == 0 && b->n) /* a window's retries are queued again */
		rc = fib_batch_send(b);
	if (rc == 0 && b->nh && b->nh->dead) {
		rc = fib_batch_reap(b);
		while (rc == 0 && b->n)
			rc = fib_batch_send(b);
	}
	failed = b->failed;
	b->failed = 0;
	return rc < 0 ? rc : failed;
}

int fib_batch_close(struct fib_batch *b)
{
	int rc;

	if (!b)
		return 0;
	rc = fib_batch_flush(b);
	fib_batch_free(b);
	return rc;
}
