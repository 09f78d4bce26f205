"""Training for the app, outside the page's script: a run's job and its snapshot for the page
(`jobs`, `snapshot`), the worker processes (`worker`, `job_process`, `worker_control`,
`worker_preload`), runs that outlive a reload (`sessions`, `tab`), how many train at once and the
line (`slots`), fair shares (`fair_share`) and the server-wide resources (`state`). `cluster/` is
the same interface on a Ray cluster. No module here draws a page.

May import: streamlit, demo.ui, demo.session, lenet.errors, lenet.config, lenet.model, lenet.data,
lenet.timeline, lenet.training, lenet.store.
"""
