"""The simulated models: an OpenAI-compatible server inside the process (an httpx transport).

Not a provider: the provider registry plugs `server.DemoTransport` into the one real client, so
`--demo` exercises the real parser, retries and events. Only the registry imports this package.
"""
