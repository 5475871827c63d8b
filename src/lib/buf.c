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

void buf_reader_init(struct buf_reader *r, const void *data, size_t len)
{
	r->data = data;
	r->len = data ? len : 0;
	r->pos = 0;
	r->error = false;
}

const uint8_t *buf_cursor(const struct buf_reader *r)
{
	return r->data ? r->data + r->pos : NULL;
}

bool buf_reader_ok(const struct buf_reader *r)
{
	return !r->error;
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
