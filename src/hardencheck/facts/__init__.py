"""Facts: probes gather one kind of fact each, parsed once into structured data many checks read."""
