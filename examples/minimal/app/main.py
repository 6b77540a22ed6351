"""The smallest useful app: FastAPI behind Mangum, nothing pulumi-mangum specific.

The pre-traffic warm-up runs in `http` mode: the hook sends an API Gateway v2
GET /healthz through Mangum into this app and requires a 2xx from every
invocation, so the app needs no helper package.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from mangum import Mangum

app = FastAPI(title="minimal")


@app.get("/")
def index() -> dict[str, str]:
    return {"hello": "world", "version": os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "local")}


@app.get("/healthz")
def healthz() -> dict[str, bool]:
    return {"ok": True}


handler = Mangum(app, lifespan="off")
