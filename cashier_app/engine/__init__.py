"""The loyalty rules, pure.

Nothing in this package reads a clock, a database, a file or the network: the program
document, the customer's state and the moment come in as arguments and plain immutable
values go out. The till, the central server and ``cashier-app simulate`` all call it, so
they compute the same numbers (docs/program.md, docs/rules-decisions.md).
"""
