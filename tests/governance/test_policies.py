"""Policy files: loading, and linting with file, line and column."""

from __future__ import annotations

import pytest

from quanta.errors import ConfigError
from quanta.governance import lint_policies, load_policies
from tests.governance.conftest import write_policy

GOOD = """\
id: segment-described
title: Segments are described
severity: warning
scope: property
status: enforced
rule: has(property.description)
evidence: [description]
"""


def test_a_valid_policy_loads_with_every_field(bare_mesh):
    write_policy(bare_mesh / "policies", "segment-described", GOOD)
    policies = load_policies(bare_mesh)
    policy = policies.get("segment-described")
    assert (policy.severity, policy.scope, policy.status, policy.cel) == (
        "warning",
        "property",
        "enforced",
        "has(property.description)",
    )
    assert policy.file.endswith("segment-described.yaml") and policy.line == 1
    assert policies.diagnostics == []


def test_cel_syntax_error_names_file_line_and_column(bare_mesh):
    path = write_policy(
        bare_mesh / "policies",
        "broken",
        "id: broken\ntitle: Broken\nseverity: error\nscope: product\nstatus: enforced\n"
        "rule: has(product.team) && product.team.name ==\n",
    )
    diagnostics = lint_policies(bare_mesh).diagnostics
    assert [d.code for d in diagnostics] == ["policy.cel-syntax"]
    diagnostic = diagnostics[0]
    assert diagnostic.file == str(path) and diagnostic.line == 6
    # The expression starts at column 7; the parser stops at the dangling `==`, column 46.
    assert diagnostic.column == 46, diagnostic
    assert "'=='" in diagnostic.message
    with pytest.raises(ConfigError) as raised:
        load_policies(bare_mesh)
    assert raised.value.diagnostics[0].line == 6


def test_cel_syntax_error_in_a_block_scalar_points_into_the_block(bare_mesh):
    write_policy(
        bare_mesh / "policies",
        "block",
        "id: block\ntitle: Block\nseverity: error\nscope: product\nstatus: enforced\n"
        "rule: >-\n  has(product.team)\n  && product.team.name !== ''\n",
    )
    (diagnostic,) = lint_policies(bare_mesh).diagnostics
    assert diagnostic.code == "policy.cel-syntax"
    # The folded block joins its lines with spaces; the parser stops inside `!==` on the block's 2nd line.
    line = (bare_mesh / "policies/block.yaml").read_text().splitlines()[diagnostic.line - 1]
    assert diagnostic.line == 8 and line[diagnostic.column - 1] == "=", diagnostic


def test_cel_syntax_error_in_a_literal_block_and_a_when_filter(bare_mesh):
    write_policy(
        bare_mesh / "policies",
        "literal",
        "id: literal\ntitle: L\nseverity: error\nscope: product\nstatus: enforced\n"
        "when: 'product.name ==  '\nrule: |\n  has(product.team)\n    && product.team.name !== ''\n",
    )
    when, rule = sorted(lint_policies(bare_mesh).diagnostics, key=lambda d: d.line)
    assert (when.path, when.line, rule.path, rule.line) == ("when", 6, "rule", 9)
    lines = (bare_mesh / "policies/literal.yaml").read_text().splitlines()
    assert lines[5][when.column - 1] == "=" and lines[8][rule.column - 1] == "="


@pytest.mark.parametrize(
    ("text", "code", "key"),
    [
        (
            "id: x\ntitle: X\nseverity: fatal\nscope: product\nstatus: enforced\nrule: 'true'\n",
            "policy.field",
            "severity",
        ),
        (
            "id: x\ntitle: X\nseverity: error\nscope: table\nstatus: enforced\nrule: 'true'\n",
            "policy.field",
            "scope",
        ),
        (
            "id: x\ntitle: X\nseverity: error\nscope: product\nstatus: grace\nrule: 'true'\n",
            "policy.field",
            "status",
        ),
        (
            "id: x\ntitle: X\nseverity: error\nscope: product\nstatus: enforced\nrul: 'true'\n",
            "policy.field",
            "rul",
        ),
        (
            "id: x\ntitle: X\nseverity: error\nscope: product\nstatus: enforced\nrule: {python: nope}\n",
            "policy.python-rule",
            "rule",
        ),
        ("id: x\ntitle: X\nseverity: error\nscope: product\nstatus: enforced\n", "policy.field", ""),
    ],
    ids=["severity", "scope", "grace-without-date", "unknown-field", "unknown-python-rule", "missing-rule"],
)
def test_field_mistakes_are_reported_where_they_are(bare_mesh, text, code, key):
    write_policy(bare_mesh / "policies", "x", text)
    diagnostics = lint_policies(bare_mesh).diagnostics
    assert code in [d.code for d in diagnostics]
    diagnostic = next(d for d in diagnostics if d.code == code)
    assert diagnostic.file.endswith("x.yaml") and diagnostic.line is not None
    if key:
        lines = text.splitlines()
        assert lines[diagnostic.line - 1].startswith(key + ":")


def test_duplicate_global_ids_are_an_error(bare_mesh):
    write_policy(bare_mesh / "policies", "a", GOOD)
    write_policy(bare_mesh / "policies", "b", GOOD)
    assert "policy.duplicate-id" in [d.code for d in lint_policies(bare_mesh).diagnostics]


def test_yaml_mistakes_are_diagnostics_not_crashes(bare_mesh):
    write_policy(bare_mesh / "policies", "bad", "id: [unclosed\n")
    (diagnostic,) = lint_policies(bare_mesh).diagnostics
    assert diagnostic.code == "policy.yaml" and diagnostic.file.endswith("bad.yaml")


def test_the_builtin_pack_lints_clean(mesh):
    policies = lint_policies(mesh)
    assert policies.ok and policies.diagnostics == []
    assert len(policies.all()) == 13
    assert {p.id for p in policies.all() if p.python} == {
        "documentation-coverage",
        "primary-key",
        "contract-version-bump",
        "contract-lifecycle",
    }
