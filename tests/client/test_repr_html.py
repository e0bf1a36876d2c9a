"""Notebook views: ``_repr_html_`` of Dataset, Experiment and a comparison (with its chart),
values escaped, through the embedded store and a live server."""

from __future__ import annotations

from datasync import run_experiment
from datasync.client import Client
from tests.client.conftest import rows

MARKUP = "<script>alert(1)</script>"


def test_dataset_experiment_and_comparison_render_as_html(client: Client) -> None:
    data = rows(12)
    data[0]["input"] = {"question": MARKUP}
    v1 = client.datasets.upsert_dataset("qa", data)
    view = v1._repr_html_()
    assert view.startswith('<table class="datasync">') and "qa version" in view
    assert "&lt;script&gt;" in view and MARKUP not in view
    assert "… 2 more" in view  # 10 shown of 12

    def exact(output: object, expected: object) -> bool:
        return output == expected

    a = run_experiment(
        v1, lambda input: {"answer": "4"}, [exact], "a", client=client, progress=False
    )
    b = run_experiment(
        v1, lambda input: {"answer": "0"}, [exact], "b", client=client, progress=False
    )
    shown = a._repr_html_()
    assert "experiment" in shown and "exact" in shown and "ran 12" in shown
    comparison = a.compare(b)
    html = comparison._repr_html_()
    assert html.count("<svg") == 1 and "exact" in html
    scores_a, scores_b = comparison.scores()["exact"]
    assert sorted(scores_a) == [0.0] * 11 + [1.0] and sorted(scores_b) == [0.0] * 11 + [1.0]
