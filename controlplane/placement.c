/* SPDX-License-Identifier: Apache-2.0 */
/* Task placement over in-memory candidates (see placement.h). */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "placement.h"

const char *placement_reason_name(enum placement_reason r)
{
	switch (r) {
	case PLACEMENT_FITS:
		return NULL;
	case PLACEMENT_AGENT:
		return "AGENT";
	case PLACEMENT_ATTRIBUTE:
		return "ATTRIBUTE";
	case PLACEMENT_MEMBER_OF:
		return "MemberOf placement constraint unsatisfied.";
	case PLACEMENT_DISTINCT_INSTANCE:
		return "DistinctInstance placement constraint unsatisfied.";
	case PLACEMENT_CPU:
		return "RESOURCE:CPU";
	case PLACEMENT_MEMORY:
		return "RESOURCE:MEMORY";
	case PLACEMENT_PORTS:
		return "RESOURCE:PORTS";
	case PLACEMENT_PORTS_UDP:
		return "RESOURCE:PORTS_UDP";
	}
	return NULL;
}

int placement_strategy_parse(const char *type, const char *field,
			     struct placement_strategy *out, struct ecs_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!type)
		return err_set(err, EINVAL, "A placement strategy needs a type");
	if (strcmp(type, "random") == 0) {
		if (field && field[0])
			return err_set(err, EINVAL,
				       "The random placement strategy does not take a field");
		out->type = PLACEMENT_RANDOM;
		return 0;
	}
	if (strcmp(type, "spread") == 0) {
		out->type = PLACEMENT_SPREAD;
		if (!field || !field[0])
			return err_set(err, EINVAL, "The spread placement strategy needs a field");
		if (strcmp(field, "instanceId") == 0 || strcmp(field, "host") == 0) {
			out->field = PLACEMENT_FIELD_INSTANCE_ID;
			return 0;
		}
		if (strncmp(field, "attribute:", 10) == 0 && field[10]) {
			out->field = PLACEMENT_FIELD_ATTRIBUTE;
			out->attribute = field + 10;
			return 0;
		}
		return err_set(err, EINVAL,
			       "Invalid field '%.128s' for the spread placement strategy: use instanceId, host or attribute:NAME",
			       field);
	}
	if (strcmp(type, "binpack") == 0) {
		out->type = PLACEMENT_BINPACK;
		if (field && strcmp(field, "cpu") == 0) {
			out->field = PLACEMENT_FIELD_CPU;
			return 0;
		}
		if (field && strcmp(field, "memory") == 0) {
			out->field = PLACEMENT_FIELD_MEMORY;
			return 0;
		}
		return err_set(err, EINVAL,
			       "Invalid field '%.128s' for the binpack placement strategy: use cpu or memory",
			       field ? field : "");
	}
	return err_set(err, EINVAL, "Invalid placement strategy type '%.64s'", type);
}

void placement_result_clear(struct placement_result *r)
{
	if (!r)
		return;
	free(r->chosen);
	free(r->failures);
	free(r->placed);
	memset(r, 0, sizeof(*r));
}

static bool ports_intersect(const struct placement_ports *a, const struct placement_ports *b)
{
	size_t i = 0, j = 0;
	while (i < a->n && j < b->n) {
		if (a->items[i] == b->items[j])
			return true;
		if (a->items[i] < b->items[j])
			i++;
		else
			j++;
	}
	return false;
}

static const struct placement_attr *attr_find(const struct placement_instance *in,
					      const char *name)
{
	for (size_t i = 0; i < in->n_attrs; i++)
		if (strcmp(in->attrs[i].name, name) == 0)
			return &in->attrs[i];
	return NULL;
}

static bool attrs_satisfied(const struct placement_instance *in, const struct placement_task *t)
{
	for (size_t i = 0; i < t->n_required; i++) {
		const struct placement_attr *have = attr_find(in, t->required[i].name);
		if (!have)
			return false;
		if (t->required[i].value &&
		    (!have->value || strcmp(have->value, t->required[i].value) != 0))
			return false;
	}
	return true;
}

/* Whether one more task fits on `in`, which already got `added` of them in
 * this call. Identical tasks share their static host ports, so a second one
 * on the same instance always collides with the first. */
static enum placement_reason fits(const struct placement_instance *in, size_t added,
				  const struct placement_task *t)
{
	if (!in->agent_connected)
		return PLACEMENT_AGENT;
	if (!attrs_satisfied(in, t))
		return PLACEMENT_ATTRIBUTE;
	if (!in->member_of_ok)
		return PLACEMENT_MEMBER_OF;
	if (t->distinct_instance && in->group_tasks + added > 0)
		return PLACEMENT_DISTINCT_INSTANCE;
	int64_t k = (int64_t)added + 1;
	if (t->cpu > 0 && in->cpu_remaining - k * t->cpu < 0)
		return PLACEMENT_CPU;
	if (t->memory > 0 && in->memory_remaining - k * t->memory < 0)
		return PLACEMENT_MEMORY;
	if (t->tcp_ports.n > 0 && (added > 0 || ports_intersect(&t->tcp_ports, &in->tcp_used)))
		return PLACEMENT_PORTS;
	if (t->udp_ports.n > 0 && (added > 0 || ports_intersect(&t->udp_ports, &in->udp_used)))
		return PLACEMENT_PORTS_UDP;
	return PLACEMENT_FITS;
}

static const char *attr_value(const struct placement_instance *in, const char *name)
{
	const struct placement_attr *a = attr_find(in, name);
	return a ? a->value : NULL;
}

/* Scratch space for one placement_run, n_insts entries each. */
struct scratch {
	size_t *added;   /* tasks this call put on instance i */
	size_t *cand;    /* instances still in the running */
	int64_t *scores; /* score of cand[i] */
	int64_t *bucket; /* per instance: the group tasks of its value's bucket */
};

static int value_cmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL); /* "no value" first */
	return strcmp(a, b);
}

/* An instance and its value of the spread attribute, sorted by value. */
struct by_value {
	const char *value;
	size_t idx;
};

static int by_value_cmp(const void *a, const void *b)
{
	return value_cmp(((const struct by_value *)a)->value, ((const struct by_value *)b)->value);
}

/* spread attribute:NAME scores an instance by the group tasks of every
 * instance sharing its value, so the sums are made once per bucket (sort by
 * value, add up each run) rather than by comparing every pair of instances:
 * with a thousand candidates the pairs cost milliseconds per task. */
static int bucket_sums(const char *attr, const struct placement_instance *insts, size_t n_insts,
		       const size_t *added, int64_t *bucket)
{
	struct by_value *v = calloc(n_insts + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n_insts; i++)
		v[i] = (struct by_value){ attr_value(&insts[i], attr), i };
	qsort(v, n_insts, sizeof(*v), by_value_cmp);
	for (size_t start = 0; start < n_insts;) {
		size_t end = start;
		int64_t sum = 0;
		for (; end < n_insts && value_cmp(v[end].value, v[start].value) == 0; end++)
			sum += (int64_t)(insts[v[end].idx].group_tasks + added[v[end].idx]);
		for (size_t j = start; j < end; j++)
			bucket[v[j].idx] = sum;
		start = end;
	}
	free(v);
	return 0;
}

/* Lower is better. */
static int64_t score(const struct placement_strategy *s, const struct placement_instance *insts,
		     const struct scratch *sc, size_t i, const struct placement_task *t)
{
	const struct placement_instance *in = &insts[i];
	int64_t k = (int64_t)sc->added[i] + 1;
	switch (s->field) {
	case PLACEMENT_FIELD_CPU:
		return in->cpu_remaining - k * t->cpu;
	case PLACEMENT_FIELD_MEMORY:
		return in->memory_remaining - k * t->memory;
	case PLACEMENT_FIELD_INSTANCE_ID:
		return (int64_t)(in->group_tasks + sc->added[i]);
	case PLACEMENT_FIELD_ATTRIBUTE:
		/* The whole bucket of instances sharing this value counts, not
		 * only those that could take the task. */
		return sc->bucket[i];
	case PLACEMENT_FIELD_NONE:
		break;
	}
	return 0;
}

/* Keep only the best-scoring of cand[0..*n). */
static int narrow(const struct placement_strategy *s, const struct placement_instance *insts,
		  size_t n_insts, const struct scratch *sc, const struct placement_task *t,
		  size_t *n)
{
	if (s->type == PLACEMENT_RANDOM || *n <= 1)
		return 0;
	if (s->field == PLACEMENT_FIELD_ATTRIBUTE &&
	    bucket_sums(s->attribute, insts, n_insts, sc->added, sc->bucket) < 0)
		return -ENOMEM;
	int64_t best = INT64_MAX;
	for (size_t i = 0; i < *n; i++) {
		sc->scores[i] = score(s, insts, sc, sc->cand[i], t);
		if (sc->scores[i] < best)
			best = sc->scores[i];
	}
	size_t kept = 0;
	for (size_t i = 0; i < *n; i++)
		if (sc->scores[i] == best)
			sc->cand[kept++] = sc->cand[i];
	*n = kept;
	return 0;
}

static void add_failure(struct placement_result *out, size_t instance, enum placement_reason r)
{
	for (size_t i = 0; i < out->n_failures; i++)
		if (out->failures[i].instance == instance)
			return;
	out->failures[out->n_failures++] = (struct placement_failure){ instance, r };
}

static int run_pinned(const struct placement_instance *insts, size_t n_insts,
		      const struct placement_task *task, size_t count, const size_t *pinned,
		      size_t *added, struct placement_result *out, struct ecs_err *err)
{
	for (size_t i = 0; i < count; i++)
		if (pinned[i] >= n_insts)
			return err_set(err, EINVAL, "pinned instance %zu out of range", pinned[i]);
	for (size_t i = 0; i < count; i++) {
		size_t idx = pinned[i];
		enum placement_reason r = fits(&insts[idx], added[idx], task);
		if (r != PLACEMENT_FITS) {
			add_failure(out, idx, r);
			continue;
		}
		added[idx]++;
		out->placed[i] = true;
		out->chosen[out->n_placed++] = idx;
	}
	return 0;
}

int placement_run(const struct placement_instance *insts, size_t n_insts,
		  const struct placement_task *task, size_t count, const size_t *pinned,
		  const struct placement_strategy *strategies, size_t n_strategies,
		  placement_rand_fn rand_fn, void *rand_data, struct placement_result *out,
		  struct ecs_err *err)
{
	memset(out, 0, sizeof(*out));
	if (n_strategies > PLACEMENT_MAX_STRATEGIES)
		return err_set(err, EINVAL, "at most %d placement strategies",
			       PLACEMENT_MAX_STRATEGIES);
	size_t n_fail = pinned ? count : n_insts;
	_cleanup_free_ size_t *added = calloc(n_insts + 1, sizeof(*added));
	_cleanup_free_ size_t *cand = calloc(n_insts + 1, sizeof(*cand));
	_cleanup_free_ int64_t *scores = calloc(n_insts + 1, sizeof(*scores));
	_cleanup_free_ int64_t *bucket = calloc(n_insts + 1, sizeof(*bucket));
	out->chosen = calloc(count + 1, sizeof(*out->chosen));
	out->failures = calloc(n_fail + 1, sizeof(*out->failures));
	out->placed = calloc(count + 1, sizeof(*out->placed));
	if (!added || !cand || !scores || !bucket || !out->chosen || !out->failures ||
	    !out->placed) {
		placement_result_clear(out);
		return err_set(err, ENOMEM, "out of memory");
	}

	if (pinned) {
		int r = run_pinned(insts, n_insts, task, count, pinned, added, out, err);
		if (r < 0)
			placement_result_clear(out);
		return r;
	}

	struct scratch sc = { .added = added, .cand = cand, .scores = scores, .bucket = bucket };
	for (size_t t = 0; t < count; t++) {
		size_t n = 0;
		for (size_t i = 0; i < n_insts; i++)
			if (fits(&insts[i], added[i], task) == PLACEMENT_FITS)
				cand[n++] = i;
		if (n == 0) {
			/* Each instance once: no need for add_failure()'s
			 * duplicate check, which is quadratic. */
			for (size_t i = 0; i < n_insts; i++)
				out->failures[out->n_failures++] =
					(struct placement_failure){ i, fits(&insts[i], added[i], task) };
			break;
		}
		for (size_t s = 0; s < n_strategies && n > 1; s++)
			if (narrow(&strategies[s], insts, n_insts, &sc, task, &n) < 0) {
				placement_result_clear(out);
				return err_set(err, ENOMEM, "out of memory");
			}
		size_t pick = n > 1 && rand_fn ? (size_t)(rand_fn(rand_data) % n) : 0;
		size_t idx = cand[pick];
		added[idx]++;
		out->placed[t] = true;
		out->chosen[out->n_placed++] = idx;
	}
	return 0;
}
