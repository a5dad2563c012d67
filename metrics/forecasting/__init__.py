"""The statistics of a KPI's series: rolling forecasts chosen by their own out-of-sample error,
their track record, the chance of meeting a target, and lead→lag evidence.

The pure functions (`series`, `methods`, `selection`, `outlook`, `leadlag`) work on plain lists
of `(period_date, value, confidence)` and never touch the database; `services` and `selectors`
read and store them for one organisation at a time.
"""
