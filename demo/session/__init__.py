"""One student's session and what it may do: the Train settings and their link (`settings`,
`link_values`), the nickname (`nickname`), the share link's address (`share`), the run store as
the app opens it (`store_state`), the teacher key (`teacher_key`), a session's share of the
expensive work (`costs`) and of uploads (`upload_guard`).

May import: streamlit, demo.ui, lenet.errors, lenet.config, lenet.model, lenet.training,
lenet.store.
"""
