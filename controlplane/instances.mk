# controlplane/instances: container instances, attributes, the cluster query
# language and the agent protocol endpoints; their tests and the fake agent.
controlplane_libcp_a_SOURCES += \
	controlplane/agent-endpoint.c controlplane/agent-endpoint.h \
	controlplane/agent-internal.h \
	controlplane/agent-liveness.c \
	controlplane/agent-poll.c \
	controlplane/agent-token.c controlplane/agent-token.h \
	controlplane/api-attributes.c \
	controlplane/api-instances.c controlplane/api-instances.h \
	controlplane/api-instances-register.c \
	controlplane/cql.c controlplane/cql.h \
	controlplane/cql-regex.c controlplane/cql-regex.h \
	controlplane/resources.c controlplane/resources.h \
	controlplane/store-agent.c controlplane/store-agent.h \
	controlplane/store-instances.c controlplane/store-instances.h

# Unit tests (cmocka)
check_PROGRAMS += tests/unit/test_cp_cql tests/unit/test_cp_instances
tests_unit_test_cp_cql_SOURCES = tests/unit/test_cp_cql.c
tests_unit_test_cp_cql_CFLAGS = $(UNIT_CFLAGS) $(CP_CFLAGS)
tests_unit_test_cp_cql_LDADD = $(CP_LIBS) $(CMOCKA_LIBS)
tests_unit_test_cp_instances_SOURCES = tests/unit/test_cp_instances.c
tests_unit_test_cp_instances_CFLAGS = $(UNIT_CFLAGS) $(CP_CFLAGS)
tests_unit_test_cp_instances_LDADD = $(CP_LIBS) $(CMOCKA_LIBS)

# Fuzz target: the cluster query language parser and matcher
check_PROGRAMS += tests/fuzz/fuzz_cp_cql
tests_fuzz_fuzz_cp_cql_SOURCES = tests/fuzz/fuzz_cp_cql.c
tests_fuzz_fuzz_cp_cql_CFLAGS = $(AM_CFLAGS) $(CP_CFLAGS)
tests_fuzz_fuzz_cp_cql_LDADD = controlplane/libcp.a $(FUZZ_LDADD) $(MHD_LIBS) $(SQLITE_LIBS) $(LIBCRYPTO_LIBS)
tests_fuzz_fuzz_cp_cql_LDFLAGS = $(FUZZ_LINKFLAGS)

# The test agent: speaks the agent protocol with libcurl; pytest drives it,
# and its `simulate` mode keeps many instances polling for the benchmarks.
check_PROGRAMS += tests/tools/fake-agent
tests_tools_fake_agent_SOURCES = tests/tools/fake-agent.c tests/tools/fake-agent.h \
	tests/tools/fake-agent-request.c tests/tools/fake-agent-report.c \
	tests/tools/fake-agent-sim.c
tests_tools_fake_agent_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS)
tests_tools_fake_agent_LDADD = $(ECS_LIBS) $(CURL_LIBS)
