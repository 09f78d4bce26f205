"""The Inspect page alone, for AppTest."""

from demo.views import inspect

inspect.render()
