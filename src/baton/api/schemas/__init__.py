"""Wire shapes of the API (request bodies and responses) and their mapping to the domain."""
