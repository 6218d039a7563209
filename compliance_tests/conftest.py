"""The PCI suite's options and fixtures come from the tapguard pytest plugin (entry point `pytest11: tapguard`).

Options: --env ENV (repeatable), --plan-json ENV=PATH, --aws, --waivers FILE, --evidence DIR, --checkov.
"""
