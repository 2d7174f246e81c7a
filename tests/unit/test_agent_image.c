/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent/image: OCI layouts built by tests/tools/mkimage.py, resolved into a
 * temporary data directory, then mounted as overlays. Needs root (mknod,
 * trusted.* xattrs, mount).
 */
#include "autoconf.h"

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/image.h"
#include "image/image-internal.h"
#include "image/records.h"

#ifndef MKIMAGE
#error "MKIMAGE must name tests/tools/mkimage.py"
#endif

static char base_dir[] = "/tmp/test-agent-image-XXXXXX";
static char *busybox_ref; /* shared by the tests that only read it */

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	assert_true(vasprintf(&s, fmt, ap) >= 0);
	va_end(ap);
	return s;
}

/* Run mkimage.py with `args`; returns the reference it prints. */
static char *mkimage(const char *layout, const char *args)
{
	_cleanup_free_ char *cmd = xasprintf("/usr/bin/python3 %s %s/%s %s", MKIMAGE, base_dir,
					     layout, args);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char line[4096] = "";
	char *got = fgets(line, sizeof(line), p);
	int status = pclose(p);
	assert_non_null(got);
	assert_int_equal(status, 0);
	line[strcspn(line, "\n")] = '\0';
	return strdup(line);
}

static char *new_dir(const char *name)
{
	char *p = xasprintf("%s/%s", base_dir, name);
	struct ecs_err err = { 0 };
	fs_rm_rf(p, NULL);
	assert_int_equal(fs_mkdir_p(p, 0755, &err), 0);
	return p;
}

static size_t count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static bool exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool exists(const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;
	va_start(ap, fmt);
	assert_true(vasprintf(&p, fmt, ap) >= 0);
	va_end(ap);
	struct stat st;
	bool r = lstat(p, &st) == 0;
	free(p);
	return r;
}

static int group_setup(void **state)
{
	(void)state;
	if (!mkdtemp(base_dir))
		return -1;
	busybox_ref = mkimage("shared", "--tag busybox:latest");
	return busybox_ref ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	free(busybox_ref);
	return fs_rm_rf(base_dir, NULL) == 0 ? 0 : -1;
}

static void test_ref_parse(void **state)
{
	(void)state;
	char *path, *tag;
	assert_int_equal(oci_ref_parse("oci-layout:/srv/img", &path, &tag, NULL), 0);
	assert_string_equal(path, "/srv/img");
	assert_null(tag);
	free(path);
	assert_int_equal(oci_ref_parse("oci-layout:/srv/img:latest", &path, &tag, NULL), 0);
	assert_string_equal(path, "/srv/img");
	assert_string_equal(tag, "latest");
	free(path);
	free(tag);
	assert_int_equal(oci_ref_parse("oci-layout:/srv/img:busybox:1.36", &path, &tag, NULL), 0);
	assert_string_equal(path, "/srv/img");
	assert_string_equal(tag, "busybox:1.36");
	free(path);
	free(tag);
	/* A ':' before the last '/' belongs to the path. */
	assert_int_equal(oci_ref_parse("oci-layout:/a:b/c", &path, &tag, NULL), 0);
	assert_string_equal(path, "/a:b/c");
	assert_null(tag);
	free(path);
	assert_int_equal(oci_ref_parse("oci-layout:relative/x", &path, &tag, NULL), -EINVAL);
	assert_int_equal(oci_ref_parse("oci-layout:/x:", &path, &tag, NULL), -EINVAL);
	assert_int_equal(oci_ref_parse("busybox:latest", &path, &tag, NULL), -ENOTSUP);
	assert_true(image_ref_supported("oci-layout:/x"));
	/* Registry names are supported since issue 5; malformed ones are not. */
	assert_true(image_ref_supported("docker.io/library/busybox"));
	assert_false(image_ref_supported("Docker.io/Library/BusyBox!"));
	struct image img;
	assert_int_equal(image_resolve_local("/nonexistent", "busybox", &img, NULL), -ENOTSUP);
}

static void test_resolve_busybox(void **state)
{
	(void)state;
	_cleanup_free_ char *data = new_dir("data-busybox");
	struct image img;
	struct ecs_err err = { 0 };
	int r = image_resolve_local(data, busybox_ref, &img, &err);
	assert_int_equal(r, 0);
	assert_string_equal(img.reference, busybox_ref);
	assert_memory_equal(img.digest, "sha256:", 7);
	assert_null(img.entrypoint);
	assert_non_null(img.cmd);
	assert_string_equal(img.cmd[0], "sh");
	assert_null(img.cmd[1]);
	assert_non_null(img.env);
	assert_memory_equal(img.env[0], "PATH=", 5);
	assert_null(img.working_dir);
	assert_null(img.user);
	assert_int_equal(img.n_layers, 1);
	assert_null(img.layer_dirs[1]);

	const char *l = img.layer_dirs[0];
	struct stat st;
	char p[4096];
	snprintf(p, sizeof(p), "%s/bin/busybox", l);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode) && (st.st_mode & 0111));
	snprintf(p, sizeof(p), "%s/bin/sh", l);
	char target[64] = "";
	assert_true(readlink(p, target, sizeof(target) - 1) > 0);
	assert_string_equal(target, "/bin/busybox");
	snprintf(p, sizeof(p), "%s/tmp", l);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 01777);
	snprintf(p, sizeof(p), "%s/home/app", l);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1000);
	assert_true(exists("%s/etc/passwd", l));
	assert_true(exists("%s/usr/bin/env", l));
	/* Stored under its diff ID; nothing temporary left. */
	_cleanup_free_ char *layers = xasprintf("%s/layers/sha256", data);
	assert_int_equal(count_entries(layers, ""), 1);
	_cleanup_free_ char *top = xasprintf("%s/layers", data);
	assert_int_equal(count_entries(top, "tmp-"), 0);

	/* A layout image has a record too (the collector must see its layers
	 * as referenced), updated on every resolve. */
	struct image_record rec;
	assert_int_equal(image_record_load(data, busybox_ref, &rec, &err), 0);
	assert_string_equal(rec.manifest_digest, img.digest);
	assert_int_equal(rec.n_layers, 1);
	assert_string_equal(rec.layers[0] + strlen("sha256:"), strrchr(l, '/') + 1);
	assert_true(rec.size > 0);
	int64_t pulled = rec.pulled_at_ms, used = rec.last_used_ms;
	image_record_clear(&rec);
	usleep(5000);
	struct image again;
	assert_int_equal(image_resolve_local(data, busybox_ref, &again, &err), 0);
	assert_int_equal(image_record_load(data, busybox_ref, &rec, &err), 0);
	assert_int_equal(rec.pulled_at_ms, pulled);
	assert_true(rec.last_used_ms > used);
	image_record_clear(&rec);
	image_clear(&again);
	image_clear(&img);
	image_clear(&img); /* idempotent */
}

static void test_second_resolve_reuses(void **state)
{
	(void)state;
	_cleanup_free_ char *data = new_dir("data-reuse");
	struct image a, b;
	struct ecs_err err = { 0 };
	assert_int_equal(image_resolve_local(data, busybox_ref, &a, &err), 0);
	/* A marker planted in the unpacked layer survives: no second unpack. */
	_cleanup_free_ char *marker = xasprintf("%s/marker", a.layer_dirs[0]);
	int fd = open(marker, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	/* A stale unpack from a crash is swept. */
	_cleanup_free_ char *stale = xasprintf("%s/layers/tmp-crashed/bin", data);
	assert_int_equal(fs_mkdir_p(stale, 0755, NULL), 0);
	assert_int_equal(image_resolve_local(data, busybox_ref, &b, &err), 0);
	assert_string_equal(a.layer_dirs[0], b.layer_dirs[0]);
	assert_string_equal(a.digest, b.digest);
	assert_true(exists("%s", marker));
	_cleanup_free_ char *top = xasprintf("%s/layers", data);
	assert_int_equal(count_entries(top, "tmp-"), 0);
	image_clear(&a);
	image_clear(&b);
}

static void test_tags(void **state)
{
	(void)state;
	_cleanup_free_ char *ref1 = mkimage("tags", "--tag busybox:latest --compression zstd");
	_cleanup_free_ char *ref2 = mkimage(
		"tags", "--tag tool:v2 --compression zstd --entrypoint '[\"/bin/echo\",\"hi\"]' "
			"--env A=b --workdir /tmp --user app:wheel");
	_cleanup_free_ char *data = new_dir("data-tags");
	struct image img;
	struct ecs_err err = { 0 };

	assert_int_equal(image_resolve_local(data, ref2, &img, &err), 0);
	assert_string_equal(img.entrypoint[0], "/bin/echo");
	assert_string_equal(img.entrypoint[1], "hi");
	assert_null(img.entrypoint[2]);
	assert_null(img.cmd);
	assert_string_equal(img.env[1], "A=b");
	assert_string_equal(img.working_dir, "/tmp");
	assert_string_equal(img.user, "app:wheel");
	image_clear(&img);

	assert_int_equal(image_resolve_local(data, ref1, &img, &err), 0);
	assert_string_equal(img.cmd[0], "sh");
	assert_null(img.user);
	image_clear(&img);

	_cleanup_free_ char *none = xasprintf("oci-layout:%s/tags", base_dir);
	assert_int_equal(image_resolve_local(data, none, &img, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "TAG"));
	_cleanup_free_ char *missing = xasprintf("oci-layout:%s/tags:nope:1", base_dir);
	assert_int_equal(image_resolve_local(data, missing, &img, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "nope:1"));
	_cleanup_free_ char *nolayout = xasprintf("oci-layout:%s/absent:x", base_dir);
	assert_int_equal(image_resolve_local(data, nolayout, &img, &err), -ENOENT);
	/* Without a tag, a layout holding one image is enough. */
	_cleanup_free_ char *shared = xasprintf("oci-layout:%s/shared", base_dir);
	assert_int_equal(image_resolve_local(data, shared, &img, &err), 0);
	image_clear(&img);
}

/* Flip one byte in the middle of the blob named by `digest` ("sha256:..."). */
static void corrupt_blob(const char *layout, const char *hex)
{
	_cleanup_free_ char *p = xasprintf("%s/%s/blobs/sha256/%s", base_dir, layout, hex);
	int fd = open(p, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	unsigned char c;
	off_t off = st.st_size / 2;
	assert_int_equal(pread(fd, &c, 1, off), 1);
	c ^= 0x20;
	assert_int_equal(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

/* The largest blob in a layout (the busybox layer). */
static void largest_blob(const char *layout, char hex[DIGEST_HEX_LEN + 1])
{
	_cleanup_free_ char *dir = xasprintf("%s/%s/blobs/sha256", base_dir, layout);
	DIR *d = opendir(dir);
	assert_non_null(d);
	off_t best = -1;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, 0) < 0)
			continue;
		if (st.st_size > best) {
			best = st.st_size;
			memcpy(hex, de->d_name, DIGEST_HEX_LEN);
			hex[DIGEST_HEX_LEN] = '\0';
		}
	}
	closedir(d);
}

static void assert_nothing_unpacked(const char *data)
{
	_cleanup_free_ char *layers = xasprintf("%s/layers/sha256", data);
	_cleanup_free_ char *top = xasprintf("%s/layers", data);
	assert_int_equal(count_entries(layers, ""), 0);
	assert_int_equal(count_entries(top, "tmp-"), 0);
}

static void test_digest_mismatch(void **state)
{
	(void)state;
	struct image img;
	struct ecs_err err = { 0 };
	char hex[DIGEST_HEX_LEN + 1];

	/* A layer whose bytes changed after the manifest was written. */
	_cleanup_free_ char *ref = mkimage("bad-layer", "--tag t:1 --compression none");
	largest_blob("bad-layer", hex);
	corrupt_blob("bad-layer", hex);
	_cleanup_free_ char *data = new_dir("data-bad-layer");
	assert_int_equal(image_resolve_local(data, ref, &img, &err), -EINVAL);
	assert_non_null(strstr(err.msg, hex));
	assert_non_null(strstr(err.msg, "digest"));
	assert_nothing_unpacked(data);

	/* A layer that decompresses to something else than its diff ID. */
	_cleanup_free_ char *ref2 = mkimage("bad-diff", "--tag t:1 --corrupt-diff-id");
	_cleanup_free_ char *data2 = new_dir("data-bad-diff");
	assert_int_equal(image_resolve_local(data2, ref2, &img, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "diff ID"));
	assert_nothing_unpacked(data2);

	/* A corrupted JSON blob: the manifest. */
	_cleanup_free_ char *ref3 = mkimage("bad-manifest", "--tag t:1 --compression none");
	_cleanup_free_ char *index = xasprintf("%s/bad-manifest/index.json", base_dir);
	FILE *f = fopen(index, "re");
	assert_non_null(f);
	char buf[4096] = "";
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *d = strstr(buf, "\"digest\":\"sha256:");
	assert_non_null(d);
	memcpy(hex, d + 17, DIGEST_HEX_LEN);
	hex[DIGEST_HEX_LEN] = '\0';
	corrupt_blob("bad-manifest", hex);
	_cleanup_free_ char *data3 = new_dir("data-bad-manifest");
	assert_int_equal(image_resolve_local(data3, ref3, &img, &err), -EINVAL);
	assert_non_null(strstr(err.msg, hex));
}

/* A minimal ustar writer for hand-made hostile layers. */
static void tar_entry(FILE *f, const char *name, char type, const char *link, const char *data)
{
	unsigned char h[512] = { 0 };
	size_t size = data ? strlen(data) : 0;
	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", type == '5' ? 0755 : 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011o", (unsigned)size);
	snprintf((char *)h + 136, 12, "%011o", 0);
	h[156] = (unsigned char)type;
	if (link)
		snprintf((char *)h + 157, 100, "%s", link);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (size_t i = 0; i < sizeof(h); i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	assert_int_equal(fwrite(h, 1, sizeof(h), f), sizeof(h));
	if (size) {
		unsigned char pad[512] = { 0 };
		assert_int_equal(fwrite(data, 1, size, f), size);
		assert_int_equal(fwrite(pad, 1, (512 - size % 512) % 512, f), (512 - size % 512) % 512);
	}
}

struct entry {
	const char *name;
	char type;
	const char *link;
	const char *data;
};

/* Build a layout of busybox plus a layer of `entries`; resolve it. */
static int resolve_with_layer(const char *name, const struct entry *entries, size_t n,
			      char **data_out, struct image *img, struct ecs_err *err)
{
	_cleanup_free_ char *tar = xasprintf("%s/%s.tar", base_dir, name);
	FILE *f = fopen(tar, "we");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		tar_entry(f, entries[i].name, entries[i].type, entries[i].link, entries[i].data);
	unsigned char zero[1024] = { 0 };
	assert_int_equal(fwrite(zero, 1, sizeof(zero), f), sizeof(zero));
	fclose(f);
	_cleanup_free_ char *args = xasprintf("--tag t:1 --compression none --layer-tar %s", tar);
	_cleanup_free_ char *ref = mkimage(name, args);
	_cleanup_free_ char *dname = xasprintf("data-%s", name);
	*data_out = new_dir(dname);
	return image_resolve_local(*data_out, ref, img, err);
}

static void assert_only_base_layer(const char *data)
{
	_cleanup_free_ char *layers = xasprintf("%s/layers/sha256", data);
	_cleanup_free_ char *top = xasprintf("%s/layers", data);
	assert_int_equal(count_entries(layers, ""), 1);
	assert_int_equal(count_entries(top, "tmp-"), 0);
}

static void test_path_traversal(void **state)
{
	(void)state;
	struct image img;
	struct ecs_err err = { 0 };
	_cleanup_free_ char *outside = new_dir("outside");
	_cleanup_free_ char *victim = xasprintf("%s/victim", outside);
	FILE *f = fopen(victim, "we");
	assert_non_null(f);
	fputs("keep", f);
	fclose(f);
	char *data;

	const struct entry dotdot[] = { { "a/../../escaped", '0', NULL, "x" } };
	assert_int_equal(resolve_with_layer("dotdot", dotdot, 1, &data, &img, &err), -EINVAL);
	assert_non_null(strstr(err.msg, ".."));
	assert_false(exists("%s/escaped", base_dir));
	assert_only_base_layer(data);
	free(data);

	/* Writing through a symlink the layer planted is refused. */
	const struct entry through[] = { { "esc", '2', outside, NULL },
					 { "esc/pwned", '0', NULL, "x" } };
	assert_true(resolve_with_layer("symlink", through, 2, &data, &img, &err) < 0);
	assert_false(exists("%s/pwned", outside));
	assert_only_base_layer(data);
	free(data);

	/* Hardlinks may only name files of the layer itself. */
	const struct entry hl_out[] = { { "hl", '1', "../../../../../etc/hostname", NULL } };
	assert_int_equal(resolve_with_layer("hl-dotdot", hl_out, 1, &data, &img, &err), -EINVAL);
	assert_only_base_layer(data);
	free(data);
	const struct entry hl_sym[] = { { "s", '2', outside, NULL }, { "h", '1', "s/victim", NULL } };
	assert_true(resolve_with_layer("hl-symlink", hl_sym, 2, &data, &img, &err) < 0);
	assert_only_base_layer(data);
	free(data);
	struct stat st;
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_nlink, 1);

	/* Absolute names land inside the layer; in-layer hardlinks work. */
	const struct entry abs[] = { { "/abs/file", '0', NULL, "content" },
				     { "abs/link", '1', "/abs/file", NULL } };
	assert_int_equal(resolve_with_layer("absolute", abs, 2, &data, &img, &err), 0);
	assert_int_equal(img.n_layers, 2);
	_cleanup_free_ char *file = xasprintf("%s/abs/file", img.layer_dirs[1]);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_size, 7);
	assert_int_equal(st.st_nlink, 2);
	image_clear(&img);
	free(data);
}

static void test_whiteouts_and_overlay(void **state)
{
	(void)state;
	/* Layer 2 ships data/keep; layer 3 makes data/ opaque and adds
	 * data/new; layer 4 deletes bin/ls. */
	_cleanup_free_ char *l2 = new_dir("wh-l2");
	_cleanup_free_ char *l3 = new_dir("wh-l3");
	char *p = xasprintf("%s/data/keep", l2);
	assert_int_equal(fs_mkdir_p(p, 0755, NULL), 0);
	free(p);
	p = xasprintf("%s/data", l3);
	assert_int_equal(fs_mkdir_p(p, 0755, NULL), 0);
	free(p);
	p = xasprintf("%s/data/.wh..wh..opq", l3);
	close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	free(p);
	p = xasprintf("%s/data/new", l3);
	close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	free(p);
	_cleanup_free_ char *args = xasprintf(
		"--tag wh:1 --extra-layer %s --extra-layer %s --whiteout /bin/ls", l2, l3);
	_cleanup_free_ char *ref = mkimage("whiteouts", args);
	_cleanup_free_ char *data = new_dir("data-whiteouts");
	struct image img;
	struct ecs_err err = { 0 };
	assert_int_equal(image_resolve_local(data, ref, &img, &err), 0);
	assert_int_equal(img.n_layers, 4);

	struct stat st;
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s/bin/ls", img.layer_dirs[3]);
	assert_int_equal(lstat(buf, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(0, 0));
	assert_false(exists("%s/bin/.wh.ls", img.layer_dirs[3]));
	snprintf(buf, sizeof(buf), "%s/data", img.layer_dirs[2]);
	char val[8] = "";
	assert_int_equal(lgetxattr(buf, "trusted.overlay.opaque", val, sizeof(val)), 1);
	assert_int_equal(val[0], 'y');
	assert_false(exists("%s/data/.wh..wh..opq", img.layer_dirs[2]));
	assert_true(exists("%s/data/new", img.layer_dirs[2]));

	/* The overlay shows the merged view. */
	_cleanup_free_ char *ctr = xasprintf("%s/ctr", base_dir);
	assert_int_equal(rootfs_mount(&img, ctr, &err), 0);
	_cleanup_free_ char *root = xasprintf("%s/rootfs", ctr);
	assert_true(rootfs_is_mounted(root));
	assert_int_equal(rootfs_mount(&img, ctr, &err), 0); /* already mounted */
	assert_true(exists("%s/bin/busybox", root));
	assert_false(exists("%s/bin/ls", root));
	assert_true(exists("%s/bin/cat", root));
	assert_true(exists("%s/data/new", root));
	assert_false(exists("%s/data/keep", root));

	/* Writes land in the upper directory, never in a layer. */
	p = xasprintf("%s/tmp/written", root);
	int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	free(p);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_true(exists("%s/upper/tmp/written", ctr));
	assert_false(exists("%s/tmp/written", img.layer_dirs[0]));

	/* A user resolved through the mounted rootfs. */
	uid_t uid;
	gid_t gid, *gids;
	size_t n;
	assert_int_equal(image_resolve_user(root, "app", &uid, &gid, &gids, &n, &err), 0);
	assert_int_equal(uid, 1000);
	assert_int_equal(gid, 1000);
	assert_int_equal(n, 1);
	assert_int_equal(gids[0], 10);
	free(gids);

	assert_int_equal(rootfs_remove(ctr, &err), 0);
	assert_false(rootfs_is_mounted(root));
	assert_false(exists("%s", root));
	assert_false(exists("%s/upper", ctr));
	assert_false(exists("%s/work", ctr));
	assert_int_equal(rootfs_remove(ctr, &err), 0); /* nothing left: fine */
	assert_true(exists("%s/bin/busybox", img.layer_dirs[0]));
	image_clear(&img);
}

static void test_overlay_options_too_long(void **state)
{
	(void)state;
	char *dirs[201] = { 0 };
	struct image img = { .layer_dirs = dirs, .n_layers = 200 };
	for (size_t i = 0; i < img.n_layers; i++)
		dirs[i] = xasprintf("/var/lib/ecs-agent/layers/sha256/%064zu", i);
	_cleanup_free_ char *ctr = xasprintf("%s/ctr-long", base_dir);
	struct ecs_err err = { 0 };
	assert_int_equal(rootfs_mount(&img, ctr, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "200 layers"));
	_cleanup_free_ char *root = xasprintf("%s/rootfs", ctr);
	assert_false(rootfs_is_mounted(root));
	assert_int_equal(rootfs_remove(ctr, &err), 0);
	for (size_t i = 0; i < img.n_layers; i++)
		free(dirs[i]);
	fs_rm_rf(ctr, NULL);
}

static void write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void check_user(const char *root, const char *spec, int want_r, uid_t want_uid,
		       gid_t want_gid, size_t want_n, const gid_t *want_gids)
{
	uid_t uid = 99;
	gid_t gid = 99, *gids = NULL;
	size_t n = 99;
	struct ecs_err err = { 0 };
	int r = image_resolve_user(root, spec, &uid, &gid, &gids, &n, &err);
	if (r != want_r)
		fail_msg("spec \"%s\": %d (%s), want %d", spec ? spec : "(null)", r, err.msg, want_r);
	if (r < 0) {
		assert_null(gids);
		return;
	}
	assert_int_equal(uid, want_uid);
	assert_int_equal(gid, want_gid);
	assert_int_equal(n, want_n);
	for (size_t i = 0; i < want_n; i++)
		assert_int_equal(gids[i], want_gids[i]);
	free(gids);
}

static void test_users(void **state)
{
	(void)state;
	_cleanup_free_ char *root = new_dir("users");
	_cleanup_free_ char *etc = xasprintf("%s/etc", root);
	assert_int_equal(mkdir(etc, 0755), 0);
	_cleanup_free_ char *pw = xasprintf("%s/passwd", etc);
	_cleanup_free_ char *gr = xasprintf("%s/group", etc);
	write_file(pw, "root:x:0:0:root:/root:/bin/sh\n"
		       "# comment\n"
		       "broken line\n"
		       "nobody:x:65534:65534::/:/bin/false\n"
		       "app:x:1000:1000::/home/app:/bin/sh\n"
		       "2000:x:3000:3000::/:/bin/sh\n");
	write_file(gr, "root:x:0:\nwheel:x:10:app,root\nstaff:x:50:app\napp:x:1000:\n"
		       "nogroup:x:65534:\n");
	const gid_t app_groups[] = { 10, 50 }, root_groups[] = { 10 };

	check_user(root, NULL, 0, 0, 0, 1, root_groups);
	check_user(root, "", 0, 0, 0, 1, root_groups);
	check_user(root, "root", 0, 0, 0, 1, root_groups);
	check_user(root, "app", 0, 1000, 1000, 2, app_groups);
	check_user(root, "1000", 0, 1000, 1000, 2, app_groups);
	check_user(root, "nobody", 0, 65534, 65534, 0, NULL);
	check_user(root, "app:wheel", 0, 1000, 10, 0, NULL);
	check_user(root, "app:5", 0, 1000, 5, 0, NULL);
	check_user(root, "app:", 0, 1000, 1000, 2, app_groups);
	check_user(root, "1000:1000", 0, 1000, 1000, 0, NULL);
	check_user(root, "4242", 0, 4242, 0, 0, NULL);
	check_user(root, "4242:app", 0, 4242, 1000, 0, NULL);
	check_user(root, "4242:777", 0, 4242, 777, 0, NULL);
	/* A name that looks numeric is matched by name first. */
	check_user(root, "2000", 0, 3000, 3000, 0, NULL);
	check_user(root, "ghost", -ENOENT, 0, 0, 0, NULL);
	check_user(root, "app:ghosts", -ENOENT, 0, 0, 0, NULL);
	check_user(root, "-1", -ENOENT, 0, 0, 0, NULL);
	check_user(root, "4294967295", -ENOENT, 0, 0, 0, NULL);

	uid_t uid;
	gid_t gid, *gids;
	size_t n;
	struct ecs_err err = { 0 };
	assert_int_equal(image_resolve_user(root, "ghost", &uid, &gid, &gids, &n, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "ghost"));

	/* No passwd at all: numeric users only. */
	unlink(pw);
	unlink(gr);
	check_user(root, "1234:5", 0, 1234, 5, 0, NULL);
	check_user(root, "root", -ENOENT, 0, 0, 0, NULL);

	/* Symlinks resolve inside the root: an absolute target is the image's
	 * file, and /proc/self/root cannot reach the host's passwd. */
	_cleanup_free_ char *real = xasprintf("%s/real-passwd", etc);
	write_file(real, "inside:x:77:78::/:/bin/sh\n");
	assert_int_equal(symlink("/etc/real-passwd", pw), 0);
	check_user(root, "inside", 0, 77, 78, 0, NULL);
	unlink(pw);
	assert_int_equal(symlink("/proc/self/root/etc/passwd", pw), 0);
	check_user(root, "root", -ENOENT, 0, 0, 0, NULL);
	unlink(pw);
	assert_int_equal(symlink("../../../../../../../etc/real-passwd", pw), 0);
	check_user(root, "inside", 0, 77, 78, 0, NULL);
	check_user(root, "root", -ENOENT, 0, 0, 0, NULL);
	unlink(pw);
	/* A FIFO must not block the agent. */
	assert_int_equal(mkfifo(pw, 0644), 0);
	assert_int_equal(image_resolve_user(root, "root", &uid, &gid, &gids, &n, &err), -EINVAL);
}

/* The daemon's cache answers a known reference without the helper (a
 * helper that cannot run proves it), and goes back to the helper when the
 * layout changes or a layer disappears. */
static void test_cache(void **state)
{
	(void)state;
	_cleanup_free_ char *data = new_dir("data-cache");
	_cleanup_free_ char *ref = mkimage("cache", "--tag cached:1");
	assert_non_null(ref);
	struct image_cache *c = image_cache_new();
	struct image a, b;
	struct ecs_err err = { 0 };
	assert_int_equal(image_resolve_cached(c, IMAGE_HELPER, data, ref, &a, &err), 0);
	assert_int_equal(image_resolve_cached(c, "/nonexistent/helper", data, ref, &b, &err), 0);
	assert_string_equal(a.digest, b.digest);
	assert_string_equal(a.layer_dirs[0], b.layer_dirs[0]);
	image_clear(&b);

	/* A changed index.json: asked again (and the bogus helper fails). */
	_cleanup_free_ char *index_file = xasprintf("%s/cache/index.json", base_dir);
	struct timespec ts[2] = { { .tv_sec = 1 }, { .tv_sec = 1 } };
	assert_int_equal(utimensat(AT_FDCWD, index_file, ts, 0), 0);
	assert_true(image_resolve_cached(c, "/nonexistent/helper", data, ref, &b, &err) < 0);
	assert_int_equal(image_resolve_cached(c, IMAGE_HELPER, data, ref, &b, &err), 0);
	image_clear(&b);
	/* A layer removed (image GC): asked again. */
	assert_int_equal(fs_rm_rf(a.layer_dirs[0], NULL), 0);
	assert_true(image_resolve_cached(c, "/nonexistent/helper", data, ref, &b, &err) < 0);
	assert_int_equal(image_resolve_cached(c, IMAGE_HELPER, data, ref, &b, &err), 0);
	image_clear(&b);
	image_clear(&a);
	image_cache_free(c);
}

struct fetch_seen {
	int calls;
	int last_code;
};

static void on_fetched(void *ud, const struct image *img, const struct ecs_err *err)
{
	struct fetch_seen *seen = ud;
	seen->calls++;
	seen->last_code = img ? 0 : err->code;
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, c;
	while (f && (c = fgetc(f)) != EOF)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

/* The daemon's side: one helper run per reference in flight, but never
 * shared between requests with different per-task credentials; the caller
 * hears the helper's error; busy while a run is in flight. */
static void test_fetcher_joins_same_requests_only(void **state)
{
	(void)state;
	_cleanup_free_ char *dir = new_dir("fetcher");
	_cleanup_free_ char *script = xasprintf("%s/helper.sh", dir);
	_cleanup_free_ char *runs = xasprintf("%s/runs", dir);
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\ncat >/dev/null\necho run >>%s\nsleep 0.3\n"
		   "echo '{\"error\":{\"code\":2,\"message\":\"no such image\"}}'\n", runs);
	fclose(f);
	assert_int_equal(chmod(script, 0755), 0);

	sd_event *ev = NULL;
	assert_true(sd_event_new(&ev) >= 0);
	struct image_cache *cache = image_cache_new();
	struct image_fetcher *fetcher = image_fetcher_new(ev, script, cache);
	assert_non_null(fetcher);
	struct image_request a = { .reference = "registry.example/app:1", .datadir = dir,
				   .username = "u", .password = "right" };
	struct image_request b = a, none = a;
	b.password = "wrong";
	none.username = none.password = NULL;
	struct fetch_seen seen = { 0 };
	struct image_fetch *h[4];
	struct image img;
	struct ecs_err err = { 0 };
	assert_int_equal(image_fetch(fetcher, &a, &img, on_fetched, &seen, &h[0], &err), 0);
	assert_int_equal(image_fetch(fetcher, &b, &img, on_fetched, &seen, &h[1], &err), 0);
	assert_int_equal(image_fetch(fetcher, &a, &img, on_fetched, &seen, &h[2], &err), 0);
	assert_int_equal(image_fetch(fetcher, &none, &img, on_fetched, &seen, &h[3], &err), 0);
	assert_true(image_fetcher_busy(fetcher));
	for (int i = 0; i < 100 && seen.calls < 4; i++)
		assert_true(sd_event_run(ev, 100000) >= 0);
	assert_int_equal(seen.calls, 4);
	assert_int_equal(seen.last_code, 2);
	assert_false(image_fetcher_busy(fetcher));
	assert_int_equal(count_lines(runs), 3);

	image_fetcher_free(fetcher);
	image_cache_free(cache);
	sd_event_unref(ev);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int main(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP agent image tests need root\n");
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_parse),
		cmocka_unit_test(test_resolve_busybox),
		cmocka_unit_test(test_second_resolve_reuses),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_fetcher_joins_same_requests_only),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_digest_mismatch),
		cmocka_unit_test(test_path_traversal),
		cmocka_unit_test(test_whiteouts_and_overlay),
		cmocka_unit_test(test_overlay_options_too_long),
		cmocka_unit_test(test_users),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
