"""`bin/admin create-first --stage S --login L --email E`: the first administrator of a stage.

It invites the admin (mail with a 72-hour set-up link) and prints the link as
well, because a new AWS account's SES sandbox does not deliver to unverified
addresses. Refused (exit 1) once the stage has an admin.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bin/admin")
    sub = parser.add_subparsers(dest="command", required=True)
    first = sub.add_parser("create-first", help="create the first admin of a stage")
    first.add_argument("--stage", required=True)
    first.add_argument("--login", required=True)
    first.add_argument("--email", required=True)
    first.add_argument("--name", default="管理者")
    seal = sub.add_parser("encrypt-secrets", help="encrypt TOTP secrets stored before issue 26")
    seal.add_argument("--stage", required=True)
    args = parser.parse_args(argv)

    os.environ["STAGE"] = args.stage
    if args.command == "encrypt-secrets":
        from chalicelib.services import admin as admin_service

        print(f"sealed {admin_service.encrypt_secrets()} TOTP secrets of stage {args.stage}")
        return 0
    from chalicelib.domain.errors import DomainError
    from chalicelib.services import admin

    try:
        link = admin.create_first_admin(args.login, args.email, args.name)
    except admin.AdminExists:
        print(f"refused: stage {args.stage} already has an admin", file=sys.stderr)
        return 1
    except DomainError as exc:
        print("refused: " + "; ".join(e.message for e in exc.errors), file=sys.stderr)
        return 1
    print(f"invited {args.login} <{args.email}> as the first admin of stage {args.stage}")
    print(f"set-up link (72 h, single use): {link}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
