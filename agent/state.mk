# agent/agent-config.*, agent/cmd-check-config.c, agent/state*.c: the agent's
# configuration (/etc/ecs-agent.conf + environment, check-config) and its
# crash-safe SQLite state.
agent_libagent_a_SOURCES += \
	agent/agent-config.c agent/agent-config.h \
	agent/cmd-check-config.c \
	agent/state.c agent/state.h agent/state-internal.h agent/state-schema.c \
	agent/state-tasks.c agent/state-outbox.c

dist_doc_DATA += docs/config.md

check_PROGRAMS += tests/unit/test_agent_config tests/unit/test_agent_state
tests_unit_test_agent_config_CFLAGS = $(UNIT_CFLAGS) $(AGENT_CFLAGS)
tests_unit_test_agent_config_LDADD = $(AGENT_LIBS) $(CMOCKA_LIBS)
tests_unit_test_agent_state_CFLAGS = $(UNIT_CFLAGS) $(AGENT_CFLAGS)
tests_unit_test_agent_state_LDADD = $(AGENT_LIBS) $(CMOCKA_LIBS)
