"""The Jinja2 environment, built once per container on first use, from precompiled templates when packaged.

Compiling a template (lex, parse, generate Python, compile it) costs more than
rendering it, and a Lambda container would pay it for every template on its
first use. The package build therefore compiles every template once into Python
modules (`python -m chalicelib.render.templates compile DIR`, Jinja2's own
`Environment.compile_templates`), and a packaged container loads them with
Jinja2's `ModuleLoader`: plain imports, byte-compiled with the rest of the code,
nothing written at runtime (Lambda's code directory is read-only).

A checkout has no compiled directory and reads `templates/` directly, so an
edited template is never shadowed by a stale compiled one; it keeps Jinja2's
bytecode cache in `build/jinja/` (keyed by each template's source checksum, so
an edit compiles afresh), which spares every later process of the checkout — a
local stack's warm-up, each test worker — compiling every template again. Both environments come
from one builder, so the compiled code and the runtime agree on every option.
Jinja2 itself is imported on first use only (cold start).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

from chalicelib.domain import labels
from chalicelib.render import links
from chalicelib.render.assets import compiled_templates_dir, templates_dir
from chalicelib.render.formatting import FILTERS
from chalicelib.render.letterhead import addressee, letterhead


def _build(loader: Any, bytecode_cache: Any = None) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=loader,
        bytecode_cache=bytecode_cache,
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(FILTERS)
    env.globals["labels"] = labels  # every page, mail and PDF reads the same tables
    env.globals["url"] = links.url  # every href and form action: render/links.py
    env.globals.update(letterhead=letterhead, addressee=addressee)  # the certificate's 見本① letterhead
    return env


@functools.lru_cache(maxsize=1)
def environment() -> Any:
    import jinja2

    compiled = compiled_templates_dir()
    if compiled.is_dir():
        return _build(jinja2.ModuleLoader(str(compiled)))
    return _build(jinja2.FileSystemLoader(str(templates_dir())), _checkout_bytecode_cache())


def _checkout_bytecode_cache() -> Any:
    """Jinja2's file cache of compiled templates under the checkout's build/ (None where it cannot be written)."""
    import jinja2

    from chalicelib.settings import PROJECT_DIR

    directory = PROJECT_DIR / "build" / "jinja"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(directory))


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def load_all() -> int:
    """Load (and, in a checkout, compile) every page and mail template now: the warm-up's."""
    env = environment()
    root = templates_dir()
    names = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.suffix in (".html", ".txt"))
    for name in names:
        env.get_template(name)
    return len(names)


def compile_all(target: Path) -> list[str]:
    """Compile every template under templates/ into Python modules in `target` (a build step)."""
    import jinja2

    env = _build(jinja2.FileSystemLoader(str(templates_dir())))
    names = [n for n in env.list_templates() if n.endswith((".html", ".txt"))]
    target.mkdir(parents=True, exist_ok=True)
    env.compile_templates(str(target), zip=None, filter_func=lambda n: n in names, ignore_errors=False)
    return names


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "compile":
        print("usage: python -m chalicelib.render.templates compile DIR", file=sys.stderr)
        return 2
    names = compile_all(Path(argv[1]))
    print(f"templates: compiled {len(names)} into {argv[1]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
