"""The checks, one module per control family; each registers its controls with @check("ID")."""
