/*
 * DOC: the iBGP full mesh between nodes (bgp.nodeToNodeMesh), doc/routing.md.
 *
 * Every tabbyd registers its Node document under /tabby/v1/nodes/<name> with
 * spec.bgp.ipv4Address and ipv6Address (node.c). With the mesh on, this node
 * peers with every other Node: one session per address family it has an
 * address of on both sides, iBGP (the Node's spec.bgp.asNumber if set,
 * otherwise ours), source address our own underlay address of that family,
 * hold time and connect retry from the bgp: section. Of each pair, the node
 * with the higher address connects and the other is passive, as Calico's
 * mesh does, so that the two never race to open two connections.
 *
 * A watch on /tabby/v1/nodes/ arms a 20 ms debounce timer: the Nodes are
 * listed again and peers added or removed (a removed Node's session gets a
 * Cease / Peer De-configured). A peer declared in bgp.peers with the same
 * address wins: the mesh leaves that address alone.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include <tabby/log.h>
#include <tabby/store.h>

#include "tabbyd.h"

#define ROUTING_MESH_PREFIX      STORE_KEY_PREFIX "nodes/"
#define ROUTING_MESH_DEBOUNCE_MS 20

struct routing_mesh_peer {
	struct addr addr;
	uint32_t as;
	char node[128];
};

struct routing_mesh {
	struct tabbyd *d;
	struct store_watch *watch;
	struct event *debounce;
	struct routing_mesh_peer *peers; /* sessions the mesh added */
	size_t n_peers;
};

static const struct addr *routing_mesh_local(const struct tabbyd *d, int family)
{
	size_t i;

	for (i = 0; i < d->cfg.n_underlay; i++)
		if (d->cfg.underlay[i].addr.family == family)
			return &d->cfg.underlay[i].addr;
	return NULL;
}

static bool routing_mesh_configured(const struct tabbyd *d, const struct addr *a)
{
	size_t i;

	for (i = 0; i < d->cfg.bgp.n_peers; i++)
		if (addr_eq(&d->cfg.bgp.peers[i].pc.addr, a))
			return true;
	return false;
}

bool routing_mesh_has_peer(const struct tabbyd *d, const struct addr *a)
{
	const struct routing_mesh *m = d->rt_mesh;
	size_t i;

	for (i = 0; m && i < m->n_peers; i++)
		if (addr_eq(&m->peers[i].addr, a))
			return true;
	return false;
}

/* "198.18.0.2/24" (a length is optional) into a. */
static bool routing_mesh_parse_addr(const cJSON *s, struct addr *a)
{
	char buf[PREFIX_STRLEN + 8], *slash;

	if (!cJSON_IsString(s) || strlen(s->valuestring) >= sizeof(buf))
		return false;
	strcpy(buf, s->valuestring);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	return addr_parse(buf, a) == 0;
}

/* The mesh peers one Node document asks for: appended to *out. */
static void routing_mesh_node(struct routing_mesh *m, const struct store_kv *kv,
                              struct routing_mesh_peer *out, size_t *n)
{
	static const char *const fields[] = {"ipv4Address", "ipv6Address"};
	const char *name = kv->key + strlen(ROUTING_MESH_PREFIX);
	cJSON *doc, *bgp, *as;
	uint32_t remote_as = m->d->cfg.bgp.as_number;
	size_t i;

	if (strcmp(name, m->d->cfg.node_name) == 0 || !kv->value)
		return;
	doc = cJSON_Parse(kv->value);
	bgp =
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "spec"), "bgp");
	as = cJSON_GetObjectItemCaseSensitive(bgp, "asNumber");
	if (cJSON_IsNumber(as) && as->valuedouble >= 1 && as->valuedouble <= 4294967295.0)
		remote_as = (uint32_t)as->valuedouble;
	for (i = 0; i < 2; i++) {
		struct routing_mesh_peer *p = &out[*n];
		const struct addr *local;

		if (!routing_mesh_parse_addr(cJSON_GetObjectItemCaseSensitive(bgp, fields[i]),
		                             &p->addr))
			continue;
		local = routing_mesh_local(m->d, p->addr.family);
		if (!local || addr_eq(local, &p->addr))
			continue;
		p->as = remote_as;
		snprintf(p->node, sizeof(p->node), "%s", name);
		(*n)++;
	}
	cJSON_Delete(doc);
}

static const struct routing_mesh_peer *routing_mesh_find(const struct routing_mesh_peer *v,
                                                         size_t n, const struct addr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (addr_eq(&v[i].addr, a))
			return &v[i];
	return NULL;
}

static int routing_mesh_add(struct routing_mesh *m, const struct routing_mesh_peer *p)
{
	const struct tabbyd_bgp_config *bc = &m->d->cfg.bgp;
	const struct addr *local = routing_mesh_local(m->d, p->addr.family);
	struct bgp_peer_config pc = {0};
	char desc[160], ab[ADDR_STRLEN];
	int ret;

	pc.addr = p->addr;
	pc.remote_as = p->as;
	pc.source = *local;
	/* The higher address connects, the lower one waits (as Calico's mesh). */
	pc.passive = addr_cmp(local, &p->addr) < 0;
	pc.hold_time = bc->hold_time;
	pc.connect_retry = bc->connect_retry;
	pc.families = p->addr.family == AF_INET ? BGP_FAMILY_IPV4 : BGP_FAMILY_IPV6;
	snprintf(desc, sizeof(desc), "mesh: node %s", p->node);
	pc.description = desc;
	ret = bgp_peer_add(m->d->bgp, &pc, NULL);
	if (ret < 0)
		log_err("bgp: mesh: cannot add node %s (%s AS%u): %s", p->node,
		        addr_format(&p->addr, ab, sizeof(ab)), p->as, strerror(-ret));
	else
		log_info("bgp: mesh: peering with node %s at %s AS%u (%s)", p->node,
		         addr_format(&p->addr, ab, sizeof(ab)), p->as,
		         pc.passive ? "passive: it connects" : "active");
	return ret;
}

/* List the Nodes and add/remove sessions to match. */
static int routing_mesh_sync(struct routing_mesh *m)
{
	struct store_list l = {0};
	struct routing_mesh_peer *want = NULL, *kept = NULL;
	size_t n_want = 0, n_kept = 0, i;
	char ab[ADDR_STRLEN];
	int ret;

	ret = store_list(m->d->store, ROUTING_MESH_PREFIX, &l);
	if (ret < 0) {
		log_warn("bgp: mesh: listing %s: %s; retrying at the next change",
		         ROUTING_MESH_PREFIX, store_strerror(ret));
		goto out;
	}
	want = calloc(2 * l.n + 1, sizeof(*want));
	kept = calloc(2 * l.n + 1, sizeof(*kept));
	if (!want || !kept) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < l.n; i++)
		routing_mesh_node(m, &l.kvs[i], want, &n_want);
	/* Gone (or now a configured peer, or of another AS): removed. */
	for (i = 0; i < m->n_peers; i++) {
		const struct routing_mesh_peer *w =
		    routing_mesh_find(want, n_want, &m->peers[i].addr);
		struct bgp_peer *bp;

		if (w && w->as == m->peers[i].as && !routing_mesh_configured(m->d, &w->addr)) {
			kept[n_kept++] = m->peers[i];
			continue;
		}
		bp = bgp_peer_find(m->d->bgp, &m->peers[i].addr);
		if (bp && !routing_mesh_configured(m->d, &m->peers[i].addr))
			bgp_peer_remove(m->d->bgp, bp);
		log_info("bgp: mesh: node %s (%s) is gone: session removed", m->peers[i].node,
		         addr_format(&m->peers[i].addr, ab, sizeof(ab)));
	}
	for (i = 0; i < n_want; i++) {
		if (routing_mesh_find(kept, n_kept, &want[i].addr) ||
		    routing_mesh_configured(m->d, &want[i].addr))
			continue;
		if (routing_mesh_add(m, &want[i]) == 0)
			kept[n_kept++] = want[i];
	}
	free(m->peers);
	m->peers = kept;
	m->n_peers = n_kept;
	kept = NULL;
	ret = 0;
out:
	free(want);
	free(kept);
	store_list_free(&l);
	return ret;
}

static void routing_mesh_watch_cb(const struct store_event *ev, void *arg)
{
	struct routing_mesh *m = arg;
	struct timeval tv = {.tv_usec = ROUTING_MESH_DEBOUNCE_MS * 1000};

	(void)ev;
	if (!evtimer_pending(m->debounce, NULL))
		evtimer_add(m->debounce, &tv);
}

static int routing_mesh_watch(struct routing_mesh *m)
{
	int ret =
	    store_watch(m->d->store, ROUTING_MESH_PREFIX, 0, routing_mesh_watch_cb, m, &m->watch);

	if (ret < 0) {
		m->watch = NULL;
		log_err("bgp: mesh: watching %s: %s", ROUTING_MESH_PREFIX, store_strerror(ret));
	}
	return ret;
}

static void routing_mesh_debounce_cb(evutil_socket_t fd, short what, void *arg)
{
	struct routing_mesh *m = arg;

	(void)fd;
	(void)what;
	if (!m->watch || store_watch_error(m->watch) < 0) {
		if (m->watch)
			store_watch_cancel(m->watch);
		log_warn("bgp: mesh: the Node watch fell behind; watching again");
		routing_mesh_watch(m);
	}
	routing_mesh_sync(m);
}

int routing_mesh_start(struct tabbyd *d)
{
	struct routing_mesh *m;
	int ret;

	if (!d->cfg.bgp.node_to_node_mesh)
		return 0;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->d = d;
	m->debounce = evtimer_new(d->base, routing_mesh_debounce_cb, m);
	if (!m->debounce) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = routing_mesh_watch(m);
	if (ret < 0)
		goto fail;
	d->rt_mesh = m;
	routing_mesh_sync(m);
	log_info("bgp: node-to-node mesh on: %zu session%s to other nodes", m->n_peers,
	         m->n_peers == 1 ? "" : "s");
	return 0;
fail:
	if (m->debounce)
		event_free(m->debounce);
	free(m);
	return ret;
}

void routing_mesh_refresh(struct tabbyd *d)
{
	if (d->rt_mesh)
		routing_mesh_sync(d->rt_mesh);
}

/* Stop watching; the sessions go with the speaker. */
void routing_mesh_stop(struct tabbyd *d)
{
	struct routing_mesh *m = d->rt_mesh;

	if (!m)
		return;
	if (m->watch)
		store_watch_cancel(m->watch);
	event_free(m->debounce);
	free(m->peers);
	free(m);
	d->rt_mesh = NULL;
}
