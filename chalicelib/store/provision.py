"""Create a stage's tables, bucket and SES sender: for the local stack and tests.

Deployed stages get the same resources from CloudFormation
(`.chalice/resources.json`); this is the local twin of that template.
"""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute

from chalicelib import settings
from chalicelib.store import mailer, objects, orderers
from chalicelib.store.connection import dynamodb_client
from chalicelib.store.models import ALL_MODELS


def create_tables() -> None:
    """Every table of the stage, with its TTL. Forgets this process's cached reference
    data: tables made now are about to be (re)seeded."""
    orderers.clear_cache()
    for model in ALL_MODELS.values():
        if not model.exists():
            model.create_table(wait=True)
        ttl = _ttl_attribute(model)
        if ttl:
            client = dynamodb_client()
            client.update_time_to_live(
                TableName=model.Meta.table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl},
            )


def _ttl_attribute(model: type) -> str | None:
    for attr in model.get_attributes().values():
        if isinstance(attr, TTLAttribute):
            return attr.attr_name
    return None


def create_bucket() -> None:
    s = settings.current()
    s3 = objects.client()  # the container's client: a new one costs ~10 ms, and tests make the bucket per test
    s3.create_bucket(Bucket=s.bucket, CreateBucketConfiguration={"LocationConstraint": s.region})
    s3.put_bucket_versioning(Bucket=s.bucket, VersioningConfiguration={"Status": "Enabled"})


def verify_sender() -> None:
    s = settings.current()
    mailer.client().verify_email_identity(EmailAddress=s.ses_sender)


def certificates_stream_arn() -> str:
    return stream_arn("certificates")


def stream_arn(table: str) -> str:
    """The stream of one of the stage's tables (certificates, events)."""
    s = settings.current()
    described = dynamodb_client(s.region).describe_table(TableName=s.table_name(table))["Table"]
    return described["LatestStreamArn"]


def provision_all() -> None:
    create_tables()
    create_bucket()
    verify_sender()
