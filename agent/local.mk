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
