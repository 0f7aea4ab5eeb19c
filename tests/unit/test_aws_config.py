"""chalicelib/aws_config.py: every AWS client is bounded well inside the Lambda timeout (moto and chalice local hide this)."""

from __future__ import annotations

from chalicelib import aws_config

LAMBDA_TIMEOUT = 30  # .chalice/config.json


def test_every_client_is_bounded_well_inside_the_lambda_timeout():
    for service in ("s3", "ses", "ssm"):
        config = aws_config.client_config(service)
        assert config.retries == {"total_max_attempts": aws_config.BOUNDS[service][2], "mode": "standard"}
        assert config.connect_timeout <= 3 and config.read_timeout <= 5
        assert aws_config.worst_case_seconds(service) < LAMBDA_TIMEOUT
    # A mail send (the stream function) fits twice into the timeout: a slow SES cannot eat the
    # invocation, and the notify lease (120 s) outlives any invocation that holds it.
    assert aws_config.worst_case_seconds("ses") <= LAMBDA_TIMEOUT / 2
    from chalicelib.services import notify

    assert notify.LEASE_SECONDS > LAMBDA_TIMEOUT


def test_s3_through_moto_waits_longer_than_s3_itself():
    # moto queues a burst's uploads; AWS's S3 keeps the 5 s bound.
    assert aws_config.client_config("s3").read_timeout == aws_config.BOUNDS["s3"][1] == 5
    local = aws_config.client_config("s3", "http://127.0.0.1:5999")
    assert local.read_timeout == aws_config.LOCAL_READ_TIMEOUT_SECONDS == 60.0
    assert local.connect_timeout == aws_config.BOUNDS["s3"][0]
