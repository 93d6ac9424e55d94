"""CLI command groups; each module registers its commands on ``basesim.cli.app``."""
