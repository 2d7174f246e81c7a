# agent/: the ecs-agent daemon, its shim and init, and its operator commands.
# Everything but main.c goes into agent/libagent.a, which the daemon, the unit
# tests and the fuzz targets link. Each concern's fragment (included from
# Makefile.am right after this one) adds its sources with
# `agent_libagent_a_SOURCES +=`.
noinst_LIBRARIES += agent/libagent.a
AGENT_CFLAGS = -I$(top_srcdir)/agent $(CURL_CFLAGS) $(SQLITE_CFLAGS) $(LIBCGROUP_CFLAGS)
agent_libagent_a_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS) \
	-DPKGLIBEXECDIR='"$(pkglibexecdir)"'
agent_libagent_a_SOURCES = \
	agent/daemon.c agent/daemon.h \
	agent/daemon-register.c \
	agent/fsutil.c agent/fsutil.h \
	agent/memtrim.c agent/memtrim.h \
	agent/memtrim-zero.c agent/memtrim-zero.h \
	agent/procfs.c agent/procfs.h \
	agent/subprocess.c agent/subprocess.h

# Link line for anything using the agent library.
AGENT_LIBS = agent/libagent.a $(ECS_LIBS) $(CURL_LIBS) $(SQLITE_LIBS) $(LIBCGROUP_LIBS)

bin_PROGRAMS += agent/ecs-agent
agent_ecs_agent_SOURCES = \
	agent/main.c \
	agent/commands.h \
	agent/cmd-image.c \
	agent/cmd-validate.c
agent_ecs_agent_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS)
agent_ecs_agent_LDADD = $(AGENT_LIBS)

dist_doc_DATA += docs/agent.md

check_PROGRAMS += tests/unit/test_agent_memtrim
tests_unit_test_agent_memtrim_CFLAGS = $(UNIT_CFLAGS) $(AGENT_CFLAGS)
tests_unit_test_agent_memtrim_LDADD = $(AGENT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_agent_memtrim
tests_fuzz_fuzz_agent_memtrim_SOURCES = tests/fuzz/fuzz_agent_memtrim.c
tests_fuzz_fuzz_agent_memtrim_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS)
tests_fuzz_fuzz_agent_memtrim_LDADD = $(FUZZ_LDADD) $(AGENT_LIBS)
tests_fuzz_fuzz_agent_memtrim_LDFLAGS = $(FUZZ_LINKFLAGS)
EXTRA_DIST += tests/fuzz/corpus/agent_memtrim
