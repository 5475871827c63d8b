/*
 * DOC: slab allocator and large-table memory for the RIB (see slab.h).
 *
 * Objects of one size are carved from 64 KiB chunks; freed objects go on a
 * free list and are reused first. This keeps a route at its own size (no
 * per-object malloc header) and an ingest of a million prefixes at a few
 * hundred mallocs. Slabs are walked in allocation order, so small pages
 * serve them well; huge pages are kept for the hash tables' arrays, which
 * are probed at random (bgp_bigtable_alloc). (Huge pages for the slabs too
 * were tried: on a virtual machine the first touch of a fresh 2 MiB page
 * can cost more than the TLB misses it saves.)
 */
#include <config.h>

#include <stdlib.h>
#include <sys/mman.h>

#include "slab.h"

#define RIB_SLAB_CHUNK (64 * 1024)
#define BGP_HUGE_PAGE  (2 * 1024 * 1024)

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

static size_t bgp_bigtable_round(size_t n)
{
	return (n + BGP_HUGE_PAGE - 1) & ~(size_t)(BGP_HUGE_PAGE - 1);
}

void *bgp_bigtable_alloc(size_t n)
{
	size_t len, head, tail;
	uint8_t *p;
	uintptr_t a;

	if (n < BGP_HUGE_PAGE)
		return calloc(1, n);
	/* A 2 MiB-aligned anonymous mapping (zeroed by the kernel), huge pages if possible. */
	n = bgp_bigtable_round(n);
	len = n + BGP_HUGE_PAGE;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + BGP_HUGE_PAGE - 1) & ~(uintptr_t)(BGP_HUGE_PAGE - 1);
	head = a - (uintptr_t)p;
	tail = len - head - n;
	if (head)
		munmap(p, head);
	if (tail)
		munmap((uint8_t *)a + n, tail);
#ifdef MADV_HUGEPAGE
	(void)madvise((void *)a, n, MADV_HUGEPAGE); /* a hint: small pages still work */
#endif
	return (void *)a;
}

void bgp_bigtable_free(void *p, size_t n)
{
	if (!p)
		return;
	if (n < BGP_HUGE_PAGE)
		free(p);
	else
		munmap(p, bgp_bigtable_round(n));
}
