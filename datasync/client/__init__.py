"""The Python client: embedded or remote backends, datasets, experiments."""
