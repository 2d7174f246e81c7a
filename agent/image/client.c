/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's side of image resolution: run ecs-agent-image and read its
 * answer (see image.h for why it is a separate process). */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "image/image-internal.h"
#include "image/image.h"
#include "json.h"
#include "subprocess.h"


/* Here rather than with the parsers: the daemon's side (user lookup, this
 * file) needs it without linking libimage.a. */
void oci_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void image_clear(struct image *img)
{
	if (!img)
		return;
	free(img->reference);
	free(img->digest);
	oci_strv_free(img->entrypoint);
	oci_strv_free(img->cmd);
	oci_strv_free(img->env);
	free(img->working_dir);
	free(img->user);
	oci_strv_free(img->layer_dirs);
	*img = (struct image){ 0 };
}

static void w_strv(struct json_writer *w, const char *key, char *const *v)
{
	json_w_key(w, key);
	if (!v) {
		json_w_null(w);
		return;
	}
	json_w_array_begin(w);
	for (size_t i = 0; v[i]; i++)
		json_w_string(w, v[i]);
	json_w_array_end(w);
}

char *image_to_json(const struct image *img, struct ecs_err *err)
{
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	json_w_object_begin(w);
	json_w_member(w, "reference", img->reference);
	json_w_member(w, "digest", img->digest);
	w_strv(w, "entrypoint", img->entrypoint);
	w_strv(w, "cmd", img->cmd);
	w_strv(w, "env", img->env);
	json_w_member(w, "workingDir", img->working_dir);
	json_w_member(w, "user", img->user);
	w_strv(w, "layers", img->layer_dirs);
	json_w_object_end(w);
	return json_writer_finish(w, NULL, err);
}

static int r_str(const json_node *root, const char *key, char **out, struct ecs_err *err)
{
	const json_node *n = json_get(root, key);
	*out = NULL;
	if (!n || json_type(n) == JSON_NULL)
		return 0;
	const char *s = json_string(n);
	if (!s)
		return err_set(err, EBADMSG, "image helper: %s is not a string", key);
	*out = strdup(s);
	return *out ? 0 : err_set(err, ENOMEM, "out of memory");
}

static int r_strv(const json_node *root, const char *key, char ***out, size_t *count,
		  struct ecs_err *err)
{
	const json_node *n = json_get(root, key);
	*out = NULL;
	if (!n || json_type(n) == JSON_NULL)
		return 0;
	if (json_type(n) != JSON_ARRAY)
		return err_set(err, EBADMSG, "image helper: %s is not a list", key);
	size_t len = json_array_size(n);
	char **v = calloc(len + 1, sizeof(*v));
	if (!v)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		const char *s = json_string(json_array_get(n, i));
		if (!s || !(v[i] = strdup(s))) {
			oci_strv_free(v);
			return err_set(err, s ? ENOMEM : EBADMSG, "image helper: %s[%zu]", key, i);
		}
	}
	*out = v;
	if (count)
		*count = len;
	return 0;
}

int image_from_json(const char *json, size_t len, struct image *out, struct ecs_err *err)
{
	*out = (struct image){ 0 };
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(json, len, err);
	if (!doc)
		return err_wrap(err, "image helper answer");
	const json_node *root = json_root(doc);
	if (json_type(root) != JSON_OBJECT)
		return err_set(err, EBADMSG, "image helper: answer is not an object");
	const json_node *e = json_get(root, "error");
	if (e) {
		int64_t code = 0;
		const char *msg = json_string(json_get(e, "message"));
		if (!json_integer(json_get(e, "code"), &code) || code <= 0 || code > 4095)
			code = EIO;
		return err_set(err, (int)code, "%s", msg ? msg : "image helper failed");
	}
	int r = r_str(root, "reference", &out->reference, err);
	if (r >= 0)
		r = r_str(root, "digest", &out->digest, err);
	if (r >= 0)
		r = r_strv(root, "entrypoint", &out->entrypoint, NULL, err);
	if (r >= 0)
		r = r_strv(root, "cmd", &out->cmd, NULL, err);
	if (r >= 0)
		r = r_strv(root, "env", &out->env, NULL, err);
	if (r >= 0)
		r = r_str(root, "workingDir", &out->working_dir, err);
	if (r >= 0)
		r = r_str(root, "user", &out->user, err);
	if (r >= 0)
		r = r_strv(root, "layers", &out->layer_dirs, &out->n_layers, err);
	if (r >= 0 && (!out->layer_dirs || out->n_layers == 0))
		r = err_set(err, EBADMSG, "image helper: no layers");
	if (r < 0)
		image_clear(out);
	return r;
}

/* Read `fd` to EOF into a NUL-terminated buffer of at most `max` bytes. */
static int read_all(int fd, size_t max, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			char *grown = realloc(buf, cap + 1);
			if (!grown) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
		}
		ssize_t k = read(fd, buf + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			free(buf);
			return -e;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int image_helper_spawn(const char *helper, char *const argv[], int *stdin_fd, int *stdout_fd,
		       pid_t *pid, struct ecs_err *err)
{
	int out[2], in[2] = { -1, -1 };
	if (pipe2(out, O_CLOEXEC) < 0)
		return err_set_errno(err, errno, "image helper pipe");
	if (stdin_fd && pipe2(in, O_CLOEXEC) < 0) {
		int e = errno;
		close(out[0]);
		close(out[1]);
		return err_set_errno(err, e, "image helper pipe");
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	if (stdin_fd)
		posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	else
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	int r = spawn_clean(pid, helper, argv, &fa);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	if (stdin_fd)
		close(in[0]);
	if (r != 0) {
		close(out[0]);
		if (stdin_fd)
			close(in[1]);
		return err_set_errno(err, r, "running %s", helper);
	}
	*stdout_fd = out[0];
	if (stdin_fd)
		*stdin_fd = in[1];
	return 0;
}

int image_resolve(const char *helper, const char *datadir, const char *ref, struct image *out,
		  struct ecs_err *err)
{
	*out = (struct image){ 0 };
	if (strncmp(ref, "oci-layout:", 11) != 0)
		return err_set(err, ENOTSUP, "%s: only oci-layout: references resolve synchronously",
			       ref);
	char *argv[] = { (char *)helper, "resolve", "--datadir", (char *)datadir, (char *)ref,
			 NULL };
	pid_t pid;
	int fd;
	int r = image_helper_spawn(helper, argv, NULL, &fd, &pid, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int rr = read_all(fd, HELPER_OUTPUT_MAX, &buf, &len);
	close(fd);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rr < 0)
		return err_set_errno(err, -rr, "reading the image helper's answer");
	if (len == 0)
		return err_set(err, EIO, "%s: the image helper died without an answer (status %d)",
			       ref, status);
	return image_from_json(buf, len, out, err);
}
