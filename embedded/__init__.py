"""The embedded default: the whole system on this machine, with moto's server standing in for AWS."""
