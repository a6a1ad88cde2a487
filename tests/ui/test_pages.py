"""The pages over real HTTP, on a database filled by flows that really ran."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from .conftest import Site


def run_names(html: str) -> list[str]:
    """Names of the flow runs a runs table lists, in order."""
    body = html.split("<tbody>", 1)[1] if "<tbody>" in html else ""
    return re.findall(r'<a href="/runs/[0-9a-f-]{36}">([^<]+)</a>', body)


def test_dashboard_counts_runs_and_shows_recent_failures(site: Site) -> None:
    answer = site.get("/")
    assert answer.status_code == 200
    html = answer.text
    assert re.search(r'id="count-total">3<', html), "three flow runs in the last day"
    assert re.search(r'id="count-failed">1<', html)
    assert "the upstream service said no" in html
    assert f'href="/runs/{site.runs.broken}"' in html
    assert "<svg" in html and 'class="fill--failed"' in html


def test_dashboard_window_is_in_the_query_string(site: Site) -> None:
    week = site.get("/?window=week")
    assert week.status_code == 200
    assert 'href="/?window=week" aria-current="true"' in week.text
    wrong = site.get("/?window=fortnight")
    assert wrong.status_code == 400
    assert "window must be one of hour, day, week" in wrong.text.lower()


def test_runs_list_shows_every_run_with_its_state(site: Site) -> None:
    html = site.get("/runs").text
    for run_id in (site.runs.etl, site.runs.subflow, site.runs.broken):
        assert f'href="/runs/{run_id}"' in html
    assert 'data-state="FAILED"' in html and 'data-state="COMPLETED"' in html
    assert "3 matching" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=FAILED", {"broken"}),
        ("state=COMPLETED", {"etl", "subflow"}),
        ("tag=nightly", {"etl", "subflow"}),
        ("state=FAILED&tag=nightly", set()),
        ("flow={etl_flow}", {"etl"}),
        ("since=2000-01-01&until=2000-01-02", set()),
        ("state=LATE", set()),
        ("state=LATE&state=FAILED", {"broken"}),
    ],
)
def test_runs_list_filters_from_the_query_string(
    site: Site, query: str, expected: set[str]
) -> None:
    html = site.get("/runs?" + query.format(etl_flow=site.runs.etl_flow)).text
    ids = {name: str(getattr(site.runs, name)) for name in ("etl", "subflow", "broken")}
    shown = {name for name, run_id in ids.items() if f'href="/runs/{run_id}"' in html}
    assert shown == expected


def test_runs_list_searches_names_and_sorts(site: Site) -> None:
    newest = run_names(site.get("/runs").text)
    oldest = run_names(site.get("/runs?sort=oldest").text)
    assert len(newest) == 3
    assert oldest == list(reversed(newest))
    searched = run_names(site.get("/runs?q=" + newest[0][2:6]).text)
    assert newest[0] in searched


@pytest.mark.parametrize(
    ("query", "complaint"),
    [
        ("state=DONE", "state must be one of"),
        ("page=0", "page must be a whole number"),
        ("sort=random", "sort must be one of"),
        ("since=yesterday", "since must be a date or time"),
        ("flow=etl", "flow must be an id"),
    ],
)
def test_runs_list_explains_a_bad_query_string(site: Site, query: str, complaint: str) -> None:
    answer = site.get("/runs?" + query)
    assert answer.status_code == 400
    assert complaint in answer.text.lower()


def test_flow_run_page_shows_tasks_logs_history_and_subflow(site: Site) -> None:
    answer = site.get(f"/runs/{site.runs.etl}")
    assert answer.status_code == 200
    html = answer.text
    assert "load-0" in html and "total-0" in html
    assert "loaded 4 rows" in html and "starting the nightly load" in html
    assert f'href="/runs/{site.runs.subflow}"' in html, "the subflow is linked"
    assert '<pre class="json">' in html and "&#34;n&#34;: 4" in html
    assert 'class="timeline"' in html and 'class="graph"' in html
    assert html.count('class="edge"') >= 1, "total consumed load's result"
    assert "State history" in html and 'data-state="RUNNING"' in html


def test_failed_run_page_shows_the_retry_decision(site: Site) -> None:
    html = site.get(f"/runs/{site.runs.broken}").text
    assert "RetryFailedTasks" in html
    assert "REJECT" in html
    assert "flaky-0" in html
    assert "the upstream service said no" in html


def test_subflow_page_links_back_to_its_parent(site: Site) -> None:
    html = site.get(f"/runs/{site.runs.subflow}").text
    assert f'href="/runs/{site.runs.etl}"' in html
    assert "summarising 6" in html


def test_flow_run_logs_filter_by_level_and_text(site: Site) -> None:
    warnings = site.get(f"/runs/{site.runs.etl}?level=warning").text
    assert "loaded 4 rows" not in warnings
    searched = site.get(f"/runs/{site.runs.etl}?q=LOADED").text
    assert "loaded 4 rows" in searched and "starting the nightly load" not in searched
    assert site.get(f"/runs/{site.runs.etl}?level=loud").status_code == 400


def test_live_endpoint_reports_state_and_only_new_logs(site: Site) -> None:
    first = site.get(f"/runs/{site.runs.etl}/live.json").json()
    assert first["state_type"] == "COMPLETED" and first["terminal"] is True
    assert any("loaded 4 rows" in line["message"] for line in first["logs"])
    again = site.get(f"/runs/{site.runs.etl}/live.json?after={first['cursor']}").json()
    assert again["logs"] == []
    assert again["version"] == first["version"]
    progress = site.get(f"/runs/{site.runs.etl}/progress")
    assert progress.status_code == 200 and "load-0" in progress.text


def test_task_run_page_links_inputs_to_upstream_runs(site: Site) -> None:
    run_html = site.get(f"/runs/{site.runs.etl}").text
    ids = dict(re.findall(r'<a href="/task-runs/([0-9a-f-]{36})">((?:load|total)-0)</a>', run_html))
    by_name = {name: task_id for task_id, name in ids.items()}
    answer = site.get(f"/task-runs/{by_name['total-0']}")
    assert answer.status_code == 200
    assert f'href="/task-runs/{by_name["load-0"]}"' in answer.text
    assert "<code>rows</code>" in answer.text
    load_page = site.get(f"/task-runs/{by_name['load-0']}").text
    assert "loaded 4 rows" in load_page


def test_flows_list_counts_runs_and_detail_lists_them(site: Site) -> None:
    html = site.get("/flows").text
    assert "nightly-etl" in html and "broken-report" in html
    detail = site.get(f"/flows/{site.runs.etl_flow}")
    assert detail.status_code == 200
    assert f'href="/runs/{site.runs.etl}"' in detail.text


@pytest.mark.parametrize(
    "path",
    [
        f"/runs/{uuid.UUID(int=1)}",
        "/runs/not-a-run",
        f"/task-runs/{uuid.UUID(int=1)}",
        f"/flows/{uuid.UUID(int=1)}",
        "/no/such/page",
    ],
)
def test_unknown_things_get_a_friendly_404_page(site: Site, path: str) -> None:
    answer = site.get(path)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "<h1" in answer.text and ("No such" in answer.text or "Page not found" in answer.text)


def test_the_run_links_a_prefect_2_client_prints_lead_to_the_run(site: Site) -> None:
    answer = site.get(f"/flow-runs/flow-run/{site.runs.etl}")

    assert answer.status_code == 308
    assert answer.headers["location"] == f"/runs/{site.runs.etl}"
    followed = httpx.get(site.url + answer.headers["location"], timeout=30)
    assert followed.status_code == 200 and str(site.runs.etl) in followed.text


def test_api_errors_stay_json(site: Site) -> None:
    answer = site.get("/api/no-such-endpoint")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not Found"}


@pytest.mark.parametrize(
    ("path", "advice"),
    [("/deployments", "No deployments yet"), ("/work-pools", "No work pools yet")],
)
def test_empty_deployment_and_pool_pages_say_how_to_start(
    site: Site, path: str, advice: str
) -> None:
    answer = site.get(path)
    assert answer.status_code == 200
    assert advice in answer.text


def test_a_run_without_deployment_explains_why_it_has_no_retry(site: Site) -> None:
    html = site.get(f"/runs/{site.runs.broken}").text
    assert 'id="retry-run"' not in html
    assert "not from a deployment" in html


def test_concurrency_page_lists_limits(site: Site) -> None:
    assert "No concurrency limits" in site.get("/concurrency").text


def test_assets_are_served(site: Site) -> None:
    for name in ("app.css", "app.js", "run.js", "theme.js", "deployment.js"):
        assert site.get(f"/ui/static/{name}").status_code == 200


def test_the_package_exports_one_name() -> None:
    import baton.ui

    assert baton.ui.__all__ == ["install_ui"]


def test_ui_routes_stay_out_of_the_api_schema(site: Site) -> None:
    paths = site.get("/api/openapi.json").json()["paths"]
    assert all(path.startswith("/api") for path in paths)
