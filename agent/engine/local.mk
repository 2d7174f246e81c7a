# agent/engine/: task and container state machines, reconciliation, restart
# recovery, host resource accounting.
agent_libagent_a_SOURCES += \
	agent/engine/engine.h agent/engine/engine-internal.h \
	agent/engine/engine.c \
	agent/engine/features.c \
	agent/engine/admit.c \
	agent/engine/command.c agent/engine/command.h \
	agent/engine/container.c \
	agent/engine/container-start.c \
	agent/engine/overrides.c \
	agent/engine/reconcile.c \
	agent/engine/recover.c \
	agent/engine/report.c \
	agent/engine/task.c \
	agent/engine/telemetry.c \
	agent/engine/volumes.c agent/engine/volumes.h
