"""Data: annotation records, frame readers, the proposal store, samplers, transforms, collate."""
