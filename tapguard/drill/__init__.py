"""Failover drills: probes, fault triggers (lab and AWS), journals and verdicts."""
