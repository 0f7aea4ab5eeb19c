"""Write the bytecode cache of what the local stack and the suite import, once, right after set-up.

uv installs the requirements without `.pyc`, so on a fresh clone the first processes to import a
module compile it from source: the suite's three workers start together and each compiled the same
~2,000 modules (~6 s of CPU apiece), and every local stack and cfn-lint run paid the same until one of
them had written the cache. `bin/setup` runs this in the background while npm installs (which mostly
waits on the registry), so one process compiles them and every later one loads them.

Importing is the point (compileall would compile every module of moto's 150 services); a module that
fails to import is skipped, since nothing here is needed for anything to work, only to start faster.
Run as `python -m devstack.bytecode`.
"""

from __future__ import annotations

import importlib
import os
import sys

#: What the app, the local stack (devstack/__main__.py imports moto and chalice's server inside
#: main()), the PDFs and signing, and every test worker (pytest's plugins: xdist, hypothesis,
#: schemathesis) import. Not what one process alone imports (Playwright, cfn-lint): it compiles its own.
MODULES = (
    "app",
    "chalicelib.render.pdf",
    "chalicelib.services.signing",
    "pyhanko.sign",
    "pyhanko.sign.validation",
    "fpdf",
    "jinja2",
    "moto.server",
    "moto.dynamodb.models",
    "moto.dynamodbstreams.models",
    "moto.s3.models",
    "moto.ses.models",
    "moto.sns.models",
    "moto.kms.models",
    "moto.ssm.models",
    "moto.sqs.models",
    "chalice.local",
    "chalice.test",
    "chalice.cli.factory",
    "devstack.seed",
    "pytest",
    "xdist",
    "hypothesis",
    "schemathesis",
)


def main() -> int:
    os.environ.setdefault("STAGE", "local")
    sys.dont_write_bytecode = False  # the point of this module, whatever the environment says
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - a faster start only; the real import reports it
            continue
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
