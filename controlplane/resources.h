/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * A container instance's registered resources (ECS Resource objects), from
 * either front door (RegisterContainerInstance's JSON, the agent protocol's
 * protobuf) to the one JSON form the store keeps: a list of
 *   {"name", "type", "doubleValue", "longValue", "integerValue"
 *    [, "stringSetValue"]}
 * exactly as ECS's DescribeContainerInstances shows them.
 */
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct resource {
	const char *name;
	const char *type; /* INTEGER, LONG, DOUBLE, STRINGSET */
	double double_value;
	int64_t long_value;
	int64_t integer_value;
	const char *const *set;
	size_t n_set;
};

/* Check the list (name 1..64 characters and unique, a known type, CPU and
 * MEMORY INTEGER and >= 0, STRINGSET items of PORTS/PORTS_UDP decimal ports)
 * and write it as JSON (malloc'd). *cpu and *memory are the CPU and MEMORY
 * values (0 when absent). -EINVAL with a message naming the resource. */
int resources_to_json(const struct resource *r, size_t n, char **json, int64_t *cpu,
		      int64_t *memory, struct ecs_err *err);
