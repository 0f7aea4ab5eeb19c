"""Stage names from git branches, and the name of every AWS resource a stage owns.

Rules (issue 12; issue 24 made branch names unable to reach a fixed stage):
- `main` deploys the `dev` stage; no other branch name does. A branch named
  `dev`, `prod`, `main-2` or `refs/heads/prod` is a branch like any other.
  `prod` is reached only by `--stage prod` from the prod workflow (a tag or a
  manual run through the GitHub environment `prod`: devstack/stage.py).
- any other branch becomes `br-<slug>-<hash>`: lower case, every other
  character a `-`, runs of `-` collapsed, the slug cut so the whole name fits
  every AWS limit below, and a 6-hex hash of the exact branch name, so two
  branches that slug alike (`feature/New_Thing` and `feature-new-thing`) or
  share a long prefix still get disjoint resources. The `br-` prefix means a
  branch can never become `local`, `dev` or `prod`.

The tightest limit is the bucket, `esurety-<stage>-pdf-<12-digit account>` ≤ 63
characters (25 fixed), then Lambda function and IAM role names (≤ 64). A stage
of at most MAX_STAGE = 32 characters keeps every name valid with room to spare,
and `.chalice/resources.json`'s Stage parameter pattern enforces the same.

The names here must equal what the merge template builds from `${Stage}`; a
unit test resolves the template's `Fn::Sub`s and compares.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

APP = "esurety"
MAX_STAGE = 32
#: The only branch that names a fixed stage. Never extend this with `dev` or `prod`: a branch
#: anyone can push (or delete) must not be able to deploy or tear down a fixed stage.
FIXED_BRANCHES = {"main": "dev"}
RESERVED = {"local", "dev", "prod"}
STAGE_PATTERN = r"^[a-z][a-z0-9-]{0,31}$"
_HASH = 6


def stage_for_branch(branch: str) -> str:
    """The stage a git branch deploys to (`refs/heads/` is ignored)."""
    name = branch.removeprefix("refs/heads/").strip()
    if not name:
        raise ValueError("empty branch name")
    if name in FIXED_BRANCHES:
        return FIXED_BRANCHES[name]
    slug = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9]", "-", name.lower())).strip("-") or "x"
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:_HASH]
    room = MAX_STAGE - len("br-") - 1 - _HASH
    slug = slug[:room].rstrip("-") or "x"
    stage = f"br-{slug}-{digest}"
    assert re.match(STAGE_PATTERN, stage) and stage not in RESERVED, stage
    return stage


def is_branch_stage(stage: str) -> bool:
    return stage.startswith("br-")


@dataclass(frozen=True)
class StageNames:
    """Every name of a stage's resources (account and region fill the ones that need them)."""

    stage: str
    account: str
    region: str

    @property
    def prefix(self) -> str:
        return f"{APP}-{self.stage}"

    @property
    def stack(self) -> str:
        return self.prefix

    def table(self, logical: str) -> str:
        return f"{self.prefix}-{logical}"

    @property
    def bucket(self) -> str:
        return f"{self.prefix}-pdf-{self.account}"

    @property
    def failure_queue(self) -> str:
        return f"{self.prefix}-certificate-stream-failures"

    @property
    def alarm_topic(self) -> str:
        return f"{self.prefix}-alarms"

    @property
    def api_function(self) -> str:
        return f"{self.prefix}-api"

    @property
    def stream_function(self) -> str:
        return f"{self.prefix}-certificate-stream"

    @property
    def events_function(self) -> str:
        """The staff events' stream function (handlers/events.py event_stream): key reissue and rejection notices."""
        return f"{self.prefix}-event-stream"

    @property
    def feedback_function(self) -> str:
        """SES's bounce and complaint notifications (handlers/bounces.py)."""
        return f"{self.prefix}-ses-feedback"

    @property
    def reconcile_function(self) -> str:
        """The hourly PDF reconciler (handlers/maintenance.py reconcile_pdfs)."""
        return f"{self.prefix}-reconcile-pdfs"

    @property
    def webhook_function(self) -> str:
        """The webhook sender (handlers/webhooks.py webhook_sender), every minute by default."""
        return f"{self.prefix}-webhook-sender"

    @property
    def reminders_function(self) -> str:
        """The daily 保証期限 reminders (handlers/maintenance.py daily_reminders), 06:00 JST."""
        return f"{self.prefix}-daily-reminders"

    @property
    def feedback_topic(self) -> str:
        return f"{self.prefix}-ses-feedback"

    @property
    def configuration_set(self) -> str:
        """The SES configuration set every mail of the stage is sent through."""
        return self.prefix

    @property
    def api_role(self) -> str:
        return f"{self.prefix}-api"

    @property
    def stream_role(self) -> str:
        return f"{self.prefix}-certificate-stream"

    @property
    def events_role(self) -> str:
        return f"{self.prefix}-event-stream"

    @property
    def feedback_role(self) -> str:
        return f"{self.prefix}-ses-feedback"

    @property
    def log_groups(self) -> list[str]:
        """Every group the stage's functions and API wrote: Lambda's default `/aws/lambda/<fn>` (before
        the stack owned its groups) and the stack's `/esurety/<stage>/<fn>` (devstack/cfn.py), which a
        retained stack leaves behind; `down` deletes each that exists."""
        functions = (
            self.api_function,
            self.stream_function,
            self.events_function,
            self.feedback_function,
            self.reconcile_function,
            self.webhook_function,
            self.reminders_function,
        )
        owned = [f"/{APP}/{self.stage}/{f.removeprefix(self.prefix + '-')}" for f in functions]
        return [f"/aws/lambda/{f}" for f in functions] + owned + [f"/{APP}/{self.stage}/api-access"]

    def parameter(self, name: str) -> str:
        return f"/{APP}/{self.stage}/{name}"

    @property
    def parameters(self) -> list[str]:
        """Every parameter of the stage, the deploy tools' SecureStrings included (`down` deletes them all)."""
        names = ("session-secret", "public-base-url", "ses-sender", "first-admin-link", "smoke-fixture")
        return [self.parameter(n) for n in names]

    def alarm(self, what: str) -> str:
        return f"{self.prefix}-{what}"

    def all(self, tables: list[str] | tuple[str, ...]) -> dict[str, str]:
        """kind → name, for printing and for the tests' validity checks."""
        out = {
            "stack": self.stack,
            "bucket": self.bucket,
            "queue": self.failure_queue,
            "topic": self.alarm_topic,
            "function:api": self.api_function,
            "function:stream": self.stream_function,
            "function:event-stream": self.events_function,
            "function:ses-feedback": self.feedback_function,
            "role:api": self.api_role,
            "role:stream": self.stream_role,
            "role:event-stream": self.events_role,
            "role:ses-feedback": self.feedback_role,
            "topic:ses-feedback": self.feedback_topic,
            "ses-configuration-set": self.configuration_set,
        }
        out.update({f"table:{t}": self.table(t) for t in tables})
        out.update({f"log-group:{i}": g for i, g in enumerate(self.log_groups)})
        out.update({f"parameter:{p.rsplit('/', 1)[1]}": p for p in self.parameters})
        return out
