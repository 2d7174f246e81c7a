/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ecs-agent-image ls, rm and gc (manage.h); load is in load.c, the
 * collector rm and gc share in collect.c.
 *
 * rm and gc hold the store lock exclusively for their whole run: pulls hold
 * it shared from their first look at the store until their record is
 * written, so the collector never sees a half-pulled image whose layers no
 * record names yet.
 */
#include "autoconf.h"

#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/image-internal.h"
#include "image/manage.h"
#include "image/name.h"
#include "image/records.h"
#include "json.h"

struct manage_opts {
	const char *datadir;
	bool json;
	char **keep; /* digests in use (argv strings) */
	size_t n_keep;
	int64_t min_age_s;
	int64_t before_ms; /* gc: only records last used before this time; 0 = now */
	int64_t max;
	int first_arg; /* index of the first operand in argv */
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int usage(const char *verb, const char *msg)
{
	if (msg)
		fprintf(stderr, "ecs-agent-image %s: %s\n", verb, msg);
	fprintf(stderr,
		"Usage: ecs-agent-image load --datadir DIR FILE.tar\n"
		"       ecs-agent-image ls --datadir DIR [--json]\n"
		"       ecs-agent-image rm --datadir DIR [--keep DIGEST]... REF...\n"
		"       ecs-agent-image gc --datadir DIR [--keep DIGEST]... [--min-age SEC] [--max N]\n"
		"                          [--before MS]\n");
	return 2;
}

static bool parse_count(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		return false;
	*out = v;
	return true;
}

/* 0, or the exit status for a usage error. */
static int parse_opts(int argc, char **argv, struct manage_opts *o)
{
	static const struct option longopts[] = {
		{ "datadir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "keep", required_argument, NULL, 'k' },
		{ "min-age", required_argument, NULL, 'a' },
		{ "max", required_argument, NULL, 'm' },
		{ "before", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	const char *verb = argv[0];
	*o = (struct manage_opts){ .min_age_s = 3600, .max = 5 };
	o->keep = calloc((size_t)argc + 1, sizeof(*o->keep));
	if (!o->keep)
		return usage(verb, "out of memory");
	optind = 0; /* GNU: reinitialise, argv[0] is the verb */
	int c;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		char hex[DIGEST_HEX_LEN + 1];
		switch (c) {
		case 'd':
			o->datadir = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'k':
			if (digest_parse(optarg, hex, NULL) < 0)
				return usage(verb, "--keep takes a sha256:<hex> manifest digest");
			o->keep[o->n_keep++] = optarg;
			break;
		case 'a':
			if (!parse_count(optarg, &o->min_age_s))
				return usage(verb, "--min-age takes a number of seconds");
			break;
		case 'm':
			if (!parse_count(optarg, &o->max))
				return usage(verb, "--max takes a count");
			break;
		case 'b':
			if (!parse_count(optarg, &o->before_ms))
				return usage(verb, "--before takes a time in ms since the epoch");
			break;
		default:
			return usage(verb, NULL);
		}
	}
	if (!o->datadir || !*o->datadir)
		return usage(verb, "--datadir is required");
	o->first_arg = optind;
	return 0;
}

static bool kept(const struct manage_opts *o, const char *digest)
{
	for (size_t i = 0; i < o->n_keep; i++)
		if (strcmp(o->keep[i], digest) == 0)
			return true;
	return false;
}

/* ---- ls ---- */

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct image_record *)a)->name, ((const struct image_record *)b)->name);
}

static void human_size(int64_t n, char *out, size_t size)
{
	static const char *units[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	size_t u = 0;
	while (v >= 1000 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(out, size, "%" PRId64 " B", n);
	else
		snprintf(out, size, "%.*f %s", v < 10 ? 1 : 0, v, units[u]);
}

static void iso_time(int64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, size, "-");
}

static int ls_json(const struct image_record *v, size_t n)
{
	struct ecs_err err = { 0 };
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w)
		return 1;
	json_w_array_begin(w);
	for (size_t i = 0; i < n; i++) {
		/* One shape with the record files: the same writer. */
		_cleanup_free_ char *rec = image_record_to_json(&v[i], &err);
		_cleanup_(json_doc_freep) struct json_doc *doc =
			rec ? json_parse(rec, strlen(rec), &err) : NULL;
		if (!doc)
			break;
		json_w_node(w, json_root(doc));
	}
	json_w_array_end(w);
	_cleanup_free_ char *text = json_writer_finish(w, NULL, &err);
	if (!text) {
		fprintf(stderr, "ecs-agent-image ls: %s\n", err_msg(&err));
		return 1;
	}
	puts(text);
	return 0;
}

static int cmd_ls(const struct manage_opts *o, int argc)
{
	if (o->first_arg != argc)
		return usage("ls", "no operands expected");
	struct ecs_err err = { 0 };
	struct image_record *v;
	size_t n;
	if (image_record_list(o->datadir, &v, &n, &err) < 0) {
		fprintf(stderr, "ecs-agent-image ls: %s\n", err_msg(&err));
		return 1;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_name);
	int rc = 0;
	if (o->json) {
		rc = ls_json(v, n);
	} else {
		int w = 4;
		for (size_t i = 0; i < n; i++)
			if ((int)strlen(v[i].name) > w)
				w = (int)strlen(v[i].name);
		printf("%-*s  %-71s  %10s  %s\n", w, "NAME", "DIGEST", "SIZE", "LAST-USED");
		for (size_t i = 0; i < n; i++) {
			char size[32], used[32];
			human_size(v[i].size, size, sizeof(size));
			iso_time(v[i].last_used_ms, used, sizeof(used));
			printf("%-*s  %-71s  %10s  %s\n", w, v[i].name, v[i].manifest_digest, size,
			       used);
		}
	}
	image_record_list_free(v, n);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}

/* ---- rm ---- */

/* Mark in `hit` the records `ref` names: a manifest digest, a record name
 * as written, or a reference normalised to its canonical name. */
static int match_ref(const char *ref, const struct image_record *v, size_t n, bool *hit)
{
	char hex[DIGEST_HEX_LEN + 1];
	int found = 0;
	if (digest_parse(ref, hex, NULL) == 0) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(v[i].manifest_digest, ref) == 0)
				hit[i] = true, found++;
		return found;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, ref) == 0)
			hit[i] = true, found++;
	if (found)
		return found;
	struct image_name nm;
	if (image_name_parse(ref, &nm, NULL) < 0)
		return 0;
	_cleanup_free_ char *canon = image_name_canonical(&nm);
	image_name_clear(&nm);
	for (size_t i = 0; canon && i < n; i++)
		if (strcmp(v[i].name, canon) == 0)
			hit[i] = true, found++;
	return found;
}

static int cmd_rm(const struct manage_opts *o, int argc, char **argv)
{
	if (o->first_arg == argc)
		return usage("rm", "name at least one image");
	struct ecs_err err = { 0 };
	_cleanup_close_ int lock = image_store_lock(o->datadir, true, &err);
	if (lock < 0) {
		fprintf(stderr, "ecs-agent-image rm: %s\n", err_msg(&err));
		return 1;
	}
	struct image_record *v;
	size_t n;
	if (image_record_list(o->datadir, &v, &n, &err) < 0) {
		fprintf(stderr, "ecs-agent-image rm: %s\n", err_msg(&err));
		return 1;
	}
	int rc = 0;
	_cleanup_free_ bool *hit = calloc(n + 1, sizeof(*hit));
	if (!hit) {
		image_record_list_free(v, n);
		return 1;
	}
	for (int a = o->first_arg; a < argc; a++)
		if (match_ref(argv[a], v, n, hit) == 0) {
			fprintf(stderr, "ecs-agent-image rm: no such image: %s\n", argv[a]);
			rc = 1;
		}
	for (size_t i = 0; i < n; i++) {
		if (!hit[i])
			continue;
		if (kept(o, v[i].manifest_digest)) {
			fprintf(stderr, "ecs-agent-image rm: image %s (%s) is in use by a task\n",
				v[i].name, v[i].manifest_digest);
			rc = 1;
			continue;
		}
		if (image_record_remove(o->datadir, v[i].name, &err) < 0) {
			fprintf(stderr, "ecs-agent-image rm: %s\n", err_msg(&err));
			rc = 1;
			continue;
		}
		printf("Deleted %s %s\n", v[i].name, v[i].manifest_digest);
	}
	image_record_list_free(v, n);
	int64_t freed = 0;
	if (manage_collect(o->datadir, &freed, &err) < 0) {
		fprintf(stderr, "ecs-agent-image rm: %s\n", err_msg(&err));
		rc = 1;
	}
	char size[32];
	human_size(freed, size, sizeof(size));
	printf("Freed %s\n", size);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}

/* ---- gc ---- */

static int by_last_used(const void *a, const void *b)
{
	const struct image_record *x = a, *y = b;
	if (x->last_used_ms != y->last_used_ms)
		return x->last_used_ms < y->last_used_ms ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int gc_answer(char **deleted, size_t n_deleted, int64_t freed)
{
	struct ecs_err err = { 0 };
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w)
		return 1;
	json_w_object_begin(w);
	json_w_key(w, "deleted");
	json_w_array_begin(w);
	for (size_t i = 0; i < n_deleted; i++)
		json_w_string(w, deleted[i]);
	json_w_array_end(w);
	json_w_key(w, "freedBytes");
	json_w_int(w, freed);
	json_w_object_end(w);
	_cleanup_free_ char *text = json_writer_finish(w, NULL, &err);
	if (!text) {
		fprintf(stderr, "ecs-agent-image gc: %s\n", err_msg(&err));
		return 1;
	}
	puts(text);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int cmd_gc(const struct manage_opts *o, int argc)
{
	if (o->first_arg != argc)
		return usage("gc", "no operands expected");
	struct ecs_err err = { 0 };
	_cleanup_close_ int lock = image_store_lock(o->datadir, true, &err);
	if (lock < 0) {
		fprintf(stderr, "ecs-agent-image gc: %s\n", err_msg(&err));
		return 1;
	}
	struct image_record *v;
	size_t n;
	if (image_record_list(o->datadir, &v, &n, &err) < 0) {
		fprintf(stderr, "ecs-agent-image gc: %s\n", err_msg(&err));
		return 1;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_last_used);
	int rc = 0;
	_cleanup_free_ char **deleted = calloc(n + 1, sizeof(*deleted));
	size_t n_deleted = 0;
	/* --before: the time the caller listed the images in use. An image
	 * resolved since then (its record touched) may be about to be used by a
	 * container the caller did not know of yet: never a candidate. */
	int64_t now = now_ms();
	int64_t cutoff = (o->before_ms && o->before_ms < now ? o->before_ms : now) -
			 o->min_age_s * 1000;
	for (size_t i = 0; deleted && i < n && (int64_t)n_deleted < o->max; i++) {
		if (kept(o, v[i].manifest_digest) || v[i].last_used_ms > cutoff)
			continue;
		if (image_record_remove(o->datadir, v[i].name, &err) < 0) {
			fprintf(stderr, "ecs-agent-image gc: %s\n", err_msg(&err));
			rc = 1;
			continue;
		}
		deleted[n_deleted++] = v[i].name;
	}
	int64_t freed = 0;
	if (manage_collect(o->datadir, &freed, &err) < 0) {
		fprintf(stderr, "ecs-agent-image gc: %s\n", err_msg(&err));
		rc = 1;
	}
	if (gc_answer(deleted, n_deleted, freed) != 0)
		rc = 1;
	image_record_list_free(v, n);
	return rc;
}

int image_manage_main(const char *verb, int argc, char **argv)
{
	static const char *const verbs[] = { "load", "ls", "rm", "gc" };
	size_t which = ARRAY_SIZE(verbs);
	for (size_t i = 0; verb && i < ARRAY_SIZE(verbs); i++)
		if (strcmp(verb, verbs[i]) == 0)
			which = i;
	if (which == ARRAY_SIZE(verbs) || argc < 1)
		return -1;
	struct manage_opts o;
	int rc = parse_opts(argc, argv, &o);
	if (rc == 0) {
		switch (which) {
		case 0:
			rc = o.first_arg + 1 == argc ? manage_load(o.datadir, argv[o.first_arg])
						     : usage("load", "name one archive");
			break;
		case 1:
			rc = cmd_ls(&o, argc);
			break;
		case 2:
			rc = cmd_rm(&o, argc, argv);
			break;
		default:
			rc = cmd_gc(&o, argc);
		}
	}
	free(o.keep);
	return rc;
}
