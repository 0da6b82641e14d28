"""The ShopFlow API service (the "api" host). Placeholder: health only, until issue 2 lands."""
from fastapi import FastAPI
from stack.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="ShopFlow API", version=settings.version)

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "version": settings.version, "checks": {}, "faults": settings.faults.names}

    return app
