/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: /etc/passwd and /etc/group parsing and user resolution. The
 * input is "passwd NUL group NUL spec"; resolution either fails or yields a
 * uid/gid that the spec or the files explain.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/image-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	const char *nul1 = memchr(p, '\0', size);
	const char *group = nul1 ? nul1 + 1 : NULL;
	const char *nul2 = group ? memchr(group, '\0', (size_t)(end - group)) : NULL;
	size_t pw_len = nul1 ? (size_t)(nul1 - p) : size;
	size_t gr_len = group ? (size_t)((nul2 ? nul2 : end) - group) : 0;
	/* A copy, not strndup(): the input has no terminator, and ASan's
	 * strict_string_checks reads strndup's source as a C string. */
	char *spec = NULL;
	if (nul2 && (spec = malloc((size_t)(end - nul2)))) {
		memcpy(spec, nul2 + 1, (size_t)(end - nul2 - 1));
		spec[end - nul2 - 1] = '\0';
	}

	struct userdb db;
	if (userdb_parse(p, pw_len, group, gr_len, &db, NULL) < 0)
		abort();
	for (size_t i = 0; i < db.n_users; i++)
		if (!db.users[i].name || !*db.users[i].name || strchr(db.users[i].name, ':') ||
		    strchr(db.users[i].name, '\n') || db.users[i].uid == (uid_t)-1)
			abort();
	for (size_t i = 0; i < db.n_groups; i++)
		if (!db.groups[i].name || !db.groups[i].members)
			abort();

	static const char *const fixed[] = { NULL, "", "0", "root", "1000:1000", "app:wheel",
					     ":5", "nobody:" };
	for (size_t i = 0; i <= sizeof(fixed) / sizeof(fixed[0]); i++) {
		const char *s = i < sizeof(fixed) / sizeof(fixed[0]) ? fixed[i] : spec;
		uid_t uid;
		gid_t gid, *gids;
		size_t n;
		if (userdb_resolve(&db, s, &uid, &gid, &gids, &n, NULL) == 0) {
			if ((n == 0) != (gids == NULL))
				abort();
			free(gids);
		}
	}
	userdb_clear(&db);
	free(spec);
	return 0;
}
