/*
 * DOC: slab allocator for routes, destinations and Adj-RIB-Out entries.
 *
 * Objects of one size are carved from 64 KiB chunks; freed objects go on a
 * free list and are reused first. This keeps a route at its own size (no
 * per-object malloc header) and an ingest of a million prefixes at a few
 * hundred mallocs.
 */
#include <config.h>

#include <stdlib.h>

#include "rib_int.h"

#define RIB_SLAB_CHUNK (64 * 1024)

void rib_slab_init(struct rib_slab *s, size_t size)
{
	s->size = (size + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
	s->free = NULL;
	s->chunks = NULL;
	s->cur = NULL;
	s->left = 0;
	s->in_use = 0;
}

void *rib_slab_alloc(struct rib_slab *s)
{
	void *p;

	if (s->free) {
		p = s->free;
		s->free = *(void **)p;
		s->in_use++;
		return p;
	}
	if (s->left < s->size) {
		void **chunk = malloc(RIB_SLAB_CHUNK);
		if (!chunk)
			return NULL;
		*chunk = s->chunks;
		s->chunks = chunk;
		s->cur = (uint8_t *)chunk + sizeof(void *) * 2; /* keep 16-byte alignment */
		s->left = RIB_SLAB_CHUNK - sizeof(void *) * 2;
	}
	p = s->cur;
	s->cur += s->size;
	s->left -= s->size;
	s->in_use++;
	return p;
}

void rib_slab_free(struct rib_slab *s, void *p)
{
	if (!p)
		return;
	*(void **)p = s->free;
	s->free = p;
	s->in_use--;
}

void rib_slab_destroy(struct rib_slab *s)
{
	void *c = s->chunks, *next;

	while (c) {
		next = *(void **)c;
		free(c);
		c = next;
	}
	rib_slab_init(s, s->size);
}
