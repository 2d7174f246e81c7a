/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: SigV4 header parsing and verification. The input is
 * "AUTHORIZATION\nX-AMZ-DATE\nX-AMZ-CONTENT-SHA256\nBODY"; missing lines are
 * missing headers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *lookup(void *userdata, const char *akid)
{
	(void)userdata;
	return strcmp(akid, "AKIDEXAMPLE") == 0 ? "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	struct sigv4_pair headers[5] = { { "Host", "127.0.0.1:8080" } };
	size_t n = 1;
	static const char *const names[] = { "Authorization", "X-Amz-Date", "X-Amz-Content-SHA256" };
	char *p = text;
	for (size_t i = 0; i < 3 && p; i++) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		headers[n++] = (struct sigv4_pair){ names[i], p };
		p = nl ? nl + 1 : NULL;
	}
	const char *body = p ? p : "";
	struct sigv4_request req = {
		.method = "POST", .path = "/", .headers = headers, .n_headers = n,
		.body = body, .body_len = strlen(body),
	};
	struct sigv4_verifier v = {
		.region = "us-east-1", .service = "ecs", .now = 1704164645, .max_skew = 900,
		.secret = lookup,
	};
	struct ecs_err err;
	enum sigv4_status st = sigv4_verify(&v, &req, &err);
	if (st != SIGV4_OK && !sigv4_status_exception(st))
		abort();
	free(text);
	return 0;
}
