# agent/image/pull.mk: registry pulls in the helper (docs/images.md,
# "Registry client"): the request verb, the pull, and the registry client
# (registry.c: the distribution API; registry-auth.c: 401 -> token;
# registry-http.c: the transport, the one libimage file that uses libcurl).
agent_libimage_a_SOURCES += \
	agent/image/pull.h \
	agent/image/pull.c \
	agent/image/registry.h \
	agent/image/registry-internal.h \
	agent/image/registry.c \
	agent/image/registry-auth.c \
	agent/image/registry-http.c \
	agent/image/request.c

check_PROGRAMS += tests/unit/test_agent_image_pull
tests_unit_test_agent_image_pull_SOURCES = tests/unit/test_agent_image_pull.c
tests_unit_test_agent_image_pull_CFLAGS = $(UNIT_CFLAGS) $(AGENT_CFLAGS)
tests_unit_test_agent_image_pull_LDADD = $(IMAGE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_agent_image_request
tests_fuzz_fuzz_agent_image_request_SOURCES = tests/fuzz/fuzz_agent_image_request.c
tests_fuzz_fuzz_agent_image_request_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS)
tests_fuzz_fuzz_agent_image_request_LDADD = $(FUZZ_LDADD) $(IMAGE_LIBS)
tests_fuzz_fuzz_agent_image_request_LDFLAGS = $(FUZZ_LINKFLAGS)
EXTRA_DIST += tests/fuzz/corpus/agent_image_request
