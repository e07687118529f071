"""CEL rules through cel-python: helper functions, and the parse-tree optimisation checked against the
untransformed tree."""

from __future__ import annotations

import pytest

from quanta.governance.cel import CelEvaluationError, CelProgram, check_syntax, to_cel

DOC = {
    "name": "orders",
    "tags": ["PII", "sales"],
    "n": 3,
    "items": [1, 2, 3],
    "team": {"name": "sales"},
    "support": [{"channel": "#sales"}, {"url": "x"}],
    "classification": "restricted",
    "customProperties": [{"property": "quantaMask", "value": "hash"}],
    "slaProperties": [{"property": "freshness", "value": 1, "unit": "d"}],
    "schema": [
        {
            "name": "t",
            "quality": [{"metric": "rowCount", "dimension": "completeness"}],
            "properties": [{"name": "a", "quality": [{"metric": "nullValues", "dimension": "Completeness"}]}],
        }
    ],
}
EXPRESSIONS = [
    "has(d.team) && has(d.team.name) && d.team.name != ''",
    "d.support.exists(s, has(s.channel) && s.channel != '')",
    "d.support.all(s, has(s.channel))",
    "d.n + 2 * 3 > 5 ? 'big' : 'small'",
    "!(d.n == 3) || -d.n < 0",
    "d.items.map(x, x * 2).filter(y, y > 2)",
    "size(d.items) == 3 && d.name.startsWith('or') && d.name.matches('^o')",
    "d['team']['name'] in ['sales', 'ops']",
    "has(d.nope) || d.n > 2",
    "d.items.exists_one(x, x == 2)",
    "string(d.n) + 'x'",
    "d.missing.x",
    "d.n / 0",
    "tagged(d, 'pii') && sensitive(d) && custom(d, 'quantaMask') in ['hash', 'null']",
    "has_sla(d, 'latency') && sla(d, 'latency').value == 1 && !has_sla(d, 'retention')",
    "'completeness' in quality_dimensions(d) && 'nullValues' in quality_metrics(d)",
    "semver('1.2.3') && !semver('1.2') && custom(d, 'absent') == null",
]


def outcome(program, variables):
    try:
        return program.evaluate(variables)
    except CelEvaluationError:
        return "error"


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_optimised_tree_gives_the_same_result(expression):
    variables = {"d": to_cel(DOC)}
    optimised = outcome(CelProgram(expression), variables)
    plain = outcome(CelProgram(expression, optimize=False), variables)
    assert optimised == plain


def test_helpers():
    variables = {"d": to_cel(DOC)}
    assert CelProgram(EXPRESSIONS[13]).evaluate(variables) is True
    assert CelProgram(EXPRESSIONS[14]).evaluate(variables) is True
    assert CelProgram(EXPRESSIONS[15]).evaluate(variables) is True
    assert CelProgram(EXPRESSIONS[16]).evaluate(variables) is True
    assert CelProgram("d.items.map(x, x * 2)").evaluate(variables) == [2, 4, 6]


def test_errors_are_explained():
    with pytest.raises(CelEvaluationError, match="missing"):
        CelProgram("d.missing.x").evaluate({"d": to_cel(DOC)})
    error = check_syntax("a &&\n  b ===")
    assert (error.line, error.column) == (2, 7) and "'='" in error.message
    assert check_syntax("a && b") is None
