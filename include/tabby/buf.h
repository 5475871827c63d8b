/*
 * DOC: bounds-checked byte reader and writer.
 *
 * The only way any parser touches untrusted bytes. A reader never reads past
 * its end: every getter checks the length first and fails (returns -1, leaving
 * the output untouched) instead of over-reading. A failed read also sets the
 * sticky "error" flag, so a decoder may do several reads and check once.
 * Sub-readers (buf_sub) give a parser exactly the bytes of one field, e.g.
 * one path attribute, so a wrong inner length cannot leak into the next field.
 *
 * A writer either wraps a fixed buffer or grows on the heap. Writes past a
 * fixed buffer's capacity (or a failed allocation) set the sticky error flag
 * and are dropped, so builders add up writes and check buf_writer_ok() once.
 * Writers return 0, -ENOSPC (no room, or the sticky error is already set),
 * -ENOMEM, or -ERANGE (buf_put_u24 of a value above 2^24 - 1, a patch of
 * bytes not yet written). All multi-byte integers are in network byte order.
 */
#ifndef TABBY_BUF_H
#define TABBY_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf_reader {
	const uint8_t *data;
	size_t len;
	size_t pos;
	bool error;
};

void buf_reader_init(struct buf_reader *r, const void *data, size_t len);
/* Pointer to the unread bytes (valid for buf_remaining() bytes). */
const uint8_t *buf_cursor(const struct buf_reader *r);
bool buf_reader_ok(const struct buf_reader *r);
/* Take the next n bytes as a separate reader and advance past them. */
int buf_sub(struct buf_reader *r, size_t n, struct buf_reader *sub);

/*
 * The getters are inline: a BGP UPDATE is read a few bytes at a time, and a
 * call per field was a sixth of the ingest cost. Each one checks the length
 * first; on failure it sets the sticky error, leaves *v alone, returns -1.
 */
#define BUF_READ_FAIL (-1)

static inline size_t buf_remaining(const struct buf_reader *r)
{
	return r->len - r->pos;
}

/* Check that n bytes remain; on failure set the sticky error. */
static inline bool buf_reader_has(struct buf_reader *r, size_t n)
{
	if (n > buf_remaining(r)) {
		r->error = true;
		return false;
	}
	return true;
}

/* Big-endian decode of n (<= 8) bytes at p. */
static inline uint64_t buf_decode_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static inline int buf_get_be(struct buf_reader *r, size_t n, uint64_t *v)
{
	if (!buf_reader_has(r, n))
		return BUF_READ_FAIL;
	*v = buf_decode_be(r->data + r->pos, n);
	r->pos += n;
	return 0;
}

static inline int buf_peek_be(const struct buf_reader *r, size_t n, uint64_t *v)
{
	if (n > buf_remaining(r))
		return BUF_READ_FAIL;
	*v = buf_decode_be(r->data + r->pos, n);
	return 0;
}

static inline int buf_get_u8(struct buf_reader *r, uint8_t *v)
{
	uint64_t x;

	if (buf_get_be(r, 1, &x) < 0)
		return BUF_READ_FAIL;
	*v = (uint8_t)x;
	return 0;
}

static inline int buf_get_u16(struct buf_reader *r, uint16_t *v)
{
	uint64_t x;

	if (buf_get_be(r, 2, &x) < 0)
		return BUF_READ_FAIL;
	*v = (uint16_t)x;
	return 0;
}

static inline int buf_get_u24(struct buf_reader *r, uint32_t *v)
{
	uint64_t x;

	if (buf_get_be(r, 3, &x) < 0)
		return BUF_READ_FAIL;
	*v = (uint32_t)x;
	return 0;
}

static inline int buf_get_u32(struct buf_reader *r, uint32_t *v)
{
	uint64_t x;

	if (buf_get_be(r, 4, &x) < 0)
		return BUF_READ_FAIL;
	*v = (uint32_t)x;
	return 0;
}

static inline int buf_get_u64(struct buf_reader *r, uint64_t *v)
{
	return buf_get_be(r, 8, v);
}

static inline int buf_get_bytes(struct buf_reader *r, void *dst, size_t n)
{
	if (!buf_reader_has(r, n))
		return BUF_READ_FAIL;
	if (n > 0)
		memcpy(dst, r->data + r->pos, n);
	r->pos += n;
	return 0;
}

static inline int buf_peek_u8(const struct buf_reader *r, uint8_t *v)
{
	uint64_t x;

	if (buf_peek_be(r, 1, &x) < 0)
		return BUF_READ_FAIL;
	*v = (uint8_t)x;
	return 0;
}

static inline int buf_peek_u16(const struct buf_reader *r, uint16_t *v)
{
	uint64_t x;

	if (buf_peek_be(r, 2, &x) < 0)
		return BUF_READ_FAIL;
	*v = (uint16_t)x;
	return 0;
}

static inline int buf_skip(struct buf_reader *r, size_t n)
{
	if (!buf_reader_has(r, n))
		return BUF_READ_FAIL;
	r->pos += n;
	return 0;
}

struct buf_writer {
	uint8_t *data;
	size_t cap;
	size_t len;
	bool growable;
	bool error;
};

/* A writer into caller memory of cap bytes; never allocates. */
void buf_writer_init_fixed(struct buf_writer *w, void *mem, size_t cap);
/* A heap writer; free with buf_writer_free(). */
void buf_writer_init(struct buf_writer *w, size_t initial_cap);
void buf_writer_free(struct buf_writer *w);
/*
 * Give up ownership of a growable writer's memory (caller frees; never NULL
 * on success, even for zero bytes). NULL after an error or for a fixed writer.
 */
uint8_t *buf_writer_steal(struct buf_writer *w, size_t *len);
bool buf_writer_ok(const struct buf_writer *w);
void buf_writer_reset(struct buf_writer *w);

int buf_put_u8(struct buf_writer *w, uint8_t v);
int buf_put_u16(struct buf_writer *w, uint16_t v);
int buf_put_u24(struct buf_writer *w, uint32_t v);
int buf_put_u32(struct buf_writer *w, uint32_t v);
int buf_put_u64(struct buf_writer *w, uint64_t v);
int buf_put_bytes(struct buf_writer *w, const void *src, size_t n);
int buf_put_zero(struct buf_writer *w, size_t n);
/* Overwrite already written bytes, e.g. a length field once it is known. */
int buf_patch_u8(struct buf_writer *w, size_t offset, uint8_t v);
int buf_patch_u16(struct buf_writer *w, size_t offset, uint16_t v);

#endif
