# lib/taskdef*: the ECS task-definition model (filled in by that work).
