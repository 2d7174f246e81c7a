# controlplane/taskdefs: sources and tests of this resource family (controlplane_libcp_a_SOURCES +=, check_PROGRAMS +=).
