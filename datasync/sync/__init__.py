"""Manifests, bucket digests and the plan (diff); pure, no I/O."""
