"""strg: video action recognition with Space-Time Region Graphs.

Importing the package needs only the core dependencies (torch, torchvision, PyAV, numpy, Pillow,
tqdm); optional ones (h5py, tensorboard, matplotlib) are imported where they are used.
"""

__version__ = "0.1.0"
