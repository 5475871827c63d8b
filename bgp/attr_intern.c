/*
 * DOC: attribute-set builder and interning table (see attr.h).
 *
 * The table is an open-addressing hash table of struct bgp_attrs keyed by
 * the canonical form (fixed key + parts), each slot holding the set's hash
 * next to its pointer. bgp_attr_intern() hashes the builder's key and parts
 * once (or takes the hash bgp_attr_hash() computed earlier, when the UPDATE
 * was prepared and its slot prefetched), compares candidates with memcmp,
 * and on a miss copies the set into one object from the table's slab of
 * that size class (malloc for sets with more than 376 bytes of parts).
 * References are counted; the last bgp_attr_unref() unlinks and frees the
 * set. The slot array comes from bgp_bigtable_alloc() (huge pages once it
 * reaches 2 MiB).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"

struct bgp_attr_builder *bgp_attr_builder_new(void)
{
	struct bgp_attr_builder *b = malloc(sizeof(*b));

	if (b)
		bgp_attr_builder_reset(b);
	return b;
}

void bgp_attr_builder_free(struct bgp_attr_builder *b)
{
	free(b);
}

void bgp_attr_builder_reset(struct bgp_attr_builder *b)
{
	memset(&b->k, 0, sizeof(b->k));
	memset(b->part, 0, sizeof(b->part));
	memset(b->part_len, 0, sizeof(b->part_len));
}

const uint8_t *bgp_attrs_part(const struct bgp_attrs *a, enum bgp_attr_part part, size_t *len)
{
	size_t off = 0;

	for (int i = 0; i < (int)part; i++)
		off += a->k.part_len[i];
	*len = a->k.part_len[part];
	return a->data + off;
}

void bgp_attr_builder_load(struct bgp_attr_builder *b, const struct bgp_attrs *a)
{
	bgp_attr_builder_reset(b);
	memcpy(&b->k, &a->k, sizeof(b->k));
	for (int i = 0; i < BGP_PART_COUNT; i++)
		b->part[i] = bgp_attrs_part(a, i, &b->part_len[i]);
}

/* RFC 4271 9.1.2.2 (a) path length and (c) neighbour AS; RFC 5065 5.3 for confederations. */
void bgp_attr_builder_path_info(struct bgp_attr_builder *b)
{
	struct buf_reader r;
	uint8_t type, count;
	uint32_t first;
	size_t len = 0;
	bool have_first = false;

	b->k.neighbor_as = 0;
	buf_reader_init(&r, b->part[BGP_PART_AS_PATH], b->part_len[BGP_PART_AS_PATH]);
	while (buf_get_u8(&r, &type) == 0 && buf_get_u8(&r, &count) == 0) {
		if (type == BGP_AS_SEQUENCE)
			len += count;
		else if (type == BGP_AS_SET)
			len += 1; /* RFC 4271 9.1.2.2 (a): an AS_SET counts 1 */
		if (!have_first && (type == BGP_AS_SEQUENCE || type == BGP_AS_SET)) {
			have_first = true;
			struct buf_reader peek = r;
			if (type == BGP_AS_SEQUENCE && buf_get_u32(&peek, &first) == 0)
				b->k.neighbor_as = first;
		}
		if (buf_skip(&r, (size_t)count * 4) < 0)
			break;
	}
	b->k.as_path_len = len > 0xffff ? 0xffff : (uint16_t)len;
}

int bgp_attr_builder_set_path(struct bgp_attr_builder *b, const uint32_t *asns, size_t n)
{
	struct buf_writer w;
	size_t i = 0;

	buf_writer_init_fixed(&w, b->path_buf, sizeof(b->path_buf));
	while (i < n) {
		size_t seg = n - i > 255 ? 255 : n - i;
		buf_put_u8(&w, BGP_AS_SEQUENCE);
		buf_put_u8(&w, (uint8_t)seg);
		for (size_t j = 0; j < seg; j++)
			buf_put_u32(&w, asns[i + j]);
		i += seg;
	}
	if (!buf_writer_ok(&w))
		return -E2BIG;
	b->part[BGP_PART_AS_PATH] = b->path_buf;
	b->part_len[BGP_PART_AS_PATH] = w.len;
	bgp_attr_builder_path_info(b);
	return 0;
}

/* RFC 4271 5.1.2 (b): prepend to the leftmost AS_SEQUENCE, or start one. */
int bgp_attr_builder_prepend(struct bgp_attr_builder *b, uint32_t asn)
{
	uint8_t tmp[sizeof(b->path_buf)];
	struct buf_reader r;
	struct buf_writer w;
	uint8_t type = 0, count = 0;
	size_t len = b->part_len[BGP_PART_AS_PATH];

	buf_reader_init(&r, b->part[BGP_PART_AS_PATH], len);
	buf_writer_init_fixed(&w, tmp, sizeof(tmp));
	if (buf_peek_u8(&r, &type) == 0 && type == BGP_AS_SEQUENCE) {
		buf_get_u8(&r, &type);
		buf_get_u8(&r, &count);
	}
	if (type == BGP_AS_SEQUENCE && count < 255) {
		buf_put_u8(&w, BGP_AS_SEQUENCE);
		buf_put_u8(&w, (uint8_t)(count + 1));
	} else {
		if (type == BGP_AS_SEQUENCE) /* full segment: leave it as it was */
			buf_reader_init(&r, b->part[BGP_PART_AS_PATH], len);
		buf_put_u8(&w, BGP_AS_SEQUENCE);
		buf_put_u8(&w, 1);
	}
	buf_put_u32(&w, asn);
	buf_put_bytes(&w, buf_cursor(&r), buf_remaining(&r));
	if (!buf_writer_ok(&w) || w.len > sizeof(b->path_buf))
		return -E2BIG;
	memcpy(b->path_buf, tmp, w.len);
	b->part[BGP_PART_AS_PATH] = b->path_buf;
	b->part_len[BGP_PART_AS_PATH] = w.len;
	bgp_attr_builder_path_info(b);
	return 0;
}

/* RFC 5065 5.3: confederation segments never leave the confederation. */
int bgp_attr_builder_strip_confed(struct bgp_attr_builder *b)
{
	uint8_t tmp[sizeof(b->path_buf)];
	struct buf_reader r;
	struct buf_writer w;
	uint8_t type, count;
	bool any = false;

	buf_reader_init(&r, b->part[BGP_PART_AS_PATH], b->part_len[BGP_PART_AS_PATH]);
	buf_writer_init_fixed(&w, tmp, sizeof(tmp));
	while (buf_get_u8(&r, &type) == 0 && buf_get_u8(&r, &count) == 0) {
		struct buf_reader seg;
		if (buf_sub(&r, (size_t)count * 4, &seg) < 0)
			break;
		if (type >= BGP_AS_CONFED_SEQUENCE) {
			any = true;
			continue;
		}
		buf_put_u8(&w, type);
		buf_put_u8(&w, count);
		buf_put_bytes(&w, buf_cursor(&seg), buf_remaining(&seg));
	}
	if (!any)
		return 0;
	if (!buf_writer_ok(&w))
		return -E2BIG;
	memcpy(b->path_buf, tmp, w.len);
	b->part[BGP_PART_AS_PATH] = b->path_buf;
	b->part_len[BGP_PART_AS_PATH] = w.len;
	bgp_attr_builder_path_info(b);
	return 0;
}

/* RFC 4456 8: the reflector prepends its CLUSTER_ID to CLUSTER_LIST. */
int bgp_attr_builder_prepend_cluster(struct bgp_attr_builder *b, uint32_t id)
{
	uint8_t tmp[sizeof(b->cluster_buf)];
	struct buf_writer w;

	buf_writer_init_fixed(&w, tmp, sizeof(tmp));
	buf_put_u32(&w, id);
	buf_put_bytes(&w, b->part[BGP_PART_CLUSTER_LIST], b->part_len[BGP_PART_CLUSTER_LIST]);
	if (!buf_writer_ok(&w) || w.len > sizeof(b->cluster_buf))
		return -E2BIG;
	memcpy(b->cluster_buf, tmp, w.len);
	b->part[BGP_PART_CLUSTER_LIST] = b->cluster_buf;
	b->part_len[BGP_PART_CLUSTER_LIST] = w.len;
	return 0;
}

int bgp_attr_builder_set_communities(struct bgp_attr_builder *b, const uint32_t *c, size_t n)
{
	struct buf_writer w;

	buf_writer_init_fixed(&w, b->comm_buf, sizeof(b->comm_buf));
	for (size_t i = 0; i < n; i++)
		buf_put_u32(&w, c[i]);
	if (!buf_writer_ok(&w))
		return -E2BIG;
	b->part[BGP_PART_COMMUNITY] = n ? b->comm_buf : NULL;
	b->part_len[BGP_PART_COMMUNITY] = w.len;
	return 0;
}

int bgp_attr_builder_set_large_communities(struct bgp_attr_builder *b,
                                           const struct bgp_large_community *c, size_t n)
{
	struct buf_writer w;

	buf_writer_init_fixed(&w, b->lcomm_buf, sizeof(b->lcomm_buf));
	for (size_t i = 0; i < n; i++) {
		buf_put_u32(&w, c[i].global);
		buf_put_u32(&w, c[i].local1);
		buf_put_u32(&w, c[i].local2);
	}
	if (!buf_writer_ok(&w))
		return -E2BIG;
	b->part[BGP_PART_LARGE_COMMUNITY] = n ? b->lcomm_buf : NULL;
	b->part_len[BGP_PART_LARGE_COMMUNITY] = w.len;
	return 0;
}

/* Does a part made of 32-bit values (COMMUNITY, CLUSTER_LIST) hold v? */
static bool bgp_attrs_part_has_u32(const struct bgp_attrs *a, enum bgp_attr_part part, uint32_t v)
{
	struct buf_reader r;
	size_t len;
	const uint8_t *p = bgp_attrs_part(a, part, &len);
	uint32_t x;

	buf_reader_init(&r, p, len);
	while (buf_get_u32(&r, &x) == 0)
		if (x == v)
			return true;
	return false;
}

bool bgp_attrs_has_community(const struct bgp_attrs *a, uint32_t c)
{
	return bgp_attrs_part_has_u32(a, BGP_PART_COMMUNITY, c);
}

bool bgp_attrs_cluster_has(const struct bgp_attrs *a, uint32_t id)
{
	return bgp_attrs_part_has_u32(a, BGP_PART_CLUSTER_LIST, id);
}

bool bgp_attrs_path_has_as(const struct bgp_attrs *a, uint32_t asn)
{
	struct buf_reader r;
	size_t len;
	const uint8_t *p = bgp_attrs_part(a, BGP_PART_AS_PATH, &len);
	uint8_t type, count;
	uint32_t v;

	buf_reader_init(&r, p, len);
	while (buf_get_u8(&r, &type) == 0 && buf_get_u8(&r, &count) == 0) {
		for (unsigned i = 0; i < count; i++) {
			if (buf_get_u32(&r, &v) < 0)
				return false;
			if (v == asn)
				return true;
		}
	}
	return false;
}

/* 64-bit multiply-xorshift hash over 8-byte words read through the buf reader. */
static uint64_t bgp_hash_bytes(uint64_t h, const void *p, size_t len)
{
	struct buf_reader r;
	uint64_t x;
	uint8_t c;

	buf_reader_init(&r, p, len);
	while (buf_get_u64(&r, &x) == 0) {
		h ^= x;
		h *= 0x9E3779B97F4A7C15ull;
		h ^= h >> 29;
	}
	while (buf_get_u8(&r, &c) == 0) {
		h ^= c;
		h *= 0x100000001B3ull;
	}
	return h;
}

/* The fixed key is our own struct: hash it word by word without the reader. */
static uint64_t bgp_hash_key(uint64_t h, const struct bgp_attrs_key *k)
{
	uint64_t words[(sizeof(*k) + 7) / 8] = {0};

	memcpy(words, k, sizeof(*k));
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		h ^= words[i];
		h *= 0x9E3779B97F4A7C15ull;
		h ^= h >> 29;
	}
	return h;
}

static uint32_t bgp_attr_builder_hash(const struct bgp_attr_builder *b, struct bgp_attrs_key *k)
{
	uint64_t h = 0xcbf29ce484222325ull;

	memcpy(k, &b->k, sizeof(*k));
	for (int i = 0; i < BGP_PART_COUNT; i++)
		k->part_len[i] = (uint32_t)b->part_len[i];
	h = bgp_hash_key(h, k);
	for (int i = 0; i < BGP_PART_COUNT; i++)
		if (b->part_len[i])
			h = bgp_hash_bytes(h, b->part[i], b->part_len[i]);
	h ^= h >> 32;
	return (uint32_t)h;
}

static bool bgp_attrs_equal(const struct bgp_attrs *a, const struct bgp_attrs_key *k,
                            const struct bgp_attr_builder *b)
{
	size_t off = 0;

	if (memcmp(&a->k, k, sizeof(*k)) != 0)
		return false;
	for (int i = 0; i < BGP_PART_COUNT; i++) {
		if (b->part_len[i] && memcmp(a->data + off, b->part[i], b->part_len[i]) != 0)
			return false;
		off += b->part_len[i];
	}
	return true;
}

/* Marks a deleted slot: lookups probe past it, insertions reuse it. */
static struct bgp_attrs bgp_attr_tombstone;
#define BGP_ATTR_TOMBSTONE (&bgp_attr_tombstone)

static size_t bgp_attrs_data_len(const struct bgp_attrs_key *k)
{
	size_t total = 0;

	for (int p = 0; p < BGP_PART_COUNT; p++)
		total += k->part_len[p];
	return total;
}

/* Slab class of a set with total bytes of parts, or BGP_ATTR_SLAB_CLASSES: malloc. */
static size_t bgp_attrs_class(size_t total)
{
	size_t c = (total + 7) / 8;

	return c < BGP_ATTR_SLAB_CLASSES ? c : BGP_ATTR_SLAB_CLASSES;
}

static struct bgp_attrs *bgp_attrs_alloc(struct bgp_attr_table *t, size_t total)
{
	size_t c = bgp_attrs_class(total);

	if (c < BGP_ATTR_SLAB_CLASSES)
		return rib_slab_alloc(&t->sets[c]);
	return malloc(sizeof(struct bgp_attrs) + total);
}

static void bgp_attrs_release(struct bgp_attr_table *t, struct bgp_attrs *a)
{
	size_t c = bgp_attrs_class(bgp_attrs_data_len(&a->k));

	if (c < BGP_ATTR_SLAB_CLASSES)
		rib_slab_free(&t->sets[c], a);
	else
		free(a);
}

int bgp_attr_table_init(struct bgp_attr_table *t)
{
	t->mask = 255;
	t->count = 0;
	t->used = 0;
	for (size_t c = 0; c < BGP_ATTR_SLAB_CLASSES; c++)
		rib_slab_init(&t->sets[c], sizeof(struct bgp_attrs) + 8 * c);
	t->slots = bgp_bigtable_alloc((t->mask + 1) * sizeof(*t->slots));
	return t->slots ? 0 : -ENOMEM;
}

void bgp_attr_table_free(struct bgp_attr_table *t)
{
	/*
	 * Sets still referenced are a caller bug; free them anyway to keep leak
	 * checkers quiet: the slabs go as a whole, the few large sets one by one.
	 */
	for (size_t i = 0; t->slots && i <= t->mask; i++) {
		struct bgp_attrs *a = t->slots[i].a;
		if (a && a != BGP_ATTR_TOMBSTONE &&
		    bgp_attrs_class(bgp_attrs_data_len(&a->k)) == BGP_ATTR_SLAB_CLASSES)
			free(a);
	}
	for (size_t c = 0; c < BGP_ATTR_SLAB_CLASSES; c++)
		rib_slab_destroy(&t->sets[c]);
	bgp_bigtable_free(t->slots, (t->mask + 1) * sizeof(*t->slots));
	t->slots = NULL;
	t->count = 0;
	t->used = 0;
}

/* Rehash into a table of nslots (drops tombstones); uses the stored hashes only. */
static void bgp_attr_table_rehash(struct bgp_attr_table *t, size_t nslots)
{
	struct bgp_attr_slot *ns = bgp_bigtable_alloc(nslots * sizeof(*ns));
	size_t nmask = nslots - 1;

	if (!ns)
		return; /* keep the old, fuller table */
	for (size_t i = 0; i <= t->mask; i++) {
		struct bgp_attr_slot *s = &t->slots[i];
		size_t j;
		if (!s->a || s->a == BGP_ATTR_TOMBSTONE)
			continue;
		for (j = s->hash & nmask; ns[j].a; j = (j + 1) & nmask)
			;
		ns[j] = *s;
	}
	bgp_bigtable_free(t->slots, (t->mask + 1) * sizeof(*t->slots));
	t->slots = ns;
	t->mask = nmask;
	t->used = t->count;
}

uint32_t bgp_attr_hash(const struct bgp_attr_builder *b)
{
	struct bgp_attrs_key k;

	return bgp_attr_builder_hash(b, &k);
}

void bgp_attr_prefetch(const struct bgp_attr_table *t, uint32_t h)
{
	__builtin_prefetch(&t->slots[h & t->mask]);
}

struct bgp_attrs *bgp_attr_intern(struct bgp_attr_table *t, const struct bgp_attr_builder *b)
{
	return bgp_attr_intern_hashed(t, b, bgp_attr_hash(b));
}

struct bgp_attrs *bgp_attr_intern_hashed(struct bgp_attr_table *t, const struct bgp_attr_builder *b,
                                         uint32_t h)
{
	struct bgp_attrs_key k;
	struct bgp_attr_slot *free_slot = NULL;
	struct bgp_attrs *a;
	size_t total = 0, off = 0, i;

	memcpy(&k, &b->k, sizeof(k));
	for (int p = 0; p < BGP_PART_COUNT; p++) {
		k.part_len[p] = (uint32_t)b->part_len[p];
		total += b->part_len[p];
	}
	for (i = h & t->mask; t->slots[i].a; i = (i + 1) & t->mask) {
		struct bgp_attr_slot *s = &t->slots[i];
		if (s->a == BGP_ATTR_TOMBSTONE) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		if (s->hash == h && bgp_attrs_equal(s->a, &k, b))
			return bgp_attr_ref(s->a);
	}
	a = bgp_attrs_alloc(t, total);
	if (!a)
		return NULL;
	memcpy(&a->k, &k, sizeof(k));
	for (int p = 0; p < BGP_PART_COUNT; p++) {
		if (b->part_len[p])
			memcpy(a->data + off, b->part[p], b->part_len[p]);
		off += b->part_len[p];
	}
	a->hash = h;
	a->refcnt = 1;
	if (!free_slot) {
		free_slot = &t->slots[i];
		t->used++;
	}
	free_slot->hash = h;
	free_slot->a = a;
	t->count++;
	/* Keep the load (sets and tombstones) at most one half. */
	if (t->used * 2 > t->mask + 1)
		bgp_attr_table_rehash(t,
		                      t->count * 4 > t->mask + 1 ? (t->mask + 1) * 2 : t->mask + 1);
	return a;
}

void bgp_attr_unref(struct bgp_attr_table *t, struct bgp_attrs *a)
{
	if (!a || --a->refcnt > 0)
		return;
	for (size_t i = a->hash & t->mask; t->slots[i].a; i = (i + 1) & t->mask) {
		if (t->slots[i].a == a) {
			t->slots[i].a = BGP_ATTR_TOMBSTONE;
			t->count--;
			break;
		}
	}
	bgp_attrs_release(t, a);
}
