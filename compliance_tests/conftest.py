"""The PCI suite's options and fixtures come from the tapguard pytest plugin (entry point `pytest11: tapguard`).

Options: --tapguard-env ENV (repeatable), --tapguard-plan-json ENV=PATH, --tapguard-aws, --tapguard-waivers FILE,
--tapguard-evidence DIR, --tapguard-checkov.
"""
