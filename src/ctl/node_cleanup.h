/*
 * DOC: what `tabbyctl delete node NAME` releases besides the Node document
 * (node_cleanup.c), as `calicoctl delete node` does.
 */
#ifndef TABBYCTL_NODE_CLEANUP_H
#define TABBYCTL_NODE_CLEANUP_H

struct ctl;
struct store;

/*
 * Delete the Node NAME stored at key: first release its IPAM addresses, block
 * affinities and empty blocks (ipam_release_node()) and delete its workload
 * endpoints, then the document (so a failed cleanup can be run again).
 * Prints what was released; 0 or a negative errno (reported on c->err).
 */
int ctl_node_delete(struct ctl *c, struct store *s, const char *key, const char *name);

#endif
