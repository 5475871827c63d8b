/*
 * DOC: the datastore front end: URL dispatch and argument checks.
 *
 * Everything that does not depend on where the data lives is here, so every
 * back end behaves the same: URLs are parsed into a back end and options,
 * arguments are checked (non-empty keys, values that are JSON documents, no
 * key written twice in one transaction), single-key writes are one-op
 * transactions. Watches are in watch.c.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <tabby/log.h>

#include "store_impl.h"

static int store_parse_opts(const char *q, struct store_url_opts *o)
{
	char *dup, *tok, *save = NULL;
	int err = 0;

	if (!q || !*q)
		return 0;
	dup = strdup(q);
	if (!dup)
		return -ENOMEM;
	for (tok = strtok_r(dup, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
		char *val = strchr(tok, '=');
		char *end;

		if (!val) {
			err = -EINVAL;
			break;
		}
		*val++ = '\0';
		if (!strcmp(tok, "sync")) {
			if (!strcmp(val, "full"))
				o->sync = STORE_SYNC_FULL;
			else if (!strcmp(val, "normal"))
				o->sync = STORE_SYNC_NORMAL;
			else if (!strcmp(val, "off"))
				o->sync = STORE_SYNC_OFF;
			else
				err = -EINVAL;
		} else if (!strcmp(tok, "history")) {
			long long v = strtoll(val, &end, 10);

			if (*end || v < 1)
				err = -EINVAL;
			else
				o->history = v;
		} else if (!strcmp(tok, "busy_timeout")) {
			long v = strtol(val, &end, 10);

			if (*end || v < 0 || v > 3600000)
				err = -EINVAL;
			else
				o->busy_timeout = (int)v;
		} else {
			err = -EINVAL;
		}
		if (err) {
			log_err("store: bad URL option '%s=%s' (known: sync=full|normal|off, "
			        "history=N, busy_timeout=MS)",
			        tok, val);
			break;
		}
	}
	free(dup);
	return err;
}

int store_open(const char *url, struct store **out)
{
	struct store_url_opts o = {
	    .sync = STORE_SYNC_FULL,
	    .history = STORE_DEFAULT_HISTORY,
	    .busy_timeout = STORE_DEFAULT_BUSY_TIMEOUT,
	};
	struct store *s = NULL;
	char *path = NULL, *q;
	const char *rest;
	int err;

	if (!url || !*url || !out)
		return -EINVAL;
	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (!strncmp(url, "memory:", 7)) {
		rest = url + 7;
		if (*rest == '?')
			rest++;
		else if (*rest) {
			log_err("store: bad URL '%s' (memory: takes no path)", url);
			err = -EINVAL;
			goto out;
		}
		err = store_parse_opts(rest, &o);
		if (!err)
			err = store_memory_open(s, &o);
		goto out;
	}
	if (!strncmp(url, "etcd:", 5) || strstr(url, "://")) {
		log_err("store: URL '%s': back end not supported (use memory: or sqlite:PATH)",
		        url);
		err = -EPROTONOSUPPORT;
		goto out;
	}
	rest = !strncmp(url, "sqlite:", 7) ? url + 7 : url;
	path = strdup(rest);
	if (!path) {
		err = -ENOMEM;
		goto out;
	}
	q = strchr(path, '?');
	if (q)
		*q++ = '\0';
	if (!*path) {
		log_err("store: URL '%s' has no database path", url);
		err = -EINVAL;
		goto out;
	}
	err = store_parse_opts(q, &o);
	if (!err)
		err = store_sqlite_open(s, path, &o);
out:
	free(path);
	if (err) {
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	store_watch_free_all(s);
	s->be->close(s);
	free(s);
}

const char *store_describe(const struct store *s)
{
	return s->describe;
}

int store_revision(struct store *s, int64_t *rev)
{
	if (!s || !rev)
		return -EINVAL;
	return s->be->revision(s, rev);
}

const char *store_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return "success";
	case ENOENT:
		return "key not found";
	case EEXIST:
		return "key already exists";
	case ESTALE:
		return "revision mismatch (another writer won)";
	case ERANGE:
		return "revision compacted";
	case EIO:
		return "datastore I/O error";
	case EINVAL:
		return "invalid argument";
	case ENOMEM:
		return "out of memory";
	case EPROTONOSUPPORT:
		return "datastore back end not supported";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

void store_kv_clear(struct store_kv *kv)
{
	if (!kv)
		return;
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

void store_list_free(struct store_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		store_kv_clear(&l->kvs[i]);
	free(l->kvs);
	memset(l, 0, sizeof(*l));
}

int store_get(struct store *s, const char *key, struct store_kv *out)
{
	if (!s || !key || !*key || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	return s->be->get(s, key, out);
}

int store_list(struct store *s, const char *prefix, struct store_list *out)
{
	if (!s || !prefix || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	return s->be->list(s, prefix, out);
}

static bool store_value_is_json(const char *value)
{
	cJSON *j = cJSON_ParseWithOpts(value, NULL, true);

	if (!j)
		return false;
	cJSON_Delete(j);
	return true;
}

bool store_op_writes(const struct store_op *op)
{
	return op->type != STORE_OP_CHECK;
}

static int store_cmp_keyp(const void *a, const void *b)
{
	const struct store_op *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

/* Every write names a distinct key (as in etcd); report the second one. */
static int store_txn_check_dups(const struct store_op *ops, size_t n, size_t *failed)
{
	const struct store_op **v;
	size_t i, m = 0;
	int err = 0;

	if (n < 2)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (store_op_writes(&ops[i]))
			v[m++] = &ops[i];
	if (m > 1)
		qsort(v, m, sizeof(*v), store_cmp_keyp);
	for (i = 1; i < m; i++) {
		if (!strcmp(v[i - 1]->key, v[i]->key)) {
			const struct store_op *second = v[i] > v[i - 1] ? v[i] : v[i - 1];

			if (failed)
				*failed = (size_t)(second - ops);
			err = -EINVAL;
			break;
		}
	}
	free(v);
	return err;
}

static int store_txn_check_args(const struct store_op *ops, size_t n, size_t *failed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct store_op *op = &ops[i];
		bool ok = op->key && *op->key;

		switch (op->type) {
		case STORE_OP_CREATE:
		case STORE_OP_PUT:
			ok = ok && op->value && store_value_is_json(op->value);
			break;
		case STORE_OP_UPDATE:
			ok = ok && op->rev > 0 && op->value && store_value_is_json(op->value);
			break;
		case STORE_OP_DELETE:
		case STORE_OP_CHECK:
			ok = ok && op->rev >= 0;
			break;
		default:
			ok = false;
		}
		if (!ok) {
			if (failed)
				*failed = i;
			return -EINVAL;
		}
	}
	return store_txn_check_dups(ops, n, failed);
}

int store_op_check(const struct store_op *op, int64_t cur_mod_rev)
{
	bool present = cur_mod_rev > 0;

	switch (op->type) {
	case STORE_OP_CREATE:
		return present ? -EEXIST : 0;
	case STORE_OP_PUT:
		return 0;
	case STORE_OP_UPDATE:
		if (!present)
			return -ENOENT;
		return cur_mod_rev == op->rev ? 0 : -ESTALE;
	case STORE_OP_DELETE:
		if (!present)
			return -ENOENT;
		return !op->rev || cur_mod_rev == op->rev ? 0 : -ESTALE;
	case STORE_OP_CHECK:
		if (!op->rev)
			return present ? -EEXIST : 0;
		if (!present)
			return -ENOENT;
		return cur_mod_rev == op->rev ? 0 : -ESTALE;
	}
	return -EINVAL;
}

int store_txn(struct store *s, const struct store_op *ops, size_t n, int64_t *rev, size_t *failed)
{
	int err;

	if (!s || !ops || !n)
		return -EINVAL;
	err = store_txn_check_args(ops, n, failed);
	if (err)
		return err;
	return s->be->txn(s, ops, n, rev, failed);
}

static int store_txn1(struct store *s, enum store_op_type type, const char *key, const char *value,
                      int64_t expect_rev, int64_t *rev)
{
	struct store_op op = {.type = type, .key = key, .value = value, .rev = expect_rev};

	return store_txn(s, &op, 1, rev, NULL);
}

int store_create(struct store *s, const char *key, const char *value, int64_t *rev)
{
	return store_txn1(s, STORE_OP_CREATE, key, value, 0, rev);
}

int store_update(struct store *s, const char *key, const char *value, int64_t expect_rev,
                 int64_t *rev)
{
	return store_txn1(s, STORE_OP_UPDATE, key, value, expect_rev, rev);
}

int store_put(struct store *s, const char *key, const char *value, int64_t *rev)
{
	return store_txn1(s, STORE_OP_PUT, key, value, 0, rev);
}

int store_delete(struct store *s, const char *key, int64_t expect_rev)
{
	return store_txn1(s, STORE_OP_DELETE, key, NULL, expect_rev, NULL);
}

/* ---- helpers for back ends ---- */

int store_list_add(struct store_list *l, size_t *cap, const char *key, const char *value,
                   int64_t create_rev, int64_t mod_rev)
{
	struct store_kv *kv;

	if (l->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct store_kv *v = realloc(l->kvs, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->kvs = v;
		*cap = ncap;
	}
	kv = &l->kvs[l->n];
	kv->key = strdup(key);
	kv->value = strdup(value);
	kv->create_rev = create_rev;
	kv->mod_rev = mod_rev;
	if (!kv->key || !kv->value) {
		free(kv->key);
		free(kv->value);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

bool store_prefix_end(const char *prefix, char *buf)
{
	size_t len = strlen(prefix);

	memcpy(buf, prefix, len + 1);
	while (len > 0) {
		unsigned char c = (unsigned char)buf[len - 1];

		if (c < 0xff) {
			buf[len - 1] = (char)(c + 1);
			buf[len] = '\0';
			return true;
		}
		len--;
	}
	return false;
}
