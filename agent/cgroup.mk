# agent/cgroup*: task cgroups through libcgroup (v1 and v2), the only
# libcgroup user. cgroup-parse.c is the pure half (mountinfo, control files)
# that the unit test and the fuzz target exercise for v2 on any host.
agent_libagent_a_SOURCES += \
	agent/cgroup.h agent/cgroup-internal.h \
	agent/cgroup.c agent/cgroup-remove.c agent/cgroup-parse.c

# Needs root: it creates, fills and removes cgroups under /ecs-test-<pid>.
check_PROGRAMS += tests/unit/test_agent_cgroup
tests_unit_test_agent_cgroup_CFLAGS = $(UNIT_CFLAGS) $(AGENT_CFLAGS)
tests_unit_test_agent_cgroup_LDADD = $(AGENT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_cgroup_files
tests_fuzz_fuzz_cgroup_files_SOURCES = tests/fuzz/fuzz_cgroup_files.c
tests_fuzz_fuzz_cgroup_files_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS)
tests_fuzz_fuzz_cgroup_files_LDADD = $(FUZZ_LDADD) $(AGENT_LIBS)
tests_fuzz_fuzz_cgroup_files_LDFLAGS = $(FUZZ_LINKFLAGS)
EXTRA_DIST += tests/fuzz/corpus/cgroup_files
