"""Text primitives every stage shares: tokens, names, topic vectors."""
