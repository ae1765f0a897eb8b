"""Request and response models of /api/v1 (from the contract), for validation and /openapi.json."""
