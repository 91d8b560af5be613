"""Analyses of trained checkpoints, run after (never during) training."""
