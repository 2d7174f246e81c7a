/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* The ecs-agent daemon: wiring of config, state, engine and control-plane
 * session in one sd-event loop. */
#include <stdbool.h>

#include <systemd/sd-event.h>

#include "agent-config.h"
#include "cp-client.h"
#include "engine/engine.h"
#include "state.h"

struct registration;

struct daemon {
	struct agent_config *cfg;
	sd_event *event;
	struct state *state;
	struct engine *engine;
	struct cp_client *cp;
	struct registration *reg;
	char *runtime_root;
	char *runtime_version;
	char *hostname;
	char *identity;
	int lock_fd;
	bool trimmed; /* start-up's library pages unmapped (memtrim.h) */
};

/* Fill a RegisterRequest: resources, capabilities and the configured
 * attributes, tags and version info. The arrays live in d->reg until the
 * next call or registration_free(). */
int registration_fill(struct daemon *d, Ecsagent__RegisterRequest *req, struct ecs_err *err);
void registration_free(struct registration *r);

/* `ecs-agent [--config FILE]`: run the daemon until SIGTERM/SIGINT. */
int cmd_daemon(int argc, char **argv);
