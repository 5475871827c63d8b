/*
 * DOC: resolving plain YAML scalars to null, bool, int and float.
 *
 * YAML 1.2 core schema (spec section 10.3.2, "Tag Resolution"):
 *   null   ~ | null | Null | NULL | (empty)
 *   bool   true | True | TRUE | false | False | FALSE
 *   int    [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+
 *   float  [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
 * YAML 1.1 readers (go-yaml, as in kubectl) would read "0123" as octal and
 * "yes" as true; the core schema reads them as 123 and a string. To never
 * silently disagree with either, decimal integers with a leading zero are
 * not integers here (they stay strings), and "yes"/"no" stay strings too.
 * .inf and .nan are not resolved: JSON cannot carry them.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_private.h"

bool yaml_scalar_is_plain(const struct yaml_node *n)
{
	return n && n->kind == YAML_KIND_SCALAR && n->style == YAML_STYLE_PLAIN && !n->str_tag &&
	       strlen(n->value) == n->len;
}

bool yaml_node_is_null(const struct yaml_node *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (!yaml_scalar_is_plain(n))
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(n->value, nulls[i]) == 0)
			return true;
	return false;
}

int yaml_scalar_bool(const struct yaml_node *n, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE"};
	static const char *const no[] = {"false", "False", "FALSE"};

	if (!yaml_scalar_is_plain(n))
		return -EINVAL;
	for (size_t i = 0; i < 3; i++) {
		if (strcmp(n->value, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(n->value, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int yaml_digit_value(char c, unsigned base)
{
	int v;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	else
		return -1;
	return v < (int)base ? v : -1;
}

/* Unsigned magnitude of digits in base; -EINVAL on a bad digit, -ERANGE past limit. */
static int yaml_parse_magnitude(const char *s, unsigned base, uint64_t limit, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		int d = yaml_digit_value(*s, base);

		if (d < 0)
			return -EINVAL;
		if (v > (limit - (uint64_t)d) / base)
			return -ERANGE;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return 0;
}

int yaml_scalar_int(const struct yaml_node *n, int64_t *out)
{
	const char *s;
	bool neg = false;
	uint64_t mag, limit = INT64_MAX;
	unsigned base = 10;
	int rc;

	if (!yaml_scalar_is_plain(n))
		return -EINVAL;
	s = n->value;
	if (strncmp(s, "0x", 2) == 0 || strncmp(s, "0o", 2) == 0) {
		base = s[1] == 'x' ? 16 : 8;
		s += 2;
	} else {
		if (*s == '-' || *s == '+')
			neg = *s++ == '-';
		if (s[0] == '0' && s[1] != '\0')
			return -EINVAL; /* "0123": octal in YAML 1.1, decimal in 1.2 */
	}
	if (neg)
		limit = (uint64_t)INT64_MAX + 1;
	rc = yaml_parse_magnitude(s, base, limit, &mag);
	if (rc < 0)
		return rc;
	if (neg)
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	else
		*out = (int64_t)mag;
	return 0;
}

static size_t yaml_span_digits(const char *s)
{
	return strspn(s, "0123456789");
}

/*
 * Does s match the core-schema float pattern (without .inf/.nan), with a
 * '.' or an exponent? Digits alone are the integer pattern's business.
 */
static bool yaml_float_syntax(const char *s)
{
	size_t whole, frac = 0;
	bool dot = false, exp = false;

	if (*s == '-' || *s == '+')
		s++;
	whole = yaml_span_digits(s);
	s += whole;
	if (*s == '.') {
		dot = true;
		s++;
		frac = yaml_span_digits(s);
		s += frac;
	}
	if (whole == 0 && frac == 0)
		return false;
	if (*s == 'e' || *s == 'E') {
		exp = true;
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (yaml_span_digits(s) == 0)
			return false;
		s += yaml_span_digits(s);
	}
	return *s == '\0' && (dot || exp);
}

int yaml_scalar_float(const struct yaml_node *n, double *out)
{
	char *end;
	double v;

	if (!yaml_scalar_is_plain(n) || !yaml_float_syntax(n->value))
		return -EINVAL;
	errno = 0;
	v = strtod(n->value, &end);
	if (*end != '\0' || errno == ERANGE)
		return -EINVAL;
	*out = v;
	return 0;
}
