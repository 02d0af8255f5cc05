"""Candidates: which pairs to compare (lexical paths: hashes, LSH bands, anchors, names; the embedding path: vector neighbours)."""
