"""The public JSON API (``/api/v1/``): personal access tokens, RFC 9457 problems and the resources, over the
same services and queries as the pages; the OpenAPI document is generated from the code (spectree)."""
