"""The Inspect page alone, for AppTest."""

from demo.views.inspect import page as inspect

inspect.render()
