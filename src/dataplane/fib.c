/*
 * DOC: batched FIB programming with per-route error attribution.
 *
 * A batch holds up to DP_FIB_WINDOW built requests and a copy of each route.
 * dp_nl_transact() sends the window in one sendmsg() and reports an errno per
 * request (matched by sequence number), which fib_batch_flush() hands to the
 * caller's callback together with the route it belongs to. Deletions carry
 * rtm_protocol TABBY_RTPROT, which the kernel matches (fib_table_delete,
 * ip6_route_del), so another protocol's route is never removed.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nl_int.h"

struct fib_batch {
	struct nl_ctx *ctx;
	fib_batch_err_cb cb;
	void *arg;
	size_t n;
	int failed;
	struct nl_msg *msg[DP_FIB_WINDOW];
	enum fib_op op[DP_FIB_WINDOW];
	struct dp_route route[DP_FIB_WINDOW];
};

int fib_batch_open(struct nl_ctx *ctx, fib_batch_err_cb cb, void *arg, struct fib_batch **out)
{
	struct fib_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->ctx = ctx;
	b->cb = cb;
	b->arg = arg;
	*out = b;
	return 0;
}

/* Send the window; errors go to the callback. Returns 0 or a socket errno. */
static int fib_batch_send(struct fib_batch *b)
{
	int errs[DP_FIB_WINDOW];
	char ext[256];
	size_t i;
	int rc;

	if (b->n == 0)
		return 0;
	rc = dp_nl_transact(b->ctx->sk, b->msg, errs, b->n, NULL, NULL, ext, sizeof(ext));
	for (i = 0; i < b->n; i++) {
		int err = rc < 0 ? rc : errs[i];

		if (b->op[i] == FIB_DEL && (err == -ESRCH || err == -ENOENT))
			err = 0;
		if (err < 0) {
			b->failed++;
			if (b->cb)
				b->cb(&b->route[i], b->op[i], err, strerror(-err), b->arg);
		}
		nlmsg_free(b->msg[i]);
		b->msg[i] = NULL;
	}
	if (rc < 0) {
		char p[PREFIX_STRLEN];

		dp_nl_err(b->ctx, "FIB batch of %zu routes (first %s): netlink: %s", b->n,
		          dp_nl_prefix_str(&b->route[0].dst, p, sizeof(p)), strerror(-rc));
	}
	b->n = 0;
	return rc;
}

static int fib_batch_queue(struct fib_batch *b, enum fib_op op, const struct dp_route *r)
{
	static const int flags[] = {
	    [FIB_ADD] = NLM_F_CREATE | NLM_F_EXCL,
	    [FIB_REPLACE] = NLM_F_CREATE | NLM_F_REPLACE,
	    [FIB_DEL] = 0,
	};
	struct nl_msg *msg;

	if (r->n_nexthops > DP_MAX_NEXTHOPS ||
	    (r->dst.addr.family != AF_INET && r->dst.addr.family != AF_INET6))
		return -EINVAL;
	msg = dp_nl_route_msg(op == FIB_DEL ? RTM_DELROUTE : RTM_NEWROUTE, flags[op], r,
	                      TABBY_RTPROT, op == FIB_DEL ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE);
	if (!msg)
		return -ENOMEM;
	b->msg[b->n] = msg;
	b->op[b->n] = op;
	b->route[b->n] = *r;
	b->n++;
	if (b->n == DP_FIB_WINDOW)
		return fib_batch_send(b);
	return 0;
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

int fib_batch_flush(struct fib_batch *b)
{
	int rc = fib_batch_send(b), failed = b->failed;

	b->failed = 0;
	return rc < 0 ? rc : failed;
}

int fib_batch_close(struct fib_batch *b)
{
	int rc;

	if (!b)
		return 0;
	rc = fib_batch_flush(b);
	free(b);
	return rc;
}
