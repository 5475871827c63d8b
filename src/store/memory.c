/*
 * DOC: the in-memory datastore back end ("memory:"), for unit tests.
 *
 * Private to one process and gone at store_close(). Keys live in one array
 * sorted by key (binary search; a prefix is a contiguous run), the change log
 * in an array of events in revision order, compacted to the last `history`
 * revisions like the SQLite back end's. An eventfd is signalled on every
 * commit so an event loop watching store_notify_fd() wakes for local writes.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "store_impl.h"

struct mem_kv {
	char *key;
	char *value;
	int64_t create_rev;
	int64_t mod_rev;
};

struct mem_store {
	struct mem_kv *kvs;
	size_t n, cap;
	struct store_event_batch log; /* events of revisions > compact_rev */
	size_t log_head;              /* first live entry of log.ev */
	int64_t rev;
	int64_t compact_rev;
	int64_t history;
	int efd;
};

/* Index of key, or of where it would be inserted; *found says which. */
static size_t mem_find(const struct mem_store *m, const char *key, bool *found)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->kvs[mid].key, key);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static void mem_close(struct store *s)
{
	struct mem_store *m = s->priv;
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->kvs[i].key);
		free(m->kvs[i].value);
	}
	free(m->kvs);
	/* entries before log_head were freed (and NULLed) by compaction */
	store_batch_free(&m->log);
	if (m->efd >= 0)
		close(m->efd);
	free(m);
}

static int mem_revision(struct store *s, int64_t *rev)
{
	*rev = ((struct mem_store *)s->priv)->rev;
	return 0;
}

static int mem_get(struct store *s, const char *key, struct store_kv *out)
{
	struct mem_store *m = s->priv;
	bool found;
	size_t i = mem_find(m, key, &found);

	if (!found)
		return -ENOENT;
	out->key = strdup(key);
	out->value = strdup(m->kvs[i].value);
	if (!out->key || !out->value) {
		store_kv_clear(out);
		return -ENOMEM;
	}
	out->create_rev = m->kvs[i].create_rev;
	out->mod_rev = m->kvs[i].mod_rev;
	return 0;
}

static int mem_list(struct store *s, const char *prefix, struct store_list *out)
{
	struct mem_store *m = s->priv;
	size_t plen = strlen(prefix), cap = 0, i;
	bool found;
	int err;

	for (i = mem_find(m, prefix, &found); i < m->n; i++) {
		const struct mem_kv *kv = &m->kvs[i];

		if (strncmp(kv->key, prefix, plen))
			break;
		err = store_list_add(out, &cap, kv->key, kv->value, kv->create_rev, kv->mod_rev);
		if (err) {
			store_list_free(out);
			return err;
		}
	}
	out->rev = m->rev;
	return 0;
}

static void mem_compact(struct mem_store *m)
{
	int64_t floor = m->rev - m->history;
	struct store_event *ev;

	if (floor <= m->compact_rev)
		return;
	while (m->log_head < m->log.n && (ev = &m->log.ev[m->log_head])->mod_rev <= floor) {
		free((char *)ev->key);
		free((char *)ev->value);
		ev->key = ev->value = NULL;
		m->log_head++;
	}
	m->compact_rev = floor;
	if (m->log_head > 1024 && m->log_head > m->log.n / 2) {
		memmove(m->log.ev, m->log.ev + m->log_head,
		        (m->log.n - m->log_head) * sizeof(*m->log.ev));
		m->log.n -= m->log_head;
		m->log_head = 0;
	}
}

/* Apply one checked write at revision rev. */
static int mem_apply(struct mem_store *m, const struct store_op *op, int64_t rev)
{
	bool found;
	size_t i = mem_find(m, op->key, &found);
	struct mem_kv *kv = found ? &m->kvs[i] : NULL;
	char *value = NULL;
	int err;

	if (op->type == STORE_OP_DELETE) {
		err = store_batch_add(&m->log, STORE_EVENT_DELETE, op->key, NULL, rev,
		                      kv->create_rev);
		if (err)
			return err;
		free(kv->key);
		free(kv->value);
		memmove(kv, kv + 1, (m->n - i - 1) * sizeof(*kv));
		m->n--;
		return 0;
	}
	value = strdup(op->value);
	if (!value)
		return -ENOMEM;
	if (!found) {
		char *key = strdup(op->key);

		if (key && m->n == m->cap) {
			size_t cap = m->cap * 2 + 16;
			struct mem_kv *v = reallocarray(m->kvs, cap, sizeof(*v));

			if (v) {
				m->kvs = v;
				m->cap = cap;
			}
		}
		if (!key || m->n == m->cap) {
			free(key);
			free(value);
			return -ENOMEM;
		}
		kv = &m->kvs[i];
		memmove(kv + 1, kv, (m->n - i) * sizeof(*kv));
		m->n++;
		kv->key = key;
		kv->value = NULL;
		kv->create_rev = rev;
	}
	free(kv->value);
	kv->value = value;
	kv->mod_rev = rev;
	return store_batch_add(&m->log, STORE_EVENT_PUT, kv->key, kv->value, rev, kv->create_rev);
}

static int mem_txn(struct store *s, const struct store_op *ops, size_t n, int64_t *rev,
                   size_t *failed)
{
	struct mem_store *m = s->priv;
	bool writes = false, found;
	size_t i;
	int err;

	/* Every condition first, against the state before the transaction. */
	for (i = 0; i < n; i++) {
		size_t at = mem_find(m, ops[i].key, &found);

		err = store_op_check(&ops[i], found ? m->kvs[at].mod_rev : 0);
		if (err) {
			if (failed)
				*failed = i;
			return err;
		}
		writes = writes || store_op_writes(&ops[i]);
	}
	if (!writes) {
		if (rev)
			*rev = m->rev;
		return 0;
	}
	/* Memory is the only failure left; the tests do not inject it. */
	for (i = 0; i < n; i++) {
		if (!store_op_writes(&ops[i]))
			continue;
		err = mem_apply(m, &ops[i], m->rev + 1);
		if (err)
			return err;
	}
	m->rev++;
	mem_compact(m);
	if (rev)
		*rev = m->rev;
	if (m->efd >= 0)
		(void)eventfd_write(m->efd, 1);
	return 0;
}

static int mem_events(struct store *s, int64_t from, int64_t to, struct store_event_batch *out)
{
	struct mem_store *m = s->priv;
	size_t lo = m->log_head, hi = m->log.n;
	int err;

	if (from <= m->compact_rev)
		return -ERANGE;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->log.ev[mid].mod_rev < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < m->log.n && m->log.ev[lo].mod_rev <= to; lo++) {
		const struct store_event *ev = &m->log.ev[lo];

		err =
		    store_batch_add(out, ev->type, ev->key, ev->value, ev->mod_rev, ev->create_rev);
		if (err)
			return err;
	}
	return 0;
}

static int mem_notify_fd(struct store *s)
{
	return ((struct mem_store *)s->priv)->efd;
}

static void mem_notify_drain(struct store *s)
{
	struct mem_store *m = s->priv;
	eventfd_t v;

	if (m->efd >= 0)
		(void)eventfd_read(m->efd, &v);
}

static const struct store_backend mem_backend = {
    .name = "memory",
    .close = mem_close,
    .revision = mem_revision,
    .get = mem_get,
    .list = mem_list,
    .txn = mem_txn,
    .events = mem_events,
    .notify_fd = mem_notify_fd,
    .notify_drain = mem_notify_drain,
};

int store_memory_open(struct store *s, const struct store_url_opts *o)
{
	struct mem_store *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->history = o->history;
	m->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->be = &mem_backend;
	s->priv = m;
	snprintf(s->describe, sizeof(s->describe), "memory");
	return 0;
}
