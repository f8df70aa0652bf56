"""`make bench`: builds a large order cache and measures the dashboard against its targets."""
