/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The journald driver, speaking journald's native protocol directly: one
 * datagram per entry on the journal socket, each field "KEY=VALUE\n", or
 * for values that may hold a newline "KEY\n" + 64-bit little-endian length
 * + value + "\n". libsystemd would do the same but cannot be linked into the
 * static shim.
 *
 * Without a journal socket (no journald on the host, or it is restarting)
 * entries are dropped and counted, never queued: the container must not
 * stall on its logs.
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "logger.h"

/* Fixed fields + --log-field ones, four iovecs each at most, + MESSAGE. */
#define JD_IOV_MAX ((SHIM_MAX_FIELDS + 8) * 4)

struct jd_msg {
	struct iovec iov[JD_IOV_MAX];
	size_t n;
	uint64_t lens[SHIM_MAX_FIELDS + 8]; /* storage for binary lengths */
	size_t n_lens;
};

static void add(struct jd_msg *m, const void *p, size_t len)
{
	m->iov[m->n].iov_base = (void *)p;
	m->iov[m->n].iov_len = len;
	m->n++;
}

/* Append KEY (klen bytes) and VALUE in the form the value needs. */
static void add_field(struct jd_msg *m, const char *key, size_t klen, const char *value,
		      size_t vlen)
{
	if (!memchr(value, '\n', vlen)) {
		add(m, key, klen);
		add(m, "=", 1);
		add(m, value, vlen);
		add(m, "\n", 1);
		return;
	}
	uint64_t *le = &m->lens[m->n_lens++];
	*le = htole64((uint64_t)vlen);
	add(m, key, klen);
	add(m, "\n", 1);
	add(m, le, sizeof(*le));
	add(m, value, vlen);
	add(m, "\n", 1);
}

static bool has_field(const struct shim_logger *lg, const char *key)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i < lg->n_fields; i++)
		if (strncmp(lg->fields[i], key, klen) == 0 && lg->fields[i][klen] == '=')
			return true;
	return false;
}

static const char *field_value(const struct shim_logger *lg, const char *key)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i < lg->n_fields; i++)
		if (strncmp(lg->fields[i], key, klen) == 0 && lg->fields[i][klen] == '=')
			return lg->fields[i] + klen + 1;
	return NULL;
}

static void journald_write(struct shim_logger *lg, const struct shim_entry *e)
{
	struct jd_msg m;
	m.n = m.n_lens = 0;

	size_t len = e->len;
	if (!e->partial && len > 0 && e->data[len - 1] == '\n')
		len--; /* the newline ends the entry; it is not part of it */
	add_field(&m, "MESSAGE", 7, e->data, len);
	add(&m, e->stream->priority == 3 ? "PRIORITY=3\n" : "PRIORITY=6\n", 11);
	if (e->partial)
		add(&m, "CONTAINER_PARTIAL_MESSAGE=true\n", 31);

	for (size_t i = 0; i < lg->n_fields; i++) {
		const char *f = lg->fields[i];
		const char *eq = strchr(f, '=');
		add_field(&m, f, (size_t)(eq - f), eq + 1, strlen(eq + 1));
	}
	if (!has_field(lg, "CONTAINER_ID_FULL"))
		add_field(&m, "CONTAINER_ID_FULL", 17, lg->id, strlen(lg->id));
	if (!has_field(lg, "SYSLOG_IDENTIFIER")) {
		const char *ident = field_value(lg, "CONTAINER_NAME");
		if (!ident)
			ident = lg->id;
		add_field(&m, "SYSLOG_IDENTIFIER", 17, ident, strlen(ident));
	}

	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strncpy(sa.sun_path, lg->socket_path, sizeof(sa.sun_path) - 1);
	struct msghdr mh = {
		.msg_name = &sa,
		.msg_namelen = sizeof(sa),
		.msg_iov = m.iov,
		.msg_iovlen = m.n,
	};
	ssize_t r;
	do
		r = sendmsg(lg->sock, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		lg->dropped++;
		lg->last_errno = errno;
	}
}

static void journald_close(struct shim_logger *lg)
{
	if (lg->sock >= 0)
		close(lg->sock);
	lg->sock = -1;
}

static const struct shim_log_ops journald_ops = {
	.write = journald_write,
	.close = journald_close,
};

int journald_open(struct shim_logger *lg, const char *socket_path, const char *id,
		  const char *const *fields, size_t n_fields)
{
	memset(lg, 0, sizeof(*lg));
	lg->fd = lg->sock = -1;
	if (strlen(socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	if (n_fields > SHIM_MAX_FIELDS)
		return -E2BIG;
	lg->socket_path = socket_path;
	lg->id = id;
	lg->fields = fields;
	lg->n_fields = n_fields;
	lg->ops = &journald_ops;
	/* Unconnected: each send names the socket, so a journald restart
	 * costs only the entries sent while it was away. */
	lg->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (lg->sock < 0)
		return -errno;
	/* A journald that stops reading must not freeze the container's
	 * output for long: after a second, drop and count. */
	struct timeval tv = { .tv_sec = 1 };
	setsockopt(lg->sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* Entries are at most 16 KiB plus fields; make sure the datagram
	 * fits whatever wmem_default is. */
	int sndbuf = 8 * SHIM_LINE_MAX;
	setsockopt(lg->sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	return 0;
}
