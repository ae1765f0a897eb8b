"""rdv's common library: settings, clock, time, errors, database, events, outbox and inbox."""
