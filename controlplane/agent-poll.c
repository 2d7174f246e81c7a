/* SPDX-License-Identifier: Apache-2.0 */
/* The long poll: answer at once when the agent's version is stale, else park
 * the request until the instance's desired tasks change (the api's instance
 * listener) or the hold time runs out. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "agent-internal.h"
#include "log.h"
#include "regcreds.h"
#include "store-agent.h"

struct parked_poll {
	struct agent_endpoint *ep;
	struct http_request *req;
	int64_t instance_id;
	uint64_t known_version;
	sd_event_source *timer;
	bool woken;
	struct parked_poll *next, *prev;
};

static Ecsagent__InstanceStatus instance_status(const char *status)
{
	if (strcmp(status, "ACTIVE") == 0)
		return ECSAGENT__INSTANCE_STATUS__ACTIVE;
	if (strcmp(status, "DRAINING") == 0)
		return ECSAGENT__INSTANCE_STATUS__DRAINING;
	return ECSAGENT__INSTANCE_STATUS__DEREGISTERED;
}

static Ecsagent__StopCode stop_code(const char *name)
{
	for (int c = 1; c <= ECSAGENT__STOP_CODE__TERMINATION_NOTICE; c++) {
		const char *n = wire_stop_code_name((Ecsagent__StopCode)c);
		if (name && n && strcmp(n, name) == 0)
			return (Ecsagent__StopCode)c;
	}
	return ECSAGENT__STOP_CODE__STOP_CODE_UNSPECIFIED;
}

static void reply_unchanged(struct http_request *req, const struct store_instance *in)
{
	Ecsagent__PollResponse resp = ECSAGENT__POLL_RESPONSE__INIT;
	resp.version = (uint64_t)in->desired_version;
	resp.unchanged = true;
	resp.instance_status = instance_status(in->status);
	agent_reply(req, &resp.base);
}

/* What one task's registry_credentials point into. */
struct task_creds {
	struct regcred_list l;
	Ecsagent__RegistryCredential *v;
	Ecsagent__RegistryCredential **p;
};

static void task_creds_clear(struct task_creds *tc)
{
	/* The wire entries only borrow from l, which wipes the passwords. */
	regcred_list_clear(&tc->l);
	free(tc->v);
	free(tc->p);
}

/* Resolve the repositoryCredentials secrets of a task to be run. A secret
 * that cannot be used travels as the entry's error, for the agent to fail
 * the task with; only a store failure fails the poll. */
static int task_creds_fill(struct agent_endpoint *ep, const struct store_agent_task *t,
			   Ecsagent__Task *x, struct task_creds *tc, struct ecs_err *err)
{
	struct ecs_err perr = { 0 };
	if (regcred_from_taskdef(t->taskdef_body, strlen(t->taskdef_body), &tc->l, &perr) == -ENOMEM)
		return err_set(err, ENOMEM, "out of memory");
	if (tc->l.n == 0)
		return 0;
	int r = regcred_resolve(ep->store, &tc->l, err);
	if (r < 0)
		return r;
	tc->v = calloc(tc->l.n, sizeof(*tc->v));
	tc->p = calloc(tc->l.n, sizeof(*tc->p));
	if (!tc->v || !tc->p)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < tc->l.n; i++) {
		const struct regcred *c = &tc->l.items[i];
		Ecsagent__RegistryCredential *w = &tc->v[i];
		*w = (Ecsagent__RegistryCredential)ECSAGENT__REGISTRY_CREDENTIAL__INIT;
		w->container_name = c->container_name;
		w->credentials_parameter = c->parameter;
		if (c->username) {
			w->username = c->username;
			w->password = c->password;
		}
		if (c->error)
			w->error = c->error;
		tc->p[i] = w;
	}
	x->n_registry_credentials = tc->l.n;
	x->registry_credentials = tc->p;
	return 0;
}

/* The complete desired state of the instance. */
static void reply_full(struct agent_endpoint *ep, struct http_request *req,
		       const struct store_instance *in)
{
	struct ecs_err err = { 0 };
	struct store_agent_task_list list;
	int r = store_agent_desired_tasks(ep->store, in->id, &list, &err);
	if (r < 0) {
		log_error("Agent poll of %s: %s", in->arn, err_msg(&err));
		agent_fail(req, ECSAGENT__ERROR_CODE__INTERNAL, "Server error");
		return;
	}
	size_t n = list.n;
	Ecsagent__Task *tasks = calloc(n + 1, sizeof(*tasks));
	Ecsagent__Task **taskp = calloc(n + 1, sizeof(*taskp));
	struct store_kv_list *tags = calloc(n + 1, sizeof(*tags));
	Ecsagent__Tag **tagv = calloc(n + 1, sizeof(*tagv));
	Ecsagent__Tag ***tagp = calloc(n + 1, sizeof(*tagp));
	struct task_creds *creds = calloc(n + 1, sizeof(*creds));
	r = tasks && taskp && tags && tagv && tagp && creds
		    ? 0 : err_set(&err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n && r >= 0; i++) {
		const struct store_agent_task *t = &list.items[i];
		Ecsagent__Task *x = &tasks[i];
		*x = (Ecsagent__Task)ECSAGENT__TASK__INIT;
		x->task_arn = t->arn;
		x->task_definition_arn = t->taskdef_arn;
		x->family = t->family;
		x->revision = (uint32_t)t->revision;
		x->task_definition_json = t->taskdef_body;
		x->overrides_json = t->overrides;
		x->desired_status = strcmp(t->desired_status, "RUNNING") == 0
					    ? ECSAGENT__STATUS__RUNNING : ECSAGENT__STATUS__STOPPED;
		x->started_by = t->started_by;
		x->group = t->group;
		/* Entries have no version of their own in the store: each carries
		 * the instance's, so an agent re-reads them all on a change. */
		x->desired_version = (uint64_t)in->desired_version;
		x->created_at_ms = t->created_ms;
		if (x->desired_status == ECSAGENT__STATUS__STOPPED) {
			x->stop_reason = t->stopped_reason;
			x->stop_code = stop_code(t->stop_code);
		} else if ((r = task_creds_fill(ep, t, x, &creds[i], &err)) < 0) {
			break;
		}
		if ((r = store_tags_get(ep->store, t->arn, &tags[i], &err)) < 0)
			break;
		if (tags[i].n) {
			tagv[i] = calloc(tags[i].n, sizeof(*tagv[i]));
			tagp[i] = calloc(tags[i].n, sizeof(*tagp[i]));
			if (!tagv[i] || !tagp[i]) {
				r = err_set(&err, ENOMEM, "out of memory");
				break;
			}
			for (size_t k = 0; k < tags[i].n; k++) {
				tagv[i][k] = (Ecsagent__Tag)ECSAGENT__TAG__INIT;
				tagv[i][k].key = tags[i].items[k].key;
				tagv[i][k].value = tags[i].items[k].value;
				tagp[i][k] = &tagv[i][k];
			}
			x->n_tags = tags[i].n;
			x->tags = tagp[i];
		}
		taskp[i] = x;
	}
	if (r < 0) {
		log_error("Agent poll of %s: %s", in->arn, err_msg(&err));
		agent_fail(req, ECSAGENT__ERROR_CODE__INTERNAL, "Server error");
	} else {
		Ecsagent__PollResponse resp = ECSAGENT__POLL_RESPONSE__INIT;
		resp.version = (uint64_t)in->desired_version;
		resp.instance_status = instance_status(in->status);
		resp.n_tasks = n;
		resp.tasks = taskp;
		agent_reply(req, &resp.base);
	}
	for (size_t i = 0; creds && i < n; i++)
		task_creds_clear(&creds[i]);
	free(creds);
	for (size_t i = 0; tags && i < n; i++) {
		store_kv_list_clear(&tags[i]);
		free(tagv ? tagv[i] : NULL);
		free(tagp ? tagp[i] : NULL);
	}
	free(tags);
	free(tagv);
	free(tagp);
	free(tasks);
	free(taskp);
	store_agent_task_list_clear(&list);
}

/* ---- parking ---- */

static void unpark(struct parked_poll *p)
{
	struct agent_endpoint *ep = p->ep;
	if (p->prev)
		p->prev->next = p->next;
	else
		ep->parked = p->next;
	if (p->next)
		p->next->prev = p->prev;
	sd_event_source_disable_unref(p->timer);
	free(p);
}

static void on_abort(void *userdata, struct http_request *req)
{
	(void)req;
	unpark(userdata);
}

/* Answer a parked poll from the instance's current state and forget it. */
static void answer(struct parked_poll *p)
{
	struct agent_endpoint *ep = p->ep;
	struct http_request *req = p->req;
	struct store_instance in;
	struct ecs_err err = { 0 };
	uint64_t known = p->known_version;
	int64_t id = p->instance_id;
	unpark(p);
	int r = store_instance_get_by_id(ep->store, id, &in, &err);
	/* The agent waited all along: its silence starts when it has its
	 * answer, not when it asked. Relaxed (no fdatasync before the
	 * answer): a power loss that forgot the contact only makes the agent
	 * look silent for one poll longer. */
	if (r >= 0 && (r = store_begin_relaxed(ep->store, &err)) >= 0) {
		r = agent_touch(ep, &in, agent_now_ms(), &err);
		if (r >= 0)
			r = store_commit(ep->store, &err);
		store_rollback(ep->store);
	}
	if (r < 0) {
		log_error("Agent poll of instance %lld: %s", (long long)id, err_msg(&err));
		agent_fail(req, ECSAGENT__ERROR_CODE__INTERNAL, "Server error");
		store_instance_clear(&in);
		return;
	}
	if ((uint64_t)in.desired_version != known || strcmp(in.status, "INACTIVE") == 0)
		reply_full(ep, req, &in);
	else
		reply_unchanged(req, &in);
	store_instance_clear(&in);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)s;
	(void)usec;
	answer(userdata);
	return 0;
}

static int on_wake(sd_event_source *s, void *userdata)
{
	(void)s;
	struct agent_endpoint *ep = userdata;
	struct parked_poll *p = ep->parked;
	while (p) {
		struct parked_poll *next = p->next;
		if (p->woken)
			answer(p);
		p = next;
	}
	if (ep->held_http)
		http_server_release_replies(TAKE_PTR(ep->held_http));
	return 0;
}

void agent_poll_changed(int64_t instance_id, void *userdata)
{
	struct agent_endpoint *ep = userdata;
	bool any = false;
	for (struct parked_poll *p = ep->parked; p; p = p->next) {
		if (p->instance_id == instance_id) {
			p->woken = true;
			any = true;
			/* The caller (RunTask, StopTask) hears after the agent. */
			ep->held_http = http_request_server(p->req);
			http_server_hold_replies(ep->held_http);
		}
	}
	/* Answered from the loop, not from inside the caller's request: the
	 * reply reads the store, and the caller may still be mid-reply. */
	if (any)
		sd_event_source_set_enabled(ep->wake, SD_EVENT_ONESHOT);
}

bool agent_poll_parked(const struct agent_endpoint *ep, int64_t instance_id)
{
	for (const struct parked_poll *p = ep->parked; p; p = p->next)
		if (p->instance_id == instance_id)
			return true;
	return false;
}

void agent_poll(struct agent_endpoint *ep, struct http_request *req,
		const Ecsagent__PollRequest *poll, struct store_instance *in)
{
	struct ecs_err err = { 0 };
	int64_t now = agent_now_ms();
	int r = store_begin_relaxed(ep->store, &err); /* as in answer() */
	if (r >= 0)
		r = agent_touch(ep, in, now, &err);
	if (r >= 0)
		r = store_commit(ep->store, &err);
	store_rollback(ep->store);
	if (r < 0) {
		log_error("Agent poll of %s: %s", in->arn, err_msg(&err));
		agent_fail(req, ECSAGENT__ERROR_CODE__INTERNAL, "Server error");
		store_instance_clear(in);
		return;
	}

	/* One poll per instance: a newer one supersedes a parked one. */
	for (struct parked_poll *p = ep->parked; p;) {
		struct parked_poll *next = p->next;
		if (p->instance_id == in->id) {
			struct http_request *old = p->req;
			unpark(p);
			reply_unchanged(old, in);
		}
		p = next;
	}

	bool inactive = strcmp(in->status, "INACTIVE") == 0;
	if (inactive || (uint64_t)in->desired_version != poll->known_version) {
		reply_full(ep, req, in);
	} else if (poll->wait_seconds == 0) {
		reply_unchanged(req, in);
	} else {
		uint64_t hold = (uint64_t)poll->wait_seconds * 1000000;
		if (hold > ep->poll_timeout_usec)
			hold = ep->poll_timeout_usec;
		struct parked_poll *p = calloc(1, sizeof(*p));
		uint64_t mono;
		sd_event_now(ep->event, CLOCK_MONOTONIC, &mono);
		if (!p || sd_event_add_time(ep->event, &p->timer, CLOCK_MONOTONIC, mono + hold,
					    10 * 1000, on_timer, p) < 0) {
			free(p);
			agent_fail(req, ECSAGENT__ERROR_CODE__UNAVAILABLE, "Out of memory");
		} else {
			p->ep = ep;
			p->req = req;
			p->instance_id = in->id;
			p->known_version = poll->known_version;
			p->next = ep->parked;
			if (ep->parked)
				ep->parked->prev = p;
			ep->parked = p;
			http_request_suspend(req, on_abort, p);
		}
	}
	store_instance_clear(in);
}

int agent_poll_init(struct agent_endpoint *ep)
{
	int r = sd_event_add_defer(ep->event, &ep->wake, on_wake, ep);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(ep->wake, SD_EVENT_OFF);
}

void agent_poll_release(struct agent_endpoint *ep)
{
	/* Normally empty: the HTTP server answers and aborts parked polls when
	 * it shuts down, before the endpoint is freed. */
	while (ep->parked)
		unpark(ep->parked);
}
