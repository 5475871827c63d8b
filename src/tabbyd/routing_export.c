/*
 * DOC: what the node advertises (route export), doc/routing.md.
 *
 * With BGP on, the node originates
 *  - each block affine to it (ipam_blocks_affine(): confirmed affinities) as
 *    one aggregate, as Calico's BIRD exports its blocks;
 *  - each address it holds in another node's block (ipam_borrowed_list()) as
 *    a /32 or /128, so that traffic for it is not drawn to the block's owner.
 * Both come from the IPAM documents in the datastore. A watch on
 * /tabby/v1/ipam/ arms a 20 ms debounce timer; when it fires, both lists are
 * read again and compared with what is originated: new prefixes are
 * originated, gone ones withdrawn. A burst of CNI ADDs costs one resync.
 *
 * Prefixes declared in bgp.originate belong to bgp.c: never originated or
 * withdrawn from here (their attributes win).
 *
 * The same lists answer routing_export_is_local() for the FIB, which must not
 * install a learned route over the node's own blocks or addresses; the FIB
 * is told when they change.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <tabby/ipam.h>
#include <tabby/log.h>
#include <tabby/store.h>

#include "tabbyd.h"

#define ROUTING_EXPORT_PREFIX      STORE_KEY_PREFIX "ipam/"
#define ROUTING_EXPORT_DEBOUNCE_MS 20

struct routing_export {
	struct tabbyd *d;
	struct store_watch *watch;
	struct event *debounce;
	struct prefix *blocks; /* originated aggregates */
	size_t n_blocks;
	struct prefix *hosts; /* originated borrowed addresses, /32 and /128 */
	size_t n_hosts;
};

static bool routing_export_in(const struct prefix *set, size_t n, const struct prefix *p)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (prefix_eq(&set[i], p))
			return true;
	return false;
}

static bool routing_export_configured(const struct tabbyd *d, const struct prefix *p)
{
	size_t i;

	for (i = 0; i < d->cfg.bgp.n_origins; i++)
		if (prefix_eq(&d->cfg.bgp.origins[i].prefix, p))
			return true;
	return false;
}

bool routing_export_is_local(const struct tabbyd *d, const struct prefix *p)
{
	const struct routing_export *e = d->rt_export;
	size_t i;

	if (!e)
		return false;
	for (i = 0; i < e->n_blocks; i++)
		if (prefix_contains(p, &e->blocks[i]))
			return true;
	return routing_export_in(e->hosts, e->n_hosts, p);
}

/*
 * Originate what is in cur and not in old (everything in cur if all), withdraw
 * what is in old and not in cur. Returns the number of changes.
 */
static unsigned routing_export_diff(struct routing_export *e, const struct prefix *old,
                                    size_t n_old, const struct prefix *cur, size_t n_cur, bool all,
                                    const char *what)
{
	char pb[PREFIX_STRLEN];
	unsigned changes = 0;
	size_t i;
	int ret;

	for (i = 0; i < n_old; i++) {
		if (routing_export_in(cur, n_cur, &old[i]) ||
		    routing_export_configured(e->d, &old[i]))
			continue;
		ret = bgp_withdraw(e->d->bgp, &old[i]);
		if (ret < 0 && ret != -ENOENT)
			log_warn("bgp: withdrawing %s %s: %s", what,
			         prefix_format(&old[i], pb, sizeof(pb)), strerror(-ret));
		else
			log_info("bgp: withdrew %s %s", what,
			         prefix_format(&old[i], pb, sizeof(pb)));
		changes++;
	}
	for (i = 0; i < n_cur; i++) {
		bool had = routing_export_in(old, n_old, &cur[i]);

		if ((had && !all) || routing_export_configured(e->d, &cur[i]))
			continue;
		ret = bgp_originate(e->d->bgp, &cur[i], NULL);
		if (ret < 0)
			log_warn("bgp: originating %s %s: %s", what,
			         prefix_format(&cur[i], pb, sizeof(pb)), strerror(-ret));
		else if (!had)
			log_info("bgp: originating %s %s", what,
			         prefix_format(&cur[i], pb, sizeof(pb)));
		changes += !had;
	}
	return changes;
}

/* Read both lists again and originate/withdraw the difference (all: originate every one). */
static int routing_export_sync(struct routing_export *e, bool all)
{
	struct prefix *blocks = NULL, *hosts = NULL;
	struct addr *borrowed = NULL;
	size_t n_blocks = 0, n_borrowed = 0, i;
	unsigned changes;
	int ret;

	ret = ipam_blocks_affine(e->d->ipam, &blocks, &n_blocks);
	if (ret < 0) {
		log_warn("bgp: reading this node's affine blocks: %s; retrying at the next change",
		         strerror(-ret));
		goto out;
	}
	ret = ipam_borrowed_list(e->d->ipam, &borrowed, &n_borrowed);
	if (ret < 0) {
		log_warn("bgp: reading this node's borrowed addresses: %s; retrying at the next "
		         "change",
		         strerror(-ret));
		goto out;
	}
	hosts = calloc(n_borrowed ? n_borrowed : 1, sizeof(*hosts));
	if (!hosts) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n_borrowed; i++)
		prefix_from_addr(&hosts[i], &borrowed[i]);
	changes = routing_export_diff(e, e->blocks, e->n_blocks, blocks, n_blocks, all, "block");
	changes += routing_export_diff(e, e->hosts, e->n_hosts, hosts, n_borrowed, all,
	                               "borrowed address");
	free(e->blocks);
	free(e->hosts);
	e->blocks = blocks;
	e->n_blocks = n_blocks;
	e->hosts = hosts;
	e->n_hosts = n_borrowed;
	blocks = hosts = NULL;
	if (changes)
		routing_fib_local_changed(e->d);
	ret = 0;
out:
	free(blocks);
	free(hosts);
	free(borrowed);
	return ret;
}

static void routing_export_watch_cb(const struct store_event *ev, void *arg)
{
	struct routing_export *e = arg;
	struct timeval tv = {.tv_usec = ROUTING_EXPORT_DEBOUNCE_MS * 1000};

	(void)ev;
	if (!evtimer_pending(e->debounce, NULL))
		evtimer_add(e->debounce, &tv);
}

static int routing_export_watch(struct routing_export *e)
{
	int ret = store_watch(e->d->store, ROUTING_EXPORT_PREFIX, 0, routing_export_watch_cb, e,
	                      &e->watch);

	if (ret < 0) {
		e->watch = NULL;
		log_err("bgp: watching %s: %s", ROUTING_EXPORT_PREFIX, store_strerror(ret));
	}
	return ret;
}

static void routing_export_debounce_cb(evutil_socket_t fd, short what, void *arg)
{
	struct routing_export *e = arg;

	(void)fd;
	(void)what;
	/* A watch that fell behind compaction is started again; the full resync covers the gap. */
	if (!e->watch || store_watch_error(e->watch) < 0) {
		if (e->watch)
			store_watch_cancel(e->watch);
		log_warn("bgp: the IPAM watch fell behind; watching again");
		routing_export_watch(e);
	}
	routing_export_sync(e, false);
}

int routing_export_start(struct tabbyd *d)
{
	struct routing_export *e = calloc(1, sizeof(*e));
	int ret;

	if (!e)
		return -ENOMEM;
	e->d = d;
	e->debounce = evtimer_new(d->base, routing_export_debounce_cb, e);
	if (!e->debounce) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = routing_export_watch(e); /* before the first read: no change is missed */
	if (ret < 0)
		goto fail;
	d->rt_export = e;
	routing_export_sync(e, true);
	log_info("bgp: exporting %zu affine block%s and %zu borrowed address%s", e->n_blocks,
	         e->n_blocks == 1 ? "" : "s", e->n_hosts, e->n_hosts == 1 ? "" : "es");
	return 0;
fail:
	if (e->debounce)
		event_free(e->debounce);
	free(e);
	return ret;
}

/* Originate every exported prefix again (after a reload touched the originations). */
void routing_export_refresh(struct tabbyd *d)
{
	if (d->rt_export)
		routing_export_sync(d->rt_export, true);
}

/* Stop watching; the originations go with the speaker. */
void routing_export_stop(struct tabbyd *d)
{
	struct routing_export *e = d->rt_export;

	if (!e)
		return;
	if (e->watch)
		store_watch_cancel(e->watch);
	event_free(e->debounce);
	free(e->blocks);
	free(e->hosts);
	free(e);
	d->rt_export = NULL;
}
