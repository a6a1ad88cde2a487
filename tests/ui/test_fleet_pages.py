"""Deployment and work pool pages over real HTTP, on deployments made through the client."""

from __future__ import annotations

import html as html_lib
import re
import uuid

import pytest

from .conftest import FleetSite
from .fleet_data import POOL

LATE_REASON = f"no worker is polling work pool {POOL!r}"


def text(page: str) -> str:
    """The page's text with tags dropped and entities decoded, for plain assertions."""
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def row_of(page: str, needle: str) -> str:
    """The table row of ``page`` containing ``needle``."""
    rows: list[str] = re.findall(r"<tr>.*?</tr>", page, flags=re.S)
    found = [row for row in rows if needle in row]
    assert found, f"no row holds {needle!r}"
    return found[0]


def test_deployments_list_shows_schedules_status_pool_and_runs(fleet_site: FleetSite) -> None:
    fleet = fleet_site.fleet
    answer = fleet_site.get("/deployments")
    assert answer.status_code == 200
    daily = row_of(answer.text, f'href="/deployments/{fleet.deployment}"')
    assert "cron '0 6 * * *' in UTC" in text(daily), "the schedule as describe() says it"
    assert "(inactive)" in text(daily), "the inactive interval schedule is marked"
    assert f'href="/work-pools/{POOL}"' in daily and "/ default" in text(daily)
    assert f'href="/runs/{fleet.late_run}"' in daily, "next run: the earliest waiting one"
    assert f'href="/runs/{fleet.failed_run}"' in daily and 'data-state="FAILED"' in daily
    adhoc = row_of(answer.text, f'href="/deployments/{fleet.paused}"')
    assert "Paused" in adhoc and "runs on request" in text(adhoc)
    assert f'href="/runs/{fleet.completed_run}"' in adhoc


def test_deployment_page_shows_details_schedules_and_runs(fleet_site: FleetSite) -> None:
    fleet = fleet_site.fleet
    answer = fleet_site.get(f"/deployments/{fleet.deployment}")
    assert answer.status_code == 200
    page = text(answer.text)
    assert "report/daily" in page and "The morning report." in page
    assert "flows/report.py:report" in page
    schedules = answer.text.split('id="schedules-heading"')[1].split("</section>")[0]
    assert "cron '0 6 * * *' in UTC" in text(schedules)
    assert "every 2 hours" in text(schedules)
    assert "Inactive" in schedules and "Active" in schedules
    upcoming = answer.text.split('id="upcoming-heading"')[1].split("</section>")[0]
    assert f"/runs/{fleet.late_run}" in upcoming and f"/runs/{fleet.waiting_run}" in upcoming
    assert LATE_REASON in html_lib.unescape(upcoming), "a late run says why"
    assert "Next dates of the active schedules" in upcoming
    assert upcoming.count("06:00:00") >= 5, "the cron schedule's next five dates"
    recent = answer.text.split('id="recent-heading"')[1].split("</section>")[0]
    assert f"/runs/{fleet.failed_run}" in recent and f"/runs/{fleet.running_run}" in recent
    assert f"/runs/{fleet.waiting_run}" not in recent


def field(page: str, name: str) -> str:
    boxes: list[str] = re.findall(r'<div class="field form-field".*?</div>', page, flags=re.S)
    found = [box for box in boxes if f'data-name="{name}"' in box]
    assert found, f"no field for {name!r}"
    return found[0]


def test_run_form_is_made_from_the_parameter_schema(fleet_site: FleetSite) -> None:
    page = fleet_site.get(f"/deployments/{fleet_site.fleet.deployment}").text
    day = field(page, "day")
    assert 'data-kind="date"' in day and 'type="date"' in day
    assert 'aria-required="true"' in day and "(required)" in day
    rows = field(page, "rows")
    assert 'data-kind="integer"' in rows
    assert 'value="5"' in rows, "the deployment's default wins over the flow's 10"
    assert 'value="0.5"' in field(page, "ratio")
    strict = field(page, "strict")
    assert 'type="checkbox"' in strict and "checked" not in strict
    mode = field(page, "mode")
    assert 'data-kind="enum"' in mode and re.search(r'value="&#34;fast&#34;" selected', mode)
    sources = field(page, "sources")
    assert 'data-json-type="array"' in sources and "[&#34;orders&#34;]" in sources
    at = field(page, "at")
    assert 'type="datetime-local"' in at and "or none" in at
    assert page.index('data-name="day"') < page.index('data-name="at"'), "signature order"


def test_a_deployment_without_schema_takes_parameters_as_json(fleet_site: FleetSite) -> None:
    page = fleet_site.get(f"/deployments/{fleet_site.fleet.paused}").text
    assert 'data-mode="json"' in page
    assert 'id="param-all"' in page and "&#34;n&#34;: 1" in page
    assert "Resume" in page and "/resume_deployment" in page


def test_work_pools_list_shows_status_workers_slots_and_queues(fleet_site: FleetSite) -> None:
    answer = fleet_site.get("/work-pools")
    assert answer.status_code == 200
    pool = text(row_of(answer.text, f'href="/work-pools/{POOL}"'))
    assert "Ready" in pool, "one worker is online"
    assert "1 of 2" in pool, "one of the two workers is online"
    assert "1 of 4" in pool, "the running run holds one of the pool's four slots"
    assert "urgent" in pool and "0 of 1" in pool and "polled never" in pool
    assert "Pause" in pool


def test_work_pool_page_lists_queues_workers_and_runs(fleet_site: FleetSite) -> None:
    fleet = fleet_site.fleet
    answer = fleet_site.get(f"/work-pools/{POOL}")
    assert answer.status_code == 200
    queues = answer.text.split('id="queues-heading"')[1].split("</section>")[0]
    assert queues.index(">default") < queues.index(">urgent"), "priority order"
    workers = text(answer.text.split('id="workers-heading"')[1].split("</section>")[0])
    assert re.search(r"worker-live Online", workers)
    assert re.search(r"worker-gone Offline", workers)
    runs = answer.text.split('id="pool-runs-heading"')[1].split("</section>")[0]
    for run_id in (fleet.late_run, fleet.waiting_run, fleet.running_run):
        assert f"/runs/{run_id}" in runs
    assert f"/runs/{fleet.failed_run}" not in runs, "finished runs are not waiting or running"
    assert LATE_REASON in html_lib.unescape(runs)


def test_dashboard_shows_pool_health(fleet_site: FleetSite) -> None:
    page = fleet_site.get("/").text
    pools = page.split('id="pools-heading"')[1].split("</section>")[0]
    row = row_of(pools, f'href="/work-pools/{POOL}"')
    assert "1 of 2" in text(row), "workers online"
    assert re.search(r'class="late-count" href="/runs\?state=LATE&amp;pool=etl-pool">1<', row)


def test_late_runs_say_why_in_the_runs_list_and_on_their_page(fleet_site: FleetSite) -> None:
    fleet = fleet_site.fleet
    listed = fleet_site.get(f"/runs?state=LATE&pool={POOL}").text
    assert f"/runs/{fleet.late_run}" in listed
    assert f"/runs/{fleet.failed_run}" not in listed
    assert LATE_REASON in html_lib.unescape(listed)
    page = fleet_site.get(f"/runs/{fleet.late_run}").text
    assert LATE_REASON in html_lib.unescape(page.split('id="run-message"')[1][:400])


def test_runs_list_filters_by_deployment(fleet_site: FleetSite) -> None:
    fleet = fleet_site.fleet
    listed = fleet_site.get(f"/runs?deployment={fleet.paused}").text
    assert f"/runs/{fleet.completed_run}" in listed and f"/runs/{fleet.late_run}" not in listed
    assert fleet_site.get("/runs?deployment=nightly").status_code == 400


def test_run_page_offers_retry_only_for_deployment_runs(fleet_site: FleetSite) -> None:
    fleet = fleet_site.fleet
    failed = fleet_site.get(f"/runs/{fleet.failed_run}").text
    assert 'id="retry-run"' in failed and f'data-deployment-id="{fleet.deployment}"' in failed
    assert '"day": "2024-05-04"' in failed, "the run's parameters, for the retry"
    assert f'href="/work-pools/{POOL}"' in failed


@pytest.mark.parametrize(
    ("path", "complaint"),
    [
        (f"/deployments/{uuid.UUID(int=1)}", "No such deployment"),
        ("/deployments/not-an-id", "No such deployment"),
        ("/work-pools/no-such-pool", "No such work pool"),
    ],
)
def test_unknown_deployments_and_pools_get_a_404_page(
    fleet_site: FleetSite, path: str, complaint: str
) -> None:
    answer = fleet_site.get(path)
    assert answer.status_code == 404
    assert complaint in answer.text


def test_deployments_page_number_is_checked(fleet_site: FleetSite) -> None:
    assert fleet_site.get("/deployments?page=0").status_code == 400
