/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ecs-controlplane: wiring. Settings, credentials, the store, the API and
 * the HTTP server, all on one sd-event loop; SIGTERM/SIGINT stop accepting,
 * let replies in flight get out (bounded), and close the database cleanly.
 */
#include "autoconf.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "agent-endpoint.h"
#include "api.h"
#include "credentials.h"
#include "ecs-endpoint.h"
#include "http.h"
#include "log.h"
#include "options.h"
#include "store.h"

/* How long a shutdown waits for requests in flight to finish their replies. */
#define DRAIN_USEC (2 * 1000 * 1000)
#define DRAIN_POLL_USEC (20 * 1000)

struct daemon {
	sd_event *event;
	struct http_server *http;
	sd_event_source *drain;
	uint64_t drain_deadline;
};

static int on_drain(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct daemon *d = userdata;
	if (http_server_in_flight(d->http) == 0 || usec >= d->drain_deadline)
		return sd_event_exit(d->event, 0);
	int r = sd_event_source_set_time(s, usec + DRAIN_POLL_USEC);
	return r < 0 ? r : sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	(void)s;
	struct daemon *d = userdata;
	if (d->drain)
		return 0;
	log_info("Received %s, shutting down", strsignal((int)si->ssi_signo));
	sd_notify(0, "STOPPING=1");
	http_server_shutdown(d->http);

	uint64_t now;
	sd_event_now(d->event, CLOCK_MONOTONIC, &now);
	d->drain_deadline = now + DRAIN_USEC;
	return sd_event_add_time(d->event, &d->drain, CLOCK_MONOTONIC, now, 1000, on_drain, d);
}

/* Each agent's parked long poll holds a connection, and every connection is
 * a descriptor: with the usual soft limit of 1024 a thousand agents would
 * exhaust it. The hard limit is what the administrator allows; take it all
 * (the HTTP server sizes its connection limit from the result). Nothing here
 * uses select(), which is what the low soft default protects. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_warn("Cannot read the file descriptor limit: %m");
		return;
	}
	rlim_t before = rl.rlim_cur;
	if (rl.rlim_cur != rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			log_warn("Cannot raise the file descriptor limit from %llu to %llu: %m",
				 (unsigned long long)before, (unsigned long long)rl.rlim_max);
			return;
		}
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		log_info("File descriptor limit: unlimited");
	else if (before != rl.rlim_cur)
		log_info("File descriptor limit: %llu (raised from %llu)",
			 (unsigned long long)rl.rlim_cur, (unsigned long long)before);
	else
		log_info("File descriptor limit: %llu", (unsigned long long)rl.rlim_cur);
}

static struct credentials *load_credentials(const struct cp_options *o)
{
	struct ecs_err err = { 0 };
	_cleanup_(credentials_freep) struct credentials *creds = credentials_new();
	bool insecure;
	if (!creds) {
		log_error("Out of memory");
		return NULL;
	}
	if (!o->credentials_file || !o->credentials_file[0]) {
		log_error("No credentials file: set --credentials FILE (or --no-auth for development)");
		return NULL;
	}
	if (credentials_load_file(creds, o->credentials_file, &insecure, &err) < 0) {
		log_error("Cannot load credentials: %s", err_msg(&err));
		return NULL;
	}
	if (credentials_count(creds) == 0) {
		log_error("Credentials file %s has no access keys", o->credentials_file);
		return NULL;
	}
	if (insecure)
		log_warn("Credentials file %s is readable by group or others: chmod 600 it",
			 o->credentials_file);
	log_info("Loaded %zu access key(s) from %s", credentials_count(creds), o->credentials_file);
	return TAKE_PTR(creds);
}

static struct agent_endpoint *start_agent_endpoint(const struct cp_options *o, sd_event *event,
						   struct api *api, struct store *store)
{
	struct ecs_err err = { 0 };
	const struct config_map *m = o->join_tokens;
	_cleanup_free_ struct agent_cluster_token *tokens = calloc(m->n + 1, sizeof(*tokens));
	if (!tokens) {
		log_error("Out of memory");
		return NULL;
	}
	for (size_t i = 0; i < m->n; i++)
		tokens[i] = (struct agent_cluster_token){ m->pairs[i].key, m->pairs[i].value };
	const struct agent_settings settings = {
		.region = o->region,
		.account_id = o->account_id,
		.join_token = o->join_token && o->join_token[0] ? o->join_token : NULL,
		.cluster_tokens = tokens,
		.n_cluster_tokens = m->n,
		.poll_timeout_usec = o->poll_timeout,
		.telemetry_interval_usec = o->telemetry_interval,
		.disconnect_timeout_usec = o->disconnect_timeout,
		.lost_timeout_usec = o->lost_timeout,
	};
	if (!settings.join_token && m->n == 0)
		log_warn("No join token is configured (ECS_CP_JOIN_TOKEN, ECS_CP_JOIN_TOKENS or "
			 "--join-token): agents cannot register");
	struct agent_endpoint *ep = agent_endpoint_new(event, api, store, &settings, &err);
	if (!ep)
		log_error("%s", err_msg(&err));
	return ep;
}

static int run(const struct cp_options *o)
{
	struct ecs_err err = { 0 };
	_cleanup_(credentials_freep) struct credentials *creds = NULL;

	raise_fd_limit();
	if (o->no_auth) {
		log_warn("AUTHENTICATION IS DISABLED (--no-auth): anyone who can reach %s can "
			 "change this control plane. Use this for development only", o->listen);
	} else if (!(creds = load_credentials(o))) {
		return 1;
	}

	_cleanup_(store_freep) struct store *store = store_open(o->db, &err);
	if (!store) {
		log_error("Cannot open the database: %s", err_msg(&err));
		return 1;
	}
	_cleanup_(api_freep) struct api *api = api_new(store, o->region, o->account_id, &err);
	if (!api) {
		log_error("%s", err_msg(&err));
		return 1;
	}
	struct ecs_endpoint ecs = {
		.api = api,
		.credentials = creds,
		.region = o->region,
		.max_body = (size_t)o->max_body,
	};
	struct daemon d = { 0 };
	int r = sd_event_default(&d.event);
	if (r < 0) {
		log_error("Cannot create the event loop: %s", strerror(-r));
		return 1;
	}
	_cleanup_(agent_endpoint_freep) struct agent_endpoint *agent = start_agent_endpoint(o, d.event,
											   api, store);
	if (!agent) {
		sd_event_unref(d.event);
		return 1;
	}
	const size_t not_found_body = ecs.max_body > agent_endpoint_max_body()
					      ? ecs.max_body : agent_endpoint_max_body();
	const struct http_route routes[] = {
		{ .path = "/", .max_body = ecs.max_body, .handler = ecs_endpoint_handle,
		  .userdata = &ecs },
		{ .path = "/v1/agent/", .max_body = agent_endpoint_max_body(),
		  .handler = agent_endpoint_handle, .userdata = agent },
		/* The 404 of a wrong path must reach a client that sent a body
		 * (an agent with a misspelt endpoint): with a limit of 0 any body
		 * would be "too large" and the connection cut without an answer. */
		{ .path = NULL, .max_body = not_found_body, .handler = ecs_endpoint_not_found },
	};
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (sd_event_add_signal(d.event, NULL, SIGTERM, on_signal, &d) < 0 ||
	    sd_event_add_signal(d.event, NULL, SIGINT, on_signal, &d) < 0) {
		log_error("Cannot watch signals");
		sd_event_unref(d.event);
		return 1;
	}

	d.http = http_server_new(d.event, o->listen, routes, ARRAY_SIZE(routes), &err);
	if (!d.http) {
		log_error("%s", err_msg(&err));
		sd_event_unref(d.event);
		return 1;
	}
	/* Tests and scripts that pass port 0 read the port from this line. */
	char where[96];
	snprintf(where, sizeof(where), "%s", o->listen);
	char *colon = strrchr(where, ':');
	if (colon)
		snprintf(colon, sizeof(where) - (size_t)(colon - where), ":%u",
			 http_server_port(d.http));
	log_info("Listening on http://%s (region %s, account %s, database %s, schema v%d)", where,
		 o->region, o->account_id, o->db, store_schema_latest());
	sd_notify(0, "READY=1");

	r = sd_event_loop(d.event);
	/* The server first: it aborts what polls are still parked. */
	http_server_free(d.http);
	agent_endpoint_free(TAKE_PTR(agent));
	sd_event_source_unref(d.drain);
	sd_event_unref(d.event);
	if (r < 0) {
		log_error("Event loop failed: %s", strerror(-r));
		return 1;
	}
	log_info("Stopped");
	return 0;
}

int main(int argc, char **argv)
{
	struct cp_options o;
	struct ecs_err err = { 0 };

	log_init("ecs-controlplane");
	int r = cp_options_load(&o, argc, argv, stderr, &err);
	if (r == CP_OPTIONS_EXIT_OK) {
		cp_options_clear(&o);
		return 0;
	}
	if (r < 0) {
		log_error("%s", err_msg(&err));
		cp_options_clear(&o);
		return 2;
	}
	log_set_level((enum log_level)o.log_level);
	int rc = run(&o);
	cp_options_clear(&o);
	return rc;
}
