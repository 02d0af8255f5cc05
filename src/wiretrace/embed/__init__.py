"""Vectors from the offline MiniLM model: sentence embeddings and static document vectors (read by candidates, align and trace)."""
