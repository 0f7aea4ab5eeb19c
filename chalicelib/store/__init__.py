"""Adapters to AWS: the only folder that knows DynamoDB, S3, SES and SSM.

Loading the package installs settings' SSM readers (store/parameters.py): the
base layer reads a deployed stage's values through them.
"""

from chalicelib.store import parameters as _parameters  # noqa: F401 - installs settings' readers
