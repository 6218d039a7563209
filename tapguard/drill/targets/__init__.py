"""Drill targets: the base FailoverTarget, the lab and AWS targets, and the typed builder."""
