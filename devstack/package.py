"""The package step after `chalice package`: pin the template to its stage, precompile the zip.

`scripts/package STAGE OUTDIR` runs `chalice package` and then this
(`python -m devstack.package STAGE OUTDIR`):

1. **Pin** `sam.json` to the stage it was built for: the `Stage` parameter's
   default and only allowed value become that stage, so a dev package can never
   be deployed as prod. Every stateful resource is `Retain` in prod and `Delete`
   elsewhere, so a branch stack deletes cleanly (after `bin/stage down` empties
   its bucket) and the same branch can be deployed again under the same names.
2. **Precompile** `deployment.zip`: Lambda's code directory is read-only, so a
   zip without `.pyc` compiles every module on every cold start (NOTES.md:
   519 ms vs 219 ms). The `.pyc` are compiled by this interpreter, which must be
   the runtime's Python (sam.json `Runtime`), with unchecked-hash invalidation:
   the zip's timestamps mean nothing on Lambda, and its sources never change.
3. **Prune** what the functions never load (the zip must stay under Lambda's 50 MB direct upload):
   botocore's data for every service but BOTOCORE_SERVICES (and, in what is kept, the other
   services' endpoint entries and the models' documentation: `slim_botocore_data`), fontTools' C
   sources, its subpackages fpdf2 never imports and the compiled twins of modules a PDF never loads (their pure-Python
   source stays), Pillow's AVIF and WebP plugins with their libraries, dnspython (email-validator
   checks syntax only: no DNS inside a request). tests/tooling/test_package.py's probe imports every
   module, renders every PDF and mail and creates a client for each listed service from the zip.
4. **Call the alias**: every function publishes a version behind the alias `live` (SAM's
   `AutoPublishAlias`, .chalice/resources.json), and SAM points the stream mappings, the SNS
   subscription and the schedule at it. Chalice's Swagger integrations call `${APIHandler.Arn}`
   and its invoke permission names the function itself, so API Gateway would keep invoking
   `$LATEST`: both are rewritten to `APIHandler.Alias` here.
"""

from __future__ import annotations

import argparse
import compileall
import gzip
import json
import py_compile
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from devstack.cfn import ALIAS, IS_PROD
from devstack.names import STAGE_PATTERN

RETAINED_STAGES = {"prod"}
#: The AWS services the functions call: botocore's data is kept for these only (~440 others are ~17 MB).
#: A module that calls a new service adds it here, one line (CONTRIBUTING.md); the package test fails
#: on a service the code names that is missing, and the probe creates a client for each.
BOTOCORE_SERVICES = (
    "dynamodb",
    "kms",
    "s3",
    "ses",
    "ssm",
)
#: Paths (relative to the zip's root, globs) the functions never load. Each rule says why.
PRUNED = (
    "fontTools/**/*.c",  # C sources of its Cython modules (the compiled .so or the .py is what runs)
    # subpackages fpdf2 never imports (font subsetting, drawing, COLR/SVG glyphs use none of them)
    "fontTools/cu2qu",
    "fontTools/qu2cu",
    "fontTools/ufoLib",
    "fontTools/voltLib",
    "fontTools/mtiLib",
    "fontTools/merge",
    "fontTools/diff",
    "fontTools/t1Lib",
    # compiled twins of modules no PDF loads; the pure-Python module beside each stays importable
    "fontTools/feaLib/lexer.*.so",
    "fontTools/pens/momentsPen.*.so",
    "fontTools/varLib/avar/_mapping.*.so",
    # Pillow's AVIF and WebP codecs (only PNG QR codes are drawn) and their libraries
    "PIL/_avif.*.so",
    "PIL/AvifImagePlugin.py",
    "PIL/_webp.*.so",
    "PIL/WebPImagePlugin.py",
    "pillow.libs/libavif-*",
    "pillow.libs/libwebp*",
    "pillow.libs/libsharpyuv-*",
    # dnspython: email-validator imports it only to check deliverability, which the code never asks for
    "dns",
    "dnspython-*.dist-info",
)
#: Nothing the functions import at run time; pulled in only by build tools. A test asserts their absence.
FORBIDDEN_TOP_LEVEL = ("pip", "setuptools", "click", "wheel", "_distutils_hack", "pkg_resources")


def pin(template: dict[str, Any], stage: str) -> dict[str, Any]:
    """The template for exactly one stage (a new dict; the input is left alone)."""
    if not re.match(STAGE_PATTERN, stage):
        raise ValueError(f"stage {stage!r} does not match {STAGE_PATTERN}")
    out = json.loads(json.dumps(template))
    param = out["Parameters"]["Stage"]
    param["Default"] = stage
    param["AllowedValues"] = [stage]
    policy = "Retain" if stage in RETAINED_STAGES else "Delete"
    for resource in out["Resources"].values():
        if "DeletionPolicy" in resource:
            resource["DeletionPolicy"] = policy
            resource["UpdateReplacePolicy"] = policy
    out = _resolve_stage_conditions(out, stage == "prod")
    out["Conditions"].pop(IS_PROD, None)
    return out


_NO_VALUE = object()


def _resolve_stage_conditions(node: Any, prod: bool) -> Any:
    """Every `Fn::If` on IsProd replaced by its branch for the pinned stage (cfn-lint warns of a branch
    a pinned Stage can never reach); a chosen `AWS::NoValue` removes its key or list item."""
    if isinstance(node, dict):
        if list(node) == ["Fn::If"] and node["Fn::If"][0] == IS_PROD:
            chosen = node["Fn::If"][1 if prod else 2]
            return _NO_VALUE if chosen == {"Ref": "AWS::NoValue"} else _resolve_stage_conditions(chosen, prod)
        out = {k: _resolve_stage_conditions(v, prod) for k, v in node.items()}
        return {k: v for k, v in out.items() if v is not _NO_VALUE}
    if isinstance(node, list):
        return [v for v in (_resolve_stage_conditions(i, prod) for i in node) if v is not _NO_VALUE]
    return node


API_FUNCTION = "APIHandler"
#: The alias resource SAM makes for AutoPublishAlias ("<function>Alias<alias>"); its Ref is the alias ARN.
API_ALIAS = f"{API_FUNCTION}Alias{ALIAS}"
UNQUALIFIED, QUALIFIED = f"${{{API_FUNCTION}.Arn}}", f"${{{API_ALIAS}}}"


def _integrations(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        operation["x-amazon-apigateway-integration"]
        for path in body.get("paths", {}).values()
        for operation in path.values()
        if isinstance(operation, dict) and "x-amazon-apigateway-integration" in operation
    ]


def to_alias(template: dict[str, Any]) -> dict[str, Any]:
    """API Gateway invokes the API function's `live` alias: its integrations and its permission (a new dict)."""
    out = json.loads(json.dumps(template))
    for resource in out["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Api":
            for integration in _integrations(resource["Properties"].get("DefinitionBody", {})):
                uri = integration["uri"]["Fn::Sub"]
                if QUALIFIED in uri:
                    continue
                if UNQUALIFIED not in uri:
                    raise ValueError(f"package: an integration that does not call {API_FUNCTION}: {uri}")
                integration["uri"]["Fn::Sub"] = uri.replace(UNQUALIFIED, QUALIFIED)
        elif resource["Type"] == "AWS::Lambda::Permission":
            if resource["Properties"]["FunctionName"] == {"Ref": API_FUNCTION}:
                resource["Properties"]["FunctionName"] = {"Ref": API_ALIAS}
    return out


#: The first Python runtime with SnapStart.
SNAPSTART_SINCE = (3, 12)


def without_snapstart_before(template: dict[str, Any], version: tuple[int, int]) -> dict[str, Any]:
    """The template as is on python3.12+; else (a package built by an older interpreter) without
    SnapStart, which Lambda refuses on those runtimes (a new dict)."""
    if version >= SNAPSTART_SINCE:
        return template
    out = json.loads(json.dumps(template))
    dropped = [k for k, r in out["Resources"].items() if r.get("Properties", {}).pop("SnapStart", None) is not None]
    if dropped:
        sys.stderr.write(f"package: no SnapStart for {', '.join(dropped)}: built by Python {version[0]}.{version[1]}\n")
    return out


def finish(template: dict[str, Any], stage: str) -> dict[str, Any]:
    """What the package step makes of chalice's template: pinned, on the alias, SnapStart as the runtime allows."""
    out = to_alias(pin(template, stage))
    return without_snapstart_before(out, runtime_version(out))


def runtime_version(template: dict[str, Any]) -> tuple[int, int]:
    runtimes = {
        r["Properties"]["Runtime"]
        for r in template["Resources"].values()
        if r.get("Type") == "AWS::Serverless::Function" and "Runtime" in r.get("Properties", {})
    }
    (runtime,) = runtimes
    major, minor = runtime.removeprefix("python").split(".")
    return int(major), int(minor)


#: The keys of a service model that only documentation reads (botocore builds docstrings from them on demand).
DOCUMENTATION_KEYS = frozenset({"documentation", "documentationUrl"})


def _without_documentation(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: _without_documentation(value)
            for key, value in node.items()
            if not (key in DOCUMENTATION_KEYS and isinstance(value, str))
        }
    if isinstance(node, list):
        return [_without_documentation(value) for value in node]
    return node


def undocumented(model: dict[str, Any]) -> dict[str, Any]:
    """A service model whose operations and shapes carry no documentation strings (nearly all of its
    bytes); everything a client reads is kept. Only there: botocore requires the documentation of a
    client context parameter, and a structure member named "documentation" is a shape reference (a dict)."""
    return {
        **model,
        "operations": _without_documentation(model["operations"]),
        "shapes": _without_documentation(model["shapes"]),
    }


def slim_endpoints(endpoints: dict[str, Any], prefixes: set[str]) -> dict[str, Any]:
    """botocore's endpoint data with each partition's services cut to the endpoint prefixes `prefixes`
    (partitions, regions and defaults kept). Entries are keyed by a service's endpoint prefix, which
    is not always its name (SES's is "email")."""
    return {
        **endpoints,
        "partitions": [
            {**partition, "services": {k: v for k, v in partition["services"].items() if k in prefixes}}
            for partition in endpoints["partitions"]
        ],
    }


def _compact(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")


def slim_botocore_data(data: Path, services: tuple[str, ...] = BOTOCORE_SERVICES) -> int:
    """What a cold container's first client parses, cut to what it reads; returns bytes removed.

    The first client of a process parses `endpoints.json` whole (1.2 MB, every partition's ~300
    services: ~20 ms of CPU, a third of a cold verification's first request; issue 32) and its
    service's model, four-fifths of which is documentation. Here `endpoints.json` keeps the entries of
    `services` only (by their endpoint prefixes), and each kept `service-2.json.gz` becomes a
    `service-2.json` without documentation (uncompressed: the zip compresses it, and botocore reads
    `.json` before `.json.gz`). Both stay botocore's own data files in botocore's own folder, so it
    resolves endpoints exactly as before. tests/tooling/test_package.py holds clients made from the
    slim data to the requests stock botocore makes."""
    before = sum(f.stat().st_size for f in data.rglob("*") if f.is_file())
    prefixes = set()
    for service in services:
        for packed in (data / service).glob("*/service-2.json.gz"):
            model = json.loads(gzip.decompress(packed.read_bytes()))
            prefixes.add(model["metadata"]["endpointPrefix"])
            _compact(packed.with_suffix(""), undocumented(model))
            packed.unlink()
    _compact(data / "endpoints.json", slim_endpoints(json.loads((data / "endpoints.json").read_bytes()), prefixes))
    return before - sum(f.stat().st_size for f in data.rglob("*") if f.is_file())


def prune(root: Path) -> int:
    """Remove PRUNED and botocore's data of other services from an unzipped package, and slim what
    is left of botocore's data; returns bytes removed."""
    removed = 0
    targets = [p for pattern in PRUNED for p in root.glob(pattern)]
    data = root / "botocore" / "data"
    if data.is_dir():
        targets += [p for p in data.iterdir() if p.is_dir() and p.name not in BOTOCORE_SERVICES]
    for path in targets:
        if not path.exists():
            continue  # inside a folder already removed
        if path.is_dir():
            removed += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
            shutil.rmtree(path)
        else:
            removed += path.stat().st_size
            path.unlink()
    if data.is_dir():
        removed += slim_botocore_data(data)
    return removed


def precompile(zip_path: Path, version: tuple[int, int]) -> int:
    """Add `__pycache__/*.cpython-XY.pyc` for every module of the zip; returns how many."""
    if sys.version_info[:2] != version:
        raise SystemExit(f"package: .pyc must be compiled by Python {version[0]}.{version[1]} (the Lambda runtime)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pkg"
        modes: dict[str, int] = {}
        with zipfile.ZipFile(zip_path) as z:
            for info in z.infolist():
                modes[info.filename] = info.external_attr
            z.extractall(root)
        pruned = prune(root)
        sys.stderr.write(f"package: pruned {pruned / 1e6:.1f} MB the functions never load\n")
        compileall.compile_dir(
            str(root),
            quiet=2,
            workers=1,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
            ddir="/var/task",  # tracebacks name the path Lambda runs from
        )
        rebuilt = zip_path.with_suffix(".tmp")
        count = 0
        # zlib's default level: level 9 took 14.7 s of CPU for this zip against 4.1 s, for 0.3 MB (42.0 → 41.7 MB)
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as out:
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                name = path.relative_to(root).as_posix()
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = modes.get(name, 0o644 << 16)
                info.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(info, path.read_bytes())
                count += name.endswith(".pyc")
        shutil.move(rebuilt, zip_path)
    return count


def check_lean(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as z:
        tops = {n.split("/", 1)[0] for n in z.namelist()}
    return sorted(t for t in tops if t in FORBIDDEN_TOP_LEVEL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="pin sam.json to its stage and precompile deployment.zip")
    parser.add_argument("stage")
    parser.add_argument("outdir", type=Path)
    args = parser.parse_args(argv)
    sam = args.outdir / "sam.json"
    template = finish(json.loads(sam.read_text(encoding="utf-8")), args.stage)
    sam.write_text(json.dumps(template, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    zip_path = args.outdir / "deployment.zip"
    compiled = precompile(zip_path, runtime_version(template))
    extra = check_lean(zip_path)
    if extra:
        raise SystemExit(f"package: build tools in the zip: {', '.join(extra)} (see requirements.txt)")
    size = zip_path.stat().st_size
    sys.stderr.write(f"package: pinned to stage {args.stage}; {compiled} .pyc added; zip {size / 1e6:.1f} MB\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
