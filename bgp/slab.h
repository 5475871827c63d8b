/*
 * DOC: memory for the RIB: fixed-size object slabs and large zeroed tables.
 *
 * A slab carves objects of one size from 64 KiB chunks and keeps freed
 * objects on a free list: no per-object malloc header and a few hundred
 * mallocs for a million routes. Routes,
 * destinations, Adj-RIB-Out entries and interned attribute sets (one slab
 * per size class) live in slabs.
 *
 * Hash-table arrays of 2 MiB and more come from bgp_bigtable_alloc(): a
 * private mapping asked to be backed by transparent huge pages, so that a
 * random probe into a table of millions of slots costs neither a TLB miss
 * per lookup nor a page fault per 4 KiB while the table fills.
 */
#ifndef TABBY_BGP_SLAB_H
#define TABBY_BGP_SLAB_H

#include <stddef.h>
#include <stdint.h>

struct rib_slab {
	size_t size;
	void *free;
	void *chunks; /* list of chunks (first word links them) */
	uint8_t *cur;
	size_t left;
	size_t in_use;
};

void rib_slab_init(struct rib_slab *s, size_t size);
void *rib_slab_alloc(struct rib_slab *s);
void rib_slab_free(struct rib_slab *s, void *p);
void rib_slab_destroy(struct rib_slab *s);

/* n bytes of zeroed memory for a hash table's array; NULL on ENOMEM. */
void *bgp_bigtable_alloc(size_t n);
/* Free what bgp_bigtable_alloc(n) returned (same n). */
void bgp_bigtable_free(void *p, size_t n);

#endif
