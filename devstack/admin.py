"""Stage administration (bin/admin). Nothing it prints is a secret (issue 24).

bin/admin create-first --stage S --login L --email E
    The first administrator of a stage: invited by mail (a 72-hour single-use set-up link,
    sent through SES to E). The link is also left in the SecureString
    `/esurety/<stage>/first-admin-link` for the operator to read when SES's sandbox does not
    deliver to E (`aws ssm get-parameter --with-decryption --name …`): it is never printed, so
    a CI log cannot hand anyone the admin of a stage. Refused (exit 1) once the stage has an admin.
bin/admin signing-chain --stage S --bucket B [--tsa-roots PEM] [--dry-run]
    The stage's signing chain (issue 31, store/signer.py), once: a CA certificate for the stage CA
    key (`alias/esurety-<S>-signing-ca`, KMS) and the signing certificate for the signing key's
    public key, both signed through kms:Sign, written with a CRL to the PDF bucket; when the chain
    exists only a CRL close to its nextUpdate is re-issued. --tsa-roots adds the trust roots of the
    stage's timestamp authority (a PEM file) to `signing/tsa-roots.pem`, keeping earlier ones.
    --dry-run prints the steps.
bin/admin smoke-fixture --stage S [--renew]
    The accounts bin/smoke needs on a new stage, their secrets in `/esurety/<stage>/smoke-fixture`
    (devstack/smoke_fixture.py). Kept when it exists, unless --renew. Refused for prod.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def create_first(stage: str, login: str, email: str, name: str) -> int:
    from chalicelib.domain.errors import DomainError
    from chalicelib.services import admin
    from devstack import secure_parameters

    try:
        link = admin.create_first_admin(login, email, name)
    except admin.AdminExists:
        print(f"refused: stage {stage} already has an admin", file=sys.stderr)
        return 1
    except DomainError as exc:
        print("refused: " + "; ".join(e.message for e in exc.errors), file=sys.stderr)
        return 1
    where = secure_parameters.put(
        stage,
        secure_parameters.FIRST_ADMIN_LINK,
        link,
        f"e-Surety {stage}: the first admin's set-up link (72 h, single use; bin/admin create-first)",
    )
    print(f"invited {login} <{email}> as the first admin of stage {stage}: the set-up link was mailed")
    print(f"the link (72 h, single use) is also in the SecureString {where}: aws ssm get-parameter --with-decryption")
    return 0


def smoke_fixture(stage: str, renew: bool) -> int:
    from devstack import secure_parameters, smoke_fixture

    if stage in {"prod", "local"}:
        print(f"refused: no smoke fixture on {stage}", file=sys.stderr)
        return 1
    if not renew and smoke_fixture.exists(stage):
        print(f"smoke fixture of stage {stage}: kept ({secure_parameters.parameter(stage, 'smoke-fixture')})")
        return 0
    where = smoke_fixture.create(stage)
    print(f"smoke fixture of stage {stage}: {', '.join(smoke_fixture.USERS)}; secrets in the SecureString {where}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bin/admin")
    sub = parser.add_subparsers(dest="command", required=True)
    first = sub.add_parser("create-first", help="create the first admin of a stage")
    first.add_argument("--stage", required=True)
    first.add_argument("--login", required=True)
    first.add_argument("--email", required=True)
    first.add_argument("--name", default="管理者")
    fixture = sub.add_parser("smoke-fixture", help="the accounts bin/smoke uses on a new stage")
    fixture.add_argument("--stage", required=True)
    fixture.add_argument("--renew", action="store_true", help="new passwords and TOTP secrets")
    seal = sub.add_parser("encrypt-secrets", help="encrypt TOTP secrets stored before issue 26")
    seal.add_argument("--stage", required=True)
    chain = sub.add_parser("signing-chain", help="the stage's PDF signing chain (KMS), once")
    chain.add_argument("--stage", required=True)
    chain.add_argument("--bucket", required=True)
    chain.add_argument("--tsa-roots", help="PEM file of the stage TSA's trust roots")
    chain.add_argument("--dry-run", action="store_true")
    count = sub.add_parser("count-lists", help="count the list totals of rows written before they were kept")
    count.add_argument("--stage", required=True)
    args = parser.parse_args(argv)

    os.environ["STAGE"] = args.stage
    if args.command == "signing-chain":
        return signing_chain(args.bucket, args.dry_run, args.tsa_roots)
    if args.command == "smoke-fixture":
        return smoke_fixture(args.stage, args.renew)
    if args.command == "encrypt-secrets":
        return encrypt_secrets(args.stage)
    if args.command == "count-lists":
        return count_lists(args.stage)
    return create_first(args.stage, args.login, args.email, args.name)


def signing_chain(bucket: str, dry_run: bool, tsa_roots: str | None = None) -> int:
    """`bin/stage up`'s signing step: the chain once, then only a due CRL; the TSA's trust roots
    (store/signer.py)."""
    os.environ["PDF_BUCKET"] = bucket
    from chalicelib.store import signer

    signer.ensure_stage_chain(dry_run=dry_run)
    if tsa_roots:
        try:
            signer.ensure_tsa_roots(Path(tsa_roots).read_text(encoding="ascii"), dry_run=dry_run)
        except (OSError, ValueError) as exc:
            print(f"refused: --tsa-roots {tsa_roots}: {exc}", file=sys.stderr)
            return 1
    return 0


def encrypt_secrets(stage: str) -> int:
    """Seal the TOTP secrets stored in plain text before issue 26 (`bin/stage up` runs it)."""
    from chalicelib.services import admin as admin_service

    count = admin_service.encrypt_secrets()
    print(f"sealed {count} TOTP secrets of stage {stage}")
    return 0


def count_lists(stage: str) -> int:
    """Back-fill the pager's kept counts once (store/list_counts.py; `bin/stage up` runs it)."""
    from chalicelib.store import list_counts

    done = list_counts.backfill()
    print(f"list counts of stage {stage}: " + ("already kept" if done is None else f"{done} set"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
