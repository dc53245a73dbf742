"""Deployment tooling: CloudFormation templates to stacks, on AWS, LocalStack or a local emulator."""
