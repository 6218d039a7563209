"""The foundation floor: what every other floor uses (errors, safe input and output, schemas, the config, profiles,
digests, free ports, safe YAML). It imports nothing of tapguard above it (import-linter, `nox -s lint`)."""
