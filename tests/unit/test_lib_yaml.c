/*
 * DOC: unit tests for the YAML helpers: loading, limits, every error kind
 * with its exact FILE:LINE:COLUMN text, typed getters, paths, conversion
 * to JSON (also of JSON input), and multi-document streams.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <tabby/yaml.h>

static const char tabbyd_yaml[] = "# tabbyd configuration\n"
                                  "nodeName: node-1\n"
                                  "datastore:\n"
                                  "  type: sqlite\n"
                                  "  path: [a, b]\n"
                                  "  timeoutMs: 1500\n"
                                  "bgp:\n"
                                  "  asNumber: 64512\n"
                                  "  nodeToNodeMesh: true\n"
                                  "  listen: \"198.18.0.1\"\n"
                                  "  peers:\n"
                                  "    - address: 2001:db8::2\n"
                                  "      asNumber: '64513'\n"
                                  "    - address: 198.18.0.2\n"
                                  "      asNumber: 70000000000\n"
                                  "logLevel: ~\n"
                                  "interfaces: [eth0, \"eth1\", {x: 1}]\n";

static struct yaml_stream *load_ok(const char *name, const char *text)
{
	struct yaml_stream *s = NULL;
	struct yaml_error err;
	int rc = yaml_load_buffer(name, text, strlen(text), &s, &err);

	if (rc != 0)
		fail_msg("load failed (%d): %s", rc, err.text);
	assert_non_null(s);
	return s;
}

static void assert_load_error(const char *text, int want_rc, const char *want)
{
	struct yaml_stream *s = (struct yaml_stream *)0x1;
	struct yaml_error err;

	assert_int_equal(yaml_load_buffer("in.yaml", text, strlen(text), &s, &err), want_rc);
	assert_null(s);
	assert_string_equal(err.text, want);
}

static void test_load_tree(void **state)
{
	struct yaml_stream *s = load_ok("tabbyd.yaml", tabbyd_yaml);
	const struct yaml_node *root, *ds, *peers, *n;

	(void)state;
	assert_int_equal(s->ndocs, 1);
	root = s->docs[0];
	assert_int_equal(root->kind, YAML_KIND_MAPPING);
	assert_int_equal(root->line, 2);
	assert_int_equal(root->column, 1);
	assert_int_equal(root->count, 5);
	ds = yaml_map_get(root, "datastore");
	assert_non_null(ds);
	assert_int_equal(ds->kind, YAML_KIND_MAPPING);
	n = yaml_map_get(ds, "type");
	assert_string_equal(yaml_node_str(n), "sqlite");
	assert_int_equal(n->line, 4);
	assert_int_equal(n->column, 9);
	assert_int_equal(n->style, YAML_STYLE_PLAIN);
	n = yaml_map_get(yaml_map_get(root, "bgp"), "listen");
	assert_int_equal(n->style, YAML_STYLE_DOUBLE);
	peers = yaml_map_get(yaml_map_get(root, "bgp"), "peers");
	assert_int_equal(peers->kind, YAML_KIND_SEQUENCE);
	assert_int_equal(peers->count, 2);
	n = yaml_map_get(peers->items[0], "asNumber");
	assert_int_equal(n->style, YAML_STYLE_SINGLE);
	assert_null(yaml_map_get(root, "nope"));
	assert_null(yaml_map_get(n, "x")); /* not a mapping */
	assert_true(yaml_node_is_null(yaml_map_get(root, "logLevel")));
	assert_null(yaml_node_str(peers));
	yaml_stream_free(s);
}

static void test_paths(void **state)
{
	struct yaml_stream *s = load_ok("tabbyd.yaml", tabbyd_yaml);
	const struct yaml_node *root = s->docs[0], *n;
	char path[128];

	(void)state;
	n = yaml_find_path(root, "bgp.peers[1].asNumber");
	assert_non_null(n);
	assert_string_equal(n->value, "70000000000");
	assert_int_equal(n->line, 15);
	assert_int_equal(n->column, 17);
	yaml_node_path(n, path, sizeof(path));
	assert_string_equal(path, "bgp.peers[1].asNumber");
	yaml_node_path(root, path, sizeof(path));
	assert_string_equal(path, "");
	n = yaml_find_path(root, "interfaces[2].x");
	assert_non_null(n);
	yaml_node_path(n, path, sizeof(path));
	assert_string_equal(path, "interfaces[2].x");
	yaml_node_path(n, path, 8); /* truncated, terminated */
	assert_string_equal(path, "interfa");
	assert_ptr_equal(yaml_find_path(root, ""), root);
	assert_null(yaml_find_path(root, "bgp.peers[2]"));
	assert_null(yaml_find_path(root, "bgp.peers[x]"));
	assert_null(yaml_find_path(root, "bgp.nope.deeper"));
	assert_null(yaml_find_path(root, "bgp[0]"));
	assert_null(yaml_find_path(root, "bgp..peers"));
	yaml_stream_free(s);
}

static void test_getters(void **state)
{
	struct yaml_stream *s = load_ok("tabbyd.yaml", tabbyd_yaml);
	const struct yaml_node *root = s->docs[0], *bgp = yaml_map_get(root, "bgp");
	struct yaml_error err;
	const char *str = NULL;
	char **list = NULL;
	size_t count = 0;
	int64_t i = 0;
	bool b = false;

	(void)state;
	assert_int_equal(yaml_get_string(root, "nodeName", &str, &err), 0);
	assert_string_equal(str, "node-1");
	assert_int_equal(yaml_get_int(bgp, "asNumber", 1, UINT32_MAX, &i, &err), 0);
	assert_int_equal(i, 64512);
	assert_int_equal(yaml_get_bool(bgp, "nodeToNodeMesh", &b, &err), 0);
	assert_true(b);
	assert_int_equal(yaml_get_string(bgp, "listen", &str, &err), 0);
	assert_string_equal(str, "198.18.0.1");

	/* absent and null are -ENOENT, err says missing at the mapping */
	assert_int_equal(yaml_get_string(root, "logLevel", &str, &err), -ENOENT);
	assert_string_equal(err.text, "tabbyd.yaml:2:1: logLevel: missing");
	assert_int_equal(yaml_get_bool(bgp, "graceful", &b, &err), -ENOENT);
	assert_string_equal(err.text, "tabbyd.yaml:8:3: bgp.graceful: missing");
	/* chained lookups through a missing mapping (found by fuzz_yaml) */
	assert_int_equal(yaml_get_int(yaml_map_get(root, "nope"), "asNumber", 0, 1, &i, &err),
	                 -ENOENT);
	assert_string_equal(err.text, "asNumber: missing");
	assert_int_equal(yaml_check_keys(NULL, (const char *const[]){NULL}, &err), -ENOENT);

	/* wrong types name file, position, path, expectation and what was found */
	assert_int_equal(yaml_get_string(yaml_map_get(root, "datastore"), "path", &str, &err),
	                 -EINVAL);
	assert_string_equal(err.text,
	                    "tabbyd.yaml:5:9: datastore.path: expected a string, got a sequence");
	assert_int_equal(err.line, 5);
	assert_int_equal(err.column, 9);
	assert_int_equal(yaml_get_bool(root, "nodeName", &b, &err), -EINVAL);
	assert_string_equal(err.text, "tabbyd.yaml:2:11: nodeName: expected true or false, got "
	                              "\"node-1\"");
	assert_int_equal(
	    yaml_get_int(yaml_find_path(root, "bgp.peers[0]"), "asNumber", 1, UINT32_MAX, &i, &err),
	    -EINVAL);
	assert_string_equal(err.text, "tabbyd.yaml:13:17: bgp.peers[0].asNumber: expected an "
	                              "integer from 1 to 4294967295, got \"64513\"");
	assert_int_equal(
	    yaml_get_int(yaml_find_path(root, "bgp.peers[1]"), "asNumber", 1, UINT32_MAX, &i, &err),
	    -EINVAL);
	assert_string_equal(err.text, "tabbyd.yaml:15:17: bgp.peers[1].asNumber: expected an "
	                              "integer from 1 to 4294967295, got \"70000000000\"");
	assert_int_equal(yaml_get_int(root, "bgp", 0, 1, &i, &err), -EINVAL);
	assert_string_equal(err.text,
	                    "tabbyd.yaml:8:3: bgp: expected an integer from 0 to 1, got a mapping");
	assert_int_equal(yaml_get_string(root, "bgp", &str, &err), -EINVAL);
	assert_string_equal(err.text, "tabbyd.yaml:8:3: bgp: expected a string, got a mapping");
	assert_int_equal(yaml_get_string(bgp->pairs[0].value, "x", &str, &err), -EINVAL);
	assert_string_equal(err.text,
	                    "tabbyd.yaml:8:13: bgp.asNumber: expected a mapping, got \"64512\"");

	/* lists of strings */
	assert_int_equal(
	    yaml_get_strings(yaml_map_get(root, "datastore"), "path", &list, &count, &err), 0);
	assert_int_equal(count, 2);
	assert_string_equal(list[0], "a");
	assert_string_equal(list[1], "b");
	assert_null(list[2]);
	yaml_strings_free(list);
	list = NULL;
	assert_int_equal(yaml_get_strings(root, "interfaces", &list, &count, &err), -EINVAL);
	assert_null(list);
	assert_string_equal(err.text,
	                    "tabbyd.yaml:17:28: interfaces[2]: expected a string, got a mapping");
	assert_int_equal(yaml_get_strings(root, "nodeName", &list, &count, &err), -EINVAL);
	assert_string_equal(err.text, "tabbyd.yaml:2:11: nodeName: expected a list of strings, "
	                              "got \"node-1\"");
	yaml_stream_free(s);
}

static void test_scalar_resolution(void **state)
{
	struct yaml_stream *s =
	    load_ok("t.yaml", "[true, True, TRUE, false, FALSE, yes, 'true', 0x1f, 0o17, -42, "
	                      "+7, 0123, 9223372036854775807, -9223372036854775808, "
	                      "9223372036854775808, 1e3, !!str 5, 0x, -0]");
	const struct yaml_node *seq = s->docs[0];
	struct yaml_error err;
	int64_t i = 0;
	bool b = false;

	(void)state;
	assert_int_equal(yaml_node_bool(seq->items[0], &b, &err), 0);
	assert_true(b);
	assert_int_equal(yaml_node_bool(seq->items[1], &b, &err), 0);
	assert_int_equal(yaml_node_bool(seq->items[2], &b, &err), 0);
	assert_int_equal(yaml_node_bool(seq->items[3], &b, &err), 0);
	assert_false(b);
	assert_int_equal(yaml_node_bool(seq->items[4], &b, &err), 0);
	assert_int_equal(yaml_node_bool(seq->items[5], &b, &err), -EINVAL); /* YAML 1.1 only */
	assert_int_equal(yaml_node_bool(seq->items[6], &b, &err), -EINVAL); /* quoted */
	assert_string_equal(err.text, "t.yaml:1:39: [6]: expected true or false, got \"true\"");
	assert_int_equal(yaml_node_int(seq->items[7], INT64_MIN, INT64_MAX, &i, &err), 0);
	assert_int_equal(i, 31);
	assert_int_equal(yaml_node_int(seq->items[8], INT64_MIN, INT64_MAX, &i, &err), 0);
	assert_int_equal(i, 15);
	assert_int_equal(yaml_node_int(seq->items[9], INT64_MIN, INT64_MAX, &i, &err), 0);
	assert_int_equal(i, -42);
	assert_int_equal(yaml_node_int(seq->items[10], INT64_MIN, INT64_MAX, &i, &err), 0);
	assert_int_equal(i, 7);
	assert_int_equal(yaml_node_int(seq->items[11], INT64_MIN, INT64_MAX, &i, &err), -EINVAL);
	assert_int_equal(yaml_node_int(seq->items[12], INT64_MIN, INT64_MAX, &i, &err), 0);
	assert_true(i == INT64_MAX);
	assert_int_equal(yaml_node_int(seq->items[13], INT64_MIN, INT64_MAX, &i, &err), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(yaml_node_int(seq->items[14], INT64_MIN, INT64_MAX, &i, &err), -EINVAL);
	assert_int_equal(yaml_node_int(seq->items[15], INT64_MIN, INT64_MAX, &i, &err), -EINVAL);
	assert_int_equal(yaml_node_int(seq->items[16], INT64_MIN, INT64_MAX, &i, &err), -EINVAL);
	assert_int_equal(yaml_node_int(seq->items[17], INT64_MIN, INT64_MAX, &i, &err), -EINVAL);
	assert_int_equal(yaml_node_int(seq->items[18], INT64_MIN, INT64_MAX, &i, &err), 0);
	assert_int_equal(i, 0);
	yaml_stream_free(s);
}

static void test_check_keys(void **state)
{
	static const char *const allowed[] = {"type", "path", NULL};
	struct yaml_stream *s = load_ok("c.yaml", "datastore:\n  type: sqlite\n  pth: /x\n");
	struct yaml_error err;

	(void)state;
	assert_int_equal(yaml_check_keys(yaml_map_get(s->docs[0], "datastore"), allowed, &err),
	                 -EINVAL);
	assert_string_equal(err.text, "c.yaml:3:8: datastore.pth: unknown field");
	assert_int_equal(
	    yaml_check_keys(s->docs[0], (const char *const[]){"datastore", NULL}, &err), 0);
	assert_int_equal(yaml_expect_mapping(s->docs[0], &err), 0);
	yaml_stream_free(s);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	assert_load_error("a: 1\n b: 2\n", -EINVAL,
	                  "in.yaml:2:3: mapping values are not allowed in this context");
	assert_load_error("a: [1, 2\nb: 3\n", -EINVAL,
	                  "in.yaml:2:2: did not find expected ',' or ']' (while parsing a flow "
	                  "sequence at line 1, column 4)");
	assert_load_error("a: 'x\n", -EINVAL,
	                  "in.yaml:2:1: found unexpected end of stream (while scanning a quoted "
	                  "scalar at line 1, column 4)");
	assert_load_error("a: \"x\\q\"\n", -EINVAL,
	                  "in.yaml:1:6: found unknown escape character (while parsing a quoted "
	                  "scalar at line 1, column 4)");
	assert_load_error("- a\nb: c\n", -EINVAL,
	                  "in.yaml:2:1: did not find expected '-' indicator (while parsing a "
	                  "block collection at line 1, column 1)");
	assert_load_error("a: @x\n", -EINVAL,
	                  "in.yaml:1:4: found character that cannot start any token (while "
	                  "scanning for the next token)");
	/* reader errors (bad bytes) get a position computed from the offset */
	assert_load_error("a: b\nc: \x01\n", -EINVAL,
	                  "in.yaml:2:4: control characters are not allowed");
	assert_load_error("a: \xc3\x28\n", -EINVAL, "in.yaml:1:5: invalid trailing UTF-8 octet");
}

static void test_semantic_errors(void **state)
{
	(void)state;
	assert_load_error("a: &x 1\nb: *x\n", -EINVAL,
	                  "in.yaml:2:4: aliases (*x) are not supported");
	assert_load_error("spec:\n  cidr: 10.0.0.0/8\n  cidr: 10.1.0.0/16\n", -EINVAL,
	                  "in.yaml:3:3: spec.cidr: duplicate key (first at line 2)");
	/* the earliest repeat is reported, against the first occurrence */
	assert_load_error("b: 1\na: 1\nc: 1\na: 2\nb: 2\na: 3\n", -EINVAL,
	                  "in.yaml:4:1: a: duplicate key (first at line 2)");
	assert_load_error("m: {k: 1, 'k': 2}\n", -EINVAL,
	                  "in.yaml:1:11: m.k: duplicate key (first at line 1)");
	assert_load_error("? [a]\n: 1\n", -EINVAL,
	                  "in.yaml:1:3: mapping keys must be scalars, got a sequence");
	assert_load_error("x:\n  {a: 1}: 2\n", -EINVAL,
	                  "in.yaml:2:3: x: mapping keys must be scalars, got a mapping");
}

/* The classic "billion laughs": refused at the first alias, nothing expanded. */
static void test_billion_laughs(void **state)
{
	(void)state;
	assert_load_error("a: &a [\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	                  "b: &b [*a,*a,*a,*a,*a,*a,*a,*a]\n"
	                  "c: &c [*b,*b,*b,*b,*b,*b,*b,*b]\n",
	                  -EINVAL, "in.yaml:2:8: aliases (*a) are not supported");
}

static void test_limits(void **state)
{
	char deep[2 * YAML_MAX_DEPTH + 8];
	struct yaml_stream *s = NULL;
	struct yaml_error err;
	size_t n = 0;
	char *big;

	(void)state;
	/* exactly YAML_MAX_DEPTH levels load */
	for (unsigned i = 0; i < YAML_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (unsigned i = 0; i < YAML_MAX_DEPTH; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	yaml_stream_free(load_ok("deep.yaml", deep));
	/* one more is refused where it starts */
	memmove(deep + 1, deep, n + 1);
	deep[0] = '[';
	deep[n + 1] = ']';
	deep[n + 2] = '\0';
	assert_load_error(deep, -E2BIG, "in.yaml:1:65: nesting deeper than 64 levels");

	/* a mapping of many keys loads in n log n (no quadratic key check) */
	big = malloc(16 * 100000 + 1);
	assert_non_null(big);
	n = 0;
	for (unsigned i = 0; i < 100000; i++)
		n += (size_t)sprintf(big + n, "k%u: %u\n", i, i);
	s = load_ok("keys.yaml", big);
	assert_int_equal(s->docs[0]->count, 100000);
	yaml_stream_free(s);
	free(big);

	/* input size */
	big = calloc(1, YAML_MAX_INPUT + 1);
	assert_non_null(big);
	memset(big, '#', YAML_MAX_INPUT + 1);
	assert_int_equal(yaml_load_buffer("big.yaml", big, YAML_MAX_INPUT + 1, &s, &err), -E2BIG);
	assert_string_equal(err.text, "big.yaml:1:1: input larger than 8388608 bytes");
	free(big);

	/* node count: a flat list of YAML_MAX_NODES one-digit items, plus its own node */
	big = malloc(2 * YAML_MAX_NODES + 2);
	assert_non_null(big);
	big[0] = '[';
	for (size_t i = 0; i < YAML_MAX_NODES; i++) {
		big[1 + 2 * i] = '1';
		big[2 + 2 * i] = ',';
	}
	big[2 * YAML_MAX_NODES] = ']';
	assert_int_equal(yaml_load_buffer("n.yaml", big, 2 * YAML_MAX_NODES + 1, &s, &err), -E2BIG);
	assert_string_equal(err.text, "n.yaml:1:1000000: more than 500000 nodes");
	/* one node less loads */
	big[2 * YAML_MAX_NODES - 2] = ']';
	assert_int_equal(yaml_load_buffer("n.yaml", big, 2 * YAML_MAX_NODES - 1, &s, &err), 0);
	assert_int_equal(s->nodes, YAML_MAX_NODES);
	yaml_stream_free(s);
	free(big);
}

static void test_multi_document(void **state)
{
	struct yaml_stream *s = load_ok("m.yaml", "apiVersion: projectcalico.org/v3\n"
	                                          "kind: IPPool\n"
	                                          "---\n"
	                                          "kind: BGPPeer\n"
	                                          "spec: {peerIP: \"198.18.0.9\"}\n"
	                                          "...\n"
	                                          "---\n"
	                                          "---\n"
	                                          "- x\n");
	struct yaml_error err;

	(void)state;
	assert_int_equal(s->ndocs, 4);
	assert_string_equal(yaml_node_str(yaml_map_get(s->docs[0], "kind")), "IPPool");
	assert_string_equal(yaml_node_str(yaml_map_get(s->docs[1], "kind")), "BGPPeer");
	assert_int_equal(s->docs[1]->line, 4);
	assert_true(yaml_node_is_null(s->docs[2])); /* empty document */
	assert_int_equal(s->docs[3]->kind, YAML_KIND_SEQUENCE);
	assert_int_equal(yaml_path_error(s->docs[1], "spec.peerIP", &err, "bad"), -EINVAL);
	assert_string_equal(err.text, "m.yaml:5:16: spec.peerIP: bad");
	yaml_stream_free(s);

	s = load_ok("e.yaml", "");
	assert_int_equal(s->ndocs, 0);
	yaml_stream_free(s);
	s = load_ok("c.yaml", "# only a comment\n");
	assert_int_equal(s->ndocs, 0);
	yaml_stream_free(s);
}

static char *json_of(const struct yaml_node *n)
{
	struct yaml_error err;
	cJSON *j = yaml_to_json(n, &err);
	char *text;

	if (!j)
		fail_msg("conversion failed: %s", err.text);
	text = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return text;
}

static void test_to_json(void **state)
{
	struct yaml_stream *s = load_ok("p.yaml", "apiVersion: projectcalico.org/v3\n"
	                                          "kind: BGPPeer\n"
	                                          "metadata: {name: rack1-tor}\n"
	                                          "spec:\n"
	                                          "  peerIP: 198.18.0.1\n"
	                                          "  asNumber: 64512\n"
	                                          "  quotedAS: \"64512\"\n"
	                                          "  keepOriginalNextHop: true\n"
	                                          "  quotedBool: 'true'\n"
	                                          "  nothing: ~\n"
	                                          "  empty:\n"
	                                          "  emptyQuoted: ''\n"
	                                          "  ratio: 0.5\n"
	                                          "  hex: 0x10\n"
	                                          "  octalish: 0755\n"
	                                          "  tagged: !!str 42\n"
	                                          "  yes: yes\n"
	                                          "  nan: .nan\n"
	                                          "  text: |\n"
	                                          "    line one\n"
	                                          "    line two\n"
	                                          "  list: [1, a, null, \"b\"]\n");
	char *text;

	(void)state;
	text = json_of(s->docs[0]);
	assert_string_equal(
	    text, "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"BGPPeer\",\"metadata\":{"
	          "\"name\":\"rack1-tor\"},\"spec\":{\"peerIP\":\"198.18.0.1\",\"asNumber\":64512,"
	          "\"quotedAS\":\"64512\",\"keepOriginalNextHop\":true,\"quotedBool\":\"true\","
	          "\"nothing\":null,\"empty\":null,\"emptyQuoted\":\"\",\"ratio\":0.5,\"hex\":16,"
	          "\"octalish\":\"0755\",\"tagged\":\"42\",\"yes\":\"yes\",\"nan\":\".nan\","
	          "\"text\":\"line one\\nline two\\n\",\"list\":[1,\"a\",null,\"b\"]}}");
	cJSON_free(text);
	yaml_stream_free(s);
}

/* JSON is (nearly) YAML: a JSON manifest goes through the same loader. */
static void test_json_through_yaml(void **state)
{
	const char *in = "{\n"
	                 "  \"apiVersion\": \"projectcalico.org/v3\",\n"
	                 "  \"kind\": \"IPPool\",\n"
	                 "  \"metadata\": {\"name\": \"pool-v6\"},\n"
	                 "  \"spec\": {\"cidr\": \"2001:db8:42::/48\", \"blockSize\": 122,\n"
	                 "           \"natOutgoing\": false, \"nodeSelector\": \"all()\",\n"
	                 "           \"weight\": -1.5e2, \"tags\": [], \"x\": {}, \"n\": null}\n"
	                 "}\n";
	struct yaml_stream *s = load_ok("pool.json", in);
	const struct yaml_node *n;
	char *text;

	(void)state;
	assert_int_equal(s->ndocs, 1);
	text = json_of(s->docs[0]);
	assert_string_equal(text, "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"IPPool\","
	                          "\"metadata\":{\"name\":\"pool-v6\"},\"spec\":{\"cidr\":"
	                          "\"2001:db8:42::/48\",\"blockSize\":122,\"natOutgoing\":false,"
	                          "\"nodeSelector\":\"all()\",\"weight\":-150,\"tags\":[],\"x\":{},"
	                          "\"n\":null}}");
	cJSON_free(text);
	n = yaml_find_path(s->docs[0], "spec.blockSize");
	assert_int_equal(n->line, 5);
	assert_int_equal(n->column, 53);
	yaml_stream_free(s);
}

static void test_json_errors(void **state)
{
	struct yaml_stream *s = load_ok("big.yaml", "a:\n  - 1000000000000000\n");
	struct yaml_error err;

	(void)state;
	assert_null(yaml_to_json(s->docs[0], &err));
	assert_string_equal(
	    err.text,
	    "big.yaml:2:5: a[0]: integer 1000000000000000 is too large (limit 10^15 - 1)");
	yaml_stream_free(s);
	s = load_ok("ok.yaml", "a: 999999999999999\n");
	{
		cJSON *j = yaml_to_json(s->docs[0], &err);
		char *t = cJSON_PrintUnformatted(j);

		assert_string_equal(t, "{\"a\":999999999999999}"); /* printed back exactly */
		cJSON_free(t);
		cJSON_Delete(j);
	}
	yaml_stream_free(s);
}

static void test_path_error(void **state)
{
	struct yaml_stream *s = load_ok("pool.yaml", "kind: IPPool\n"
	                                             "spec:\n"
	                                             "  cidr: 10.0.0.0/33\n");
	struct yaml_error err;

	(void)state;
	yaml_path_error(s->docs[0], "spec.cidr", &err, "\"%s\" is not a valid CIDR", "10.0.0.0/33");
	assert_string_equal(err.text,
	                    "pool.yaml:3:9: spec.cidr: \"10.0.0.0/33\" is not a valid CIDR");
	/* a field that is not there points at its nearest ancestor */
	yaml_path_error(s->docs[0], "spec.blockSize", &err, "missing");
	assert_string_equal(err.text, "pool.yaml:3:3: spec.blockSize: missing");
	yaml_path_error(s->docs[0], "metadata.name", &err, "missing");
	assert_string_equal(err.text, "pool.yaml:1:1: metadata.name: missing");
	yaml_node_error(s->docs[0], &err, "not a resource");
	assert_string_equal(err.text, "pool.yaml:1:1: not a resource");
	yaml_stream_free(s);
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/test_lib_yaml_XXXXXX";
	struct yaml_stream *s = NULL;
	struct yaml_error err;
	int fd = mkstemp(path), saved_stdin;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "a: 1\n---\nb: [\n", 14), 14);
	close(fd);
	assert_int_equal(yaml_load_file(path, &s, &err), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(err.text, path));
	assert_non_null(strstr(err.text, ":4:1: did not find expected node content"));
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "a: 1\n---\nb: 2\n", 14), 14);
	close(fd);
	assert_int_equal(yaml_load_file(path, &s, &err), 0);
	assert_int_equal(s->ndocs, 2);
	assert_string_equal(s->docs[1]->file, path);
	yaml_stream_free(s);
	assert_int_equal(yaml_load_single(path, &s, &err), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(err.text, ":3:1: expected one document, found 2"));
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "a: 1\n", 5), 5);
	close(fd);
	assert_int_equal(yaml_load_single(path, &s, &err), 0);
	assert_int_equal(s->ndocs, 1);
	yaml_stream_free(s);

	/* "-" is standard input, named <stdin> in messages */
	saved_stdin = dup(STDIN_FILENO);
	fd = open(path, O_RDONLY);
	assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);
	assert_int_equal(yaml_load_file("-", &s, &err), 0);
	assert_string_equal(s->file, "<stdin>");
	assert_string_equal(yaml_node_str(yaml_map_get(s->docs[0], "a")), "1");
	yaml_stream_free(s);
	assert_int_equal(dup2(saved_stdin, STDIN_FILENO), STDIN_FILENO);
	close(saved_stdin);

	/* a file larger than the limit is refused before parsing */
	assert_int_equal(truncate(path, YAML_MAX_INPUT + 1), 0);
	assert_int_equal(yaml_load_file(path, &s, &err), -E2BIG);
	assert_null(s);
	assert_non_null(strstr(err.text, ":1:1: input larger than 8388608 bytes"));
	unlink(path);
	assert_int_equal(yaml_load_file(path, &s, &err), -ENOENT);
	assert_non_null(strstr(err.text, ": No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_tree),       cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_getters),         cmocka_unit_test(test_scalar_resolution),
	    cmocka_unit_test(test_check_keys),      cmocka_unit_test(test_syntax_errors),
	    cmocka_unit_test(test_semantic_errors), cmocka_unit_test(test_billion_laughs),
	    cmocka_unit_test(test_limits),          cmocka_unit_test(test_multi_document),
	    cmocka_unit_test(test_to_json),         cmocka_unit_test(test_json_through_yaml),
	    cmocka_unit_test(test_json_errors),     cmocka_unit_test(test_path_error),
	    cmocka_unit_test(test_load_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
