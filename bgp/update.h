/*
 * DOC: Adj-RIB-Out and outbound UPDATE packing (RFC 4271 9.1.3, 9.2).
 *
 * Every best-route change is queued for every established peer. When the
 * session layer is ready to write (after rib_out_ready_cb, or on its own
 * MinRouteAdvertisementInterval tick), rib_peer_flush_out() runs the export
 * rules for each queued prefix, compares the result with what the peer was
 * last sent (the Adj-RIB-Out), groups the announcements by outgoing
 * attribute set and encodes the fewest UPDATE messages: all prefixes of one
 * set share a message until it is full (4096 bytes, or 65535 with RFC 8654
 * extended messages), and withdrawals are packed the same way.
 *
 * Export rules: no advertisement back to the peer a route came from; no
 * iBGP-learned route to another iBGP peer unless we reflect it (RFC 4456 6:
 * client routes to everyone, non-client routes to clients only), with
 * ORIGINATOR_ID and CLUSTER_LIST added (RFC 4456 8); towards eBGP our AS is
 * prepended, the next hop is ours, LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST
 * are removed and a MED learned from another AS is not passed on (RFC 4271
 * 5.1.4); towards iBGP LOCAL_PREF is always sent (RFC 4271 5.1.5); NO_EXPORT
 * and NO_ADVERTISE (RFC 1997) are honoured.
 */
#ifndef TABBY_BGP_UPDATE_H
#define TABBY_BGP_UPDATE_H

#include <stdbool.h>
#include <stddef.h>

#include <tabby/buf.h>

#include "rib.h"

/* Does peer have queued changes (or pending End-of-RIB markers)? */
bool rib_peer_out_pending(const struct rib_peer *peer);

/*
 * Encode the UPDATEs for everything queued for peer, appended back to back
 * (each a complete message with header) to w; *n_msgs gets the count.
 * The Adj-RIB-Out is updated as if the bytes were sent. Returns 0 or
 * -ENOMEM. An End-of-RIB marker (RFC 4724 2) follows the initial table
 * transfer of each negotiated family.
 */
int rib_peer_flush_out(struct rib *rib, struct rib_peer *peer, struct buf_writer *w,
                       size_t *n_msgs);

/* RFC 2918 4: the peer asked for af again: re-queue everything advertised (and EoR). */
int rib_peer_refresh_out(struct rib *rib, struct rib_peer *peer, enum bgp_af af);

/* Number of prefixes currently in the peer's Adj-RIB-Out. */
size_t rib_peer_out_count(const struct rib_peer *peer);

/* Encode an End-of-RIB marker for af (RFC 4724 2). */
int bgp_update_encode_eor(struct buf_writer *w, enum bgp_af af);

#endif
