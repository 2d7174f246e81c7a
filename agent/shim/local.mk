# agent/shim: ecs-agent-shim, the per-container monitor, and the agent's side
# of its protocol.
#
# The shim runs once per container, so it is small: linked statically against
# libc alone (no libecs, yajl or libsystemd; see agent/shim/escape.h), with
# fixed buffers. Sanitizer builds cannot link statically; there it is an
# ordinary dynamic program, and the integration tests run it under ASan.
# It sits next to agent/ecs-agent in the build tree on purpose (the agent and
# the tests find it there when run uninstalled); installed into pkglibexecdir
# through its own directory variable, like agent/init.
ecsshimdir = $(pkglibexecdir)
ecsshim_PROGRAMS = agent/ecs-agent-shim
agent_ecs_agent_shim_SOURCES = \
	agent/shim/main.c \
	agent/shim/options.c agent/shim/options.h \
	agent/shim/spare.c agent/shim/spare.h \
	agent/shim/job.c agent/shim/job.h \
	agent/shim/supervise.c agent/shim/supervise.h \
	agent/shim/runcmd.c agent/shim/runcmd.h \
	agent/subprocess.c agent/subprocess.h \
	agent/shim/oom.c agent/shim/oom.h \
	agent/memtrim.c agent/memtrim.h \
	agent/shim/logger.c agent/shim/logger.h \
	agent/shim/log-json.c \
	agent/shim/log-journald.c \
	agent/shim/escape.c agent/shim/escape.h \
	agent/shim/records.c agent/shim/records.h
agent_ecs_agent_shim_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/agent
agent_ecs_agent_shim_LDFLAGS = $(if $(findstring -fsanitize,$(CFLAGS)),,-static)
agent_ecs_agent_shim_LDADD =

# The agent's side: spawning the shim, reading its records.
agent_libagent_a_SOURCES += \
	agent/runtime/shim-client.c \
	agent/runtime/shim-spare.c agent/runtime/shim-spare.h \
	agent/shim/job.c agent/shim/job.h \
	agent/shim/records.c agent/shim/records-parse.c agent/shim/records.h

# The unit test compiles the shim's modules itself (they are not in
# libagent: the agent does not run them).
check_PROGRAMS += tests/unit/test_agent_shim
tests_unit_test_agent_shim_SOURCES = \
	tests/unit/test_agent_shim.c \
	agent/shim/options.c \
	agent/shim/runcmd.c \
	agent/shim/oom.c \
	agent/shim/logger.c \
	agent/shim/log-json.c \
	agent/shim/log-journald.c \
	agent/shim/escape.c
tests_unit_test_agent_shim_CFLAGS = $(UNIT_CFLAGS) $(AGENT_CFLAGS)
tests_unit_test_agent_shim_LDADD = $(AGENT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_agent_shim_spare
tests_unit_test_agent_shim_spare_CFLAGS = $(UNIT_CFLAGS) $(AGENT_CFLAGS)
tests_unit_test_agent_shim_spare_LDADD = $(AGENT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_agent_shim_job
tests_fuzz_fuzz_agent_shim_job_SOURCES = tests/fuzz/fuzz_agent_shim_job.c
tests_fuzz_fuzz_agent_shim_job_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS)
tests_fuzz_fuzz_agent_shim_job_LDADD = agent/libagent.a $(FUZZ_LDADD)
tests_fuzz_fuzz_agent_shim_job_LDFLAGS = $(FUZZ_LINKFLAGS)
EXTRA_DIST += tests/fuzz/corpus/agent_shim_job

check_PROGRAMS += tests/fuzz/fuzz_agent_shim_runcmd
tests_fuzz_fuzz_agent_shim_runcmd_SOURCES = tests/fuzz/fuzz_agent_shim_runcmd.c \
	agent/shim/runcmd.c
tests_fuzz_fuzz_agent_shim_runcmd_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS)
tests_fuzz_fuzz_agent_shim_runcmd_LDADD = agent/libagent.a $(FUZZ_LDADD)
tests_fuzz_fuzz_agent_shim_runcmd_LDFLAGS = $(FUZZ_LINKFLAGS)
EXTRA_DIST += tests/fuzz/corpus/agent_shim_runcmd

check_PROGRAMS += tests/fuzz/fuzz_agent_shim_records
tests_fuzz_fuzz_agent_shim_records_SOURCES = tests/fuzz/fuzz_agent_shim_records.c
tests_fuzz_fuzz_agent_shim_records_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS)
tests_fuzz_fuzz_agent_shim_records_LDADD = agent/libagent.a $(FUZZ_LDADD)
tests_fuzz_fuzz_agent_shim_records_LDFLAGS = $(FUZZ_LINKFLAGS)
