/*
 * DOC: the rendering state shared by render_state.c (inputs), render.c
 * (full ruleset), render_rules.c (policy rules to nft rules) and
 * render_delta.c (endpoint churn as element updates).
 */
#ifndef TABBY_POLICY_RENDER_PRIVATE_H
#define TABBY_POLICY_RENDER_PRIVATE_H

#include <tabby/buf.h>
#include <tabby/policy.h>

struct rs_labels {
	struct policy_label *v; /* strings owned */
	size_t n;
};

struct rs_endpoint {
	char *id, *iface, *ns;
	struct rs_labels labels;
	struct addr *addrs;
	size_t n_addrs;
	int sig[2]; /* signature chain per direction, -1: no policy applies */
};

struct rs_namespace {
	char *name;
	struct rs_labels labels;
};

/* One named set per distinct selector: s<id>_4 and s<id>_6. */
struct rs_selset {
	char *key; /* canonical selector */
	struct policy_selector *sel;
};

/* One named interval set per distinct list of nets: n<id>_4, n<id>_6. */
struct rs_netset {
	struct prefix *nets;
	size_t n;
};

/* The policies (in order) that apply to an endpoint in one direction. */
struct rs_sig {
	enum policy_dir dir;
	size_t *pols;
	size_t n;
};

struct policy_state {
	struct policy **pols; /* sorted by policy_cmp */
	size_t n_pols;
	struct policy_pool *pools;
	size_t n_pools;
	struct rs_namespace *nss;
	size_t n_nss;
	struct rs_endpoint *eps;
	size_t n_eps;
	/* Built by the full render. */
	struct rs_selset *sels;
	size_t n_sels;
	struct rs_netset *nets;
	size_t n_nets;
	struct rs_sig *sigs;
	size_t n_sigs;
	bool rendered;
};

void rs_printf(struct buf_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Does selector set sel contain endpoint ep? */
bool rs_sel_matches(const struct policy_state *st, const struct policy_selector *sel,
                    const struct rs_endpoint *ep);
/* Index of a selector's set / a net list's set; -1 if absent (add: create). */
int rs_selset_find(struct policy_state *st, const struct policy_selector *sel, bool add);
int rs_netset_find(struct policy_state *st, const struct prefix *nets, size_t n, bool add);
/* Signature of a local endpoint in dir (creating it); -1: none applies, or -ENOMEM. */
int rs_sig_of(struct policy_state *st, const struct rs_endpoint *ep, enum policy_dir dir,
              bool *created);
/* Rules of chain ep<sig>_<dir> as "add rule" commands (delta) or chain body (full). */
void rs_emit_sig_chain(const struct policy_state *st, size_t sig, bool as_commands,
                       struct buf_writer *w);
/* Chain bodies of policy i in dir. */
void rs_emit_policy_chain(struct policy_state *st, size_t i, enum policy_dir dir,
                          struct buf_writer *w);
const char *rs_dir_name(enum policy_dir dir);
bool rs_ifname_ok(const char *s);
void rs_labels_free(struct rs_labels *l);
/* Forget what the last full render built (sets, signatures). */
void rs_derived_clear(struct policy_state *st);
void rs_endpoint_clear(struct rs_endpoint *ep);
int rs_endpoint_fill(struct rs_endpoint *dst, const struct policy_endpoint *src);
struct rs_endpoint *rs_endpoint_find(struct policy_state *st, const char *id);

#endif
