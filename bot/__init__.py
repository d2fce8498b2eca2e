"""Reflective-supervision companion for clinicians in training (IPNB)."""
