"""The CLI's sub-commands, each a thin layer that wires loaded configuration to the engine."""
