# agent/: the ecs-agent daemon and its operator commands.
bin_PROGRAMS += agent/ecs-agent
agent_ecs_agent_SOURCES = \
	agent/main.c \
	agent/commands.h \
	agent/cmd-validate.c
agent_ecs_agent_LDADD = $(ECS_LIBS)
