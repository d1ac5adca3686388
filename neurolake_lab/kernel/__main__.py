"""Entry point of the kernelspec: ``python -m neurolake_lab.kernel -f {connection_file}``."""

from ipykernel.kernelapp import IPKernelApp

from neurolake_lab.kernel.kernel import NeuroLakeKernel

if __name__ == "__main__":
    IPKernelApp.launch_instance(kernel_class=NeuroLakeKernel)
