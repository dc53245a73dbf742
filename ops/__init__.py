"""python -m ops: operate the pipeline on any target, the same way.

    python -m ops status [--watch]                  queues and DLQs, subscriptions, workers, totals
    python -m ops peek --dlq like|adoption          dead letters, without consuming them
    python -m ops redrive --queue like|adoption     move a DLQ's messages back to their queue
    python -m ops switch [like|adopt inline|queue]  the strangler switch, at run time
    python -m ops seed | reset [--yes-really]       the catalogue

The target is boto3's standard configuration (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``,
region, credentials chain), or ``--endpoint-url`` for every service at one emulator. Names come from
the outputs of the stacks ``{project}-data`` and ``{project}-messaging`` (``--project``, default
``mysfits``), never from this code. Every command prints a table, or JSON with ``--json``.

Exit codes (:class:`mysfits_common.cli.Exit`, shared with every tool): 0 done; 1 the operation failed;
2 bad usage; 3 a stack is missing; 4 no or bad credentials, or access denied; 5 the endpoint is
unreachable; 6 refused (``reset`` of a target that is not a local emulator, without ``--yes-really``).
"""
