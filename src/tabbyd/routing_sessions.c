/*
 * DOC: the speaker's sessions follow the cluster resources in the datastore.
 *
 * Watches /tabby/v1/bgpconfig/, /tabby/v1/bgppeers/ and /tabby/v1/nodes/
 * (delivered by the store event of bgp.c). A change arms a 20 ms debounce;
 * then the three prefixes are listed, the wanted sessions computed
 * (routing_peers.c) and compared with those this file added before: a gone
 * one is removed (Cease / Peer De-configured), a changed one removed and
 * added again, a new one added; the others are not touched. A malformed
 * document is logged with its key and field and left out.
 *
 * Settings the speaker cannot change live (AS number, listen port, route
 * reflector cluster ID) are compared with those it runs with
 * (d->bgp_eff); a difference restarts the speaker with a warning, from a
 * fresh event so that nothing of this file is on the stack when it goes.
 * The labels of this node's Node are handed to node_selector.c as they
 * change, so IP pools' nodeSelector follows `tabbyctl label` too.
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

#include "routing_peers.h"

#define ROUTING_SESSIONS_DEBOUNCE_MS 20
#define ROUTING_SESSIONS_N_PREFIXES  3

static const char *const routing_sessions_prefixes[ROUTING_SESSIONS_N_PREFIXES] = {
    ROUTING_PREFIX_BGPCONFIG, ROUTING_PREFIX_BGPPEERS, ROUTING_PREFIX_NODES};

struct routing_sessions {
	struct tabbyd *d;
	struct store_watch *watch[ROUTING_SESSIONS_N_PREFIXES];
	struct event *debounce;
	struct routing_session *cur; /* sessions added from here */
	size_t n_cur;
	int64_t labels_rev; /* mod_rev of our Node when its labels were taken */
};

static void routing_sessions_local(const struct tabbyd *d, struct routing_local *l)
{
	l->node_name = d->cfg.node_name;
	l->yaml = &d->cfg.bgp;
	l->underlay = d->cfg.underlay;
	l->n_underlay = d->cfg.n_underlay;
}

/* List the three prefixes into l[] and c. */
static int routing_sessions_read(struct tabbyd *d, struct store_list *l, struct routing_cluster *c)
{
	int i, ret;

	for (i = 0; i < ROUTING_SESSIONS_N_PREFIXES; i++) {
		ret = store_list(d->store, routing_sessions_prefixes[i], &l[i]);
		if (ret < 0) {
			log_warn("bgp: listing %s: %s", routing_sessions_prefixes[i],
			         store_strerror(ret));
			return ret;
		}
	}
	return routing_config_cluster(&l[0], &l[2], &l[1], c);
}

static void routing_sessions_lists_free(struct store_list *l)
{
	int i;

	for (i = 0; i < ROUTING_SESSIONS_N_PREFIXES; i++)
		store_list_free(&l[i]);
}

int routing_sessions_effective(struct tabbyd *d, struct tabbyd_bgp_effective *eff)
{
	struct store_list l[ROUTING_SESSIONS_N_PREFIXES] = {0};
	struct routing_cluster c = {0};
	struct routing_local loc;
	int ret;

	routing_sessions_local(d, &loc);
	ret = routing_sessions_read(d, l, &c);
	if (ret < 0) {
		log_warn("bgp: cluster settings unreadable (%s): tabbyd.yaml's are used",
		         strerror(-ret));
		memset(&c, 0, sizeof(c));
	}
	routing_peers_effective(&c, &loc, eff);
	routing_config_cluster_clear(&c);
	routing_sessions_lists_free(l);
	return ret < 0 ? ret : 0;
}

/* "asNumber 64512 -> 64513, ..." for what differs; false if nothing does. */
static bool routing_sessions_speaker_diff(const struct tabbyd_bgp_effective *a,
                                          const struct tabbyd_bgp_effective *b, char *buf,
                                          size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (a->as_number != b->as_number)
		n += (size_t)snprintf(buf + n, len - n, "asNumber %u -> %u", a->as_number,
		                      b->as_number);
	if (a->listen_port != b->listen_port && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%slistenPort %u -> %u", n ? ", " : "",
		                      a->listen_port, b->listen_port);
	if (a->cluster_id != b->cluster_id && n < len)
		n += (size_t)snprintf(
		    buf + n, len - n, "%srouteReflectorClusterID %u.%u.%u.%u -> %u.%u.%u.%u",
		    n ? ", " : "", a->cluster_id >> 24, (a->cluster_id >> 16) & 255,
		    (a->cluster_id >> 8) & 255, a->cluster_id & 255, b->cluster_id >> 24,
		    (b->cluster_id >> 16) & 255, (b->cluster_id >> 8) & 255, b->cluster_id & 255);
	return n > 0;
}

/* From its own event: check again (a reload may have restarted meanwhile), then restart. */
static void routing_sessions_restart_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tabbyd *d = arg;
	struct tabbyd_bgp_effective eff;
	char why[256];

	(void)fd;
	(void)what;
	if (!d->bgp || routing_sessions_effective(d, &eff) < 0 ||
	    !routing_sessions_speaker_diff(&d->bgp_eff, &eff, why, sizeof(why)))
		return;
	tabbyd_bgp_restart(d, why);
}

static const struct routing_session *routing_sessions_in(const struct routing_session *v, size_t n,
                                                         const struct addr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (addr_eq(&v[i].pc.addr, a))
			return &v[i];
	return NULL;
}

static int routing_sessions_add(struct routing_sessions *s, const struct routing_session *w)
{
	char ab[ADDR_STRLEN];
	int ret = bgp_peer_add(s->d->bgp, &w->pc, NULL);

	addr_format(&w->pc.addr, ab, sizeof(ab));
	if (ret == -EEXIST)
		log_debug("bgp: %s (%s): the address is taken (bgp.peers?)", ab, w->description);
	else if (ret < 0)
		log_err("bgp: cannot add %s AS%u (%s): %s", ab, w->pc.remote_as, w->description,
		        strerror(-ret));
	else
		log_info("bgp: peering with %s AS%u (%s)%s", ab, w->pc.remote_as, w->description,
		         w->pc.passive ? ", passive: it connects" : "");
	return ret;
}

/* Apply want to the speaker; s->cur becomes what runs. */
static int routing_sessions_apply(struct routing_sessions *s, struct routing_session *want,
                                  size_t n_want)
{
	struct routing_session *kept = calloc(n_want + s->n_cur + 1, sizeof(*kept));
	size_t n_kept = 0, i;
	char ab[ADDR_STRLEN];

	if (!kept)
		return -ENOMEM;
	for (i = 0; i < s->n_cur; i++) {
		const struct routing_session *c = &s->cur[i];
		const struct routing_session *w = routing_sessions_in(want, n_want, &c->pc.addr);
		struct bgp_peer *bp = bgp_peer_find(s->d->bgp, &c->pc.addr);

		if (w && bp && routing_peers_equal(w, c)) {
			kept[n_kept] = *c;
			routing_peers_fixup(&kept[n_kept++]);
			continue;
		}
		if (bp)
			bgp_peer_remove(s->d->bgp, bp);
		log_info("bgp: %s (%s): session %s", addr_format(&c->pc.addr, ab, sizeof(ab)),
		         c->description, w ? "changed: added again" : "no longer wanted: removed");
	}
	for (i = 0; i < n_want; i++) {
		if (routing_sessions_in(kept, n_kept, &want[i].pc.addr))
			continue;
		if (routing_sessions_add(s, &want[i]) == 0) {
			kept[n_kept] = want[i];
			routing_peers_fixup(&kept[n_kept++]);
		}
	}
	free(s->cur);
	s->cur = kept;
	s->n_cur = n_kept;
	return 0;
}

/* Our Node's labels to node_selector.c when the document changed. */
static void routing_sessions_labels(struct routing_sessions *s, const struct store_list *nodes)
{
	char key[512];
	size_t i;

	snprintf(key, sizeof(key), ROUTING_PREFIX_NODES "%s", s->d->cfg.node_name);
	for (i = 0; i < nodes->n; i++) {
		if (strcmp(nodes->kvs[i].key, key) != 0 || nodes->kvs[i].mod_rev == s->labels_rev)
			continue;
		if (node_labels_set(s->d, nodes->kvs[i].value) == 0)
			s->labels_rev = nodes->kvs[i].mod_rev;
	}
}

static int routing_sessions_sync(struct routing_sessions *s)
{
	struct store_list l[ROUTING_SESSIONS_N_PREFIXES] = {0};
	struct routing_cluster c = {0};
	struct routing_session *want = NULL;
	struct tabbyd_bgp_effective eff;
	struct routing_local loc;
	size_t n_want = 0;
	char why[256];
	int ret;

	routing_sessions_local(s->d, &loc);
	ret = routing_sessions_read(s->d, l, &c);
	if (ret < 0)
		goto out;
	routing_sessions_labels(s, &l[2]);
	routing_peers_effective(&c, &loc, &eff);
	if (routing_sessions_speaker_diff(&s->d->bgp_eff, &eff, why, sizeof(why))) {
		struct timeval now = {0};

		log_warn("bgp: %s: the speaker restarts", why);
		ret = event_base_once(s->d->base, -1, EV_TIMEOUT, routing_sessions_restart_cb, s->d,
		                      &now);
		goto out;
	}
	if (eff.mesh != s->d->bgp_eff.mesh)
		log_notice("bgp: node-to-node mesh %s", eff.mesh ? "on" : "off");
	s->d->bgp_eff.mesh = eff.mesh;
	ret = routing_peers_compute(&c, &loc, &want, &n_want);
	if (ret == 0)
		ret = routing_sessions_apply(s, want, n_want);
out:
	if (ret < 0)
		log_warn("bgp: sessions not reconciled (%s); again at the next change",
		         strerror(-ret));
	free(want);
	routing_config_cluster_clear(&c);
	routing_sessions_lists_free(l);
	return ret;
}

static void routing_sessions_watch_cb(const struct store_event *ev, void *arg)
{
	struct routing_sessions *s = arg;
	struct timeval tv = {.tv_usec = ROUTING_SESSIONS_DEBOUNCE_MS * 1000};

	(void)ev;
	if (!evtimer_pending(s->debounce, NULL))
		evtimer_add(s->debounce, &tv);
}

/* (Re)start the watches that are missing or fell behind. */
static int routing_sessions_watch(struct routing_sessions *s)
{
	int i, ret = 0, r;

	for (i = 0; i < ROUTING_SESSIONS_N_PREFIXES; i++) {
		if (s->watch[i] && store_watch_error(s->watch[i]) == 0)
			continue;
		if (s->watch[i]) {
			log_warn("bgp: the watch of %s fell behind; watching again",
			         routing_sessions_prefixes[i]);
			store_watch_cancel(s->watch[i]);
		}
		r = store_watch(s->d->store, routing_sessions_prefixes[i], 0,
		                routing_sessions_watch_cb, s, &s->watch[i]);
		if (r < 0) {
			s->watch[i] = NULL;
			log_err("bgp: watching %s: %s", routing_sessions_prefixes[i],
			        store_strerror(r));
			ret = r;
		}
	}
	return ret;
}

static void routing_sessions_debounce_cb(evutil_socket_t fd, short what, void *arg)
{
	struct routing_sessions *s = arg;

	(void)fd;
	(void)what;
	routing_sessions_watch(s);
	routing_sessions_sync(s);
}

int routing_sessions_start(struct tabbyd *d)
{
	struct routing_sessions *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->d = d;
	s->labels_rev = -1;
	s->debounce = evtimer_new(d->base, routing_sessions_debounce_cb, s);
	if (!s->debounce) {
		ret = -ENOMEM;
		goto fail;
	}
	d->rt_sessions = s;
	ret = routing_sessions_watch(s);
	if (ret < 0)
		goto fail;
	routing_sessions_sync(s);
	log_info("bgp: node-to-node mesh %s; %zu session%s from the cluster resources",
	         d->bgp_eff.mesh ? "on" : "off", s->n_cur, s->n_cur == 1 ? "" : "s");
	return 0;
fail:
	routing_sessions_stop(d);
	return ret;
}

void routing_sessions_refresh(struct tabbyd *d)
{
	if (d->rt_sessions)
		routing_sessions_sync(d->rt_sessions);
}

/* Stop watching; the sessions go with the speaker. */
void routing_sessions_stop(struct tabbyd *d)
{
	struct routing_sessions *s = d->rt_sessions;
	int i;

	if (!s)
		return;
	for (i = 0; i < ROUTING_SESSIONS_N_PREFIXES; i++)
		if (s->watch[i])
			store_watch_cancel(s->watch[i]);
	if (s->debounce)
		event_free(s->debounce);
	free(s->cur);
	free(s);
	d->rt_sessions = NULL;
}

const struct routing_session *routing_sessions_find(const struct tabbyd *d, const struct addr *a)
{
	const struct routing_sessions *s = d->rt_sessions;

	return s ? routing_sessions_in(s->cur, s->n_cur, a) : NULL;
}

void routing_sessions_peer_json(const struct tabbyd *d, cJSON *peer, const struct addr *a)
{
	const struct routing_session *rs = routing_sessions_find(d, a);

	cJSON_AddBoolToObject(peer, "mesh", rs && rs->source == ROUTING_SRC_MESH);
	cJSON_AddStringToObject(peer, "source",
	                        !rs                              ? "config"
	                        : rs->source == ROUTING_SRC_MESH ? "mesh"
	                                                         : "bgppeer");
	if (rs && rs->bgppeer[0])
		cJSON_AddStringToObject(peer, "bgppeer", rs->bgppeer);
	if (rs && rs->node[0])
		cJSON_AddStringToObject(peer, "node", rs->node);
}
