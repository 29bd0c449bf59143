"""What a store is written out as: JSONL/CSV exports, the atlas (GraphML), the HTML report, and the
templates and static files the report and the review app share.
"""
