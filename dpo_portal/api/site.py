"""The /api/v1/ API object: problem+json for every error, the schema at /api/v1/schema/ and
Swagger UI at /api/v1/docs/ (django-ninja serves its assets from our static files and reads its
settings from a JSON block, so the page runs under the portal's CSP unchanged)."""

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from . import problems

DESCRIPTION = """How an organisation's systems, website and apps work with the DPO Portal:
push the record inventory, send requests in, answer the per-system tasks with receipts.

**Authentication**: a system's token, created by a DPO on the system's page in the admin
(`Authorization: Bearer dpo_…`). A token acts only for its system and organisation; anything
else answers 404. Each token has a rate budget: past it, 429 with `Retry-After`.

**Errors** are RFC 9457 problem details (`application/problem+json`) with a stable `type`;
`title`, `detail` and each error's `reason` are in the language of `Accept-Language` (`az` or
`en`; Azerbaijani without one):

""" + "\n".join(
    f"- `{problems.problem_type(slug)}`: {text}" for slug, text in problems.PROBLEM_TYPES.items()
)


class PortalAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Error answers are documented as the problem+json they are."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for code, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(code) >= 400 and "application/json" in content:
                        content["application/problem+json"] = content.pop("application/json")
        return schema


def build_api(routers):
    """The API with each app's router mounted at its prefix: [(prefix, router)]."""
    api = PortalAPI(
        title="DPO Portal integration API",
        version="1",
        description=DESCRIPTION,
        urls_namespace="api",
        openapi_url="/schema/",
        docs=Swagger(settings={"persistAuthorization": False}),
        docs_url="/docs/",
    )
    # Ninja registers its own handlers per class; ours answers for each of them.
    for exc_class in problems.HANDLED:
        api.add_exception_handler(exc_class, problems.handle)
    for prefix, router in routers:
        api.add_router(prefix, router)
    return api
