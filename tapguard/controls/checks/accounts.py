"""The accounts family: AC1, account-wide names and singletons (logic and the cross-plan part in controls/accounts.py)."""

from __future__ import annotations

from tapguard.controls.accounts import unique_in_the_account

__all__ = ["unique_in_the_account"]
