/*
 * DOC: netlink context, pipelined requests, namespaces and sysctls.
 *
 * Requests are pipelined: dp_nl_transact() sends every message first and then
 * reads the acknowledgements, matching each to its request by sequence
 * number, so n requests cost one wait instead of n and an error is attributed
 * to the right object. The same engine serves one-off requests, the endpoint
 * setup batches and (later) FIB batches. Sockets enable NETLINK_EXT_ACK, so
 * the kernel's own explanation ("Nexthop device is not up") reaches the
 * operator, and NETLINK_GET_STRICT_CHK, so dumps can be filtered in the kernel.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include <linux/netlink.h>
#include <netlink/socket.h>
#include <netlink/attr.h>
#include <netlink/handlers.h>

#include "nl_int.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

void dp_nl_err(struct nl_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
	va_end(ap);
}

const char *nl_ctx_error(const struct nl_ctx *ctx)
{
	return ctx->err;
}

const char *dp_nl_strerror(int err, const char *extack)
{
	if (extack && extack[0])
		return extack;
	return strerror(err < 0 ? -err : err);
}

static int dp_nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_DUMP_INTR:
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_PERM:
		return -EPERM;
	case NLE_BAD_SOCK:
		return -EBADF;
	default:
		return -EIO;
	}
}

int dp_nl_sock_open(struct nl_sock **out)
{
	struct nl_sock *sk;
	int one = 1, rc;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0) {
		rc = dp_nl_errno(rc);
		goto fail;
	}
	nl_socket_disable_seq_check(sk);
	/*
	 * One recvmsg() per datagram instead of a peek and a read: the kernel
	 * never sends a datagram above 32 KiB (netlink_dump caps its skb).
	 */
	nl_socket_disable_msg_peek(sk);
	rc = nl_socket_set_msg_buf_size(sk, 65536);
	if (rc < 0) {
		rc = dp_nl_errno(rc);
		goto fail;
	}
	/* Both are optional refinements: ignore failures on old kernels. */
	(void)setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one,
	                 sizeof(one));
	*out = sk;
	return 0;
fail:
	nl_socket_free(sk);
	return rc;
}

void dp_nl_sock_close(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

int nl_ctx_open(struct nl_ctx **out)
{
	struct nl_ctx *ctx;
	int rc;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->self_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ctx->self_ns < 0) {
		rc = -errno;
		goto fail;
	}
	rc = dp_nl_sock_open(&ctx->sk);
	if (rc < 0)
		goto fail;
	*out = ctx;
	return 0;
fail:
	if (ctx->self_ns >= 0)
		close(ctx->self_ns);
	free(ctx);
	return rc;
}

void nl_ctx_close(struct nl_ctx *ctx)
{
	if (!ctx)
		return;
	dp_nl_sock_close(ctx->sk);
	close(ctx->self_ns);
	free(ctx);
}

struct dp_nl_xact {
	uint32_t first_seq;
	size_t n;
	int *errs;
	size_t answered;
	dp_nl_reply_cb cb;
	void *arg;
	int cb_rc;
	char *extack;
	size_t extack_len;
};

static void dp_nl_xact_answer(struct dp_nl_xact *x, uint32_t seq, int err)
{
	uint32_t i = seq - x->first_seq;

	if (i >= x->n)
		return; /* a late answer to an earlier exchange */
	x->errs[i] = err;
	x->answered++;
}

static int dp_nl_xact_ack(struct nl_msg *msg, void *arg)
{
	dp_nl_xact_answer(arg, nlmsg_hdr(msg)->nlmsg_seq, 0);
	return NL_OK;
}

/* RFC 3549 style error message, with the extended ACK TLVs of Linux 4.12+. */
static int dp_nl_xact_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct dp_nl_xact *x = arg;
	struct nlmsghdr *h = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off;

	dp_nl_xact_answer(x, e->msg.nlmsg_seq, e->error);
	if (!x->extack || x->extack[0] || !(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_SKIP;
	off = NLMSG_HDRLEN + sizeof(*e);
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	if (off >= h->nlmsg_len)
		return NL_SKIP;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)h + off),
	              (int)(h->nlmsg_len - off), NULL) == 0 &&
	    tb[NLMSGERR_ATTR_MSG])
		snprintf(x->extack, x->extack_len, "%s (%s)", strerror(-e->error),
		         (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	return NL_SKIP;
}

static int dp_nl_xact_valid(struct nl_msg *msg, void *arg)
{
	struct dp_nl_xact *x = arg;

	/*
	 * Only replies to this exchange's requests: a late reply to an earlier
	 * exchange (or a notification, sequence 0) must not be taken for ours,
	 * e.g. another link's RTM_NEWLINK for the veth just created.
	 */
	if (nlmsg_hdr(msg)->nlmsg_seq - x->first_seq >= x->n)
		return NL_OK;
	if (x->cb && !x->cb_rc)
		x->cb_rc = x->cb(nlmsg_hdr(msg), x->arg);
	return NL_OK;
}

/* Requests are in flight together: sequence numbers are matched in dp_nl_xact_answer(). */
static int dp_nl_xact_seq(struct nl_msg *msg, void *arg)
{
	return NL_OK;
}

static struct nl_cb *dp_nl_xact_cb(struct dp_nl_xact *x)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);

	if (!cb)
		return NULL;
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, dp_nl_xact_ack, x);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, dp_nl_xact_valid, x);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, dp_nl_xact_seq, NULL);
	nl_cb_err(cb, NL_CB_CUSTOM, dp_nl_xact_error, x);
	return cb;
}

/*
 * Requests go out DP_NL_WINDOW at a time in one sendmsg() (the kernel handles
 * the messages of one datagram in order and acknowledges each), and the window
 * is drained before the next one: the acknowledgements of a window always fit
 * the socket's receive buffer, so none is lost to ENOBUFS.
 */
#define DP_NL_WINDOW 64

int dp_nl_transact(struct nl_sock *sk, struct nl_msg **msgs, int *errs, size_t n, dp_nl_reply_cb cb,
                   void *arg, char *extack, size_t extack_len)
{
	struct dp_nl_xact x = {
	    .errs = errs, .cb = cb, .arg = arg, .extack = extack, .extack_len = extack_len};
	struct iovec iov[DP_NL_WINDOW];
	struct nl_cb *ncb = NULL;
	size_t i, done = 0, w;
	int rc = 0;

	if (extack && extack_len)
		extack[0] = '\0';
	for (i = 0; i < n; i++)
		errs[i] = -ETIMEDOUT;
	if (n == 0)
		return 0;
	ncb = dp_nl_xact_cb(&x);
	if (!ncb)
		return -ENOMEM;
	while (done < n && rc == 0) {
		w = n - done < DP_NL_WINDOW ? n - done : DP_NL_WINDOW;
		for (i = 0; i < w; i++) {
			struct nlmsghdr *h = nlmsg_hdr(msgs[done + i]);

			h->nlmsg_flags |= NLM_F_ACK;
			h->nlmsg_seq = NL_AUTO_SEQ;
			nl_complete_msg(sk, msgs[done + i]);
			iov[i].iov_base = h;
			iov[i].iov_len = NLMSG_ALIGN(h->nlmsg_len);
		}
		/* Consecutive sequence numbers: answer i of this window is seq first + i. */
		x.first_seq = nlmsg_hdr(msgs[done])->nlmsg_seq;
		x.errs = errs + done;
		x.n = w;
		x.answered = 0;
		rc = nl_send_iovec(sk, msgs[done], iov, (unsigned)w);
		if (rc < 0) {
			rc = dp_nl_errno(rc);
			break;
		}
		rc = 0;
		while (x.answered < w) {
			int r = nl_recvmsgs(sk, ncb);

			if (r < 0) {
				rc = dp_nl_errno(r);
				break;
			}
		}
		done += w;
	}
	nl_cb_put(ncb);
	return rc;
}

int dp_nl_request(struct nl_sock *sk, struct nl_msg *msg, dp_nl_reply_cb cb, void *arg,
                  char *extack, size_t extack_len)
{
	int err = 0, rc;

	rc = dp_nl_transact(sk, &msg, &err, 1, cb, arg, extack, extack_len);
	return rc < 0 ? rc : err;
}

int dp_nl_dump(struct nl_sock *sk, struct nl_msg *req, dp_nl_reply_cb cb, void *arg)
{
	struct dp_nl_xact x = {.n = 1, .cb = cb, .arg = arg};
	struct nl_cb *ncb;
	int err = 0, rc;

	x.errs = &err;
	ncb = dp_nl_xact_cb(&x);
	if (!ncb)
		return -ENOMEM;
	rc = nl_send_auto(sk, req);
	if (rc < 0) {
		rc = dp_nl_errno(rc);
		goto out;
	}
	x.first_seq = nlmsg_hdr(req)->nlmsg_seq;
	/* Returns at NLMSG_DONE or after an error message; drains even after cb stopped. */
	rc = nl_recvmsgs(sk, ncb);
	if (rc < 0)
		rc = dp_nl_errno(rc);
	else if (x.answered && err)
		rc = err;
	else
		rc = x.cb_rc;
out:
	nl_cb_put(ncb);
	return rc;
}

int dp_nl_ns_enter(struct nl_ctx *ctx, const char *path, int *fd)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	if (setns(*fd, CLONE_NEWNET) < 0) {
		int rc = -errno;

		close(*fd);
		*fd = -1;
		return rc;
	}
	return 0;
}

void dp_nl_ns_leave(struct nl_ctx *ctx)
{
	/*
	 * A thread stranded in a pod's namespace would wire the next pod into
	 * the wrong one: this is not survivable, so abort.
	 */
	if (setns(ctx->self_ns, CLONE_NEWNET) < 0) {
		fprintf(stderr, "dataplane: cannot return to the node namespace: %s\n",
		        strerror(errno));
		abort();
	}
}

int dp_nl_sysctl_write(const char *path, const char *value)
{
	char full[256];

	snprintf(full, sizeof(full), "/proc/sys/%s", path);
	return dp_nl_sysctl_write_at(AT_FDCWD, full, value);
}

int dp_nl_sysctl_write_at(int dirfd, const char *name, const char *value)
{
	size_t len = strlen(value);
	ssize_t w;
	int fd, rc = 0;

	fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	w = write(fd, value, len);
	if (w < 0)
		rc = -errno;
	else if ((size_t)w != len)
		rc = -EIO;
	close(fd);
	return rc;
}

int dp_nl_sysctl_read(const char *path, char *buf, size_t len)
{
	char full[256];
	ssize_t r;
	int fd, rc = 0;

	snprintf(full, sizeof(full), "/proc/sys/%s", path);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read(fd, buf, len - 1);
	if (r < 0) {
		rc = -errno;
		r = 0;
	}
	while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == ' '))
		r--;
	buf[r] = '\0';
	close(fd);
	return rc;
}
