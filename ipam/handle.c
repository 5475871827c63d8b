/*
 * DOC: IPAM handles (Calico's IPAMHandle).
 *
 * A handle names the owner of some addresses (container ID + interface). Its
 * document, ipam/handles/<handle>, says in which blocks they are and how many:
 * {"handle": "...", "block": {"10.0.0.0/26": 1}}. It is written in the same
 * transaction as the block it counts, so the two always agree; release by
 * handle reads it to know which blocks to visit.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipam_impl.h"

void ipam_handle_key(const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", IPAM_KEY_HANDLES, id);
}

bool ipam_handle_id_valid(const char *id)
{
	return id && *id && strlen(id) <= IPAM_NAME_MAX && !strchr(id, '/');
}

void ipam_handle_clear(struct ipam_handle *h)
{
	free(h->id);
	free(h->entries);
	memset(h, 0, sizeof(*h));
}

char *ipam_handle_to_json(const struct ipam_handle *h)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *blocks;
	char buf[PREFIX_STRLEN];
	char *out = NULL;
	size_t i;

	if (!root || !cJSON_AddStringToObject(root, "handle", h->id))
		goto out;
	blocks = cJSON_AddObjectToObject(root, "block");
	if (!blocks)
		goto out;
	for (i = 0; i < h->n; i++) {
		prefix_format(&h->entries[i].block, buf, sizeof(buf));
		if (!cJSON_AddNumberToObject(blocks, buf, h->entries[i].count))
			goto out;
	}
	out = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	return out;
}

int ipam_handle_from_json(const char *json, struct ipam_handle *h)
{
	cJSON *root = cJSON_Parse(json);
	const cJSON *blocks, *it;
	const char *id;
	int ret = -EINVAL;

	memset(h, 0, sizeof(*h));
	if (!root)
		goto out;
	id = ipam_json_str(root, "handle");
	blocks = cJSON_GetObjectItemCaseSensitive(root, "block");
	if (!id || (blocks && !cJSON_IsObject(blocks)))
		goto out;
	h->id = strdup(id);
	if (!h->id) {
		ret = -ENOMEM;
		goto out;
	}
	cJSON_ArrayForEach(it, blocks)
	{
		struct prefix p;

		if (!cJSON_IsNumber(it) || it->valuedouble < 0 ||
		    prefix_parse(it->string, &p, true) < 0)
			goto out;
		ret = ipam_handle_add(h, &p, (int)it->valuedouble);
		if (ret < 0)
			goto out;
		ret = -EINVAL;
	}
	ret = 0;
out:
	cJSON_Delete(root);
	if (ret < 0)
		ipam_handle_clear(h);
	return ret;
}

int ipam_handle_add(struct ipam_handle *h, const struct prefix *block, int delta)
{
	struct ipam_handle_entry *grown;
	size_t i;

	for (i = 0; i < h->n && !prefix_eq(&h->entries[i].block, block); i++)
		;
	if (i == h->n) {
		if (delta <= 0)
			return delta < 0 ? -ENOENT : 0;
		grown = realloc(h->entries, sizeof(*h->entries) * (h->n + 1));
		if (!grown)
			return -ENOMEM;
		h->entries = grown;
		h->entries[h->n].block = *block;
		h->entries[h->n].count = 0;
		h->n++;
	}
	if (delta < 0 && (unsigned)-delta > h->entries[i].count)
		h->entries[i].count = 0;
	else
		h->entries[i].count += delta;
	if (h->entries[i].count == 0) {
		memmove(&h->entries[i], &h->entries[i + 1], sizeof(*h->entries) * (h->n - i - 1));
		h->n--;
	}
	return 0;
}

unsigned ipam_handle_total(const struct ipam_handle *h)
{
	unsigned t = 0;
	size_t i;

	for (i = 0; i < h->n; i++)
		t += h->entries[i].count;
	return t;
}

void ipam_handle_state_clear(struct ipam_handle_state *hs)
{
	ipam_handle_clear(&hs->h);
	hs->rev = 0;
	hs->known = false;
}

int ipam_handle_state_load(struct store *s, const char *handle, struct ipam_handle_state *hs)
{
	char key[IPAM_KEY_MAX];
	struct store_kv kv = {0};
	int ret;

	ipam_handle_state_clear(hs);
	ipam_handle_key(handle, key, sizeof(key));
	ret = store_get(s, key, &kv);
	if (ret == -ENOENT) {
		hs->h.id = strdup(handle);
		ret = hs->h.id ? 0 : -ENOMEM;
		goto out;
	}
	if (ret < 0)
		goto out;
	ret = ipam_handle_from_json(kv.value, &hs->h);
	if (ret < 0)
		goto out;
	hs->rev = kv.mod_rev;
out:
	hs->known = ret == 0;
	store_kv_clear(&kv);
	return ret;
}

/*
 * The block and the handle in one transaction. When the handle's state is
 * not known yet the common case is assumed (a new handle for an assignment):
 * if that guess loses, the handle is read and the transaction tried again.
 */
int ipam_commit(struct store *s, const struct ipam_block *b, int64_t block_rev,
                struct ipam_handle_state *hs, const char *handle, int delta, int64_t *new_rev)
{
	char bkey[IPAM_KEY_MAX], hkey[IPAM_KEY_MAX];
	char *bjson = NULL, *hjson = NULL;
	struct store_op ops[2];
	struct ipam_handle h;
	size_t failed = 0, attempt;
	int64_t rev = 0;
	int ret = -ENOMEM;

	memset(&h, 0, sizeof(h));
	ipam_block_key(&b->cidr, bkey, sizeof(bkey));
	ipam_handle_key(handle, hkey, sizeof(hkey));
	if (ipam_block_in_use(b) == 0 && !b->affinity) {
		ops[0] = (struct store_op){STORE_OP_DELETE, bkey, NULL, block_rev};
	} else {
		bjson = ipam_block_to_json(b);
		if (!bjson)
			goto out;
		ops[0] = (struct store_op){STORE_OP_UPDATE, bkey, bjson, block_rev};
	}
	for (attempt = 0; attempt < 3; attempt++) {
		if (!hs->known && delta > 0) {
			/* Guess: the handle is new. */
			ipam_handle_clear(&hs->h);
			hs->h.id = strdup(handle);
			if (!hs->h.id)
				goto out;
			hs->rev = 0;
		}
		ipam_handle_clear(&h);
		h.id = strdup(handle);
		if (!h.id)
			goto out;
		ret = 0;
		for (size_t i = 0; i < hs->h.n && ret == 0; i++)
			ret = ipam_handle_add(&h, &hs->h.entries[i].block,
			                      (int)hs->h.entries[i].count);
		if (ret == 0)
			ret = ipam_handle_add(&h, &b->cidr, delta);
		if (ret == -ENOENT)
			ret = 0; /* the handle did not count this block: nothing to subtract */
		if (ret < 0)
			goto out;
		free(hjson);
		hjson = NULL;
		failed = 0;
		if (h.n == 0) {
			if (hs->rev == 0) {
				/* Nothing stored and nothing to store: block alone. */
				ret = store_txn(s, ops, 1, &rev, &failed);
				goto done;
			}
			ops[1] = (struct store_op){STORE_OP_DELETE, hkey, NULL, hs->rev};
		} else {
			hjson = ipam_handle_to_json(&h);
			if (!hjson) {
				ret = -ENOMEM;
				goto out;
			}
			ops[1] = (struct store_op){hs->rev ? STORE_OP_UPDATE : STORE_OP_CREATE,
			                           hkey, hjson, hs->rev};
		}
		ret = store_txn(s, ops, 2, &rev, &failed);
	done:
		if (ret == 0 || failed == 0 || (ret != -ESTALE && ret != -EEXIST && ret != -ENOENT))
			break;
		/* The handle changed under us: read it and try again. */
		ret = ipam_handle_state_load(s, handle, hs);
		if (ret < 0)
			goto out;
		ret = -ESTALE;
	}
	if (ret == 0) {
		ipam_handle_clear(&hs->h);
		hs->h = h;
		memset(&h, 0, sizeof(h));
		hs->rev = hs->h.n ? rev : 0;
		hs->known = true;
		if (new_rev)
			*new_rev = rev;
	} else if (failed == 0 && (ret == -ENOENT || ret == -EEXIST)) {
		ret = -ESTALE; /* the block went away or moved: re-read it */
	}
out:
	ipam_handle_clear(&h);
	free(bjson);
	free(hjson);
	return ret;
}
