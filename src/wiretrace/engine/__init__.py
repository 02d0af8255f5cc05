"""The engine: the stage sequence written once, run by executors (local worker processes, Spark) over the embedded store."""
