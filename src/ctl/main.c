/*
 * DOC: tabbyctl, the calicoctl-like CLI: global options and dispatch.
 *
 * Cluster resources are read and written in the datastore directly (as
 * calicoctl does), with the same store configuration as tabbyd: --datastore
 * URL, else $TABBY_DATASTORE, else the "datastore" of tabbyd's configuration
 * file (--config, default /etc/tabby/tabbyd.yaml), else the default SQLite
 * file. Node state (BGP peers) comes from the local tabbyd over its socket.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tabby/log.h>
#include <tabby/store.h>
#include <tabby/yaml.h>

#include "ctl.h"

static const char ctl_usage[] =
    "usage: tabbyctl [GLOBAL OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "Resources (projectcalico.org/v3: IPPool, IPAMConfiguration, BGPConfiguration, BGPPeer,\n"
    "Node, NetworkPolicy, GlobalNetworkPolicy; networking.k8s.io/v1 NetworkPolicy; v1\n"
    "Namespace; WorkloadEndpoint, written by tabbyd, for get and label):\n"
    "  apply -f FILE|-          create or replace every resource in FILE (all or nothing)\n"
    "  create -f FILE|-         create; fails if one exists\n"
    "  replace -f FILE|-        replace; fails if one does not exist\n"
    "  delete -f FILE|- | KIND NAME [-n NAMESPACE]\n"
    "  get KIND [NAME] [-n NAMESPACE | -A] [-o table|wide|json|yaml]\n"
    "  label KIND NAME [-n NAMESPACE] key=value|key- ... [--overwrite]\n"
    "Operations:\n"
    "  node status [-o table|wide|json]   BGP sessions of the local tabbyd\n"
    "  ipam show [--ip IP] [--show-blocks] [--show-borrowed] [--show-configuration]\n"
    "  ipam check [-o report.json]\n"
    "  ipam release --ip IP | --from-report FILE\n"
    "  policy show --node NODE [--check]    the nftables ruleset NODE's policy renders to\n"
    "  version\n"
    "\n"
    "Global options:\n"
    "  -c, --config FILE       tabbyd's configuration, for its datastore "
    "(default " CTL_DEFAULT_CONFIG ")\n"
    "  -d, --datastore URL     datastore URL (default: $TABBY_DATASTORE, the config's,\n"
    "                          or " CTL_DEFAULT_DATASTORE ")\n"
    "  -s, --socket PATH       tabbyd's API socket (default " CTL_DEFAULT_SOCKET ")\n"
    "  -l, --log-level LEVEL   error, warning, info, debug (default warning)\n"
    "  -h, --help              this help; COMMAND --help for a command's\n"
    "\n"
    "Exit codes: 0 success, 1 error, 2 usage.\n";

int ctl_usage_error(struct ctl *c, const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("tabbyctl: ", c->err);
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	if (usage)
		fputs(usage, c->err);
	return CTL_EXIT_USAGE;
}

int ctl_parse_output(const char *s, enum ctl_output *out)
{
	if (strcmp(s, "table") == 0)
		*out = CTL_OUT_TABLE;
	else if (strcmp(s, "wide") == 0)
		*out = CTL_OUT_WIDE;
	else if (strcmp(s, "json") == 0)
		*out = CTL_OUT_JSON;
	else if (strcmp(s, "yaml") == 0)
		*out = CTL_OUT_YAML;
	else
		return -EINVAL;
	return 0;
}

/* The datastore named by tabbyd's configuration file, if it has one. */
static int ctl_config_datastore(struct ctl *c, char **out)
{
	struct yaml_stream *st = NULL;
	struct yaml_error yerr;
	const char *ds;
	int ret;

	*out = NULL;
	if (!c->config_explicit && access(c->config_path, F_OK) != 0)
		return 0;
	ret = yaml_load_single(c->config_path, &st, &yerr);
	if (ret < 0) {
		fprintf(c->err, "tabbyctl: %s\n", yerr.text);
		return ret;
	}
	ret = yaml_get_string(st->ndocs ? st->docs[0] : NULL, "datastore", &ds, &yerr);
	if (ret == 0 && !(*out = strdup(ds)))
		ret = -ENOMEM;
	else if (ret == -ENOENT)
		ret = 0;
	else if (ret < 0)
		fprintf(c->err, "tabbyctl: %s\n", yerr.text);
	yaml_stream_free(st);
	return ret;
}

int ctl_store(struct ctl *c, struct store **out)
{
	char *from_config = NULL;
	const char *url = c->datastore;
	int ret;

	if (c->store) {
		*out = c->store;
		return 0;
	}
	if (!url)
		url = getenv("TABBY_DATASTORE");
	if (!url || !*url) {
		ret = ctl_config_datastore(c, &from_config);
		if (ret < 0)
			return ret;
		url = from_config ? from_config : CTL_DEFAULT_DATASTORE;
	}
	ret = store_open(url, &c->store);
	if (ret < 0)
		fprintf(c->err, "tabbyctl: cannot open the datastore %s: %s\n", url,
		        store_strerror(ret));
	free(from_config);
	*out = c->store;
	return ret;
}

struct ctl_command {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv);
};

static const struct ctl_command ctl_commands[] = {
    {"apply", ctl_cmd_apply},   {"create", ctl_cmd_apply}, {"replace", ctl_cmd_apply},
    {"delete", ctl_cmd_delete}, {"get", ctl_cmd_get},      {"label", ctl_cmd_label},
    {"ipam", ctl_cmd_ipam},     {"node", ctl_cmd_node},    {"version", ctl_cmd_version},
    {"policy", ctl_cmd_policy},
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'}, {"datastore", required_argument, NULL, 'd'},
	    {"socket", required_argument, NULL, 's'}, {"log-level", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	struct ctl c = {
	    .config_path = CTL_DEFAULT_CONFIG,
	    .socket_path = CTL_DEFAULT_SOCKET,
	    .out = stdout,
	    .err = stderr,
	};
	int opt, level = LOG_WARNING, ret = CTL_EXIT_USAGE;
	size_t i;

	/* Stop at the command: its own options follow it. */
	while ((opt = getopt_long(argc, argv, "+c:d:s:l:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			c.config_path = optarg;
			c.config_explicit = true;
			break;
		case 'd':
			c.datastore = optarg;
			break;
		case 's':
			c.socket_path = optarg;
			break;
		case 'l':
			level = log_level_parse(optarg);
			if (level < 0)
				return ctl_usage_error(&c, NULL, "unknown log level \"%s\"",
				                       optarg);
			break;
		case 'h':
			fputs(ctl_usage, stdout);
			return CTL_EXIT_OK;
		default:
			fputs(ctl_usage, stderr);
			return CTL_EXIT_USAGE;
		}
	}
	log_init("tabbyctl", level, LOG_TARGET_STDERR);
	if (optind >= argc)
		return ctl_usage_error(&c, ctl_usage, "no command given");
	for (i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++) {
		if (strcmp(argv[optind], ctl_commands[i].name) == 0) {
			/* The command sees argv[0] = its name, and parses from 1. */
			optind++;
			ret = ctl_commands[i].fn(&c, argc - optind + 1, argv + optind - 1);
			break;
		}
	}
	if (i == sizeof(ctl_commands) / sizeof(ctl_commands[0]))
		ret = ctl_usage_error(&c, ctl_usage, "unknown command \"%s\"", argv[optind]);
	if (c.store)
		store_close(c.store);
	return ret;
}
