"""The Jinja2 environment, built once per container on first use."""

from __future__ import annotations

import functools
from typing import Any

from chalicelib.render import links
from chalicelib.render.assets import templates_dir
from chalicelib.render.formatting import FILTERS


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
    env.globals["url"] = links.url  # every href and form action: render/links.py
    return env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
