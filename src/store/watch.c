/*
 * DOC: watches: kept per store, fed from the back end's change log.
 *
 * A watch is a key prefix and the next revision it has not seen. store_poll()
 * takes the revision current when it starts, reads the change log from the
 * oldest revision any watch still needs, in batches of revisions, into memory,
 * and only then runs the callbacks: so a callback may read, write, add watches
 * and cancel any watch (its own included: cancelled watches are only marked
 * until the poll is over). A watch that needs revisions the log no longer has
 * fails with -ERANGE and stays failed; the others carry on.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/log.h>

#include "store_impl.h"

/* Revisions read per batch in store_poll(). */
#define STORE_POLL_BATCH_REVS 256

int store_batch_add(struct store_event_batch *b, enum store_event_type type, const char *key,
                    const char *value, int64_t mod_rev, int64_t create_rev)
{
	struct store_event *ev;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct store_event *v = realloc(b->ev, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		b->ev = v;
		b->cap = cap;
	}
	ev = &b->ev[b->n];
	ev->type = type;
	ev->mod_rev = mod_rev;
	ev->create_rev = create_rev;
	ev->key = strdup(key);
	ev->value = value ? strdup(value) : NULL;
	if (!ev->key || (value && !ev->value)) {
		free((char *)ev->key);
		free((char *)ev->value);
		return -ENOMEM;
	}
	b->n++;
	return 0;
}

void store_batch_free(struct store_event_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free((char *)b->ev[i].key);
		free((char *)b->ev[i].value);
	}
	free(b->ev);
	memset(b, 0, sizeof(*b));
}

int store_watch(struct store *s, const char *prefix, int64_t from_rev, store_watch_fn fn, void *arg,
                struct store_watch **out)
{
	struct store_watch *w;
	struct store_event_batch probe = {0};
	int64_t cur;
	int err;

	if (!s || !prefix || !fn || from_rev < 0 || !out)
		return -EINVAL;
	*out = NULL;
	err = s->be->revision(s, &cur);
	if (err)
		return err;
	if (!from_rev || from_rev > cur + 1)
		from_rev = from_rev ? from_rev : cur + 1;
	else {
		/* Fail now, not at the first poll, if history is gone. */
		err = s->be->events(s, from_rev, from_rev - 1, &probe);
		store_batch_free(&probe);
		if (err)
			return err;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->prefix = strdup(prefix);
	if (!w->prefix) {
		free(w);
		return -ENOMEM;
	}
	w->store = s;
	w->prefix_len = strlen(prefix);
	w->next_rev = from_rev;
	w->fn = fn;
	w->arg = arg;
	w->next = s->watches;
	s->watches = w;
	*out = w;
	return 0;
}

static void store_watch_unlink(struct store *s, struct store_watch *w)
{
	struct store_watch **pp;

	for (pp = &s->watches; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	free(w->prefix);
	free(w);
}

void store_watch_cancel(struct store_watch *w)
{
	if (!w)
		return;
	if (w->store->dispatching)
		w->cancelled = true; /* freed when store_poll() is done */
	else
		store_watch_unlink(w->store, w);
}

int store_watch_error(const struct store_watch *w)
{
	return w ? w->error : -EINVAL;
}

void store_watch_free_all(struct store *s)
{
	struct store_watch *w, *next;

	for (w = s->watches; w; w = next) {
		next = w->next;
		free(w->prefix);
		free(w);
	}
	s->watches = NULL;
}

static void store_watch_sweep(struct store *s)
{
	struct store_watch **pp = &s->watches;

	while (*pp) {
		struct store_watch *w = *pp;

		if (w->cancelled) {
			*pp = w->next;
			free(w->prefix);
			free(w);
		} else {
			pp = &w->next;
		}
	}
}

static bool store_watch_live(const struct store_watch *w)
{
	return !w->cancelled && !w->error;
}

/* Run the callbacks of every in-batch watch for the batch's events. */
static int store_dispatch(struct store *s, const struct store_event_batch *b)
{
	struct store_watch *w;
	size_t i;
	int delivered = 0;

	for (i = 0; i < b->n; i++) {
		const struct store_event *ev = &b->ev[i];

		for (w = s->watches; w; w = w->next) {
			if (!w->in_batch || !store_watch_live(w) || ev->mod_rev < w->next_rev)
				continue;
			if (strncmp(ev->key, w->prefix, w->prefix_len))
				continue;
			w->fn(ev, w->arg);
			delivered++;
		}
	}
	return delivered;
}

static int store_poll_range(struct store *s, int64_t cur, int *delivered)
{
	struct store_event_batch b = {0};
	struct store_watch *w;
	int64_t from = INT64_MAX, to;
	int err;

	for (w = s->watches; w; w = w->next)
		if (store_watch_live(w) && w->next_rev <= cur && w->next_rev < from)
			from = w->next_rev;
	if (from == INT64_MAX)
		return 1; /* every watch is up to date */
	to = cur - from >= STORE_POLL_BATCH_REVS ? from + STORE_POLL_BATCH_REVS - 1 : cur;
	err = s->be->events(s, from, to, &b);
	if (err == -ERANGE) {
		/* The laggards lost history; the others carry on. */
		for (w = s->watches; w; w = w->next) {
			if (store_watch_live(w) && w->next_rev == from) {
				log_warn("store: watch on '%s' fell behind compaction at "
				         "revision %lld; it must list again",
				         w->prefix, (long long)from);
				w->error = -ERANGE;
			}
		}
		return -ERANGE;
	}
	if (err)
		goto out;
	for (w = s->watches; w; w = w->next)
		w->in_batch = store_watch_live(w) && w->next_rev <= to;
	*delivered += store_dispatch(s, &b);
	for (w = s->watches; w; w = w->next) {
		if (w->in_batch && w->next_rev <= to)
			w->next_rev = to + 1;
		w->in_batch = false;
	}
out:
	store_batch_free(&b);
	return err;
}

int store_poll(struct store *s)
{
	int64_t cur;
	int delivered = 0, err, result = 0;

	if (!s)
		return -EINVAL;
	if (s->dispatching)
		return 0; /* called from a callback: the outer poll delivers */
	if (s->be->notify_drain)
		s->be->notify_drain(s);
	if (!s->watches)
		return 0;
	err = s->be->revision(s, &cur);
	if (err)
		return err;
	s->dispatching = 1;
	for (;;) {
		err = store_poll_range(s, cur, &delivered);
		if (err == 1)
			break;
		if (err == -ERANGE) {
			result = -ERANGE;
			continue;
		}
		if (err) {
			result = err;
			break;
		}
	}
	s->dispatching = 0;
	store_watch_sweep(s);
	return result ? result : delivered;
}

int store_notify_fd(struct store *s)
{
	if (!s || !s->be->notify_fd)
		return -1;
	return s->be->notify_fd(s);
}
