/*
 * DOC: unit tests for src/lib/prefix.c (addresses and prefixes, both families).
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <tabby/prefix.h>

static struct addr A(const char *s) {
	struct addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static struct prefix
P(const char *s) {
	struct prefix p;

	assert_int_equal(prefix_parse(s, &p, true), 0);
	return p;
}

static void
assert_addr_text(const struct addr *a, const char *want)
{
	char buf[ADDR_STRLEN];

	assert_string_equal(addr_format(a, buf, sizeof(buf)), want);
}

static void assert_prefix_text(const struct prefix *p, const char *want)
{
	char buf[PREFIX_STRLEN];

	assert_string_equal(prefix_format(p, buf, sizeof(buf)), want);
}

static void test_addr_parse_format(void **state)
{
	struct addr a;

	(void)state;
	a = A("198.18.0.1");
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.bytes[0], 198);
	assert_int_equal(a.bytes[3], 1);
	assert_addr_text(&a, "198.18.0.1");
	a = A("2001:DB8:0:0::1");
	assert_int_equal(a.family, AF_INET6);
	assert_addr_text(&a, "2001:db8::1"); /* RFC 5952 canonical form */
	a = A("::");
	assert_true(addr_is_zero(&a));
	a = A("0.0.0.0");
	assert_true(addr_is_zero(&a));
	assert_int_equal(addr_bits(AF_INET), 32);
	assert_int_equal(addr_bits(AF_INET6), 128);
	assert_int_equal(addr_bits(AF_UNIX), 0);
}

static void test_addr_parse_bad(void **state)
{
	static const char *const bad[] = {"",
	                                  "1.2.3",
	                                  "1.2.3.4.5",
	                                  "256.0.0.1",
	                                  "1.2.3.4 ",
	                                  " 1.2.3.4",
	                                  "1.2.3.-1",
	                                  "01.2.3.4",
	                                  "2001:db8::1::2",
	                                  "2001:db8:::1",
	                                  "fe80::1%eth0",
	                                  "gggg::1",
	                                  "1.2.3.4/24",
	                                  "2001:db8::/32",
	                                  "12345::",
	                                  "abc"};
	struct addr a = {.family = 99};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(addr_parse(bad[i], &a), -EINVAL);
		assert_int_equal(a.family, 99); /* untouched on failure */
	}
	assert_int_equal(addr_parse(NULL, &a), -EINVAL);
}

static void test_addr_cmp(void **state)
{
	struct addr v4 = A("255.255.255.255"), v6 = A("::"), a = A("10.0.0.1"), b = A("10.0.0.2");

	(void)state;
	assert_true(addr_cmp(&v4, &v6) < 0); /* IPv4 sorts before IPv6 */
	assert_true(addr_cmp(&v6, &v4) > 0);
	assert_true(addr_cmp(&a, &b) < 0);
	assert_true(addr_cmp(&b, &a) > 0);
	assert_int_equal(addr_cmp(&a, &a), 0);
	assert_true(addr_eq(&a, &a));
	assert_false(addr_eq(&a, &b));
	a = A("2001:db8::1");
	b = A("2001:db8::1:0");
	assert_true(addr_cmp(&a, &b) < 0);
}

static void test_addr_from_in(void **state)
{
	struct in_addr in = {.s_addr = htonl(0xc6120001)};
	struct in6_addr in6 = IN6ADDR_LOOPBACK_INIT;
	struct addr a;

	(void)state;
	addr_from_in(&a, &in);
	assert_addr_text(&a, "198.18.0.1");
	addr_from_in6(&a, &in6);
	assert_addr_text(&a, "::1");
}

static void test_addr_add_offset(void **state)
{
	struct addr a = A("198.18.0.255"), r, base;
	uint64_t off;

	(void)state;
	assert_int_equal(addr_add(&a, 1, &r), 0);
	assert_addr_text(&r, "198.18.1.0");
	a = A("255.255.255.254");
	assert_int_equal(addr_add(&a, 1, &r), 0);
	assert_addr_text(&r, "255.255.255.255");
	assert_int_equal(addr_add(&a, 2, &r), -ERANGE);
	a = A("0.0.0.0");
	assert_int_equal(addr_add(&a, (uint64_t)1 << 32, &r), -ERANGE);
	assert_int_equal(addr_add(&a, UINT32_MAX, &r), 0);
	assert_addr_text(&r, "255.255.255.255");

	a = A("2001:db8::ffff:ffff:ffff:ffff");
	assert_int_equal(addr_add(&a, 1, &r), 0);
	assert_addr_text(&r, "2001:db8:0:1::");
	a = A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_int_equal(addr_add(&a, 1, &r), -ERANGE);
	a = A("::");
	assert_int_equal(addr_add(&a, UINT64_MAX, &r), 0);
	assert_addr_text(&r, "::ffff:ffff:ffff:ffff");

	base = A("2001:db8::");
	a = A("2001:db8::1:0");
	assert_int_equal(addr_offset(&base, &a, &off), 0);
	assert_int_equal(off, 0x10000);
	assert_int_equal(addr_offset(&a, &base, &off), -ERANGE); /* a < base */
	a = A("2001:db8:0:1::");
	assert_int_equal(addr_offset(&base, &a, &off), -ERANGE); /* 2^64 does not fit */
	a = A("2001:db8::ffff:ffff:ffff:ffff");
	assert_int_equal(addr_offset(&base, &a, &off), 0);
	assert_true(off == UINT64_MAX);
	base = A("10.0.0.0");
	a = A("10.0.1.3");
	assert_int_equal(addr_offset(&base, &a, &off), 0);
	assert_int_equal(off, 259);
	a = A("::1");
	assert_int_equal(addr_offset(&base, &a, &off), -EINVAL); /* mixed families */
	/* borrow across bytes */
	base = A("10.0.0.255");
	a = A("10.0.1.0");
	assert_int_equal(addr_offset(&base, &a, &off), 0);
	assert_int_equal(off, 1);
}

static void test_addr_bit(void **state)
{
	struct addr a = A("128.0.0.1");

	(void)state;
	assert_true(addr_bit(&a, 0));
	assert_false(addr_bit(&a, 1));
	assert_true(addr_bit(&a, 31));
	assert_false(addr_bit(&a, 32)); /* past the family: false, no over-read */
	a = A("::1");
	assert_true(addr_bit(&a, 127));
	assert_false(addr_bit(&a, 126));
	assert_false(addr_bit(&a, 128));
}

static void test_prefix_parse_format(void **state)
{
	struct prefix p;

	(void)state;
	p = P("10.0.0.0/8");
	assert_int_equal(p.len, 8);
	assert_prefix_text(&p, "10.0.0.0/8");
	p = P("0.0.0.0/0");
	assert_int_equal(p.len, 0);
	assert_prefix_text(&p, "0.0.0.0/0");
	p = P("198.18.0.1/32");
	assert_prefix_text(&p, "198.18.0.1/32");
	p = P("198.18.0.1"); /* bare address: host prefix */
	assert_int_equal(p.len, 32);
	p = P("2001:db8::/32");
	assert_prefix_text(&p, "2001:db8::/32");
	p = P("::/0");
	assert_prefix_text(&p, "::/0");
	p = P("2001:db8::1/128");
	assert_prefix_text(&p, "2001:db8::1/128");
	p = P("2001:db8::1");
	assert_int_equal(p.len, 128);
	p = P("10.0.0.0/31");
	assert_int_equal(p.len, 31);
}

static void test_prefix_parse_strict(void **state)
{
	struct prefix p;

	(void)state;
	assert_int_equal(prefix_parse("10.0.0.1/24", &p, true), -EINVAL);
	assert_int_equal(prefix_parse("10.0.0.1/24", &p, false), 0);
	assert_prefix_text(&p, "10.0.0.0/24"); /* host bits cleared */
	assert_int_equal(prefix_parse("2001:db8::1/64", &p, true), -EINVAL);
	assert_int_equal(prefix_parse("2001:db8::1/64", &p, false), 0);
	assert_prefix_text(&p, "2001:db8::/64");
	assert_int_equal(prefix_parse("10.255.255.255/9", &p, false), 0);
	assert_prefix_text(&p, "10.128.0.0/9");
	assert_int_equal(prefix_parse("255.255.255.255/0", &p, false), 0);
	assert_prefix_text(&p, "0.0.0.0/0");
}

static void test_prefix_parse_bad(void **state)
{
	static const char *const bad[] = {"10.0.0.0/33",
	                                  "10.0.0.0/",
	                                  "10.0.0.0/-1",
	                                  "10.0.0.0/+8",
	                                  "10.0.0.0/08",
	                                  "10.0.0.0/8/8",
	                                  "10.0.0.0/ 8",
	                                  "10.0.0.0/8 ",
	                                  "/8",
	                                  "",
	                                  "2001:db8::/129",
	                                  "2001:db8::/1280",
	                                  "10.0.0.0/4294967304",
	                                  "10.0.0/8",
	                                  "x/8",
	                                  "10.0.0.0/a",
	                                  "2001:db8::/0x20"};
	struct prefix p = {.len = 77};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(prefix_parse(bad[i], &p, false), -EINVAL);
		assert_int_equal(p.len, 77);
	}
	assert_int_equal(prefix_parse(NULL, &p, false), -EINVAL);
	/* address part longer than any address */
	assert_int_equal(
	    prefix_parse("0000000000000000000000000000000000000000000000000000000000/8", &p, false),
	    -EINVAL);
}

static void test_prefix_cmp_eq(void **state)
{
	struct prefix a = P("10.0.0.0/8"), b = P("10.0.0.0/16"), c = P("11.0.0.0/8"), d = P("::/0");

	(void)state;
	assert_true(prefix_cmp(&a, &b) < 0); /* same address: shorter first */
	assert_true(prefix_cmp(&b, &c) < 0);
	assert_true(prefix_cmp(&c, &d) < 0); /* IPv4 before IPv6 */
	assert_int_equal(prefix_cmp(&a, &a), 0);
	assert_true(prefix_eq(&a, &a));
	assert_false(prefix_eq(&a, &b));
}

static void test_prefix_contains(void **state)
{
	struct prefix pool = P("10.244.0.0/16"), blk = P("10.244.3.0/26"),
	              other = P("10.245.0.0/26"), all4 = P("0.0.0.0/0"), all6 = P("::/0"),
	              v6 = P("2001:db8:1::/48"), v6b = P("2001:db8:1:ff00::/56");
	struct addr in = A("10.244.255.255"), out = A("10.245.0.0"), in6 = A("2001:db8:1::42");

	(void)state;
	assert_true(prefix_contains(&pool, &blk));
	assert_false(prefix_contains(&blk, &pool));
	assert_true(prefix_contains(&pool, &pool));
	assert_false(prefix_contains(&pool, &other));
	assert_true(prefix_contains(&all4, &pool));
	assert_false(prefix_contains(&all4, &v6)); /* never across families */
	assert_false(prefix_contains(&all6, &pool));
	assert_true(prefix_contains(&all6, &v6));
	assert_true(prefix_contains(&v6, &v6b));
	assert_true(prefix_contains_addr(&pool, &in));
	assert_false(prefix_contains_addr(&pool, &out));
	assert_false(prefix_contains_addr(&all6, &in));
	assert_true(prefix_contains_addr(&v6, &in6));
	assert_true(prefix_contains_addr(&all4, &out));
}

static void test_prefix_overlaps(void **state)
{
	struct prefix a = P("10.0.0.0/8"), b = P("10.1.0.0/16"), c = P("11.0.0.0/8"), d = P("::/0"),
	              e = P("2001:db8::/32"), f = P("2001:db9::/32"), h = P("10.0.0.0/31"),
	              h2 = P("10.0.0.1/32");

	(void)state;
	assert_true(prefix_overlaps(&a, &b));
	assert_true(prefix_overlaps(&b, &a));
	assert_false(prefix_overlaps(&a, &c));
	assert_false(prefix_overlaps(&a, &d));
	assert_true(prefix_overlaps(&d, &e));
	assert_false(prefix_overlaps(&e, &f));
	assert_true(prefix_overlaps(&h, &h2));
}

static void test_prefix_normalize_canonical(void **state)
{
	struct prefix p = {.len = 20};

	(void)state;
	p.addr = A("2001:db8:ffff::1");
	p.len = 28;
	assert_false(prefix_is_canonical(&p));
	prefix_normalize(&p);
	assert_true(prefix_is_canonical(&p));
	assert_prefix_text(&p, "2001:db0::/28");
	p.addr = A("198.18.0.1");
	prefix_from_addr(&p, &p.addr);
	assert_int_equal(p.len, 32);
	assert_true(prefix_is_canonical(&p));
}

static void test_prefix_size_first_last(void **state)
{
	struct prefix p;
	struct addr a;

	(void)state;
	p = P("10.0.0.0/24");
	assert_int_equal(prefix_size(&p), 256);
	prefix_first(&p, &a);
	assert_addr_text(&a, "10.0.0.0");
	prefix_last(&p, &a);
	assert_addr_text(&a, "10.0.0.255");
	p = P("0.0.0.0/0");
	assert_true(prefix_size(&p) == (uint64_t)1 << 32);
	prefix_last(&p, &a);
	assert_addr_text(&a, "255.255.255.255");
	p = P("198.18.0.7/32");
	assert_int_equal(prefix_size(&p), 1);
	prefix_first(&p, &a);
	assert_addr_text(&a, "198.18.0.7");
	prefix_last(&p, &a);
	assert_addr_text(&a, "198.18.0.7");
	p = P("2001:db8::/64");
	assert_true(prefix_size(&p) == UINT64_MAX); /* 2^64 saturates */
	p = P("2001:db8::/65");
	assert_true(prefix_size(&p) == (uint64_t)1 << 63);
	p = P("2001:db8::/122");
	assert_int_equal(prefix_size(&p), 64);
	prefix_last(&p, &a);
	assert_addr_text(&a, "2001:db8::3f");
	p = P("::/0");
	assert_true(prefix_size(&p) == UINT64_MAX);
	prefix_last(&p, &a);
	assert_addr_text(&a, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	p = P("2001:db8::5/128");
	assert_int_equal(prefix_size(&p), 1);
}

static void test_prefix_subnet(void **state)
{
	struct prefix pool = P("10.244.0.0/16"), s;

	(void)state;
	assert_int_equal(prefix_subnet_count(&pool, 26), 1024);
	assert_int_equal(prefix_subnet(&pool, 26, 0, &s), 0);
	assert_prefix_text(&s, "10.244.0.0/26");
	assert_int_equal(prefix_subnet(&pool, 26, 1, &s), 0);
	assert_prefix_text(&s, "10.244.0.64/26");
	assert_int_equal(prefix_subnet(&pool, 26, 5, &s), 0);
	assert_prefix_text(&s, "10.244.1.64/26");
	assert_int_equal(prefix_subnet(&pool, 26, 1023, &s), 0);
	assert_prefix_text(&s, "10.244.255.192/26");
	assert_int_equal(prefix_subnet(&pool, 26, 1024, &s), -ERANGE);
	assert_int_equal(prefix_subnet_count(&pool, 16), 1);
	assert_int_equal(prefix_subnet(&pool, 16, 0, &s), 0);
	assert_prefix_text(&s, "10.244.0.0/16");
	assert_int_equal(prefix_subnet_count(&pool, 15), 0);
	assert_int_equal(prefix_subnet(&pool, 15, 0, &s), -ERANGE);
	assert_int_equal(prefix_subnet_count(&pool, 33), 0);
	assert_int_equal(prefix_subnet(&pool, 33, 0, &s), -ERANGE);
	assert_int_equal(prefix_subnet_count(&pool, 32), 65536);
	assert_int_equal(prefix_subnet(&pool, 32, 65535, &s), 0);
	assert_prefix_text(&s, "10.244.255.255/32");

	pool = P("0.0.0.0/0");
	assert_true(prefix_subnet_count(&pool, 32) == (uint64_t)1 << 32);
	assert_int_equal(prefix_subnet(&pool, 32, UINT32_MAX, &s), 0);
	assert_prefix_text(&s, "255.255.255.255/32");
	assert_int_equal(prefix_subnet(&pool, 32, (uint64_t)1 << 32, &s), -ERANGE);
}

static void test_prefix_subnet_v6(void **state)
{
	struct prefix pool = P("2001:db8:42::/48"), s;

	(void)state;
	assert_int_equal(prefix_subnet_count(&pool, 122), UINT64_MAX); /* 2^74 saturated */
	assert_int_equal(prefix_subnet(&pool, 122, 0, &s), 0);
	assert_prefix_text(&s, "2001:db8:42::/122");
	assert_int_equal(prefix_subnet(&pool, 122, 1, &s), 0);
	assert_prefix_text(&s, "2001:db8:42::40/122");
	assert_int_equal(prefix_subnet(&pool, 122, UINT64_MAX, &s), 0);
	assert_prefix_text(&s, "2001:db8:42:3f:ffff:ffff:ffff:ffc0/122");
	assert_int_equal(prefix_subnet_count(&pool, 64), 65536);
	assert_int_equal(prefix_subnet(&pool, 64, 65535, &s), 0);
	assert_prefix_text(&s, "2001:db8:42:ffff::/64");
	assert_int_equal(prefix_subnet(&pool, 64, 65536, &s), -ERANGE);
	assert_int_equal(prefix_subnet_count(&pool, 129), 0);
	pool = P("2001:db8::1/128");
	assert_int_equal(prefix_subnet_count(&pool, 128), 1);
	assert_int_equal(prefix_subnet(&pool, 128, 0, &s), 0);
	assert_prefix_text(&s, "2001:db8::1/128");
	assert_int_equal(prefix_subnet(&pool, 128, 1, &s), -ERANGE);
	/* the pool's host bits never leak into a block */
	assert_int_equal(prefix_parse("2001:db8::ffff/112", &pool, false), 0);
	assert_int_equal(prefix_subnet(&pool, 120, 2, &s), 0);
	assert_prefix_text(&s, "2001:db8::200/120");
}

static void test_prefix_iter(void **state)
{
	struct prefix p = P("10.0.0.252/30");
	char seen[4][ADDR_STRLEN];
	struct addr a;
	unsigned n = 0;

	(void)state;
	for (bool ok = (prefix_iter_first(&p, &a), true); ok; ok = prefix_iter_next(&p, &a)) {
		assert_true(n < 4);
		addr_format(&a, seen[n++], ADDR_STRLEN);
	}
	assert_int_equal(n, 4);
	assert_string_equal(seen[0], "10.0.0.252");
	assert_string_equal(seen[3], "10.0.0.255");

	p = P("255.255.255.255/32");
	prefix_iter_first(&p, &a);
	assert_addr_text(&a, "255.255.255.255");
	assert_false(prefix_iter_next(&p, &a)); /* the last address of the space */

	p = P("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127");
	n = 0;
	for (bool ok = (prefix_iter_first(&p, &a), true); ok; ok = prefix_iter_next(&p, &a))
		n++;
	assert_int_equal(n, 2);
	assert_addr_text(&a, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");

	p = P("2001:db8::/126");
	n = 0;
	for (bool ok = (prefix_iter_first(&p, &a), true); ok; ok = prefix_iter_next(&p, &a))
		n++;
	assert_int_equal(n, 4);

	/* an address outside the prefix ends the iteration */
	p = P("10.0.0.0/30");
	a = A("10.0.0.9");
	assert_false(prefix_iter_next(&p, &a));
}

static void test_format_small_buffer(void **state)
{
	struct prefix p = P("198.18.0.0/15");
	struct addr bad = {.family = 0};
	char buf[8];

	(void)state;
	prefix_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "198.18."); /* truncated, still terminated */
	addr_format(&bad, buf, sizeof(buf));
	assert_string_equal(buf, "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr_parse_format),
	    cmocka_unit_test(test_addr_parse_bad),
	    cmocka_unit_test(test_addr_cmp),
	    cmocka_unit_test(test_addr_from_in),
	    cmocka_unit_test(test_addr_add_offset),
	    cmocka_unit_test(test_addr_bit),
	    cmocka_unit_test(test_prefix_parse_format),
	    cmocka_unit_test(test_prefix_parse_strict),
	    cmocka_unit_test(test_prefix_parse_bad),
	    cmocka_unit_test(test_prefix_cmp_eq),
	    cmocka_unit_test(test_prefix_contains),
	    cmocka_unit_test(test_prefix_overlaps),
	    cmocka_unit_test(test_prefix_normalize_canonical),
	    cmocka_unit_test(test_prefix_size_first_last),
	    cmocka_unit_test(test_prefix_subnet),
	    cmocka_unit_test(test_prefix_subnet_v6),
	    cmocka_unit_test(test_prefix_iter),
	    cmocka_unit_test(test_format_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
