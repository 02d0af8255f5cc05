"""The shells over the library: the CLI, the HTTP service and its web pages."""
