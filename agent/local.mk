# agent/: the ecs-agent daemon and its commands.
