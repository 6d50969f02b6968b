"""The result model: typed, versioned, redacted, with stable finding identities."""
