/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container's /etc/hosts, /etc/hostname and /etc/resolv.conf, generated
 * as Docker generates them and bind-mounted by spec-mounts.c. They live
 * outside the rootfs so a read-only rootfs still gets them and the image is
 * never written to.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "runtime/spec-internal.h"

#define ETC_FILE_MAX (1024 * 1024)

static const char default_hosts[] = "127.0.0.1\tlocalhost\n"
				    "::1\tlocalhost ip6-localhost ip6-loopback\n"
				    "fe00::0\tip6-localnet\n"
				    "ff00::0\tip6-mcastprefix\n"
				    "ff02::1\tip6-allnodes\n"
				    "ff02::2\tip6-allrouters\n";

/* What Docker falls back to when filtering leaves no nameserver. */
static const char *const fallback_dns[] = { "8.8.8.8", "8.8.4.4" };

/* A memstream collecting one file's text. */
struct text {
	char *buf;
	size_t len;
	FILE *f;
};

static int text_open(struct text *t, struct ecs_err *err)
{
	t->buf = NULL;
	t->len = 0;
	t->f = open_memstream(&t->buf, &t->len);
	return t->f ? 0 : err_set_errno(err, errno, "open_memstream");
}

static void text_free(struct text *t)
{
	if (t->f)
		fclose(t->f);
	free(t->buf);
}

static int text_write(struct text *t, const char *dir, const char *name, struct ecs_err *err)
{
	char path[4096];

	if (fclose(t->f) != 0) {
		t->f = NULL;
		return err_set(err, ENOMEM, "out of memory");
	}
	t->f = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return err_set(err, ENAMETOOLONG, "%s: path too long", dir);
	return spec_write_file_atomic(path, t->buf, t->len, 0644, err);
}

/* The file's text, or NULL (not an error) when it does not exist. */
static int read_optional(const char *path, char **out, struct ecs_err *err)
{
	*out = NULL;
	if (!path)
		return 0;
	int r = file_read_all(path, ETC_FILE_MAX, out, NULL, err);
	if (r == -ENOENT) {
		err_clear(err);
		return 0;
	}
	return r;
}

static int write_hosts(const struct td_container *td, const char *hostname, enum spec_net net,
		       const char *host_hosts, const char *etc_dir, struct ecs_err *err)
{
	_cleanup_free_ char *base = NULL;
	struct text t;
	int r;

	/* In the host's network namespace the host's names are the truth. */
	if (net == SPEC_NET_HOST && (r = read_optional(host_hosts, &base, err)) < 0)
		return r;
	if ((r = text_open(&t, err)) < 0)
		return r;
	if (base) {
		fputs(base, t.f);
		if (*base && base[strlen(base) - 1] != '\n')
			fputc('\n', t.f);
	} else {
		fputs(default_hosts, t.f);
	}
	for (size_t i = 0; td && i < td->extra_hosts.count; i++) {
		const struct td_host_entry *h = &td->extra_hosts.items[i];
		if (h->ip_address && h->hostname)
			fprintf(t.f, "%s\t%s\n", h->ip_address, h->hostname);
	}
	/* No container address exists in this mode (network none has only
	 * lo), so the name resolves to loopback, where the container's own
	 * services listen. */
	if (net != SPEC_NET_HOST && hostname)
		fprintf(t.f, "127.0.0.1\t%s\n", hostname);
	r = text_write(&t, etc_dir, "hosts", err);
	text_free(&t);
	return r;
}

static int write_hostname(const char *hostname, enum spec_net net, const char *etc_dir,
			  struct ecs_err *err)
{
	char host[256] = "";
	struct text t;
	int r;

	if (net == SPEC_NET_HOST || !hostname) {
		if (gethostname(host, sizeof(host) - 1) < 0)
			return err_set_errno(err, errno, "gethostname");
		hostname = host;
	}
	if ((r = text_open(&t, err)) < 0)
		return r;
	fprintf(t.f, "%s\n", hostname);
	r = text_write(&t, etc_dir, "hostname", err);
	text_free(&t);
	return r;
}

static bool is_loopback_ns(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0;
}

/* The first whitespace-separated word of `line` is `kw`; *rest points
 * after it. */
static bool keyword(const char *line, const char *kw, const char **rest)
{
	size_t n = strlen(kw);
	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, kw, n) != 0 || (line[n] != ' ' && line[n] != '\t'))
		return false;
	*rest = line + n + strspn(line + n, " \t");
	return true;
}

static int write_resolv(const struct td_container *td, enum spec_net net,
			const char *host_resolv, const char *etc_dir, struct ecs_err *err)
{
	_cleanup_free_ char *base = NULL;
	bool own_servers = td && td->dns_servers.count;
	bool own_search = td && td->dns_search_domains.count;
	size_t servers = 0;
	struct text t;
	int r;

	if ((r = read_optional(host_resolv, &base, err)) < 0)
		return r;
	if ((r = text_open(&t, err)) < 0)
		return r;

	/* Keep the host's file line by line, minus what the task replaces
	 * and, off the host network, the loopback resolvers the container
	 * cannot reach (Docker's filtering). */
	for (char *line = base, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		const char *rest;
		if (keyword(line, "nameserver", &rest)) {
			if (own_servers || (net != SPEC_NET_HOST && is_loopback_ns(rest)))
				continue;
			servers++;
		} else if (own_search && (keyword(line, "search", &rest) ||
					  keyword(line, "domain", &rest))) {
			continue;
		}
		fprintf(t.f, "%s\n", line);
	}
	if (own_search) {
		fputs("search", t.f);
		for (size_t i = 0; i < td->dns_search_domains.count; i++)
			fprintf(t.f, " %s", td->dns_search_domains.items[i]);
		fputc('\n', t.f);
	}
	for (size_t i = 0; own_servers && i < td->dns_servers.count; i++)
		fprintf(t.f, "nameserver %s\n", td->dns_servers.items[i]);
	if (!own_servers && !servers && net != SPEC_NET_HOST)
		for (size_t i = 0; i < ARRAY_SIZE(fallback_dns); i++)
			fprintf(t.f, "nameserver %s\n", fallback_dns[i]);
	r = text_write(&t, etc_dir, "resolv.conf", err);
	text_free(&t);
	return r;
}

int spec_write_etc_files(const struct td_container *td, const char *hostname, enum spec_net net,
			 const char *host_resolv, const char *host_hosts, const char *etc_dir,
			 struct ecs_err *err)
{
	int r;

	if (mkdir(etc_dir, 0755) < 0 && errno != EEXIST)
		return err_set_errno(err, errno, "creating %s", etc_dir);
	if ((r = write_hosts(td, hostname, net, host_hosts, etc_dir, err)) < 0 ||
	    (r = write_hostname(hostname, net, etc_dir, err)) < 0 ||
	    (r = write_resolv(td, net, host_resolv, etc_dir, err)) < 0)
		return r;
	return 0;
}
