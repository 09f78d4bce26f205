"""The Draw page alone, for AppTest (the app's navigation picks pages by URL)."""

from demo.views.draw import page as draw

draw.render()
