/* SPDX-License-Identifier: Apache-2.0 */
/* Resolved images kept in the daemon, so starting a container from a cached
 * image costs a few stat() calls instead of a helper process. An entry is
 * used only while its source is unchanged (the layout's index.json: same
 * inode, size and modification time) and every layer directory exists. A
 * registry image has no such source: its entry is used only when the pull
 * behaviour allows a cached image (once, prefer-cached). */
#include "autoconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "image/image-internal.h"
#include "image/image.h"

struct cache_entry {
	char *ref;
	struct stat index_st;
	struct image img;
	struct cache_entry *next;
};

struct image_cache {
	struct cache_entry *head;
	size_t n;
};

/* Entries kept at most: references are few on a host; the oldest goes. */
#define CACHE_MAX 64

struct image_cache *image_cache_new(void)
{
	return calloc(1, sizeof(struct image_cache));
}

static void entry_free(struct cache_entry *e)
{
	free(e->ref);
	image_clear(&e->img);
	free(e);
}

void image_cache_free(struct image_cache *c)
{
	if (!c)
		return;
	while (c->head) {
		struct cache_entry *e = c->head;
		c->head = e->next;
		entry_free(e);
	}
	free(c);
}

static int index_stat(const char *ref, struct stat *st)
{
	_cleanup_free_ char *path = NULL, *tag = NULL, *index = NULL;
	if (oci_ref_parse(ref, &path, &tag, NULL) < 0)
		return -EINVAL;
	if (asprintf(&index, "%s/index.json", path) < 0)
		return -ENOMEM;
	return stat(index, st) < 0 ? -errno : 0;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static bool layers_present(const struct image *img)
{
	struct stat st;
	for (size_t i = 0; i < img->n_layers; i++)
		if (stat(img->layer_dirs[i], &st) < 0 || !S_ISDIR(st.st_mode))
			return false;
	return true;
}

static char **strv_dup(char *const *v, bool *oom)
{
	if (!v)
		return NULL;
	size_t n = 0;
	while (v[n])
		n++;
	char **out = calloc(n + 1, sizeof(*out));
	for (size_t i = 0; out && i < n; i++)
		if (!(out[i] = strdup(v[i]))) {
			oci_strv_free(out);
			out = NULL;
		}
	if (!out)
		*oom = true;
	return out;
}

static char *str_dup(const char *s, bool *oom)
{
	char *d = s ? strdup(s) : NULL;
	if (s && !d)
		*oom = true;
	return d;
}

int image_copy(const struct image *src, struct image *dst, struct ecs_err *err)
{
	bool oom = false;
	*dst = (struct image){
		.reference = str_dup(src->reference, &oom),
		.digest = str_dup(src->digest, &oom),
		.entrypoint = strv_dup(src->entrypoint, &oom),
		.cmd = strv_dup(src->cmd, &oom),
		.env = strv_dup(src->env, &oom),
		.working_dir = str_dup(src->working_dir, &oom),
		.user = str_dup(src->user, &oom),
		.layer_dirs = strv_dup(src->layer_dirs, &oom),
		.n_layers = src->n_layers,
	};
	if (oom) {
		image_clear(dst);
		return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/* The entry for `ref`, dropping it when it is stale. */
static struct cache_entry *find_fresh(struct image_cache *c, const char *ref, bool trust_registry)
{
	struct stat st;
	bool layout = strncmp(ref, "oci-layout:", 11) == 0;
	bool have_stat = layout && index_stat(ref, &st) == 0;
	struct cache_entry **pp = &c->head;
	for (; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->ref, ref) == 0)
			break;
	struct cache_entry *e = *pp;
	if (!e)
		return NULL;
	bool fresh = layout ? have_stat && same_file(&e->index_st, &st) : trust_registry;
	if (fresh && layers_present(&e->img))
		return e;
	if (layout || fresh) {
		/* Gone or changed for good; a registry entry merely not trusted
		 * under this pull behaviour stays for the next time. */
		*pp = e->next;
		entry_free(e);
		c->n--;
	}
	return NULL;
}

int image_cache_lookup(struct image_cache *c, const char *ref, bool trust_registry,
		       struct image *out, struct ecs_err *err)
{
	*out = (struct image){ 0 };
	struct cache_entry *e = find_fresh(c, ref, trust_registry);
	if (!e)
		return 0;
	int r = image_copy(&e->img, out, err);
	return r < 0 ? r : 1;
}

void image_cache_store(struct image_cache *c, const char *ref, const struct image *img)
{
	struct stat st = { 0 };
	if (strncmp(ref, "oci-layout:", 11) == 0 && index_stat(ref, &st) < 0)
		return;
	struct cache_entry **pp = &c->head;
	for (; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->ref, ref) == 0) {
			struct cache_entry *old = *pp;
			*pp = old->next;
			entry_free(old);
			c->n--;
			break;
		}
	/* Failing to remember is not an error. */
	struct cache_entry *e = calloc(1, sizeof(*e));
	if (!e || !(e->ref = strdup(ref)) || image_copy(img, &e->img, NULL) < 0) {
		if (e)
			free(e->ref);
		free(e);
		return;
	}
	e->index_st = st;
	e->next = c->head;
	c->head = e;
	if (++c->n > CACHE_MAX) {
		struct cache_entry **last = &c->head;
		while ((*last)->next)
			last = &(*last)->next;
		entry_free(*last);
		*last = NULL;
		c->n--;
	}
}

int image_resolve_cached(struct image_cache *c, const char *helper, const char *datadir,
			 const char *ref, struct image *out, struct ecs_err *err)
{
	int r = image_cache_lookup(c, ref, false, out, err);
	if (r != 0)
		return r < 0 ? r : 0;
	r = image_resolve(helper, datadir, ref, out, err);
	if (r >= 0)
		image_cache_store(c, ref, out);
	return r;
}
