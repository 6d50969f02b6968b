"""hardencheck: evidence-grade security audits of POS terminals and Linux servers after a breach."""

__version__ = "0.1.0"
