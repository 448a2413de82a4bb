"""The engine: the run's composition root, training and evaluation loops, checkpoints, logs."""
