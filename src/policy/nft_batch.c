/*
 * DOC: the endpoint-churn fast path: element updates sent straight to the
 * kernel as one nf_tables netlink batch, without libnftables.
 *
 * libnftables refills its cache (lists the table's chains and sets) on
 * every run, which costs more than the change itself; a pod start only adds
 * elements to sets that exist, so we encode those elements ourselves with
 * libnl-3's generic message API on a NETLINK_NETFILTER socket.
 *
 * Wire format (include/uapi/linux/netfilter/nfnetlink.h and nf_tables.h;
 * checked against `nft --debug=mnl add element ...`, nftables 1.0.6):
 *
 *   NFNL_MSG_BATCH_BEGIN   nfgenmsg {AF_UNSPEC, NFNETLINK_V0, res_id =
 *                          htons(NFNL_SUBSYS_NFTABLES)}
 *   NFT_MSG_NEWSETELEM /   nfgenmsg {NFPROTO_INET, NFNETLINK_V0, 0}
 *   NFT_MSG_DELSETELEM       NFTA_SET_ELEM_LIST_TABLE  "tabby"
 *     (one per element,      NFTA_SET_ELEM_LIST_SET    "s0_4"
 *      NLM_F_ACK)            NFTA_SET_ELEM_LIST_ELEMENTS
 *                              NFTA_LIST_ELEM
 *                                NFTA_SET_ELEM_KEY { NFTA_DATA_VALUE key }
 *                                NFTA_SET_ELEM_DATA { NFTA_DATA_VERDICT {
 *                                  NFTA_VERDICT_CODE htonl(NFT_JUMP),
 *                                  NFTA_VERDICT_CHAIN "ep0_in" } }  (maps)
 *   NFNL_MSG_BATCH_END     as BATCH_BEGIN
 *
 * Keys are what nft would send: an IPv4 / IPv6 address in network byte
 * order (4 / 16 bytes) or an interface name NUL-padded to IFNAMSIZ. The
 * kernel commits the batch as one transaction: either every element
 * changes or none. Each element message asks for an acknowledgement, so an
 * error names the element the kernel refused.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "render_delta.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NB_SEQ_FIRST 1 /* batch begin; element i is NB_SEQ_FIRST + 1 + i */

/* Header of one message of the batch. */
static struct nl_msg *nb_msg_new(uint16_t type, uint16_t flags, uint32_t seq, uint8_t family,
                                 uint16_t res_id)
{
	struct nfgenmsg *g;
	struct nlmsghdr *h;
	struct nl_msg *m = nlmsg_alloc();

	if (!m)
		return NULL;
	h = nlmsg_put(m, NL_AUTO_PORT, seq, type, sizeof(*g), flags);
	if (!h) {
		nlmsg_free(m);
		return NULL;
	}
	g = nlmsg_data(h);
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	return m;
}

/* NFT_MSG_NEWSETELEM / NFT_MSG_DELSETELEM for one element. */
static struct nl_msg *nb_elem_msg(const struct rd_op *op, uint32_t seq)
{
	uint16_t type =
	    (NFNL_SUBSYS_NFTABLES << 8) | (op->add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM);
	uint16_t flags = NLM_F_REQUEST | NLM_F_ACK | (op->add ? NLM_F_CREATE : 0);
	struct nlattr *list, *elem, *key, *data, *verdict;
	char ifname[RD_IFNAMSIZ];
	struct nl_msg *m = nb_msg_new(type, flags, seq, NFPROTO_INET, 0);
	int e = 0;

	if (!m)
		return NULL;
	e |= nla_put_string(m, NFTA_SET_ELEM_LIST_TABLE, POLICY_TABLE);
	e |= nla_put_string(m, NFTA_SET_ELEM_LIST_SET, op->set);
	if (!(list = nla_nest_start(m, NFTA_SET_ELEM_LIST_ELEMENTS)) ||
	    !(elem = nla_nest_start(m, NFTA_LIST_ELEM)) ||
	    !(key = nla_nest_start(m, NFTA_SET_ELEM_KEY)))
		goto fail;
	if (op->kind == RD_KEY_ADDR) {
		e |= nla_put(m, NFTA_DATA_VALUE, op->addr.family == AF_INET ? 4 : 16,
		             op->addr.bytes);
	} else {
		memset(ifname, 0, sizeof(ifname));
		memcpy(ifname, op->ifname, strnlen(op->ifname, sizeof(ifname)));
		e |= nla_put(m, NFTA_DATA_VALUE, sizeof(ifname), ifname);
	}
	e |= nla_nest_end(m, key);
	if (op->add && op->jump[0]) {
		if (!(data = nla_nest_start(m, NFTA_SET_ELEM_DATA)) ||
		    !(verdict = nla_nest_start(m, NFTA_DATA_VERDICT)))
			goto fail;
		e |= nla_put_u32(m, NFTA_VERDICT_CODE, htonl((uint32_t)NFT_JUMP));
		e |= nla_put_string(m, NFTA_VERDICT_CHAIN, op->jump);
		e |= nla_nest_end(m, verdict);
		e |= nla_nest_end(m, data);
	}
	e |= nla_nest_end(m, elem);
	e |= nla_nest_end(m, list);
	if (e)
		goto fail;
	return m;
fail:
	nlmsg_free(m);
	return NULL;
}

/* Append message m (consumed) to the batch buffer. */
static int nb_append(uint8_t **buf, size_t *len, size_t *cap, struct nl_msg *m)
{
	struct nlmsghdr *h;
	size_t n;
	uint8_t *v;

	if (!m)
		return -ENOMEM;
	h = nlmsg_hdr(m);
	n = NLMSG_ALIGN(h->nlmsg_len);
	if (*len + n > *cap) {
		v = realloc(*buf, *cap = (*len + n) * 2);
		if (!v) {
			nlmsg_free(m);
			return -ENOMEM;
		}
		*buf = v;
	}
	memset(*buf + *len, 0, n);
	memcpy(*buf + *len, h, h->nlmsg_len);
	*len += n;
	nlmsg_free(m);
	return 0;
}

int rd_batch_encode(const struct rd_delta *d, uint8_t **buf, size_t *len)
{
	uint32_t seq = NB_SEQ_FIRST;
	size_t cap = 0, i;
	int rc;

	*buf = NULL;
	*len = 0;
	rc = nb_append(buf, len, &cap,
	               nb_msg_new(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq++, AF_UNSPEC,
	                          NFNL_SUBSYS_NFTABLES));
	for (i = 0; rc == 0 && i < d->n; i++)
		rc = nb_append(buf, len, &cap, nb_elem_msg(&d->ops[i], seq++));
	if (rc == 0)
		rc = nb_append(buf, len, &cap,
		               nb_msg_new(NFNL_MSG_BATCH_END, NLM_F_REQUEST, seq, AF_UNSPEC,
		                          NFNL_SUBSYS_NFTABLES));
	return rc;
}

static void nb_error(const struct rd_delta *d, uint32_t seq, int error, char *err, size_t errlen)
{
	char what[256];

	if (!err || !errlen || err[0])
		return; /* keep the first error */
	if (seq > NB_SEQ_FIRST && seq - NB_SEQ_FIRST - 1 < d->n)
		snprintf(err, errlen, "nf_tables: %s: %s", strerror(-error),
		         rd_op_format(&d->ops[seq - NB_SEQ_FIRST - 1], what, sizeof(what)));
	else
		snprintf(err, errlen, "nf_tables: batch refused: %s", strerror(-error));
}

/*
 * Read acknowledgements until every element message has one. The batch
 * begin / end messages are answered only on error. Returns 0, -EINVAL
 * (some message refused) or a socket error.
 */
static int nb_collect_acks(struct nl_sock *sk, const struct rd_delta *d, char *err, size_t errlen)
{
	struct sockaddr_nl peer;
	struct nlmsgerr *e;
	struct nlmsghdr *h;
	unsigned char *buf = NULL;
	size_t acked = 0;
	int n, rc = 0;
	bool refused = false;

	while (acked < d->n) {
		n = nl_recv(sk, &peer, &buf, NULL);
		if (n <= 0 && refused)
			break; /* an old kernel may not ack the rest of a refused batch */
		if (n <= 0) {
			rc = n < 0 ? -EIO : -ETIMEDOUT;
			if (err && errlen && !err[0])
				snprintf(err, errlen, "nf_tables: no acknowledgement (%s)",
				         n < 0 ? nl_geterror(n) : "timeout");
			goto out;
		}
		for (h = (struct nlmsghdr *)buf; nlmsg_ok(h, n); h = nlmsg_next(h, &n)) {
			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				continue;
			e = nlmsg_data(h);
			if (e->error) {
				refused = true;
				nb_error(d, h->nlmsg_seq, e->error, err, errlen);
			}
			if (h->nlmsg_seq > NB_SEQ_FIRST && h->nlmsg_seq - NB_SEQ_FIRST - 1 < d->n)
				acked++;
			else if (e->error)
				acked = d->n; /* batch begin / end refused: nothing else comes */
		}
		free(buf);
		buf = NULL;
	}
	rc = refused ? -EINVAL : 0;
out:
	free(buf);
	return rc;
}

int rd_batch_apply(const struct rd_delta *d, char *err, size_t errlen)
{
	struct timeval tv = {.tv_sec = 2};
	struct nl_sock *sk = NULL;
	uint8_t *buf = NULL;
	size_t len;
	int rc, one = 1;

	if (err && errlen)
		err[0] = '\0';
	if (d->n == 0)
		return 0;
	if ((rc = rd_batch_encode(d, &buf, &len)))
		goto out;
	sk = nl_socket_alloc();
	if (!sk) {
		rc = -ENOMEM;
		goto out;
	}
	if (nl_connect(sk, NETLINK_NETFILTER) < 0) {
		rc = -EPROTONOSUPPORT;
		goto out;
	}
	/* Acks without the request copied back; a receive timeout in case none comes. */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (len > 200000 && nl_socket_set_buffer_size(sk, (int)len * 2, (int)len * 2) < 0) {
		rc = -ENOBUFS;
		goto out;
	}
	if (nl_sendto(sk, buf, len) < 0) {
		rc = -EIO;
		if (err && errlen)
			snprintf(err, errlen, "nf_tables: sending the batch failed");
		goto out;
	}
	rc = nb_collect_acks(sk, d, err, errlen);
out:
	if (sk)
		nl_socket_free(sk);
	free(buf);
	return rc;
}

/*
 * Endpoint churn: the common case (only elements change) goes to the kernel
 * as one nf_tables batch (nft_batch.c); a delta that needs a new endpoint
 * chain, or a kernel we cannot talk to directly, goes through libnftables
 * as text (one transaction as well).
 */
static int policy_nft_apply_delta(const struct rd_delta *d, char *err, size_t errlen)
{
	char *text = NULL;
	int rc;

	if (!d->chains) {
		rc = rd_batch_apply(d, err, errlen);
		if (rc == 0 || rc == -EINVAL || rc == -ENOMEM)
			return rc;
	}
	rc = rd_delta_text(d, &text);
	if (rc == 0 && text[0])
		rc = policy_nft_apply(text, false, err, errlen);
	free(text);
	return rc;
}

int policy_apply_endpoint_put(struct policy_state *st, const struct policy_endpoint *ep, char *err,
                              size_t errlen)
{
	struct rd_delta d = {0};
	int rc;

	if (err && errlen)
		err[0] = '\0';
	rc = rd_endpoint_put(st, ep, &d);
	if (rc == 0)
		rc = policy_nft_apply_delta(&d, err, errlen);
	rd_delta_free(&d);
	return rc;
}

int policy_apply_endpoint_remove(struct policy_state *st, const char *id, char *err, size_t errlen)
{
	struct rd_delta d = {0};
	int rc;

	if (err && errlen)
		err[0] = '\0';
	rc = rd_endpoint_remove(st, id, &d);
	if (rc == 0)
		rc = policy_nft_apply_delta(&d, err, errlen);
	rd_delta_free(&d);
	return rc;
}

int policy_apply_endpoints_remove(struct policy_state *st, const char *const *ids, size_t n,
                                  char *err, size_t errlen)
{
	struct rd_delta d = {0};
	size_t i, held = 0;
	int rc = 0;

	if (err && errlen)
		err[0] = '\0';
	for (i = 0; i < n && rc == 0; i++) {
		rc = rd_endpoint_remove(st, ids[i], &d);
		if (rc == 0)
			held++;
		else if (rc == -ENOENT)
			rc = 0;
	}
	if (rc == 0 && !held)
		rc = -ENOENT;
	if (rc == 0)
		rc = policy_nft_apply_delta(&d, err, errlen);
	rd_delta_free(&d);
	return rc;
}
