"""Trace and consolidate: a story's origin and derivation tree (provenance), its headline, summary and canonical text (consolidate)."""
