"""``summarizer review``: the curation web app (Starlette + uvicorn + Jinja2, the 'review' extra).

Importing this package needs none of them; ``serve`` says which pip command installs them.
"""
