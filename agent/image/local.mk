# agent/image: OCI image layouts, the layer store, overlay root filesystems
# and image users. Resolving and unpacking (libarchive, libcrypto) live in
# agent/libimage.a, linked only by the helper program ecs-agent-image and
# the tests; the daemon keeps the client, rootfs mounts and user lookup.
agent_libagent_a_SOURCES += \
	agent/image/image.h \
	agent/image/image-internal.h \
	agent/image/cache.c \
	agent/image/client.c \
	agent/image/fetch.c \
	agent/image/ref.c \
	agent/image/rootfs.c \
	agent/image/user.c

noinst_LIBRARIES += agent/libimage.a
agent_libimage_a_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS) $(LIBARCHIVE_CFLAGS) $(LIBCRYPTO_CFLAGS)
agent_libimage_a_SOURCES = \
	agent/image/digest.c \
	agent/image/layer.c \
	agent/image/layout.c \
	agent/image/oci-json.c \
	agent/image/store.c
IMAGE_LIBS = agent/libimage.a $(AGENT_LIBS) $(LIBARCHIVE_LIBS) $(LIBCRYPTO_LIBS)

# The helper sits next to agent/ecs-agent (found there uninstalled) and is
# installed into pkglibexecdir.
ecsimagedir = $(pkglibexecdir)
ecsimage_PROGRAMS = agent/ecs-agent-image
agent_ecs_agent_image_SOURCES = agent/image/helper.c
agent_ecs_agent_image_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS)
agent_ecs_agent_image_LDADD = $(IMAGE_LIBS)

EXTRA_DIST += tests/tools/mkimage.py

check_PROGRAMS += tests/unit/test_agent_image
tests_unit_test_agent_image_SOURCES = tests/unit/test_agent_image.c
tests_unit_test_agent_image_CFLAGS = $(UNIT_CFLAGS) $(AGENT_CFLAGS) \
	-DMKIMAGE='"$(abs_top_srcdir)/tests/tools/mkimage.py"' \
	-DIMAGE_HELPER='"$(abs_top_builddir)/agent/ecs-agent-image"'
tests_unit_test_agent_image_LDADD = $(IMAGE_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_unit_test_agent_image_DEPENDENCIES = agent/ecs-agent-image

check_PROGRAMS += tests/fuzz/fuzz_agent_image_json tests/fuzz/fuzz_agent_passwd
tests_fuzz_fuzz_agent_image_json_SOURCES = tests/fuzz/fuzz_agent_image_json.c
tests_fuzz_fuzz_agent_image_json_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS)
tests_fuzz_fuzz_agent_image_json_LDADD = $(FUZZ_LDADD) $(IMAGE_LIBS)
tests_fuzz_fuzz_agent_image_json_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_agent_passwd_SOURCES = tests/fuzz/fuzz_agent_passwd.c
tests_fuzz_fuzz_agent_passwd_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS)
tests_fuzz_fuzz_agent_passwd_LDADD = $(FUZZ_LDADD) $(AGENT_LIBS)
tests_fuzz_fuzz_agent_passwd_LDFLAGS = $(FUZZ_LINKFLAGS)

check_PROGRAMS += tests/fuzz/fuzz_agent_image_answer
tests_fuzz_fuzz_agent_image_answer_SOURCES = tests/fuzz/fuzz_agent_image_answer.c
tests_fuzz_fuzz_agent_image_answer_CFLAGS = $(AM_CFLAGS) $(AGENT_CFLAGS)
tests_fuzz_fuzz_agent_image_answer_LDADD = $(FUZZ_LDADD) $(AGENT_LIBS)
tests_fuzz_fuzz_agent_image_answer_LDFLAGS = $(FUZZ_LINKFLAGS)
EXTRA_DIST += tests/fuzz/corpus/agent_image_answer
