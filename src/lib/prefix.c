/*
 * DOC: IPv4 and IPv6 addresses and prefixes (see include/tabby/prefix.h).
 *
 * Both families share one code path: an address is a big-endian bit string of
 * addr_bits() bits, and every operation (masking, adding, splitting a pool
 * into blocks) works bit- or byte-wise over that string. Text forms are the
 * ones of RFC 4632 section 3.1 (IPv4 CIDR) and RFC 4291 section 2.3 / RFC 5952
 * (IPv6 prefix notation, canonical text via inet_ntop).
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <tabby/prefix.h>

unsigned addr_bits(int family)
{
	switch (family) {
	case AF_INET:
		return 32;
	case AF_INET6:
		return 128;
	default:
		return 0;
	}
}

static size_t addr_size(int family)
{
	return addr_bits(family) / 8;
}

int addr_parse(const char *s, struct addr *out)
{
	struct addr a = {0};

	if (!s)
		return -EINVAL;
	a.family = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(a.family, s, a.bytes) != 1)
		return -EINVAL;
	*out = a;
	return 0;
}

const char *addr_format(const struct addr *a, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (!addr_bits(a->family) || !inet_ntop(a->family, a->bytes, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

int addr_cmp(const struct addr *a, const struct addr *b)
{
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1; /* AF_INET (2) < AF_INET6 (10) */
	r = memcmp(a->bytes, b->bytes, addr_size(a->family));
	return (r > 0) - (r < 0);
}

bool addr_eq(const struct addr *a, const struct addr *b)
{
	return addr_cmp(a, b) == 0;
}

bool addr_is_zero(const struct addr *a)
{
	for (size_t i = 0; i < addr_size(a->family); i++)
		if (a->bytes[i])
			return false;
	return true;
}

void addr_from_in(struct addr *a, const struct in_addr *in)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	memcpy(a->bytes, &in->s_addr, 4);
}

void addr_from_in6(struct addr *a, const struct in6_addr *in6)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET6;
	memcpy(a->bytes, in6->s6_addr, 16);
}

int addr_add(const struct addr *a, uint64_t offset, struct addr *out)
{
	struct addr r = *a;
	size_t n = addr_size(a->family);
	unsigned carry = 0;

	if (n == 0)
		return -EINVAL;
	for (size_t i = n; i > 0; i--) {
		unsigned sum = r.bytes[i - 1] + (unsigned)(offset & 0xff) + carry;

		r.bytes[i - 1] = (uint8_t)sum;
		carry = sum >> 8;
		offset >>= 8;
	}
	if (carry || offset)
		return -ERANGE;
	*out = r;
	return 0;
}

int addr_offset(const struct addr *base, const struct addr *a, uint64_t *out)
{
	size_t n = addr_size(a->family);
	uint64_t diff = 0;
	unsigned borrow = 0;

	if (n == 0 || a->family != base->family)
		return -EINVAL;
	if (addr_cmp(a, base) < 0)
		return -ERANGE;
	/* Byte-wise subtraction from the least significant end. */
	for (size_t i = n; i > 0; i--) {
		int d = (int)a->bytes[i - 1] - (int)base->bytes[i - 1] - (int)borrow;
		size_t shift = (n - i) * 8;

		borrow = d < 0;
		if (d < 0)
			d += 256;
		if (d == 0)
			continue;
		if (shift >= 64)
			return -ERANGE;
		diff |= (uint64_t)d << shift;
	}
	*out = diff;
	return 0;
}

bool addr_bit(const struct addr *a, unsigned i)
{
	if (i >= addr_bits(a->family))
		return false;
	return (a->bytes[i / 8] >> (7 - i % 8)) & 1;
}

static void addr_set_bit(struct addr *a, unsigned i, bool v)
{
	uint8_t mask = (uint8_t)(0x80 >> (i % 8));

	if (v)
		a->bytes[i / 8] |= mask;
	else
		a->bytes[i / 8] &= (uint8_t)~mask;
}

/* Set bits [from, bits) of the address to v (all host bits after a length). */
static void addr_fill_from(struct addr *a, unsigned from, bool v)
{
	unsigned bits = addr_bits(a->family);

	for (unsigned i = from; i < bits; i++) {
		if (i % 8 == 0 && i + 8 <= bits) {
			a->bytes[i / 8] = v ? 0xff : 0;
			i += 7;
			continue;
		}
		addr_set_bit(a, i, v);
	}
}

/* Do the first len bits of a and b agree? (same family assumed) */
static bool addr_match_bits(const struct addr *a, const struct addr *b, unsigned len)
{
	size_t whole = len / 8;
	unsigned rest = len % 8;
	uint8_t mask;

	if (memcmp(a->bytes, b->bytes, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a->bytes[whole] & mask) == (b->bytes[whole] & mask);
}

/* Parse a decimal prefix length "0".."128" without sign, spaces or leading zeros. */
static int prefix_parse_len(const char *s, unsigned max, uint8_t *out)
{
	unsigned v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = (uint8_t)v;
	return 0;
}

int prefix_parse(const char *s, struct prefix *out, bool strict)
{
	char text[PREFIX_STRLEN];
	const char *slash;
	struct prefix p = {0};
	size_t alen;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen >= sizeof(text))
		return -EINVAL;
	memcpy(text, s, alen);
	text[alen] = '\0';
	if (addr_parse(text, &p.addr) < 0)
		return -EINVAL;
	if (!slash)
		p.len = (uint8_t)addr_bits(p.addr.family);
	else if (prefix_parse_len(slash + 1, addr_bits(p.addr.family), &p.len) < 0)
		return -EINVAL;
	if (strict && !prefix_is_canonical(&p))
		return -EINVAL;
	prefix_normalize(&p);
	*out = p;
	return 0;
}

const char *prefix_format(const struct prefix *p, char *buf, size_t len)
{
	char a[ADDR_STRLEN];

	if (len > 0)
		snprintf(buf, len, "%s/%u", addr_format(&p->addr, a, sizeof(a)), p->len);
	return buf;
}

void prefix_normalize(struct prefix *p)
{
	addr_fill_from(&p->addr, p->len, false);
}

bool prefix_is_canonical(const struct prefix *p)
{
	struct prefix n = *p;

	prefix_normalize(&n);
	return addr_eq(&n.addr, &p->addr);
}

int prefix_cmp(const struct prefix *a, const struct prefix *b)
{
	int r = addr_cmp(&a->addr, &b->addr);

	if (r != 0)
		return r;
	return (a->len > b->len) - (a->len < b->len);
}

bool prefix_eq(const struct prefix *a, const struct prefix *b)
{
	return prefix_cmp(a, b) == 0;
}

bool prefix_contains_addr(const struct prefix *p, const struct addr *a)
{
	if (p->addr.family != a->family)
		return false;
	return addr_match_bits(&p->addr, a, p->len);
}

bool prefix_contains(const struct prefix *outer, const struct prefix *inner)
{
	if (outer->addr.family != inner->addr.family || outer->len > inner->len)
		return false;
	return addr_match_bits(&outer->addr, &inner->addr, outer->len);
}

bool prefix_overlaps(const struct prefix *a, const struct prefix *b)
{
	return prefix_contains(a, b) || prefix_contains(b, a);
}

void prefix_from_addr(struct prefix *p, const struct addr *a)
{
	p->addr = *a;
	p->len = (uint8_t)addr_bits(a->family);
}

/* 2^n saturated at UINT64_MAX. */
static uint64_t prefix_pow2_sat(unsigned n)
{
	return n >= 64 ? UINT64_MAX : (uint64_t)1 << n;
}

uint64_t prefix_size(const struct prefix *p)
{
	unsigned bits = addr_bits(p->addr.family);

	if (bits == 0 || p->len > bits)
		return 0;
	return prefix_pow2_sat(bits - p->len);
}

void prefix_first(const struct prefix *p, struct addr *out)
{
	*out = p->addr;
	addr_fill_from(out, p->len, false);
}

void prefix_last(const struct prefix *p, struct addr *out)
{
	*out = p->addr;
	addr_fill_from(out, p->len, true);
}

uint64_t prefix_subnet_count(const struct prefix *p, unsigned sublen)
{
	if (sublen < p->len || sublen > addr_bits(p->addr.family))
		return 0;
	return prefix_pow2_sat(sublen - p->len);
}

int prefix_subnet(const struct prefix *p, unsigned sublen, uint64_t index, struct prefix *out)
{
	unsigned nbits = sublen - p->len;
	struct prefix s;

	if (sublen < p->len || sublen > addr_bits(p->addr.family))
		return -ERANGE;
	if (nbits < 64 && index >= ((uint64_t)1 << nbits))
		return -ERANGE;
	s.addr = p->addr;
	s.len = (uint8_t)sublen;
	addr_fill_from(&s.addr, p->len, false);
	/* The index goes into bits [len, sublen); only its low 64 bits exist. */
	for (unsigned i = 0; i < nbits && i < 64; i++)
		addr_set_bit(&s.addr, sublen - 1 - i, (index >> i) & 1);
	*out = s;
	return 0;
}

void prefix_iter_first(const struct prefix *p, struct addr *a)
{
	prefix_first(p, a);
}

bool prefix_iter_next(const struct prefix *p, struct addr *a)
{
	struct addr last;

	prefix_last(p, &last);
	if (!prefix_contains_addr(p, a) || addr_eq(a, &last))
		return false;
	return addr_add(a, 1, a) == 0;
}
