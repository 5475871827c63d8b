/*
 * DOC: bounds-checked byte reader and writer (see include/tabby/buf.h).
 *
 * This is the only file in Tabby that indexes a raw byte pointer. Every read
 * goes through buf_reader_take(), which checks the remaining length once;
 * every write goes through buf_writer_reserve(), which checks (and for a heap
 * writer, grows) the capacity once. Integers are big-endian (network order).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/buf.h>

/* Failure of a reader getter, as documented in buf.h. */
#define BUF_READ_FAIL (-1)

void buf_reader_init(struct buf_reader *r, const void *data, size_t len)
{
	r->data = data;
	r->len = data ? len : 0;
	r->pos = 0;
	r->error = false;
}

size_t buf_remaining(const struct buf_reader *r)
{
	return r->len - r->pos;
}

const uint8_t *buf_cursor(const struct buf_reader *r)
{
	return r->data ? r->data + r->pos : NULL;
}

bool buf_reader_ok(const struct buf_reader *r)
{
	return !r->error;
}

/* Check that n bytes remain; on failure set the sticky error. */
static bool buf_reader_has(struct buf_reader *r, size_t n)
{
	if (n > buf_remaining(r)) {
		r->error = true;
		return false;
	}
	return true;
}

/* Big-endian decode of n (<= 8) bytes at p. */
static uint64_t buf_decode_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Read an n-byte big-endian integer without consuming it. */
static int buf_peek_be(const struct buf_reader *r, size_t n, uint64_t *v)
{
	if (n > buf_remaining(r))
		return BUF_READ_FAIL;
	*v = buf_decode_be(r->data + r->pos, n);
	return 0;
}

static int buf_get_be(struct buf_reader *r, size_t n, uint64_t *v)
{
	if (!buf_reader_has(r, n))
		return BUF_READ_FAIL;
	*v = buf_decode_be(r->data + r->pos, n);
	r->pos += n;
	return 0;
}

int buf_get_u8(struct buf_reader *r, uint8_t *v)
{
	uint64_t x;

	if (buf_get_be(r, 1, &x) < 0)
		return BUF_READ_FAIL;
	*v = (uint8_t)x;
	return 0;
}

int buf_get_u16(struct buf_reader *r, uint16_t *v)
{
	uint64_t x;

	if (buf_get_be(r, 2, &x) < 0)
		return BUF_READ_FAIL;
	*v = (uint16_t)x;
	return 0;
}

int buf_get_u24(struct buf_reader *r, uint32_t *v)
{
	uint64_t x;

	if (buf_get_be(r, 3, &x) < 0)
		return BUF_READ_FAIL;
	*v = (uint32_t)x;
	return 0;
}

int buf_get_u32(struct buf_reader *r, uint32_t *v)
{
	uint64_t x;

	if (buf_get_be(r, 4, &x) < 0)
		return BUF_READ_FAIL;
	*v = (uint32_t)x;
	return 0;
}

int buf_get_u64(struct buf_reader *r, uint64_t *v)
{
	return buf_get_be(r, 8, v);
}

int buf_get_bytes(struct buf_reader *r, void *dst, size_t n)
{
	if (!buf_reader_has(r, n))
		return BUF_READ_FAIL;
	if (n > 0)
		memcpy(dst, r->data + r->pos, n);
	r->pos += n;
	return 0;
}

int buf_peek_u8(const struct buf_reader *r, uint8_t *v)
{
	uint64_t x;

	if (buf_peek_be(r, 1, &x) < 0)
		return BUF_READ_FAIL;
	*v = (uint8_t)x;
	return 0;
}

int buf_peek_u16(const struct buf_reader *r, uint16_t *v)
{
	uint64_t x;

	if (buf_peek_be(r, 2, &x) < 0)
		return BUF_READ_FAIL;
	*v = (uint16_t)x;
	return 0;
}

int buf_skip(struct buf_reader *r, size_t n)
{
	if (!buf_reader_has(r, n))
		return BUF_READ_FAIL;
	r->pos += n;
	return 0;
}

int buf_sub(struct buf_reader *r, size_t n, struct buf_reader *sub)
{
	if (!buf_reader_has(r, n)) {
		/* A caller that forgets to check still reads nothing. */
		buf_reader_init(sub, NULL, 0);
		sub->error = true;
		return BUF_READ_FAIL;
	}
	buf_reader_init(sub, r->data + r->pos, n);
	r->pos += n;
	return 0;
}

void buf_writer_init_fixed(struct buf_writer *w, void *mem, size_t cap)
{
	w->data = mem;
	w->cap = mem ? cap : 0;
	w->len = 0;
	w->growable = false;
	w->error = false;
}

void buf_writer_init(struct buf_writer *w, size_t initial_cap)
{
	buf_writer_init_fixed(w, NULL, 0);
	w->growable = true;
	if (initial_cap == 0)
		return;
	w->data = malloc(initial_cap);
	if (w->data)
		w->cap = initial_cap;
	else
		w->error = true;
}

void buf_writer_free(struct buf_writer *w)
{
	if (w->growable)
		free(w->data);
	w->data = NULL;
	w->cap = 0;
	w->len = 0;
}

uint8_t *buf_writer_steal(struct buf_writer *w, size_t *len)
{
	uint8_t *data = NULL;

	if (!w->growable || w->error)
		goto out;
	data = w->data;
	*len = w->len;
	if (!data) /* nothing was written: still hand out a freeable pointer */
		data = malloc(1);
	w->data = NULL;
	w->cap = 0;
	w->len = 0;
out:
	return data;
}

bool buf_writer_ok(const struct buf_writer *w)
{
	return !w->error;
}

void buf_writer_reset(struct buf_writer *w)
{
	w->len = 0;
	w->error = false;
}

/* Grow a heap writer so that need bytes fit (doubling). */
static int buf_writer_grow(struct buf_writer *w, size_t need)
{
	size_t cap = w->cap ? w->cap : 64;
	uint8_t *data;

	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	data = realloc(w->data, cap);
	if (!data)
		return -ENOMEM;
	w->data = data;
	w->cap = cap;
	return 0;
}

/*
 * Make room for n more bytes; returns a pointer to them, or NULL after
 * setting the sticky error (*err gets -ENOSPC or -ENOMEM).
 */
static uint8_t *buf_writer_reserve(struct buf_writer *w, size_t n, int *err)
{
	uint8_t *p;

	*err = -ENOSPC;
	if (w->error)
		goto fail;
	if (n > SIZE_MAX - w->len)
		goto fail;
	if (w->len + n > w->cap) {
		if (!w->growable)
			goto fail;
		*err = buf_writer_grow(w, w->len + n);
		if (*err < 0)
			goto fail;
	}
	p = w->data + w->len;
	w->len += n;
	*err = 0;
	return p;
fail:
	w->error = true;
	return NULL;
}

static void buf_encode_be(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = n; i > 0; i--) {
		p[i - 1] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

static int buf_put_be(struct buf_writer *w, uint64_t v, size_t n)
{
	int err;
	uint8_t *p = buf_writer_reserve(w, n, &err);

	if (p)
		buf_encode_be(p, v, n);
	return err;
}

int buf_put_u8(struct buf_writer *w, uint8_t v)
{
	return buf_put_be(w, v, 1);
}

int buf_put_u16(struct buf_writer *w, uint16_t v)
{
	return buf_put_be(w, v, 2);
}

int buf_put_u24(struct buf_writer *w, uint32_t v)
{
	if (v > 0xffffff) {
		w->error = true;
		return -ERANGE;
	}
	return buf_put_be(w, v, 3);
}

int buf_put_u32(struct buf_writer *w, uint32_t v)
{
	return buf_put_be(w, v, 4);
}

int buf_put_u64(struct buf_writer *w, uint64_t v)
{
	return buf_put_be(w, v, 8);
}

int buf_put_bytes(struct buf_writer *w, const void *src, size_t n)
{
	int err;
	uint8_t *p = buf_writer_reserve(w, n, &err);

	if (p && n > 0)
		memcpy(p, src, n);
	return err;
}

int buf_put_zero(struct buf_writer *w, size_t n)
{
	int err;
	uint8_t *p = buf_writer_reserve(w, n, &err);

	if (p && n > 0)
		memset(p, 0, n);
	return err;
}

/* Overwrite n bytes at offset; they must already have been written. */
static int buf_patch_be(struct buf_writer *w, size_t offset, uint64_t v, size_t n)
{
	if (w->error)
		return -ENOSPC;
	if (offset > w->len || n > w->len - offset) {
		w->error = true;
		return -ERANGE;
	}
	buf_encode_be(w->data + offset, v, n);
	return 0;
}

int buf_patch_u8(struct buf_writer *w, size_t offset, uint8_t v)
{
	return buf_patch_be(w, offset, v, 1);
}

int buf_patch_u16(struct buf_writer *w, size_t offset, uint16_t v)
{
	return buf_patch_be(w, offset, v, 2);
}
