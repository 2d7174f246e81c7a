/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the helper's request parser (pull_request_parse) and the
 * registry error-body reader (registry_error_text), the two inputs of a
 * pull that come from outside the helper. An accepted request satisfies the
 * parser's promises; a refused one says why; the error text is always a
 * terminated, non-empty string.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/pull.h"
#include "image/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pull_request rq;
	struct ecs_err err = { 0 };
	if (pull_request_parse((const char *)data, size, &rq, &err) < 0) {
		if (!err.msg[0])
			abort();
	} else {
		if (!rq.datadir || rq.datadir[0] != '/' || !rq.reference || !rq.reference[0] ||
		    !rq.insecure || rq.timeout_ms <= 0 || rq.inactivity_ms <= 0 ||
		    !rq.username != !rq.password || rq.behavior > PULL_PREFER_CACHED)
			abort();
		pull_request_clear(&rq);
	}
	char text[256];
	registry_error_text(404, (const char *)data, size, text, sizeof(text));
	if (!text[0] || strnlen(text, sizeof(text)) >= sizeof(text))
		abort();
	return 0;
}
