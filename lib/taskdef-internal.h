/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Shared by the taskdef-*.c files, not part of the public API.
 *
 * Each model struct has a descriptor: its members' JSON names, kinds and
 * offsets. One walker parses, one emits and one frees any struct through its
 * descriptor, so adding an ECS member is one line in taskdef-schema.c.
 */
#include <stdarg.h>

#include "taskdef.h"

enum td_kind {
	TD_K_STRING, /* char * */
	TD_K_ENUM,   /* char *, one of field->enums */
	TD_K_INT,    /* struct td_int, a 32-bit integer as in the ECS API */
	TD_K_BOOL,   /* struct td_bool */
	TD_K_TIME,   /* struct td_time */
	TD_K_STRV,   /* struct td_strv */
	TD_K_ENUMV,  /* struct td_strv, each one of field->enums */
	TD_K_MAP,    /* struct td_map */
	TD_K_OBJECT, /* pointer to the struct field->sub describes */
	TD_K_LIST,   /* TD_LIST(struct of field->sub) */
};

enum {
	TD_F_REQUIRED = 1 << 0,
	TD_F_STORED = 1 << 1, /* only in a registered task definition */
};

struct td_desc;

struct td_field {
	const char *name; /* JSON member name */
	enum td_kind kind;
	size_t offset;
	unsigned flags;
	const struct td_desc *sub;   /* TD_K_OBJECT, TD_K_LIST */
	const char *const *enums;    /* TD_K_ENUM, TD_K_ENUMV; NULL-terminated */
};

struct td_desc {
	const char *shape; /* the botocore shape name, for messages and docs */
	size_t size;       /* sizeof the C struct */
	const struct td_field *fields;
	size_t n_fields;
};

/* Every TD_LIST(T) has this layout; the walkers copy through it with memcpy
 * rather than type-punning the typed list. */
struct td_list_any {
	void *items;
	size_t count;
	bool set;
};
_Static_assert(sizeof(TD_LIST(struct td_tag)) == sizeof(struct td_list_any) &&
		       offsetof(TD_LIST(struct td_tag), count) == offsetof(struct td_list_any, count) &&
		       offsetof(TD_LIST(struct td_tag), set) == offsetof(struct td_list_any, set),
	       "every TD_LIST has the layout of td_list_any");

extern const struct td_desc td_desc_taskdef;
extern const struct td_desc td_desc_container;

/* The JSON path of the member being parsed, "a.b[2].c". */
struct td_path {
	char buf[1024];
	size_t len;
	/* Problems reported so far that leave the model usable (an enum value
	 * ECS does not know is kept as written); validation still runs after
	 * these, so the operator sees every problem in one pass. */
	size_t soft_problems;
};

/* Free everything `obj` (of shape d) owns, not obj itself. */
void td_walk_free(const struct td_desc *d, void *obj);
/* Parse `node` (an object) into `obj`, appending shape problems under the
 * path prefix in `path` (modified and restored). Returns 0 or -ENOMEM. */
int td_walk_parse(const struct td_desc *d, const void *node, void *obj, unsigned flags,
		  struct td_path *path, struct td_problems *problems);

int td_problems_addv(struct td_problems *p, const char *path, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * Validation
 */
struct td_vctx {
	const struct taskdef *td;
	struct td_problems *problems;
	int rc; /* -ENOMEM once appending failed */
	enum td_network_mode mode;
	bool fargate;
	bool has_cpu, has_memory; /* task-level, parsed */
	int64_t cpu, memory;
};

/* Report a broken rule at path `base` + "." + `member` (either may be "" or
 * NULL). */
void td_report(struct td_vctx *v, const char *base, const char *member, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* snprintf into buf, returning buf, for building list-item paths. */
char *td_pathf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define TD_PATH_MAX 256

/* Name rule shared by family, container and volume names. */
bool td_valid_name(const char *s, size_t max);
#define TD_NAME_RULE "must be 1 to %d letters, numbers, hyphens and underscores"

void td_validate_container(struct td_vctx *v, size_t i);
void td_validate_references(struct td_vctx *v);
void td_validate_fargate(struct td_vctx *v);
