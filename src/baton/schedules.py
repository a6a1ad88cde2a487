"""Schedules for deployments: when a flow runs on its own.

from baton.schedules import CronSchedule

CronSchedule(cron="0 9 * * 1-5", timezone="Europe/London")
"""

from __future__ import annotations

from baton.core.schedules import CronSchedule, IntervalSchedule, InvalidSchedule, RRuleSchedule

__all__ = ["CronSchedule", "IntervalSchedule", "InvalidSchedule", "RRuleSchedule"]
