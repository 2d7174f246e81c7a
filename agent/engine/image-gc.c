/* SPDX-License-Identifier: Apache-2.0 */
/* Image garbage collection as ECS does it: every ECS_IMAGE_CLEANUP_INTERVAL
 * the helper deletes up to ECS_NUM_IMAGES_DELETE_PER_CYCLE images unused for
 * ECS_IMAGE_MINIMUM_CLEANUP_AGE, least recently used first, keeping every
 * image a task not yet cleaned up refers to (docs/images.md). The helper
 * holds the store lock exclusively, so it never overlaps a pull. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine-internal.h"
#include "image/image-internal.h"
#include "image/image.h"
#include "log.h"

/* Append (borrowed) the image digests of the task's containers to v, unless
 * the task is cleaned up. */
static int add_digests(const struct state_task *t, const char ***v, size_t *n, size_t *cap)
{
	if (t->step >= TASK_STEP_CLEANED)
		return 0;
	for (size_t i = 0; i < t->n_containers; i++) {
		const char *d = t->containers[i].image_digest;
		if (!d)
			continue;
		if (*n == *cap) {
			size_t c = *cap ? *cap * 2 : 16;
			const char **grown = realloc(*v, c * sizeof(**v));
			if (!grown)
				return -ENOMEM;
			*v = grown;
			*cap = c;
		}
		(*v)[(*n)++] = d;
	}
	return 0;
}

static int on_gc_output(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	char buf[4096];
	ssize_t k = read(fd, buf, sizeof(buf) - 1);
	if (k > 0) {
		buf[k] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		log_info("Image cleanup: %s", buf);
		return 0;
	}
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	sd_event_source_disable_unref(s);
	close(fd);
	/* The collection is over (or its helper died): the daemon's cache may
	 * answer again; entries whose layers went are misses. */
	image_fetcher_use_cache(ud, true);
	return 0;
}

static void run_gc(struct engine *e)
{
	const struct agent_config *cfg = e->p.cfg;
	char age[32], max[32], before[32];
	snprintf(age, sizeof(age), "%llu",
		 (unsigned long long)(cfg->image_min_cleanup_age / 1000000u));
	snprintf(max, sizeof(max), "%lld", (long long)cfg->images_delete_per_cycle);
	/* The images in use are listed now: whatever is resolved after this
	 * moment is the helper's to spare (its record is touched). */
	snprintf(before, sizeof(before), "%lld", (long long)engine_now_ms());
	const char *fixed[] = { e->p.image_helper, "gc", "--datadir", cfg->datadir,
				"--min-age", age, "--max", max, "--before", before };
	size_t n_fixed = ARRAY_SIZE(fixed), n = 0, cap = 0;
	const char **digests = NULL;
	int r = 0;
	for (struct etask *t = e->tasks; t && r >= 0; t = t->next)
		r = add_digests(&t->st, &digests, &n, &cap);
	_cleanup_free_ char **argv = r < 0 ? NULL : calloc(n_fixed + 2 * n + 1, sizeof(*argv));
	if (!argv) {
		free(digests);
		log_warn("Image cleanup: out of memory");
		return;
	}
	memcpy(argv, fixed, sizeof(fixed));
	for (size_t i = 0; i < n; i++) {
		argv[n_fixed + 2 * i] = (char *)"--keep";
		argv[n_fixed + 2 * i + 1] = (char *)digests[i];
	}
	free(digests);

	struct ecs_err err = { 0 };
	pid_t pid;
	int fd;
	/* The daemon's SIGCHLD handler reaps it. */
	r = image_helper_spawn(e->p.image_helper, argv, NULL, &fd, &pid, &err);
	if (r < 0) {
		log_warn("Image cleanup: %s", err_msg(&err));
		return;
	}
	sd_event_source *io = NULL;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0 ||
	    sd_event_add_io(e->p.event, &io, fd, EPOLLIN, on_gc_output, e->fetcher) < 0) {
		close(fd);
		return;
	}
	/* While it runs, a cached image's layers may be going: every image goes
	 * through the helper, which waits for the collection (store lock). */
	image_fetcher_use_cache(e->fetcher, false);
	/* The source closes itself at EOF; the event loop owns it until then. */
	sd_event_source_set_floating(io, true);
	sd_event_source_unref(io);
}

static int on_gc_timer(sd_event_source *s, uint64_t usec, void *ud)
{
	struct engine *e = ud;
	/* Not while a helper may have resolved an image that no container
	 * records yet (its answer not read): try again in a second. */
	if (image_fetcher_busy(e->fetcher)) {
		sd_event_source_set_time(s, usec + 1000000u);
		sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
		return 0;
	}
	run_gc(e);
	sd_event_source_set_time(s, usec + e->p.cfg->image_cleanup_interval);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

void image_gc_arm(struct engine *e)
{
	const struct agent_config *cfg = e->p.cfg;
	if (cfg->disable_image_cleanup) {
		log_info("Image cleanup is disabled (ECS_DISABLE_IMAGE_CLEANUP)");
		return;
	}
	sd_event_add_time_relative(e->p.event, &e->image_gc, CLOCK_MONOTONIC,
				   cfg->image_cleanup_interval, 0, on_gc_timer, e);
}

int engine_images_in_use(const char *datadir, char ***out, size_t *n, struct ecs_err *err)
{
	*out = NULL;
	*n = 0;
	char db[4096];
	snprintf(db, sizeof(db), "%s/state.db", datadir);
	if (access(db, F_OK) < 0)
		return 0;
	struct state *st = NULL;
	int r = state_open(datadir, &st, err);
	if (r < 0)
		return r;
	struct state_task *tasks = NULL;
	size_t n_tasks = 0;
	r = state_tasks_load(st, &tasks, &n_tasks, err);
	state_close(st);
	if (r < 0)
		return r;
	size_t cap = 0;
	const char **borrowed = NULL;
	for (size_t i = 0; i < n_tasks && r >= 0; i++)
		r = add_digests(&tasks[i], &borrowed, n, &cap);
	if (r >= 0 && *n && !(*out = calloc(*n, sizeof(**out))))
		r = -ENOMEM;
	for (size_t i = 0; r >= 0 && i < *n; i++)
		if (!((*out)[i] = strdup(borrowed[i])))
			r = -ENOMEM;
	free(borrowed);
	if (r < 0) {
		for (size_t i = 0; *out && i < *n; i++)
			free((*out)[i]);
		free(*out);
		*out = NULL;
		*n = 0;
		state_tasks_free(tasks, n_tasks);
		return err_set(err, ENOMEM, "out of memory");
	}
	state_tasks_free(tasks, n_tasks);
	return r < 0 ? r : 0;
}
