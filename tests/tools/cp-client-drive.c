/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cp-client-drive: runs the agent's control-plane client (agent/cp-client.h)
 * in an sd-event loop against a real control plane, for the integration
 * tests. Every event is one JSON line on stdout:
 *   {"event":"registered","containerInstanceArn":...}
 *   {"event":"desired","version":N,"instanceStatus":"ACTIVE",
 *    "tasks":[{"taskArn":...,"desiredStatus":"RUNNING","desiredVersion":N}]}
 *   {"event":"deregistered"}
 *   {"event":"connection","connected":true,"detail":...}
 *   {"event":"queued","taskArn":...,"sequence":N,"status":...}
 *   {"event":"outbox","count":N}
 * Lines on stdin queue state changes as the engine would (an encoded
 * StateChangeRequest holding one TaskStateChange per outbox item) and kick
 * the report pump:
 *   TASK_ARN STATUS [CONTAINER [EXIT_CODE]]
 *   count            print the outbox size
 * SIGTERM or SIGINT ends it cleanly.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cp-client.h"
#include "json.h"
#include "log.h"
#include "state.h"
#include "wire.h"

struct drive {
	struct state *state;
	struct cp_client *client;
	sd_event_source *stdin_src;
	char line[8192];
	size_t line_len;
	int64_t cpu, memory;
	/* What fill_register / fill_telemetry hand out (live until the next call). */
	Ecsagent__Resource res[2];
	Ecsagent__Resource *resp[2];
	Ecsagent__VersionInfo version;
	Ecsagent__InstanceHealth health;
};

static void print(struct json_writer *w)
{
	struct ecs_err err = { 0 };
	size_t len;
	char *text = json_writer_finish(w, &len, &err);
	if (text) {
		fwrite(text, 1, len, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	} else {
		fprintf(stderr, "cp-client-drive: %s\n", err_msg(&err));
	}
	free(text);
	json_writer_free(w);
}

static struct json_writer *event_begin(const char *name)
{
	struct json_writer *w = json_writer_new(false);
	if (!w) {
		fprintf(stderr, "cp-client-drive: out of memory\n");
		exit(1);
	}
	json_w_object_begin(w);
	json_w_key(w, "event");
	json_w_string(w, name);
	return w;
}

/* ---- the client's callbacks ---- */

static int on_fill_register(void *ud, Ecsagent__RegisterRequest *req, struct ecs_err *err)
{
	(void)err;
	struct drive *d = ud;
	static const char *const names[] = { "CPU", "MEMORY" };
	for (size_t i = 0; i < 2; i++) {
		d->res[i] = (Ecsagent__Resource)ECSAGENT__RESOURCE__INIT;
		d->res[i].name = (char *)names[i];
		d->res[i].type = ECSAGENT__RESOURCE_TYPE__INTEGER;
		d->resp[i] = &d->res[i];
	}
	d->res[0].integer_value = (int32_t)d->cpu;
	d->res[1].integer_value = (int32_t)d->memory;
	d->version = (Ecsagent__VersionInfo)ECSAGENT__VERSION_INFO__INIT;
	d->version.agent_version = (char *)PACKAGE_VERSION;
	d->version.runtime_name = (char *)"none";
	req->total_resources = d->resp;
	req->n_total_resources = 2;
	req->version_info = &d->version;
	return 0;
}

static void on_registered(void *ud, const char *arn)
{
	(void)ud;
	struct json_writer *w = event_begin("registered");
	json_w_key(w, "containerInstanceArn");
	json_w_string(w, arn);
	json_w_object_end(w);
	print(w);
}

static const char *instance_status_name(Ecsagent__InstanceStatus s)
{
	switch (s) {
	case ECSAGENT__INSTANCE_STATUS__ACTIVE:
		return "ACTIVE";
	case ECSAGENT__INSTANCE_STATUS__DRAINING:
		return "DRAINING";
	case ECSAGENT__INSTANCE_STATUS__DEREGISTERED:
		return "DEREGISTERED";
	default:
		return "UNSPECIFIED";
	}
}

static void on_desired(void *ud, const Ecsagent__PollResponse *resp)
{
	(void)ud;
	struct json_writer *w = event_begin("desired");
	json_w_key(w, "version");
	json_w_int(w, (int64_t)resp->version);
	json_w_key(w, "instanceStatus");
	json_w_string(w, instance_status_name(resp->instance_status));
	json_w_key(w, "tasks");
	json_w_array_begin(w);
	for (size_t i = 0; i < resp->n_tasks; i++) {
		const Ecsagent__Task *t = resp->tasks[i];
		const char *status = wire_status_name(t->desired_status);
		json_w_object_begin(w);
		json_w_key(w, "taskArn");
		json_w_string(w, t->task_arn);
		json_w_key(w, "desiredStatus");
		json_w_string(w, status ? status : "");
		json_w_key(w, "desiredVersion");
		json_w_int(w, (int64_t)t->desired_version);
		json_w_key(w, "family");
		json_w_string(w, t->family);
		json_w_object_end(w);
	}
	json_w_array_end(w);
	json_w_object_end(w);
	print(w);
}

static void on_deregistered(void *ud)
{
	(void)ud;
	struct json_writer *w = event_begin("deregistered");
	json_w_object_end(w);
	print(w);
}

static int on_fill_telemetry(void *ud, Ecsagent__TelemetryRequest *req, struct ecs_err *err)
{
	(void)err;
	struct drive *d = ud;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	d->health = (Ecsagent__InstanceHealth)ECSAGENT__INSTANCE_HEALTH__INIT;
	d->health.timestamp_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	d->health.overall = ECSAGENT__COMPONENT_STATUS__OK;
	d->health.runtime = ECSAGENT__COMPONENT_STATUS__OK;
	d->health.agent = ECSAGENT__COMPONENT_STATUS__OK;
	req->instance_health = &d->health;
	return 0;
}

static void on_connection(void *ud, bool connected, const char *detail)
{
	(void)ud;
	struct json_writer *w = event_begin("connection");
	json_w_key(w, "connected");
	json_w_bool(w, connected);
	json_w_key(w, "detail");
	json_w_string(w, detail);
	json_w_object_end(w);
	print(w);
}

static const struct cp_client_ops ops = {
	.fill_register = on_fill_register,
	.registered = on_registered,
	.desired = on_desired,
	.deregistered = on_deregistered,
	.fill_telemetry = on_fill_telemetry,
	.connection = on_connection,
};

/* ---- stdin: state changes to queue ---- */

/* The next sequence of a task, kept in the state like the engine keeps its
 * own, so a restarted driver never reuses one. */
static int next_sequence(struct drive *d, const char *arn, uint64_t *out, struct ecs_err *err)
{
	_cleanup_free_ char *key = NULL, *value = NULL;
	if (asprintf(&key, "drive_seq:%s", arn) < 0) {
		key = NULL;
		return err_set(err, ENOMEM, "out of memory");
	}
	int r = state_meta_get(d->state, key, &value, err);
	if (r < 0 && r != -ENOENT)
		return r;
	*out = (value ? strtoull(value, NULL, 10) : 0) + 1;
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRIu64, *out);
	return state_meta_set(d->state, key, buf, err);
}

static int queue_change(struct drive *d, char *line, struct ecs_err *err)
{
	char *save = NULL;
	const char *arn = strtok_r(line, " \t", &save);
	const char *status_name = strtok_r(NULL, " \t", &save);
	const char *container = strtok_r(NULL, " \t", &save);
	const char *exit_code = strtok_r(NULL, " \t", &save);
	Ecsagent__Status status;
	if (!arn || !status_name || wire_status_parse(status_name, &status) < 0)
		return err_set(err, EINVAL, "expected 'TASK_ARN STATUS [CONTAINER [EXIT]]'");

	uint64_t seq = 0;
	int r = next_sequence(d, arn, &seq, err);
	if (r < 0)
		return r;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;

	Ecsagent__ContainerStateChange cc = ECSAGENT__CONTAINER_STATE_CHANGE__INIT;
	Ecsagent__ContainerStateChange *ccp = &cc;
	Ecsagent__TaskStateChange tc = ECSAGENT__TASK_STATE_CHANGE__INIT;
	Ecsagent__TaskStateChange *tcp = &tc;
	Ecsagent__StateChangeRequest req = ECSAGENT__STATE_CHANGE_REQUEST__INIT;
	tc.task_arn = (char *)arn;
	tc.sequence = seq;
	tc.status = status;
	if (status >= ECSAGENT__STATUS__RUNNING)
		tc.started_at_ms = now;
	if (status == ECSAGENT__STATUS__STOPPED)
		tc.stopped_at_ms = now;
	if (container) {
		cc.container_name = (char *)container;
		cc.status = status;
		if (exit_code)
			wire_set_exit_code(&cc, (int32_t)strtol(exit_code, NULL, 10));
		tc.containers = &ccp;
		tc.n_containers = 1;
	}
	req.tasks = &tcp;
	req.n_tasks = 1;
	size_t len;
	_cleanup_free_ uint8_t *payload = wire_encode(&req.base, &len, err);
	if (!payload)
		return -EINVAL;
	r = state_outbox_add(d->state, arn, seq, payload, len, err);
	if (r < 0)
		return r;

	struct json_writer *w = event_begin("queued");
	json_w_key(w, "taskArn");
	json_w_string(w, arn);
	json_w_key(w, "sequence");
	json_w_int(w, (int64_t)seq);
	json_w_key(w, "status");
	json_w_string(w, status_name);
	json_w_object_end(w);
	print(w);
	cp_client_kick_reports(d->client);
	return 0;
}

static void handle_line(struct drive *d, char *line)
{
	struct ecs_err err = { 0 };
	if (!line[0])
		return;
	if (strcmp(line, "count") == 0) {
		size_t n = 0;
		if (state_outbox_count(d->state, &n, &err) < 0) {
			fprintf(stderr, "cp-client-drive: %s\n", err_msg(&err));
			return;
		}
		struct json_writer *w = event_begin("outbox");
		json_w_key(w, "count");
		json_w_int(w, (int64_t)n);
		json_w_object_end(w);
		print(w);
		return;
	}
	if (queue_change(d, line, &err) < 0)
		fprintf(stderr, "cp-client-drive: %s\n", err_msg(&err));
}

static int on_stdin(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	(void)revents;
	struct drive *d = userdata;
	for (;;) {
		ssize_t n = read(fd, d->line + d->line_len, sizeof(d->line) - 1 - d->line_len);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		if (n == 0) {
			/* EOF: keep serving the control plane until signalled. */
			sd_event_source_set_enabled(src, SD_EVENT_OFF);
			return 0;
		}
		d->line_len += (size_t)n;
		char *nl;
		while ((nl = memchr(d->line, '\n', d->line_len))) {
			*nl = '\0';
			handle_line(d, d->line);
			size_t used = (size_t)(nl - d->line) + 1;
			memmove(d->line, nl + 1, d->line_len - used);
			d->line_len -= used;
		}
		if (d->line_len == sizeof(d->line) - 1)
			d->line_len = 0; /* an absurd line: drop it */
	}
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr,
		"Usage: cp-client-drive --url URL --datadir DIR [--cluster NAME] [--join-token T]\n"
		"       [--identity ID] [--hostname H] [--poll-wait SECONDS] [--max-backoff-ms MS]\n"
		"       [--cpu N] [--memory MIB] [--no-telemetry] [--debug]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "datadir", required_argument, NULL, 'd' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "join-token", required_argument, NULL, 'j' },
		{ "identity", required_argument, NULL, 'i' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "poll-wait", required_argument, NULL, 'w' },
		{ "max-backoff-ms", required_argument, NULL, 'b' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "memory", required_argument, NULL, 'M' },
		{ "no-telemetry", no_argument, NULL, 'T' },
		{ "debug", no_argument, NULL, 'D' },
		{ 0 },
	};
	struct cp_client_params params = {
		.cluster = "default",
		.hostname = "drive-host",
		.instance_identity = "drive-host",
		.poll_wait_usec = 20ull * 1000000,
		.max_backoff_usec = 2ull * 1000000,
	};
	struct drive d = { .cpu = 2048, .memory = 4096 };
	struct cp_client_ops my_ops = ops;
	const char *datadir = NULL;
	int opt;
	log_init("cp-client-drive");
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'u': params.url = optarg; break;
		case 'd': datadir = optarg; break;
		case 'c': params.cluster = optarg; break;
		case 'j': params.join_token = optarg; break;
		case 'i': params.instance_identity = optarg; break;
		case 'H': params.hostname = optarg; break;
		case 'w': params.poll_wait_usec = strtoull(optarg, NULL, 10) * 1000000u; break;
		case 'b': params.max_backoff_usec = strtoull(optarg, NULL, 10) * 1000u; break;
		case 'C': d.cpu = strtoll(optarg, NULL, 10); break;
		case 'M': d.memory = strtoll(optarg, NULL, 10); break;
		case 'T': my_ops.fill_telemetry = NULL; break;
		case 'D': log_set_level(LOG_LVL_DEBUG); break;
		default: usage(); return 2;
		}
	}
	if (!params.url || !datadir) {
		usage();
		return 2;
	}

	struct ecs_err err = { 0 };
	int rc = 1;
	sd_event *event = NULL;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if (sd_event_default(&event) < 0 || sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL) < 0 ||
	    sd_event_add_signal(event, NULL, SIGINT, NULL, NULL) < 0) {
		fprintf(stderr, "cp-client-drive: setting up the event loop failed\n");
		goto out;
	}
	if (state_open(datadir, &d.state, &err) < 0 ||
	    cp_client_new(event, d.state, &params, &my_ops, &d, &d.client, &err) < 0) {
		fprintf(stderr, "cp-client-drive: %s\n", err_msg(&err));
		goto out;
	}
	fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
	if (sd_event_add_io(event, &d.stdin_src, STDIN_FILENO, EPOLLIN, on_stdin, &d) < 0) {
		/* /dev/null and regular files cannot be polled: no input then. */
		d.stdin_src = NULL;
	}
	if (cp_client_start(d.client, &err) < 0) {
		fprintf(stderr, "cp-client-drive: %s\n", err_msg(&err));
		goto out;
	}
	rc = sd_event_loop(event) < 0 ? 1 : 0;
out:
	sd_event_source_disable_unref(d.stdin_src);
	cp_client_free(d.client);
	if (d.state)
		state_close(d.state);
	sd_event_unref(event);
	return rc;
}
