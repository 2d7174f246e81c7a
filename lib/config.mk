# lib/config.*, lib/backoff.*: the KEY=VALUE config parser and backoff with jitter.
lib_libecs_a_SOURCES += \
	lib/config.c lib/config.h lib/config-internal.h lib/config-values.c \
	lib/backoff.c lib/backoff.h

dist_doc_DATA += docs/config-format.md

check_PROGRAMS += tests/unit/test_config tests/unit/test_backoff

check_PROGRAMS += tests/fuzz/fuzz_config
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c
tests_fuzz_fuzz_config_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_config_LDFLAGS = $(FUZZ_LINKFLAGS)
