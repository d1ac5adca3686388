"""Append audit records from a process of its own (concurrency and crash tests run this file).

Usage: python audit_worker.py WORKSPACE USER COUNT [START_FILE]; COUNT 0 appends until killed.
Prints each record id as soon as ``append`` returns, so the test knows what must be in the log.
"""

import sys
import time
from pathlib import Path

from neurolake_lab.compliance.audit import AuditLog


def main() -> None:
    workspace, user, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    if len(sys.argv) > 4:  # wait for the go signal, so that several workers start together
        start = Path(sys.argv[4])
        while not start.exists():
            time.sleep(0.001)
    log = AuditLog(workspace)
    i = 0
    while count == 0 or i < count:
        record_id = log.append("query", user=user, sql=f"SELECT {i}", n=i, worker=user)
        print(record_id, flush=True)
        i += 1
    log.close()


if __name__ == "__main__":
    main()
