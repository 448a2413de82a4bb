"""Data preparation: frame extraction, annotation builders, region proposals."""
