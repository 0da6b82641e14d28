"""The ShopFlow API service (the "api" host). Placeholder: health only, until issue 2 lands."""
from fastapi import FastAPI
from stack.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="ShopFlow API", version=settings.version)

    @app.get("/health")
    def health() -> dict:
        version = "0000000-stale" if "stale_version" in settings.faults else settings.version
        return {"status": "ok", "version": version, "checks": {}, "faults": settings.faults.names}

    return app
