"""Writes to the order cache, a module per job; import from the module that owns a name."""
