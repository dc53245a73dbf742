"""What the monolith and both workers share: the event envelope, publishing, the SQS consumer loop."""
