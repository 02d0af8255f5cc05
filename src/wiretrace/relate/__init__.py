"""Relate: a pair's relation and scores from its alignment, templates included."""
