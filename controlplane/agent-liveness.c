/* SPDX-License-Identifier: Apache-2.0 */
/* The liveness sweep: an instance whose agent has been silent for the
 * disconnect timeout shows agentConnected false; after the (longer) lost
 * timeout its tasks are recorded as STOPPED, so no waiter or reservation
 * hangs on an agent that is gone. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>

#include "agent-internal.h"
#include "api.h"
#include "log.h"
#include "store-agent.h"

#define LOST_REASON "Task stopped because the container instance's agent was disconnected for too long"

/* Log lines name the instance by its ARN. */
static void log_instance(struct agent_endpoint *ep, int64_t id, bool warn, const char *what,
			 long long n)
{
	struct store_instance in;
	struct ecs_err err = { 0 };
	bool found = store_instance_get_by_id(ep->store, id, &in, &err) == 0;
	char name[64];
	snprintf(name, sizeof(name), "%lld", (long long)id);
	if (warn)
		log_warn("Container instance %s: %s (%lld)", found ? in.arn : name, what, n);
	else
		log_info("Container instance %s: %s (%lld s)", found ? in.arn : name, what, n);
	store_instance_clear(&in);
}

/* The sweep runs a few times per disconnect timeout, at most every 5 s. */
static uint64_t sweep_interval(const struct agent_endpoint *ep)
{
	uint64_t t = ep->disconnect_timeout_usec / 4;
	if (t > 5 * 1000000)
		t = 5 * 1000000;
	if (t < 100 * 1000)
		t = 100 * 1000;
	return t;
}

static int disconnect_stale(struct agent_endpoint *ep, int64_t now, struct ecs_err *err)
{
	_cleanup_free_ int64_t *ids = NULL;
	size_t n;
	int r = store_agent_stale(ep->store, now - (int64_t)(ep->disconnect_timeout_usec / 1000),
				  &ids, &n, err);
	if (r < 0 || n == 0)
		return r;
	if ((r = store_begin(ep->store, err)) < 0)
		return r;
	for (size_t i = 0; i < n && r >= 0; i++) {
		/* A parked poll is an agent waiting right now. */
		if (agent_poll_parked(ep, ids[i])) {
			bool was;
			r = store_instance_touch(ep->store, ids[i], now, &was, err);
		} else {
			r = store_agent_disconnect(ep->store, ids[i], now, err);
			if (r >= 0)
				log_instance(ep, ids[i], false, "agent disconnected, silent for",
					     (long long)(ep->disconnect_timeout_usec / 1000000));
		}
	}
	if (r >= 0)
		r = store_commit(ep->store, err);
	store_rollback(ep->store);
	return r;
}

static int stop_lost(struct agent_endpoint *ep, int64_t now, struct ecs_err *err)
{
	_cleanup_free_ int64_t *ids = NULL;
	size_t n;
	int r = store_agent_lost(ep->store, now - (int64_t)(ep->lost_timeout_usec / 1000), &ids,
				 &n, err);
	if (r < 0 || n == 0)
		return r;
	if ((r = store_begin(ep->store, err)) < 0)
		return r;
	for (size_t i = 0; i < n && r >= 0; i++) {
		int64_t stopped;
		r = store_agent_stop_tasks(ep->store, ids[i], LOST_REASON, now, &stopped, err);
		if (r >= 0)
			r = store_instance_bump_desired(ep->store, ids[i], now, err);
		if (r >= 0)
			log_instance(ep, ids[i], true, "agent lost, tasks marked STOPPED",
				     (long long)stopped);
	}
	if (r >= 0)
		r = store_commit(ep->store, err);
	store_rollback(ep->store);
	for (size_t i = 0; r >= 0 && i < n; i++)
		api_instance_changed(ep->api, ids[i]);
	return r;
}

void agent_endpoint_sweep(struct agent_endpoint *ep)
{
	struct ecs_err err = { 0 };
	int64_t now = agent_now_ms();
	if (disconnect_stale(ep, now, &err) < 0 || stop_lost(ep, now, &err) < 0)
		log_error("Liveness sweep failed: %s", err_msg(&err));
}

static int on_sweep(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct agent_endpoint *ep = userdata;
	agent_endpoint_sweep(ep);
	int r = sd_event_source_set_time(s, usec + sweep_interval(ep));
	return r < 0 ? r : sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

int agent_liveness_init(struct agent_endpoint *ep)
{
	uint64_t now;
	sd_event_now(ep->event, CLOCK_MONOTONIC, &now);
	return sd_event_add_time(ep->event, &ep->liveness, CLOCK_MONOTONIC,
				 now + sweep_interval(ep), 50 * 1000, on_sweep, ep);
}
