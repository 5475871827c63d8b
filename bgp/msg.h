/*
 * DOC: BGP message codec (RFC 4271 section 4, RFC 2918, RFC 5492, RFC 8654).
 *
 * The wire half of the speaker: header framing, OPEN with capabilities,
 * KEEPALIVE, NOTIFICATION, ROUTE-REFRESH, and UPDATE framing. Every byte is
 * read through the bounds-checked reader of <tabby/buf.h> and written through
 * its writer.
 *
 * Decoders return 0, or -EBADMSG after filling a struct bgp_notify with the
 * NOTIFICATION (code, subcode, data) that RFC 4271 section 6 says to send
 * before closing the session. Encoders append one complete message (header
 * included) to a buf_writer and return 0 or -ENOSPC/-ENOMEM (writer error).
 *
 * Path attributes and NLRI inside an UPDATE are decoded by attr.c (the
 * structured form, with RFC 7606 error handling) or straight into the RIB by
 * rib.c; this file only splits an UPDATE into its three parts.
 *
 * Use by the session layer (fsm.c):
 *   - read 19 bytes, bgp_msg_decode_header() -> body length and type;
 *   - read the body, then by type: bgp_msg_decode_open() + bgp_open_check() +
 *     bgp_caps_negotiate(), bgp_msg_decode_notification(),
 *     bgp_msg_decode_route_refresh(), bgp_msg_decode_keepalive(), or hand an
 *     UPDATE body to rib_peer_update() (rib.h);
 *   - send with bgp_msg_encode_open()/..._keepalive()/..._notification()/
 *     ..._route_refresh(); UPDATEs come ready-made from update.h.
 */
#ifndef TABBY_BGP_MSG_H
#define TABBY_BGP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tabby/buf.h>

/* RFC 4271 4.1 */
#define BGP_MARKER_LEN      16
#define BGP_HEADER_LEN      19
#define BGP_MIN_MSG_LEN     19
#define BGP_MAX_MSG_LEN     4096
#define BGP_MAX_EXT_MSG_LEN 65535 /* RFC 8654 */
#define BGP_OPEN_MIN_LEN    29    /* RFC 4271 4.2: header + 10 */
#define BGP_UPDATE_MIN_LEN  23    /* RFC 4271 4.3: header + 4 */
#define BGP_NOTIFY_MIN_LEN  21    /* RFC 4271 4.5: header + 2 */
#define BGP_RR_LEN          23    /* RFC 2918 3: header + 4 */

#define BGP_VERSION    4
#define BGP_AS_TRANS   23456 /* RFC 6793 9 */
#define BGP_PORT       179
#define BGP_DEFAULT_AS 64512

enum bgp_msg_type {
	BGP_MSG_OPEN = 1,
	BGP_MSG_UPDATE = 2,
	BGP_MSG_NOTIFICATION = 3,
	BGP_MSG_KEEPALIVE = 4,
	BGP_MSG_ROUTE_REFRESH = 5, /* RFC 2918 */
};

/* AFI / SAFI numbers (IANA) and the families this speaker knows. */
#define BGP_AFI_IPV4     1
#define BGP_AFI_IPV6     2
#define BGP_SAFI_UNICAST 1

enum bgp_af {
	BGP_AF_IPV4 = 0, /* IPv4 unicast */
	BGP_AF_IPV6 = 1, /* IPv6 unicast */
	BGP_AF_COUNT = 2,
};
#define BGP_AF_BIT(af) (1u << (af))

/* AFI/SAFI -> enum bgp_af, or -1 for a family we do not carry. */
int bgp_af_from_afi_safi(uint16_t afi, uint8_t safi);
uint16_t bgp_af_afi(enum bgp_af af);
const char *bgp_af_name(enum bgp_af af);

/* NOTIFICATION error codes, RFC 4271 4.5 (+ RFC 6608, RFC 7313) */
enum bgp_err_code {
	BGP_ERR_HEADER = 1,
	BGP_ERR_OPEN = 2,
	BGP_ERR_UPDATE = 3,
	BGP_ERR_HOLD_TIMER = 4,
	BGP_ERR_FSM = 5,
	BGP_ERR_CEASE = 6,
	BGP_ERR_ROUTE_REFRESH = 7, /* RFC 7313 5 */
};

/* Message Header Error subcodes, RFC 4271 6.1 */
enum bgp_err_header {
	BGP_ERR_HDR_NOT_SYNC = 1,
	BGP_ERR_HDR_BAD_LENGTH = 2,
	BGP_ERR_HDR_BAD_TYPE = 3,
};

/* OPEN Message Error subcodes, RFC 4271 6.2, RFC 5492 */
enum bgp_err_open {
	BGP_ERR_OPEN_VERSION = 1,
	BGP_ERR_OPEN_PEER_AS = 2,
	BGP_ERR_OPEN_BGP_ID = 3,
	BGP_ERR_OPEN_OPT_PARAM = 4,
	BGP_ERR_OPEN_HOLD_TIME = 6,
	BGP_ERR_OPEN_CAPABILITY = 7, /* RFC 5492 5 */
};

/* UPDATE Message Error subcodes, RFC 4271 6.3 */
enum bgp_err_update {
	BGP_ERR_UPD_ATTR_LIST = 1,
	BGP_ERR_UPD_UNKNOWN_WELLKNOWN = 2,
	BGP_ERR_UPD_MISSING_WELLKNOWN = 3,
	BGP_ERR_UPD_ATTR_FLAGS = 4,
	BGP_ERR_UPD_ATTR_LENGTH = 5,
	BGP_ERR_UPD_ORIGIN = 6,
	BGP_ERR_UPD_NEXT_HOP = 8,
	BGP_ERR_UPD_OPTIONAL = 9,
	BGP_ERR_UPD_NETWORK = 10,
	BGP_ERR_UPD_AS_PATH = 11,
};

/* Cease subcodes, RFC 4486 4, RFC 8538 */
enum bgp_err_cease {
	BGP_CEASE_MAX_PREFIX = 1,
	BGP_CEASE_ADMIN_SHUTDOWN = 2,
	BGP_CEASE_PEER_DECONFIGURED = 3,
	BGP_CEASE_ADMIN_RESET = 4,
	BGP_CEASE_CONNECTION_REJECTED = 5,
	BGP_CEASE_CONFIG_CHANGE = 6,
	BGP_CEASE_COLLISION = 7,
	BGP_CEASE_OUT_OF_RESOURCES = 8,
	BGP_CEASE_HARD_RESET = 9,
};

/* FSM Error subcodes, RFC 6608 3 */
enum bgp_err_fsm {
	BGP_ERR_FSM_UNSPECIFIED = 0,
	BGP_ERR_FSM_OPENSENT = 1,
	BGP_ERR_FSM_OPENCONFIRM = 2,
	BGP_ERR_FSM_ESTABLISHED = 3,
};

/*
 * A NOTIFICATION to send (filled by decoders on a fatal error) or received.
 * Data longer than BGP_NOTIFY_DATA_MAX is truncated (data_len says how much
 * is kept).
 */
#define BGP_NOTIFY_DATA_MAX 256
struct bgp_notify {
	uint8_t code;
	uint8_t subcode;
	uint16_t data_len;
	uint8_t data[BGP_NOTIFY_DATA_MAX];
};

void bgp_notify_set(struct bgp_notify *n, uint8_t code, uint8_t subcode, const void *data,
                    size_t len);
/* "UPDATE Message Error / Malformed AS_PATH" style text for logs. */
const char *bgp_notify_code_name(uint8_t code);
const char *bgp_notify_subcode_name(uint8_t code, uint8_t subcode);

/* Capability codes (IANA), RFC 5492 */
enum bgp_cap_code {
	BGP_CAP_MP = 1,                /* RFC 4760 8 */
	BGP_CAP_ROUTE_REFRESH = 2,     /* RFC 2918 2 */
	BGP_CAP_EXT_MSG = 6,           /* RFC 8654 3 */
	BGP_CAP_GRACEFUL_RESTART = 64, /* RFC 4724 3 */
	BGP_CAP_AS4 = 65,              /* RFC 6793 3 */
	BGP_CAP_ADD_PATH = 69,         /* not supported; recognised only */
	BGP_CAP_ENHANCED_RR = 70,      /* not supported; recognised only */
};

/* RFC 4724 3: Restart Flags and per-family Forwarding State flag. */
#define BGP_GR_FLAG_RESTART  0x8  /* R bit */
#define BGP_GR_FLAG_NOTIFY   0x4  /* N bit, RFC 8538 */
#define BGP_GR_AF_FORWARDING 0x80 /* F bit */
#define BGP_GR_TIME_MAX      4095

/* Capabilities one side advertises in its OPEN. */
struct bgp_caps {
	uint32_t mp_families;   /* BGP_AF_BIT() of each MP capability (RFC 4760) */
	bool mp_present;        /* any MP capability at all (else IPv4 unicast is implied) */
	bool route_refresh;     /* RFC 2918 */
	bool enhanced_rr;       /* RFC 7313 (advertised by peer; we never send it) */
	bool ext_msg;           /* RFC 8654 */
	bool as4;               /* RFC 6793 */
	uint32_t as4_number;    /* four-octet AS from the capability */
	bool graceful_restart;  /* RFC 4724 */
	uint8_t gr_flags;       /* BGP_GR_FLAG_* */
	uint16_t gr_time;       /* restart time in seconds, 0..4095 */
	uint32_t gr_families;   /* BGP_AF_BIT() of families listed in the GR capability */
	uint32_t gr_forwarding; /* ... of those with the F bit set */
	uint16_t unknown_count; /* capabilities we did not recognise (ignored, RFC 5492 3) */
};

/* OPEN message, RFC 4271 4.2. */
struct bgp_open {
	uint8_t version;
	uint16_t my_as; /* the two-octet field: AS_TRANS if the AS does not fit */
	uint16_t hold_time;
	uint32_t bgp_id; /* host byte order */
	struct bgp_caps caps;
};

/* The peer's AS as the OPEN says it: the AS4 capability if present, else my_as. */
uint32_t bgp_open_peer_as(const struct bgp_open *o);

/*
 * Parameters the codec needs from the negotiated session; one per session,
 * filled by bgp_caps_negotiate() plus the session's configuration.
 */
struct bgp_session_params {
	uint32_t local_as;
	uint32_t peer_as;
	uint32_t local_id;  /* host byte order */
	uint32_t peer_id;   /* host byte order */
	bool ebgp;          /* peer_as != local_as */
	bool as4;           /* both sent the AS4 capability (RFC 6793 4) */
	bool ext_msg;       /* both sent extended messages (RFC 8654 3) */
	bool route_refresh; /* peer may be sent ROUTE-REFRESH */
	uint32_t families;  /* negotiated families (BGP_AF_BIT) */
	bool peer_gr;       /* peer advertised graceful restart */
	uint16_t peer_gr_time;
	uint32_t peer_gr_forwarding; /* families the peer preserved forwarding for */
	uint16_t hold_time;          /* negotiated: min of both, RFC 4271 4.2 */
	size_t max_msg_len;          /* 4096 or 65535 */
};

/*
 * Fill p from our capabilities and the peer's OPEN (RFC 5492 / 4760 6:
 * a family is used only if both sides advertised it; without any MP
 * capability IPv4 unicast is implied). local_hold is our configured hold time.
 * Sets ebgp from the AS numbers.
 */
void bgp_caps_negotiate(const struct bgp_open *local, const struct bgp_open *peer,
                        struct bgp_session_params *p);

/* A decoded header: type and whole message length (header included). */
struct bgp_msg_header {
	uint8_t type;
	uint16_t len;
};

/*
 * RFC 4271 6.1: marker all ones, length 19..max_len and within the type's
 * bounds, known type. data must hold at least BGP_HEADER_LEN bytes
 * (len is checked). max_len is 4096, or 65535 after RFC 8654 negotiation
 * (OPEN and KEEPALIVE stay within 4096 regardless, RFC 8654 4).
 */
int bgp_msg_decode_header(const void *data, size_t len, size_t max_len, struct bgp_msg_header *hdr,
                          struct bgp_notify *err);

/*
 * Body decoders: body/len is the message without its 19-byte header.
 */
/* RFC 4271 6.2 (syntax only: version, optional parameters, capabilities). */
int bgp_msg_decode_open(const void *body, size_t len, struct bgp_open *o, struct bgp_notify *err);
/*
 * RFC 4271 6.2 semantic checks against our configuration: peer AS
 * (expected_as 0 = accept any; never 0 or AS_TRANS), BGP identifier
 * (non-zero; not ours for an internal peer, RFC 6286 2.2), hold time 0 or
 * >= 3, and the capabilities we require (RFC 5492 5: Unsupported Capability
 * with the missing capability as data): a peer without four-octet AS support
 * is refused when local_as does not fit two octets. Returns 0 or -EBADMSG
 * with err filled.
 */
int bgp_open_check(const struct bgp_open *o, uint32_t expected_as, uint32_t local_as,
                   uint32_t local_id, struct bgp_notify *err);

struct bgp_notification {
	uint8_t code;
	uint8_t subcode;
	const uint8_t *data; /* points into the body */
	size_t data_len;
};
int bgp_msg_decode_notification(const void *body, size_t len, struct bgp_notification *n,
                                struct bgp_notify *err);
int bgp_msg_decode_keepalive(const void *body, size_t len, struct bgp_notify *err);

/* RFC 2918 3 / RFC 7313 3: subtype 0 = normal, 1 = BoRR, 2 = EoRR. */
struct bgp_route_refresh {
	uint16_t afi;
	uint8_t subtype;
	uint8_t safi;
};
int bgp_msg_decode_route_refresh(const void *body, size_t len, struct bgp_route_refresh *rr,
                                 struct bgp_notify *err);

/*
 * RFC 4271 4.3 / 6.3: split an UPDATE body into withdrawn routes, path
 * attributes and NLRI. The lengths must add up ("Malformed Attribute List"
 * otherwise). The three readers point into body.
 */
struct bgp_update_parts {
	struct buf_reader withdrawn;
	struct buf_reader attrs;
	struct buf_reader nlri;
};
int bgp_msg_split_update(const void *body, size_t len, struct bgp_update_parts *parts,
                         struct bgp_notify *err);

/* Encoders: append a whole message (header included) to w. */
int bgp_msg_encode_open(struct buf_writer *w, const struct bgp_open *o);
int bgp_msg_encode_keepalive(struct buf_writer *w);
int bgp_msg_encode_notification(struct buf_writer *w, uint8_t code, uint8_t subcode,
                                const void *data, size_t len);
int bgp_msg_encode_route_refresh(struct buf_writer *w, uint16_t afi, uint8_t safi, uint8_t subtype);

/* Start a message: writes marker, a length placeholder and type; returns the offset. */
size_t bgp_msg_begin(struct buf_writer *w, uint8_t type);
/* Patch the length of the message begun at offset; -EMSGSIZE if over max_len. */
int bgp_msg_end(struct buf_writer *w, size_t offset, size_t max_len);

const char *bgp_msg_type_name(uint8_t type);

#endif
