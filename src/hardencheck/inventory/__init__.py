"""Inventory: inventory files and command-line target specs become :class:`Target` objects."""

from hardencheck.inventory.model import Target
from hardencheck.inventory.netspec import network_targets
from hardencheck.inventory.parse import load_inventory, parse_target_spec

__all__ = ["Target", "load_inventory", "network_targets", "parse_target_spec"]
