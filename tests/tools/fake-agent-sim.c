/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fake-agent simulate N: N container instances in one process, each with a
 * long poll outstanding and a state-report channel, all on one curl multi
 * handle (no thread per instance). Tasks it is given go straight to RUNNING
 * (all containers RUNNING) and to STOPPED when desired STOPPED, when they
 * leave the desired list, or by themselves after --run-for-ms.
 *
 * Events are printed as JSON lines:
 *   {"event": "registered", "index": I, "containerInstanceArn": ...}
 *   {"event": "ready", "instances": N}                 (all registered)
 *   {"event": "running"|"stopped", "containerInstanceArn": ..., "taskArn": ...}
 *   {"event": "deregistered", "containerInstanceArn": ...}
 *   {"event": "summary", ...counters}                  (at exit)
 */
#include "autoconf.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cleanup.h"
#include "fake-agent.h"

#define RETRY_MS 1000

enum req_kind { REQ_REGISTER, REQ_POLL, REQ_STATE };

struct sim_task {
	char *arn;
	char **containers;
	size_t n_containers;
	Ecsagent__Status status; /* of the newest snapshot */
	uint64_t seq;            /* of the newest snapshot */
	uint64_t acked;
	bool present;            /* in the latest full state */
	bool self_stopped;       /* exited on its own (--run-for-ms) */
	int64_t started_ms;
	int64_t stop_at_ms;
};

struct sim_instance;

struct sim_req {
	struct fa_request rq;
	struct sim_instance *in;
	enum req_kind kind;
	bool busy;
};

struct sim_instance {
	struct sim *sim;
	size_t index;
	char *arn;
	char *token;
	char *previous_arn;
	uint64_t version;
	bool dead; /* deregistered */
	struct sim_task *tasks;
	size_t n_tasks;
	struct sim_req reqs[3];
	int64_t next_ms[3];
};

struct sim {
	const struct fa_cli *cli;
	CURLM *multi;
	struct sim_instance *inst;
	size_t n;
	size_t registered;
	bool ready_printed;
	uint64_t polls, full_states, reports, started, stopped, errors;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void event(struct sim *sim, const char *name, const struct sim_instance *in,
		  const char *task_arn)
{
	if (sim->cli->quiet && task_arn)
		return;
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	json_w_object_begin(w);
	json_w_key(w, "event");
	json_w_string(w, name);
	json_w_key(w, "index");
	json_w_int(w, (int64_t)in->index);
	json_w_key(w, "containerInstanceArn");
	json_w_string(w, in->arn);
	if (task_arn) {
		json_w_key(w, "taskArn");
		json_w_string(w, task_arn);
	}
	json_w_object_end(w);
	fa_print(w);
}

static int start(struct sim_instance *in, enum req_kind kind, const char *path,
		 const char *token, const ProtobufCMessage *msg, long timeout_s)
{
	struct sim_req *sr = &in->reqs[kind];
	if (fa_request_init(&sr->rq, in->sim->cli->endpoint, path, token, msg, timeout_s) < 0)
		return -1;
	sr->in = in;
	sr->kind = kind;
	curl_easy_setopt(sr->rq.easy, CURLOPT_PRIVATE, sr);
	if (curl_multi_add_handle(in->sim->multi, sr->rq.easy) != CURLM_OK) {
		fa_request_clear(&sr->rq);
		return -1;
	}
	sr->busy = true;
	return 0;
}

/* ---- register ---- */

static void start_register(struct sim_instance *in)
{
	const struct fa_cli *cli = in->sim->cli;
	struct fa_register_opts o = cli->reg;
	char identity[256];
	snprintf(identity, sizeof(identity), "%s-%zu",
		 cli->reg.identity ? cli->reg.identity : "sim", in->index);
	o.identity = identity;
	o.hostname = identity;
	o.previous_arn = in->previous_arn;
	Ecsagent__RegisterRequest *rq = fa_register_build(&o);
	if (!rq || start(in, REQ_REGISTER, WIRE_PATH_REGISTER, NULL, &rq->base, 30) < 0)
		in->next_ms[REQ_REGISTER] = fa_now_ms() + RETRY_MS;
	fa_register_free(rq);
}

static void done_register(struct sim_instance *in, long status, const struct fa_buf *b)
{
	struct sim *sim = in->sim;
	_cleanup_wire_ Ecsagent__RegisterResponse *r =
		status == 200 ? wire_decode_register_response(b->data, b->len, NULL) : NULL;
	if (!r) {
		sim->errors++;
		in->next_ms[REQ_REGISTER] = fa_now_ms() + RETRY_MS;
		return;
	}
	bool first = !in->previous_arn;
	free(in->arn);
	free(in->token);
	in->arn = strdup(r->container_instance_arn);
	in->token = strdup(r->instance_token);
	free(in->previous_arn);
	in->previous_arn = strdup(r->container_instance_arn);
	in->next_ms[REQ_POLL] = 0;
	if (first) {
		sim->registered++;
		event(sim, "registered", in, NULL);
	}
}

/* A 401 means the token is gone: register again with the same ARN. */
static void lose_token(struct sim_instance *in)
{
	free(in->token);
	in->token = NULL;
	in->next_ms[REQ_REGISTER] = fa_now_ms() + RETRY_MS;
}

/* ---- tasks ---- */

static struct sim_task *find_task(struct sim_instance *in, const char *arn)
{
	for (size_t i = 0; i < in->n_tasks; i++)
		if (strcmp(in->tasks[i].arn, arn) == 0)
			return &in->tasks[i];
	return NULL;
}

static void set_status(struct sim_instance *in, struct sim_task *t, Ecsagent__Status st)
{
	if (t->status == st)
		return;
	t->status = st;
	t->seq++;
	if (st == ECSAGENT__STATUS__RUNNING) {
		t->started_ms = fa_now_ms();
		in->sim->started++;
		event(in->sim, "running", in, t->arn);
	} else if (st == ECSAGENT__STATUS__STOPPED) {
		in->sim->stopped++;
		event(in->sim, "stopped", in, t->arn);
	}
}

static void forget_task(struct sim_instance *in, size_t i)
{
	struct sim_task *t = &in->tasks[i];
	free(t->arn);
	for (size_t k = 0; k < t->n_containers; k++)
		free(t->containers[k]);
	free(t->containers);
	in->tasks[i] = in->tasks[--in->n_tasks];
}

static void apply_full_state(struct sim_instance *in, const Ecsagent__PollResponse *r)
{
	int64_t now = fa_now_ms();
	for (size_t i = 0; i < in->n_tasks; i++)
		in->tasks[i].present = false;
	for (size_t i = 0; i < r->n_tasks; i++) {
		const Ecsagent__Task *x = r->tasks[i];
		struct sim_task *t = find_task(in, x->task_arn);
		if (!t) {
			struct sim_task *grown = realloc(in->tasks, (in->n_tasks + 1) * sizeof(*grown));
			if (!grown)
				continue;
			in->tasks = grown;
			t = &in->tasks[in->n_tasks++];
			memset(t, 0, sizeof(*t));
			t->arn = strdup(x->task_arn);
			t->containers = fa_container_names(x->task_definition_json, &t->n_containers);
		}
		t->present = true;
		if (x->desired_status == ECSAGENT__STATUS__RUNNING) {
			/* A task never comes back from STOPPED. */
			if (t->status < ECSAGENT__STATUS__RUNNING) {
				set_status(in, t, ECSAGENT__STATUS__RUNNING);
				if (in->sim->cli->run_for_ms > 0)
					t->stop_at_ms = now + in->sim->cli->run_for_ms;
			}
		} else {
			set_status(in, t, ECSAGENT__STATUS__STOPPED);
		}
	}
	bool dead = r->instance_status == ECSAGENT__INSTANCE_STATUS__DEREGISTERED;
	for (size_t i = 0; i < in->n_tasks;) {
		struct sim_task *t = &in->tasks[i];
		if (!t->present || dead)
			set_status(in, t, ECSAGENT__STATUS__STOPPED);
		if (!t->present && t->status == ECSAGENT__STATUS__STOPPED && t->acked >= t->seq) {
			forget_task(in, i);
			continue;
		}
		i++;
	}
	if (dead && !in->dead) {
		in->dead = true;
		event(in->sim, "deregistered", in, NULL);
	}
}

static void run_timers(struct sim_instance *in, int64_t now)
{
	for (size_t i = 0; i < in->n_tasks; i++) {
		struct sim_task *t = &in->tasks[i];
		if (t->stop_at_ms && now >= t->stop_at_ms && t->status == ECSAGENT__STATUS__RUNNING) {
			t->self_stopped = true;
			set_status(in, t, ECSAGENT__STATUS__STOPPED);
		}
	}
}

/* ---- poll ---- */

static void start_poll(struct sim_instance *in)
{
	Ecsagent__PollRequest rq = ECSAGENT__POLL_REQUEST__INIT;
	rq.container_instance_arn = in->arn;
	rq.known_version = in->version;
	rq.wait_seconds = in->sim->cli->wait_seconds;
	if (start(in, REQ_POLL, WIRE_PATH_POLL, in->token, &rq.base,
		  (long)in->sim->cli->wait_seconds + 10) < 0)
		in->next_ms[REQ_POLL] = fa_now_ms() + RETRY_MS;
}

static void done_poll(struct sim_instance *in, long status, const struct fa_buf *b)
{
	struct sim *sim = in->sim;
	sim->polls++;
	if (status == 401) {
		lose_token(in);
		return;
	}
	_cleanup_wire_ Ecsagent__PollResponse *r =
		status == 200 ? wire_decode_poll_response(b->data, b->len, NULL) : NULL;
	if (!r) {
		sim->errors++;
		if (status == 410)
			in->dead = true;
		in->next_ms[REQ_POLL] = fa_now_ms() + RETRY_MS;
		return;
	}
	if (!r->unchanged) {
		sim->full_states++;
		in->version = r->version;
		apply_full_state(in, r);
	}
	in->next_ms[REQ_POLL] = fa_now_ms() + r->poll_delay_ms;
}

/* ---- state reports ---- */

static bool has_unacked(const struct sim_instance *in)
{
	for (size_t i = 0; i < in->n_tasks; i++)
		if (in->tasks[i].seq > in->tasks[i].acked)
			return true;
	return false;
}

static void start_state(struct sim_instance *in)
{
	size_t n = 0, nc = 0;
	for (size_t i = 0; i < in->n_tasks; i++) {
		if (in->tasks[i].seq > in->tasks[i].acked) {
			n++;
			nc += in->tasks[i].n_containers;
		}
	}
	Ecsagent__TaskStateChange *tasks = calloc(n + 1, sizeof(*tasks));
	Ecsagent__TaskStateChange **taskp = calloc(n + 1, sizeof(*taskp));
	Ecsagent__ContainerStateChange *cs = calloc(nc + 1, sizeof(*cs));
	Ecsagent__ContainerStateChange **csp = calloc(nc + 1, sizeof(*csp));
	int64_t now = fa_now_ms();
	size_t k = 0, c = 0;
	for (size_t i = 0; tasks && taskp && cs && csp && i < in->n_tasks; i++) {
		const struct sim_task *t = &in->tasks[i];
		if (t->seq <= t->acked)
			continue;
		Ecsagent__TaskStateChange *x = &tasks[k];
		*x = (Ecsagent__TaskStateChange)ECSAGENT__TASK_STATE_CHANGE__INIT;
		x->task_arn = t->arn;
		x->sequence = t->seq;
		x->status = t->status;
		x->started_at_ms = t->started_ms;
		bool stopped = t->status == ECSAGENT__STATUS__STOPPED;
		if (stopped) {
			x->stopped_at_ms = now;
			x->execution_stopped_at_ms = now;
			if (t->self_stopped) {
				x->stop_code = ECSAGENT__STOP_CODE__ESSENTIAL_CONTAINER_EXITED;
				x->reason = (char *)"Essential container in task exited";
			}
		}
		x->containers = &csp[c];
		for (size_t j = 0; j < t->n_containers; j++, c++) {
			Ecsagent__ContainerStateChange *y = &cs[c];
			*y = (Ecsagent__ContainerStateChange)ECSAGENT__CONTAINER_STATE_CHANGE__INIT;
			y->container_name = t->containers[j];
			y->status = t->status;
			y->runtime_id = t->arn + strlen(t->arn) - (strlen(t->arn) > 12 ? 12 : 0);
			if (stopped)
				wire_set_exit_code(y, in->sim->cli->exit_code);
			csp[c] = y;
			x->n_containers++;
		}
		taskp[k++] = x;
	}
	Ecsagent__StateChangeRequest rq = ECSAGENT__STATE_CHANGE_REQUEST__INIT;
	rq.container_instance_arn = in->arn;
	rq.n_tasks = k;
	rq.tasks = taskp;
	if (k != n || start(in, REQ_STATE, WIRE_PATH_STATE, in->token, &rq.base, 30) < 0)
		in->next_ms[REQ_STATE] = fa_now_ms() + RETRY_MS;
	free(tasks);
	free(taskp);
	free(cs);
	free(csp);
}

static void done_state(struct sim_instance *in, long status, const struct fa_buf *b)
{
	struct sim *sim = in->sim;
	sim->reports++;
	if (status == 401) {
		lose_token(in);
		return;
	}
	_cleanup_wire_ Ecsagent__StateChangeResponse *r =
		status == 200 ? wire_decode_state_response(b->data, b->len, NULL) : NULL;
	if (!r) {
		sim->errors++;
		in->next_ms[REQ_STATE] = fa_now_ms() + RETRY_MS;
		return;
	}
	for (size_t i = 0; i < r->n_acks; i++) {
		struct sim_task *t = find_task(in, r->acks[i]->task_arn);
		if (t && r->acks[i]->sequence > t->acked)
			t->acked = r->acks[i]->sequence;
	}
}

/* ---- the loop ---- */

static void step_instance(struct sim_instance *in, int64_t now)
{
	if (in->dead)
		return;
	run_timers(in, now);
	if (!in->token) {
		if (!in->reqs[REQ_REGISTER].busy && now >= in->next_ms[REQ_REGISTER])
			start_register(in);
		return;
	}
	if (!in->reqs[REQ_POLL].busy && now >= in->next_ms[REQ_POLL])
		start_poll(in);
	if (!in->reqs[REQ_STATE].busy && now >= in->next_ms[REQ_STATE] && has_unacked(in))
		start_state(in);
}

static void complete(struct sim *sim, CURLMsg *msg)
{
	struct sim_req *sr = NULL;
	curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&sr);
	curl_multi_remove_handle(sim->multi, msg->easy_handle);
	long status = msg->data.result == CURLE_OK ? fa_request_status(&sr->rq) : 0;
	struct sim_instance *in = sr->in;
	switch (sr->kind) {
	case REQ_REGISTER: done_register(in, status, &sr->rq.resp); break;
	case REQ_POLL: done_poll(in, status, &sr->rq.resp); break;
	case REQ_STATE: done_state(in, status, &sr->rq.resp); break;
	}
	fa_request_clear(&sr->rq);
	sr->busy = false;
}

static void summary(const struct sim *sim)
{
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	json_w_object_begin(w);
	json_w_key(w, "event");
	json_w_string(w, "summary");
	const struct {
		const char *name;
		uint64_t v;
	} counters[] = {
		{ "instances", sim->registered }, { "polls", sim->polls },
		{ "fullStates", sim->full_states }, { "reports", sim->reports },
		{ "tasksStarted", sim->started }, { "tasksStopped", sim->stopped },
		{ "errors", sim->errors },
	};
	for (size_t i = 0; i < ARRAY_SIZE(counters); i++) {
		json_w_key(w, counters[i].name);
		json_w_int(w, (int64_t)counters[i].v);
	}
	json_w_object_end(w);
	fa_print(w);
}

/* Each instance holds a poll and a report connection open. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int fa_simulate(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "fake-agent: simulate N: N is required\n");
		return 1;
	}
	size_t n = (size_t)strtoul(argv[1], NULL, 10);
	struct fa_cli cli = { 0 };
	optind = 1;
	if (n == 0 || n > 100000 || fa_parse(argc - 1, argv + 1, &cli) < 0)
		return 1;
	raise_fd_limit();
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);

	struct sim sim = { .cli = &cli, .n = n };
	sim.inst = calloc(n, sizeof(*sim.inst));
	sim.multi = curl_multi_init();
	if (!sim.inst || !sim.multi)
		return 1;
	curl_multi_setopt(sim.multi, CURLMOPT_MAXCONNECTS, (long)(2 * n + 16));
	for (size_t i = 0; i < n; i++) {
		sim.inst[i].sim = &sim;
		sim.inst[i].index = i;
	}

	int64_t end = cli.duration_s > 0 ? fa_now_ms() + (int64_t)(cli.duration_s * 1000) : 0;
	while (!stop_requested && (!end || fa_now_ms() < end)) {
		int64_t now = fa_now_ms();
		for (size_t i = 0; i < n; i++)
			step_instance(&sim.inst[i], now);
		int running;
		curl_multi_perform(sim.multi, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(sim.multi, &left)))
			if (msg->msg == CURLMSG_DONE)
				complete(&sim, msg);
		if (!sim.ready_printed && sim.registered == n) {
			sim.ready_printed = true;
			_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
			json_w_object_begin(w);
			json_w_key(w, "event");
			json_w_string(w, "ready");
			json_w_key(w, "instances");
			json_w_int(w, (int64_t)n);
			json_w_object_end(w);
			fa_print(w);
		}
		curl_multi_poll(sim.multi, NULL, 0, 20, NULL);
	}

	summary(&sim);
	for (size_t i = 0; i < n; i++) {
		struct sim_instance *in = &sim.inst[i];
		for (size_t k = 0; k < ARRAY_SIZE(in->reqs); k++) {
			if (in->reqs[k].busy)
				curl_multi_remove_handle(sim.multi, in->reqs[k].rq.easy);
			fa_request_clear(&in->reqs[k].rq);
		}
		while (in->n_tasks)
			forget_task(in, 0);
		free(in->tasks);
		free(in->arn);
		free(in->token);
		free(in->previous_arn);
	}
	free(sim.inst);
	curl_multi_cleanup(sim.multi);
	return 0;
}
