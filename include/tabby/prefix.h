/*
 * DOC: IPv4 and IPv6 addresses and prefixes.
 *
 * One type for both families, so that every module (IPAM, BGP, dataplane) is
 * dual-stack from the first line. Addresses are kept in network byte order in
 * a 16-byte array; IPv4 uses the first 4 bytes. A prefix is an address with a
 * length; a "canonical" prefix has every host bit zero.
 */
#ifndef TABBY_PREFIX_H
#define TABBY_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#define ADDR_STRLEN   46 /* INET6_ADDRSTRLEN */
#define PREFIX_STRLEN 50 /* address, '/', up to 3 digits, NUL */

struct addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16];
};

struct prefix {
	struct addr addr;
	uint8_t len; /* 0..32 or 0..128 */
};

/* Bits in an address of this family (32 or 128), 0 for an unknown family. */
unsigned addr_bits(int family);

/* Parse "198.18.0.1" or "2001:db8::1". Returns 0, or -EINVAL. */
int addr_parse(const char *s, struct addr *out);
/* Format into buf (at least ADDR_STRLEN bytes); returns buf. */
const char *addr_format(const struct addr *a, char *buf, size_t len);
/* Total order: IPv4 before IPv6, then numerically. */
int addr_cmp(const struct addr *a, const struct addr *b);
bool addr_eq(const struct addr *a, const struct addr *b);
bool addr_is_zero(const struct addr *a);
void addr_from_in(struct addr *a, const struct in_addr *in);
void addr_from_in6(struct addr *a, const struct in6_addr *in6);
/* Add a (possibly large) offset; returns -ERANGE on overflow of the family. */
int addr_add(const struct addr *a, uint64_t offset, struct addr *out);
/* Offset of a from base (a >= base, difference fits 64 bits), or -ERANGE. */
int addr_offset(const struct addr *base, const struct addr *a, uint64_t *out);
/* Bit i (0 = most significant) of the address. */
bool addr_bit(const struct addr *a, unsigned i);

/*
 * Parse "10.0.0.0/24" (or a bare address as a host prefix). With strict, host
 * bits set is -EINVAL ("10.0.0.1/24" is not a network); otherwise they are
 * cleared. Returns 0 or -EINVAL.
 */
int prefix_parse(const char *s, struct prefix *out, bool strict);
const char *prefix_format(const struct prefix *p, char *buf, size_t len);
/* Clear the host bits. */
void prefix_normalize(struct prefix *p);
bool prefix_is_canonical(const struct prefix *p);
int prefix_cmp(const struct prefix *a, const struct prefix *b);
bool prefix_eq(const struct prefix *a, const struct prefix *b);
/* Does p contain address a? */
bool prefix_contains_addr(const struct prefix *p, const struct addr *a);
/* Does outer contain inner (equal counts)? */
bool prefix_contains(const struct prefix *outer, const struct prefix *inner);
bool prefix_overlaps(const struct prefix *a, const struct prefix *b);
/* Host prefix (/32 or /128) of an address. */
void prefix_from_addr(struct prefix *p, const struct addr *a);
/* Number of addresses in p, saturated at UINT64_MAX. */
uint64_t prefix_size(const struct prefix *p);
/* First and last address of p. */
void prefix_first(const struct prefix *p, struct addr *out);
void prefix_last(const struct prefix *p, struct addr *out);

/*
 * Splitting a prefix into sub-prefixes of length sublen (a pool into blocks):
 * prefix_subnet_count() is 2^(sublen - len) saturated at UINT64_MAX, and
 * prefix_subnet() gives the index-th one, or -ERANGE.
 */
uint64_t prefix_subnet_count(const struct prefix *p, unsigned sublen);
int prefix_subnet(const struct prefix *p, unsigned sublen, uint64_t index, struct prefix *out);

/*
 * Iteration over the addresses of a prefix:
 *   struct addr a; for (prefix_iter_first(p, &a); ok; ok = prefix_iter_next(p, &a))
 * prefix_iter_next() returns false after the last address.
 */
void prefix_iter_first(const struct prefix *p, struct addr *a);
bool prefix_iter_next(const struct prefix *p, struct addr *a);

#endif
