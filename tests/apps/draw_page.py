"""The Draw page alone, for AppTest (the app's navigation picks pages by URL)."""

from demo.views import draw

draw.render()
