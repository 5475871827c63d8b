/*
 * DOC: BGP path attributes: decoding with RFC 7606 error handling, encoding,
 * and interning.
 *
 * A decoded attribute set is built in a struct bgp_attr_builder (scratch
 * memory, reused for every UPDATE) and then interned: bgp_attr_intern()
 * hashes the canonical form once and returns the one shared, refcounted
 * struct bgp_attrs for that set. Routes hold a reference to the interned set
 * only, so a million routes with one attribute set cost one copy.
 *
 * The canonical form keeps AS numbers four-octet wide (two-octet peers'
 * AS_PATH is widened and merged with AS4_PATH per RFC 6793 4.2.3), the next
 * hop of the family the set is used for, and the variable-length parts
 * (AS_PATH segments, communities, extended and large communities,
 * CLUSTER_LIST, unknown optional transitive attributes) back to back in
 * data[]. Two sets are equal iff their keys compare equal with memcmp.
 */
#ifndef TABBY_BGP_ATTR_H
#define TABBY_BGP_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <tabby/bgp.h>
#include <tabby/buf.h>
#include <tabby/prefix.h>

#include "msg.h"
#include "slab.h"

/* Attribute type codes (IANA) */
enum bgp_attr_type {
	BGP_ATTR_ORIGIN = 1,
	BGP_ATTR_AS_PATH = 2,
	BGP_ATTR_NEXT_HOP = 3,
	BGP_ATTR_MED = 4,
	BGP_ATTR_LOCAL_PREF = 5,
	BGP_ATTR_ATOMIC_AGGREGATE = 6,
	BGP_ATTR_AGGREGATOR = 7,
	BGP_ATTR_COMMUNITY = 8,        /* RFC 1997 */
	BGP_ATTR_ORIGINATOR_ID = 9,    /* RFC 4456 */
	BGP_ATTR_CLUSTER_LIST = 10,    /* RFC 4456 */
	BGP_ATTR_MP_REACH = 14,        /* RFC 4760 */
	BGP_ATTR_MP_UNREACH = 15,      /* RFC 4760 */
	BGP_ATTR_EXT_COMMUNITY = 16,   /* RFC 4360 */
	BGP_ATTR_AS4_PATH = 17,        /* RFC 6793 */
	BGP_ATTR_AS4_AGGREGATOR = 18,  /* RFC 6793 */
	BGP_ATTR_LARGE_COMMUNITY = 32, /* RFC 8092 */
};

/* Attribute flags, RFC 4271 4.3 */
#define BGP_ATTR_F_OPTIONAL   0x80
#define BGP_ATTR_F_TRANSITIVE 0x40
#define BGP_ATTR_F_PARTIAL    0x20
#define BGP_ATTR_F_EXTENDED   0x10

/* ORIGIN values, RFC 4271 5.1.1 */
enum bgp_origin {
	BGP_ORIGIN_IGP = 0,
	BGP_ORIGIN_EGP = 1,
	BGP_ORIGIN_INCOMPLETE = 2,
};

/* AS_PATH segment types, RFC 4271 4.3, RFC 5065 3 */
#define BGP_AS_SET             1
#define BGP_AS_SEQUENCE        2
#define BGP_AS_CONFED_SEQUENCE 3
#define BGP_AS_CONFED_SET      4

/* Well-known communities, RFC 1997 */
#define BGP_COMMUNITY_NO_EXPORT           0xFFFFFF01u
#define BGP_COMMUNITY_NO_ADVERTISE        0xFFFFFF02u
#define BGP_COMMUNITY_NO_EXPORT_SUBCONFED 0xFFFFFF03u

#define BGP_LOCAL_PREF_DEFAULT 100

/* struct bgp_attrs_key.present bits */
#define BGP_ATTRS_MED         0x01
#define BGP_ATTRS_LOCAL_PREF  0x02
#define BGP_ATTRS_ATOMIC_AGG  0x04
#define BGP_ATTRS_AGGREGATOR  0x08
#define BGP_ATTRS_ORIGINATOR  0x10
#define BGP_ATTRS_NEXT_HOP    0x20
#define BGP_ATTRS_NEXT_HOP_LL 0x40 /* IPv6 link-local next hop, RFC 2545 3 */
#define BGP_ATTRS_ORIGIN      0x80

/* Variable-length parts of a set, in data[] order. */
enum bgp_attr_part {
	BGP_PART_AS_PATH = 0,     /* four-octet segments: type, count, count * u32 */
	BGP_PART_COMMUNITY,       /* u32 each */
	BGP_PART_EXT_COMMUNITY,   /* 8 bytes each */
	BGP_PART_LARGE_COMMUNITY, /* 12 bytes each */
	BGP_PART_CLUSTER_LIST,    /* u32 each */
	BGP_PART_UNKNOWN, /* raw optional transitive attributes: flags, type, u16 len, value */
	BGP_PART_COUNT,
};

/* The fixed part of a set; with the parts, the interning key. */
struct bgp_attrs_key {
	uint8_t origin;
	uint8_t present;      /* BGP_ATTRS_* */
	uint16_t as_path_len; /* path length for RFC 4271 9.1.2.2 (a) */
	uint32_t neighbor_as; /* leftmost AS of the path, 0 if empty (9.1.2.2 (c)) */
	uint32_t med;
	uint32_t local_pref;
	uint32_t aggregator_as;
	uint32_t aggregator_id;
	uint32_t originator_id;
	struct addr next_hop;
	struct addr next_hop_ll;
	uint8_t reserved[2];               /* zero: the key is compared with memcmp */
	uint32_t part_len[BGP_PART_COUNT]; /* bytes of each part in data[] */
};

/* An interned attribute set. Never modified once interned. */
struct bgp_attrs {
	uint32_t hash;
	uint32_t refcnt;
	struct bgp_attrs_key k;
	uint8_t data[];
};

/* Pointer/length of one part of an interned set. */
const uint8_t *bgp_attrs_part(const struct bgp_attrs *a, enum bgp_attr_part part, size_t *len);
/* Does the COMMUNITY attribute hold c? */
bool bgp_attrs_has_community(const struct bgp_attrs *a, uint32_t c);
/* Number of CLUSTER_LIST entries. */
static inline unsigned bgp_attrs_cluster_len(const struct bgp_attrs *a)
{
	return a->k.part_len[BGP_PART_CLUSTER_LIST] / 4;
}
/* Is id in the CLUSTER_LIST? (RFC 4456 8 loop check) */
bool bgp_attrs_cluster_has(const struct bgp_attrs *a, uint32_t id);
/* Does the AS_PATH contain asn? (RFC 4271 9.1.2 loop check) */
bool bgp_attrs_path_has_as(const struct bgp_attrs *a, uint32_t asn);

/*
 * Scratch for building a set: the fixed key plus pointers to the parts.
 * Parts point either into the UPDATE being decoded or into the builder's own
 * buffers. Allocate with bgp_attr_builder_new() (it holds 200 KiB of buffers).
 */
struct bgp_attr_builder {
	struct bgp_attrs_key k;
	const uint8_t *part[BGP_PART_COUNT];
	size_t part_len[BGP_PART_COUNT];
	/* Owned buffers (for widened or modified parts). */
	uint8_t path_buf[2 * BGP_MAX_EXT_MSG_LEN + 16];
	uint8_t cluster_buf[BGP_MAX_EXT_MSG_LEN + 8];
	uint8_t comm_buf[BGP_MAX_EXT_MSG_LEN + 8];
	uint8_t lcomm_buf[12 * 256]; /* local originations' large communities */
	uint8_t unknown_buf[BGP_MAX_EXT_MSG_LEN + 8];
};

struct bgp_attr_builder *bgp_attr_builder_new(void);
void bgp_attr_builder_free(struct bgp_attr_builder *b);
void bgp_attr_builder_reset(struct bgp_attr_builder *b);
/* Load an interned set into the builder (to derive a modified set from it). */
void bgp_attr_builder_load(struct bgp_attr_builder *b, const struct bgp_attrs *a);
/* Set an AS_PATH from a list of ASNs (one AS_SEQUENCE, or empty for n == 0). */
int bgp_attr_builder_set_path(struct bgp_attr_builder *b, const uint32_t *asns, size_t n);
/* RFC 4271 5.1.2 / 9.1.2.2: prepend asn to the leftmost AS_SEQUENCE (or a new one). */
int bgp_attr_builder_prepend(struct bgp_attr_builder *b, uint32_t asn);
/* RFC 5065 5.3: drop AS_CONFED_SEQUENCE / AS_CONFED_SET segments (towards eBGP). */
int bgp_attr_builder_strip_confed(struct bgp_attr_builder *b);
/* RFC 4456 8: prepend a cluster id to CLUSTER_LIST. */
int bgp_attr_builder_prepend_cluster(struct bgp_attr_builder *b, uint32_t id);
int bgp_attr_builder_set_communities(struct bgp_attr_builder *b, const uint32_t *c, size_t n);
/* RFC 8092 2: LARGE_COMMUNITY, 12 octets each (at most 256); -E2BIG beyond. */
int bgp_attr_builder_set_large_communities(struct bgp_attr_builder *b,
                                           const struct bgp_large_community *c, size_t n);
/* Recompute as_path_len and neighbor_as from the AS_PATH part. */
void bgp_attr_builder_path_info(struct bgp_attr_builder *b);

/*
 * The interning table: open addressing with linear probing. A slot keeps the
 * set's hash next to the pointer, so a lookup that misses (a new set) and a
 * rehash never touch the sets themselves.
 */
struct bgp_attr_slot {
	uint32_t hash;
	struct bgp_attrs *a; /* NULL: empty; BGP_ATTR_TOMBSTONE: deleted */
};
/* Sets with up to (BGP_ATTR_SLAB_CLASSES - 1) * 8 bytes of parts come from slabs. */
#define BGP_ATTR_SLAB_CLASSES 48
struct bgp_attr_table {
	struct bgp_attr_slot *slots;
	size_t mask;  /* slots - 1 (power of two) */
	size_t count; /* distinct sets */
	size_t used;  /* sets + tombstones */
	/* Set memory: class c holds sets of sizeof(struct bgp_attrs) + 8 * c bytes. */
	struct rib_slab sets[BGP_ATTR_SLAB_CLASSES];
};

int bgp_attr_table_init(struct bgp_attr_table *t);
/* All sets must have been released. */
void bgp_attr_table_free(struct bgp_attr_table *t);
/* The interned set equal to b (new or shared), with one reference for the caller; NULL on ENOMEM.
 */
struct bgp_attrs *bgp_attr_intern(struct bgp_attr_table *t, const struct bgp_attr_builder *b);
/* The interning hash of b's set (what bgp_attr_intern computes first). */
uint32_t bgp_attr_hash(const struct bgp_attr_builder *b);
/* Start loading the table slot of hash h (to overlap the miss with other work). */
void bgp_attr_prefetch(const struct bgp_attr_table *t, uint32_t h);
/* bgp_attr_intern() with h = bgp_attr_hash(b) already computed (b unchanged since). */
struct bgp_attrs *bgp_attr_intern_hashed(struct bgp_attr_table *t, const struct bgp_attr_builder *b,
                                         uint32_t h);
static inline struct bgp_attrs *bgp_attr_ref(struct bgp_attrs *a)
{
	a->refcnt++;
	return a;
}
void bgp_attr_unref(struct bgp_attr_table *t, struct bgp_attrs *a);

/* RFC 7606 outcome of decoding an UPDATE's attributes, most severe wins. */
enum bgp_verdict {
	BGP_VERDICT_OK = 0,
	BGP_VERDICT_ATTR_DISCARD = 1, /* RFC 7606 2 "attribute discard": rest of UPDATE is used */
	BGP_VERDICT_TREAT_AS_WITHDRAW = 2, /* RFC 7606 2: every NLRI in the UPDATE is withdrawn */
	BGP_VERDICT_SESSION_RESET = 3,     /* send notify, close the session */
};

struct bgp_attr_result {
	enum bgp_verdict verdict;
	uint64_t discarded;       /* bit (type & 63) of each discarded attribute */
	uint8_t withdraw_type;    /* attribute that caused treat-as-withdraw (0: other reason) */
	uint16_t withdraw_reason; /* the RFC 4271 6.3 subcode it would have been */
	struct bgp_notify notify; /* for BGP_VERDICT_SESSION_RESET */
};

/* An empty result (OK, nothing discarded); the NOTIFICATION data bytes are left as they are. */
static inline void bgp_attr_result_clear(struct bgp_attr_result *res)
{
	res->verdict = BGP_VERDICT_OK;
	res->discarded = 0;
	res->withdraw_type = 0;
	res->withdraw_reason = 0;
	res->notify.code = 0;
	res->notify.subcode = 0;
	res->notify.data_len = 0;
}

/* *dst = *src, copying only the NOTIFICATION data bytes in use. */
static inline void bgp_attr_result_copy(struct bgp_attr_result *dst,
                                        const struct bgp_attr_result *src)
{
	dst->verdict = src->verdict;
	dst->discarded = src->discarded;
	dst->withdraw_type = src->withdraw_type;
	dst->withdraw_reason = src->withdraw_reason;
	dst->notify.code = src->notify.code;
	dst->notify.subcode = src->notify.subcode;
	dst->notify.data_len = src->notify.data_len;
	if (src->notify.data_len)
		memcpy(dst->notify.data, src->notify.data, src->notify.data_len);
}

const char *bgp_verdict_name(enum bgp_verdict v);
/* Raise res to a session reset with UPDATE Message Error / subcode (no data). */
void bgp_attr_result_reset(struct bgp_attr_result *res, uint8_t subcode);
const char *bgp_attr_type_name(uint8_t type);

/* MP_REACH_NLRI / MP_UNREACH_NLRI content, RFC 4760 3 and 4. */
struct bgp_mp_info {
	bool reach;
	uint16_t reach_afi;
	uint8_t reach_safi;
	struct addr next_hop;
	struct addr next_hop_ll; /* RFC 2545 3: second 16 bytes of a 32-byte IPv6 next hop */
	bool has_ll;
	struct buf_reader reach_nlri;
	bool unreach;
	uint16_t unreach_afi;
	uint8_t unreach_safi;
	struct buf_reader unreach_nlri;
};

/*
 * Decode the path attributes of one UPDATE into b (reset first) and mp.
 * has_nlri: the UPDATE's own NLRI field is non-empty (NEXT_HOP is then
 * mandatory, RFC 4760 3). Applies RFC 7606: the result says what to do; the
 * return value is 0 unless the verdict is SESSION_RESET (-EBADMSG).
 * After decoding, b->k.next_hop is the NEXT_HOP attribute (IPv4) if present;
 * MP next hops are in mp.
 */
int bgp_attr_decode(struct buf_reader *r, const struct bgp_session_params *p, bool has_nlri,
                    struct bgp_attr_builder *b, struct bgp_mp_info *mp,
                    struct bgp_attr_result *res);

/*
 * Encode the attribute set a for a peer (as4: four-octet AS session, else
 * AS_PATH/AGGREGATOR are narrowed with AS_TRANS plus AS4_PATH/AS4_AGGREGATOR,
 * RFC 6793 4.2.2). NEXT_HOP is written only if with_next_hop (IPv4 unicast
 * NLRI in the UPDATE's own field); MP_REACH_NLRI is the caller's job.
 */
int bgp_attr_encode(struct buf_writer *w, const struct bgp_attrs *a, bool as4, bool with_next_hop);

/* NLRI prefix encoding, RFC 4271 4.3 / RFC 4760 5. */
int bgp_nlri_encode(struct buf_writer *w, const struct prefix *p);
/* Encoded size of a prefix: 1 + ceil(len/8). */
static inline size_t bgp_nlri_size(const struct prefix *p)
{
	return 1 + ((size_t)p->len + 7) / 8;
}
/* Decode one prefix of family (AF_INET/AF_INET6); -EBADMSG on bad length or overrun. */
int bgp_nlri_decode(struct buf_reader *r, int family, struct prefix *p);

#endif
