"""Outside text shown as plain text, never Markdown."""

from demo.text import plain


def test_markdown_from_a_file_name_or_a_link_is_shown_as_written():
    assert plain("[prize](http://x).pt") == r"\[prize\](http://x).pt"
    assert (
        plain("**bold** _it_ `code` :red[x] <b>") == r"\*\*bold\*\* \_it\_ \`code\` :red\[x\] \<b\>"
    )
    assert plain("notes.pt: it is a text file") == "notes.pt: it is a text file"
