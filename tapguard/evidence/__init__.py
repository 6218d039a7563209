"""Evidence bundle and its writers: one module per output format, all fed the same run."""
