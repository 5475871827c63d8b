/*
 * DOC: internals of outbound UPDATE building: export rules (update_export.c)
 * and message packing (update_pack.c), used by update.c.
 */
#ifndef TABBY_BGP_UPDATE_INT_H
#define TABBY_BGP_UPDATE_INT_H

#include "rib_int.h"

/* update_export.c */
bool rib_export_allowed(struct rib *rib, const struct rib_peer *to, const struct rib_route *r);
/* The set to send to peer `to` for route r of family af (a new reference), or NULL. */
struct bgp_attrs *rib_export_attrs(struct rib *rib, const struct rib_peer *to, unsigned af,
                                   const struct rib_route *r);
void update_export_cache_init(struct rib *rib);
void update_export_cache_clear(struct rib *rib);

/* update_pack.c: packs prefixes of one (family, set) group into UPDATEs. */
#define UPDATE_NLRI_MAX BGP_MAX_EXT_MSG_LEN
struct update_pack {
	struct buf_writer *w;
	size_t max;
	bool as4;
	size_t n_msgs;
	int mode; /* 0 none, 1 announce, 2 withdraw */
	unsigned af;
	const struct bgp_attrs *attrs;
	struct buf_writer attrbuf; /* encoded attributes of the group (without MP_REACH) */
	size_t overhead;           /* message bytes besides the NLRI */
	struct buf_writer nlri;
	uint8_t nlri_mem[UPDATE_NLRI_MAX];
};

void update_pack_init(struct update_pack *pk, struct buf_writer *w, size_t max, bool as4);
void update_pack_free(struct update_pack *pk);
int update_pack_announce(struct update_pack *pk, unsigned af, const struct bgp_attrs *attrs,
                         const struct rib_dest *d);
int update_pack_withdraw(struct update_pack *pk, unsigned af, const struct rib_dest *d);
/* Emit the message being filled, if any. */
int update_pack_flush(struct update_pack *pk);

#endif
