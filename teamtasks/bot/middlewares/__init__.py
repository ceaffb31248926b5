"""Per-update machinery: the unit of work, the current user, the handler's name in the logs."""
