"""Transports: how hardencheck reaches a target. Every one is read-only by construction."""

from hardencheck.transport.base import CommandResult, HostKeyError, Transport, TransportError

__all__ = ["CommandResult", "HostKeyError", "Transport", "TransportError"]
