"""The READMEs' result sections are exactly what benchmarks/results/*.json give."""

import pytest

from benchmarks import table


@pytest.mark.parametrize("path", list(table.DOCUMENTS), ids=lambda path: str(path.relative_to(table.README.parent)))
def test_readme_figures_come_from_the_results_files(path):
    readme = path.read_text(encoding="utf-8")
    assert table.render(readme, table.DOCUMENTS[path]) == readme, \
        "run: python -m benchmarks.table"
