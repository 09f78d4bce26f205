"""The Class page: every run of the class, for the teacher's projector and the students.

May import: streamlit, demo.ui, demo.session, demo.training, demo.classroom, demo.figures,
lenet.store.
"""
