#!/bin/sh
# LocalStack ready hook: deploy infra/cloudformation/data.yaml and messaging.yaml (the templates AWS
# gets) as stacks <project>-data and <project>-messaging, then seed the catalogue (missing items
# only). docker-compose.localstack.yml mounts the repository's code read-only at /opt/mysfits.
# Idempotent: a restart with persisted state updates the stacks in place and seeds nothing twice.
# On success it leaves $MYSFITS_DEPLOYED_FILE (default /tmp/mysfits-deployed), which the compose
# health check requires: LocalStack reports its init stage completed even when a hook failed.
set -eu

DEPLOYED_FILE="${MYSFITS_DEPLOYED_FILE:-/tmp/mysfits-deployed}"
rm -f "$DEPLOYED_FILE"

export AWS_ENDPOINT_URL="http://localhost:4566"
export AWS_ACCESS_KEY_ID="test"
export AWS_SECRET_ACCESS_KEY="test"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export PYTHONPATH="/opt/mysfits"
export PYTHONDONTWRITEBYTECODE=1

# LocalStack's own interpreter has boto3 and PyYAML, all that deploy/ and monolith.seed import.
PYTHON=/opt/code/localstack/.venv/bin/python
[ -x "$PYTHON" ] || PYTHON=python3

"$PYTHON" -m deploy.localstack_init
touch "$DEPLOYED_FILE"
