"""What a benchmark reports in one line as "the system failed" (with where its logs are). Not in
bench/__init__.py: the bare baselines (bench.bare_app, bench.bare_consumer) import the package, and
must not load the system to be measured against it."""

from embedded.system import SystemFailed

#: A process that exited, a port taken, a timeout, a request that failed; anything else is a bug.
SYSTEM_FAILURES: tuple[type[BaseException], ...] = (OSError, SystemFailed)
