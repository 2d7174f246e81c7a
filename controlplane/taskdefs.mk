# controlplane/taskdefs: task definitions (RegisterTaskDefinition ... ListTaskDefinitionFamilies).
controlplane_libcp_a_SOURCES += \
	controlplane/api-taskdefs.c controlplane/api-taskdefs.h \
	controlplane/store-taskdefs.c controlplane/store-taskdefs.h \
	controlplane/taskdef-register.c controlplane/taskdef-attributes.c \
	controlplane/taskdef-register.h

check_PROGRAMS += tests/unit/test_cp_taskdefs
tests_unit_test_cp_taskdefs_SOURCES = tests/unit/test_cp_taskdefs.c
tests_unit_test_cp_taskdefs_CFLAGS = $(UNIT_CFLAGS) $(CP_CFLAGS)
tests_unit_test_cp_taskdefs_LDADD = $(CP_LIBS) $(CMOCKA_LIBS)
