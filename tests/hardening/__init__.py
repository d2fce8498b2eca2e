"""Hardening tests (issue 9): bad input, faults, attacks, access, load."""
