# agent/init: ecs-agent-init, the container init for initProcessEnabled. It is
# bind-mounted into containers whatever their libc (or none), so it is static
# and links nothing of the project. It sits next to agent/ecs-agent in the
# build tree on purpose (the agent finds it there when run uninstalled).
#
# Built by an explicit rule rather than as an automake program: every program
# gets the user's CFLAGS, and the sanitizer flags of an ASan/UBSan or fuzzing
# build cannot be linked statically (nor would such a binary run inside a
# bare rootfs). Everything else in CFLAGS is kept. Installed into
# pkglibexecdir through its own directory variable.
ecsinitdir = $(pkglibexecdir)
ecsinit_SCRIPTS = agent/ecs-agent-init
INIT_CFLAGS = $(filter-out -fsanitize% -fno-sanitize%,$(CFLAGS))
agent/ecs-agent-init: $(srcdir)/agent/init/init.c autoconf.h
	@$(MKDIR_P) agent
	$(AM_V_CCLD)$(CC) -std=gnu11 $(WARN_CFLAGS) -I$(top_builddir) $(CPPFLAGS) $(INIT_CFLAGS) \
		$(LDFLAGS) -static -o $@ $(srcdir)/agent/init/init.c
CLEANFILES += agent/ecs-agent-init
EXTRA_DIST += agent/init/init.c
