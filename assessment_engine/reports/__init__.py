"""Outputs and outcomes for managers and partnership leads, and the person-level return."""
