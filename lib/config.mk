# lib/config.*, lib/backoff.*: the KEY=VALUE config parser and backoff (filled in by that work).
