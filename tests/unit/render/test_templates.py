"""Issue 11: packaged templates are loaded precompiled (no Jinja2 compile at runtime) and render the same."""

from __future__ import annotations

import pytest

from chalicelib.render import assets, templates

LOGIN = dict(
    principal=None, csrf_token="", audience="netdesk", portal_title="インターネット保証サービス Net Desk",
    stage="local", login_token="tok", errors=[], login_id="demo<&>", next_path="/netdesk/guarantees",
    action="/netdesk/login", notice=None,
)  # fmt: skip


@pytest.fixture
def compiled(tmp_path, monkeypatch):
    target = tmp_path / "templates_compiled"
    names = templates.compile_all(target)
    monkeypatch.setattr(templates, "compiled_templates_dir", lambda: target)
    templates.environment.cache_clear()
    yield names
    templates.environment.cache_clear()


def test_every_template_is_compiled(compiled, tmp_path):
    on_disk = sorted(
        str(p.relative_to(assets.templates_dir()))
        for p in assets.templates_dir().rglob("*")
        if p.suffix in (".html", ".txt")
    )
    assert sorted(compiled) == on_disk
    assert len(list((tmp_path / "templates_compiled").glob("tmpl_*.py"))) == len(on_disk)


def test_packaged_environment_renders_without_compiling(compiled, monkeypatch):
    import jinja2

    source_html = (
        templates._build(jinja2.FileSystemLoader(str(assets.templates_dir())))
        .get_template("html/login.html")
        .render(**LOGIN)
    )

    def no_compile(*args, **kwargs):
        raise AssertionError("a packaged container must not compile templates")

    monkeypatch.setattr(jinja2.Environment, "compile", no_compile)
    env = templates.environment()
    assert isinstance(env.loader, jinja2.ModuleLoader)
    html = templates.render("html/login.html", **LOGIN)
    assert html == source_html
    assert "demo&lt;&amp;&gt;" in html and "demo<&>" not in html  # autoescape survives compilation
    assert env.filters["yen"](20000000) == "20,000,000円"


def test_a_checkout_reads_the_template_sources(monkeypatch, tmp_path):
    import jinja2

    monkeypatch.setattr(templates, "compiled_templates_dir", lambda: tmp_path / "absent")
    templates.environment.cache_clear()
    try:
        assert isinstance(templates.environment().loader, jinja2.FileSystemLoader)
    finally:
        templates.environment.cache_clear()


def test_a_checkout_compiles_a_template_once_for_all_its_processes(tmp_path, monkeypatch):
    """A checkout's environment keeps Jinja2's bytecode cache on disk: a second environment (another
    process: a local stack, a test worker) loads the compiled template instead of compiling it."""
    import jinja2

    from chalicelib import settings

    monkeypatch.setattr(settings, "PROJECT_DIR", tmp_path)
    cache = templates._checkout_bytecode_cache()
    assert isinstance(cache, jinja2.FileSystemBytecodeCache) and (tmp_path / "build" / "jinja").is_dir()
    loader = jinja2.FileSystemLoader(str(assets.templates_dir()))
    first = templates._build(loader, cache)
    html = first.get_template("html/login.html").render(**LOGIN)
    assert list((tmp_path / "build" / "jinja").iterdir())  # written by the first
    second = templates._build(loader, templates._checkout_bytecode_cache())
    monkeypatch.setattr(jinja2.Environment, "compile", lambda *a, **k: pytest.fail("compiled again"))
    assert second.get_template("html/login.html").render(**LOGIN) == html
