/*
 * DOC: one policy's rules as nftables rules (chains po<i>_in / po<i>_eg).
 *
 * A policy chain is jumped to from the chain of every endpoint it applies to
 * (render.c), so the endpoint itself is already known: the rules only match
 * the packet. Ingress: the endpoint is the destination, the peer the
 * source; egress the other way round. Each rule is emitted once per address
 * family it can match (its ipVersion, the families of its nets, ICMP vs
 * ICMPv6), using the family's named sets:
 *
 *   selector s  -> ip saddr @s<id>_4        notSelector -> ip saddr != @s<id>_4
 *   nets        -> ip saddr @n<id>_4        notNets     -> ip saddr != @n<id>_4
 *   ports       -> th sport { 80, 8000-8080 }  notPorts  -> th sport != { ... }
 *
 * Actions (Calico): Allow -> accept (ends this base chain only: the other
 * direction's base chain still checks the peer's ingress), Deny -> drop,
 * Log -> log and go on, Pass -> skip the rest of the tier; Tabby has only
 * the default tier, and after the last tier Calico hands the packet to the
 * namespace profile, which allows: so Pass accepts. A chain that runs out of
 * rules returns to the endpoint chain, which tries the next policy.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "render_private.h"

struct rr_ctx {
	struct policy_state *st;
	struct buf_writer *w;
	int fam; /* 4 or 6 */
	const char *comment;
};

static bool rr_nets_have(const struct prefix *v, size_t n, int fam)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((v[i].addr.family == AF_INET ? 4 : 6) == fam)
			return true;
	return false;
}

static bool rr_family_ok(const struct policy_rule *r, int fam)
{
	if (r->ip_version && r->ip_version != fam)
		return false;
	if (r->src.n_nets && !rr_nets_have(r->src.nets, r->src.n_nets, fam))
		return false;
	if (r->dst.n_nets && !rr_nets_have(r->dst.nets, r->dst.n_nets, fam))
		return false;
	if ((r->protocol == 1 && fam != 4) || (r->protocol == 58 && fam != 6))
		return false;
	return true;
}

/* Does the rule need ip / ip6 / icmp / icmpv6 expressions? */
static bool rr_family_specific(const struct policy_rule *r)
{
	const struct policy_entity *e[2] = {&r->src, &r->dst};
	int k;

	if (r->icmp_type >= 0 || r->not_icmp_type >= 0 || r->protocol == 1 || r->protocol == 58)
		return true;
	for (k = 0; k < 2; k++)
		if (e[k]->selector || e[k]->not_selector || e[k]->n_nets || e[k]->n_not_nets)
			return true;
	return false;
}

static const char *rr_proto_name(int p, char *buf, size_t len)
{
	switch (p) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 132:
		return "sctp";
	case 136:
		return "udplite";
	case 1:
		return "icmp";
	case 58:
		return "ipv6-icmp";
	default:
		snprintf(buf, len, "%d", p);
		return buf;
	}
}

static void rr_ports(struct buf_writer *w, const char *field, bool neg,
                     const struct policy_port_range *v, size_t n)
{
	size_t i;

	rs_printf(w, " th %s %s", field, neg ? "!= " : "");
	if (n > 1)
		rs_printf(w, "{ ");
	for (i = 0; i < n; i++) {
		rs_printf(w, "%s%u", i ? ", " : "", v[i].first);
		if (v[i].last != v[i].first)
			rs_printf(w, "-%u", v[i].last);
	}
	if (n > 1)
		rs_printf(w, " }");
}

/* Matches of one entity (sel: "saddr" or "daddr"). */
static void rr_entity(struct rr_ctx *c, const struct policy_entity *e, bool src)
{
	const char *ipf = c->fam == 4 ? "ip" : "ip6";
	const char *field = src ? "saddr" : "daddr";
	int id;

	if (e->selector) {
		id = rs_selset_find(c->st, e->selector, false);
		rs_printf(c->w, " %s %s @s%d_%d", ipf, field, id, c->fam);
	}
	if (e->not_selector) {
		id = rs_selset_find(c->st, e->not_selector, false);
		rs_printf(c->w, " %s %s != @s%d_%d", ipf, field, id, c->fam);
	}
	if (e->n_nets) {
		id = rs_netset_find(c->st, e->nets, e->n_nets, false);
		rs_printf(c->w, " %s %s @n%d_%d", ipf, field, id, c->fam);
	}
	if (e->n_not_nets && rr_nets_have(e->not_nets, e->n_not_nets, c->fam)) {
		id = rs_netset_find(c->st, e->not_nets, e->n_not_nets, false);
		rs_printf(c->w, " %s %s != @n%d_%d", ipf, field, id, c->fam);
	}
	if (e->n_ports)
		rr_ports(c->w, src ? "sport" : "dport", false, e->ports, e->n_ports);
	if (e->n_not_ports)
		rr_ports(c->w, src ? "sport" : "dport", true, e->not_ports, e->n_not_ports);
}

static void rr_verdict(struct rr_ctx *c, const struct policy_rule *r)
{
	switch (r->action) {
	case POLICY_ALLOW:
		rs_printf(c->w, " accept");
		break;
	case POLICY_DENY:
		rs_printf(c->w, " drop");
		break;
	case POLICY_LOG:
		rs_printf(c->w, " log prefix \"tabby %.100s: \"", c->comment);
		break;
	case POLICY_PASS:
		rs_printf(c->w, " accept");
		break;
	}
	rs_printf(c->w, " comment \"%.100s%s\"\n", c->comment,
	          r->action == POLICY_PASS ? " pass" : "");
}

/*
 * One nft rule; not_icmp_variant 0: notICMP by type only (or none),
 * 1: "type != T", 2: "type T code != C" (the two halves of "not (T, C)").
 */
static void rr_rule_body(struct rr_ctx *c, const struct policy_rule *r, int variant)
{
	const char *icmp = c->fam == 4 ? "icmp" : "icmpv6";
	char pb[8];

	if (c->fam == 0)
		rs_printf(c->w, "meta nfproto %s ", r->ip_version == 4 ? "ipv4" : "ipv6");
	if (r->protocol)
		rs_printf(c->w, "meta l4proto %s", rr_proto_name(r->protocol, pb, sizeof(pb)));
	if (r->not_protocol)
		rs_printf(c->w, "%smeta l4proto != %s", r->protocol ? " " : "",
		          rr_proto_name(r->not_protocol, pb, sizeof(pb)));
	rr_entity(c, &r->src, true);
	rr_entity(c, &r->dst, false);
	if (r->icmp_type >= 0)
		rs_printf(c->w, " %s type %d", icmp, r->icmp_type);
	if (r->icmp_code >= 0)
		rs_printf(c->w, " %s code %d", icmp, r->icmp_code);
	if (variant == 0 && r->not_icmp_type >= 0)
		rs_printf(c->w, " %s type != %d", icmp, r->not_icmp_type);
	if (variant == 1)
		rs_printf(c->w, " %s type != %d", icmp, r->not_icmp_type);
	if (variant == 2)
		rs_printf(c->w, " %s type %d %s code != %d", icmp, r->not_icmp_type, icmp,
		          r->not_icmp_code);
	rr_verdict(c, r);
}

/* One rule line: the body is built apart so that the line has no leading blank. */
static void rr_rule(struct rr_ctx *c, const struct policy_rule *r, int variant)
{
	struct buf_writer line, *out = c->w;
	size_t skip = 0;

	buf_writer_init(&line, 256);
	c->w = &line;
	rr_rule_body(c, r, variant);
	c->w = out;
	if (!buf_writer_ok(&line)) {
		out->error = true;
		goto out;
	}
	while (skip < line.len && line.data[skip] == ' ')
		skip++;
	buf_put_bytes(out, "\t\t", 2);
	buf_put_bytes(out, line.data + skip, line.len - skip);
out:
	buf_writer_free(&line);
}

void rs_emit_policy_chain(struct policy_state *st, size_t i, enum policy_dir dir,
                          struct buf_writer *w)
{
	const struct policy *p = st->pols[i];
	char name[320];
	struct rr_ctx c = {.st = st, .w = w, .comment = name};
	size_t k;

	policy_display_name(p, name, sizeof(name));
	rs_printf(w, "\tchain po%zu_%s {\n", i, rs_dir_name(dir));
	for (k = 0; k < p->n_rules[dir]; k++) {
		const struct policy_rule *r = &p->rules[dir][k];

		if (!rr_family_specific(r)) {
			/* Family-neutral: once (restricted by ipVersion if given). */
			c.fam = r->ip_version ? 0 : 4;
			rr_rule(&c, r, 0);
			continue;
		}
		for (c.fam = 4; c.fam <= 6; c.fam += 2) {
			if (!rr_family_ok(r, c.fam))
				continue;
			if (r->not_icmp_code >= 0) {
				rr_rule(&c, r, 1);
				rr_rule(&c, r, 2);
			} else {
				rr_rule(&c, r, 0);
			}
		}
	}
	rs_printf(w, "\t}\n");
}
