"""Read examples from files and locations as a stream of Example (see open_source)."""
