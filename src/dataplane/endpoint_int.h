/*
 * DOC: helpers shared by endpoint.c (ADD, DEL) and check.c (CHECK).
 */
#ifndef TABBY_DP_ENDPOINT_INT_H
#define TABBY_DP_ENDPOINT_INT_H

#include <stdbool.h>

#include "nl_int.h"

int dp_ep_host_name(struct nl_ctx *ctx, const struct dp_endpoint *ep, char out[DP_IFNAMSIZ]);
bool dp_ep_has_family(const struct dp_endpoint *ep, int family);
/* Open an rtnetlink socket in the pod namespace (and set accept_dad=0 there). */
int dp_pod_open(struct nl_ctx *ctx, const struct dp_endpoint *ep, struct nl_sock **psk,
                bool set_dad);

#endif
