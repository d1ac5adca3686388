"""The Jupyter kernel conformance suite (jupyter_kernel_test) against the installed kernel."""

import jupyter_kernel_test as jkt
import pytest

pytestmark = pytest.mark.slow


class NeuroLakeKernelConformance(jkt.KernelTests):
    kernel_name = "neurolake"
    language_name = "python"
    file_extension = ".py"

    code_hello_world = "print('hello, world')"
    code_stderr = "import sys; print('test', file=sys.stderr)"

    completion_samples = [  # noqa: RUF012 - the suite's own class attributes
        {"text": "%%sql\nSELEC", "matches": {"SELECT"}},
        {
            "text": "%%sql\nselect * from range(3) where range < 2 ord",
            "matches": {"order", "ordinality"},
        },
        {"text": "import collections; collections.OrderedDi", "matches": {"OrderedDict"}},
    ]
    complete_code_samples = ["1 + 1", "%sql SELECT 1", "def f():\n    return 1\n"]  # noqa: RUF012
    incomplete_code_samples = ["def f(", "for i in range(3):"]  # noqa: RUF012
    invalid_code_samples = ["1 +* 2)"]  # noqa: RUF012

    code_page_something = "print?"
    code_generate_error = "raise ValueError('boom')"
    code_execute_result = [  # noqa: RUF012
        {"code": "6 * 7", "result": "42"},
        {"code": "%%sql\nSELECT 42 AS answer", "mime": "application/vnd.neurolake.report+json"},
        {"code": "%sql SELECT 1 AS one", "mime": "text/html"},
    ]
    code_display_data = [  # noqa: RUF012
        {
            "code": "from IPython.display import HTML, display; display(HTML('<b>x</b>'))",
            "mime": "text/html",
        },
        {"code": "%%sql --explain\nSELECT 42", "mime": "text/plain"},
    ]
    code_history_pattern = "6 * 7"
    supported_history_operations = ("tail", "search")
    code_inspect_sample = "print"
    code_clear_output = "from IPython.display import clear_output; clear_output()"
