# lib/taskdef*: the ECS task-definition model, its parser, validator and
# writer (docs/task-definition.md), with its unit tests and fuzz target.
lib_libecs_a_SOURCES += \
	lib/taskdef.c lib/taskdef.h lib/taskdef-internal.h \
	lib/taskdef-schema.c \
	lib/taskdef-parse.c \
	lib/taskdef-emit.c \
	lib/taskdef-units.c \
	lib/taskdef-validate.c \
	lib/taskdef-validate-container.c \
	lib/taskdef-validate-refs.c \
	lib/taskdef-fargate.c

check_PROGRAMS += tests/unit/test_taskdef tests/unit/test_taskdef_rules
tests_unit_test_taskdef_SOURCES = tests/unit/test_taskdef.c tests/unit/test_taskdef_util.h
tests_unit_test_taskdef_rules_SOURCES = tests/unit/test_taskdef_rules.c tests/unit/test_taskdef_util.h

check_PROGRAMS += tests/fuzz/fuzz_taskdef
tests_fuzz_fuzz_taskdef_SOURCES = tests/fuzz/fuzz_taskdef.c
tests_fuzz_fuzz_taskdef_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_taskdef_LDFLAGS = $(FUZZ_LINKFLAGS)
EXTRA_DIST += tests/fuzz/corpus/taskdef
dist_doc_DATA += docs/task-definition.md
