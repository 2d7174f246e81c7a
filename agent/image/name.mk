# agent/image/name.mk: image references and registry credentials
# (docs/images.md, "References" and "Authentication"). Pure parsing on top of
# lib/json: the daemon keys pulls by canonical name and validates
# ECS_ENGINE_AUTH_DATA with it, so it lives in agent/libagent.a.
agent_libagent_a_SOURCES += \
	agent/image/name.h \
	agent/image/name.c \
	agent/image/auth.h \
	agent/image/auth.c

check_PROGRAMS += tests/unit/test_agent_image_name
tests_unit_test_agent_image_name_SOURCES = tests/unit/test_agent_image_name.c
tests_unit_test_agent_image_name_CFLAGS = $(UNIT_CFLAGS) $(AGENT_CFLAGS)
tests_unit_test_agent_image_name_LDADD = $(AGENT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_agent_image_name tests/fuzz/fuzz_agent_auth
tests_fuzz_fuzz_agent_image_name_SOURCES = tests/fuzz/fuzz_agent_image_name.c
tests_fuzz_fuzz_agent_image_name_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS)
tests_fuzz_fuzz_agent_image_name_LDADD = $(FUZZ_LDADD) $(AGENT_LIBS)
tests_fuzz_fuzz_agent_image_name_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_agent_auth_SOURCES = tests/fuzz/fuzz_agent_auth.c
tests_fuzz_fuzz_agent_auth_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS)
tests_fuzz_fuzz_agent_auth_LDADD = $(FUZZ_LDADD) $(AGENT_LIBS)
tests_fuzz_fuzz_agent_auth_LDFLAGS = $(FUZZ_LINKFLAGS)
EXTRA_DIST += tests/fuzz/corpus/agent_image_name tests/fuzz/corpus/agent_auth
