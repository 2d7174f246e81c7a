/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon's side of pulls: the helper runs with its request on stdin
 * while the event loop goes on; one helper per reference in flight, however
 * many containers wait for it (docs/images.md, "Processes"). */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "image/image-internal.h"
#include "image/image.h"
#include "json.h"
#include "log.h"

struct image_fetch {
	struct fetch_job *job;
	image_fetch_fn fn;
	void *ud;
	struct image_fetch *next;
};

struct fetch_job {
	struct image_fetcher *f;
	char *ref;
	char *creds;   /* "user\x1fpassword" of per-task credentials, or NULL */
	pid_t pid;
	int fd;
	sd_event_source *io;
	char *buf;
	size_t len, cap;
	struct image_fetch *waiters;
	struct fetch_job *next;
};

struct image_fetcher {
	sd_event *ev;
	char *helper;
	struct image_cache *cache;
	bool no_cache;
	struct fetch_job *jobs;
};

char *image_request_to_json(const struct image_request *rq, struct ecs_err *err)
{
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	json_w_object_begin(w);
	json_w_member(w, "op", "resolve");
	json_w_member(w, "datadir", rq->datadir);
	json_w_member(w, "reference", rq->reference);
	json_w_member(w, "pullBehavior", rq->pull_behavior);
	if (rq->n_insecure_registries) {
		json_w_key(w, "insecureRegistries");
		json_w_array_begin(w);
		for (size_t i = 0; i < rq->n_insecure_registries; i++)
			json_w_string(w, rq->insecure_registries[i]);
		json_w_array_end(w);
	}
	if (rq->auth_type) {
		json_w_key(w, "engineAuth");
		json_w_object_begin(w);
		json_w_member(w, "type", rq->auth_type);
		json_w_member(w, "data", rq->auth_data ? rq->auth_data : "");
		json_w_object_end(w);
	}
	if (rq->username) {
		json_w_key(w, "credentials");
		json_w_object_begin(w);
		json_w_member(w, "username", rq->username);
		json_w_member(w, "password", rq->password ? rq->password : "");
		json_w_object_end(w);
	}
	json_w_member(w, "caFile", rq->ca_file);
	if (rq->timeout_ms) {
		json_w_key(w, "timeoutMs");
		json_w_int(w, (int64_t)rq->timeout_ms);
	}
	if (rq->inactivity_timeout_ms) {
		json_w_key(w, "inactivityTimeoutMs");
		json_w_int(w, (int64_t)rq->inactivity_timeout_ms);
	}
	json_w_object_end(w);
	return json_writer_finish(w, NULL, err);
}

struct image_fetcher *image_fetcher_new(sd_event *ev, const char *helper,
					struct image_cache *cache)
{
	struct image_fetcher *f = calloc(1, sizeof(*f));
	if (!f || (helper && !(f->helper = strdup(helper)))) {
		free(f);
		return NULL;
	}
	f->ev = sd_event_ref(ev);
	f->cache = cache;
	return f;
}

static void job_free(struct fetch_job *j)
{
	while (j->waiters) {
		struct image_fetch *w = j->waiters;
		j->waiters = w->next;
		free(w);
	}
	sd_event_source_disable_unref(j->io);
	if (j->fd >= 0)
		close(j->fd);
	free(j->buf);
	free(j->ref);
	if (j->creds)
		explicit_bzero(j->creds, strlen(j->creds));
	free(j->creds);
	free(j);
}

void image_fetcher_free(struct image_fetcher *f)
{
	if (!f)
		return;
	while (f->jobs) {
		struct fetch_job *j = f->jobs;
		f->jobs = j->next;
		kill(j->pid, SIGTERM);
		job_free(j);
	}
	sd_event_unref(f->ev);
	free(f->helper);
	free(f);
}

static void job_unlink(struct fetch_job *j)
{
	for (struct fetch_job **pp = &j->f->jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			return;
		}
}

/* The answer is complete: parse it once, then tell every waiter. */
static void job_finish(struct fetch_job *j)
{
	struct image img = { 0 };
	struct ecs_err err = { 0 };
	int r;
	job_unlink(j);
	if (j->len == 0) {
		/* The SIGCHLD handler reaps it; the status is not needed. */
		r = err_set(&err, EIO, "%s: the image helper died without an answer", j->ref);
	} else {
		r = image_from_json(j->buf, j->len, &img, &err);
	}
	if (r >= 0) {
		log_info("Pulled %s (%s)", j->ref, img.digest ? img.digest : "no digest");
		image_cache_store(j->f->cache, j->ref, &img);
	} else {
		log_warn("Pulling %s: %s", j->ref, err_msg(&err));
	}
	/* Each waiter is unlinked and freed before its callback, which may
	 * cancel other waiters of this job. */
	while (j->waiters) {
		struct image_fetch *w = j->waiters;
		j->waiters = w->next;
		image_fetch_fn fn = w->fn;
		void *ud = w->ud;
		free(w);
		fn(ud, r >= 0 ? &img : NULL, &err);
	}
	image_clear(&img);
	job_free(j);
}

static int on_answer(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct fetch_job *j = ud;
	for (;;) {
		if (j->len == j->cap) {
			if (j->cap >= HELPER_OUTPUT_MAX) {
				log_warn("Image helper for %s: answer too large", j->ref);
				j->len = 0;
				break;
			}
			size_t cap = j->cap ? j->cap * 2 : 4096;
			char *grown = realloc(j->buf, cap + 1);
			if (!grown) {
				j->len = 0;
				break;
			}
			j->buf = grown;
			j->cap = cap;
		}
		ssize_t k = read(fd, j->buf + j->len, j->cap - j->len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN)
			return 0;
		if (k <= 0) {
			if (k < 0)
				j->len = 0;
			break;
		}
		j->len += (size_t)k;
	}
	if (j->buf)
		j->buf[j->len] = '\0';
	job_finish(j);
	return 0;
}

static int job_start(struct image_fetcher *f, const struct image_request *rq,
		     struct fetch_job **out, struct ecs_err *err)
{
	if (!f->helper)
		return err_set(err, ENOENT, "no image helper (ECS_IMAGE_HELPER_PATH)");
	_cleanup_free_ char *json = image_request_to_json(rq, err);
	if (!json)
		return -ENOMEM;
	struct fetch_job *j = calloc(1, sizeof(*j));
	if (!j || !(j->ref = strdup(rq->reference))) {
		free(j);
		return err_set(err, ENOMEM, "out of memory");
	}
	j->f = f;
	j->fd = -1;
	if (rq->username && asprintf(&j->creds, "%s\x1f%s", rq->username,
				     rq->password ? rq->password : "") < 0) {
		j->creds = NULL;
		job_free(j);
		return err_set(err, ENOMEM, "out of memory");
	}
	char *argv[] = { f->helper, "request", NULL };
	int in = -1;
	int r = image_helper_spawn(f->helper, argv, &in, &j->fd, &j->pid, err);
	if (r < 0) {
		job_free(j);
		return r;
	}
	/* A request is far below a pipe's capacity: this write does not block
	 * (EPIPE, with SIGPIPE ignored, if the helper died at once). */
	size_t len = strlen(json), off = 0;
	while (off < len) {
		ssize_t k = write(in, json + off, len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		off += (size_t)k;
	}
	close(in);
	if (fcntl(j->fd, F_SETFL, O_NONBLOCK) < 0 ||
	    sd_event_add_io(f->ev, &j->io, j->fd, EPOLLIN, on_answer, j) < 0) {
		kill(j->pid, SIGTERM);
		job_free(j);
		return err_set(err, EIO, "watching the image helper");
	}
	j->next = f->jobs;
	f->jobs = j;
	*out = j;
	return 0;
}

static bool same_request(const struct fetch_job *j, const struct image_request *rq)
{
	if (strcmp(j->ref, rq->reference) != 0 || !j->creds != !rq->username)
		return false;
	if (!j->creds)
		return true;
	size_t ulen = strlen(rq->username);
	const char *pw = rq->password ? rq->password : "";
	return strncmp(j->creds, rq->username, ulen) == 0 && j->creds[ulen] == '\x1f' &&
	       strcmp(j->creds + ulen + 1, pw) == 0;
}

int image_fetch(struct image_fetcher *f, const struct image_request *rq, struct image *out,
		image_fetch_fn fn, void *ud, struct image_fetch **handle, struct ecs_err *err)
{
	*handle = NULL;
	const char *pb = rq->pull_behavior;
	bool trust = pb && (strcmp(pb, "once") == 0 || strcmp(pb, "prefer-cached") == 0);
	int r = f->no_cache ? 0 : image_cache_lookup(f->cache, rq->reference, trust, out, err);
	if (r != 0)
		return r;
	/* Joined only by a request with the same per-task credentials: one
	 * with none (or wrong ones) must not hand its failure to another. */
	struct fetch_job *j = f->jobs;
	while (j && !same_request(j, rq))
		j = j->next;
	if (!j && (r = job_start(f, rq, &j, err)) < 0)
		return r;
	struct image_fetch *w = calloc(1, sizeof(*w));
	if (!w)
		return err_set(err, ENOMEM, "out of memory");
	*w = (struct image_fetch){ .job = j, .fn = fn, .ud = ud, .next = j->waiters };
	j->waiters = w;
	*handle = w;
	return 0;
}

bool image_fetcher_busy(const struct image_fetcher *f)
{
	return f && f->jobs;
}

void image_fetcher_use_cache(struct image_fetcher *f, bool on)
{
	if (f)
		f->no_cache = !on;
}

void image_fetch_cancel(struct image_fetch *h)
{
	if (!h)
		return;
	for (struct image_fetch **pp = &h->job->waiters; *pp; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			free(h);
			return;
		}
}
