# lib/: the code both daemons share. Other fragments add to libecs_a_SOURCES.
noinst_LIBRARIES += lib/libecs.a
lib_libecs_a_SOURCES = \
	lib/cleanup.h \
	lib/error.c lib/error.h \
	lib/fileio.c lib/fileio.h \
	lib/log.c lib/log.h \
	lib/json.c lib/json.h \
	lib/db-errno.c lib/db-errno.h
