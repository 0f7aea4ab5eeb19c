"""The Jinja2 environment, built once per container on first use."""

from __future__ import annotations

import functools
from typing import Any

from chalicelib.domain import labels
from chalicelib.render.assets import templates_dir
from chalicelib.render.formatting import FILTERS
from chalicelib.render.letterhead import addressee, letterhead


@functools.lru_cache(maxsize=1)
def environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(FILTERS)
    env.globals["labels"] = labels  # every page, mail and PDF reads the same tables
    env.globals.update(letterhead=letterhead, addressee=addressee)  # the certificate's 見本① letterhead
    return env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
