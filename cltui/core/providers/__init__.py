"""Talking to OpenAI-compatible endpoints: the client, its errors, retries, limits and deadlines.

Import from the module that defines a name (`cltui.core.providers.client`, `.errors`, ...): this
package re-exports nothing, so importing the contracts (`base`, `errors`) never pulls in httpx.
"""
