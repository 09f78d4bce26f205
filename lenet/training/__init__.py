"""Training: the trainer (`trainer`; its settings, `TrainConfig`, live in `lenet.config`), the
events it sends (`events`), optimizers and schedules (`schedule`), named presets (`presets`),
advice on the learning rate (`advice`), one minibatch at a time (`step_by_step`), evaluation
(`metrics`), threads per run (`threads`) and the minibatch curve as stored (`batch_curve`).

May import: lenet.errors, lenet.config, lenet.model, lenet.data, lenet.timeline.
"""
