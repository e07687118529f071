"""SVG drawing from plain data: charts and the lineage graph are well-formed, accessible and escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from quanta.web.charts import Point, bar_chart, line_chart
from quanta.web.graph import Edge, Node, layout, lineage_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_line_chart_draws_one_point_per_value_with_hover_text():
    svg = ET.fromstring(
        str(line_chart([Point("a", 0.5), Point("b", 1.0), Point("c", 0.25)], title="Q", unit="%"))
    )
    assert svg.get("role") == "img" and svg.find(f"{SVG}title").text == "Q"
    points = svg.findall(f"{SVG}circle")
    assert [p.find(f"{SVG}title").text for p in points] == ["a: 0.50%", "b: 1%", "c: 0.25%"]
    ys = [float(p.get("cy")) for p in points]
    assert ys[1] < ys[0] < ys[2], "higher values are drawn higher"
    assert "latest 0.25%" in svg.find(f"{SVG}desc").text


def test_bar_chart_heights_are_proportional_and_empty_data_says_so():
    svg = ET.fromstring(str(bar_chart([Point("d1", 2), Point("d2", 4)], title="uses")))
    heights = [float(r.get("height")) for r in svg.findall(f"{SVG}rect")]
    assert heights[1] == 2 * heights[0]
    empty = ET.fromstring(str(bar_chart([], title="uses")))
    assert "No data yet" in "".join(empty.itertext())


def test_text_is_escaped():
    svg = str(line_chart([Point("<script>", 1)], title='a "quoted" <title>'))
    ET.fromstring(svg)
    assert "<script>" not in svg


def test_layout_puts_each_node_right_of_its_inputs():
    nodes = [Node("s", "s", "source"), Node("a", "a"), Node("b", "b"), Node("c", "c")]
    edges = [Edge("s", "a"), Edge("a", "b"), Edge("s", "c"), Edge("c", "b")]
    places = layout(nodes, edges)
    for edge in edges:
        assert places[edge.source][0] < places[edge.target][0]
    assert places["a"][0] == places["c"][0], "a and c share the second layer"


def test_cycles_do_not_hang_and_links_are_keyboard_reachable():
    nodes = [Node("x", "x", href="/ui/products/d/x", current=True), Node("y", "y", href="/ui/products/d/y")]
    svg = ET.fromstring(str(lineage_svg(nodes, [Edge("x", "y"), Edge("y", "x")], title="cycle")))
    links = svg.findall(f"{SVG}a")
    assert [a.get("href") for a in links] == ["/ui/products/d/x", "/ui/products/d/y"]
    assert all(a.get("aria-label") for a in links)
    assert len(svg.findall(f"{SVG}path")) == 2, "both edges of the cycle are drawn"
