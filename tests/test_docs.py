"""The documentation is checked against the code, so a newcomer never meets a stale page.

- docs/cli.md's ``--help`` blocks and docs/configuration.md's trait table are generated
  (tools/gen_cli_docs.py, tools/gen_config_docs.py) and must be current;
- every command, option, trait and ``NBGOV_*`` variable is documented;
- docs/troubleshooting.md has an entry for every notice, stage, usage error, CLI message
  and error class the code can show, collected from the source itself;
- every relative link in README.md and docs/*.md resolves to a file and, with ``#…``,
  to a heading; every ``nbgov`` command in a shell block exists, with its options;
- the configuration examples load, and the worked example of docs/concepts.md is re-run in
  a real kernel and its printed outputs compared.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import click
import pytest
from click.testing import CliRunner

from nbgov.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PACKAGE = ROOT / "nbgov"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def tool(name: str) -> ModuleType:
    """A script of tools/ imported as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def squash(text: str) -> str:
    return " ".join(text.split())


def fences(text: str) -> Iterator[tuple[str, str, int]]:
    """``(language, body, line)`` of every fenced code block of a markdown text."""
    for m in re.finditer(r"^```([\w+-]*)[^\n]*\n(.*?)^```\s*$", text, re.DOTALL | re.MULTILINE):
        yield m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1


def without_code(text: str) -> str:
    text = re.sub(r"^```.*?^```\s*$", "", text, flags=re.DOTALL | re.MULTILINE)
    return re.sub(r"`[^`\n]*`", "", text)


# ------------------------------------------------------------------- the CLI page
def test_cli_page_is_generated_from_help_and_current() -> None:
    gen = tool("gen_cli_docs")
    current = page("cli.md")
    assert gen.render(current) == current, "docs/cli.md is stale: run python tools/gen_cli_docs.py"


def test_every_command_and_option_is_in_its_generated_block() -> None:
    text = page("cli.md")
    blocks = dict(
        re.findall(
            r"<!-- BEGIN GENERATED: nbgov ([\w-]+) --help .*?-->\n(.*?)<!-- END GENERATED", text, re.DOTALL
        )
    )
    assert set(blocks) == set(cli.commands)
    for name, command in cli.commands.items():
        section = text.split(f"\n## nbgov {name}\n", 1)[1].split("\n## ", 1)[0]
        assert blocks[name] in section, f"the --help block of {name} is not in its section"
        # the option column of the "Options:" list: "  -o, --output PATH   description"
        listed = set()
        for line in blocks[name].split("\nOptions:\n", 1)[1].splitlines():
            if line.startswith("  -"):
                listed |= set(re.findall(r"(?<![\w-])(--?[\w][\w-]*)", re.split(r"\s{2,}", line.strip())[0]))
        usage = blocks[name].split("\n", 2)[1]
        for param in command.params:
            if isinstance(param, click.Option):
                for opt in (*param.opts, *param.secondary_opts):
                    assert opt in listed, f"nbgov {name} {opt} is not in the Options list of docs/cli.md"
            else:
                assert (param.metavar or param.name.upper()) in usage, f"nbgov {name} {param.name}"


# --------------------------------------------------------- traits and environment
def test_configuration_trait_table_is_generated_and_current() -> None:
    gen = tool("gen_config_docs")
    current = page("configuration.md")
    assert gen.render(current) == current, (
        "docs/configuration.md is stale: run python tools/gen_config_docs.py"
    )


def test_every_trait_is_documented() -> None:
    gen = tool("gen_config_docs")
    classes = gen.configurables()
    assert {c.__name__ for c in classes} >= {"Nbgov", "SqlMagics"}
    text = page("configuration.md")
    for cls in classes:
        for name, trait in cls.class_own_traits(config=True).items():
            assert f"`{cls.__name__}.{name}`" in text, f"{cls.__name__}.{name}"
            assert squash(trait.help) in squash(text.replace("\\|", "|")), f"help of {cls.__name__}.{name}"


def string_constants(root: Path) -> Iterator[tuple[str, Path]]:
    for file in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield node.value, file


#: NBGOV_-looking strings of the package that are not environment variables
NOT_ENVIRONMENT = {"NBGOV_CLASSIFIER": "the source name of the classifier's tags (nbgov.governance.tags)"}


def environment_variables(prefix: str) -> set[str]:
    """Every whole string constant of the package that looks like a ``prefix…`` variable."""
    pattern = re.compile(rf"^{prefix}[A-Z0-9_]*[A-Z0-9]$")
    return {value for value, _ in string_constants(PACKAGE) if pattern.match(value)}


def test_every_nbgov_environment_variable_is_documented() -> None:
    found = environment_variables("NBGOV_") - set(NOT_ENVIRONMENT)
    assert {"NBGOV_STORE", "NBGOV_DISABLED", "NBGOV_POLICY", "NBGOV_TAXONOMY"} <= found  # the collector works
    for name in NOT_ENVIRONMENT:  # the exemption stays honest: nothing reads it from the environment
        for value, file in string_constants(PACKAGE):
            if value == name:
                assert not re.search(rf"environ[^\n]*{name}", file.read_text(encoding="utf-8")), file
    section = page("configuration.md").split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    for name in sorted(found):
        assert f"`{name}`" in section, f"{name} is read by nbgov but not in docs/configuration.md"


def test_every_openlineage_setting_nbgov_reads_is_documented() -> None:
    found = environment_variables("OPENLINEAGE_") | {
        v for v in environment_variables("OPENLINEAGE__") if not v.endswith("__")
    }
    assert {"OPENLINEAGE_URL", "OPENLINEAGE_CONFIG", "OPENLINEAGE_DISABLED"} <= found
    text = page("configuration.md")
    for name in sorted(found):
        assert f"`{name}" in text, f"{name} is read by nbgov but not in docs/configuration.md"


def test_configuration_examples_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every example file in docs/configuration.md (a block whose first line is ``# file: NAME``)
    is loaded by the code that reads such files."""
    from traitlets.config import Config

    from nbgov.emit.transport import describe_transport
    from nbgov.governance.policy import load_policy
    from nbgov.governance.scan import load_custom_identifiers
    from nbgov.governance.taxonomy import load_taxonomy

    gen = tool("gen_config_docs")
    traits = {f"{c.__name__}.{n}" for c in gen.configurables() for n in c.class_own_traits(config=True)}
    examples = {}
    for _, body, _ in fences(page("configuration.md")):
        first = body.split("\n", 1)[0]
        if first.startswith("# file: "):
            examples[first[len("# file: ") :].strip()] = body
    assert set(examples) >= {
        "ipython_config.py",
        "policy.yaml",
        "taxonomy.yaml",
        "custom.yaml",
        "openlineage.yml",
    }
    for name, body in examples.items():
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        if name == "ipython_config.py":
            c = Config()
            exec(compile(body, name, "exec"), {"c": c, "get_config": lambda config=c: config})  # noqa: S102
            for section, values in c.items():
                for key in values:
                    if section != "InteractiveShellApp":
                        assert f"{section}.{key}" in traits, f"{name}: {section}.{key} is not a trait"
            assert "nbgov" in c.InteractiveShellApp.extensions
        elif name == "policy.yaml":
            policy = load_policy(str(path))
            assert policy.rules["pii-flow"]["allowed_namespaces"], policy
        elif name == "taxonomy.yaml":
            assert load_taxonomy(str(path)).name
        elif name == "custom.yaml":
            assert load_custom_identifiers(str(path))
        elif name == "openlineage.yml":
            for key in [k for k in os.environ if k.startswith("OPENLINEAGE")]:
                monkeypatch.delenv(key)
            monkeypatch.setenv("OPENLINEAGE_CONFIG", str(path))
            described = describe_transport()
            assert described.get("configured") and not described.get("error"), described
        else:  # pragma: no cover - a new example needs a loader here
            pytest.fail(f"no loader for the example {name}")


@pytest.mark.slow
def test_ipython_config_example_configures_a_real_kernel(tmp_path: Path) -> None:
    """The ipython_config.py of docs/configuration.md, as a profile: a kernel started with it
    loads nbgov with those traits (the store pointed at tmp_path: still set by the file)."""
    import nbformat

    from tests.kernels import clean_environment, run_notebook

    body = next(
        b for _, b, _ in fences(page("configuration.md")) if b.startswith("# file: ipython_config.py")
    )
    profile = tmp_path / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    store = tmp_path / "team.db"
    (profile / "ipython_config.py").write_text(f"{body}\nc.Nbgov.store = {str(store)!r}\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%nbgov config"), nbformat.v4.new_code_cell("%config SqlMagics")]
    nbformat.write(nb, tmp_path / "check.ipynb")
    executed = run_notebook(
        tmp_path / "check.ipynb", tmp_path, {**clean_environment(), "IPYTHONDIR": str(tmp_path / "ipython")}
    )
    shown = [squash("".join(o.get("text", "") for o in c.outputs)) for c in executed.cells]
    for line in (
        "Nbgov.namespace = 'analytics'",
        "Nbgov.on_violation = 'warn'",
        "Nbgov.policy = '/etc/nbgov/policy.yaml'",
        f"Nbgov.store = '{store}'",
    ):
        assert line in shown[0], shown[0]
    assert "Current: 'warehouse.duckdb'" in shown[1], shown[1]


# ------------------------------------------------------------- troubleshooting
def fragments(node: ast.AST | None) -> list[str]:
    """The literal text pieces of a string expression (constants, f-strings, ``+`` chains)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    if isinstance(node, ast.BinOp):
        return fragments(node.left) + fragments(node.right)
    return []


def longest(node: ast.AST | None) -> str | None:
    pieces = sorted((squash(p) for p in fragments(node)), key=len, reverse=True)
    return pieces[0] if pieces and len(pieces[0]) >= 4 else None


def calls(files: list[Path]) -> Iterator[tuple[str, ast.Call, Path]]:
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if name:
                    yield name, node, file


def guard_stages() -> set[str]:
    """Stages passed to the guard (``running``/``report``/``guarded``) and to a cell capture's
    ``fail`` or a registry's ``errors``; f-string stages as their literal prefix (``capture:``)."""
    files = sorted((PACKAGE / "magics").rglob("*.py")) + sorted((PACKAGE / "capture").rglob("*.py"))
    stages = set()
    for name, node, _ in calls(files):
        arg = None
        if name in ("running", "report", "guarded", "fail") and node.args:
            arg = node.args[0]
        elif (
            name == "append"
            and node.args
            and isinstance(node.args[0], ast.Tuple)
            and isinstance(node.func, ast.Attribute)
            and getattr(node.func.value, "attr", None) == "errors"
        ):
            arg = node.args[0].elts[0]
        pieces = fragments(arg)
        if pieces and isinstance(arg, (ast.Constant, ast.JoinedStr)):
            prefix = (
                pieces[0]
                if isinstance(arg, ast.Constant)
                else (arg.values[0].value if arg.values and isinstance(arg.values[0], ast.Constant) else "")
            )
            if prefix:
                stages.add(prefix)
    return stages


def notebook_messages() -> set[str]:
    """What the notebook face prints or raises: notices (``nbgov…`` strings passed to print,
    the notice helpers or the guard), policy lines, and every ``UsageError`` message."""
    files = sorted((PACKAGE / "magics").rglob("*.py"))
    found = set()
    for name, node, _ in calls(files):
        if name in ("print", "_stderr", "_notify", "UsageError") and node.args:
            pieces = fragments(node.args[0])
            notice = name == "UsageError" or (pieces and pieces[0].startswith(("nbgov:", "nbgov is")))
            if notice and (text := longest(node.args[0])) is not None:
                found.add(text)
    for file in files:  # message lines built before they are shown (the policy lines)
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.JoinedStr)
                and fragments(node)[:1]
                and fragments(node)[0].startswith("nbgov policy:")
            ):
                found.add(squash(fragments(node)[0]))
    return found


def view_notices() -> set[str]:
    found = set()
    for file in sorted((PACKAGE / "views").rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            is_notice = isinstance(node, ast.Assign) and any(
                getattr(t, "id", None) == "notice" for t in node.targets
            )
            if is_notice and (text := longest(node.value)) is not None:
                found.add(text)
    return found


def cli_messages() -> set[str]:
    """Messages the commands raise themselves, and the WARN/FAIL lines of ``nbgov doctor``."""
    files = sorted(PACKAGE.glob("cli*.py"))
    found = set()
    for name, node, _ in calls(files):
        arg = None
        if name in ("ClickException", "BadParameter", "UsageError") and node.args:
            arg = node.args[0]
        elif (
            name == "_check"
            and len(node.args) >= 3
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in ("WARN", "FAIL")
        ):
            arg = node.args[2]
        if arg is not None and (text := longest(arg)) is not None:
            found.add(text)
    return found


def error_classes() -> set[str]:
    """Every error and warning class of the package (all its importable modules imported)."""
    from nbgov.errors import NbgovError, NbgovWarning

    tool("gen_config_docs").configurables()  # imports every importable nbgov module
    found, todo = set(), [NbgovError, NbgovWarning]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("nbgov"):
            found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


def test_troubleshooting_has_an_entry_for_every_message() -> None:
    text = page("troubleshooting.md")
    flat = squash(text.replace("\\|", "|"))
    stages = guard_stages()
    assert {"store", "emit", "naming", "capture:", "hooks:", "sql lineage"} <= stages  # the collector works
    missing = [f"stage `{s}`" for s in sorted(stages) if f"`{s}" not in text]
    notices = notebook_messages() | view_notices()
    assert any("the cell ran normally" in n for n in notices) and any("%%nbsql" in n for n in notices)
    missing += [f"notice {n!r}" for n in sorted(notices) if n not in flat]
    messages = cli_messages()
    assert any("no OpenLineage backend configured" in m for m in messages)
    missing += [f"CLI message {m!r}" for m in sorted(messages) if m not in flat]
    classes = error_classes()
    assert {"NbgovError", "ConfigError", "PolicyViolationWarning", "QuickstartError"} <= classes
    missing += [f"error class {c}" for c in sorted(classes) if f"#### `{c}`" not in text]
    assert not missing, "docs/troubleshooting.md lacks: " + "; ".join(missing)


# ----------------------------------------------------------------------- links
def slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```\s*$", "", path.read_text(encoding="utf-8"), flags=re.DOTALL | re.MULTILINE)
    seen: dict[str, int] = {}
    out = set()
    for m in re.finditer(r"^#{1,6}\s+(.*?)\s*#*\s*$", text, re.MULTILINE):
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def test_every_relative_link_resolves() -> None:
    broken = []
    for source in PAGES:
        text = without_code(source.read_text(encoding="utf-8"))
        for target in re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # https:, mailto: …
            path, _, anchor = target.partition("#")
            file = (source.parent / path).resolve() if path else source
            if not file.exists():
                broken.append(f"{source.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in anchors(file):
                broken.append(f"{source.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, "\n".join(broken)


def test_every_page_is_linked_from_the_index_and_the_new_ones_from_the_readme() -> None:
    index = page("index.md")
    for doc in sorted(DOCS.glob("*.md")):
        if doc.name != "index.md":
            assert f"]({doc.name}" in index, f"docs/index.md does not link {doc.name}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    overview = readme.split("## Quick start", 1)[0]
    for name in ("concepts", "configuration", "cli", "integrations", "troubleshooting"):
        assert f"](docs/{name}.md" in overview, f"the README's overview does not link docs/{name}.md"


# --------------------------------------------------------------- shell examples
def shell_commands() -> Iterator[tuple[str, list[str]]]:
    """``(where, argv after nbgov)`` of every ``nbgov`` call in a bash/sh/shell/console block."""
    for source in PAGES:
        for lang, body, line in fences(source.read_text(encoding="utf-8")):
            if lang not in ("bash", "sh", "shell", "console"):
                continue
            text = re.sub(r"\\\n", " ", body)
            for number, raw in enumerate(text.splitlines()):
                if lang == "console":
                    if not raw.startswith("$ "):
                        continue
                    raw = raw[2:]
                try:
                    words = shlex.split(raw, comments=True)
                except ValueError:
                    words = raw.split()
                command: list[str] = []
                for word in [*words, ";"]:
                    if word in ("&&", "||", "|", ";", ">", ">>", "<"):
                        yield from nbgov_call(command, f"{source.relative_to(ROOT)}:{line + number + 1}")
                        command = ["<redirect>"] if word in (">", ">>", "<") else []  # a file name follows
                    else:
                        command.append(word)


def nbgov_call(words: list[str], where: str) -> Iterator[tuple[str, list[str]]]:
    while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
        words = words[1:]  # VAR=value before the command
    if words[:1] and words[0].rsplit("/", 1)[-1] == "nbgov":
        yield where, words[1:]
    elif (
        len(words) >= 3 and words[0].rsplit("/", 1)[-1].startswith("python") and words[1:3] == ["-m", "nbgov"]
    ):
        yield where, words[3:]


def test_every_nbgov_command_in_a_shell_block_exists_with_its_options() -> None:
    calls_seen = list(shell_commands())
    assert len(calls_seen) > 30  # the collector works
    wrong = []
    for where, argv in calls_seen:
        if not argv or argv[0] in ("--help", "-h", "--version"):
            continue
        name = argv[0]
        command = cli.commands.get(name)
        if command is None:
            wrong.append(f"{where}: nbgov {name} is not a command")
            continue
        options = {
            opt for p in command.params if isinstance(p, click.Option) for opt in (*p.opts, *p.secondary_opts)
        }
        options |= {"--help", "-h"}
        for word in argv[1:]:
            if word.startswith("-") and word != "-" and word.split("=", 1)[0] not in options:
                wrong.append(f"{where}: nbgov {name} has no option {word}")
    assert not wrong, "\n".join(wrong)


# ------------------------------------------------------------- facets in concepts
def test_facet_tables_name_the_schemas_nbgov_writes() -> None:
    """docs/concepts.md: each standard facet's schema file is the one the client's class
    gives (whatever the client's version), and each custom facet's ``_schemaURL`` is nbgov's."""
    from nbgov.emit.events import facet
    from nbgov.governance.metrics import APPROVAL_SCHEMA_URL, MODEL_SCHEMA_URL
    from nbgov.governance.profiles import PROFILE_SCHEMA_URL
    from nbgov.governance.tags import PII_FACET_SCHEMA_URL

    text = page("concepts.md")
    table = text.split("Standard facets nbgov writes:", 1)[1].split("Custom facets", 1)[0]
    rows = [r for r in table.splitlines() if r.startswith("| `")]
    assert len(rows) >= 15
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        name = re.match(r"`(\w+)`", cells[0]).group(1)
        schemas = {}
        for kind in ("dataset", "input", "output", "job", "run"):
            try:
                url = facet(name, {}, kind=kind)["_schemaURL"]
            except KeyError:
                continue
            schemas[url.split("#", 1)[0].rsplit("/", 1)[1]] = kind
        for file in re.findall(r"`(\w+\.json)`", cells[2]):
            assert file in schemas, f"concepts.md: {name} facet's schema is {sorted(schemas)}, not {file}"
    custom = text.split("Custom facets", 1)[1].split("\n## ", 1)[0]
    for url in (PII_FACET_SCHEMA_URL, MODEL_SCHEMA_URL, APPROVAL_SCHEMA_URL, PROFILE_SCHEMA_URL):
        assert f"`{url}`" in custom, url


# ---------------------------------------------------------- the worked example
EXAMPLE_DIR = "/tmp/concepts-demo"
_VOLATILE = [
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\b"), "<time>"),
    (re.compile(r"\b\d+-\d{16,}\b"), "<file version>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<fingerprint>"),
    (re.compile(r"-{2,}"), "--"),
]


def normalised(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        for pattern, token in _VOLATILE:
            line = pattern.sub(token, line)
        if line.strip():
            out.append(squash(line))
    return out


def matches(expected: str, actual: str) -> bool:
    """``expected`` equals ``actual`` (normalised), or — when it holds ``…`` lines — each chunk
    between them occurs in ``actual`` as consecutive lines, in order."""
    want, got = normalised(expected), normalised(actual)
    if "…" not in want:
        return want == got
    start = 0
    chunks, chunk = [], []
    for line in want + ["…"]:
        if line == "…":
            if chunk:
                chunks.append(chunk)
            chunk = []
        else:
            chunk.append(line)
    for chunk in chunks:
        for i in range(start, len(got) - len(chunk) + 1):
            if got[i : i + len(chunk)] == chunk:
                start = i + len(chunk)
                break
        else:
            return False
    return True


@pytest.mark.slow
def test_the_worked_example_in_concepts_is_true(tmp_path: Path) -> None:
    """docs/concepts.md: its cells are the example notebook's, and what it shows the notebook
    and the commands printing is what they print (run ids, times and versions aside)."""
    pytest.importorskip("duckdb")
    import nbformat

    from tests.kernels import clean_environment, run_notebook

    text = page("concepts.md")
    section = text.split("## Worked example", 1)[1]
    notebook = DOCS / "examples" / "concepts.ipynb"
    cells = [c.source for c in nbformat.read(notebook, as_version=4).cells]
    assert [b.rstrip("\n") for lang, b, _ in fences(section) if lang == "python"] == cells
    run = next(b for lang, b, _ in fences(section) if lang == "bash")
    assert f"mkdir {EXAMPLE_DIR} && cp docs/examples/concepts.ipynb {EXAMPLE_DIR}/" in run
    assert "NBGOV_NOTEBOOK=concepts jupyter execute concepts.ipynb" in run

    work = tmp_path / "concepts-demo"
    work.mkdir()
    shutil.copy(notebook, work)
    executed = run_notebook(
        work / "concepts.ipynb", work, {**clean_environment(), "NBGOV_NOTEBOOK": "concepts"}
    )
    printed = "".join(
        o.get("text", "") for c in executed.cells for o in c.outputs if o.output_type == "stream"
    )
    shown = [b for lang, b, _ in fences(section) if lang == "text"]
    assert shown and normalised(shown[0]) == normalised(printed)

    checked = 0
    for lang, body, line in fences(section):
        if lang != "console":
            continue
        command, _, expected = body.partition("\n")
        argv = shlex.split(command.removeprefix("$ ").replace("$PWD", str(work)))
        assert argv[0] == "nbgov", command
        old = Path.cwd()
        os.chdir(work)
        try:
            result = CliRunner().invoke(
                cli,
                argv[1:],
                catch_exceptions=False,
                env={k: None for k in os.environ if k.startswith(("NBGOV_", "OPENLINEAGE"))},
            )
        finally:
            os.chdir(old)
        assert result.exit_code == 0, result.output
        actual = result.stdout.replace(str(work), EXAMPLE_DIR)
        assert matches(expected, actual), f"docs/concepts.md:{line}: `{command}` prints\n{actual}"
        checked += 1
    assert checked >= 4


def test_excerpt_matching_is_strict() -> None:
    actual = "a\nb\nc\nd\n"
    assert matches("a\nb\nc\nd", actual) and not matches("a\nb\nc", actual)
    assert matches("…\nb\nc\n…", actual) and matches("a\n…\nd", actual)
    assert not matches("…\nb\nd\n…", actual)  # a chunk is consecutive lines
    assert not matches("…\nc\n…\nb", actual)  # chunks keep their order
