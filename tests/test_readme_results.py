"""README.md's result sections are exactly what benchmarks/results/*.json give."""

from benchmarks import table


def test_readme_figures_come_from_the_results_files():
    readme = table.README.read_text(encoding="utf-8")
    assert table.render(readme) == readme, "run: python -m benchmarks.table"
