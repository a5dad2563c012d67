"""What the metrics floor announces to the floors above it, which it does not import."""

from __future__ import annotations

from django.dispatch import Signal

# A scheduled source has just failed SOURCE_FAILURES_BEFORE_ALERT times running; sent once the
# attempt that made it so has committed. Arguments: source (DataSource), run (IngestionRun).
# Received by reviews, which tells the source's data owner.
source_failing = Signal()
