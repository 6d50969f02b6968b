"""Pure parsers that turn untrusted host text into ParsedFacts (no I/O, never raise on bad input)."""
