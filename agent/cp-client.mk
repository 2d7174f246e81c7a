# agent: the control-plane client (libcurl multi inside sd-event) and its
# test driver, which the integration tests run against the real control plane.
agent_libagent_a_SOURCES += \
	agent/cp-client.h \
	agent/cp-client-internal.h \
	agent/cp-client.c \
	agent/cp-client-http.c \
	agent/cp-client-poll.c \
	agent/cp-client-report.c

check_PROGRAMS += tests/tools/cp-client-drive
tests_tools_cp_client_drive_SOURCES = tests/tools/cp-client-drive.c
tests_tools_cp_client_drive_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS)
tests_tools_cp_client_drive_LDADD = $(AGENT_LIBS)
