# proto/: the agent <-> control plane contract (filled in by the protocol work).
