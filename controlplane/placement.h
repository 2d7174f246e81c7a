/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Task placement: which container instance each new task goes to.
 *
 * Pure logic over in-memory candidates, so every rule is unit-testable
 * without a store: the caller (RunTask, StartTask) loads the candidate
 * instances with what remains on them, evaluates the memberOf expressions
 * (they need the cluster query language and the instance's attributes), and
 * describes the task's needs; placement_run() then places `count` identical
 * tasks one after the other, each seeing the resources the previous ones took.
 *
 * An instance is rejected for a task with the first reason that applies, in
 * this order, with ECS's reason strings:
 *   AGENT                       the agent is disconnected
 *   ATTRIBUTE                   a requiresAttributes entry is missing
 *   MemberOf placement constraint unsatisfied.
 *   DistinctInstance placement constraint unsatisfied.
 *   RESOURCE:CPU, RESOURCE:MEMORY, RESOURCE:PORTS, RESOURCE:PORTS_UDP
 *
 * Among the instances that fit, the strategies narrow the choice in order,
 * each breaking the ties the previous one left (ECS chains up to 5):
 *   binpack cpu|memory   the least of that resource left after placing
 *   spread instanceId    the fewest tasks of the task's group
 *   spread attribute:X   an instance whose value of X has the fewest tasks
 *                        of the group across all candidates
 *   random               no preference
 * and the remaining ties are broken at random.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define PLACEMENT_MAX_STRATEGIES 5

enum placement_strategy_type {
	PLACEMENT_RANDOM,
	PLACEMENT_SPREAD,
	PLACEMENT_BINPACK,
};

enum placement_field {
	PLACEMENT_FIELD_NONE,        /* random */
	PLACEMENT_FIELD_INSTANCE_ID, /* spread by instanceId or host */
	PLACEMENT_FIELD_ATTRIBUTE,   /* spread by attribute:NAME */
	PLACEMENT_FIELD_CPU,         /* binpack */
	PLACEMENT_FIELD_MEMORY,      /* binpack */
};

struct placement_strategy {
	enum placement_strategy_type type;
	enum placement_field field;
	const char *attribute; /* NAME of attribute:NAME; borrowed from `field` */
};

/* Check a PlacementStrategy as ECS does: `type` is random, spread or
 * binpack; spread needs `field` instanceId, host or attribute:NAME, binpack
 * needs cpu or memory, random takes no field. The strings are borrowed.
 * Returns 0 or -EINVAL with a message for the client in `err`. */
int placement_strategy_parse(const char *type, const char *field,
			     struct placement_strategy *out, struct ecs_err *err);

/* A container-instance attribute; value NULL when it has none. */
struct placement_attr {
	const char *name;
	const char *value;
};

/* Host ports: ascending, no duplicates. */
struct placement_ports {
	const uint16_t *items;
	size_t n;
};

/* One candidate instance and what is left on it. Everything is borrowed. */
struct placement_instance {
	const char *arn;
	bool agent_connected;
	/* Every memberOf expression (the request's and the task definition's)
	 * holds for this instance. */
	bool member_of_ok;
	int64_t cpu_remaining;
	int64_t memory_remaining;
	struct placement_ports tcp_used; /* reserved by the agent or taken by tasks */
	struct placement_ports udp_used;
	const struct placement_attr *attrs;
	size_t n_attrs;
	/* Tasks of the new task's group on the instance that are not STOPPED:
	 * what spread counts and distinctInstance forbids. */
	size_t group_tasks;
};

/* What one task needs. */
struct placement_task {
	int64_t cpu;
	int64_t memory;
	struct placement_ports tcp_ports; /* static host ports */
	struct placement_ports udp_ports;
	const struct placement_attr *required; /* requiresAttributes; value NULL = any */
	size_t n_required;
	bool distinct_instance;
};

enum placement_reason {
	PLACEMENT_FITS = 0,
	PLACEMENT_AGENT,
	PLACEMENT_ATTRIBUTE,
	PLACEMENT_MEMBER_OF,
	PLACEMENT_DISTINCT_INSTANCE,
	PLACEMENT_CPU,
	PLACEMENT_MEMORY,
	PLACEMENT_PORTS,
	PLACEMENT_PORTS_UDP,
};

/* ECS's failure reason for `r` ("RESOURCE:MEMORY"); NULL for PLACEMENT_FITS. */
const char *placement_reason_name(enum placement_reason r);

struct placement_failure {
	size_t instance; /* index into the candidates */
	enum placement_reason reason;
};

struct placement_result {
	/* Index of the chosen instance for each placed task, in order. */
	size_t *chosen;
	size_t n_placed;
	/* For the first task that could not be placed: why each candidate
	 * refused it (with pinned placement: each pinned instance that refused,
	 * once). */
	struct placement_failure *failures;
	size_t n_failures;
	/* With pinned placement: whether task i was placed (n = count). */
	bool *placed;
};

void placement_result_clear(struct placement_result *r);

/* Random numbers for the random strategy and ties; tests pass their own. */
typedef uint64_t (*placement_rand_fn)(void *userdata);

/*
 * Place `count` tasks described by `task` on `insts`.
 *
 * pinned == NULL (RunTask): choose with `strategies` (n_strategies may be 0:
 * random). Placing stops at the first task that fits nowhere; its failures
 * (one per candidate) are in out->failures and out->n_placed < count.
 *
 * pinned != NULL (StartTask): task i must go on insts[pinned[i]]; no
 * strategy. Each task is placed or refused independently (out->placed[i]);
 * out->chosen lists the placed ones in order and out->failures the refusals.
 *
 * Returns 0, -EINVAL for bad arguments, -ENOMEM.
 */
int placement_run(const struct placement_instance *insts, size_t n_insts,
		  const struct placement_task *task, size_t count, const size_t *pinned,
		  const struct placement_strategy *strategies, size_t n_strategies,
		  placement_rand_fn rand_fn, void *rand_data, struct placement_result *out,
		  struct ecs_err *err);
