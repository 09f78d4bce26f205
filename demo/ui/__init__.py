"""How the app sits on the screen and speaks: desktop, projector or phone and scrolling to a
result (`screen`), outside text shown as plain text (`text`), the lesson's words (`glossary`), and
the drawing canvas behind one function tests replace (`canvas`).

May import: streamlit.
"""
