"""What every service's FastAPI app shares: the mapping of errors to the contract's body."""
