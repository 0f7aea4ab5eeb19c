"""Adapters to AWS: the only folder that knows DynamoDB, S3 and SES."""
