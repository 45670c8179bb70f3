"""Do-not-call lists: the store, imports and the checks every contact path runs."""
