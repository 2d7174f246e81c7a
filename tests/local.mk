# tests/: cmocka unit tests, fuzz targets and their replay driver.
# Module fragments add their own programs with `check_PROGRAMS +=`; unit test
# programs are named tests/unit/test_*, fuzz targets tests/fuzz/fuzz_*
# (scripts/test finds and runs them by those names).

# A unit test of lib/ needs only `check_PROGRAMS += tests/unit/test_NAME`
# (sources default to tests/unit/test_NAME.c, the link line to LDADD).
UNIT_CFLAGS = $(AM_CFLAGS)

# A fuzz target is a libFuzzer entry point. In the normal build it is linked
# with a small main() that replays files (the seed corpus, crash reproducers);
# with --enable-fuzzing it is linked with libFuzzer itself.
check_LIBRARIES = tests/fuzz/libreplay.a
tests_fuzz_libreplay_a_SOURCES = tests/fuzz/replay_main.c
if ENABLE_FUZZING
FUZZ_LDADD = $(ECS_LIBS)
FUZZ_LINKFLAGS = -fsanitize=fuzzer
else
FUZZ_LDADD = tests/fuzz/libreplay.a $(ECS_LIBS)
FUZZ_LINKFLAGS =
endif

check_PROGRAMS += tests/unit/test_json tests/unit/test_error tests/unit/test_log_fileio

check_PROGRAMS += tests/fuzz/fuzz_json
tests_fuzz_fuzz_json_SOURCES = tests/fuzz/fuzz_json.c
tests_fuzz_fuzz_json_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_json_LDFLAGS = $(FUZZ_LINKFLAGS)
