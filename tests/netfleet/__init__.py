"""Listener helpers for hardencheck's network-scan tests: real servers on 127.0.0.0/8.

``from netfleet import listeners`` once ``tests/`` is on ``sys.path`` (tests/conftest.py does it).
"""

from . import listeners
from .listeners import Listener, Listeners

__all__ = ["Listener", "Listeners", "listeners"]
