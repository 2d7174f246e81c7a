# agent/runtime: OCI bundle generation (config.json and the /etc files), the
# runtime's command line, with their unit tests and the spec fuzz target.
agent_libagent_a_SOURCES += \
	agent/runtime/spec.h agent/runtime/spec-internal.h \
	agent/runtime/spec.c \
	agent/runtime/spec-caps.c \
	agent/runtime/spec-mounts.c \
	agent/runtime/spec-linux.c \
	agent/runtime/etc-files.c \
	agent/runtime/runtime.h \
	agent/runtime/runtime.c

check_PROGRAMS += tests/unit/test_agent_spec tests/unit/test_agent_etc_files \
	tests/unit/test_agent_runtime
tests_unit_test_agent_spec_SOURCES = tests/unit/test_agent_spec.c tests/unit/test_agent_spec_util.h
tests_unit_test_agent_spec_CFLAGS = $(UNIT_CFLAGS) $(AGENT_CFLAGS)
tests_unit_test_agent_spec_LDADD = $(AGENT_LIBS) $(CMOCKA_LIBS)
tests_unit_test_agent_etc_files_SOURCES = tests/unit/test_agent_etc_files.c \
	tests/unit/test_agent_spec_util.h
tests_unit_test_agent_etc_files_CFLAGS = $(UNIT_CFLAGS) $(AGENT_CFLAGS)
tests_unit_test_agent_etc_files_LDADD = $(AGENT_LIBS) $(CMOCKA_LIBS)

# The runtime test runs real containers: it needs the static init built
# and a busybox to copy into its rootfs.
tests_unit_test_agent_runtime_CFLAGS = $(UNIT_CFLAGS) $(AGENT_CFLAGS) \
	-DECS_INIT_BINARY='"$(abs_top_builddir)/agent/ecs-agent-init"'
tests_unit_test_agent_runtime_LDADD = $(AGENT_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_unit_test_agent_runtime_DEPENDENCIES = agent/ecs-agent-init

check_PROGRAMS += tests/fuzz/fuzz_agent_spec
tests_fuzz_fuzz_agent_spec_SOURCES = tests/fuzz/fuzz_agent_spec.c
tests_fuzz_fuzz_agent_spec_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS)
tests_fuzz_fuzz_agent_spec_LDADD = $(FUZZ_LDADD) $(AGENT_LIBS)
tests_fuzz_fuzz_agent_spec_LDFLAGS = $(FUZZ_LINKFLAGS)
EXTRA_DIST += tests/fuzz/corpus/agent_spec
