"""The ``quanta`` command line: Typer commands that parse arguments, call one lower-layer function and
render the result with Rich. No business logic lives here."""
