/*
 * DOC: which BGP sessions this node wants, from the cluster resources (pure).
 *
 * Settings in effect, the most specific first (doc/routing.md, "Peering"):
 *   AS number   this Node's spec.bgp.asNumber > BGPConfiguration "default"
 *               spec.asNumber > tabbyd.yaml bgp.asNumber (64512)
 *   mesh        BGPConfiguration "default" nodeToNodeMeshEnabled >
 *               bgp.nodeToNodeMesh (true)
 *   listenPort  BGPConfiguration "node.<name>" > "default" > bgp.listenPort (179)
 *   cluster ID  this Node's spec.bgp.routeReflectorClusterID (none)
 * Another Node's AS is its own asNumber, or the cluster's (the default
 * BGPConfiguration's, or ours from tabbyd.yaml).
 *
 * Sessions, the first one for an address wins, in this order:
 *   1. bgp.peers of tabbyd.yaml: never touched from here (left out);
 *   2. BGPPeers by name. With peerIP: one session when this node is in
 *      scope (spec.node, spec.nodeSelector on the Nodes' labels, or every
 *      node). With peerSelector: symmetric as in Calico: this node X peers
 *      with node Y when (X in scope and Y selected) or (X selected and Y in
 *      scope), never with itself;
 *   3. the mesh, when on: every other Node.
 * A session between two nodes exists per address family both have
 * (spec.bgp.ipv4Address, ipv6Address); the higher address connects and the
 * lower one is passive, so that both ends agree without racing. On a route
 * reflector (a cluster ID set), a session to a node without that cluster ID
 * is an RFC 4456 client session; one between reflectors of the same cluster
 * ID is plain iBGP.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tabby/log.h>
#include <tabby/policy.h>

#include "routing_peers.h"

#define ROUTING_RR_SUFFIX " (route reflector client)"

struct routing_peers_ctx {
	const struct routing_cluster *c;
	const struct routing_local *l;
	struct tabbyd_bgp_effective eff;
	uint32_t cluster_as; /* AS of a Node without its own */
	const struct routing_node *me;
	struct routing_node me_empty; /* when this node has no Node document yet */
	struct routing_session *v;
	size_t n, cap;
};

static const struct routing_bgpconfig *routing_peers_config(const struct routing_cluster *c,
                                                            const char *name)
{
	size_t i;

	for (i = 0; i < c->n_configs; i++)
		if (strcmp(c->configs[i].name, name) == 0)
			return &c->configs[i];
	return NULL;
}

/* The listen port of node name (its "node.<name>" BGPConfiguration, the default, ours). */
static uint16_t routing_peers_port(const struct routing_cluster *c, const struct routing_local *l,
                                   const char *name)
{
	const struct routing_bgpconfig *def = routing_peers_config(c, "default"), *own;
	char buf[ROUTING_NAME_MAX + 8];

	snprintf(buf, sizeof(buf), "node.%s", name);
	own = routing_peers_config(c, buf);
	if (own && own->has_port)
		return own->listen_port;
	if (def && def->has_port)
		return def->listen_port;
	return l->yaml->listen_port ? l->yaml->listen_port : BGP_DEFAULT_PORT;
}

void routing_peers_effective(const struct routing_cluster *c, const struct routing_local *l,
                             struct tabbyd_bgp_effective *eff)
{
	const struct routing_bgpconfig *def = routing_peers_config(c, "default");
	const struct routing_node *me = routing_config_find_node(c, l->node_name);

	memset(eff, 0, sizeof(*eff));
	if (me && me->has_as)
		eff->as_number = me->as_number;
	else if (def && def->has_as)
		eff->as_number = def->as_number;
	else
		eff->as_number = l->yaml->as_number ? l->yaml->as_number : TABBYD_BGP_DEFAULT_AS;
	eff->mesh = def && def->has_mesh ? def->mesh : l->yaml->node_to_node_mesh;
	eff->listen_port = routing_peers_port(c, l, l->node_name);
	eff->cluster_id = me ? me->cluster_id : 0;
}

static bool routing_peers_selects(const struct policy_selector *sel, const struct routing_node *n)
{
	struct policy_match m = {.labels = n->labels, .n_labels = n->n_labels};

	return policy_selector_matches(sel, &m);
}

/* Is node n in the BGPPeer's scope (spec.node, spec.nodeSelector, or every node)? */
static bool routing_peers_in_scope(const struct routing_bgppeer *p, const struct routing_node *n)
{
	if (p->node[0])
		return strcmp(p->node, n->name) == 0;
	if (p->node_selector)
		return routing_peers_selects(p->node_selector, n);
	return true;
}

static const struct addr *routing_peers_local_addr(const struct routing_local *l, int family)
{
	size_t i;

	for (i = 0; i < l->n_underlay; i++)
		if (l->underlay[i].addr.family == family)
			return &l->underlay[i].addr;
	return NULL;
}

/* A wanted address already taken (by bgp.peers or an earlier source)? */
static bool routing_peers_taken(const struct routing_peers_ctx *x, const struct addr *a)
{
	size_t i;

	for (i = 0; i < x->l->yaml->n_peers; i++)
		if (addr_eq(&x->l->yaml->peers[i].pc.addr, a))
			return true;
	for (i = 0; i < x->n; i++)
		if (addr_eq(&x->v[i].pc.addr, a))
			return true;
	return false;
}

/* The TCP-MD5 key of a secretKeyRef: the file <secretsDir>/<name>/<key>. */
static int routing_peers_secret(const struct routing_local *l, const struct routing_bgppeer *p,
                                char *out, size_t len)
{
	const char *dir = l->yaml->secrets_dir ? l->yaml->secrets_dir : TABBYD_SECRETS_DIR;
	char path[1024];
	ssize_t r;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, p->secret_name, p->secret_key);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_err("bgp: BGPPeer %s: password file %s: %s: session left out", p->name, path,
		        strerror(errno));
		return -errno;
	}
	r = read(fd, out, len);
	if (r < 0) {
		ret = -errno;
		goto out;
	}
	while (r > 0 && (out[r - 1] == '\n' || out[r - 1] == '\r'))
		r--;
	if (r < 1 || (size_t)r >= len || memchr(out, '\0', (size_t)r)) {
		log_err("bgp: BGPPeer %s: password file %s: a TCP-MD5 key has 1 to 80 characters "
		        "(RFC 2385): session left out",
		        p->name, path);
		ret = -EINVAL;
		goto out;
	}
	out[r] = '\0';
out:
	close(fd);
	return ret;
}

static struct routing_session *routing_peers_new(struct routing_peers_ctx *x)
{
	struct routing_session *s;

	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 16;
		struct routing_session *v = realloc(x->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		x->v = v;
		x->cap = cap;
	}
	s = &x->v[x->n];
	memset(s, 0, sizeof(*s));
	s->pc.hold_time = x->l->yaml->hold_time;
	s->pc.connect_retry = x->l->yaml->connect_retry;
	return s;
}

/* Settings a BGPPeer gives a session: password, GTSM; warnings for what is not supported. */
static int routing_peers_options(struct routing_peers_ctx *x, const struct routing_bgppeer *p,
                                 struct routing_session *s)
{
	if (p->secret_name[0] &&
	    routing_peers_secret(x->l, p, s->password, sizeof(s->password)) < 0)
		return -EINVAL;
	s->pc.ttl_security = p->ttl_security > 0;
	if (p->ttl_security > 1)
		log_warn("bgp: BGPPeer %s: ttlSecurity %u: the speaker's GTSM (RFC 5082) accepts "
		         "directly connected peers only (TTL 255): used as 1 hop",
		         p->name, p->ttl_security);
	if (p->keep_original_next_hop)
		log_warn("bgp: BGPPeer %s: keepOriginalNextHop is not supported (the speaker "
		         "always sets itself as next hop towards eBGP peers): ignored",
		         p->name);
	if (p->has_max_restart_time)
		log_warn("bgp: BGPPeer %s: maxRestartTime is not supported per peer (the speaker "
		         "advertises one Restart Time to all): ignored",
		         p->name);
	return 0;
}

static void routing_peers_commit(struct routing_peers_ctx *x, struct routing_session *s)
{
	routing_peers_fixup(s);
	x->n++;
}

static int routing_peers_peer_ip(struct routing_peers_ctx *x, const struct routing_bgppeer *p)
{
	const struct addr *local = routing_peers_local_addr(x->l, p->peer_ip.family);
	struct routing_session *s;

	if (routing_peers_taken(x, &p->peer_ip))
		return 0;
	if (!(s = routing_peers_new(x)))
		return -ENOMEM;
	s->pc.addr = p->peer_ip;
	s->pc.remote_as = p->as_number;
	s->pc.port = p->port ? p->port : BGP_DEFAULT_PORT;
	if (local && !p->source_none)
		s->pc.source = *local;
	s->pc.families = p->peer_ip.family == AF_INET ? BGP_FAMILY_IPV4 : BGP_FAMILY_IPV6;
	s->source = ROUTING_SRC_BGPPEER;
	snprintf(s->bgppeer, sizeof(s->bgppeer), "%s", p->name);
	snprintf(s->description, sizeof(s->description), "bgppeer: %s", p->name);
	if (routing_peers_options(x, p, s) < 0)
		return 0;
	routing_peers_commit(x, s);
	return 0;
}

/* The sessions to node y (one per family both have); p NULL: the mesh. */
static int routing_peers_node(struct routing_peers_ctx *x, const struct routing_node *y,
                              const struct routing_bgppeer *p)
{
	const struct addr *theirs[2] = {&y->v4, &y->v6};
	uint32_t as = y->has_as ? y->as_number : x->cluster_as;
	int i;

	for (i = 0; i < 2; i++) {
		const struct addr *local;
		struct routing_session *s;

		if (!theirs[i]->family)
			continue;
		local = routing_peers_local_addr(x->l, theirs[i]->family);
		if (!local || addr_eq(local, theirs[i]) || routing_peers_taken(x, theirs[i]))
			continue;
		if (!(s = routing_peers_new(x)))
			return -ENOMEM;
		s->pc.addr = *theirs[i];
		s->pc.remote_as = as;
		s->pc.port = routing_peers_port(x->c, x->l, y->name);
		if (!p || !p->source_none)
			s->pc.source = *local;
		/* The higher address connects, the lower one waits (as Calico's mesh). */
		s->pc.passive = addr_cmp(local, theirs[i]) < 0;
		s->pc.families = theirs[i]->family == AF_INET ? BGP_FAMILY_IPV4 : BGP_FAMILY_IPV6;
		/* RFC 4456: a reflector's iBGP neighbours outside its cluster are its clients. */
		s->pc.rr_client = x->eff.cluster_id && y->cluster_id != x->eff.cluster_id &&
		                  as == x->eff.as_number;
		s->source = p ? ROUTING_SRC_BGPPEER : ROUTING_SRC_MESH;
		snprintf(s->node, sizeof(s->node), "%s", y->name);
		if (p)
			snprintf(s->bgppeer, sizeof(s->bgppeer), "%s", p->name);
		snprintf(s->description, sizeof(s->description), "%s%s%snode %s%s",
		         p ? "bgppeer " : "mesh: ", p ? p->name : "", p ? ": " : "", y->name,
		         s->pc.rr_client ? ROUTING_RR_SUFFIX : "");
		if (p && routing_peers_options(x, p, s) < 0)
			continue;
		routing_peers_commit(x, s);
	}
	return 0;
}

static int routing_peers_selector(struct routing_peers_ctx *x, const struct routing_bgppeer *p)
{
	bool me_in_scope = routing_peers_in_scope(p, x->me);
	bool me_selected = routing_peers_selects(p->peer_selector, x->me);
	size_t i;
	int ret;

	if (!me_in_scope && !me_selected)
		return 0;
	for (i = 0; i < x->c->n_nodes; i++) {
		const struct routing_node *y = &x->c->nodes[i];

		if (strcmp(y->name, x->l->node_name) == 0)
			continue;
		if ((me_in_scope && routing_peers_selects(p->peer_selector, y)) ||
		    (me_selected && routing_peers_in_scope(p, y)))
			if ((ret = routing_peers_node(x, y, p)) < 0)
				return ret;
	}
	return 0;
}

int routing_peers_compute(const struct routing_cluster *c, const struct routing_local *l,
                          struct routing_session **out, size_t *n)
{
	const struct routing_bgpconfig *def = routing_peers_config(c, "default");
	struct routing_peers_ctx x = {.c = c, .l = l};
	size_t i;
	int ret = 0;

	routing_peers_effective(c, l, &x.eff);
	x.cluster_as = def && def->has_as   ? def->as_number
	               : l->yaml->as_number ? l->yaml->as_number
	                                    : TABBYD_BGP_DEFAULT_AS;
	x.me = routing_config_find_node(c, l->node_name);
	if (!x.me) {
		snprintf(x.me_empty.name, sizeof(x.me_empty.name), "%s", l->node_name);
		x.me = &x.me_empty;
	}
	for (i = 0; i < c->n_peers && ret == 0; i++) {
		const struct routing_bgppeer *p = &c->peers[i];

		if (p->has_peer_ip)
			ret = routing_peers_in_scope(p, x.me) ? routing_peers_peer_ip(&x, p) : 0;
		else
			ret = routing_peers_selector(&x, p);
	}
	for (i = 0; x.eff.mesh && i < c->n_nodes && ret == 0; i++)
		if (strcmp(c->nodes[i].name, l->node_name) != 0)
			ret = routing_peers_node(&x, &c->nodes[i], NULL);
	if (ret < 0) {
		free(x.v);
		return ret;
	}
	/* realloc moved the strings: point the configs at them again. */
	for (i = 0; i < x.n; i++)
		routing_peers_fixup(&x.v[i]);
	*out = x.v;
	*n = x.n;
	return 0;
}

void routing_peers_fixup(struct routing_session *s)
{
	s->pc.description = s->description;
	s->pc.password = s->password[0] ? s->password : NULL;
}

bool routing_peers_equal(const struct routing_session *a, const struct routing_session *b)
{
	const struct bgp_peer_config *x = &a->pc, *y = &b->pc;

	return addr_eq(&x->addr, &y->addr) && x->remote_as == y->remote_as &&
	       x->passive == y->passive && x->port == y->port &&
	       x->source.family == y->source.family &&
	       (!x->source.family || addr_eq(&x->source, &y->source)) &&
	       x->ttl_security == y->ttl_security && x->hold_time == y->hold_time &&
	       x->connect_retry == y->connect_retry && x->rr_client == y->rr_client &&
	       x->families == y->families && strcmp(a->description, b->description) == 0 &&
	       strcmp(a->password, b->password) == 0;
}
