"""Text from outside (a link, a file name, a checkpoint's contents) shown as plain text.

Streamlit's messages render Markdown: a file named `[prize](http://x).pt` or a link parameter
would otherwise become a live link or formatting on a student's screen.
"""

from __future__ import annotations

import re

# what turns plain words into formatting, links, HTML, tables, strikethrough or LaTeX; a `[`
# escaped also disarms Streamlit's `:red[...]` colour directives
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~$])")


def plain(text: object) -> str:
    """`text` with every mark that Markdown (or Streamlit's colour directives) acts on escaped."""
    return _MARKDOWN.sub(r"\\\1", str(text))
