/*
 * DOC: the CNI verbs inside the agent: IPAM, dataplane, workload endpoints.
 *
 * ADD: release whatever an earlier, failed ADD of the same attachment left
 * under its handle; then, at the same time, (a) on the committer thread:
 * assign the addresses and write the workload endpoint document in ONE
 * datastore transaction (one fsync; the host veth name in the document is
 * known in advance), and (b) here: have the kernel create the veth pair and
 * write the host end's sysctls. Once both are done (the assignment is durable
 * before anything is reported), add the host routes and configure the pod
 * end; install the blackhole route of a newly claimed block. A failing step
 * undoes the earlier ones (the store part again in one transaction), so a
 * failed ADD leaves nothing behind.
 * DEL: remove the host routes and hand the veth to the reaper, then release
 * the handle and delete the document in one transaction. Every step treats
 * "already gone" as success, so DEL is idempotent (SPEC.md 1.0.0 "DEL").
 * CHECK: the endpoint document must exist, the addresses of prevResult must
 * be the endpoint's, and the dataplane check must find interface, addresses
 * and routes in place (SPEC.md 1.0.0 "CHECK").
 * GC is in cni_gc.c, blackhole routes of affine blocks in blocks.c.
 * Every ADD and DEL logs its per-step timings at log level debug.
 */
#include "config.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include <tabby/dataplane.h>
#include <tabby/ipam.h>
#include <tabby/log.h>
#include <tabby/store.h>

#include "policy_agent.h"
#include "tabbyd.h"

#define CNI_ID_MAX  (3 * API_NAME_MAX + 8)
#define CNI_KEY_MAX (CNI_ID_MAX + 300)

void cni_fail(struct cni_reply *rep, int http, int code, const char *details, const char *fmt, ...)
{
	va_list ap;

	rep->http_status = http;
	rep->code = code;
	va_start(ap, fmt);
	vsnprintf(rep->msg, sizeof(rep->msg), fmt, ap);
	va_end(ap);
	snprintf(rep->details, sizeof(rep->details), "%s", details ? details : "");
}

/* Milliseconds since *t0, and *t0 moved to now: per-step timings in debug logs. */
static double cni_lap(struct timespec *t0)
{
	struct timespec t;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
	*t0 = t;
	return ms;
}

/* The dataplane's endpoint id (hashed into the host veth name): "<containerID>/<ifname>". */
static void cni_veth_id(const char *container_id, const char *ifname, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", container_id, ifname);
}

/*
 * Unwire an endpoint: host routes now, the veth by the reaper thread (see
 * reaper.c); synchronously through the dataplane when the reaper cannot take
 * it, or when only the pod end is known.
 */
static int cni_unwire(struct tabbyd *d, const char *veth_id, const char *host_ifname,
                      const char *netns, const char *ifname, const struct addr *addrs,
                      size_t n_addrs, char *err, size_t errlen)
{
	char name[DP_IFNAMSIZ];
	struct dp_endpoint ep = {0};
	unsigned ifindex;
	size_t i;
	int ret;

	if (host_ifname)
		snprintf(name, sizeof(name), "%s", host_ifname);
	else
		dp_veth_name(veth_id, name);
	ifindex = if_nametoindex(name);
	if (ifindex > 0) {
		for (i = 0; i < n_addrs; i++) {
			struct dp_route r = {.type = RTN_UNICAST};

			prefix_from_addr(&r.dst, &addrs[i]);
			if (dp_route_del(d->nl, &r) < 0)
				log_debug("host route: %s", nl_ctx_error(d->nl));
		}
		if (reaper_queue((int)ifindex))
			return 0;
	}
	ep.endpoint_id = veth_id;
	ep.host_ifname = host_ifname;
	ep.netns = netns && access(netns, F_OK) == 0 ? netns : NULL;
	ep.ifname = ifname;
	ret = dp_endpoint_del(d->nl, &ep);
	if (ret < 0)
		snprintf(err, errlen, "removing the veth pair: %s", nl_ctx_error(d->nl));
	return ret;
}

int cni_endpoint_teardown(struct tabbyd *d, const char *network, const char *container_id,
                          const char *ifname, const char *netns, const char *host_ifname,
                          const struct addr *addrs, size_t n_addrs, char *err, size_t errlen)
{
	char id[CNI_ID_MAX], key[CNI_KEY_MAX], veth_id[CNI_ID_MAX];
	struct store_op del = {.type = STORE_OP_DELETE};
	unsigned released = 0;
	double t_wire, t_release;
	struct timespec t0;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (endpoint_id(network, container_id, ifname, id, sizeof(id)) < 0 ||
	    endpoint_key(d->cfg.node_name, id, key, sizeof(key)) < 0) {
		snprintf(err, errlen, "endpoint name too long");
		return -ENAMETOOLONG;
	}
	cni_veth_id(container_id, ifname, veth_id, sizeof(veth_id));
	ret = cni_unwire(d, veth_id, host_ifname, netns, ifname, addrs, n_addrs, err, errlen);
	if (ret < 0)
		return ret;
	t_wire = cni_lap(&t0);
	/* The release and the document's deletion: one transaction when possible. */
	del.key = key;
	ret = ipam_release_by_handle_with_ops(d->ipam, id, &del, 1, &released);
	if (ret == -ENOENT)
		ret = store_delete(d->store, key, 0); /* the document was gone already */
	if (ret < 0 && ret != -ENOENT) {
		snprintf(err, errlen, "releasing the addresses of %s: %s", id,
		         ipam_last_error(d->ipam));
		return ret;
	}
	t_release = cni_lap(&t0);
	log_debug("DEL %s: unwire %.2f ms, release and endpoint %.2f ms", id, t_wire, t_release);
	log_info("endpoint %s removed (%u address%s released)", id, released,
	         released == 1 ? "" : "es");
	return 0;
}

/* Pool names for IPAM: entries given as CIDRs are looked up among the pools. */
static int cni_resolve_pools(struct tabbyd *d, const struct api_cni_request *req, char ***out,
                             struct cni_reply *rep)
{
	struct ipam_pool *pools = NULL;
	size_t n_pools = 0, i, k;
	char **names;
	int ret = 0;

	*out = NULL;
	if (!req->n_pools)
		return 0;
	names = calloc(req->n_pools, sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (i = 0; i < req->n_pools; i++) {
		struct prefix p;

		if (prefix_parse(req->pools[i], &p, false) < 0 || !strchr(req->pools[i], '/')) {
			names[i] = req->pools[i];
			continue;
		}
		if (!pools && (ret = ipam_pool_list(d->store, &pools, &n_pools)) < 0)
			goto out;
		for (k = 0; k < n_pools; k++)
			if (prefix_eq(&pools[k].cidr, &p))
				names[i] = pools[k].name;
		if (!names[i]) {
			cni_fail(rep, 400, TABBY_CNI_ERR_IPAM, NULL, "no IP pool has the CIDR %s",
			         req->pools[i]);
			ret = -ENOENT;
			goto out;
		}
		names[i] = strdup(names[i]); /* the pool list is freed below */
		if (!names[i]) {
			ret = -ENOMEM;
			goto out;
		}
	}
out:
	if (ret < 0) {
		for (i = 0; i < req->n_pools; i++)
			if (names[i] != req->pools[i])
				free(names[i]);
		free(names);
	} else {
		*out = names;
	}
	ipam_pool_list_free(pools, n_pools);
	return ret;
}

static void cni_free_pools(const struct api_cni_request *req, char **names)
{
	size_t i;

	if (!names)
		return;
	for (i = 0; i < req->n_pools; i++)
		if (names[i] != req->pools[i])
			free(names[i]);
	free(names);
}

static void cni_ipam_fail(struct tabbyd *d, struct cni_reply *rep, int err)
{
	if (err == -EAGAIN || err == -EIO)
		cni_fail(rep, 503, 11, NULL, "address assignment failed, try again later: %s",
		         ipam_last_error(d->ipam));
	else
		cni_fail(rep, err == -ENOSPC ? 507 : 409, TABBY_CNI_ERR_IPAM, strerror(-err),
		         "address assignment failed: %s", ipam_last_error(d->ipam));
}

/* The workload endpoint document, written in the assignment's transaction. */
struct cni_add_doc {
	struct tabbyd *d;
	const struct api_cni_request *req;
	const char *id, *key, *host_ifname;
	char *doc;
	/* The addresses about to be committed, for the main thread (under committer_signal()). */
	bool published;
	size_t n_pub;
	struct addr pub[API_MAX_ADDRS];
};

static void cni_publish_addrs(struct cni_add_doc *a, const struct ipam_assign_result *res);

static int cni_add_doc_ops(const struct ipam_assign_result *res, struct store_op *ops, size_t max,
                           size_t *n, void *arg)
{
	struct cni_add_doc *a = arg;

	*n = 0;
	free(a->doc); /* IPAM may ask twice (after a lost compare-and-swap) */
	a->doc = endpoint_to_json(a->d, a->req, a->id, a->host_ifname, res->addrs,
	                          res->n < API_MAX_ADDRS ? res->n : API_MAX_ADDRS);
	if (!a->doc)
		return -ENOMEM;
	if (max < 1)
		return -EINVAL;
	ops[(*n)++] = (struct store_op){STORE_OP_PUT, a->key, a->doc, 0};
	cni_publish_addrs(a, res);
	return 0;
}

/*
 * Assign the addresses and write the endpoint document: one durable
 * transaction in the common case (ipam_auto_assign_with_ops()). On failure
 * nothing is left in the store.
 */
static int cni_assign(struct tabbyd *d, const struct api_cni_request *req, const char *id,
                      struct cni_add_doc *doc, struct addr *addrs, size_t *n, struct cni_reply *rep)
{
	struct ipam_attrs attrs = {.namespace = req->pod_namespace, .pod = req->pod};
	struct ipam_assign_args args = {0};
	struct ipam_assign_result res = {0};
	struct store_op op;
	char **pools = NULL;
	size_t i, n_op = 0;
	int ret;

	*n = 0;
	if (req->n_ips) {
		for (i = 0; i < req->n_ips && i < IPAM_ASSIGN_MAX; i++) {
			ret = ipam_assign_ip(d->ipam, &req->ips[i], id, &attrs);
			if (ret < 0) {
				cni_ipam_fail(d, rep, ret);
				goto fail_ips;
			}
			res.addrs[res.n++] = req->ips[i];
			addrs[(*n)++] = req->ips[i];
		}
		ret = cni_add_doc_ops(&res, &op, 1, &n_op, doc);
		if (ret == 0)
			ret = store_txn(d->store, &op, n_op, NULL, NULL);
		if (ret == 0)
			return 0;
		cni_fail(rep, 503, 11, store_strerror(ret),
		         "writing the workload endpoint failed: %s", store_strerror(ret));
	fail_ips:
		if (*n)
			ipam_release_by_handle(d->ipam, id, NULL);
		*n = 0;
		return ret;
	}
	ret = cni_resolve_pools(d, req, &pools, rep);
	if (ret < 0) {
		if (!rep->code)
			cni_fail(rep, 500, TABBY_CNI_ERR_IPAM, NULL, "reading IP pools: %s",
			         strerror(-ret));
		return ret;
	}
	args.handle = id;
	args.attrs = attrs;
	args.num4 = req->assign_ipv4 ? 1 : 0;
	args.num6 = req->assign_ipv6 ? 1 : 0;
	args.pools = (const char *const *)pools;
	args.n_pools = req->n_pools;
	ret = ipam_auto_assign_with_ops(d->ipam, &args, cni_add_doc_ops, doc, &res);
	cni_free_pools(req, pools);
	if (ret < 0) {
		cni_ipam_fail(d, rep, ret);
		return ret;
	}
	for (i = 0; i < res.n && i < API_MAX_ADDRS; i++)
		addrs[(*n)++] = res.addrs[i];
	return 0;
}

static char *cni_add_reply(const struct api_cni_request *req, const struct dp_endpoint_result *r,
                           const struct addr *addrs, size_t n)
{
	cJSON *o = cJSON_CreateObject(), *ifs, *ips, *routes, *it;
	bool have4 = false, have6 = false;
	char *out = NULL;
	size_t i;

	if (!o)
		return NULL;
	ifs = cJSON_AddArrayToObject(o, "interfaces");
	ips = cJSON_AddArrayToObject(o, "ips");
	routes = cJSON_AddArrayToObject(o, "routes");
	if (!ifs || !ips || !routes)
		goto out;
	it = cJSON_CreateObject();
	cJSON_AddItemToArray(ifs, it);
	cJSON_AddStringToObject(it, "name", r->host_ifname);
	cJSON_AddStringToObject(it, "mac", DP_HOST_MAC);
	it = cJSON_CreateObject();
	cJSON_AddItemToArray(ifs, it);
	cJSON_AddStringToObject(it, "name", req->ifname);
	cJSON_AddStringToObject(it, "mac", r->pod_mac_str);
	cJSON_AddStringToObject(it, "sandbox", req->netns);
	cJSON_AddNumberToObject(it, "mtu", r->mtu);
	for (i = 0; i < n; i++) {
		struct prefix p;
		char buf[PREFIX_STRLEN];
		bool v6 = addrs[i].family == AF_INET6;

		prefix_from_addr(&p, &addrs[i]);
		it = cJSON_CreateObject();
		cJSON_AddItemToArray(ips, it);
		cJSON_AddStringToObject(it, "address", prefix_format(&p, buf, sizeof(buf)));
		cJSON_AddStringToObject(it, "gateway", v6 ? DP_GATEWAY6 : DP_GATEWAY4);
		cJSON_AddNumberToObject(it, "interface", 1);
		have6 |= v6;
		have4 |= !v6;
	}
	if (have4) {
		it = cJSON_CreateObject();
		cJSON_AddItemToArray(routes, it);
		cJSON_AddStringToObject(it, "dst", "0.0.0.0/0");
		cJSON_AddStringToObject(it, "gw", DP_GATEWAY4);
	}
	if (have6) {
		it = cJSON_CreateObject();
		cJSON_AddItemToArray(routes, it);
		cJSON_AddStringToObject(it, "dst", "::/0");
		cJSON_AddStringToObject(it, "gw", DP_GATEWAY6);
	}
	out = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return out;
}

/*
 * Called by IPAM (on the committer) once the addresses are chosen and just
 * before the transaction that makes them durable: the main thread may wire
 * the pod with them while the commit waits for its fsync. A second call (a
 * lost compare-and-swap) replaces them; the main thread compares at the end.
 */
struct cni_publish {
	struct cni_add_doc *a;
	const struct ipam_assign_result *res;
};

static void cni_publish_locked(void *arg)
{
	struct cni_publish *p = arg;
	size_t i;

	p->a->n_pub = 0;
	for (i = 0; i < p->res->n && i < API_MAX_ADDRS; i++)
		p->a->pub[p->a->n_pub++] = p->res->addrs[i];
	p->a->published = true;
}

static void cni_publish_addrs(struct cni_add_doc *a, const struct ipam_assign_result *res)
{
	struct cni_publish p = {a, res};

	committer_signal(cni_publish_locked, &p);
}

struct cni_take {
	struct cni_add_doc *a;
	struct addr *addrs;
	size_t *n;
};

/* Under the committer's lock: copy the addresses if they are published. */
static bool cni_take_published(void *arg)
{
	struct cni_take *t = arg;
	size_t i;

	*t->n = 0;
	if (!t->a->published)
		return false;
	for (i = 0; i < t->a->n_pub; i++)
		t->addrs[(*t->n)++] = t->a->pub[i];
	return true;
}

/*
 * Wait until the committer has published the addresses (true, copied to
 * addrs and *n) or has finished without doing so (false: the assignment failed).
 */
static bool cni_job_wait_addrs(struct cni_add_doc *a, struct addr *addrs, size_t *n)
{
	struct cni_take t = {a, addrs, n};

	return committer_wait_for(cni_take_published, &t);
}

struct cni_assign_job {
	struct tabbyd *d;
	const struct api_cni_request *req;
	const char *id;
	struct cni_add_doc *doc;
	struct addr *addrs;
	size_t n;
	struct cni_reply *rep;
	int ret;
	double ms; /* how long it took */
};

static void cni_assign_job(void *arg)
{
	struct cni_assign_job *j = arg;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	j->ret = cni_assign(j->d, j->req, j->id, j->doc, j->addrs, &j->n, j->rep);
	j->ms = cni_lap(&t0);
}

/*
 * The undo of a failed ADD after the store has the assignment and the
 * document: both go in one transaction.
 */
static void cni_add_undo(struct tabbyd *d, const char *id, const char *key)
{
	struct store_op del = {.type = STORE_OP_DELETE, .key = key};
	int ret;

	ret = ipam_release_by_handle_with_ops(d->ipam, id, &del, 1, NULL);
	if (ret == -ENOENT)
		ret = store_delete(d->store, key, 0);
	if (ret < 0 && ret != -ENOENT)
		log_warn("undoing the ADD of %s: %s", id, ipam_last_error(d->ipam));
}

/*
 * Whether every address is in a block that already has its blackhole route:
 * then the ADD claimed no block and the blackholes need no sync.
 */
static bool cni_blackholed(const struct tabbyd *d, const struct addr *addrs, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < d->n_blackholes; k++)
			if (prefix_contains_addr(&d->blackholes[k], &addrs[i]))
				break;
		if (k == d->n_blackholes)
			return false;
	}
	return true;
}

static bool cni_same_addrs(const struct addr *a, size_t na, const struct addr *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (!addr_eq(&a[i], &b[i]))
			return false;
	return true;
}

static bool cni_wants_ipv6(const struct api_cni_request *req)
{
	size_t i;

	if (!req->n_ips)
		return req->assign_ipv6;
	for (i = 0; i < req->n_ips; i++)
		if (req->ips[i].family == AF_INET6)
			return true;
	return false;
}

static void cni_add(struct tabbyd *d, const struct api_cni_request *req, struct cni_reply *rep)
{
	char id[CNI_ID_MAX], key[CNI_KEY_MAX], veth_id[CNI_ID_MAX], host[DP_IFNAMSIZ];
	struct cni_add_doc doc = {.d = d, .req = req, .id = id, .key = key, .host_ifname = host};
	struct addr addrs[API_MAX_ADDRS];
	struct cni_assign_job job = {
	    .d = d, .req = req, .id = id, .doc = &doc, .addrs = addrs, .rep = rep};
	struct dp_endpoint ep = {0};
	struct dp_endpoint_result res = {0};
	struct dp_endpoint_pending pend = {.podfd = -1};
	double t_release, t_both, t_blocks, t_created, t_addrs = 0, t_finished = 0, t_commit;
	bool stored = false, finished = false, wired = false;
	size_t i, n_wired = 0;
	struct timespec t0;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (endpoint_id(req->network, req->container_id, req->ifname, id, sizeof(id)) < 0 ||
	    endpoint_key(d->cfg.node_name, id, key, sizeof(key)) < 0) {
		cni_fail(rep, 400, 7, NULL, "endpoint name too long");
		return;
	}
	if (access(req->netns, F_OK) < 0) {
		cni_fail(rep, 404, 3, strerror(errno), "network namespace %s does not exist",
		         req->netns);
		return;
	}
	/* A retried ADD: what an earlier attempt assigned under this handle goes first. */
	ret = ipam_release_by_handle(d->ipam, id, NULL);
	if (ret < 0 && ret != -ENOENT) {
		cni_ipam_fail(d, rep, ret);
		return;
	}
	t_release = cni_lap(&t0);
	/*
	 * The host end's name is known in advance, so the document goes with the
	 * addresses, in one transaction run by the committer while the kernel
	 * creates the veth pair here.
	 */
	cni_veth_id(req->container_id, req->ifname, veth_id, sizeof(veth_id));
	dp_veth_name(veth_id, host);
	ep.endpoint_id = veth_id;
	ep.netns = req->netns;
	ep.ifname = req->ifname;
	ep.mtu = req->mtu ? req->mtu : d->cfg.mtu;
	committer_start(cni_assign_job, &job);
	ret = dp_endpoint_create(d->nl, &ep, cni_wants_ipv6(req), &pend);
	if (ret == -EEXIST) {
		/* The pod's interface may be one a DEL queued for deletion: let it go first. */
		reaper_wait_idle();
		ret = dp_endpoint_create(d->nl, &ep, cni_wants_ipv6(req), &pend);
	}
	/*
	 * IPAM publishes the addresses just before its commit: wire the pod with
	 * them while the fsync runs. Nothing is reported before both are done.
	 */
	t_created = cni_lap(&t0);
	if (ret == 0 && cni_job_wait_addrs(&doc, ep.addrs, &n_wired)) {
		t_addrs = cni_lap(&t0);
		ep.n_addrs = (unsigned)(n_wired < DP_MAX_ADDRS ? n_wired : DP_MAX_ADDRS);
		ret = dp_endpoint_finish(d->nl, &ep, &pend, &res); /* aborts the pair on failure */
		finished = true;
		wired = ret == 0;
		t_finished = cni_lap(&t0);
	}
	committer_wait();
	t_commit = cni_lap(&t0);
	t_both = t_created + t_addrs + t_finished + t_commit;
	if (job.ret < 0) {
		/* The committer's reply stands; nothing of it is in the store: unwire. */
		if (wired)
			dp_endpoint_del(d->nl, &ep);
		else if (ret == 0 && !finished)
			dp_endpoint_abort(d->nl, &pend);
		goto fail;
	}
	stored = true;
	if (ret == 0 && !cni_same_addrs(ep.addrs, ep.n_addrs, addrs, job.n)) {
		/* A lost compare-and-swap changed the addresses after they were wired. */
		log_info("ADD %s: addresses changed during the commit, wiring again", id);
		if (wired)
			dp_endpoint_del(d->nl, &ep);
		wired = false;
		ep.n_addrs = 0;
		for (i = 0; i < job.n && i < DP_MAX_ADDRS; i++)
			ep.addrs[ep.n_addrs++] = addrs[i];
		ret = finished ? dp_endpoint_add(d->nl, &ep, &res)
		               : dp_endpoint_finish(d->nl, &ep, &pend, &res);
	}
	if (ret < 0) {
		cni_fail(rep, ret == -EEXIST ? 409 : 500, TABBY_CNI_ERR_DATAPLANE, strerror(-ret),
		         "wiring the pod failed: %s", nl_ctx_error(d->nl));
		goto fail;
	}
	if (!cni_blackholed(d, addrs, job.n))
		cni_blackholes_sync(d);
	t_blocks = cni_lap(&t0);
	rep->body = cni_add_reply(req, &res, addrs, job.n);
	if (!rep->body) {
		cni_fail(rep, 500, 5, NULL, "out of memory");
		dp_endpoint_del(d->nl, &ep);
		goto fail;
	}
	/* Policed from its first packet, not only once the store's watch comes round. */
	policy_agent_endpoint_changed(d, key, doc.doc);
	/*
	 * The main thread's path: pair created, addresses published by the
	 * committer (waited), pod wired, commit done (waited); the dataplane's
	 * steps and the committer's whole job in parentheses.
	 */
	log_debug(
	    "ADD %s: release %.2f ms, assign+endpoint || wire %.2f ms (pair %.2f, "
	    "wait addresses %.2f, finish %.2f, wait commit %.2f), blocks %.2f ms, "
	    "reply+policy %.2f ms (create %.2f ms, sysctl %.2f ms, host %.2f ms, podns %.2f ms, "
	    "pod %.2f ms, assign+endpoint %.2f ms)",
	    id, t_release, t_both, t_created, t_addrs, t_finished, t_commit, t_blocks, cni_lap(&t0),
	    res.t_create, res.t_sysctl, res.t_host, res.t_pod_open, res.t_pod, job.ms);
	rep->http_status = 200;
	log_info("endpoint %s added: %s in %s via %s", id, req->ifname, req->netns,
	         res.host_ifname);
	free(doc.doc);
	return;
fail:
	/* The veth is gone already; the reply keeps the first error. */
	if (stored)
		cni_add_undo(d, id, key);
	free(doc.doc);
	free(rep->body);
	rep->body = NULL;
	log_warn("ADD of %s failed: %s", id, rep->msg);
}

static void cni_del(struct tabbyd *d, const struct api_cni_request *req, struct cni_reply *rep)
{
	char id[CNI_ID_MAX], key[CNI_KEY_MAX], err[256] = "";
	struct tabbyd_endpoint ep = {0};
	struct store_kv kv = {0};
	int ret;

	if (endpoint_id(req->network, req->container_id, req->ifname, id, sizeof(id)) < 0 ||
	    endpoint_key(d->cfg.node_name, id, key, sizeof(key)) < 0) {
		cni_fail(rep, 400, 7, NULL, "endpoint name too long");
		return;
	}
	ret = store_get(d->store, key, &kv);
	if (ret == 0)
		endpoint_from_json(kv.key, kv.value, &ep);
	else if (ret != -ENOENT)
		log_warn("DEL %s: reading the endpoint: %s", id, store_strerror(ret));
	ret = cni_endpoint_teardown(d, req->network, req->container_id, req->ifname,
	                            req->netns ? req->netns : ep.netns, ep.host_ifname, ep.addrs,
	                            ep.n_addrs, err, sizeof(err));
	if (ret < 0)
		cni_fail(rep, 500, ret == -EIO ? 11 : TABBY_CNI_ERR_DATAPLANE, strerror(-ret),
		         "DEL of %s failed: %s", id, err);
	else
		rep->http_status = 204;
	endpoint_clear(&ep);
	store_kv_clear(&kv);
}

static void cni_check(struct tabbyd *d, const struct api_cni_request *req, struct cni_reply *rep)
{
	char id[CNI_ID_MAX], key[CNI_KEY_MAX], veth_id[CNI_ID_MAX], buf[ADDR_STRLEN];
	struct tabbyd_endpoint ep = {0};
	struct dp_endpoint dp = {0};
	struct store_kv kv = {0};
	size_t i, k;
	int ret;

	if (endpoint_id(req->network, req->container_id, req->ifname, id, sizeof(id)) < 0 ||
	    endpoint_key(d->cfg.node_name, id, key, sizeof(key)) < 0) {
		cni_fail(rep, 400, 7, NULL, "endpoint name too long");
		return;
	}
	if (access(req->netns, F_OK) < 0) {
		cni_fail(rep, 404, 3, strerror(errno), "network namespace %s does not exist",
		         req->netns);
		return;
	}
	ret = store_get(d->store, key, &kv);
	if (ret < 0 || endpoint_from_json(kv.key, kv.value, &ep) < 0) {
		cni_fail(rep, 404, TABBY_CNI_ERR_CHECK, NULL, "no workload endpoint %s on node %s",
		         id, d->cfg.node_name);
		goto out;
	}
	for (i = 0; i < req->n_prev_ips; i++) {
		for (k = 0; k < ep.n_addrs; k++)
			if (addr_eq(&req->prev_ips[i], &ep.addrs[k]))
				break;
		if (k == ep.n_addrs) {
			cni_fail(rep, 409, TABBY_CNI_ERR_CHECK, NULL,
			         "prevResult lists %s, which is not an address of %s",
			         addr_format(&req->prev_ips[i], buf, sizeof(buf)), id);
			goto out;
		}
	}
	cni_veth_id(req->container_id, req->ifname, veth_id, sizeof(veth_id));
	dp.endpoint_id = veth_id;
	dp.host_ifname = ep.host_ifname;
	dp.netns = req->netns;
	dp.ifname = req->ifname;
	for (i = 0; i < ep.n_addrs && i < DP_MAX_ADDRS; i++)
		dp.addrs[dp.n_addrs++] = ep.addrs[i];
	ret = dp_endpoint_check(d->nl, &dp);
	if (ret < 0) {
		cni_fail(rep, 409, TABBY_CNI_ERR_CHECK, strerror(-ret), "CHECK of %s failed: %s",
		         id, nl_ctx_error(d->nl));
		goto out;
	}
	rep->http_status = 204;
out:
	endpoint_clear(&ep);
	store_kv_clear(&kv);
}

void cni_handle(struct tabbyd *d, const struct api_cni_request *req, struct cni_reply *rep)
{
	memset(rep, 0, sizeof(*rep));
	switch (req->kind) {
	case API_REQ_ADD:
		d->n_add++;
		cni_add(d, req, rep);
		break;
	case API_REQ_DEL:
		d->n_del++;
		cni_del(d, req, rep);
		break;
	case API_REQ_CHECK:
		d->n_check++;
		cni_check(d, req, rep);
		break;
	case API_REQ_GC:
		d->n_gc++;
		cni_gc(d, req, rep);
		break;
	}
	if (rep->code)
		d->n_errors++;
}
