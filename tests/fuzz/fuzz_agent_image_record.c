/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: image records (image_record_parse). An accepted record has
 * a name and valid sha256 digests everywhere (the collector builds paths
 * from them), and writes back to text that parses to the same record; a
 * refused one says why.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/image-internal.h"
#include "image/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_digest(const char *s)
{
	char hex[DIGEST_HEX_LEN + 1];
	if (!s || digest_parse(s, hex, NULL) < 0)
		abort();
}

static void check(const struct image_record *r)
{
	if (!r->name || !*r->name || r->size < 0 || r->pulled_at_ms < 0 || r->last_used_ms < 0)
		abort();
	check_digest(r->manifest_digest);
	check_digest(r->config_digest);
	if (!r->layers || r->layers[r->n_layers])
		abort();
	for (size_t i = 0; i < r->n_layers; i++)
		check_digest(r->layers[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image_record r, again;
	struct ecs_err err = { 0 };
	if (image_record_parse((const char *)data, size, &r, &err) < 0) {
		if (!err.msg[0] || r.name)
			abort();
		return 0;
	}
	check(&r);
	char *text = image_record_to_json(&r, &err);
	if (!text)
		abort();
	if (image_record_parse(text, strlen(text), &again, &err) < 0)
		abort();
	if (strcmp(r.name, again.name) != 0 ||
	    strcmp(r.manifest_digest, again.manifest_digest) != 0 ||
	    strcmp(r.config_digest, again.config_digest) != 0 || r.n_layers != again.n_layers ||
	    r.size != again.size || r.pulled_at_ms != again.pulled_at_ms ||
	    r.last_used_ms != again.last_used_ms)
		abort();
	for (size_t i = 0; i < r.n_layers; i++)
		if (strcmp(r.layers[i], again.layers[i]) != 0)
			abort();
	free(text);
	image_record_clear(&r);
	image_record_clear(&again);
	return 0;
}
