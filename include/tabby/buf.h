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

struct buf_reader {
	const uint8_t *data;
	size_t len;
	size_t pos;
	bool error;
};

void buf_reader_init(struct buf_reader *r, const void *data, size_t len);
size_t buf_remaining(const struct buf_reader *r);
/* Pointer to the unread bytes (valid for buf_remaining() bytes). */
const uint8_t *buf_cursor(const struct buf_reader *r);
bool buf_reader_ok(const struct buf_reader *r);

int buf_get_u8(struct buf_reader *r, uint8_t *v);
int buf_get_u16(struct buf_reader *r, uint16_t *v);
int buf_get_u24(struct buf_reader *r, uint32_t *v);
int buf_get_u32(struct buf_reader *r, uint32_t *v);
int buf_get_u64(struct buf_reader *r, uint64_t *v);
int buf_get_bytes(struct buf_reader *r, void *dst, size_t n);
int buf_peek_u8(const struct buf_reader *r, uint8_t *v);
int buf_peek_u16(const struct buf_reader *r, uint16_t *v);
int buf_skip(struct buf_reader *r, size_t n);
/*
 * Take the next n bytes as a separate reader and advance past them. On
 * failure sub is an empty reader with its error set, so it reads nothing.
 */
int buf_sub(struct buf_reader *r, size_t n, struct buf_reader *sub);

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
