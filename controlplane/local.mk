# controlplane/: ecs-controlplane. Everything but main.c goes into a library
# that the daemon, the unit tests and the fuzz targets link.
noinst_LIBRARIES += controlplane/libcp.a
controlplane_libcp_a_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(SQLITE_CFLAGS) $(LIBCRYPTO_CFLAGS)
controlplane_libcp_a_SOURCES = \
	controlplane/api.c controlplane/api.h controlplane/api-internal.h \
	controlplane/api-params.c \
	controlplane/api-clusters.c \
	controlplane/api-tags.c \
	controlplane/arn.c controlplane/arn.h \
	controlplane/credentials.c controlplane/credentials.h \
	controlplane/crypto.c controlplane/crypto.h \
	controlplane/ecs-endpoint.c controlplane/ecs-endpoint.h \
	controlplane/http.c controlplane/http.h \
	controlplane/ids.c controlplane/ids.h \
	controlplane/options.c controlplane/options.h \
	controlplane/paginate.c controlplane/paginate.h \
	controlplane/sigv4.c controlplane/sigv4.h \
	controlplane/store.c controlplane/store.h controlplane/store-internal.h \
	controlplane/store-schema.c \
	controlplane/store-clusters.c \
	controlplane/store-tags.c

# Link line for anything using the control-plane library.
CP_LIBS = controlplane/libcp.a $(ECS_LIBS) $(MHD_LIBS) $(SQLITE_LIBS) $(LIBCRYPTO_LIBS)
CP_CFLAGS = -I$(top_srcdir)/controlplane $(MHD_CFLAGS) $(SQLITE_CFLAGS) $(LIBCRYPTO_CFLAGS)

bin_PROGRAMS += controlplane/ecs-controlplane
controlplane_ecs_controlplane_SOURCES = controlplane/main.c
controlplane_ecs_controlplane_CFLAGS = $(AM_CFLAGS) $(CP_CFLAGS)
controlplane_ecs_controlplane_LDADD = $(CP_LIBS)

dist_doc_DATA += docs/controlplane.md

# Unit tests (cmocka)
check_PROGRAMS += tests/unit/test_cp_sigv4 tests/unit/test_cp_store tests/unit/test_cp_api \
	tests/unit/test_cp_util tests/unit/test_cp_http
tests_unit_test_cp_sigv4_SOURCES = tests/unit/test_cp_sigv4.c
tests_unit_test_cp_sigv4_CFLAGS = $(UNIT_CFLAGS) $(CP_CFLAGS)
tests_unit_test_cp_sigv4_LDADD = $(CP_LIBS) $(CMOCKA_LIBS)
tests_unit_test_cp_store_SOURCES = tests/unit/test_cp_store.c
tests_unit_test_cp_store_CFLAGS = $(UNIT_CFLAGS) $(CP_CFLAGS)
tests_unit_test_cp_store_LDADD = $(CP_LIBS) $(CMOCKA_LIBS)
tests_unit_test_cp_api_SOURCES = tests/unit/test_cp_api.c tests/unit/test_cp_api_util.h
tests_unit_test_cp_api_CFLAGS = $(UNIT_CFLAGS) $(CP_CFLAGS)
tests_unit_test_cp_api_LDADD = $(CP_LIBS) $(CMOCKA_LIBS)
tests_unit_test_cp_util_SOURCES = tests/unit/test_cp_util.c
tests_unit_test_cp_util_CFLAGS = $(UNIT_CFLAGS) $(CP_CFLAGS)
tests_unit_test_cp_util_LDADD = $(CP_LIBS) $(CMOCKA_LIBS)
tests_unit_test_cp_http_SOURCES = tests/unit/test_cp_http.c
tests_unit_test_cp_http_CFLAGS = $(UNIT_CFLAGS) $(CP_CFLAGS)
tests_unit_test_cp_http_LDADD = $(CP_LIBS) $(CMOCKA_LIBS)

# Fuzz targets
check_PROGRAMS += tests/fuzz/fuzz_cp_request tests/fuzz/fuzz_cp_sigv4
tests_fuzz_fuzz_cp_request_SOURCES = tests/fuzz/fuzz_cp_request.c
tests_fuzz_fuzz_cp_request_CFLAGS = $(AM_CFLAGS) $(CP_CFLAGS)
tests_fuzz_fuzz_cp_request_LDADD = controlplane/libcp.a $(FUZZ_LDADD) $(MHD_LIBS) $(SQLITE_LIBS) $(LIBCRYPTO_LIBS)
tests_fuzz_fuzz_cp_request_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_cp_sigv4_SOURCES = tests/fuzz/fuzz_cp_sigv4.c
tests_fuzz_fuzz_cp_sigv4_CFLAGS = $(AM_CFLAGS) $(CP_CFLAGS)
tests_fuzz_fuzz_cp_sigv4_LDADD = controlplane/libcp.a $(FUZZ_LDADD) $(MHD_LIBS) $(SQLITE_LIBS) $(LIBCRYPTO_LIBS)
tests_fuzz_fuzz_cp_sigv4_LDFLAGS = $(FUZZ_LINKFLAGS)

# Secrets Manager (api-secrets.c, store-secrets.c) and the per-container
# registry credentials the agent poll resolves from it (regcreds.c).
controlplane_libcp_a_SOURCES += \
	controlplane/api-secrets.c controlplane/api-secrets.h \
	controlplane/store-secrets.c controlplane/store-secrets.h \
	controlplane/regcreds.c controlplane/regcreds.h

check_PROGRAMS += tests/unit/test_cp_secrets
tests_unit_test_cp_secrets_SOURCES = tests/unit/test_cp_secrets.c
tests_unit_test_cp_secrets_CFLAGS = $(UNIT_CFLAGS) $(CP_CFLAGS)
tests_unit_test_cp_secrets_LDADD = $(CP_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_cp_regcreds
tests_fuzz_fuzz_cp_regcreds_SOURCES = tests/fuzz/fuzz_cp_regcreds.c
tests_fuzz_fuzz_cp_regcreds_CFLAGS = $(AM_CFLAGS) $(CP_CFLAGS)
tests_fuzz_fuzz_cp_regcreds_LDADD = controlplane/libcp.a $(FUZZ_LDADD) $(MHD_LIBS) $(SQLITE_LIBS) $(LIBCRYPTO_LIBS)
tests_fuzz_fuzz_cp_regcreds_LDFLAGS = $(FUZZ_LINKFLAGS)
