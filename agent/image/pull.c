/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A registry pull: name -> manifest (an index picks linux/host arch) ->
 * config -> layers -> record. Every document is checked against its digest
 * before it is used or stored; layers are downloaded in parallel into
 * blobs/tmp-* and unpacked from there as soon as each one verified.
 *
 * Layers already unpacked are not downloaded. Two helpers pulling images
 * that share a layer meet on blobs/lock-<hex>: the first downloads, the
 * second skips that layer in its first round and then waits for the lock
 * and finds the layer unpacked. A waiting round waits for one lock only,
 * holding none, so two pullers never wait on each other in a cycle; it
 * polls the lock so that the pull's deadline still holds.
 *
 * A verified layer is unpacked by a worker thread while the other
 * downloads go on (unpacking in the download callback would stall them).
 * One worker, unpacking one layer at a time: libarchive's disk writer sets
 * the process umask to 0 and back while it works (libarchive issue #1876),
 * so two unpacks at once could leave it at 0; the download loop creates no
 * files meanwhile.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "image.h"
#include "image/image-internal.h"
#include "image/name.h"
#include "image/pull.h"
#include "image/records.h"
#include "image/registry.h"

/* Index nesting followed before giving up. */
#define MAX_INDEX_DEPTH 4
/* How often a puller waiting for another's download looks at its lock. */
#define LOCK_POLL_MS 50

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct pull {
	struct layer_store *st;
	const struct pull_opts *o;
	struct registry *reg;
	const char *repo;
	const struct oci_manifest *m;
	const struct oci_config *cfg;
	char **dirs;
	int64_t deadline_ms; /* CLOCK_MONOTONIC; 0: none */
};

/* The kind of a manifest answer: its Content-Type, else its content. */
static int manifest_kind(const struct registry_manifest *rm, const char *declared,
			 enum oci_kind *kind, struct ecs_err *err)
{
	const char *ct = declared ? declared : rm->media_type;
	*kind = oci_media_kind(ct);
	if (*kind == OCI_INDEX || *kind == OCI_MANIFEST)
		return 0;
	if (ct && (strstr(ct, "manifest.v1") || strstr(ct, "prettyjws")))
		return err_set(err, ENOTSUP, "Docker schema 1 manifests are not supported");
	if (*kind != OCI_UNKNOWN)
		return err_set(err, ENOTSUP, "%s is not a manifest type", ct);
	*kind = oci_document_kind(rm->body, rm->len);
	return 0;
}

/* GET a manifest and check it against `want` (a digest reference), else
 * the registry's Docker-Content-Digest. */
static int fetch_manifest(struct pull *p, const char *ref, const char *want, int64_t want_size,
			  const char *declared, struct registry_manifest *rm, enum oci_kind *kind,
			  char digest[8 + DIGEST_HEX_LEN], struct ecs_err *err)
{
	char hex[DIGEST_HEX_LEN + 1];
	int r = registry_get_manifest(p->reg, p->repo, ref, rm, err);
	if (r < 0)
		return r;
	if (digest_buf_hex(rm->body, rm->len, hex) < 0)
		return err_set(err, EIO, "hashing the manifest failed");
	snprintf(digest, 8 + DIGEST_HEX_LEN, "sha256:%s", hex);
	char whex[DIGEST_HEX_LEN + 1];
	if (!want && rm->digest && digest_parse(rm->digest, whex, NULL) == 0)
		want = rm->digest;
	if (want && strcmp(want, digest) != 0)
		return err_set(err, EINVAL, "manifest %s has digest %s", want, digest);
	if (want_size >= 0 && (uint64_t)want_size != rm->len)
		return err_set(err, EINVAL, "manifest %s has %zu bytes, not %lld", digest, rm->len,
			       (long long)want_size);
	return manifest_kind(rm, declared, kind, err);
}

/* Follow the reference to an image manifest; *top is the digest the name
 * points at (an index's when it names one). */
static int resolve_manifest(struct pull *p, struct oci_manifest *m, char top[8 + DIGEST_HEX_LEN],
			    struct ecs_err *err)
{
	const struct image_name *n = p->o->name;
	struct registry_manifest rm = { 0 };
	enum oci_kind kind;
	char digest[8 + DIGEST_HEX_LEN];
	int r = fetch_manifest(p, image_name_manifest_ref(n), n->digest, -1, NULL, &rm, &kind, top,
			       err);
	for (int depth = 0; r == 0; depth++) {
		if ((r = store_blob_put(p->st, depth ? digest : top, rm.body, rm.len, err)) < 0)
			break;
		if (kind == OCI_MANIFEST) {
			r = oci_manifest_parse(rm.body, rm.len, m, err);
			break;
		}
		if (depth == MAX_INDEX_DEPTH) {
			r = err_set(err, EINVAL, "image indexes nested too deeply");
			break;
		}
		struct oci_index idx;
		size_t pick = 0;
		if ((r = oci_index_parse(rm.body, rm.len, &idx, err)) < 0)
			break;
		r = oci_index_pick_platform(&idx, depth ? digest : top, &pick, err);
		registry_manifest_clear(&rm);
		if (r == 0) {
			const struct oci_desc *d = &idx.manifests[pick];
			r = fetch_manifest(p, d->digest, d->digest, d->size, d->media_type, &rm,
					   &kind, digest, err);
		}
		oci_index_clear(&idx);
	}
	registry_manifest_clear(&rm);
	return r;
}

static int load_config(struct pull *p, const struct oci_manifest *m, struct oci_config *cfg,
		       struct ecs_err *err)
{
	const struct oci_desc *d = &m->config;
	if (d->media_type && oci_media_kind(d->media_type) != OCI_CONFIG)
		return err_set(err, ENOTSUP, "unsupported config media type %s", d->media_type);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = store_blob_get(p->st, d->digest, IMAGE_JSON_MAX, &buf, &len, err);
	if (r == -ENOENT) {
		if ((r = registry_get_blob_mem(p->reg, p->repo, d->digest, d->size, IMAGE_JSON_MAX,
					       &buf, &len, err)) < 0 ||
		    (r = store_blob_put(p->st, d->digest, buf, len, err)) < 0)
			return r;
	} else if (r < 0) {
		return r;
	}
	if ((r = oci_config_parse(buf, len, cfg, err)) < 0)
		return (err_wrap(err, "config %s", d->digest), r);
	if (cfg->n_diff_ids != m->n_layers) {
		oci_config_clear(cfg);
		return err_set(err, EINVAL, "manifest has %zu layers but its config %zu diff IDs",
			       m->n_layers, cfg->n_diff_ids);
	}
	return 0;
}

/* ---- layers ---- */

struct job {
	struct pull *p;
	struct unpacker *unpacker;
	size_t layer;
	char hex[DIGEST_HEX_LEN + 1];
	int lock_fd;
	int fd;
	char *tmp;
};

static void job_release(struct job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->tmp)
		(void)unlink(j->tmp);
	free(j->tmp);
	store_blob_unlock(j->p->st, j->hex, j->lock_fd);
	j->fd = j->lock_fd = -1;
	j->tmp = NULL;
}

/* A layer blob verified: unpack it (job_release() then drops the blob: the
 * unpacked directory is what containers use). */
static int unpack_job(struct job *j, struct ecs_err *err)
{
	struct pull *p = j->p;
	if (lseek(j->fd, 0, SEEK_SET) < 0)
		return err_set_errno(err, errno, "rewinding %s", j->tmp);
	return store_unpack_layer(p->st, j->fd, &p->m->layers[j->layer], p->cfg->diff_ids[j->layer],
				  &p->dirs[j->layer], err);
}

/* ---- the unpacking worker ---- */

/* Jobs queued by the download loop (the main thread) for the worker, in
 * order of completion. The worker writes p->dirs[j->layer]; the main
 * thread reads it only after unpacker_finish(). */
struct unpacker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job **queue;
	size_t head, tail;
	bool closed;    /* no more jobs */
	bool cancelled; /* the round failed: skip what is left */
	int rc;         /* the first failure, with err */
	struct ecs_err err;
};

static void *unpacker_main(void *arg)
{
	struct unpacker *u = arg;
	for (;;) {
		pthread_mutex_lock(&u->lock);
		while (u->head == u->tail && !u->closed)
			pthread_cond_wait(&u->cond, &u->lock);
		if (u->head == u->tail) {
			pthread_mutex_unlock(&u->lock);
			return NULL;
		}
		struct job *j = u->queue[u->head++];
		bool skip = u->cancelled || u->rc < 0;
		pthread_mutex_unlock(&u->lock);

		struct ecs_err e = { 0 };
		int r = skip ? 0 : unpack_job(j, &e);
		job_release(j);
		if (r < 0) {
			pthread_mutex_lock(&u->lock);
			if (u->rc == 0) {
				u->rc = r;
				u->err = e;
			}
			pthread_mutex_unlock(&u->lock);
		}
	}
}

static int unpacker_start(struct unpacker *u, size_t max_jobs, struct ecs_err *err)
{
	*u = (struct unpacker){ 0 };
	if (!(u->queue = calloc(max_jobs + 1, sizeof(*u->queue))))
		return err_set(err, ENOMEM, "out of memory");
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->cond, NULL);
	int r = pthread_create(&u->thread, NULL, unpacker_main, u);
	if (r != 0) {
		pthread_cond_destroy(&u->cond);
		pthread_mutex_destroy(&u->lock);
		free(u->queue);
		return err_set_errno(err, r, "starting the unpacking thread");
	}
	return 0;
}

/* Wait for the queued layers (skipped when `cancel`); the worker's first
 * failure, if any, in *err. */
static int unpacker_finish(struct unpacker *u, bool cancel, struct ecs_err *err)
{
	pthread_mutex_lock(&u->lock);
	u->closed = true;
	u->cancelled = cancel;
	pthread_cond_signal(&u->cond);
	pthread_mutex_unlock(&u->lock);
	pthread_join(u->thread, NULL);
	pthread_cond_destroy(&u->cond);
	pthread_mutex_destroy(&u->lock);
	free(u->queue);
	if (u->rc < 0 && err)
		*err = u->err;
	return u->rc;
}

/* A layer blob verified (download loop): queue it for the worker. An
 * earlier unpack failure fails the downloads still running. */
static int on_layer(struct registry_blob *b, struct ecs_err *err)
{
	struct job *j = b->userdata;
	struct unpacker *u = j->unpacker;
	pthread_mutex_lock(&u->lock);
	int r = u->rc;
	if (r < 0)
		*err = u->err;
	else
		u->queue[u->tail++] = j;
	pthread_cond_signal(&u->cond);
	pthread_mutex_unlock(&u->lock);
	return r;
}

/* Take the lock of blob `hex`, waiting while another helper holds it but
 * not past the pull's deadline (flock has no timeout, hence the polling). */
static int lock_blob_waiting(struct pull *p, const char *hex, const char *digest,
			     struct ecs_err *err)
{
	for (;;) {
		int fd = store_blob_lock(p->st, hex, err);
		if (fd != -EWOULDBLOCK)
			return fd;
		int64_t left = p->deadline_ms ? p->deadline_ms - mono_ms() : LOCK_POLL_MS;
		if (left <= 0)
			return err_set(err, ETIMEDOUT, "waiting for another pull of %s: pull timed out",
				       digest);
		usleep((useconds_t)(left < LOCK_POLL_MS ? left : LOCK_POLL_MS) * 1000);
	}
}

/* One round: lock and download every missing layer nobody else is
 * fetching; with `wait`, wait for the first missing one (holding no lock
 * while waiting). *left counts the layers still missing after it. */
static int layer_round(struct pull *p, bool wait, size_t *left, struct ecs_err *err)
{
	const struct oci_manifest *m = p->m;
	struct job *jobs = calloc(m->n_layers + 1, sizeof(*jobs));
	struct registry_blob *blobs = calloc(m->n_layers + 1, sizeof(*blobs));
	size_t nj = 0;
	int r = 0;
	if (!jobs || !blobs) {
		free(jobs);
		free(blobs);
		return err_set(err, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < m->n_layers && r == 0; i++) {
		if (p->dirs[i])
			continue;
		const char *diff_id = p->cfg->diff_ids[i];
		if ((r = store_find_layer(p->st, diff_id, &p->dirs[i], err)) != -ENOENT)
			continue;
		r = 0;
		struct job *j = &jobs[nj];
		*j = (struct job){ .p = p, .layer = i, .lock_fd = -1, .fd = -1 };
		if ((r = digest_parse(m->layers[i].digest, j->hex, err)) < 0)
			break;
		bool dup = false;
		for (size_t k = 0; k < nj; k++)
			dup = dup || strcmp(jobs[k].hex, j->hex) == 0;
		if (dup) /* the same blob twice in one image: found next round */
			continue;
		if (wait && nj == 0)
			j->lock_fd = lock_blob_waiting(p, j->hex, m->layers[i].digest, err);
		else
			j->lock_fd = store_blob_lock(p->st, j->hex, err);
		if (j->lock_fd == -EWOULDBLOCK) {
			j->lock_fd = -1;
			continue;
		}
		if (j->lock_fd < 0) {
			r = j->lock_fd;
			j->lock_fd = -1;
			break;
		}
		nj++;
		/* Another helper may have unpacked it while we waited. */
		if (store_find_layer(p->st, diff_id, &p->dirs[i], NULL) == 0) {
			job_release(j);
			nj--;
			continue;
		}
		if ((j->fd = store_blob_tmp(p->st, &j->tmp, err)) < 0) {
			r = j->fd;
			j->fd = -1;
			break;
		}
		blobs[nj - 1] = (struct registry_blob){ .digest = m->layers[i].digest,
							.size = m->layers[i].size,
							.fd = j->fd,
							.userdata = j };
	}
	struct unpacker u;
	if (r == 0 && nj && (r = unpacker_start(&u, nj, err)) == 0) {
		for (size_t k = 0; k < nj; k++)
			jobs[k].unpacker = &u;
		r = registry_get_blobs(p->reg, p->repo, blobs, nj, on_layer, err);
		/* A download failure wins: the unpack failure, if any, is
		 * then only a consequence of cancelling. */
		int ur = unpacker_finish(&u, r < 0, r < 0 ? NULL : err);
		if (r == 0)
			r = ur;
	}
	for (size_t k = 0; k < nj; k++)
		job_release(&jobs[k]);
	free(jobs);
	free(blobs);
	*left = 0;
	for (size_t i = 0; i < m->n_layers; i++)
		*left += !p->dirs[i];
	return r;
}

static int fetch_layers(struct pull *p, struct ecs_err *err)
{
	size_t left = p->m->n_layers, before;
	int r = layer_round(p, false, &left, err);
	while (r == 0 && left) {
		before = left;
		r = layer_round(p, true, &left, err);
		if (r == 0 && left == before)
			r = err_set(err, EIO, "no progress fetching layers");
	}
	return r;
}

/* ---- the pull ---- */

static int fill_image(const char *reference, const char *digest, struct oci_config *cfg,
		      char **dirs, size_t n, struct image *out, struct ecs_err *err)
{
	*out = (struct image){
		.reference = strdup(reference),
		.digest = strdup(digest),
		.entrypoint = TAKE_PTR(cfg->entrypoint),
		.cmd = TAKE_PTR(cfg->cmd),
		.env = TAKE_PTR(cfg->env),
		.working_dir = TAKE_PTR(cfg->working_dir),
		.user = TAKE_PTR(cfg->user),
		.layer_dirs = dirs,
		.n_layers = n,
	};
	if (!out->reference || !out->digest) {
		image_clear(out);
		return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int image_pull(struct layer_store *st, const struct pull_opts *o, struct image *out,
	       struct ecs_err *err)
{
	_cleanup_free_ char *canonical = image_name_canonical(o->name);
	struct oci_manifest m = { .config.size = -1 };
	struct oci_config cfg = { 0 };
	char top[8 + DIGEST_HEX_LEN];
	int r;

	*out = (struct image){ 0 };
	if (!canonical)
		return err_set(err, ENOMEM, "out of memory");
	struct registry_opts ro = {
		.host = image_name_host(o->name),
		.insecure = o->insecure,
		.ca_file = o->ca_file,
		.username = o->username,
		.password = o->password,
		.deadline_ms = o->timeout_ms > 0 ? mono_ms() + o->timeout_ms : 0,
		.inactivity_ms = o->inactivity_ms,
	};
	_cleanup_(registry_freep) struct registry *reg = NULL;
	if ((r = registry_new(&ro, &reg, err)) < 0)
		return (err_wrap(err, "%s", canonical), r);
	struct pull p = { .st = st, .o = o, .reg = reg, .repo = o->name->repository,
			  .deadline_ms = ro.deadline_ms };

	if ((r = resolve_manifest(&p, &m, top, err)) < 0 || (r = load_config(&p, &m, &cfg, err)) < 0)
		goto done;
	p.m = &m;
	p.cfg = &cfg;
	if (!(p.dirs = calloc(m.n_layers + 1, sizeof(*p.dirs)))) {
		r = err_set(err, ENOMEM, "out of memory");
		goto done;
	}
	if ((r = fetch_layers(&p, err)) < 0)
		goto done;
	char **diff_ids = TAKE_PTR(cfg.diff_ids);
	r = fill_image(o->reference, top, &cfg, TAKE_PTR(p.dirs), m.n_layers, out, err);
	if (r == 0 && (r = store_record(st, canonical, out, m.config.digest, diff_ids, true, err)) < 0)
		image_clear(out);
	oci_strv_free(diff_ids);
done:
	/* Layers finish in any order: dirs may have holes. */
	for (size_t i = 0; p.dirs && i < m.n_layers; i++)
		free(p.dirs[i]);
	free(p.dirs);
	oci_manifest_clear(&m);
	oci_config_clear(&cfg);
	if (r < 0)
		err_wrap(err, "%s", canonical);
	return r;
}

int image_from_record(struct layer_store *st, const char *reference,
		      const struct image_record *rec, struct image *out, struct ecs_err *err)
{
	_cleanup_free_ char *buf = NULL;
	struct oci_config cfg = { 0 };
	size_t len = 0;
	char **dirs = NULL;
	*out = (struct image){ 0 };
	int r = store_blob_get(st, rec->config_digest, IMAGE_JSON_MAX, &buf, &len, err);
	if (r < 0)
		return r;
	if (oci_config_parse(buf, len, &cfg, NULL) < 0 || cfg.n_diff_ids != rec->n_layers) {
		r = -ENOENT;
		goto done;
	}
	if (!(dirs = calloc(rec->n_layers + 1, sizeof(*dirs)))) {
		r = err_set(err, ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < rec->n_layers; i++)
		if (strcmp(cfg.diff_ids[i], rec->layers[i]) != 0 ||
		    store_find_layer(st, rec->layers[i], &dirs[i], NULL) < 0) {
			r = -ENOENT;
			goto done;
		}
	if ((r = fill_image(reference, rec->manifest_digest, &cfg, TAKE_PTR(dirs), rec->n_layers, out,
			    err)) < 0)
		goto done;
	if ((r = store_record(st, rec->name, out, rec->config_digest, rec->layers, false, err)) < 0)
		image_clear(out);
done:
	oci_strv_free(dirs);
	oci_config_clear(&cfg);
	return r;
}
