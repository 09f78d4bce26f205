"""Every model a student can choose on Draw and Inspect, loaded once per server: the chooser
(`choices`), the shipped and uploaded checkpoints (`files`, `upload`), their stored runs
(`stored`), any step of a timeline (`steps`, `timelines`), which one a page starts on (`start`) and
"does this look like a digit" per model (`familiar`).

May import: streamlit, demo.ui, demo.session, demo.training, demo.classroom, lenet.errors,
lenet.config, lenet.model, lenet.data, lenet.files, lenet.explain, lenet.timeline, lenet.training,
lenet.store.
"""
