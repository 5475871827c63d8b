/*
 * DOC: requests of tabbyd's REST API, decoded and validated.
 *
 * The body of POST /v1/cni/{add,del,check,gc} is one JSON object (the `tabby`
 * CNI plugin builds it from the CNI call):
 *   network      CNI network name (required)
 *   containerID  CNI_CONTAINERID (required except for gc)
 *   ifName       CNI_IFNAME (required except for gc)
 *   netns        CNI_NETNS, absolute path (required for add and check)
 *   namespace, pod       Kubernetes pod namespace and name (optional)
 *   labels       {"key": "value", ...} (optional)
 *   mtu          68..65535 (optional, 0 or absent: the agent's default)
 *   assignIPv4, assignIPv6   booleans (default true, false)
 *   ipv4Pools, ipv6Pools     pool names or CIDRs to assign from (optional)
 *   ips          requested addresses (optional)
 *   prevResult   CNI result of the ADD (check: the addresses it lists must be in place)
 *   validAttachments  [{"containerID", "ifName"}] (gc: everything else is released)
 * api_request_parse() is a pure function (the fuzz target drives it); on
 * failure it returns -EINVAL with a message naming the field, and the API
 * answers 400 with CNI error code 7 (6 if the body is not JSON at all).
 */
#ifndef TABBYD_API_REQUEST_H
#define TABBYD_API_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <tabby/prefix.h>

#define API_MAX_BODY (256u * 1024)
/* What evhttp accepts: a CNI network configuration (POST /v1/cni/call) may be 1 MiB. */
#define API_MAX_HTTP_BODY    (1u << 20)
#define API_MAX_HTTP_HEADERS (128u * 1024)
#define API_MAX_ADDRS        4
#define API_MAX_POOLS        16
#define API_MAX_LABELS       256
#define API_NAME_MAX         253
#define API_ERRLEN           256

enum api_request_kind {
	API_REQ_ADD,
	API_REQ_DEL,
	API_REQ_CHECK,
	API_REQ_GC,
};

struct api_label {
	char *key;
	char *value;
};

struct api_attachment {
	char *container_id;
	char *ifname;
};

struct api_cni_request {
	enum api_request_kind kind;
	char *network;
	char *container_id;
	char *ifname;
	char *netns; /* NULL if not given */
	char *pod_namespace;
	char *pod;
	struct api_label *labels;
	size_t n_labels;
	unsigned mtu;
	bool assign_ipv4, assign_ipv6;
	char **pools; /* ipv4Pools then ipv6Pools */
	size_t n_pools;
	struct addr ips[API_MAX_ADDRS]; /* requested */
	size_t n_ips;
	bool has_prev_result;
	struct addr prev_ips[API_MAX_ADDRS]; /* addresses listed in prevResult */
	size_t n_prev_ips;
	struct api_attachment *attachments;
	size_t n_attachments;
};

/* Error classes of a failed parse, matching CNI codes 6 and 7. */
#define API_PARSE_UNDECODABLE 6
#define API_PARSE_INVALID     7

int api_request_parse(enum api_request_kind kind, const char *data, size_t len,
                      struct api_cni_request *req, int *code, char *err, size_t errlen);
void api_request_free(struct api_cni_request *req);

/* SPEC.md 1.0.0 container ID and interface name rules; network names. */
bool api_container_id_valid(const char *id);
bool api_ifname_valid(const char *name);
bool api_network_name_valid(const char *name);

#endif
