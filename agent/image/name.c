/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Docker image references: `[REGISTRY/]REPOSITORY[:TAG][@ALGO:HEX]`.
 *
 * The grammar is Docker's (distribution's reference package): path
 * components are lowercase alphanumerics joined by one '.', one or two '_'
 * or any number of '-'; a registry is a DNS name, an IPv4 address or a
 * bracketed IPv6 address with an optional numeric port; the whole name,
 * after Docker Hub's defaults are filled in, is at most 255 characters.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/name.h"

#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128
#define SHA256_HEX_LEN 64

static const char *const hub_aliases[] = { IMAGE_HUB_NAME, "index.docker.io", IMAGE_HUB_HOST };

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* One path component: [a-z0-9]+ (sep [a-z0-9]+)* with sep one of ".", "_",
 * "__" or "-"+. */
static bool component_valid(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		size_t run = 0;
		while (i < len && is_lower_alnum(s[i]))
			i++, run++;
		if (run == 0)
			return false;
		if (i == len)
			return true;
		size_t start = i;
		while (i < len && (s[i] == '.' || s[i] == '_' || s[i] == '-'))
			i++;
		size_t n = i - start;
		const char *sep = s + start;
		bool dashes = strspn(sep, "-") >= n;
		if (!(dashes || (n == 1) || (n == 2 && sep[0] == '_' && sep[1] == '_')))
			return false;
		if (i == len)
			return false; /* a separator must be followed by alphanumerics */
	}
	return false;
}

/* A numeric TCP port 1..65535. */
static bool port_valid(const char *s, size_t len)
{
	if (len == 0 || len > 5)
		return false;
	unsigned long v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* DNS name (labels of alphanumerics and inner '-', joined by '.') or a
 * bracketed IPv6 address, then an optional ":PORT". */
static bool registry_valid(const char *s, size_t len)
{
	size_t i = 0;
	if (len > 0 && s[0] == '[') {
		size_t n = 0;
		for (i = 1; i < len && s[i] != ']'; i++, n++)
			if (!is_hex_lower(s[i]) && !(s[i] >= 'A' && s[i] <= 'F') && s[i] != ':')
				return false;
		if (i == len || n < 2)
			return false;
		i++;
	} else {
		for (;;) {
			size_t start = i;
			while (i < len && (is_alnum(s[i]) || s[i] == '-'))
				i++;
			if (i == start || s[start] == '-' || s[i - 1] == '-')
				return false;
			if (i < len && s[i] == '.') {
				i++;
				continue;
			}
			break;
		}
	}
	if (i == len)
		return true;
	if (s[i] != ':')
		return false;
	return port_valid(s + i + 1, len - i - 1);
}

static bool tag_valid(const char *s, size_t len)
{
	if (len == 0 || len > TAG_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!(is_alnum(c) || c == '_' || (i > 0 && (c == '.' || c == '-'))))
			return false;
	}
	return true;
}

/* `ALGO:HEX`: only sha256 is supported; any other well-formed algorithm is
 * -ENOTSUP, anything malformed -EINVAL. */
static int digest_check(const char *s, struct ecs_err *err)
{
	const char *colon = strchr(s, ':');
	if (!colon || colon == s)
		return err_set(err, EINVAL, "invalid reference format: invalid digest \"%.100s\"", s);
	/* Algorithm: [A-Za-z][A-Za-z0-9]* ([-_+.][A-Za-z][A-Za-z0-9]*)* */
	bool need_alpha = true;
	for (const char *p = s; p < colon; p++) {
		if (need_alpha) {
			if (!is_alnum(*p) || (*p >= '0' && *p <= '9'))
				goto bad;
			need_alpha = false;
		} else if (strchr("-_+.", *p)) {
			need_alpha = true;
		} else if (!is_alnum(*p)) {
			goto bad;
		}
	}
	if (need_alpha)
		goto bad;
	if ((size_t)(colon - s) != strlen("sha256") || strncmp(s, "sha256", 6) != 0)
		return err_set(err, ENOTSUP, "unsupported digest algorithm \"%.*s\"",
			       (int)(colon - s) > 32 ? 32 : (int)(colon - s), s);
	const char *hex = colon + 1;
	size_t n = strlen(hex);
	for (size_t i = 0; i < n; i++)
		if (!is_hex_lower(hex[i]))
			goto bad;
	if (n != SHA256_HEX_LEN)
		goto bad;
	return 0;
bad:
	return err_set(err, EINVAL, "invalid reference format: invalid digest \"%.100s\"", s);
}

void image_name_clear(struct image_name *n)
{
	if (!n)
		return;
	free(n->registry);
	free(n->repository);
	free(n->tag);
	free(n->digest);
	*n = (struct image_name){ 0 };
}

static bool is_hub(const char *registry)
{
	for (size_t i = 0; i < ARRAY_SIZE(hub_aliases); i++)
		if (strcmp(registry, hub_aliases[i]) == 0)
			return true;
	return false;
}

/* Validate the repository's path components; the message names which rule
 * failed. */
static int repository_check(const char *repo, size_t len, struct ecs_err *err)
{
	if (len == 0)
		return err_set(err, EINVAL, "invalid reference format: empty repository name");
	for (size_t i = 0; i < len; i++)
		if (repo[i] >= 'A' && repo[i] <= 'Z')
			return err_set(err, EINVAL,
				       "invalid reference format: repository name must be lowercase "
				       "(\"%.*s\")",
				       (int)(len > 200 ? 200 : len), repo);
	size_t i = 0;
	while (i <= len) {
		const char *slash = memchr(repo + i, '/', len - i);
		size_t end = slash ? (size_t)(slash - repo) : len;
		if (end == i)
			return err_set(err, EINVAL,
				       "invalid reference format: empty path component in \"%.*s\"",
				       (int)(len > 200 ? 200 : len), repo);
		if (!component_valid(repo + i, end - i))
			return err_set(err, EINVAL,
				       "invalid reference format: invalid path component \"%.*s\"",
				       (int)(end - i > 200 ? 200 : end - i), repo + i);
		i = end + 1;
	}
	return 0;
}

static bool all_lower_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_hex_lower(s[i]))
			return false;
	return true;
}

int image_name_parse(const char *ref, struct image_name *out, struct ecs_err *err)
{
	*out = (struct image_name){ 0 };
	if (!ref || !*ref)
		return err_set(err, EINVAL, "invalid reference format: empty reference");
	if (strncmp(ref, "oci-layout:", strlen("oci-layout:")) == 0)
		return err_set(err, EINVAL, "\"%.200s\" is an OCI layout, not a registry image name",
			       ref);

	size_t len = strlen(ref);
	/* No part of a name or tag contains '@': the first one starts the digest. */
	const char *at = strchr(ref, '@');
	size_t name_tag_len = at ? (size_t)(at - ref) : len;
	if (at) {
		int r = digest_check(at + 1, err);
		if (r < 0)
			return r;
	}
	/* A ':' after the last '/' starts the tag; before it, it is a port. */
	const char *tag = NULL;
	size_t tag_len = 0;
	for (size_t i = name_tag_len; i-- > 0;) {
		if (ref[i] == '/')
			break;
		if (ref[i] == ':') {
			tag = ref + i + 1;
			tag_len = name_tag_len - i - 1;
			break;
		}
	}
	size_t name_len = tag ? (size_t)(tag - 1 - ref) : name_tag_len;
	if (tag && !tag_valid(tag, tag_len))
		return err_set(err, EINVAL, "invalid reference format: invalid tag \"%.*s\"",
			       (int)(tag_len > 200 ? 200 : tag_len), tag);
	if (name_len == 0)
		return err_set(err, EINVAL, "invalid reference format: empty repository name");
	/* Docker refuses a bare 64-hex name: it would read as an image ID. */
	if (!tag && !at && name_len == SHA256_HEX_LEN && all_lower_hex(ref, name_len))
		return err_set(err, EINVAL,
			       "invalid repository name \"%.64s\": a 64-character hexadecimal "
			       "string is an image ID", ref);

	/* The first component is a registry when it looks like a host. */
	const char *slash = memchr(ref, '/', name_len);
	const char *repo = ref;
	size_t reg_len = 0;
	if (slash) {
		size_t first = (size_t)(slash - ref);
		if (memchr(ref, '.', first) || memchr(ref, ':', first) ||
		    (first == strlen("localhost") && strncmp(ref, "localhost", first) == 0)) {
			reg_len = first;
			repo = slash + 1;
			if (!registry_valid(ref, reg_len))
				return err_set(err, EINVAL,
					       "invalid reference format: invalid registry \"%.*s\"",
					       (int)(reg_len > 200 ? 200 : reg_len), ref);
		}
	}
	size_t repo_len = name_len - (size_t)(repo - ref);
	int r = repository_check(repo, repo_len, err);
	if (r < 0)
		return r;

	_cleanup_(image_name_clear) struct image_name n = { 0 };
	/* Host names are case-insensitive: one spelling keys the cache. */
	n.registry = reg_len ? strndup(ref, reg_len) : strdup(IMAGE_HUB_NAME);
	if (!n.registry)
		return err_set(err, ENOMEM, "out of memory");
	for (char *p = n.registry; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	bool hub = is_hub(n.registry);
	if (hub && strcmp(n.registry, IMAGE_HUB_NAME) != 0) {
		free(n.registry);
		if (!(n.registry = strdup(IMAGE_HUB_NAME)))
			return err_set(err, ENOMEM, "out of memory");
	}
	bool library = hub && !memchr(repo, '/', repo_len);
	if (asprintf(&n.repository, "%s%.*s", library ? "library/" : "", (int)repo_len, repo) < 0) {
		n.repository = NULL;
		return err_set(err, ENOMEM, "out of memory");
	}
	if (strlen(n.registry) + 1 + strlen(n.repository) > NAME_MAX_LEN)
		return err_set(err, EINVAL,
			       "invalid reference format: repository name longer than %d characters",
			       NAME_MAX_LEN);
	if (tag)
		n.tag = strndup(tag, tag_len);
	else if (!at)
		n.tag = strdup("latest");
	if (at)
		n.digest = strdup(at + 1);
	if ((!n.tag && (tag || !at)) || (at && !n.digest))
		return err_set(err, ENOMEM, "out of memory");
	*out = n;
	n = (struct image_name){ 0 };
	return 0;
}

char *image_name_canonical(const struct image_name *n)
{
	char *s = NULL;
	int r = n->digest ? asprintf(&s, "%s/%s@%s", n->registry, n->repository, n->digest)
			  : asprintf(&s, "%s/%s:%s", n->registry, n->repository,
				     n->tag ? n->tag : "latest");
	return r < 0 ? NULL : s;
}

const char *image_name_host(const struct image_name *n)
{
	return strcmp(n->registry, IMAGE_HUB_NAME) == 0 ? IMAGE_HUB_HOST : n->registry;
}

const char *image_name_manifest_ref(const struct image_name *n)
{
	return n->digest ? n->digest : n->tag;
}
