/*
 * DOC: the CNI semantics of a `tabby` call, run inside tabbyd.
 *
 * The plugin binary is a static relay (plugin.h): it hands the CNI_*
 * environment and the network configuration to tabbyd unread, and tabbyd runs
 * the call with this library: cni_call() (call.c) checks the environment and
 * the configuration (config.c, args.c; a pure parser shared with the fuzz
 * target) in the order that decides which error code a broken call gets,
 * turns the call into a request of the REST API, and renders either the CNI
 * result in the version the configuration asked for (result.c) or CNI error
 * JSON (errors.c).
 *
 * Error codes are the well-known ones of the CNI specification ("Error
 * codes" in SPEC.md, 1.0.0 and 1.1.0): 1-7 and 11, 50-51 for STATUS.
 */
#ifndef TABBY_CNI_H
#define TABBY_CNI_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* SPEC.md "Error": well-known error codes. */
enum cni_err_code {
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,
	CNI_ERR_TRY_AGAIN = 11,
	CNI_ERR_PLUGIN_NOT_AVAILABLE = 50,
	CNI_ERR_PLUGIN_NOT_AVAILABLE_LIMITED = 51,
};

#define CNI_DEFAULT_SOCKET "/run/tabby/tabbyd.sock"
#define CNI_VERSION_LATEST "1.1.0"
#define CNI_MSG_MAX        512

struct cni_error {
	int code; /* 0: no error */
	char msg[CNI_MSG_MAX];
	char details[CNI_MSG_MAX];
};

void cni_error_set(struct cni_error *e, int code, const char *details, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Result format families: 0.3.x/0.4.0 carry "version" in each IP entry. */
enum cni_version {
	CNI_V_UNKNOWN = 0,
	CNI_V_0_3_0,
	CNI_V_0_3_1,
	CNI_V_0_4_0,
	CNI_V_1_0_0,
	CNI_V_1_1_0,
};

enum cni_version cni_version_parse(const char *s);
const char *cni_version_name(enum cni_version v);
/* {"cniVersion": ..., "supportedVersions": [...]} for the VERSION command. */
char *cni_version_json(void);

struct cni_label {
	char *key;
	char *value;
};

struct cni_attachment {
	char *container_id;
	char *ifname;
};

struct cni_config {
	char *cni_version_str;
	enum cni_version version;
	char *name;
	char *type;
	char *socket_path; /* "socket" (default CNI_DEFAULT_SOCKET) */
	int timeout_ms;    /* "timeout" in seconds in the config (default 60) */
	int mtu;           /* 0: agent default */
	/* "ipam" section (Calico's names) */
	bool assign_ipv4;
	bool assign_ipv6;
	char **ipv4_pools;
	size_t n_ipv4_pools;
	char **ipv6_pools;
	size_t n_ipv6_pools;
	char **ips; /* requested addresses */
	size_t n_ips;
	/* args.cni.labels (CONVENTIONS.md) */
	struct cni_label *labels;
	size_t n_labels;
	/* cni.dev/valid-attachments (GC, spec 1.1.0) */
	struct cni_attachment *attachments;
	size_t n_attachments;
	bool has_attachments;
	cJSON *prev_result; /* owned; NULL if absent */
};

/*
 * Parse a network configuration (one plugin's JSON from stdin). Pure: no
 * environment, no I/O; fills err (code 1, 2, 6 or 7) on failure and returns
 * -EINVAL. cni_config_free() is safe on a zeroed or half-parsed config.
 */
int cni_config_parse(const char *data, size_t len, struct cni_config *cfg, struct cni_error *err);
void cni_config_free(struct cni_config *cfg);

/* CNI_ARGS: "K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;IgnoreUnknown=1". */
struct cni_args {
	char *pod_namespace;
	char *pod_name;
	char *pod_uid;
	char *infra_container_id;
	char *ip; /* IP=... (a requested address) */
	bool ignore_unknown;
};

int cni_args_parse(const char *s, struct cni_args *args, struct cni_error *err);
void cni_args_free(struct cni_args *args);

/* Checks of the environment (code 4 on failure). */
bool cni_container_id_valid(const char *id);
bool cni_ifname_valid(const char *name);

/* CNI error JSON (malloc'd, ending in a newline; NULL when out of memory). */
char *cni_error_json(const char *cni_version, const struct cni_error *e);

/*
 * Build the CNI result (for ADD) from the agent's reply in the configured
 * version's format; returns a malloc'd JSON string or NULL with err set.
 */
char *cni_result_build(const struct cni_config *cfg, const cJSON *reply, struct cni_error *err);

enum cni_command {
	CNI_CMD_ADD,
	CNI_CMD_DEL,
	CNI_CMD_CHECK,
	CNI_CMD_GC,
	CNI_CMD_STATUS,
	CNI_CMD_VERSION,
};

/* CNI_COMMAND's value; -1 with err set (code 4) if it is missing or none of the six. */
int cni_command_parse(const char *s, struct cni_error *err);
const char *cni_command_name(enum cni_command c);

/* The CNI_* environment of one call (NULL: not set). */
struct cni_env {
	const char *command;
	const char *container_id;
	const char *netns;
	const char *ifname;
	const char *args;
};

/*
 * The variables of struct cni_env: their names, the headers that carry them
 * to POST /v1/cni/call (plugin.h), and where each is in the struct.
 */
struct cni_env_var {
	const char *name;   /* "CNI_COMMAND" */
	const char *header; /* "CNI-Command" */
	size_t offset;      /* in struct cni_env */
};

#define CNI_ENV_VARS 5
extern const struct cni_env_var cni_env_vars[CNI_ENV_VARS];

static inline const char **cni_env_slot(struct cni_env *env, const struct cni_env_var *v)
{
	return (const char **)(void *)((char *)env + v->offset);
}

/*
 * How cni_call() reaches the agent: one request of the REST API (method,
 * path, JSON body or NULL); *status and *reply (the decoded JSON body, owned
 * by the caller, NULL for none) on success, err set and < 0 on failure.
 */
typedef int (*cni_send_fn)(void *ctx, const char *method, const char *path, const char *body,
                           int *status, cJSON **reply, struct cni_error *err);

/*
 * Run one CNI call: its environment, its network configuration (stdin) and
 * a way to the agent. Returns 0 with *out the text for stdout ("" when the
 * verb prints nothing), or the CNI error code (err filled) with *out the CNI
 * error JSON. *out is NULL only when memory ran out.
 */
int cni_call(const struct cni_env *env, const char *config, size_t len, cni_send_fn send, void *ctx,
             char **out, struct cni_error *err);

#endif
