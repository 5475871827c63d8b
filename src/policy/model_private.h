/*
 * DOC: helpers shared by the policy parsers (model.c, model_k8s.c,
 * model_calico.c): field paths, unknown-field checks, rule lists.
 */
#ifndef TABBY_POLICY_MODEL_PRIVATE_H
#define TABBY_POLICY_MODEL_PRIVATE_H

#include <tabby/policy.h>

/* snprintf for field paths (a path too long for JSON_PATH_MAX is cut). */
void model_path(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Reject fields of obj (an object at path) that are not in allowed (NULL-terminated). */
int model_check_fields(const cJSON *obj, const char *path, const char *const *allowed,
                       struct json_error *err);
/* An optional array at path: 0 with *out NULL when absent/null, -EINVAL on wrong type. */
int model_opt_array(const cJSON *root, const char *path, const cJSON **out, struct json_error *err);
/* An optional string; *out NULL when absent. */
int model_opt_string(const cJSON *root, const char *path, const char **out, struct json_error *err);
/* Append a rule (moved: r is zeroed on success). */
int model_add_rule(struct policy *p, enum policy_dir dir, struct policy_rule *r);
void model_rule_init(struct policy_rule *r);
void model_rule_clear(struct policy_rule *r);
void model_entity_clear(struct policy_entity *e);
int model_entity_copy(struct policy_entity *dst, const struct policy_entity *src);
/* Append to a prefix or port-range array. */
int model_add_net(struct prefix **v, size_t *n, const struct prefix *p);
int model_add_port(struct policy_port_range **v, size_t *n, uint16_t first, uint16_t last);
/* metadata.name / metadata.namespace into p. */
int model_metadata(const cJSON *obj, struct policy *p, bool namespaced, struct json_error *err);

/* Deep copy (render.c keeps its own copies of the policies). NULL on ENOMEM. */
struct policy *model_policy_clone(const struct policy *p);

int model_parse_k8s(const cJSON *obj, struct policy *p, struct json_error *err);
int model_parse_calico(const cJSON *obj, struct policy *p, struct json_error *err);

#endif
