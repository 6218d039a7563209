"""Copies of the stacks' rotation functions (modules/secrets/rotation/*.py), shipped with tapguard for installs outside a checkout.

The project's own copy is used when the project has one (targets/rotation.rotator); these are byte-for-byte
the same after their first line (tests/drill/targets/test_rotation.py), so a change there fails until copied here.
"""
