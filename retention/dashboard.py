"""Retention's panels on the admin dashboard."""

from dpo_portal.dashboard import panel

from . import reports

# Overdue records by system and disposal batches awaiting a decision, with the report's link.
panel(order=30)(reports.retention_panel)
