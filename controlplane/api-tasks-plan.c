/* SPDX-License-Identifier: Apache-2.0 */
/* What a task of a definition needs: overrides checked and merged, the
 * cpu/memory/port reservation, and the TaskOverride that Task.overrides
 * shows. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "api-tasks.h"

/* ECS's smallest container memory limit. */
#define MIN_CONTAINER_MIB 6

void task_plan_clear(struct task_plan *p)
{
	if (!p)
		return;
	free(p->tcp_ports);
	free(p->udp_ports);
	free(p->containers);
	free(p->overrides);
	free(p->host_ports);
	memset(p, 0, sizeof(*p));
}

static int list_of_objects(struct api_call *c, const json_node *obj, const char *name,
			   const json_node **out)
{
	int r = param_list(c, obj, name, out);
	if (r < 0 || !*out)
		return r;
	for (size_t i = 0; i < json_array_size(*out); i++)
		if (json_type(json_array_get(*out, i)) != JSON_OBJECT)
			return api_fail(c, "SerializationException", "Expected a list of objects for %s",
					name);
	return 0;
}

/* Re-emit `list` (already known to hold objects) keeping only the string
 * members `keys`, after checking their types. */
static int write_string_objects(struct api_call *c, struct json_writer *w, const char *member,
				const json_node *list, const char *const *keys, size_t n_keys,
				const char *required)
{
	json_w_key(w, member);
	json_w_array_begin(w);
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_node *item = json_array_get(list, i);
		json_w_object_begin(w);
		for (size_t k = 0; k < n_keys; k++) {
			const char *v;
			bool must = required && strcmp(required, keys[k]) == 0;
			int r = param_string(c, item, keys[k], must, &v);
			if (r < 0)
				return r;
			if (v) {
				json_w_key(w, keys[k]);
				json_w_string(w, v);
			}
		}
		json_w_object_end(w);
	}
	json_w_array_end(w);
	return 0;
}

static const char *const resource_types[] = { "GPU", "InferenceAccelerator", NULL };
static const char *const env_file_types[] = { "s3", NULL };

/* One ContainerOverride: check it, apply it to `pc`, write it (after the
 * name the caller wrote). */
static int container_override(struct api_call *c, struct json_writer *w, const json_node *o,
			      struct task_plan_container *pc)
{
	const json_node *env, *files, *reqs;
	_cleanup_free_ const char **command = NULL;
	size_t n_command;
	bool has_command, given_cpu, given_mem, given_res;
	int64_t cpu, mem, res;
	int r;

	if ((r = param_string_list(c, o, "command", 4096, &command, &n_command, &has_command)) < 0 ||
	    (r = list_of_objects(c, o, "environment", &env)) < 0 ||
	    (r = list_of_objects(c, o, "environmentFiles", &files)) < 0 ||
	    (r = list_of_objects(c, o, "resourceRequirements", &reqs)) < 0 ||
	    (r = param_int(c, o, "cpu", 0, INT32_MAX, &given_cpu, &cpu)) < 0 ||
	    (r = param_int(c, o, "memory", MIN_CONTAINER_MIB, INT32_MAX, &given_mem, &mem)) < 0 ||
	    (r = param_int(c, o, "memoryReservation", MIN_CONTAINER_MIB, INT32_MAX, &given_res,
			   &res)) < 0)
		return r;

	if (has_command) {
		json_w_key(w, "command");
		json_w_array_begin(w);
		for (size_t i = 0; i < n_command; i++)
			json_w_string(w, command[i]);
		json_w_array_end(w);
	}
	static const char *const kv[] = { "name", "value" };
	if (env && (r = write_string_objects(c, w, "environment", env, kv, 2, NULL)) < 0)
		return r;
	for (size_t i = 0; i < json_array_size(files); i++) {
		int type;
		if ((r = param_enum(c, json_array_get(files, i), "type", env_file_types, &type)) < 0)
			return r;
	}
	static const char *const vt[] = { "value", "type" };
	if (files && (r = write_string_objects(c, w, "environmentFiles", files, vt, 2, "value")) < 0)
		return r;
	if (given_cpu) {
		pc->cpu = cpu;
		json_w_key(w, "cpu");
		json_w_int(w, cpu);
	}
	if (given_mem) {
		pc->memory = mem;
		json_w_key(w, "memory");
		json_w_int(w, mem);
	}
	if (given_res) {
		pc->memory_reservation = res;
		json_w_key(w, "memoryReservation");
		json_w_int(w, res);
	}
	for (size_t i = 0; i < json_array_size(reqs); i++) {
		int type;
		if ((r = param_enum(c, json_array_get(reqs, i), "type", resource_types, &type)) < 0)
			return r;
	}
	if (reqs && (r = write_string_objects(c, w, "resourceRequirements", reqs, vt, 2, "value")) < 0)
		return r;
	if (pc->memory >= 0 && pc->memory_reservation > pc->memory)
		return api_fail(c, "InvalidParameterException",
				"Container %.255s: memoryReservation (%lld) must not exceed memory (%lld)",
				pc->name, (long long)pc->memory_reservation, (long long)pc->memory);
	return 0;
}

/* containerOverrides, merged into the plan's containers and written as
 * one entry per container of the definition, in its order, as ECS shows
 * them. */
static int container_overrides(struct api_call *c, struct json_writer *w, const json_node *ov,
			       struct task_plan *p)
{
	const json_node *list;
	int r = list_of_objects(c, ov, "containerOverrides", &list);
	if (r < 0)
		return r;
	size_t n = json_array_size(list);
	_cleanup_free_ const json_node **by_container = calloc(p->n_containers + 1,
								sizeof(*by_container));
	if (!by_container)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const json_node *o = json_array_get(list, i);
		const char *name;
		if ((r = param_string(c, o, "name", true, &name)) < 0)
			return r;
		size_t k = 0;
		while (k < p->n_containers && strcmp(p->containers[k].name, name) != 0)
			k++;
		if (k == p->n_containers)
			return api_fail(c, "InvalidParameterException",
					"Override for container named %.255s is not a container in the TaskDefinition.",
					name);
		if (by_container[k])
			return api_fail(c, "InvalidParameterException",
					"containerOverrides: container %.255s is named twice", name);
		by_container[k] = o;
	}

	json_w_key(w, "containerOverrides");
	json_w_array_begin(w);
	for (size_t k = 0; k < p->n_containers; k++) {
		json_w_object_begin(w);
		json_w_key(w, "name");
		json_w_string(w, p->containers[k].name);
		if (by_container[k] &&
		    (r = container_override(c, w, by_container[k], &p->containers[k])) < 0)
			return r;
		json_w_object_end(w);
	}
	json_w_array_end(w);
	return 0;
}

/* The task-level members of TaskOverride. *cpu_text / *memory_text are the
 * override's values (borrowed) or NULL. */
static int task_overrides(struct api_call *c, struct json_writer *w, const json_node *ov,
			  const char **cpu_text, const char **memory_text)
{
	const char *cpu, *mem, *exec_role, *task_role;
	const json_node *accel, *storage;
	int r;
	*cpu_text = *memory_text = NULL;
	if ((r = param_string(c, ov, "cpu", false, &cpu)) < 0 ||
	    (r = param_string(c, ov, "memory", false, &mem)) < 0 ||
	    (r = param_string(c, ov, "executionRoleArn", false, &exec_role)) < 0 ||
	    (r = param_string(c, ov, "taskRoleArn", false, &task_role)) < 0 ||
	    (r = list_of_objects(c, ov, "inferenceAcceleratorOverrides", &accel)) < 0 ||
	    (r = param_object(c, ov, "ephemeralStorage", &storage)) < 0)
		return r;
	int64_t v;
	if (cpu && taskdef_cpu_units(cpu, &v) < 0)
		return api_fail(c, "InvalidParameterException",
				"overrides.cpu: '%.64s' is neither CPU units nor vCPUs", cpu);
	if (mem && taskdef_memory_mib(mem, &v) < 0)
		return api_fail(c, "InvalidParameterException",
				"overrides.memory: '%.64s' is neither MiB nor GB", mem);
	const struct {
		const char *key, *value;
	} strs[] = {
		{ "cpu", cpu }, { "executionRoleArn", exec_role }, { "memory", mem },
		{ "taskRoleArn", task_role },
	};
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		if (strs[i].value) {
			json_w_key(w, strs[i].key);
			json_w_string(w, strs[i].value);
		}
	}
	static const char *const accel_keys[] = { "deviceName", "deviceType" };
	if ((r = write_string_objects(c, w, "inferenceAcceleratorOverrides", accel, accel_keys, 2,
				      NULL)) < 0)
		return r;
	if (storage) {
		bool given;
		int64_t gib;
		if ((r = param_int(c, storage, "sizeInGiB", 20, 200, &given, &gib)) < 0)
			return r;
		if (!given)
			return api_fail(c, "InvalidParameterException",
					"overrides.ephemeralStorage.sizeInGiB is required");
		json_w_key(w, "ephemeralStorage");
		json_w_object_begin(w);
		json_w_key(w, "sizeInGiB");
		json_w_int(w, gib);
		json_w_object_end(w);
	}
	*cpu_text = cpu;
	*memory_text = mem;
	return 0;
}

/* ---- ports ---- */

struct port_set {
	uint16_t *items;
	size_t n, cap;
};

static int port_add(struct port_set *s, int64_t port)
{
	if (port < 1 || port > 65535)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		uint16_t *grown = realloc(s->items, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		s->items = grown;
		s->cap = cap;
	}
	s->items[s->n++] = (uint16_t)port;
	return 0;
}

static int port_cmp(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void port_normalise(struct port_set *s)
{
	if (s->n == 0)
		return;
	qsort(s->items, s->n, sizeof(*s->items), port_cmp);
	size_t k = 1;
	for (size_t i = 1; i < s->n; i++)
		if (s->items[i] != s->items[k - 1])
			s->items[k++] = s->items[i];
	s->n = k;
}

/* "first-last" of a containerPortRange. */
static bool parse_range(const char *text, int64_t *first, int64_t *last)
{
	char *end;
	long a = strtol(text, &end, 10);
	if (end == text || *end != '-')
		return false;
	const char *second = end + 1;
	long b = strtol(second, &end, 10);
	if (end == second || *end || a < 1 || b > 65535 || a > b)
		return false;
	*first = a;
	*last = b;
	return true;
}

/* Host mode binds every container port on the host; bridge mode only the
 * mappings with a fixed hostPort (0 or none is a dynamic port the agent
 * picks, and ranges get dynamic host ports too). awsvpc and none bind
 * nothing on the host. */
static int collect_ports(const struct taskdef *td, struct port_set *tcp, struct port_set *udp)
{
	enum td_network_mode mode = taskdef_network_mode(td);
	if (mode != TD_NET_HOST && mode != TD_NET_BRIDGE)
		return 0;
	for (size_t i = 0; i < td->containers.count; i++) {
		const struct td_container *ct = &td->containers.items[i];
		for (size_t j = 0; j < ct->port_mappings.count; j++) {
			const struct td_port_mapping *pm = &ct->port_mappings.items[j];
			struct port_set *set = pm->protocol && strcmp(pm->protocol, "udp") == 0 ? udp
												 : tcp;
			int r = 0;
			if (mode == TD_NET_HOST && pm->container_port_range) {
				int64_t first, last;
				if (parse_range(pm->container_port_range, &first, &last))
					for (int64_t p = first; p <= last && r >= 0; p++)
						r = port_add(set, p);
			} else if (mode == TD_NET_HOST) {
				int64_t p = pm->host_port.set && pm->host_port.value
						    ? pm->host_port.value
						    : pm->container_port.value;
				r = port_add(set, p);
			} else if (pm->host_port.set && pm->host_port.value > 0) {
				r = port_add(set, pm->host_port.value);
			}
			if (r < 0)
				return r;
		}
	}
	port_normalise(tcp);
	port_normalise(udp);
	return 0;
}

static char *host_ports_json(const struct port_set *tcp, const struct port_set *udp,
			     struct ecs_err *err)
{
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	const struct {
		const char *key;
		const struct port_set *set;
	} sets[] = { { "tcp", tcp }, { "udp", udp } };
	json_w_object_begin(w);
	for (size_t k = 0; k < ARRAY_SIZE(sets); k++) {
		if (sets[k].set->n == 0)
			continue;
		json_w_key(w, sets[k].key);
		json_w_array_begin(w);
		for (size_t i = 0; i < sets[k].set->n; i++)
			json_w_int(w, sets[k].set->items[i]);
		json_w_array_end(w);
	}
	json_w_object_end(w);
	return json_writer_finish(w, NULL, err);
}

/* ---- the plan ---- */

static int64_t opt(const struct td_int *v)
{
	return v->set ? v->value : -1;
}

static void reserve(struct task_plan *p, const char *cpu_text, const char *memory_text)
{
	int64_t v;
	if (cpu_text && taskdef_cpu_units(cpu_text, &v) == 0) {
		p->cpu = v;
	} else {
		p->cpu = 0;
		for (size_t i = 0; i < p->n_containers; i++)
			p->cpu += p->containers[i].cpu > 0 ? p->containers[i].cpu : 0;
	}
	if (memory_text && taskdef_memory_mib(memory_text, &v) == 0) {
		p->memory = v;
	} else {
		p->memory = 0;
		for (size_t i = 0; i < p->n_containers; i++) {
			const struct task_plan_container *pc = &p->containers[i];
			if (pc->memory_reservation > 0)
				p->memory += pc->memory_reservation;
			else if (pc->memory > 0)
				p->memory += pc->memory;
		}
	}
}

int task_plan_build(struct api_call *c, const struct taskdef *td, const json_node *overrides,
		    struct task_plan *out)
{
	memset(out, 0, sizeof(*out));
	out->containers = calloc(td->containers.count + 1, sizeof(*out->containers));
	if (!out->containers)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	out->n_containers = td->containers.count;
	for (size_t i = 0; i < td->containers.count; i++) {
		const struct td_container *ct = &td->containers.items[i];
		out->containers[i] = (struct task_plan_container){
			.name = ct->name,
			.image = ct->image,
			.cpu = opt(&ct->cpu),
			.memory = opt(&ct->memory),
			.memory_reservation = opt(&ct->memory_reservation),
		};
	}

	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	const char *cpu_text = NULL, *memory_text = NULL;
	json_w_object_begin(w);
	int r = container_overrides(c, w, overrides, out);
	if (r >= 0)
		r = task_overrides(c, w, overrides, &cpu_text, &memory_text);
	if (r < 0) {
		task_plan_clear(out);
		return r;
	}
	json_w_object_end(w);
	out->overrides = json_writer_finish(w, NULL, &c->ierr);
	if (!out->overrides) {
		task_plan_clear(out);
		return -EIO;
	}
	reserve(out, cpu_text ? cpu_text : td->cpu, memory_text ? memory_text : td->memory);

	struct port_set tcp = { 0 }, udp = { 0 };
	r = collect_ports(td, &tcp, &udp);
	if (r >= 0 && (tcp.n || udp.n) && !(out->host_ports = host_ports_json(&tcp, &udp, &c->ierr)))
		r = -EIO;
	out->tcp_ports = tcp.items;
	out->n_tcp = tcp.n;
	out->udp_ports = udp.items;
	out->n_udp = udp.n;
	if (r == -ENOMEM)
		r = err_set(&c->ierr, ENOMEM, "out of memory");
	if (r < 0)
		task_plan_clear(out);
	return r;
}
