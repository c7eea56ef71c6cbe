"""Pure aggregates of the credential service: no I/O, past-tense events, explicit topics."""
