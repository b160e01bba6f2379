"""Questionnaire documents and their immutable published versions."""
