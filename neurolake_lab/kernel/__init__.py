"""The NeuroLake Jupyter kernel: IPython with the NeuroLake magics loaded at start.

Launched as ``python -m neurolake_lab.kernel -f {connection_file}`` (see ``kernel/kernel.json``).
"""

from neurolake_lab.kernel.kernel import NeuroLakeKernel

__all__ = ["NeuroLakeKernel"]
