/*
 * DOC: applying rendered text through libnftables. Endpoint churn
 * (policy_apply_endpoint_*) lives in nft_batch.c, which uses this as its
 * fallback; keeping it apart keeps libnl out of programs (tabbyctl) that
 * only apply and show rulesets.
 *
 * nft_run_cmd_from_buffer() parses the whole buffer and commits it as one
 * netlink batch: either all of it takes effect or none (the full ruleset's
 * "add table; delete table; table {...}" included), so a bad ruleset leaves
 * the last good one in place. Errors and output are captured into buffers
 * (nft_ctx_buffer_error / nft_ctx_buffer_output) instead of stderr.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include <tabby/policy.h>

static int policy_nft_run(const char *text, bool check_only, char **output, char *err,
                          size_t errlen)
{
	struct nft_ctx *ctx;
	const char *e, *o;
	int rc = 0;

	if (err && errlen)
		err[0] = '\0';
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return -ENOMEM;
	if (nft_ctx_buffer_error(ctx) || nft_ctx_buffer_output(ctx)) {
		rc = -ENOMEM;
		goto out;
	}
	nft_ctx_set_dry_run(ctx, check_only);
	if (nft_run_cmd_from_buffer(ctx, text) != 0) {
		e = nft_ctx_get_error_buffer(ctx);
		if (err && errlen)
			snprintf(err, errlen, "%s", e && *e ? e : "nft: command failed");
		rc = -EINVAL;
		goto out;
	}
	if (output) {
		o = nft_ctx_get_output_buffer(ctx);
		*output = strdup(o ? o : "");
		if (!*output)
			rc = -ENOMEM;
	}
out:
	nft_ctx_free(ctx);
	return rc;
}

int policy_nft_apply(const char *text, bool check_only, char *err, size_t errlen)
{
	return policy_nft_run(text, check_only, NULL, err, errlen);
}

int policy_nft_show(char **out, char *err, size_t errlen)
{
	*out = NULL;
	return policy_nft_run("list table inet " POLICY_TABLE, false, out, err, errlen);
}
