"""The only import-time side effect: the ASGI app built from the environment."""

from bot.app import create_app
from bot.settings import load_settings

app = create_app(load_settings())
