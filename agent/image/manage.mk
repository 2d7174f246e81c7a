# agent/image/manage.mk: image records, the store lock and the operator
# verbs of ecs-agent-image (load, ls, rm, gc); see docs/images.md.
agent_libimage_a_SOURCES += \
	agent/image/records.h \
	agent/image/records.c \
	agent/image/manage.h \
	agent/image/manage.c \
	agent/image/collect.c \
	agent/image/load.c

check_PROGRAMS += tests/unit/test_agent_image_records
tests_unit_test_agent_image_records_SOURCES = tests/unit/test_agent_image_records.c
tests_unit_test_agent_image_records_CFLAGS = $(UNIT_CFLAGS) $(AGENT_CFLAGS)
tests_unit_test_agent_image_records_LDADD = $(IMAGE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_agent_image_record
tests_fuzz_fuzz_agent_image_record_SOURCES = tests/fuzz/fuzz_agent_image_record.c
tests_fuzz_fuzz_agent_image_record_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS)
tests_fuzz_fuzz_agent_image_record_LDADD = $(FUZZ_LDADD) $(IMAGE_LIBS)
tests_fuzz_fuzz_agent_image_record_LDFLAGS = $(FUZZ_LINKFLAGS)
EXTRA_DIST += tests/fuzz/corpus/agent_image_record
