"""Is the model being recorded into a graph (torch.compile, torch.export, torch.jit.trace)?

Input checks that read tensor values (``bool(tensor)``) cannot be part of a graph: dynamo breaks
the graph there, export refuses them and the tracer bakes the answer of the example input into
the graph. Eager runs check; a recorded graph relies on the eager model having been checked on the
same kind of input (the export command checks its outputs against eager ones). Checks of shapes
only are kept everywhere: they are static facts of the graph.
"""

from __future__ import annotations

import torch


def is_recording() -> bool:
    """True under ``torch.compile``, ``torch.export`` (and the ONNX exporter built on either)
    or ``torch.jit.trace``."""
    return torch.compiler.is_compiling() or torch.jit.is_tracing()
