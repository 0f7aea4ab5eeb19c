"""Run the PDF reconciler once against a stage: `python -m devstack.reconcile --moto URL`.

Against the local stack, pass the moto URL it prints ("moto at http://127.0.0.1:N");
`--grace 0` also handles objects uploaded a moment ago. In AWS the scheduled
function `reconcile_pdfs` does the same every hour.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="release or delete PDFs left pending")
    parser.add_argument("--moto", help="the local stack's moto URL (omit to use the AWS environment)")
    parser.add_argument("--stage", default=os.environ.get("STAGE", "local"))
    parser.add_argument("--grace", type=int, default=None, help="seconds a pending object is left alone")
    args = parser.parse_args(argv)
    os.environ["STAGE"] = args.stage
    if args.moto:
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": args.moto,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": "ap-northeast-1",
                "AWS_REGION": "ap-northeast-1",
                "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            }
        )
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from chalicelib.services import reconcile

    report = reconcile.run(**({"grace_seconds": args.grace} if args.grace is not None else {}))
    print(f"released {report.released}, deleted {report.deleted}, left {report.unknown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
