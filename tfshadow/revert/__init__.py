"""Reverting infrastructure to a recorded version: materialise, plan, verify, apply, record."""
