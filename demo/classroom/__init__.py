"""What the class shares: the leaderboard's rows from the store (`board`), checkpoints saved from
the Train page (`saved`), the teacher key's unlock on the Class page (`teacher`), the teacher's
tools: stop, delete, clear (`tools`) and remove class digits (`digit_tools`), and every run
measured on the class's own digits in the background (`class_scores`).

May import: streamlit, demo.ui, demo.session, demo.training, lenet.data, lenet.errors,
lenet.files, lenet.store.
"""
