# agent/engine/: task and container state machines, reconciliation, restart
# recovery, host resource accounting.
agent_libagent_a_SOURCES += \
	agent/engine/engine.h agent/engine/engine-internal.h \
	agent/engine/engine.c \
	agent/engine/features.c \
	agent/engine/image-gc.c \
	agent/engine/admit.c \
	agent/engine/command.c agent/engine/command.h \
	agent/engine/container.c \
	agent/engine/container-start.c \
	agent/engine/overrides.c \
	agent/engine/reconcile.c \
	agent/engine/recover.c \
	agent/engine/report.c \
	agent/engine/spare.c \
	agent/engine/start-queue.c \
	agent/engine/task.c \
	agent/engine/telemetry.c \
	agent/engine/volumes.c agent/engine/volumes.h

check_PROGRAMS += tests/unit/test_agent_engine
tests_unit_test_agent_engine_CFLAGS = $(UNIT_CFLAGS) $(AGENT_CFLAGS)
tests_unit_test_agent_engine_LDADD = $(AGENT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_agent_overrides
tests_fuzz_fuzz_agent_overrides_SOURCES = tests/fuzz/fuzz_agent_overrides.c
tests_fuzz_fuzz_agent_overrides_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS)
tests_fuzz_fuzz_agent_overrides_LDADD = $(FUZZ_LDADD) $(AGENT_LIBS)
tests_fuzz_fuzz_agent_overrides_LDFLAGS = $(FUZZ_LINKFLAGS)
EXTRA_DIST += tests/fuzz/corpus/agent_overrides
