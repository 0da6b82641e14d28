"""Your team's overrides, for every run from this repository (`pytest`, `make test`, the gate).

The ShopFlow plugin (`shopflow_qa.fixtures`, loaded through its `pytest11` entry point) and
pytest-playwright provide the fixtures; a fixture of the same name defined here wins, and can
ask for the one it replaces to extend it rather than start over. For example, a locale and a
larger viewport for every browser context, keeping the storefront's `base_url` and the run's
`X-ShopFlow-Test-Run` header the plugin sets:

    @pytest.fixture(scope="session")
    def browser_context_args(browser_context_args):
        return {**browser_context_args, "locale": "de-DE", "viewport": {"width": 1600, "height": 900}}

Launch options (`browser_type_launch_args`), a storage state or extra markers go here the same
way. Never register the plugin again from here (`pytest_plugins`): pluggy refuses a second
registration. More in fixtures/README.md ("Your own overrides").
"""
