# controlplane/tasks: tasks and placement (RunTask, StartTask, StopTask, DescribeTasks, ListTasks).
controlplane_libcp_a_SOURCES += \
	controlplane/api-tasks.c controlplane/api-tasks.h \
	controlplane/api-tasks-run.c controlplane/api-tasks-plan.c \
	controlplane/placement.c controlplane/placement.h \
	controlplane/store-tasks.c controlplane/store-tasks.h \
	controlplane/store-placement.c controlplane/store-placement.h

check_PROGRAMS += tests/unit/test_cp_placement tests/unit/test_cp_tasks
tests_unit_test_cp_placement_SOURCES = tests/unit/test_cp_placement.c
tests_unit_test_cp_placement_CFLAGS = $(UNIT_CFLAGS) $(CP_CFLAGS)
tests_unit_test_cp_placement_LDADD = $(CP_LIBS) $(CMOCKA_LIBS)
tests_unit_test_cp_tasks_SOURCES = tests/unit/test_cp_tasks.c
tests_unit_test_cp_tasks_CFLAGS = $(UNIT_CFLAGS) $(CP_CFLAGS)
tests_unit_test_cp_tasks_LDADD = $(CP_LIBS) $(CMOCKA_LIBS)

# Fuzz target: the task operations and placement
check_PROGRAMS += tests/fuzz/fuzz_cp_tasks
tests_fuzz_fuzz_cp_tasks_SOURCES = tests/fuzz/fuzz_cp_tasks.c
tests_fuzz_fuzz_cp_tasks_CFLAGS = $(AM_CFLAGS) $(CP_CFLAGS)
tests_fuzz_fuzz_cp_tasks_LDADD = controlplane/libcp.a $(FUZZ_LDADD) $(MHD_LIBS) $(SQLITE_LIBS) $(LIBCRYPTO_LIBS)
tests_fuzz_fuzz_cp_tasks_LDFLAGS = $(FUZZ_LINKFLAGS)
