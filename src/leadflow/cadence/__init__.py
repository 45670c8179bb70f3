"""The cadence engine: the worker job that works each enrolled lead through its schedule."""
