/*
 * DOC: block affinities (Calico's BlockAffinity) and the block claim.
 *
 * ipam/affinity/<node>/<cidr> = {"node", "cidr", "state"} ties a block to the
 * node that routes it. Claiming a block takes three compare-and-swap steps:
 *   1. create the affinity in state "pending";
 *   2. create the block with "affinity": "host:<node>" (the loser of a race
 *      for the same block fails here and removes its pending affinity);
 *   3. update the affinity to "confirmed".
 * A crash after any step leaves a state ipam_affinity_repair() finishes: a
 * pending affinity whose block exists and names us is confirmed, one whose
 * block is missing or names another node is removed (the claim is simply
 * tried again when needed). Releasing goes the other way: "pendingDeletion",
 * then the block is deleted (empty) or loses its affinity (still holds
 * borrowed addresses) in the same transaction that deletes the affinity.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/log.h>

#include "ipam_impl.h"

static const char *const ipam_affinity_states[] = {
    [IPAM_AFFINITY_PENDING] = "pending",
    [IPAM_AFFINITY_CONFIRMED] = "confirmed",
    [IPAM_AFFINITY_PENDING_DELETION] = "pendingDeletion",
};

const char *ipam_affinity_state_name(enum ipam_affinity_state st)
{
	return ipam_affinity_states[st];
}

void ipam_affinity_key(const char *node, const struct prefix *cidr, char *buf, size_t len)
{
	char p[PREFIX_STRLEN];
	char *slash;

	prefix_format(cidr, p, sizeof(p));
	slash = strchr(p, '/');
	if (slash)
		*slash = '-';
	snprintf(buf, len, "%s%s/%s", IPAM_KEY_AFFINITY, node, p);
}

void ipam_affinity_clear(struct ipam_affinity *a)
{
	free(a->node);
	memset(a, 0, sizeof(*a));
}

char *ipam_affinity_to_json(const struct ipam_affinity *a)
{
	cJSON *root = cJSON_CreateObject();
	char buf[PREFIX_STRLEN];
	char *out = NULL;

	prefix_format(&a->cidr, buf, sizeof(buf));
	if (root && cJSON_AddStringToObject(root, "node", a->node) &&
	    cJSON_AddStringToObject(root, "cidr", buf) &&
	    cJSON_AddStringToObject(root, "state", ipam_affinity_state_name(a->state)))
		out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}

int ipam_affinity_from_json(const char *json, struct ipam_affinity *a)
{
	cJSON *root = cJSON_Parse(json);
	const char *node, *cidr, *state;
	size_t i;
	int ret = -EINVAL;

	memset(a, 0, sizeof(*a));
	if (!root)
		goto out;
	node = ipam_json_str(root, "node");
	cidr = ipam_json_str(root, "cidr");
	state = ipam_json_str(root, "state");
	if (!node || !cidr || !state || prefix_parse(cidr, &a->cidr, true) < 0)
		goto out;
	for (i = 0; i < sizeof(ipam_affinity_states) / sizeof(ipam_affinity_states[0]); i++)
		if (strcmp(state, ipam_affinity_states[i]) == 0)
			break;
	if (i == sizeof(ipam_affinity_states) / sizeof(ipam_affinity_states[0]))
		goto out;
	a->state = (enum ipam_affinity_state)i;
	a->node = strdup(node);
	ret = a->node ? 0 : -ENOMEM;
out:
	cJSON_Delete(root);
	return ret;
}

static int ipam_affinity_write(struct store *s, const char *node, const struct prefix *cidr,
                               enum ipam_affinity_state st, int64_t expect_rev, int64_t *rev)
{
	struct ipam_affinity a = {.node = (char *)node, .cidr = *cidr, .state = st};
	char key[IPAM_KEY_MAX];
	char *json = ipam_affinity_to_json(&a);
	int ret;

	if (!json)
		return -ENOMEM;
	ipam_affinity_key(node, cidr, key, sizeof(key));
	if (expect_rev)
		ret = store_update(s, key, json, expect_rev, rev);
	else
		ret = store_create(s, key, json, rev);
	free(json);
	return ret;
}

int ipam_affinity_count(struct store *s, const char *node, size_t *n)
{
	char prefix[IPAM_KEY_MAX];
	struct store_list l = {0};
	int ret;

	snprintf(prefix, sizeof(prefix), "%s%s/", IPAM_KEY_AFFINITY, node);
	ret = store_list(s, prefix, &l);
	if (ret == 0)
		*n = l.n;
	store_list_free(&l);
	return ret;
}

/* Steps 2 and 3 of a claim, given our pending affinity at aff_rev. */
static int ipam_affinity_finish_claim(struct ipam *ipam, const struct prefix *cidr, int64_t aff_rev)
{
	char bkey[IPAM_KEY_MAX], akey[IPAM_KEY_MAX];
	struct ipam_block b;
	struct store_kv kv = {0};
	int64_t brev = 0;
	char *json = NULL;
	int ret;

	ipam_affinity_key(ipam->node, cidr, akey, sizeof(akey));
	ipam_block_key(cidr, bkey, sizeof(bkey));
	ret = ipam_block_init(&b, cidr, ipam->node);
	if (ret < 0)
		return ret;
	json = ipam_block_to_json(&b);
	if (!json) {
		ret = -ENOMEM;
		goto out;
	}
	ret = store_create(ipam->s, bkey, json, &brev);
	if (ret == -EEXIST) {
		/* Someone created it first: ours from an earlier attempt, or lost. */
		ipam_block_clear(&b);
		ret = store_get(ipam->s, bkey, &kv);
		if (ret == 0)
			ret = ipam_block_from_json(kv.value, &b);
		if (ret < 0)
			goto out;
		brev = kv.mod_rev;
		if (!ipam_block_affine_to(&b, ipam->node)) {
			store_delete(ipam->s, akey, aff_rev);
			ret = -EBUSY;
			goto out;
		}
	}
	if (ret < 0)
		goto out;
	ret =
	    ipam_affinity_write(ipam->s, ipam->node, cidr, IPAM_AFFINITY_CONFIRMED, aff_rev, NULL);
	if (ret == -ENOENT) /* removed meanwhile (a repair by another process of ours) */
		ret = ipam_affinity_write(ipam->s, ipam->node, cidr, IPAM_AFFINITY_CONFIRMED, 0,
		                          NULL);
	if (ret == -ESTALE || ret == -EEXIST)
		ret = 0; /* another process of this node confirmed it */
	if (ret < 0)
		goto out;
	if (ipam_cache_find(ipam, cidr) < 0) {
		ret = ipam_cache_add(ipam, &b, brev);
		if (ret < 0)
			goto out;
	}
	log_info("ipam: node %s claimed block %s", ipam->node, bkey + strlen(IPAM_KEY_BLOCKS));
out:
	store_kv_clear(&kv);
	ipam_block_clear(&b);
	free(json);
	return ret;
}

/* Claim one given block; -EBUSY if another node holds it. */
static int ipam_affinity_claim_one(struct ipam *ipam, const struct prefix *cidr)
{
	char akey[IPAM_KEY_MAX];
	struct store_kv kv = {0};
	int64_t rev = 0;
	int ret;

	ret = ipam_affinity_write(ipam->s, ipam->node, cidr, IPAM_AFFINITY_PENDING, 0, &rev);
	if (ret == -EEXIST) {
		/* A claim of ours that did not finish: carry it on. */
		ipam_affinity_key(ipam->node, cidr, akey, sizeof(akey));
		ret = store_get(ipam->s, akey, &kv);
		rev = kv.mod_rev;
		store_kv_clear(&kv);
		if (ret == -ENOENT)
			return -EBUSY;
	}
	if (ret < 0)
		return ret;
	return ipam_affinity_finish_claim(ipam, cidr, rev);
}

static int ipam_prefix_sort_cmp(const void *a, const void *b)
{
	return prefix_cmp(a, b);
}

static uint64_t ipam_node_hash(const char *node)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *node; node++)
		h = (h ^ (uint8_t)*node) * 1099511628211ull;
	return h;
}

int ipam_affinity_claim(struct ipam *ipam, const struct ipam_pool *pool, const struct prefix *only)
{
	struct store_list l = {0};
	struct prefix *taken = NULL, cand;
	size_t n_taken = 0, i, tries = 0;
	uint64_t count, start, k;
	int ret;

	if (only)
		return ipam_affinity_claim_one(ipam, only);
	ret = store_list(ipam->s, IPAM_KEY_BLOCKS, &l);
	if (ret < 0)
		goto out;
	taken = calloc(l.n ? l.n : 1, sizeof(*taken));
	if (!taken) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < l.n; i++)
		if (ipam_block_key_parse(l.kvs[i].key, &taken[n_taken]) == 0 &&
		    prefix_contains(&pool->cidr, &taken[n_taken]))
			n_taken++;
	qsort(taken, n_taken, sizeof(*taken), ipam_prefix_sort_cmp);
	/* Start where this node's name points, so that nodes rarely race for one block. */
	count = prefix_subnet_count(&pool->cidr, pool->block_size);
	start = count ? ipam_node_hash(ipam->node) % count : 0;
	ret = -ENOSPC;
	for (k = 0; k < count && k <= n_taken + IPAM_RETRIES; k++) {
		if (prefix_subnet(&pool->cidr, pool->block_size, (start + k) % count, &cand) < 0)
			break;
		if (bsearch(&cand, taken, n_taken, sizeof(*taken), ipam_prefix_sort_cmp))
			continue;
		ret = ipam_affinity_claim_one(ipam, &cand);
		if (ret != -EBUSY)
			goto out;
		ret = -ENOSPC;
		if (++tries > IPAM_RETRIES)
			break;
	}
out:
	free(taken);
	store_list_free(&l);
	return ret;
}

int ipam_affinity_release(struct store *s, const char *node, const struct prefix *cidr,
                          bool *block_deleted)
{
	char akey[IPAM_KEY_MAX], bkey[IPAM_KEY_MAX];
	struct store_kv akv = {0}, bkv = {0};
	struct ipam_affinity a = {0};
	struct ipam_block b = {0};
	struct store_op ops[2];
	char *json = NULL;
	size_t attempt;
	int ret;

	*block_deleted = false;
	ipam_affinity_key(node, cidr, akey, sizeof(akey));
	ipam_block_key(cidr, bkey, sizeof(bkey));
	for (attempt = 0; attempt < IPAM_RETRIES; attempt++) {
		store_kv_clear(&akv);
		store_kv_clear(&bkv);
		ipam_affinity_clear(&a);
		ipam_block_clear(&b);
		free(json);
		json = NULL;
		ret = store_get(s, akey, &akv);
		if (ret == 0)
			ret = ipam_affinity_from_json(akv.value, &a);
		if (ret == -ENOENT)
			akv.mod_rev = 0;
		else if (ret < 0)
			goto out;
		if (akv.mod_rev && a.state != IPAM_AFFINITY_PENDING_DELETION) {
			ret = ipam_affinity_write(s, node, cidr, IPAM_AFFINITY_PENDING_DELETION,
			                          akv.mod_rev, NULL);
			if (ret < 0 && ret != -ESTALE && ret != -ENOENT)
				goto out;
			continue; /* re-read what we (or someone) wrote */
		}
		ret = store_get(s, bkey, &bkv);
		if (ret == 0)
			ret = ipam_block_from_json(bkv.value, &b);
		if (ret < 0 && ret != -ENOENT)
			goto out;
		if (ret == -ENOENT || !ipam_block_affine_to(&b, node)) {
			/* No block of ours behind it: only the affinity goes. */
			ret = akv.mod_rev ? store_delete(s, akey, akv.mod_rev) : 0;
		} else if (ipam_block_in_use(&b) == 0) {
			ops[0] = (struct store_op){STORE_OP_DELETE, bkey, NULL, bkv.mod_rev};
			ops[1] = (struct store_op){STORE_OP_DELETE, akey, NULL, akv.mod_rev};
			ret = store_txn(s, ops, akv.mod_rev ? 2 : 1, NULL, NULL);
			*block_deleted = ret == 0;
		} else {
			free(b.affinity);
			b.affinity = NULL;
			b.seq++;
			json = ipam_block_to_json(&b);
			if (!json) {
				ret = -ENOMEM;
				goto out;
			}
			ops[0] = (struct store_op){STORE_OP_UPDATE, bkey, json, bkv.mod_rev};
			ops[1] = (struct store_op){STORE_OP_DELETE, akey, NULL, akv.mod_rev};
			ret = store_txn(s, ops, akv.mod_rev ? 2 : 1, NULL, NULL);
		}
		if (ret != -ESTALE && ret != -ENOENT)
			break;
	}
	if (attempt == IPAM_RETRIES)
		ret = -EAGAIN;
	if (ret == 0)
		log_info("ipam: node %s released block %s%s", node, bkey + strlen(IPAM_KEY_BLOCKS),
		         *block_deleted ? " (deleted)" : "");
out:
	store_kv_clear(&akv);
	store_kv_clear(&bkv);
	ipam_affinity_clear(&a);
	ipam_block_clear(&b);
	free(json);
	return ret;
}

int ipam_affinity_repair(struct ipam *ipam)
{
	char prefix[IPAM_KEY_MAX], bkey[IPAM_KEY_MAX];
	struct store_list l = {0};
	size_t i;
	int ret;

	snprintf(prefix, sizeof(prefix), "%s%s/", IPAM_KEY_AFFINITY, ipam->node);
	ret = store_list(ipam->s, prefix, &l);
	if (ret < 0)
		goto out;
	for (i = 0; i < l.n && ret == 0; i++) {
		struct ipam_affinity a;
		struct store_kv bkv = {0};
		struct ipam_block b = {0};
		bool deleted, ours;

		if (ipam_affinity_from_json(l.kvs[i].value, &a) < 0) {
			log_warn("ipam: ignoring unreadable affinity %s", l.kvs[i].key);
			continue;
		}
		if (a.state == IPAM_AFFINITY_PENDING_DELETION) {
			ret = ipam_affinity_release(ipam->s, ipam->node, &a.cidr, &deleted);
		} else if (a.state == IPAM_AFFINITY_PENDING) {
			ipam_block_key(&a.cidr, bkey, sizeof(bkey));
			ret = store_get(ipam->s, bkey, &bkv);
			ours = ret == 0 && ipam_block_from_json(bkv.value, &b) == 0 &&
			       ipam_block_affine_to(&b, ipam->node);
			if (ret == 0 || ret == -ENOENT)
				ret = 0;
			if (ret == 0 && ours) {
				log_notice("ipam: finishing interrupted claim of %s", bkey);
				ret = ipam_affinity_write(ipam->s, ipam->node, &a.cidr,
				                          IPAM_AFFINITY_CONFIRMED, l.kvs[i].mod_rev,
				                          NULL);
			} else if (ret == 0) {
				log_notice("ipam: dropping unfinished claim of %s", bkey);
				ret = store_delete(ipam->s, l.kvs[i].key, l.kvs[i].mod_rev);
			}
			if (ret == -ESTALE || ret == -ENOENT)
				ret = 0; /* someone else moved it on */
		}
		store_kv_clear(&bkv);
		ipam_block_clear(&b);
		ipam_affinity_clear(&a);
	}
out:
	store_list_free(&l);
	return ret;
}
