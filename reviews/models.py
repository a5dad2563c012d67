"""Check-ins, review meetings, action items and packs (see the check-ins issue)."""
