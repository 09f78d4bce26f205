"""Training on a Ray cluster (`LENET_RAY_ADDRESS`): the connection (`connection`), the class's
line on it (`line`), the run as an actor's state (`actor`), the job API over it (`jobs`) and the
slots' view (`slots`). Part of `demo.training`'s room, under its rules: the two are one interface.
"""
