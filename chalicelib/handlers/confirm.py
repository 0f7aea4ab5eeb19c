"""The confirmation step of a cookie-form write, declared once per write route (issue 27): the staff
console's writes, and the portals' one-click writes (Net Desk's 提出, D-Sure's 受領 and 差戻し).

    @confirmed(bp, "/staff/applications/{application_id}/issue", ISSUE, facts=issue_facts, on_error=app_page)
    def issue_page(call, values) -> str:  # the write; answers the GET page to go to
        ...

The first post (the form on the record's page) writes nothing: `facts(call, values)` checks what
can be checked now and names what will happen (before → after, or the consequence), and the page
`html/confirm.html` carries the values again with a signed one-time token
(services/console.py). Only the post of that page, with that token, runs the write — once per
token — and answers a 303 to the result page (Post/Redirect/Get): a reload of the result repeats
nothing, a double submit of the confirmation gets the same 303. What the facts or the write raise
(ValidationFailed, Conflict, Forbidden) is shown beside the record's form by `on_error`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain.errors import Conflict, FieldError, Forbidden, ValidationFailed
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.page import PageCall, actual_path, page, redirect

console = lazy("chalicelib.services.console")

#: (label, value) rows, or (label, before, after) rows for a change.
Facts = Sequence[tuple[str, ...]]
Write = Callable[[PageCall, dict[str, str]], str]
OnError = Callable[[PageCall, list[FieldError], int], Response]


@dataclass(frozen=True)
class Confirmation:
    """What one write's confirmation page says."""

    title: str  # the heading: 「保証を発行します」
    button: str  # the confirming button: 「発行する」
    consequence: str  # what happens and what cannot be undone
    back: str  # where やめて戻る goes, a path with the route's {params}
    fields: tuple[str, ...] = ()  # the posted fields the confirmed post carries again

    def at(self, back: str) -> Confirmation:
        """The same words, going back to another page (an application's or a reservation's)."""
        return dataclasses.replace(self, back=back)


def confirmed(
    bp: Blueprint,
    path: str,
    step: Confirmation | Callable[[PageCall], Confirmation],
    *,
    facts: Callable[[PageCall, dict[str, str]], Facts],
    on_error: OnError,
    audience: str = "staff",
) -> Callable[[Write], Write]:
    """Declare a write behind its confirmation step (see the module's docstring); `audience` is the
    portal whose session may post it (handlers/page.AUDIENCES)."""

    def decorate(write: Write) -> Write:
        @functools.wraps(write)
        def view(call: PageCall) -> Response:
            said = step(call) if callable(step) else step  # one route may say two things (/fee/{how})
            values = {name: (call.form.get(name) or "").strip() for name in said.fields}
            route = actual_path(call.request)
            token = call.form.get("form_token") or ""
            try:
                if call.form.get("confirmed") == "1" and console.token_valid(call.principal, route, values, token):
                    return redirect(console.once(call.principal, token, route, lambda: write(call, values)))
                rows = list(facts(call, values))
            except (ValidationFailed, Conflict, Forbidden) as exc:  # beside the record's own form
                return on_error(call, exc.errors, exc.status)
            return _confirmation(call, said, route, values, rows)

        page(bp, path, ("POST",), audience=audience)(view)
        return write

    return decorate


def _confirmation(call: PageCall, step: Confirmation, route: str, values: dict[str, str], rows: Any) -> Response:
    return call.render(
        "html/confirm.html",
        no_store=True,
        step=step,
        rows=rows,
        changes=any(len(row) > 2 for row in rows),
        action=route,
        values=values,
        back=step.back.format(**call.params),
        form_token=console.new_token(call.principal, route, values),
    )
