# proto/: the agent <-> control plane contract and its codec (lib/wire.*).
#
# protoc-c generates agent.pb-c.[ch] into the BUILD tree ($(top_builddir)/proto,
# already on the include path); they are never committed. BUILT_SOURCES makes
# them exist before anything that includes wire.h is compiled, also with -j.
EXTRA_DIST += proto/agent.proto

lib_libecs_a_SOURCES += lib/wire.c lib/wire.h
nodist_lib_libecs_a_SOURCES = proto/agent.pb-c.c proto/agent.pb-c.h
BUILT_SOURCES += proto/agent.pb-c.c proto/agent.pb-c.h
CLEANFILES += proto/agent.pb-c.c proto/agent.pb-c.h

# One rule produces both files; the header depends on the .c so a parallel
# make never runs protoc-c twice at once (the automake manual's recipe for
# multi-output rules).
proto/agent.pb-c.c: $(top_srcdir)/proto/agent.proto
	$(AM_V_GEN)$(MKDIR_P) proto && \
	$(PROTOC_C) -I$(top_srcdir)/proto --c_out=proto $(top_srcdir)/proto/agent.proto
proto/agent.pb-c.h: proto/agent.pb-c.c
	@test -f $@ || { rm -f proto/agent.pb-c.c && $(MAKE) $(AM_MAKEFLAGS) proto/agent.pb-c.c; }
# BUILT_SOURCES only covers `make`, `make check` and `make install`; these let
# `make lib/libecs.a` or a single test in a fresh tree work too.
lib/wire.$(OBJEXT): proto/agent.pb-c.h

# Tests of the codec. (They live here rather than in tests/local.mk so the
# protocol work stays in one fragment; the variables they use are set there.)
check_PROGRAMS += tests/unit/test_wire
tests_unit_test_wire_SOURCES = tests/unit/test_wire.c tests/unit/wire_samples.h

check_PROGRAMS += tests/fuzz/fuzz_wire_agent tests/fuzz/fuzz_wire_controlplane
tests_fuzz_fuzz_wire_agent_SOURCES = tests/fuzz/fuzz_wire_agent.c tests/fuzz/fuzz_wire.h
tests_fuzz_fuzz_wire_agent_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_wire_agent_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_wire_controlplane_SOURCES = tests/fuzz/fuzz_wire_controlplane.c tests/fuzz/fuzz_wire.h
tests_fuzz_fuzz_wire_controlplane_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_wire_controlplane_LDFLAGS = $(FUZZ_LINKFLAGS)

# Writes the seed corpora: tests/fuzz/wire_corpus_gen <srcdir>/tests/fuzz/corpus
check_PROGRAMS += tests/fuzz/wire_corpus_gen
tests_fuzz_wire_corpus_gen_SOURCES = tests/fuzz/wire_corpus_gen.c tests/fuzz/fuzz_wire.h \
	tests/unit/wire_samples.h
tests_fuzz_wire_corpus_gen_LDADD = $(ECS_LIBS)
