/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconf.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ids.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>

/* getrandom() on the urandom pool only blocks before the pool is seeded at
 * boot; a short read is retried. Instance tokens come from here, so the
 * bytes must really be random: without getrandom() we read /dev/urandom,
 * and a host with neither cannot safely issue tokens at all, so that is
 * fatal rather than a silent run of zeros. */
static void random_bytes(uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		got += (size_t)r;
	}
	if (got == n)
		return;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (fd >= 0)
		close(fd);
	if (got < n) {
		fprintf(stderr, "ecs-controlplane: no source of random bytes (getrandom, /dev/urandom)\n");
		abort();
	}
}

static void hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

void id_uuid4(char out[ID_UUID_LEN + 1])
{
	uint8_t b[16] = { 0 };
	char h[33];
	random_bytes(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	hex(b, sizeof(b), h);
	snprintf(out, ID_UUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16,
		 h + 20);
}

void id_random_hex(char *out, size_t nbytes)
{
	uint8_t b[64] = { 0 };
	size_t done = 0;
	while (done < nbytes) {
		size_t n = nbytes - done < sizeof(b) ? nbytes - done : sizeof(b);
		random_bytes(b, n);
		hex(b, n, out + 2 * done);
		done += n;
	}
	if (nbytes == 0)
		out[0] = '\0';
}

void id_random_alnum(char *out, size_t n)
{
	static const char set[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	for (size_t i = 0; i < n; i++) {
		uint8_t b;
		/* Rejection sampling keeps the 62 characters equally likely. */
		do
			random_bytes(&b, 1);
		while (b >= 248);
		out[i] = set[b % 62];
	}
	out[n] = '\0';
}
