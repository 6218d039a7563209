"""Deploy each stack to the embedded AWS endpoint, check what was deployed, drill it, destroy it, prove nothing is left."""
