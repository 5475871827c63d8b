/*
 * DOC: helpers shared by the YAML files of src/lib (not a public API).
 *
 * Scalar resolution follows the YAML 1.2 core schema (spec section 10.3.2):
 * only plain scalars without an explicit !!str tag resolve to null, bool,
 * int or float; anything quoted is a string.
 */
#ifndef TABBY_LIB_YAML_PRIVATE_H
#define TABBY_LIB_YAML_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tabby/yaml.h>

/* Path of key below map: "spec.cidr" ("cidr" when map is a root). */
void yaml_child_path(const struct yaml_node *map, const char *key, char *buf, size_t len);

/* May this scalar resolve to something other than a string? */
bool yaml_scalar_is_plain(const struct yaml_node *n);
/* 0 and *out, or -EINVAL when n is not a core-schema bool. */
int yaml_scalar_bool(const struct yaml_node *n, bool *out);
/* 0, -EINVAL when not a core-schema int, -ERANGE when it does not fit int64. */
int yaml_scalar_int(const struct yaml_node *n, int64_t *out);
/* 0, or -EINVAL when not a finite core-schema float. */
int yaml_scalar_float(const struct yaml_node *n, double *out);

#endif
