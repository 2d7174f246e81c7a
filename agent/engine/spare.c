/* SPDX-License-Identifier: Apache-2.0 */
/* The spare shim (runtime/shim-spare.h). One is kept ready while no
 * container is starting: the next start hands its command line to a shim
 * that is already running instead of forking and exec'ing one, which is
 * about 2 ms of its latency on a VM where every exec costs over a
 * millisecond. It is refilled only once the starts in flight are over, so
 * its own exec never competes with theirs. */
#include "autoconf.h"

#include "engine-internal.h"
#include "log.h"

static int on_refill(sd_event_source *s, void *ud)
{
	(void)s;
	struct engine *e = ud;
	if (e->spare.fd >= 0 || e->starting || e->start_queue || !e->p.shim_binary)
		return 0;
	struct ecs_err err = { 0 };
	if (shim_spare_start(&e->spare, e->p.shim_binary, &err) < 0)
		log_warn("No spare shim: %s", err_msg(&err));
	else
		log_debug("Spare shim %d ready", (int)e->spare.pid);
	return 0;
}

void engine_spare_refill(struct engine *e)
{
	if (e->spare.fd >= 0 || !e->p.shim_binary)
		return;
	/* Deferred: callers are inside record handling or recovery. */
	if (!e->spare_refill &&
	    sd_event_add_defer(e->p.event, &e->spare_refill, on_refill, e) < 0) {
		log_warn("Cannot schedule a spare shim");
		return;
	}
	sd_event_source_set_enabled(e->spare_refill, SD_EVENT_ONESHOT);
}

void engine_spare_free(struct engine *e)
{
	sd_event_source_disable_unref(e->spare_refill);
	e->spare_refill = NULL;
	shim_spare_drop(&e->spare);
}
