"""The bare baseline of the consuming side: receive and delete, ten at a time, nothing else.

    python -m bench.bare_consumer QUEUE_URL COUNT

Receives and deletes COUNT messages (or stops once the queue stays empty for a few seconds) and
prints one JSON line: messages, seconds and CPU seconds of the loop, and the process's peak RSS.
The loop's rate, from a full queue, is the emulator's receive-and-delete ceiling.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from mysfits_common import aws

EMPTY_RECEIVES_BEFORE_GIVING_UP = 3


def drain(queue_url: str, count: int) -> dict[str, float]:
    sqs = aws.client("sqs", long_poll=True)
    handled, empty = 0, 0
    started, cpu_started = time.perf_counter(), time.process_time()
    while handled < count and empty < EMPTY_RECEIVES_BEFORE_GIVING_UP:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        if not messages:
            empty += 1
            continue
        empty = 0
        entries = [{"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(messages)]
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
        handled += len(messages)
    return {
        "messages": handled,
        "seconds": time.perf_counter() - started,
        "cpuSeconds": time.process_time() - cpu_started,
        "peakRssMb": _peak_rss_kb() / 1024,
    }


def _peak_rss_kb() -> int:
    """VmHWM: unlike getrusage's ru_maxrss it starts afresh at exec, not with the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    if len(sys.argv) != 3 or not sys.argv[2].isdigit():
        sys.exit("usage: python -m bench.bare_consumer QUEUE_URL COUNT")
    print(json.dumps(drain(sys.argv[1], int(sys.argv[2]))), flush=True)


if __name__ == "__main__":
    main()
