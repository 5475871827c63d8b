/*
 * DOC: blackhole routes for the blocks affine to this node.
 *
 * When the node claims a block it installs "blackhole <block> proto 84", so
 * traffic to an unassigned address of its own block is dropped here instead
 * of following the default route, and the BGP speaker originates the block.
 * The agent remembers what it installed and adds and removes routes as the
 * affine set changes (after an ADD claimed a block, at start-up).
 */
#include "config.h"

#include <stdlib.h>

#include <tabby/dataplane.h>
#include <tabby/ipam.h>
#include <tabby/log.h>

#include "tabbyd.h"

int cni_blackholes_sync(struct tabbyd *d)
{
	struct prefix *blocks = NULL;
	size_t n = 0, i, k;
	char buf[PREFIX_STRLEN];
	int ret;

	ret = ipam_blocks_affine(d->ipam, &blocks, &n);
	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++) {
		for (k = 0; k < d->n_blackholes; k++)
			if (prefix_eq(&d->blackholes[k], &blocks[i]))
				break;
		if (k < d->n_blackholes)
			continue;
		if (dp_blackhole_set(d->nl, &blocks[i]) < 0)
			log_warn("blackhole route for block %s: %s",
			         prefix_format(&blocks[i], buf, sizeof(buf)), nl_ctx_error(d->nl));
		else
			log_info("block %s is affine to this node: blackhole route installed",
			         prefix_format(&blocks[i], buf, sizeof(buf)));
	}
	for (k = 0; k < d->n_blackholes; k++) {
		for (i = 0; i < n; i++)
			if (prefix_eq(&d->blackholes[k], &blocks[i]))
				break;
		if (i == n && dp_blackhole_del(d->nl, &d->blackholes[k]) == 0)
			log_info("block %s no longer affine: blackhole route removed",
			         prefix_format(&d->blackholes[k], buf, sizeof(buf)));
	}
	free(d->blackholes);
	d->blackholes = blocks;
	d->n_blackholes = n;
	return 0;
}
