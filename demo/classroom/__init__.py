"""What the class shares: the leaderboard's rows from the store (`board`), checkpoints saved from
the Train page (`saved`), the teacher key's unlock on the Class page (`teacher`) and the teacher's
tools: stop, delete, clear (`tools`).

May import: streamlit, demo.ui, demo.session, demo.training, lenet.files, lenet.store.
"""
