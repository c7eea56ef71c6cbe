"""Pure aggregates and rules of the training service: no I/O, past-tense events, explicit topics."""
