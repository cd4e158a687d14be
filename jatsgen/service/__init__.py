"""The deposit service (`jatsgen serve`): journals and series with their configs and
encrypted registry credentials, people and roles, uploads made into reviews by background
jobs, deposits through a queue in the database, the DOI board, and an HTTP API. A thin
layer over the stages, as `cli/` is: it converts, validates and deposits nothing itself.

Its packages (FastAPI, uvicorn, Jinja2, argon2, cryptography, psycopg) are the `service`
extra, loaded only when the service runs.
"""
