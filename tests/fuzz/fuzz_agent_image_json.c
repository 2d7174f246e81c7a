/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the OCI index, manifest and config parsers, the reference
 * parser and digest validation on the same input. Whatever a parser accepts
 * must be internally consistent (every descriptor has a digest, configs
 * count their diff IDs right).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/image-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_desc(const struct oci_desc *d)
{
	char hex[DIGEST_HEX_LEN + 1];
	if (!d->digest)
		abort();
	if (digest_parse(d->digest, hex, NULL) == 0 && strlen(hex) != DIGEST_HEX_LEN)
		abort();
	(void)oci_media_kind(d->media_type);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct oci_index idx;
	if (oci_index_parse(buf, size, &idx, NULL) == 0) {
		for (size_t i = 0; i < idx.n_manifests; i++)
			check_desc(&idx.manifests[i]);
		oci_index_clear(&idx);
	}
	struct oci_manifest m;
	if (oci_manifest_parse(buf, size, &m, NULL) == 0) {
		check_desc(&m.config);
		for (size_t i = 0; i < m.n_layers; i++)
			check_desc(&m.layers[i]);
		oci_manifest_clear(&m);
	}
	struct oci_config c;
	if (oci_config_parse(buf, size, &c, NULL) == 0) {
		size_t n = 0;
		while (c.diff_ids && c.diff_ids[n])
			n++;
		if (n != c.n_diff_ids)
			abort();
		oci_config_clear(&c);
	}
	(void)oci_document_kind(buf, size);

	/* The same bytes as a reference and a digest string. */
	/* A copy, not strndup(): see fuzz_agent_passwd.c. */
	size_t n = size < 4096 ? size : 4096;
	char *s = malloc(n + 1);
	if (!s)
		return 0;
	memcpy(s, buf, n);
	s[n] = '\0';
	char *path, *tag, hex[DIGEST_HEX_LEN + 1];
	if (oci_ref_parse(s, &path, &tag, NULL) == 0) {
		if (path[0] != '/' || (tag && (!*tag || strchr(tag, '/'))))
			abort();
		free(path);
		free(tag);
	}
	(void)digest_parse(s, hex, NULL);
	free(s);
	return 0;
}
