"""The checks, one module per control family; each registers its plain check functions
with check("ID")(fn) at its end (not decorated, so that mutmut mutates their bodies)."""
