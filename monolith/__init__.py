"""The monolith: the Mysfits API and the only owner of the catalogue in DynamoDB."""
