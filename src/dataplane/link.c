/*
 * DOC: links: lookup by name, up, delete, and the node's default MTU.
 *
 * Lookups are one RTM_GETLINK by name (one round trip, tens of microseconds)
 * rather than a cache that could go stale while other software adds and
 * removes links.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <net/if.h>

#include <linux/if_link.h>
#include <netlink/attr.h>

#include "nl_int.h"

int dp_nl_link_parse(struct nlmsghdr *h, struct dp_nl_link_info *out)
{
	struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1];
	struct ifinfomsg *ifi;

	if (h->nlmsg_type != RTM_NEWLINK || nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return -EINVAL;
	ifi = nlmsg_data(h);
	memset(out, 0, sizeof(*out));
	out->ifindex = ifi->ifi_index;
	out->flags = ifi->ifi_flags;
	if (tb[IFLA_IFNAME])
		nla_strlcpy(out->name, tb[IFLA_IFNAME], sizeof(out->name));
	if (tb[IFLA_MTU])
		out->mtu = nla_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == 6)
		memcpy(out->mac, nla_data(tb[IFLA_ADDRESS]), 6);
	if (tb[IFLA_LINK])
		out->link = (int)nla_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_LINKINFO] &&
	    nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) == 0 &&
	    info[IFLA_INFO_KIND])
		nla_strlcpy(out->kind, info[IFLA_INFO_KIND], sizeof(out->kind));
	return 0;
}

static int dp_nl_link_reply(struct nlmsghdr *h, void *arg)
{
	return dp_nl_link_parse(h, arg) < 0 ? -EINVAL : 0;
}

int dp_nl_link_get(struct nl_sock *sk, const char *name, struct dp_nl_link_info *out)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_msg *msg;
	int rc;

	msg = nlmsg_alloc_simple(RTM_GETLINK, 0);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, IFLA_IFNAME, name) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	out->ifindex = 0;
	rc = dp_nl_request(sk, msg, dp_nl_link_reply, out, NULL, 0);
	if (rc == 0 && out->ifindex == 0)
		rc = -ENODEV;
out:
	nlmsg_free(msg);
	return rc;
}

struct nl_msg *dp_nl_link_up_msg(int ifindex)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC,
	                        .ifi_index = ifindex,
	                        .ifi_flags = IFF_UP,
	                        .ifi_change = IFF_UP};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);

	if (msg && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

int dp_nl_link_del(struct nl_sock *sk, const char *name, char *extack, size_t extack_len)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_msg *msg;
	int rc;

	msg = nlmsg_alloc_simple(RTM_DELLINK, 0);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, IFLA_IFNAME, name) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	rc = dp_nl_request(sk, msg, NULL, NULL, extack, extack_len);
out:
	nlmsg_free(msg);
	return rc;
}

static int dp_nl_mtu_visit(struct nlmsghdr *h, void *arg)
{
	unsigned *mtu = arg;
	struct dp_nl_link_info li;

	if (dp_nl_link_parse(h, &li) < 0)
		return 0;
	if (!(li.flags & IFF_UP) || (li.flags & IFF_LOOPBACK) || li.mtu == 0)
		return 0;
	/* Our own veths carry the MTU we chose: counting them would freeze it. */
	if (strncmp(li.name, DP_VETH_PREFIX, strlen(DP_VETH_PREFIX)) == 0)
		return 0;
	if (*mtu == 0 || li.mtu < *mtu)
		*mtu = li.mtu;
	return 0;
}

int dp_default_mtu(struct nl_ctx *ctx, unsigned *mtu)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_msg *msg;
	unsigned best = 0;
	int rc;

	msg = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	rc = dp_nl_dump(ctx->sk, msg, dp_nl_mtu_visit, &best);
	if (rc < 0) {
		dp_nl_err(ctx, "RTM_GETLINK dump (default MTU): %s", strerror(-rc));
		goto out;
	}
	*mtu = best ? best : DP_DEFAULT_MTU;
	ctx->default_mtu = *mtu;
out:
	nlmsg_free(msg);
	return rc;
}

int dp_node_forwarding(struct nl_ctx *ctx, bool v6)
{
	int rc;

	rc = dp_nl_sysctl_write("net/ipv4/ip_forward", "1");
	if (rc == 0 && v6)
		rc = dp_nl_sysctl_write("net/ipv6/conf/all/forwarding", "1");
	if (rc < 0)
		dp_nl_err(ctx, "sysctl node forwarding=1: %s", strerror(-rc));
	return rc;
}
