# controlplane/: ecs-controlplane (filled in by the control-plane work).
