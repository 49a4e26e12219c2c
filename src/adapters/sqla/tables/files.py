"""Tables of this context (none yet)."""
