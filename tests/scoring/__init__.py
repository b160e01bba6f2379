"""Tests of the pure rule engine (assessment_engine.scoring)."""
