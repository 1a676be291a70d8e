"""What every benchmark writes: benchmarks/common.write_results and spread."""

import json

from benchmarks import common


def test_results_record_project_paths_relative_to_the_project(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RESULTS_DIR", tmp_path)
    model = common.PROJECT_DIR / "bench_runs" / "main" / "serving"
    path = common.write_results("example", {"model_dir": str(model), "other": "/elsewhere/x"})
    results = json.loads(path.read_text())["results"]
    assert results == {"model_dir": "bench_runs/main/serving", "other": "/elsewhere/x"}
    assert str(common.PROJECT_DIR) not in path.read_text()


def test_spread_is_min_median_max():
    assert common.spread([3.0, 1.0, 2.0, 10.0]) == {"min": 1.0, "median": 2.5, "max": 10.0}
