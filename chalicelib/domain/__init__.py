"""Pure Python: value types and rules. No boto3, no chalice."""
