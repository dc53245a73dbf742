"""Benchmarks that print their figures against a baseline measured in the same run."""

from embedded.system import SystemFailed

#: What a benchmark reports in one line as "the system failed" (with where its logs are): a process
#: that exited, a port taken, a timeout, a request that failed. Anything else is a bug.
SYSTEM_FAILURES: tuple[type[BaseException], ...] = (OSError, SystemFailed)
